// The default seccomp profile: it parses as OCI, compiles with the runtime's libseccomp
// compiler, and a child that loads it sees docker's semantics: EPERM for namespace and mount
// calls, ENOSYS for clone3, personality limited, ordinary calls allowed, and the
// capability-gated calls let through when the capability is in the set.
#include "engine/seccomp_profile.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <ctime>
#include <functional>
#include <set>

#include "engine/spec_security.h"
#include "oci/capabilities.h"
#include "oci/spec.h"
#include "runtime/seccomp.h"

namespace hull::engine {
namespace {

using nlohmann::json;

// The profile through the OCI parser, as the runtime would read it from config.json.
oci::Seccomp parsed(const json& profile) {
  json spec = {{"ociVersion", "1.2.0"},
               {"root", {{"path", "rootfs"}}},
               {"process", {{"args", {"sh"}}, {"cwd", "/"}}},
               {"linux", {{"seccomp", profile}}}};
  auto s = oci::parse_spec(spec.dump());
  EXPECT_TRUE(s.has_value()) << s.error().message();
  return s && s->linux.seccomp ? *s->linux.seccomp : oci::Seccomp{};
}

runtime::SeccompProgram compiled(const std::vector<std::string>& caps) {
  auto p = runtime::compile_seccomp(parsed(default_seccomp_profile(caps)));
  EXPECT_TRUE(p.has_value()) << p.error().message();
  return p ? *p : runtime::SeccompProgram{};
}

// Forks a child that sets no_new_privs, loads the program and exits with body()'s value;
// returns that value (or 255 + a test failure if it died).
int in_filtered_child(const runtime::SeccompProgram& p, const std::function<int()>& body) {
  pid_t pid = ::fork();
  if (pid == 0) {
    rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(201);
    if (!runtime::load_seccomp(p)) ::_exit(200);
    ::_exit(body());
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status)) << "status " << status;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

// errno of a failed call, 0 for success.
int err(long rc) { return rc == -1 ? errno : 0; }

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#endif
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

const std::vector<std::string>& defaults() { return spec_detail::default_capabilities(); }

std::vector<std::string> with(std::vector<std::string> caps, const std::string& cap) {
  caps.push_back(cap);
  return caps;
}

TEST(SeccompProfile, ShapeIsDockers) {
  json p = default_seccomp_profile(defaults());
  EXPECT_EQ(p["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_EQ(p["defaultErrnoRet"], EPERM);
#if defined(__aarch64__)
  EXPECT_EQ(p["architectures"], json({"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"}));
#else
  EXPECT_EQ(p["architectures"], json({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
#endif
  oci::Seccomp s = parsed(p);
  std::set<std::string> allowed, conditional;
  for (const auto& r : s.syscalls) {
    for (const auto& n : r.names) (r.args.empty() ? allowed : conditional).insert(n);
  }
  for (const char* n : {"read", "openat", "execve", "futex", "socketpair", "epoll_wait", "mmap",
                        "rt_sigaction", "clock_gettime", "chroot"}) {
    EXPECT_TRUE(allowed.contains(n)) << n;
  }
  for (const char* n : {"mount", "unshare", "setns", "ptrace", "bpf", "reboot", "init_module",
                        "io_uring_setup", "keyctl", "add_key", "kexec_load", "acct", "swapon"}) {
    EXPECT_FALSE(allowed.contains(n)) << n;
  }
  EXPECT_EQ(conditional, (std::set<std::string>{"clone", "personality", "socket"}));
  // CAP_SYS_ADMIN opens mount and the namespace calls, and clone without conditions.
  oci::Seccomp admin = parsed(default_seccomp_profile(with(defaults(), "CAP_SYS_ADMIN")));
  std::set<std::string> admin_allowed;
  for (const auto& r : admin.syscalls) {
    if (r.args.empty() && r.action == "SCMP_ACT_ALLOW") {
      admin_allowed.insert(r.names.begin(), r.names.end());
    }
  }
  for (const char* n : {"mount", "unshare", "setns", "clone", "clone3", "pivot_root"}) {
    EXPECT_TRUE(admin_allowed.contains(n)) << n;
  }
  EXPECT_FALSE(admin_allowed.contains("ptrace"));
}

TEST(SeccompProfile, CompilesWithTheRuntime) {
  auto p = runtime::compile_seccomp(parsed(default_seccomp_profile(defaults())));
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_FALSE(p->filter.empty());
  EXPECT_FALSE(p->notify);
  // Every capability: every gated group at once, each name once.
  auto all = runtime::compile_seccomp(parsed(default_seccomp_profile(oci::all_capability_names())));
  ASSERT_TRUE(all.has_value()) << all.error().message();
}

TEST(SeccompProfile, NamespacesAndMountAreRefused) {
  auto p = compiled(defaults());
  EXPECT_EQ(in_filtered_child(p, [] { return err(::unshare(CLONE_NEWNS)); }), EPERM);
  EXPECT_EQ(in_filtered_child(p, [] { return err(::unshare(0)); }), EPERM);
  EXPECT_EQ(in_filtered_child(p, [] { return err(::mount("none", "/tmp", "tmpfs", 0, "")); }),
            EPERM);
  EXPECT_EQ(in_filtered_child(p, [] { return err(::umount2("/tmp", MNT_DETACH)); }), EPERM);
  // clone with a namespace flag: refused by the argument check.
  EXPECT_EQ(in_filtered_child(p,
                              [] {
                                long rc = ::syscall(SYS_clone, CLONE_NEWUTS | SIGCHLD, 0, 0, 0, 0);
                                if (rc == 0) ::_exit(0);  // the filter let it through
                                return err(rc);
                              }),
            EPERM);
  EXPECT_EQ(in_filtered_child(p, [] { return err(::syscall(SYS_io_uring_setup, 1, nullptr)); }),
            EPERM);
  EXPECT_EQ(in_filtered_child(p, [] { return err(::socket(AF_VSOCK, SOCK_STREAM, 0)); }), EPERM);
}

TEST(SeccompProfile, Clone3IsEnosysSoLibcFallsBack) {
  auto p = compiled(defaults());
  EXPECT_EQ(in_filtered_child(p, [] { return err(::syscall(SYS_clone3, nullptr, 0)); }), ENOSYS);
  // fork (clone without namespace flags) works.
  EXPECT_EQ(in_filtered_child(p,
                              [] {
                                pid_t child = ::fork();
                                if (child == 0) ::_exit(7);
                                int status = 0;
                                if (child < 0 || ::waitpid(child, &status, 0) != child) return 1;
                                return WIFEXITED(status) && WEXITSTATUS(status) == 7 ? 0 : 2;
                              }),
            0);
}

TEST(SeccompProfile, OrdinaryCallsWork) {
  auto p = compiled(defaults());
  EXPECT_EQ(in_filtered_child(p,
                              [] {
                                if (::getpid() <= 0) return 1;
                                int fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
                                if (fd < 0) return 2;
                                if (::write(fd, "x", 1) != 1) return 3;
                                int sv[2];
                                if (::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 4;
                                if (::socket(AF_UNIX, SOCK_STREAM, 0) < 0) return 5;
                                timespec ts;
                                if (::clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return 6;
                                return 0;
                              }),
            0);
}

TEST(SeccompProfile, PersonalityOnlyHarmlessValues) {
  auto p = compiled(defaults());
  EXPECT_EQ(in_filtered_child(p, [] { return err(::personality(0xffffffff)); }), 0);
  EXPECT_EQ(in_filtered_child(p, [] { return err(::personality(PER_LINUX)); }), 0);
  EXPECT_EQ(in_filtered_child(p, [] { return err(::personality(ADDR_NO_RANDOMIZE)); }), EPERM);
}

TEST(SeccompProfile, CapabilityOpensItsCalls) {
  auto p = compiled(with(defaults(), "CAP_SYS_ADMIN"));
  // unshare(0) changes nothing: success shows the filter let it through.
  EXPECT_EQ(in_filtered_child(p, [] { return err(::unshare(0)); }), 0);
  // clone3 reaches the kernel, which refuses the missing arguments.
  EXPECT_EQ(in_filtered_child(p, [] { return err(::syscall(SYS_clone3, nullptr, 0)); }), EINVAL);
  auto ptrace = compiled(with(defaults(), "CAP_SYS_PTRACE"));
  EXPECT_EQ(in_filtered_child(ptrace,
                              [] { return err(::syscall(SYS_kcmp, getpid(), getpid(), 0, 0, 0)); }),
            0);
  EXPECT_EQ(
      in_filtered_child(p, [] { return err(::syscall(SYS_kcmp, getpid(), getpid(), 0, 0, 0)); }),
      EPERM);
}

}  // namespace
}  // namespace hull::engine
