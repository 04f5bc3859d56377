// The container lifecycle of the engine: create (record, spec, writable layer), start (the
// monitor), stop, kill, rm, wait, pause, rename. Waiting for an exit listens on the
// monitor's socket: its end is the container's end, with every record written.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "base/clock.h"
#include "base/signals.h"
#include "base/sys.h"
#include "base/undo.h"
#include "engine/attach.h"
#include "engine/engine.h"
#include "engine/image_pull.h"
#include "engine/monitor.h"
#include "engine/network_attach.h"
#include "engine/spec_builder.h"
#include "oci/capabilities.h"
#include "runtime/container.h"
#include "runtime/manage.h"

namespace hull::engine {

using base::Error;
using base::Fd;
using base::Result;

namespace {

// Reads the monitor's stream until its exit message or its end. False on timeout.
// timeout_ms < 0: no limit.
bool wait_for_end(int sock, int timeout_ms, std::optional<int>* code) {
  char buf[65537];
  for (;;) {
    pollfd p{sock, POLLIN, 0};
    int n = ::poll(&p, 1, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return false;
    ssize_t got = ::recv(sock, buf, sizeof buf, 0);
    if (got <= 0) return true;
    if (static_cast<AttachTag>(buf[0]) == AttachTag::kExit) {
      if (got > 1 && code) *code = std::atoi(std::string(buf + 1, got - 1).c_str());
      // The monitor exits right after: its socket's end means everything is written.
      while (::recv(sock, buf, sizeof buf, 0) > 0) {
      }
      return true;
    }
  }
}

// Whether this host can limit swap: cgroup v1's memsw files (off unless the kernel was
// booted with swap accounting) or v2's memory.swap.max.
bool swap_accounting() {
  struct stat st;
  return ::stat("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", &st) == 0 ||
         ::stat("/sys/fs/cgroup/init.scope/memory.swap.max", &st) == 0 ||
         ::stat("/sys/fs/cgroup/system.slice/memory.swap.max", &st) == 0;
}

// Our own bounding set: what --privileged can hand out.
std::vector<std::string> bounding_set() {
  std::vector<std::string> caps;
  for (int cap = 0; cap <= 63; ++cap) {
    int r = ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
    if (r < 0) break;  // past the kernel's last capability
    if (r == 1) caps.push_back(oci::capability_name(cap));
  }
  return caps;
}

}  // namespace

Result<void> Engine::resolve_namespaces(const RunOptions& run,
                                        std::map<oci::NamespaceType, std::string>* join) const {
  const struct {
    const std::string& value;
    const char* flag;
    oci::NamespaceType type;
  } modes[] = {{run.network, "--network", oci::NamespaceType::kNetwork},
               {run.pid, "--pid", oci::NamespaceType::kPid},
               {run.ipc, "--ipc", oci::NamespaceType::kIpc}};
  for (const auto& m : modes) {
    if (m.value.rfind("container:", 0) != 0) continue;
    std::string ref = m.value.substr(10);
    auto other = find(ref);
    if (!other) return std::move(other.error()).context(m.flag);
    if (!is_running(*other)) {
      return Error(std::string(m.flag) + " " + m.value + ": container " + ref + " is not running")
          .hint("start it first");
    }
    (*join)[m.type] =
        "/proc/" + std::to_string(other->pid) + "/ns/" + oci::namespace_info(m.type).proc_name;
  }
  return {};
}

namespace {

struct Made {
  std::string id;
  Fd lock;
  oci::Spec spec;                       // config.json as parsed once, for the first start
  std::vector<NetworkConfig> networks;  // the configs of its networks, read once
};

}  // namespace

// mark_created: `hull create` ends here; `hull run` leaves the record "creating" for the
// monitor it hands the lock to, which marks it running (or, dying first, leaves a record
// the next command removes as half-made).
static Result<Made> make_container(Engine& e, const ContainerStore& store, bool mark_created,
                                   const RunOptions& run,
                                   const std::map<oci::NamespaceType, std::string>& join) {
  ASSIGN_OR_RETURN(auto image, find_or_pull(e.images(), run.image));  // pulled if missing
  if (!image) {
    return Error("no such image: " + run.image)
        .hint("`hull images` lists the images here; `hull import` or `hull load` adds one");
  }
  ContainerRecord rec;
  rec.id = new_container_id();
  rec.name = run.name.empty() ? random_name() : run.name;
  rec.image = run.image;
  rec.image_id = image->id;
  rec.created = base::rfc3339_now();
  rec.tty = run.tty;
  rec.interactive = run.interactive;
  rec.auto_remove = run.remove;
  rec.init = run.init;
  rec.restart_policy = run.restart;
  rec.layer_dirs = image->layer_dirs;
  ASSIGN_OR_RETURN(RestartPolicy policy, parse_restart(run.restart));
  if (policy.kind != RestartPolicy::kNo && run.remove) {
    return Error("--restart " + run.restart + " and --rm cannot be used together");
  }
  std::string stop_signal = !run.stop_signal.empty() ? run.stop_signal : image->config.stop_signal;
  if (!stop_signal.empty()) {
    ASSIGN_OR_RETURN(rec.stop_signal, parse_signal(stop_signal, "--stop-signal"));
  }
  if (run.stop_timeout) rec.stop_timeout = *run.stop_timeout;
  for (const auto& l : run.labels) {
    size_t eq = l.find('=');
    rec.labels[l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
  }
  std::string dir = store.dir_of(rec.id);
  // Addresses and host ports are held from here: a failure below gives them back.
  std::vector<NetworkConfig> networks;
  TRY(e.plan_network(run, image->config, &rec, &networks));
  base::Undo undo;
  undo.push([&] { network_release(e.paths(), rec); });
  SpecInputs in;
  in.run = &run;
  in.image = &image->config;
  in.id = rec.id;
  in.rootfs = dir + "/rootfs";
  in.lookup_dirs.assign(image->layer_dirs.rbegin(), image->layer_dirs.rend());
  in.join = join;
  in.cgroups_path = e.paths().cgroup_parent + "/" + rec.id;
  in.rootless = ::geteuid() != 0;
  in.host_uid = ::geteuid();
  in.host_gid = ::getegid();
  in.swap_accounting = swap_accounting();
  in.available_capabilities = bounding_set();
  for (const char* f : {"hosts", "hostname", "resolv.conf"}) {
    in.etc_files[std::string("/etc/") + f] = dir + "/" + f;
  }
  // With -t from a terminal, the pty starts at the caller's size (as docker's create does):
  // the first resize from the attached client would come after the process started.
  winsize ws{};
  if (run.tty && ::isatty(0) && ::ioctl(0, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) {
    in.console_rows = ws.ws_row;
    in.console_cols = ws.ws_col;
  }
  ASSIGN_OR_RETURN(BuiltSpec built, build_spec(in));
  rec.command = built.spec.process.args;
  std::string network =
      run.network.empty() ? (rec.networks.empty() ? "none" : "bridge") : run.network;
  rec.run_options = {{"network", network},
                     {"pid", run.pid},
                     {"ipc", run.ipc},
                     {"uts", run.uts},
                     {"memory", run.memory},
                     {"cpus", run.cpus},
                     {"hostname", built.spec.hostname}};

  // A random name can collide: draw again, a few times.
  auto lock = store.create(rec);
  for (int i = 0; !lock && run.name.empty() && i < 5; ++i) {
    rec.name = random_name();
    lock = store.create(rec);
  }
  if (!lock) return std::move(lock.error());
  auto finish = [&]() -> Result<void> {
    // The rootfs dir is only the overlay's mount point; the container sees the overlay,
    // whose root takes the upper dir's mode: 0700 there would lock every user but root
    // out of the container's / (docker's diff dir is 0755 too).
    TRY(base::sys::mkdir(dir + "/rootfs", 0755));
    TRY(base::sys::mkdir(dir + "/upper", 0755));
    TRY(base::sys::mkdir(dir + "/work", 0700));
    if (::chmod((dir + "/upper").c_str(), 0755) != 0)
      return Error("chmod " + dir + "/upper", errno);
    TRY(base::sys::write_file_atomic(dir + "/config.json", built.text, 0600));
    TRY(e.write_etc_files(run, rec));
    if (mark_created) {
      TRY(store.update(rec.id, [](ContainerRecord& r) { r.state = ContainerState::kCreated; }));
    }
    return {};
  };
  if (auto r = finish(); !r) {
    (void)store.remove(rec);
    return std::move(r.error());
  }
  undo.dismiss();
  return Made{rec.id, std::move(*lock), std::move(built.spec), std::move(networks)};
}

Result<std::string> Engine::create(const RunOptions& run) {
  std::map<oci::NamespaceType, std::string> join;
  TRY(resolve_namespaces(run, &join));
  ASSIGN_OR_RETURN(Made m, make_container(*this, store_, /*mark_created=*/true, run, join));
  return m.id;
}

// made: config.json as `run` just parsed it and the networks' configs (the monitor is a
// fork: it has them in memory); nullptr for `start`, whose monitor reads the files.
static Result<Started> fork_monitor(const Paths& paths, bool debug, const std::string& id, Fd lock,
                                    bool attach, const Made* made) {
  int status[2];
  if (::pipe2(status, O_CLOEXEC) != 0) return Error("pipe", errno);
  Fd status_read(status[0]), status_write(status[1]);
  Fd ours, theirs;
  if (attach) {
    int sp[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) != 0) {
      return Error("socketpair", errno);
    }
    ours.reset(sp[0]);
    theirs.reset(sp[1]);
  }
  pid_t pid = ::fork();
  if (pid < 0) return Error("fork the monitor", errno);
  if (pid == 0) {
    status_read.reset();
    ours.reset();
    MonitorConfig cfg{paths,
                      id,
                      debug,
                      std::move(lock),
                      std::move(status_write),
                      std::move(theirs),
                      made ? &made->spec : nullptr,
                      made ? &made->networks : nullptr};
    run_monitor(std::move(cfg));
  }
  status_write.reset();
  theirs.reset();
  lock.reset();  // the monitor holds it now
  ASSIGN_OR_RETURN(std::string reply, base::sys::read_fd(status_read.get()));
  if (reply == "ok") return Started{id, std::move(ours)};
  if (!reply.empty() && reply[0] == 'E') return Error::deserialize(reply.substr(1));
  return Error("the monitor of container " + id.substr(0, 12) + " exited before it started");
}

Result<Started> Engine::start(const std::string& ref, bool attach) {
  ASSIGN_OR_RETURN(ContainerRecord r, find(ref));
  if (is_running(r)) return Error("container " + ref + " is already running");
  // A monitor whose container exited may still be cleaning up: wait for it to finish.
  ASSIGN_OR_RETURN(Fd lock, store_.lock_monitor(r.id, /*wait=*/true));
  ASSIGN_OR_RETURN(r, store_.load(r.id));
  if (r.state == ContainerState::kRunning || r.state == ContainerState::kPaused) {
    return Error("container " + ref + " is already running");
  }
  TRY(store_.update(r.id, [](ContainerRecord& c) { c.stop_requested = false; }));
  return fork_monitor(paths_, debug_, r.id, std::move(lock), attach, nullptr);
}

Result<Started> Engine::run(const RunOptions& run) {
  std::map<oci::NamespaceType, std::string> join;
  TRY(resolve_namespaces(run, &join));
  ASSIGN_OR_RETURN(Made m, make_container(*this, store_, /*mark_created=*/false, run, join));
  bool attach = !run.detach;
  auto started = fork_monitor(paths_, debug_, m.id, std::move(m.lock), attach, &m);
  if (!started) {
    // As nothing ran, nothing of it stays (docker keeps a created container here).
    if (auto r = store_.load(m.id)) {
      (void)store_.remove(*r);
      network_release(paths_, *r);
    }
    return std::move(started.error());
  }
  return started;
}

Result<void> Engine::stop(const std::string& ref, std::optional<int> timeout) {
  ASSIGN_OR_RETURN(ContainerRecord r, find(ref));
  if (!r.monitor_alive) return {};
  ASSIGN_OR_RETURN(r, store_.update(r.id, [](ContainerRecord& c) { c.stop_requested = true; }));
  auto sock = connect_monitor(monitor_socket(paths_, r.id));
  if (!sock) return {};  // the monitor just ended
  // A monitor whose container is not running is between two starts of a restart policy
  // (or finishing): it reads stop_requested before starting again, so it ends soon; if it
  // had already started again, the container is stopped as any other.
  while (!is_running(r)) {
    if (wait_for_end(sock->get(), 100, nullptr)) return {};
    auto now = store_.load(r.id);
    if (!now) return {};  // removed (--rm) as it ended
    r = std::move(*now);
  }
  // A frozen process takes no signal until thawed.
  if (r.state == ContainerState::kPaused) (void)unpause(r.id);
  (void)rt().kill(r.id, r.stop_signal, false);
  int seconds = timeout.value_or(r.stop_timeout);
  if (wait_for_end(sock->get(), seconds * 1000, nullptr)) return {};
  (void)rt().kill(r.id, SIGKILL, true);
  wait_for_end(sock->get(), -1, nullptr);
  return {};
}

Result<void> Engine::kill(const std::string& ref, int sig) {
  ASSIGN_OR_RETURN(ContainerRecord r, find(ref));
  if (!is_running(r)) return Error("container " + ref + " is not running");
  TRY(store_.update(r.id, [](ContainerRecord& c) { c.stop_requested = true; }));
  return rt().kill(r.id, sig, false);
}

Result<void> Engine::restart(const std::string& ref, std::optional<int> timeout) {
  TRY(stop(ref, timeout));
  ASSIGN_OR_RETURN(Started s, start(ref, false));
  (void)s;
  return {};
}

Result<void> Engine::remove(const std::string& ref, bool force) {
  ASSIGN_OR_RETURN(ContainerRecord r, find(ref));
  if (!force && is_running(r)) {
    return Error("cannot remove container " + ref + ": it is " + state_name(r.state))
        .hint("stop it first, or use rm -f");
  }
  // A live monitor of an exited container is between two starts of a restart policy, or
  // finishing. As docker, a restarting container needs -f; one finishing is waited for.
  auto policy = parse_restart(r.restart_policy);
  if (!force && r.monitor_alive && r.state == ContainerState::kExited && !r.stop_requested &&
      policy && policy->kind != RestartPolicy::kNo) {
    return Error("cannot remove container " + ref + ": it is restarting")
        .hint("stop it first, or use rm -f");
  }
  // Running or restarting: stopped at once (no grace period, as rm -f).
  if (r.monitor_alive) TRY(stop(r.id, 0));
  // The monitor ends soon after its container (or was killed): wait until it has, so that
  // its own cleaning and ours do not race; then whatever it could not clean goes here.
  auto monitor_gone = store_.lock_monitor(r.id, /*wait=*/true);  // held while we remove
  TRY(rt().remove(r.id, true));
  ::unlink(monitor_socket(paths_, r.id).c_str());
  if (auto now = store_.load(r.id)) {
    // A monitor unpublishes its container's ports before it records the exit code: a record
    // that ran and has none is one whose monitor was killed, and left them to us. (Only
    // then: unpublishing loads libnftables.)
    if (!now->started_at.empty() && !now->exit_code) network_cleanup(paths_, *now);
    TRY(store_.remove(*now));
    network_release(paths_, *now);
  }
  return {};
}

Result<std::optional<int>> Engine::wait(const std::string& ref) {
  ASSIGN_OR_RETURN(ContainerRecord r, find(ref));
  std::optional<int> code = r.exit_code;
  if (is_running(r) || (r.monitor_alive && r.state == ContainerState::kCreated)) {
    if (auto sock = connect_monitor(monitor_socket(paths_, r.id))) {
      wait_for_end(sock->get(), -1, &code);
    }
    if (auto now = store_.load(r.id)) code = now->exit_code;
  }
  return code;
}

Result<void> Engine::pause(const std::string& ref) {
  ASSIGN_OR_RETURN(ContainerRecord r, find(ref));
  if (!is_running(r)) return Error("container " + ref + " is not running");
  TRY(runtime::pause(rt(), r.id));
  TRY(store_.update(r.id, [](ContainerRecord& c) { c.state = ContainerState::kPaused; }));
  return {};
}

Result<void> Engine::unpause(const std::string& ref) {
  ASSIGN_OR_RETURN(ContainerRecord r, find(ref));
  if (r.state != ContainerState::kPaused || !r.monitor_alive) {
    return Error("container " + ref + " is not paused");
  }
  TRY(runtime::resume(rt(), r.id));
  TRY(store_.update(r.id, [](ContainerRecord& c) { c.state = ContainerState::kRunning; }));
  return {};
}

Result<void> Engine::rename(const std::string& ref, const std::string& new_name) {
  ASSIGN_OR_RETURN(ContainerRecord r, find(ref));
  return store_.rename(r.id, new_name);
}

Result<Fd> Engine::attach(const std::string& ref) {
  ASSIGN_OR_RETURN(ContainerRecord r, find(ref));
  if (!is_running(r)) return Error("container " + ref + " is not running");
  return connect_monitor(monitor_socket(paths_, r.id));
}

Result<oci::Spec> Engine::spec_of(const ContainerRecord& c) const {
  return oci::load_bundle(store_.dir_of(c.id));
}

Result<std::vector<pid_t>> Engine::pids(const std::string& ref) {
  ASSIGN_OR_RETURN(ContainerRecord r, find(ref));
  if (!is_running(r)) return Error("container " + ref + " is not running");
  return runtime::ps(rt(), r.id);
}

Result<nlohmann::json> Engine::stats(const std::string& ref) {
  ASSIGN_OR_RETURN(ContainerRecord r, find(ref));
  if (!is_running(r)) return Error("container " + ref + " is not running");
  nlohmann::json out;
  auto take = [&](const std::string& line) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded()) out = j.value("data", nlohmann::json::object());
  };
  TRY(runtime::events(rt(), r.id, std::chrono::milliseconds(0), /*stats_only=*/true, take));
  return out;
}

}  // namespace hull::engine
