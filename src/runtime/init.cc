#include "runtime/init.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>

#include "base/sys.h"
#include "runtime/become.h"
#include "runtime/console.h"
#include "runtime/hooks.h"
#include "runtime/process.h"
#include "runtime/reaper.h"

namespace hull::runtime {

using base::Error;
using base::Fd;
using base::Result;

namespace {

struct GoMessage {
  std::string state_json;
  bool setgroups_denied = false;
};

GoMessage parse_go(const std::string& payload) {
  GoMessage m;
  m.setgroups_denied = !payload.empty() && payload[0] == '1';
  m.state_json = payload.size() > 1 ? payload.substr(1) : "";
  return m;
}

Result<void> join_namespaces(const oci::Spec& spec) {
  // The user namespace first: the others are then joined with its privileges. pid and
  // time were joined by the parent before clone3 (they apply to children only).
  static constexpr oci::NamespaceType kOrder[] = {
      oci::NamespaceType::kUser,    oci::NamespaceType::kIpc,    oci::NamespaceType::kUts,
      oci::NamespaceType::kNetwork, oci::NamespaceType::kCgroup, oci::NamespaceType::kMount};
  for (auto type : kOrder) {
    const auto* ns = spec.linux.find(type);
    if (!ns || ns->path.empty()) continue;
    const auto& info = oci::namespace_info(type);
    ASSIGN_OR_RETURN(Fd fd, base::sys::open(ns->path, O_RDONLY));
    if (::setns(fd.get(), info.clone_flag) != 0) {
      return Error(std::string("setns ") + info.spec_name + " " + ns->path, errno);
    }
  }
  return {};
}

Result<void> become_namespace_root() {
  if (::setresgid(0, 0, 0) != 0) return Error("setresgid 0 in the user namespace", errno);
  if (::setresuid(0, 0, 0) != 0) return Error("setresuid 0 in the user namespace", errno);
  return {};
}

// A new time namespace with offsets: unshare makes it for our children only, the offsets
// can be written while nobody is in it, then setns moves us in (we are single-threaded).
Result<void> enter_time_namespace(const oci::Spec& spec) {
  if (::unshare(CLONE_NEWTIME) != 0) return Error("unshare time namespace", errno);
  std::string offsets;
  for (const auto& [clock, off] : spec.linux.time_offsets) {
    offsets += clock + " " + std::to_string(off.secs) + " " + std::to_string(off.nanosecs) + "\n";
  }
  if (!offsets.empty()) {
    TRY_CTX(base::sys::write_file("/proc/self/timens_offsets", offsets), "linux.timeOffsets");
  }
  ASSIGN_OR_RETURN(Fd fd, base::sys::open("/proc/self/ns/time_for_children", O_RDONLY));
  if (::setns(fd.get(), CLONE_NEWTIME) != 0) return Error("setns time namespace", errno);
  return {};
}

Result<void> set_names(const oci::Spec& spec) {
  if (!spec.hostname.empty() && ::sethostname(spec.hostname.data(), spec.hostname.size()) != 0) {
    return Error("sethostname " + spec.hostname, errno).context("hostname");
  }
  if (!spec.domainname.empty() &&
      ::setdomainname(spec.domainname.data(), spec.domainname.size()) != 0) {
    return Error("setdomainname " + spec.domainname, errno).context("domainname");
  }
  return {};
}

Result<void> apply_sysctl(const oci::Spec& spec) {
  for (const auto& [key, value] : spec.linux.sysctl) {
    std::string path = "/proc/sys/" + key;
    for (size_t i = 10; i < path.size(); ++i) {
      if (path[i] == '.') path[i] = '/';
    }
    TRY_CTX(base::sys::write_file(path, value), "linux.sysctl." + key);
  }
  return {};
}

Result<void> join_session_keyring(const std::string& id) {
  std::string name = "_ses." + id;
  if (::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name.c_str()) < 0) {
    // Kernels without keys, or a keyring quota reached inside a user namespace: runc
    // carries on too, the container just shares the caller's session keyring.
    if (errno == ENOSYS || errno == EDQUOT || errno == EACCES) return {};
    return Error("join session keyring " + name, errno);
  }
  return {};
}

// Everything until the container is ready to exec; returns the executable.
Result<std::string> setup(const InitConfig& cfg, const oci::Spec& spec) {
  const Channel& chan = *cfg.channel;
  // Without a new user namespace nothing needs our /proc files writable by others: no
  // process of ours is reachable through /proc/<pid>/exe or /proc/<pid>/fd from the start
  // (a pid namespace joined by path may hold the container's processes already). With one,
  // the parent must write our uid_map first; nothing else is in our new namespaces yet.
  if (!cfg.user_namespace && ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return Error("prctl PR_SET_DUMPABLE", errno);
  }
  // Into our cgroup first, so that everything we do is accounted there. We still have the
  // credentials the fds were opened with, and are single-threaded: see cgroup.h.
  if (cfg.cgroup_join_fds) {
    for (const auto& fd : *cfg.cgroup_join_fds) {
      if (::write(fd.get(), "0", 1) != 1) return Error("join cgroup (write 0 to tasks)", errno);
    }
  }
  ASSIGN_OR_RETURN(Packet go_packet, chan.expect(Msg::kGo));
  GoMessage go = parse_go(go_packet.payload);
  TRY_CTX(join_namespaces(spec), "namespaces");
  // Before our ids change: a uid change makes us non-dumpable, and a non-dumpable process's
  // /proc/self files belong to the host's root, which no user namespace's root may write.
  if (cfg.unshare_timens) TRY_CTX(enter_time_namespace(spec), "time namespace");
  if (cfg.user_namespace) TRY_CTX(become_namespace_root(), "user namespace");
  // From here no process of ours is reachable through /proc/<pid>/exe or /proc/<pid>/fd.
  if (cfg.user_namespace && ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return Error("prctl PR_SET_DUMPABLE", errno);
  }
  if (cfg.unshare_cgroupns && ::unshare(CLONE_NEWCGROUP) != 0) {
    return Error("unshare cgroup namespace", errno);
  }
  TRY(set_names(spec));
  TRY_CTX(prepare_rootfs(spec, cfg.rootfs), "rootfs");
  if (!spec.hooks.create_runtime.empty() || !spec.hooks.prestart.empty()) {
    TRY(chan.send(Msg::kRunHooks));
    TRY(chan.expect(Msg::kHooksDone));
  }
  TRY(run_hooks(spec.hooks.create_container, "createContainer",
                state_as_seen_inside(go.state_json)));
  TRY_CTX(enter_rootfs(spec, cfg.rootfs), "rootfs");
  // Before /proc/sys becomes read-only (readonlyPaths) and paths are masked, as runc does.
  TRY(apply_sysctl(spec));
  TRY_CTX(finish_rootfs(spec), "rootfs");
  const oci::Process& p = spec.process;
  if (p.terminal) TRY_CTX(setup_console(p, chan, /*bind_dev_console=*/true), "console");
  if (cfg.new_keyring) TRY(join_session_keyring(cfg.id));
  TRY(apply_oom_score_adj(p));
  TRY(apply_rlimits(p));
  return become_process(p, go.setgroups_denied, cfg.seccomp, chan);
}

// Blocks until `start` opens exec.fifo for reading, then runs startContainer hooks.
Result<Fd> wait_for_start(const InitConfig& cfg) {
  ASSIGN_OR_RETURN(Fd fifo, base::sys::openat(cfg.state_dir_fd, "exec.fifo", O_WRONLY));
  return fifo;
}

[[noreturn]] void fail(const Channel& chan, int report_fd, const Error& e) {
  if (report_fd >= 0) {
    std::string msg = e.message();
    (void)!::write(report_fd, msg.data(), msg.size());
  } else {
    (void)chan.send_error(e);
  }
  ::_exit(1);
}

// The caller's fds become our 0, 1, 2 (dup2 leaves the copies inheritable; the originals
// are close-on-exec).
Result<void> take_stdio(const int* stdio) {
  for (int i = 0; i < 3; ++i) {
    if (stdio[i] >= 0 && stdio[i] != i && ::dup2(stdio[i], i) < 0) {
      return Error("dup2 stdio " + std::to_string(i), errno);
    }
  }
  return {};
}

// Dies with the monitor: set after the last credential change (which would clear it), and
// checked against a parent that is already gone.
Result<void> die_with_parent(int sig, pid_t parent) {
  if (::prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0) != 0) return Error("prctl PR_SET_PDEATHSIG", errno);
  if (::getppid() != parent) return Error("the container's parent exited during setup");
  return {};
}

}  // namespace

