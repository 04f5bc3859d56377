#include "runtime/reaper.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace hull::runtime {

namespace {

void ignore(int) {}

}  // namespace

void become_reaper() {
  // PID 1 of a pid namespace gets only the signals it has a handler for (SIGKILL and
  // SIGSTOP aside): a handler each, then blocked, so sigwaitinfo takes them in turn.
  sigset_t all;
  sigfillset(&all);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    struct sigaction sa {};
    sa.sa_handler = ignore;
    ::sigaction(sig, &sa, nullptr);
  }
  ::sigprocmask(SIG_BLOCK, &all, nullptr);
  pid_t child = ::fork();
  if (child < 0) return;  // no reaper then: exec the process as PID 1 itself
  if (child == 0) {
    // The process gets the dispositions a new process expects; exec restores the mask.
    for (int sig = 1; sig < NSIG; ++sig) {
      if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
    }
    return;
  }
  ::syscall(SYS_close_range, 3, ~0U, 0);
  ::prctl(PR_SET_NAME, "hull-init", 0, 0, 0);
  for (;;) {
    siginfo_t si;
    int sig = ::sigwaitinfo(&all, &si);
    if (sig < 0) {
      if (errno == EINTR) continue;
      ::_exit(1);
    }
    if (sig != SIGCHLD) {
      ::kill(child, sig);
      continue;
    }
    int status;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
      if (pid != child) continue;
      if (WIFSIGNALED(status)) ::_exit(128 + WTERMSIG(status));
      ::_exit(WEXITSTATUS(status));
    }
  }
}

}  // namespace hull::runtime
