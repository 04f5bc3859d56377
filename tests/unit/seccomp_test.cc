#include "runtime/seccomp.h"

#include <gtest/gtest.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/sys.h"

namespace hull::runtime {
namespace {

oci::SeccompSyscall rule(std::vector<std::string> names, std::string action,
                         std::optional<unsigned> errno_ret = std::nullopt,
                         std::vector<oci::SeccompArg> args = {}) {
  return oci::SeccompSyscall{std::move(names), std::move(action), errno_ret, std::move(args)};
}

oci::Seccomp allow_all_but(std::vector<oci::SeccompSyscall> rules) {
  oci::Seccomp s;
  s.default_action = "SCMP_ACT_ALLOW";
  s.syscalls = std::move(rules);
  return s;
}

// Forks a child that sets no_new_privs, loads p and returns body()'s value as its exit code;
// returns the child's wait status. The program is compiled before the fork, as in hull.
int run_filtered(const SeccompProgram& p, const std::function<int(int listener)>& body) {
  pid_t pid = ::fork();
  if (pid == 0) {
    rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);  // SIGSYS would otherwise dump core
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(201);
    auto listener = load_seccomp(p);
    if (!listener) ::_exit(200);
    ::_exit(body(listener->get()));
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

// The linux.seccomp object of bench/seccomp_profile.json, through hull's own parser.
oci::Seccomp bench_profile() {
  std::string path = std::string(__FILE__);
  path = path.substr(0, path.rfind("/tests/")) + "/bench/seccomp_profile.json";
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_FALSE(ss.str().empty()) << path;
  std::string config = R"({"ociVersion":"1.2.0","root":{"path":"rootfs"},
    "process":{"cwd":"/","args":["sh"],"user":{"uid":0,"gid":0}},
    "linux":{"seccomp":)" +
                       ss.str() + "}}";
  auto spec = oci::parse_spec(config);
  EXPECT_TRUE(spec.has_value()) << spec.error().message();
  return spec ? *spec->linux.seccomp : oci::Seccomp{};
}

std::string bytes(const SeccompProgram& p) {
  return std::string(reinterpret_cast<const char*>(p.filter.data()),
                     p.filter.size() * sizeof(sock_filter));
}

class SeccompCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hulltest-seccomp-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty()) (void)base::sys::remove_all(dir_);
  }
  std::string dir_;
};

TEST(SeccompTest, ErrnoRuleReturnsErrnoRet) {
  auto p = compile_seccomp(allow_all_but({rule({"getppid"}, "SCMP_ACT_ERRNO", 99)}));
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_FALSE(p->notify);
  int status = run_filtered(*p, [](int) { return ::syscall(SYS_getppid) == -1 ? errno : 0; });
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 99);
}

TEST(SeccompTest, ErrnoWithoutErrnoRetIsEperm) {
  auto p = compile_seccomp(allow_all_but({rule({"getppid"}, "SCMP_ACT_ERRNO")}));
  ASSERT_TRUE(p.has_value()) << p.error().message();
  int status = run_filtered(*p, [](int) { return ::syscall(SYS_getppid) == -1 ? errno : 0; });
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), EPERM);
}

TEST(SeccompTest, KillProcessRuleDiesWithSigsys) {
  auto p = compile_seccomp(allow_all_but({rule({"getpid"}, "SCMP_ACT_KILL_PROCESS")}));
  ASSERT_TRUE(p.has_value()) << p.error().message();
  int status = run_filtered(*p, [](int) {
    ::syscall(SYS_getpid);
    return 0;
  });
  ASSERT_TRUE(WIFSIGNALED(status)) << status;
  EXPECT_EQ(WTERMSIG(status), SIGSYS);
}

