#include "engine/attach.h"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/sys.h"
#include "base/terminal.h"

namespace hull::engine {

using base::Error;
using base::Fd;
using base::Result;

Result<void> send_tagged(int sock, AttachTag tag, const std::string& payload) {
  std::string msg(1, static_cast<char>(tag));
  msg += payload;
  for (;;) {
    if (::send(sock, msg.data(), msg.size(), MSG_NOSIGNAL) >= 0) return {};
    if (errno != EINTR) return Error("send to the monitor socket", errno);
  }
}

Result<Fd> connect_monitor(const std::string& socket_path) {
  Fd sock(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!sock) return Error("socket", errno);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) {
    return Error("monitor socket path too long: " + socket_path);
  }
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return Error("connect " + socket_path, errno);
  }
  return sock;
}

Result<std::string> parse_detach_keys(const std::string& text) {
  std::string out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string key = text.substr(start, comma == std::string::npos ? std::string::npos
                                                                     : comma - start);
    if (key.size() == 1) {
      out += key;
    } else if (key.rfind("ctrl-", 0) == 0 && key.size() == 6) {
      char c = key[5];
      if (c >= 'a' && c <= 'z') {
        out += static_cast<char>(c - 'a' + 1);
      } else if (c == '@') {
        out += '\0';
      } else if (c >= '[' && c <= '_') {
        out += static_cast<char>(c - '[' + 27);
      } else {
        return Error("--detach-keys \"" + text + "\": unknown key \"" + key + "\"");
      }
    } else {
      return Error("--detach-keys \"" + text + "\": unknown key \"" + key + "\"")
          .hint("use letters or ctrl-<letter>, comma-separated, e.g. ctrl-p,ctrl-q");
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

namespace {

// One message without blocking: false while the monitor has no room for it (a monitor
// that is gone counts as sent; its end shows on the socket).
bool try_send(int sock, AttachTag tag, const std::string& payload) {
  std::string msg(1, static_cast<char>(tag));
  msg += payload;
  for (;;) {
    if (::send(sock, msg.data(), msg.size(), MSG_NOSIGNAL | MSG_DONTWAIT) >= 0) return true;
    if (errno != EINTR) return errno != EAGAIN;
  }
}

// A size the monitor has no room for is dropped rather than waited for (see unsent below).
void send_winsize(int sock) {
  winsize ws{};
  if (::ioctl(0, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) {
    (void)try_send(sock, AttachTag::kResize,
                   std::to_string(ws.ws_row) + " " + std::to_string(ws.ws_col));
  }
}

// Watches typed input for the detach sequence; bytes of a partial match are held back
// until the match fails.
class DetachMatcher {
 public:
  explicit DetachMatcher(std::string keys) : keys_(std::move(keys)) {}
  // Returns the bytes to forward; sets *detach when the whole sequence was typed.
  std::string feed(const char* data, size_t n, bool* detach) {
    std::string out;
    for (size_t i = 0; i < n; ++i) {
      if (keys_.empty()) {
        out += data[i];
        continue;
      }
      if (data[i] == keys_[matched_]) {
        if (++matched_ == keys_.size()) {
          *detach = true;
          return out;
        }
        continue;
      }
      out.append(keys_, 0, matched_);
      matched_ = 0;
      out += data[i];
    }
    return out;
  }

 private:
  std::string keys_;
  size_t matched_ = 0;
};

}  // namespace

Result<AttachEnd> attach_session(int sock, const AttachOptions& opt) {
  std::optional<base::RawTerminal> raw;
  // Checked even where unused (no terminal), so a typo shows at once, as with docker.
  ASSIGN_OR_RETURN(std::string keys, parse_detach_keys(opt.detach_keys));
  if (opt.tty && ::isatty(0)) {
    if (opt.stdin) raw.emplace(0);
    send_winsize(sock);
  } else {
    keys.clear();
  }
  DetachMatcher matcher(keys);
  sigset_t watched;
  sigemptyset(&watched);
  sigaddset(&watched, SIGWINCH);
  if (opt.forward_signal) {
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) sigaddset(&watched, s);
  }
  sigset_t old;
  ::sigprocmask(SIG_BLOCK, &watched, &old);
  Fd sig(::signalfd(-1, &watched, SFD_CLOEXEC));
  bool stdin_open = opt.stdin;
  AttachEnd end;
  std::string buf(65536 + 1, '\0');
  // Input the monitor has no room for yet. We never block in send: a monitor that cannot
  // write to a process that does not read stdin stops reading us, and if we stopped
  // reading its output in turn, the process would block on stdout and nothing would move.
  std::string unsent;
  bool eof_unsent = false;
  for (;;) {
    bool waiting = !unsent.empty() || eof_unsent;
    pollfd fds[3] = {{sock, static_cast<short>(POLLIN | (waiting ? POLLOUT : 0)), 0},
                     {stdin_open && !waiting ? 0 : -1, POLLIN, 0},
                     {sig.get(), POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      ::sigprocmask(SIG_SETMASK, &old, nullptr);
      return Error("poll", errno);
    }
    if (fds[2].revents & POLLIN) {
      signalfd_siginfo si;
      if (::read(sig.get(), &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGWINCH) {
          send_winsize(sock);
        } else if (opt.forward_signal) {
          opt.forward_signal(static_cast<int>(si.ssi_signo));
        }
      }
    }
    if (fds[1].revents & (POLLIN | POLLHUP)) {
      ssize_t n = ::read(0, buf.data(), 65536);
      if (n <= 0) {
        stdin_open = false;
        eof_unsent = true;
      } else {
        bool detach = false;
        unsent = matcher.feed(buf.data(), static_cast<size_t>(n), &detach);
        if (detach) {
          // What came before the keys, if the monitor takes it now; we do not wait.
          if (!unsent.empty()) (void)try_send(sock, AttachTag::kStdin, unsent);
          end.detached = true;
          break;
        }
      }
    }
    if (!unsent.empty() && try_send(sock, AttachTag::kStdin, unsent)) unsent.clear();
    if (unsent.empty() && eof_unsent && try_send(sock, AttachTag::kStdinEof, "")) {
      eof_unsent = false;
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::recv(sock, buf.data(), buf.size(), 0);
      if (n <= 0) break;  // the monitor went away: exit code unknown
      auto tag = static_cast<AttachTag>(buf[0]);
      std::string payload(buf.data() + 1, static_cast<size_t>(n - 1));
      if (tag == AttachTag::kStdout) {
        (void)base::sys::write_all(1, payload);
      } else if (tag == AttachTag::kStderr) {
        (void)base::sys::write_all(2, payload);
      } else if (tag == AttachTag::kExit) {
        if (!payload.empty()) end.exit_code = std::stoi(payload);
        break;
      }
    }
  }
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  return end;
}

}  // namespace hull::engine
