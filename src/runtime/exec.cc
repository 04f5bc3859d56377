#include "runtime/exec.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "base/log.h"
#include "base/sys.h"
#include "runtime/become.h"
#include "runtime/cgroup.h"
#include "runtime/channel.h"
#include "runtime/console.h"
#include "runtime/launch.h"
#include "runtime/process.h"
#include "runtime/seccomp.h"
#include "runtime/supervise.h"

namespace hull::runtime {

using base::Error;
using base::Fd;
using base::Result;

namespace {

// The namespaces of `pid` that are not ours: the flags for setns(pidfd, …).
int foreign_namespaces(pid_t pid, bool* has_pid_ns) {
  int flags = 0;
  *has_pid_ns = false;
  for (const auto& info : oci::all_namespaces()) {
    std::string name = info.proc_name;
    struct stat theirs, ours;
    if (::stat(("/proc/" + std::to_string(pid) + "/ns/" + name).c_str(), &theirs) != 0) continue;
    if (::stat(("/proc/self/ns/" + name).c_str(), &ours) != 0) continue;
    if (theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev) continue;
    if (info.type == oci::NamespaceType::kPid) {
      *has_pid_ns = true;  // joined by the parent: it applies to children only
      continue;
    }
    flags |= info.clone_flag;
  }
  return flags;
}

struct ChildPlan {
  const oci::Process* process;
  const SeccompProgram* seccomp;
  int pidfd;
  int ns_flags;
  const std::vector<Fd>* cgroup_join_fds;
  bool setgroups_denied;
  int preserve_fds;
  const int* stdio;
};

Result<std::string> child_steps(const ChildPlan& plan, const Channel& chan) {
  const oci::Process& p = *plan.process;
  for (int i = 0; i < 3; ++i) {
    if (plan.stdio[i] >= 0 && plan.stdio[i] != i && ::dup2(plan.stdio[i], i) < 0) {
      return Error("dup2 stdio " + std::to_string(i), errno);
    }
  }
  for (const auto& fd : *plan.cgroup_join_fds) {
    if (::write(fd.get(), "0", 1) != 1) return Error("join cgroup (write 0 to tasks)", errno);
  }
  // No process of the container may reach our binary or fds through /proc before exec.
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return Error("prctl PR_SET_DUMPABLE", errno);
  if (plan.ns_flags && ::setns(plan.pidfd, plan.ns_flags) != 0) {
    return Error("setns into the container's namespaces", errno);
  }
  if (plan.ns_flags & CLONE_NEWUSER) {
    if (::setresgid(0, 0, 0) != 0 || ::setresuid(0, 0, 0) != 0) {
      return Error("become root of the container's user namespace", errno);
    }
  }
  if (p.terminal) TRY_CTX(setup_console(p, chan, /*bind_dev_console=*/false), "console");
  TRY(apply_oom_score_adj(p));
  TRY(apply_rlimits(p));
  return become_process(p, plan.setgroups_denied, plan.seccomp, chan);
}

[[noreturn]] void exec_child(const ChildPlan& plan, const Channel& chan) {
  auto exe = child_steps(plan, chan);
  if (!exe) {
    (void)chan.send_error(exe.error());
    ::_exit(1);
  }
  (void)chan.send_error(exec_image(*plan.process, *exe, plan.preserve_fds));
  ::_exit(127);
}

}  // namespace

Result<oci::Spec> load_container_spec(const Runtime& rt, const std::string& id) {
  ASSIGN_OR_RETURN(ContainerDir dir, rt.store().open(id));
  ASSIGN_OR_RETURN(std::string text, base::sys::read_file(dir.path() + "/config.json"));
  return oci::parse_spec(text);
}

Result<int> exec_process(const Runtime& rt, const std::string& id, const oci::Process& process,
                         const ExecOptions& opt) {
  if (process.terminal && opt.console_socket.empty() && opt.detach) {
    return Error("--tty with --detach needs --console-socket");
  }
  std::string pid_file = opt.pid_file;
  if (!pid_file.empty() && pid_file[0] != '/') {
    char cwd[PATH_MAX];
    pid_file = std::string(::getcwd(cwd, sizeof cwd) ? cwd : ".") + "/" + pid_file;
  }
  Record rec;
  Fd init;
  std::optional<oci::Spec> spec;
  {
    ASSIGN_OR_RETURN(ContainerDir dir, rt.store().open(id));
    ASSIGN_OR_RETURN(rec, dir.load());
    oci::Status status = live_status(rec);
    if (status != oci::Status::kRunning && status != oci::Status::kCreated) {
      return Error("cannot exec in container \"" + id + "\": it is " + oci::status_name(status));
    }
    ASSIGN_OR_RETURN(init, base::sys::pidfd_open(rec.pid));
    if (live_status(rec) == oci::Status::kStopped) {
      return Error("cannot exec in container \"" + id + "\": it is stopped");
    }
    ASSIGN_OR_RETURN(std::string text, base::sys::read_file(dir.path() + "/config.json"));
    ASSIGN_OR_RETURN(spec, oci::parse_spec(text));
  }
  const bool partial = opt.only_namespaces != 0;
  std::optional<SeccompProgram> seccomp;
  if (spec->linux.seccomp && !partial) {
    ASSIGN_OR_RETURN(seccomp, compile_seccomp_cached(*spec->linux.seccomp,
                                                     rt.options().root + "/seccomp-cache"));
  }
  std::unique_ptr<Cgroup> cgroup;
  std::vector<Fd> join_fds;
  int cgroup_fd = -1;
  if (!rec.cgroups_path.empty() && !partial) {
    cgroup = make_cgroup(rec.cgroups_path, rec.id);
    // v1: the tasks files of the existing directories; v2 has none, and create() (which
    // only opens the existing directory there) gives the fd for CLONE_INTO_CGROUP.
    auto fds = cgroup->self_join_fds();
    if (!fds) return std::move(fds.error()).context("cgroup");
    join_fds = std::move(*fds);
    if (join_fds.empty()) {
      TRY(cgroup->create());
      cgroup_fd = cgroup->clone_fd();
    }
  }
  auto setgroups = base::sys::read_file("/proc/" + std::to_string(rec.pid) + "/setgroups");
  bool setgroups_denied = setgroups && setgroups->rfind("deny", 0) == 0;

  bool has_pid_ns = false;
  int ns_flags = foreign_namespaces(rec.pid, &has_pid_ns);
  if (partial) {
    ns_flags &= opt.only_namespaces;
    has_pid_ns = has_pid_ns && (opt.only_namespaces & CLONE_NEWPID);
  }
  if (has_pid_ns && ::setns(init.get(), CLONE_NEWPID) != 0) {
    return Error("setns into the container's pid namespace", errno);
  }
  Fd console;
  if (!opt.console_socket.empty()) {
    ASSIGN_OR_RETURN(console, connect_console_socket(opt.console_socket));
  }
  Supervisor sup;
  if (!opt.detach) TRY(sup.block_signals());
  ASSIGN_OR_RETURN(auto channels, Channel::pair());
  auto& [parent_chan, child_chan] = channels;
  auto cloned = base::sys::clone3(0, SIGCHLD, cgroup_fd);
  if (!cloned) return std::move(cloned.error());
  if (cloned->pid == 0) {
    parent_chan.close();
    ChildPlan plan{&process,        seccomp ? &*seccomp : nullptr,
                   init.get(),      ns_flags,
                   &join_fds,       setgroups_denied,
                   opt.preserve_fds,    opt.stdio};
    exec_child(plan, child_chan);
  }
  child_chan.close();
  Fd pidfd(cloned->pidfd);
  pid_t pid = cloned->pid;
  Fd pty;
  for (;;) {
    auto packet = parent_chan.receive();
    if (!packet || packet->type == Msg::kError ||
        (packet->type != Msg::kPty && packet->type != Msg::kEof &&
         packet->type != Msg::kSeccompListener)) {
      (void)base::sys::pidfd_send_signal(pidfd.get(), SIGKILL);
      (void)base::sys::waitpid(pid);
      if (!packet) return std::move(packet.error());
      if (packet->type == Msg::kError) return Error::deserialize(packet->payload);
      return Error("exec: unexpected message from the new process");
    }
    if (packet->type == Msg::kEof) break;  // execve happened: our socket end was close-on-exec
    if (packet->type == Msg::kSeccompListener) {
      TRY_CTX(send_seccomp_listener(spec->linux.seccomp->listener_path,
                                    spec->linux.seccomp->listener_metadata, packet->fd.get(), pid,
                                    hook_state(rec, oci::Status::kRunning)),
              "linux.seccomp.listenerPath");
      continue;
    }
    if (console) {
      TRY_CTX(base::sys::send_with_fd(console.get(), packet->payload, packet->fd.get()),
              "--console-socket");
    } else {
      pty = std::move(packet->fd);
    }
  }
  if (!pid_file.empty()) {
    TRY_CTX(base::sys::write_file_atomic(pid_file, std::to_string(pid), 0644), "--pid-file");
  }
  if (opt.detach) return 0;
  return sup.wait(pid, pidfd.get(), pty.get(), opt.relay_stdin);
}

}  // namespace hull::runtime
