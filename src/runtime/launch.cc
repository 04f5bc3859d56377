#include "runtime/launch.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>

#include "base/clock.h"
#include "base/log.h"
#include "base/sys.h"
#include "base/undo.h"
#include "runtime/console.h"
#include "runtime/hooks.h"
#include "runtime/idmap.h"
#include "runtime/init.h"
#include "runtime/seccomp.h"

namespace hull::runtime {

using base::Error;
using base::Fd;
using base::Result;

std::string hook_state(const Record& r, oci::Status status) {
  oci::State s;
  s.id = r.id;
  s.status = status;
  s.pid = r.pid;
  s.bundle = r.bundle;
  s.annotations = r.annotations;
  return oci::state_json(s).dump();
}

namespace {

Result<std::string> absolute(const std::string& path) {
  char buf[PATH_MAX];
  if (!::realpath(path.c_str(), buf)) return Error("bundle " + path, errno);
  return std::string(buf);
}

// pid and time namespaces joined by path apply to children: the parent joins them.
Result<void> join_for_children(const oci::Spec& spec) {
  const auto* pid = spec.linux.find(oci::NamespaceType::kPid);
  if (!pid || pid->path.empty()) return {};
  ASSIGN_OR_RETURN(Fd fd, base::sys::open(pid->path, O_RDONLY));
  if (::setns(fd.get(), CLONE_NEWPID) != 0) return Error("setns pid " + pid->path, errno);
  return {};
}

struct ClonePlan {
  uint64_t clone_flags = 0;
  bool unshare_cgroupns = false;
  bool unshare_timens = false;
  bool user_namespace = false;
};

ClonePlan plan_clone(const oci::Spec& spec, bool cgroup_fd) {
  ClonePlan p;
  for (const auto& ns : spec.linux.namespaces) {
    if (!ns.path.empty()) continue;
    const auto& info = oci::namespace_info(ns.type);
    if (ns.type == oci::NamespaceType::kCgroup && !cgroup_fd) {
      p.unshare_cgroupns = true;  // after the parent moved us into our cgroup
    } else if (ns.type == oci::NamespaceType::kTime) {
      p.unshare_timens = true;  // offsets must be written before anyone enters it
    } else {
      p.clone_flags |= static_cast<uint64_t>(info.clone_flag);
    }
  }
  p.user_namespace = p.clone_flags & CLONE_NEWUSER;
  return p;
}

Error clone_error(const Error& e, const ClonePlan& plan) {
  Error out = e;
  out.context("clone3");
  if (plan.user_namespace && (e.code() == EPERM || e.code() == ENOSPC || e.code() == EUSERS)) {
    std::string hint = user_namespace_hint();
    if (!hint.empty()) out.hint(hint);
  }
  return out;
}

}  // namespace

Result<Launched> launch(const StateStore& store, const std::string& id, const CreateOptions& opt,
                        LaunchMode mode) {
  ASSIGN_OR_RETURN(std::string bundle, absolute(opt.bundle));
  oci::Spec spec;
  if (opt.spec) {
    spec = *opt.spec;
  } else {
    ASSIGN_OR_RETURN(spec, oci::load_bundle(bundle));
  }
  if (spec.process.terminal && opt.console_socket.empty() && mode == LaunchMode::kCreate) {
    return Error("process.terminal is true but no --console-socket was given")
        .hint("pass --console-socket, or set process.terminal to false");
  }
  Fd console;
  if (!opt.console_socket.empty()) {
    ASSIGN_OR_RETURN(console, connect_console_socket(opt.console_socket));
  }

  std::string pid_file = opt.pid_file;
  if (!pid_file.empty() && pid_file[0] != '/') {
    char cwd[PATH_MAX];
    pid_file = std::string(::getcwd(cwd, sizeof cwd) ? cwd : ".") + "/" + pid_file;
  }

  // Declared before the undo stack, so they outlive the steps that take them back.
  std::unique_ptr<Cgroup> cgroup;
  Fd pidfd;
  pid_t pid = -1;
  base::Undo undo;
  ASSIGN_OR_RETURN(ContainerDir dir, store.create(id));
  undo.push([path = dir.path()] { (void)base::sys::remove_all(path); });
  // The spec as the container was made with it, for exec (one write into the new directory).
  TRY(base::sys::write_file_atomic(dir.path() + "/config.json", spec.source, 0600));

  Record rec;
  rec.id = id;
  rec.bundle = bundle;
  rec.rootfs = spec.root.path;
  rec.created = base::rfc3339_now();
  rec.annotations = spec.annotations;
  rec.poststart = spec.hooks.poststart;
  rec.poststop = spec.hooks.poststop;

  cgroup = make_cgroup(spec.linux.cgroups_path, id);
  if (auto r = cgroup->create(); !r) {
    int err = r.error().code();
    if (::geteuid() != 0 && (err == EACCES || err == EPERM || err == EROFS)) {
      base::log::debug("no cgroup for " + id + " (rootless): " + r.error().message());
      cgroup.reset();
    } else {
      return std::move(r.error());  // the cgroup layer names itself
    }
  }
  if (cgroup) {
    rec.cgroups_path = cgroup->path();
    undo.push([&cgroup] { (void)cgroup->destroy(); });
    // Recorded at once, so that if we are killed from here on, delete finds the cgroup.
    TRY(dir.save(rec));
    // Devices are always restricted, as runc does: a spec without rules gets "deny all"
    // and the cgroup layer's default allow list (null, zero, full, random, tty, pts …).
    oci::Resources resources = spec.linux.resources.value_or(oci::Resources{});
    if (resources.devices.empty()) resources.devices.push_back(oci::DeviceRule{});
    TRY(cgroup->apply(resources));
  }
  if (mode == LaunchMode::kCreate) {
    // The init opens the fifo after it took the container's uid, which may be any host uid
    // in a user namespace: the directory is searchable and the fifo writable by all, as
    // runc's. Nothing in the container can name them: /run/hull-oci is 0700 and our fd to
    // the directory is close-on-exec.
    TRY(base::sys::mkfifoat(dir.fd(), "exec.fifo", 0622));
    if (::fchmodat(dir.fd(), "exec.fifo", 0622, 0) != 0 || ::fchmod(dir.fd(), 0711) != 0) {
      return Error("chmod " + dir.path(), errno);
    }
  }
  ASSIGN_OR_RETURN(Fd state_dir_path, base::sys::open(dir.path(), O_PATH | O_DIRECTORY));
  ASSIGN_OR_RETURN(auto channels, Channel::pair());
  auto& [parent_chan, child_chan] = channels;
  if (::chdir(bundle.c_str()) != 0) return Error("chdir " + bundle, errno);
  TRY_CTX(join_for_children(spec), "namespaces");

  std::optional<SeccompProgram> seccomp;
  if (spec.linux.seccomp) {
    auto prog = compile_seccomp_cached(*spec.linux.seccomp, store.root() + "/seccomp-cache");
    if (!prog) return std::move(prog.error());
    for (const auto& name : prog->skipped) {
      base::log::debug("seccomp: syscall \"" + name + "\" is unknown here, rule skipped");
    }
    seccomp = std::move(*prog);
  }

  int cgroup_fd = cgroup ? cgroup->clone_fd() : -1;
  std::vector<Fd> cgroup_join_fds;
  if (cgroup && cgroup_fd < 0) {
    auto fds = cgroup->self_join_fds();
    if (!fds) return std::move(fds.error()).context("cgroup");
    cgroup_join_fds = std::move(*fds);
  }
  ClonePlan plan = plan_clone(spec, cgroup_fd >= 0);
  auto cloned = base::sys::clone3(plan.clone_flags, SIGCHLD, cgroup_fd);
  if (!cloned) return clone_error(cloned.error(), plan);
  if (cloned->pid == 0) {
    parent_chan.close();
    InitConfig cfg;
    cfg.spec = &spec;
    cfg.channel = &child_chan;
    cfg.id = id;
    cfg.state_dir_fd = state_dir_path.get();
    cfg.close_first_fd = dir.fd();
    cfg.rootfs.no_pivot = opt.no_pivot;
    cfg.rootfs.in_user_namespace =
        plan.user_namespace || spec.linux.find(oci::NamespaceType::kUser) != nullptr;
    cfg.preserve_fds = opt.preserve_fds;
    cfg.new_keyring = !opt.no_new_keyring;
    cfg.unshare_cgroupns = plan.unshare_cgroupns;
    cfg.unshare_timens = plan.unshare_timens;
    cfg.user_namespace = plan.user_namespace;
    cfg.seccomp = seccomp ? &*seccomp : nullptr;
    cfg.cgroup_join_fds = &cgroup_join_fds;
    cfg.stdio = opt.stdio;
    cfg.parent_death_signal = opt.parent_death_signal;
    cfg.init_reaper = opt.init_reaper;
    cfg.rootfs.overlay = opt.rootfs_overlay ? &*opt.rootfs_overlay : nullptr;
    container_init(cfg);
  }
  child_chan.close();
  cgroup_join_fds.clear();
  pidfd.reset(cloned->pidfd);
  pid = cloned->pid;
  rec.pid = pid;
  // A create that fails from here on still ends the lifecycle as the spec says: poststop
  // hooks run once the init is gone (this step is undone after the kill below).
  if (!rec.poststop.empty()) {
    undo.push([hooks = rec.poststop, state = hook_state(rec, oci::Status::kStopped)] {
      run_hooks_warn(hooks, "poststop", state);
    });
  }
  undo.push([&pidfd, pid] {
    (void)base::sys::pidfd_send_signal(pidfd.get(), SIGKILL);
    (void)base::sys::waitpid(pid);
  });

  bool setgroups_denied = false;
  if (plan.user_namespace) {
    ASSIGN_OR_RETURN(setgroups_denied, write_id_maps(pid, spec.linux));
  }
  std::string creating = hook_state(rec, oci::Status::kCreating);
  TRY(parent_chan.send(Msg::kGo, (setgroups_denied ? "1" : "0") + creating));

  Launched out;
  for (bool ready = false; !ready;) {
    ASSIGN_OR_RETURN(Packet p, parent_chan.receive());
    switch (p.type) {
      case Msg::kRunHooks:
        TRY(run_hooks(spec.hooks.prestart, "prestart", creating));
        TRY(run_hooks(spec.hooks.create_runtime, "createRuntime", creating));
        TRY(parent_chan.send(Msg::kHooksDone));
        break;
      case Msg::kPty:
        if (console) {
          TRY_CTX(base::sys::send_with_fd(console.get(), p.payload, p.fd.get()),
                  "--console-socket");
        } else {
          out.pty_master = std::move(p.fd);
        }
        break;
      case Msg::kSeccompListener:
        TRY_CTX(
            send_seccomp_listener(spec.linux.seccomp->listener_path,
                                  spec.linux.seccomp->listener_metadata, p.fd.get(), pid, creating),
            "linux.seccomp.listenerPath");
        break;
      case Msg::kReady:
        ready = true;
        break;
      case Msg::kError:
        return Error::deserialize(p.payload);
      default:
        return Error("container init exited during setup");
    }
  }
  auto st = base::sys::proc_stat(pid);
  if (!st) return Error("container init exited during setup");
  rec.start_time = st->start_time;
  rec.status = mode == LaunchMode::kCreate ? oci::Status::kCreated : oci::Status::kRunning;
  TRY(dir.save(rec));
  if (!pid_file.empty()) {
    TRY_CTX(base::sys::write_file_atomic(pid_file, std::to_string(pid), 0644), "--pid-file");
    undo.push([pid_file] { ::unlink(pid_file.c_str()); });
  }
  if (mode == LaunchMode::kCreate) {
    TRY(parent_chan.send(Msg::kCreated, hook_state(rec, oci::Status::kCreated)));
    TRY(parent_chan.expect(Msg::kAck));
  } else {
    TRY(parent_chan.send(Msg::kStart, hook_state(rec, oci::Status::kRunning)));
    // EOF now means execve happened: the child's end of the socket is close-on-exec.
    ASSIGN_OR_RETURN(Packet p, parent_chan.receive());
    if (p.type == Msg::kError) return Error::deserialize(p.payload);
  }
  undo.dismiss();
  out.record = std::move(rec);
  out.pidfd = std::move(pidfd);
  return out;
}

}  // namespace hull::runtime
