#include "runtime/container.h"

#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "base/log.h"
#include "base/signals.h"
#include "base/sys.h"
#include "runtime/cgroup.h"
#include "runtime/hooks.h"
#include "runtime/launch.h"
#include "runtime/supervise.h"

namespace hull::runtime {

using base::Error;
using base::Fd;
using base::Result;

namespace {

std::string owner_of(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return "";
  if (passwd* pw = ::getpwuid(st.st_uid)) return pw->pw_name;
  return "#" + std::to_string(st.st_uid);
}

ContainerInfo info_of(const Record& r, const std::string& dir) {
  ContainerInfo info;
  info.state.id = r.id;
  info.state.status = live_status(r);
  info.state.pid = info.state.status == oci::Status::kStopped ? 0 : r.pid;
  info.state.bundle = r.bundle;
  info.state.annotations = r.annotations;
  info.rootfs = r.rootfs;
  info.created = r.created;
  info.owner = owner_of(dir);
  return info;
}

// A pidfd for the container's init, or nothing when it is gone or its pid was reused.
std::optional<Fd> open_init(const Record& r) {
  if (live_status(r) == oci::Status::kStopped) return std::nullopt;
  auto fd = base::sys::pidfd_open(r.pid);
  if (!fd) return std::nullopt;
  // The pid could have been reused between the check and pidfd_open: check again.
  if (live_status(r) == oci::Status::kStopped) return std::nullopt;
  return std::move(*fd);
}

// Waits until the process behind pidfd has exited (a zombie counts); false on timeout.
bool wait_exit(int pidfd, int timeout_ms) {
  pollfd p{pidfd, POLLIN, 0};
  for (;;) {
    int n = ::poll(&p, 1, timeout_ms);
    if (n >= 0) return n > 0;
    if (errno != EINTR) return false;
  }
}

std::unique_ptr<Cgroup> cgroup_of(const Record& r) {
  if (r.cgroups_path.empty()) return nullptr;
  return make_cgroup(r.cgroups_path, r.id);
}

// Kills everything of the container and removes its cgroup, state and (poststop) runs hooks.
Result<void> destroy(const ContainerDir& dir, const Record& r) {
  auto cg = cgroup_of(r);
  if (auto init = open_init(r)) {
    if (cg) (void)cg->signal_all(SIGKILL);
    (void)base::sys::pidfd_send_signal(init->get(), SIGKILL);
    if (!wait_exit(init->get(), 10000)) {
      return Error("container \"" + r.id + "\": init (pid " + std::to_string(r.pid) +
                   ") did not die after SIGKILL");
    }
  }
  if (cg) TRY(cg->destroy());
  run_hooks_warn(r.poststop, "poststop", hook_state(r, oci::Status::kStopped));
  return dir.remove();
}

}  // namespace

Result<void> Runtime::create(const std::string& id, const CreateOptions& opt) {
  ASSIGN_OR_RETURN(Launched l, launch(store_, id, opt, LaunchMode::kCreate));
  (void)l;
  return {};
}

Result<void> Runtime::start(const std::string& id) {
  ASSIGN_OR_RETURN(ContainerDir dir, store_.open(id));
  ASSIGN_OR_RETURN(Record r, dir.load());
  oci::Status status = live_status(r);
  if (status != oci::Status::kCreated) {
    return Error("cannot start container \"" + id + "\": it is " + oci::status_name(status));
  }
  auto init = open_init(r);
  if (!init) return Error("cannot start container \"" + id + "\": it is stopped");
  // Opening the fifo for reading releases the init blocked opening it for writing. It then
  // runs startContainer hooks and execs: exec closes its end, which we see as EOF. Bytes
  // before EOF are an error the init reports.
  ASSIGN_OR_RETURN(Fd fifo, base::sys::openat(dir.fd(), "exec.fifo", O_RDONLY | O_NONBLOCK));
  std::string report;
  bool connected = false;
  for (bool done = false; !done;) {
    pollfd fds[2] = {{fifo.get(), POLLIN, 0}, {init->get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return Error("poll exec.fifo", errno);
    }
    if (fds[0].revents & (POLLIN | POLLHUP)) {
      char buf[4096];
      ssize_t n = ::read(fifo.get(), buf, sizeof buf);
      if (n > 0) {
        report.append(buf, static_cast<size_t>(n));
        connected = true;
      } else if (n == 0 && (fds[0].revents & POLLHUP)) {
        connected = true;
        done = true;
      }
    } else if (fds[1].revents & POLLIN) {
      if (!connected) return Error("container init exited before it could be started");
      done = true;
    }
  }
  ::unlinkat(dir.fd(), "exec.fifo", 0);
  if (!report.empty()) return Error(report);
  r.status = oci::Status::kRunning;
  TRY(dir.save(r));
  run_hooks_warn(r.poststart, "poststart", hook_state(r, oci::Status::kRunning));
  return {};
}

Result<int> Runtime::run(const std::string& id, const CreateOptions& opt, bool detach) {
  Supervisor sup;  // blocks the signals to forward before the init is cloned
  if (!detach) TRY(sup.block_signals());
  auto launched = launch(store_, id, opt, LaunchMode::kRun);
  if (!launched) return std::move(launched.error());
  Launched& l = *launched;
  run_hooks_warn(l.record.poststart, "poststart", hook_state(l.record, oci::Status::kRunning));
  if (detach) return 0;
  ASSIGN_OR_RETURN(int code, sup.wait(l.record.pid, l.pidfd.get(), l.pty_master.get()));
  if (auto dir = store_.open(id)) {
    if (auto r = destroy(*dir, l.record); !r) base::log::warn(r.error().message());
  }
  return code;
}

Result<OwnedInit> Runtime::run_owned(const std::string& id, const CreateOptions& opt) {
  ASSIGN_OR_RETURN(Launched l, launch(store_, id, opt, LaunchMode::kRun));
  run_hooks_warn(l.record.poststart, "poststart", hook_state(l.record, oci::Status::kRunning));
  OwnedInit out;
  out.pid = l.record.pid;
  out.pidfd = std::move(l.pidfd);
  out.pty_master = std::move(l.pty_master);
  return out;
}

Result<ContainerInfo> Runtime::state(const std::string& id) const {
  // No lock: a create blocked in a hook must not hold up `state` or `list`.
  ASSIGN_OR_RETURN(ContainerDir dir, store_.peek(id));
  auto r = dir.load();
  if (!r && r.error().code() != ENOENT) return std::move(r.error());
  if (!r) {
    // Renamed away by a delete between our open and read: it no longer exists.
    struct stat by_fd, by_path;
    if (::fstat(dir.fd(), &by_fd) != 0 || ::stat(dir.path().c_str(), &by_path) != 0 ||
        by_fd.st_ino != by_path.st_ino) {
      return Error("container \"" + id + "\" does not exist");
    }
  }
  if (!r || r->status == oci::Status::kCreating) {
    // Still being created while its creator holds the lock; stopped if that creator died.
    ContainerInfo info = r ? info_of(*r, dir.path()) : ContainerInfo{};
    info.state.id = id;
    info.state.pid = 0;
    info.state.status = StateStore::locked(dir) ? oci::Status::kCreating : oci::Status::kStopped;
    return info;
  }
  return info_of(*r, dir.path());
}

std::vector<ContainerInfo> Runtime::list() const {
  std::vector<ContainerInfo> out;
  for (const auto& id : store_.ids()) {
    auto info = state(id);
    if (info) out.push_back(std::move(*info));
  }
  return out;
}

Result<void> Runtime::kill(const std::string& id, int sig, bool all) {
  ASSIGN_OR_RETURN(ContainerDir dir, store_.open(id));
  ASSIGN_OR_RETURN(Record r, dir.load());
  auto init = open_init(r);
  if (!init) return Error("container \"" + id + "\" is not running");
  auto cg = cgroup_of(r);
  if (all && cg) {
    TRY(cg->signal_all(sig));
  } else {
    TRY(base::sys::pidfd_send_signal(init->get(), sig));
  }
  // A frozen process takes no signal until thawed: SIGKILL must not wait for `resume`.
  if (cg && sig == SIGKILL && live_status(r) == oci::Status::kPaused) TRY(cg->thaw());
  return {};
}

bool Runtime::exists(const std::string& id) const {
  struct stat st;
  return validate_id(id) && ::stat((opt_.root + "/" + id).c_str(), &st) == 0;
}

Result<void> Runtime::remove(const std::string& id, bool force) {
  auto opened = store_.open(id);
  // As runc: with force, a container that is not there (never was, or another delete
  // holding the lock before us removed it) is what was asked for.
  if (!opened && force && !exists(id)) return {};
  if (!opened) return std::move(opened.error());
  ContainerDir& dir = *opened;
  auto r = dir.load();
  if (!r) {
    // A create killed half-way leaves a directory without state: nothing else of it is
    // known to exist, so the directory is all there is to remove.
    if (r.error().code() == ENOENT) return dir.remove();
    return std::move(r.error());
  }
  oci::Status status = live_status(*r);
  if (!force && (status == oci::Status::kRunning || status == oci::Status::kPaused)) {
    return Error("cannot delete container \"" + id +
                 "\" that is not stopped: " + oci::status_name(status))
        .hint("stop it first, or use delete --force");
  }
  return destroy(dir, *r);
}

}  // namespace hull::runtime
