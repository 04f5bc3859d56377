#include "runtime/supervise.h"

#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>

#include "base/sys.h"
#include "base/terminal.h"

namespace hull::runtime {

using base::Error;
using base::Result;

namespace {
constexpr int kForwarded[] = {SIGHUP,  SIGINT,  SIGQUIT,  SIGTERM, SIGUSR1,
                              SIGUSR2, SIGCONT, SIGWINCH, SIGALRM, SIGPWR};

void copy_winsize(int from, int to) {
  winsize ws{};
  if (::ioctl(from, TIOCGWINSZ, &ws) == 0) ::ioctl(to, TIOCSWINSZ, &ws);
}

// Moves what is readable on `from` to `to`; false on EOF or error.
bool pump(int from, int to) {
  char buf[16384];
  ssize_t n = ::read(from, buf, sizeof buf);
  if (n <= 0) return n < 0 && errno == EINTR;
  return base::sys::write_all(to, std::string(buf, static_cast<size_t>(n))).has_value();
}
}  // namespace

Supervisor::~Supervisor() {
  if (blocked_) ::sigprocmask(SIG_SETMASK, &old_, nullptr);
}

Result<void> Supervisor::block_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : kForwarded) sigaddset(&set, s);
  if (::sigprocmask(SIG_BLOCK, &set, &old_) != 0) return Error("sigprocmask", errno);
  blocked_ = true;
  int fd = ::signalfd(-1, &set, SFD_CLOEXEC);
  if (fd < 0) return Error("signalfd", errno);
  signal_fd_.reset(fd);
  return {};
}

Result<int> Supervisor::wait(pid_t pid, int pidfd, int pty_master, bool relay_stdin) {
  bool relay = pty_master >= 0;
  std::optional<base::RawTerminal> raw;
  if (relay && ::isatty(0)) {
    if (relay_stdin) raw.emplace(0);
    copy_winsize(0, pty_master);
  }
  bool stdin_open = relay && relay_stdin;
  for (;;) {
    pollfd fds[4] = {{pidfd, POLLIN, 0},
                     {signal_fd_.get(), POLLIN, 0},
                     {relay ? pty_master : -1, POLLIN, 0},
                     {stdin_open ? 0 : -1, POLLIN, 0}};
    if (::poll(fds, 4, -1) < 0) {
      if (errno == EINTR) continue;
      return Error("poll", errno);
    }
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo si;
      if (::read(signal_fd_.get(), &si, sizeof si) == sizeof si) {
        int sig = static_cast<int>(si.ssi_signo);
        if (sig == SIGWINCH && relay) {
          copy_winsize(0, pty_master);
        } else {
          (void)base::sys::pidfd_send_signal(pidfd, sig);
        }
      }
    }
    if (relay && (fds[2].revents & (POLLIN | POLLHUP | POLLERR))) {
      if (!pump(pty_master, 1)) relay = false;
    }
    if (stdin_open && (fds[3].revents & (POLLIN | POLLHUP | POLLERR))) {
      if (!pump(0, pty_master)) stdin_open = false;
    }
    if (fds[0].revents & POLLIN) {
      // Drain what the container printed last before reporting its exit.
      while (relay) {
        pollfd p{pty_master, POLLIN, 0};
        if (::poll(&p, 1, 0) <= 0 || !pump(pty_master, 1)) break;
      }
      ASSIGN_OR_RETURN(int status, base::sys::waitpid(pid));
      return base::sys::exit_code_of(status);
    }
  }
}

}  // namespace hull::runtime
