#include "engine/monitor.h"

#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "base/clock.h"
#include "base/sys.h"
#include "engine/attach.h"
#include "engine/container_store.h"
#include "engine/log_file.h"
#include "engine/network_attach.h"
#include "engine/spec_builder.h"
#include "runtime/container.h"

namespace hull::engine {

using base::Error;
using base::Fd;
using base::Result;

std::string monitor_socket(const Paths& paths, const std::string& id) {
  return paths.sockets() + "/" + id.substr(0, 16);
}

namespace {

struct Client {
  Fd sock;
  // Sent to with waiting: the foreground `hull run` (never dropped), and the others up to
  // their SO_SNDTIMEO.
  bool blocking = false;
};

// How long a client (`hull attach`, `hull wait`) may take no output before it is dropped.
// Until then the container's output waits for it, as with docker: a client whose stdout is
// a slow pipe (`hull attach web | less`) gets everything, while a stuck one stalls the
// container only this long.
constexpr int kClientSendTimeoutSeconds = 10;

// One start of the container: its init and its stdio as the monitor holds them.
struct Streams {
  pid_t pid = 0;
  Fd pidfd;
  Fd out, err;  // read ends (no tty)
  Fd in;        // write end (-i, no tty)
  Fd pty;       // master (tty)
  // Client input the process has not read yet. Written without blocking: a monitor stuck
  // writing to a process that does not read would stop relaying its output, and the
  // process would block on that; past kStdinBuffered bytes we stop reading the clients.
  std::string stdin_buf;
  bool stdin_eof = false;  // close s.in once stdin_buf is written
  int stdin_fd() const { return pty ? pty.get() : in.get(); }
};

constexpr size_t kStdinBuffered = 1 << 18;

class Monitor {
 public:
  explicit Monitor(MonitorConfig cfg)
      : cfg_(std::move(cfg)),
        store_(cfg_.paths),
        rt_(runtime::RuntimeOptions{cfg_.paths.runtime_root(), cfg_.debug}) {}

  [[noreturn]] void run();

 private:
  Result<void> listen();
  // spec: already parsed (the first start of `hull run`), or nullptr to read config.json.
  // nets: the networks' configs likewise, or nullptr to read them.
  Result<Streams> start(const ContainerRecord& rec, const oci::Spec* spec,
                        const std::vector<NetworkConfig>* nets);
  // Relays until the init exits; returns its exit code.
  int supervise(Streams& s);
  void broadcast(AttachTag tag, const std::string& data);
  void on_output(Stream stream, int fd, bool* open);
  void on_client(size_t i, Streams& s);
  void flush_stdin(Streams& s);
  void accept_client();
  bool should_restart(const ContainerRecord& rec, int code) const;