void container_init(const InitConfig& cfg) {
  if (cfg.close_first_fd >= 0) ::close(cfg.close_first_fd);
  pid_t parent = ::getppid();
  if (cfg.stdio) {
    if (auto r = take_stdio(cfg.stdio); !r) fail(*cfg.channel, -1, r.error());
  }
  const oci::Spec& spec = *cfg.spec;
  const Channel& chan = *cfg.channel;
  auto exe = setup(cfg, spec);
  if (!exe) fail(chan, -1, exe.error());
  if (auto r = chan.send(Msg::kReady); !r) ::_exit(1);

  auto next = chan.receive();
  if (!next || next->type == Msg::kEof) ::_exit(1);  // the parent died: nobody will start us
  int report_fd = -1;
  Fd fifo;
  if (next->type == Msg::kCreated) {
    if (auto r = chan.send(Msg::kAck); !r) ::_exit(1);
    auto f = wait_for_start(cfg);
    if (!f) fail(chan, -1, f.error());  // nobody reads the socket now; leaves a trace in strace
    fifo = std::move(*f);
    report_fd = fifo.get();
  } else if (next->type != Msg::kStart) {
    ::_exit(1);
  }
  if (auto r = run_hooks(spec.hooks.start_container, "startContainer",
                         state_as_seen_inside(next->payload));
      !r) {
    fail(chan, report_fd, r.error());
  }
  if (cfg.parent_death_signal) {
    if (auto r = die_with_parent(cfg.parent_death_signal, parent); !r) fail(chan, report_fd, r.error());
  }
  if (cfg.init_reaper) become_reaper();
  fail(chan, report_fd, exec_image(spec.process, *exe, cfg.preserve_fds));
}

}  // namespace hull::runtime