TEST(SeccompTest, ArgumentConditionMatchesOnlyItsValue) {
  oci::SeccompArg a{0, 0xffffffff, 0, "SCMP_CMP_EQ"};
  auto p = compile_seccomp(allow_all_but({rule({"personality"}, "SCMP_ACT_ERRNO", 42, {a})}));
  ASSERT_TRUE(p.has_value()) << p.error().message();
  int status = run_filtered(*p, [](int) {
    // 0xffffffff only queries the persona; PER_LINUX (0) sets the one already in effect.
    if (::syscall(SYS_personality, 0xffffffffUL) != -1 || errno != 42) return 1;
    if (::syscall(SYS_personality, 0UL) == -1) return 2;
    return 0;
  });
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(SeccompTest, ConditionsOnOneArgumentBecomeSeparateRules) {
  // libseccomp refuses two comparisons of one argument in a rule; they become alternatives.
  std::vector<oci::SeccompArg> args = {{0, 1000, 0, "SCMP_CMP_EQ"}, {0, 1001, 0, "SCMP_CMP_EQ"}};
  auto p = compile_seccomp(allow_all_but({rule({"getpriority"}, "SCMP_ACT_ERRNO", 77, args)}));
  ASSERT_TRUE(p.has_value()) << p.error().message();
  int status = run_filtered(*p, [](int) {
    if (::syscall(SYS_getpriority, 1000, 0) != -1 || errno != 77) return 1;
    if (::syscall(SYS_getpriority, 1001, 0) != -1 || errno != 77) return 2;
    if (::syscall(SYS_getpriority, PRIO_PROCESS, 0) == -1) return 3;
    return 0;
  });
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(SeccompTest, MaskedEqComparesMaskedValue) {
  // value is the mask, valueTwo what the masked argument must equal.
  oci::SeccompArg a{0, 0xff00, 0x1200, "SCMP_CMP_MASKED_EQ"};
  auto p = compile_seccomp(allow_all_but({rule({"getpriority"}, "SCMP_ACT_ERRNO", 55, {a})}));
  ASSERT_TRUE(p.has_value()) << p.error().message();
  int status = run_filtered(*p, [](int) {
    if (::syscall(SYS_getpriority, 0x12ab, 0) != -1 || errno != 55) return 1;
    if (::syscall(SYS_getpriority, 0x13ab, 0) != -1 || errno != EINVAL) return 2;
    return 0;
  });
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(SeccompTest, UnknownSyscallIsSkippedAndListed) {
  auto p = compile_seccomp(allow_all_but({
      rule({"getppid", "hull_no_such_syscall"}, "SCMP_ACT_ERRNO"),
      rule({"hull_no_such_syscall", "hull_other"}, "SCMP_ACT_LOG"),
  }));
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_EQ(p->skipped, (std::vector<std::string>{"hull_no_such_syscall", "hull_other"}));
}

TEST(SeccompTest, RuleRepeatingDefaultActionIsDropped) {
  auto p = compile_seccomp(allow_all_but({rule({"getpid"}, "SCMP_ACT_ALLOW")}));
  ASSERT_TRUE(p.has_value()) << p.error().message();
}

TEST(SeccompTest, ArgIndexOutOfRangeNamesTheField) {
  oci::SeccompArg a{7, 1, 0, "SCMP_CMP_EQ"};
  auto p = compile_seccomp(allow_all_but(
      {rule({"getpid"}, "SCMP_ACT_ALLOW"), rule({"getppid"}, "SCMP_ACT_ERRNO", 1, {a})}));
  ASSERT_FALSE(p.has_value());
  EXPECT_NE(p.error().message().find("linux.seccomp.syscalls[1].args[0].index"), std::string::npos)
      << p.error().message();
}

TEST(SeccompTest, ErrnoRetBeyondSixteenBitsNamesTheField) {
  auto p = compile_seccomp(allow_all_but({rule({"getppid"}, "SCMP_ACT_ERRNO", 70000)}));
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().message(), "linux.seccomp.syscalls[0].errnoRet: 70000 exceeds 65535");
}

TEST(SeccompTest, UnknownArchitectureNamesTheField) {
  oci::Seccomp s = allow_all_but({});
  s.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_PDP11"};
  auto p = compile_seccomp(s);
  ASSERT_FALSE(p.has_value());
  EXPECT_NE(p.error().message().find("linux.seccomp.architectures[1]"), std::string::npos)
      << p.error().message();
}

TEST(SeccompTest, FlagsMapToKernelBits) {
  oci::Seccomp s = allow_all_but({rule({"getppid"}, "SCMP_ACT_ERRNO")});
  s.flags = {"SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"};
  auto p = compile_seccomp(s);
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_EQ(p->flags, unsigned{SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW});
}

TEST(SeccompTest, NotifyListenerReachesTheAgent) {
  oci::Seccomp s = allow_all_but({rule({"getppid"}, "SCMP_ACT_NOTIFY")});
  // TSYNC together with a listener needs TSYNC_ESRCH, which load_seccomp adds.
  s.flags = {"SECCOMP_FILTER_FLAG_TSYNC"};
  auto p = compile_seccomp(s);
  ASSERT_TRUE(p.has_value()) << p.error().message();
  ASSERT_TRUE(p->notify);

  char tmpl[] = "/tmp/hulltest-seccomp-agent-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string path = std::string(tmpl) + "/agent.sock";
  base::Fd agent(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  path.copy(addr.sun_path, path.size());
  ASSERT_EQ(::bind(agent.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(agent.get(), 1), 0);

  std::string state = R"({"ociVersion":"1.2.0","id":"web","status":"creating","pid":7})";
  int status = run_filtered(*p, [&](int listener) {
    if (listener < 0) return 1;
    auto sent = send_seccomp_listener(path, "meta=1", listener, 7, state);
    return sent ? 0 : 2;
  });
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);

  base::Fd conn(::accept4(agent.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(conn.valid());
  auto got = base::sys::recv_with_fd(conn.get());
  ASSERT_TRUE(got.has_value()) << got.error().message();
  ASSERT_TRUE(got->fd.valid());
  char link[128] = {};
  std::string proc = "/proc/self/fd/" + std::to_string(got->fd.get());
  ASSERT_GT(::readlink(proc.c_str(), link, sizeof link - 1), 0);
  EXPECT_STREQ(link, "anon_inode:seccomp notify");
  auto msg = nlohmann::json::parse(got->data);
  EXPECT_EQ(msg["fds"], nlohmann::json::array({"seccompFd"}));
  EXPECT_EQ(msg["pid"], 7);
  EXPECT_EQ(msg["metadata"], "meta=1");
  EXPECT_EQ(msg["state"]["id"], "web");
  EXPECT_TRUE(msg.contains("ociVersion"));
  (void)base::sys::remove_all(tmpl);
}

TEST(SeccompTest, BenchProfileAllowListWorks) {
  auto p = compile_seccomp(bench_profile());
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_LE(p->filter.size(), size_t{BPF_MAXINSNS});
  std::string skipped;
  for (const auto& n : p->skipped) skipped += " " + n;
  std::printf("bench profile: %zu instructions; unknown to libseccomp:%s\n", p->filter.size(),
              skipped.c_str());
  int status = run_filtered(*p, [](int) {
    if (::syscall(SYS_getppid) == -1) return 1;                                // allowed
    if (::syscall(SYS_unshare, 0) != -1 || errno != EPERM) return 2;           // default errno 1
    if (::syscall(SYS_clone3, nullptr, 0) != -1 || errno != ENOSYS) return 3;  // errnoRet 38
    return 0;
  });
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(SeccompCacheTest, SecondCompileHitsTheCache) {
  oci::Seccomp s = bench_profile();
  auto t0 = std::chrono::steady_clock::now();
  auto first = compile_seccomp_cached(s, dir_ + "/cache");
  auto t1 = std::chrono::steady_clock::now();
  auto second = compile_seccomp_cached(s, dir_ + "/cache");
  auto t2 = std::chrono::steady_clock::now();
  ASSERT_TRUE(first.has_value()) << first.error().message();
  ASSERT_TRUE(second.has_value()) << second.error().message();
  using us = std::chrono::microseconds;
  std::printf("compile uncached %lld us, cached %lld us\n",
              static_cast<long long>(std::chrono::duration_cast<us>(t1 - t0).count()),
              static_cast<long long>(std::chrono::duration_cast<us>(t2 - t1).count()));
  EXPECT_FALSE(first->from_cache);
  EXPECT_TRUE(second->from_cache);
  EXPECT_EQ(bytes(*first), bytes(*second));
  EXPECT_EQ(first->flags, second->flags);
  EXPECT_EQ(first->notify, second->notify);
  EXPECT_EQ(first->skipped, second->skipped);

  struct stat st {};
  std::string file = dir_ + "/cache/" + seccomp_cache_key(s);
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(SeccompCacheTest, CorruptFileIsRecompiledAndRewritten) {
  oci::Seccomp s = allow_all_but({rule({"getppid"}, "SCMP_ACT_ERRNO", 99)});
  std::string cache = dir_ + "/cache";
  ASSERT_TRUE(compile_seccomp_cached(s, cache).has_value());
  std::string file = cache + "/" + seccomp_cache_key(s);
  auto good = base::sys::read_file(file);
  ASSERT_TRUE(good.has_value());
  for (std::string bad :
       {good->substr(0, good->size() / 2), std::string(), std::string(good->size(), 'x')}) {
    ASSERT_TRUE(base::sys::write_file_atomic(file, bad, 0600).has_value());
    auto p = compile_seccomp_cached(s, cache);
    ASSERT_TRUE(p.has_value()) << p.error().message();
    EXPECT_FALSE(p->from_cache);
    EXPECT_EQ(*base::sys::read_file(file), *good);
    EXPECT_TRUE(compile_seccomp_cached(s, cache)->from_cache);
  }
}

TEST_F(SeccompCacheTest, KeyFollowsEveryRuleField) {
  oci::Seccomp s = allow_all_but({rule({"getppid"}, "SCMP_ACT_ERRNO", 99)});
  std::string base_key = seccomp_cache_key(s);
  EXPECT_EQ(base_key.size(), 64u);
  oci::Seccomp t = s;
  t.syscalls[0].errno_ret = 98;
  EXPECT_NE(seccomp_cache_key(t), base_key);
  t = s;
  t.syscalls[0].args.push_back({0, 1, 0, "SCMP_CMP_EQ"});
  EXPECT_NE(seccomp_cache_key(t), base_key);
  t = s;
  t.default_errno_ret = 1;  // EPERM either way, but a different profile
  EXPECT_NE(seccomp_cache_key(t), base_key);
  t = s;
  t.listener_metadata = "x";  // changes no BPF
  EXPECT_EQ(seccomp_cache_key(t), base_key);
}

}  // namespace
}  // namespace hull::runtime