  MonitorConfig cfg_;
  ContainerStore store_;
  runtime::Runtime rt_;
  std::optional<LogWriter> log_;
  std::optional<ContainerNetwork> net_;  // the bridged container's, for one start
  Fd listener_;
  std::vector<Client> clients_;
};

void Monitor::broadcast(AttachTag tag, const std::string& data) {
  std::string msg(1, static_cast<char>(tag));
  msg += data;
  for (size_t i = 0; i < clients_.size();) {
    int flags = MSG_NOSIGNAL | (clients_[i].blocking ? 0 : MSG_DONTWAIT);
    ssize_t n;
    do {
      n = ::send(clients_[i].sock.get(), msg.data(), msg.size(), flags);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      clients_.erase(clients_.begin() + static_cast<long>(i));  // gone, or too slow
    } else {
      ++i;
    }
  }
}

void Monitor::on_output(Stream stream, int fd, bool* open) {
  char buf[32768];
  ssize_t n = ::read(fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    *open = false;  // EOF, or EIO on a pty whose every slave closed
    return;
  }
  std::string_view data(buf, static_cast<size_t>(n));
  if (log_) (void)log_->write(stream, data);
  broadcast(stream == Stream::kStdout ? AttachTag::kStdout : AttachTag::kStderr, std::string(data));
}

void Monitor::accept_client() {
  Fd c(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!c) return;
  timeval tv{kClientSendTimeoutSeconds, 0};
  // Without the timeout the client would be sent to without waiting, and dropped by the
  // first burst of output it had no room for.
  bool timed = ::setsockopt(c.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == 0;
  clients_.push_back({std::move(c), timed});
}

void Monitor::on_client(size_t i, Streams& s) {
  char buf[65537];
  ssize_t n = ::recv(clients_[i].sock.get(), buf, sizeof buf, 0);
  if (n <= 0) {
    clients_.erase(clients_.begin() + static_cast<long>(i));
    return;
  }
  auto tag = static_cast<AttachTag>(buf[0]);
  std::string payload(buf + 1, static_cast<size_t>(n - 1));
  if (tag == AttachTag::kStdin && s.stdin_fd() >= 0) {
    s.stdin_buf += payload;
    flush_stdin(s);
  } else if (tag == AttachTag::kStdinEof && s.in) {
    s.stdin_eof = true;  // the process sees EOF on stdin, as with docker run -i
    flush_stdin(s);
  } else if (tag == AttachTag::kResize && s.pty) {
    winsize ws{};
    unsigned rows = 0, cols = 0;
    if (std::sscanf(payload.c_str(), "%u %u", &rows, &cols) == 2) {
      ws.ws_row = static_cast<unsigned short>(rows);
      ws.ws_col = static_cast<unsigned short>(cols);
      ::ioctl(s.pty.get(), TIOCSWINSZ, &ws);
    }
  }
}

void Monitor::flush_stdin(Streams& s) {
  int fd = s.stdin_fd();
  if (fd >= 0 && !s.stdin_buf.empty()) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    while (!s.stdin_buf.empty()) {
      ssize_t n = ::write(fd, s.stdin_buf.data(), s.stdin_buf.size());
      if (n > 0) {
        s.stdin_buf.erase(0, static_cast<size_t>(n));
      } else if (n < 0 && errno == EAGAIN) {
        return;  // supervise() polls for room
      } else if (n == 0 || errno != EINTR) {
        s.stdin_buf.clear();  // EPIPE, EIO: nobody reads the container's stdin any more
      }
    }
  }
  if (s.stdin_buf.empty() && s.stdin_eof) s.in.reset();
}

Result<void> Monitor::listen() {
  TRY(base::sys::mkdir_all(cfg_.paths.sockets(), 0700));
  std::string path = monitor_socket(cfg_.paths, cfg_.id);
  ::unlink(path.c_str());
  listener_.reset(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!listener_) return Error("socket", errno);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return Error("socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return Error("bind " + path, errno);
  }
  if (::listen(listener_.get(), 16) != 0) return Error("listen " + path, errno);
  return {};
}

Result<Fd> dev_null(int flags) { return base::sys::open("/dev/null", flags); }

Result<Streams> Monitor::start(const ContainerRecord& rec, const oci::Spec* spec,
                               const std::vector<NetworkConfig>* nets) {
  std::string dir = store_.dir_of(rec.id);
  runtime::CreateOptions opt;
  opt.bundle = dir;
  opt.spec = spec;
  // A bridged container joins the network namespace we made and wired for it; the runtime
  // opens it through our fd table (nothing is mounted for it, so nothing can leak).
  oci::Spec wired;
  if (!rec.networks.empty()) {
    ASSIGN_OR_RETURN(ContainerNetwork net, ContainerNetwork::up(cfg_.paths, rec, nets));
    if (spec) {
      wired = *spec;
    } else {
      ASSIGN_OR_RETURN(wired, oci::load_bundle(dir));
    }
    for (auto& ns : wired.linux.namespaces) {
      if (ns.type == oci::NamespaceType::kNetwork && ns.path.empty()) {
        ns.path = "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(net.netns_fd());
      }
    }
    opt.spec = &wired;
    net_.emplace(std::move(net));
  }
  runtime::Overlay ov;
  ov.lower_dirs = rec.layer_dirs;
  ov.upper_dir = dir + "/upper";
  ov.work_dir = dir + "/work";
  opt.rootfs_overlay = std::move(ov);
  opt.parent_death_signal = SIGKILL;
  opt.init_reaper = rec.init;
  Streams s;
  Fd child_in, child_out, child_err;
  if (!rec.tty) {
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) return Error("pipe", errno);
    s.out.reset(out[0]);
    child_out.reset(out[1]);
    s.err.reset(err[0]);
    child_err.reset(err[1]);
    if (rec.interactive) {
      int in[2];
      if (::pipe2(in, O_CLOEXEC) != 0) return Error("pipe", errno);
      child_in.reset(in[0]);
      s.in.reset(in[1]);
    } else {
      ASSIGN_OR_RETURN(child_in, dev_null(O_RDONLY | O_CLOEXEC));
    }
    opt.stdio[0] = child_in.get();
    opt.stdio[1] = child_out.get();
    opt.stdio[2] = child_err.get();
  }
  ASSIGN_OR_RETURN(runtime::OwnedInit init, rt_.run_owned(rec.id, opt));
  s.pty = std::move(init.pty_master);
  s.pid = init.pid;
  s.pidfd = std::move(init.pidfd);
  return s;
}

int Monitor::supervise(Streams& s) {
  // SIGCHLD wakes us for orphans we reap as subreaper (--pid host); the init's end is
  // seen on its pidfd.
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  Fd sig(::signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK));
  bool out_open = static_cast<bool>(s.out), err_open = static_cast<bool>(s.err);
  bool pty_open = static_cast<bool>(s.pty);
  int status = -1;
  bool exited = false;
  while (!exited) {
    std::vector<pollfd> fds = {{s.pidfd.get(), POLLIN, 0},
                               {out_open ? s.out.get() : -1, POLLIN, 0},
                               {err_open ? s.err.get() : -1, POLLIN, 0},
                               {pty_open ? s.pty.get() : -1, POLLIN, 0},
                               {listener_.get(), POLLIN, 0},
                               {sig.get(), POLLIN, 0},
                               {s.stdin_buf.empty() ? -1 : s.stdin_fd(), POLLOUT, 0}};
    short client_events = s.stdin_buf.size() < kStdinBuffered ? POLLIN : 0;
    for (const auto& c : clients_) fds.push_back({c.sock.get(), client_events, 0});
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents) on_output(Stream::kStdout, s.out.get(), &out_open);
    if (fds[2].revents) on_output(Stream::kStderr, s.err.get(), &err_open);
    if (fds[3].revents) on_output(Stream::kStdout, s.pty.get(), &pty_open);
    if (fds[4].revents & POLLIN) accept_client();
    if (fds[6].revents) flush_stdin(s);
    // Clients last, from the end, so that erasing one keeps the others' indexes.
    for (size_t i = fds.size(); i-- > 7;) {
      if (fds[i].revents) on_client(i - 7, s);
    }
    if (fds[5].revents & POLLIN) {
      signalfd_siginfo si;
      while (::read(sig.get(), &si, sizeof si) > 0) {
      }
    }
    // Reap whatever ended; the init's status is the one we keep.
    for (;;) {
      int st;
      pid_t p = ::waitpid(-1, &st, WNOHANG);
      if (p <= 0) break;
      if (p == s.pid) {
        status = st;
        exited = true;
      }
    }
  }
  // What the process wrote before it exited is still in the pipes: drain it (without
  // waiting for writers that outlive the init).
  for (auto [fd, stream, open] : {std::tuple{s.out.get(), Stream::kStdout, out_open},
                                  std::tuple{s.err.get(), Stream::kStderr, err_open},
                                  std::tuple{s.pty.get(), Stream::kStdout, pty_open}}) {
    if (!open) continue;
    ::fcntl(fd, F_SETFL, O_NONBLOCK);
    bool still = true;
    while (still) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 0) <= 0 || !(p.revents & (POLLIN | POLLHUP))) break;
      on_output(stream, fd, &still);
    }
  }
  return base::sys::exit_code_of(status);
}

bool Monitor::should_restart(const ContainerRecord& rec, int code) const {
  if (rec.stop_requested) return false;
  auto policy = parse_restart(rec.restart_policy);
  if (!policy) return false;
  switch (policy->kind) {
    case RestartPolicy::kNo:
      return false;
    case RestartPolicy::kOnFailure:
      return code != 0 && (policy->max_retries == 0 || rec.restart_count < policy->max_retries);
    case RestartPolicy::kAlways:
    case RestartPolicy::kUnlessStopped:
      return true;
  }
  return false;
}

void Monitor::run() {
  ::setsid();
  ::prctl(PR_SET_NAME, "hull-monitor", 0, 0, 0);
  ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGHUP, SIG_IGN);
  ::signal(SIGINT, SIG_IGN);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &chld, nullptr);
  if (::chdir("/") != 0) ::_exit(1);
  if (auto null = dev_null(O_RDWR)) {
    for (int fd = 0; fd < 3; ++fd) ::dup2(null->get(), fd);
  }
  if (cfg_.first_client) clients_.push_back({std::move(cfg_.first_client), true});
  // What the forking command had on its heap is not ours to keep.
  ::malloc_trim(0);

  auto fail_start = [&](const Error& e) {
    std::string wire = e.serialize();
    (void)base::sys::write_all(cfg_.status.get(), "E" + wire);
    ::unlink(monitor_socket(cfg_.paths, cfg_.id).c_str());
    ::_exit(1);
  };
  if (auto r = listen(); !r) fail_start(r.error());
  auto log = LogWriter::open(store_.dir_of(cfg_.id) + "/container.log");
  if (!log) fail_start(log.error());
  log_.emplace(std::move(*log));

  std::optional<int> code;
  std::optional<ContainerRecord> last;  // the record as we last wrote or read it
  unsigned backoff_ms = 100;
  for (bool first = true;; first = false) {
    auto rec = store_.load(cfg_.id);
    if (!rec) break;
    last = *rec;
    auto s = start(*rec, first ? cfg_.first_spec : nullptr, first ? cfg_.first_networks : nullptr);
    if (!s) {
      net_.reset();
      (void)rt_.remove(cfg_.id, true);
      if (first) fail_start(s.error());
      (void)store_.update(cfg_.id, [&](ContainerRecord& r) {
        r.state = ContainerState::kExited;
        r.pid = 0;
        r.finished_at = base::rfc3339_now();
      });
      break;
    }
    (void)store_.update(cfg_.id, [&](ContainerRecord& r) {
      r.state = ContainerState::kRunning;
      r.pid = s->pid;
      r.started_at = base::rfc3339_now();
      r.exit_code.reset();
      r.finished_at.clear();
      if (!first) ++r.restart_count;
    });
    if (first) {
      (void)base::sys::write_all(cfg_.status.get(), "ok");
      cfg_.status.reset();
      drop_unused_code();
    }
    timespec t0;
    ::clock_gettime(CLOCK_MONOTONIC, &t0);
    code = supervise(*s);
    // Ports unpublished and veths gone before the record says exited, and before a --rm
    // container's host ports and address are free for another.
    net_.reset();
    // A --rm container (never one with a restart policy) is not recorded as exited: its
    // record is about to go.
    if (rec->auto_remove) break;
    auto after = store_.update(cfg_.id, [&](ContainerRecord& r) {
      r.state = ContainerState::kExited;
      r.pid = 0;
      r.exit_code = code;
      r.finished_at = base::rfc3339_now();
    });
    if (after) last = *after;
    if (!after || !should_restart(*after, *code)) break;
    (void)rt_.remove(cfg_.id, true);
    // As docker: the delay doubles from 100 ms while the container keeps failing fast, and
    // starts again once it ran for 10 s.
    timespec t1;
    ::clock_gettime(CLOCK_MONOTONIC, &t1);
    if (t1.tv_sec - t0.tv_sec >= 10) backoff_ms = 100;
    ::usleep(backoff_ms * 1000);
    backoff_ms = std::min(backoff_ms * 2, 60000u);
    if (auto again = store_.load(cfg_.id); !again || again->stop_requested) break;
  }
  // The exit is reported as soon as the record says so (with --rm: as soon as the name is
  // free and the record gone); the slow part of cleaning up comes after. Commands that
  // must wait for it (start, rm) wait for monitor.lock, which we hold until we exit.
  bool remove = last && last->auto_remove;
  if (remove) {
    // Read again: a rename while it ran changed the name to free.
    if (auto now = store_.load(cfg_.id)) {
      (void)store_.detach(*now);
      // Its address and host ports are free at once for the next `hull run`.
      network_release(cfg_.paths, *now);
    }
  }
  broadcast(AttachTag::kExit, code ? std::to_string(*code) : "");
  clients_.clear();
  ::unlink(monitor_socket(cfg_.paths, cfg_.id).c_str());
  (void)rt_.remove(cfg_.id, true);
  if (remove) store_.purge(cfg_.id);
  ::_exit(0);
}

}  // namespace

void run_monitor(MonitorConfig cfg) {
  Monitor m(std::move(cfg));
  m.run();
}

}  // namespace hull::engine
