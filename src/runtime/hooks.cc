// Runs OCI hooks with posix_spawn: glibc's posix_spawn reports an exec failure's errno back
// to the parent itself (through a CLONE_VFORK child), so "exec: No such file or directory"
// needs no pipe of our own. stdin is a pipe fed with the state; stdout and stderr are ours.
#include "runtime/hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <nlohmann/json.hpp>

#include "base/log.h"
#include "base/signals.h"
#include "base/sys.h"

namespace hull::runtime {

namespace {

namespace sys = base::sys;
using base::Error;
using base::Fd;
using base::Result;
using Clock = std::chrono::steady_clock;

// Local wrappers for calls base/sys does not offer yet (they read errno, which STYLE keeps
// in base/sys; they move there when it grows pipe2 and poll).
struct Pipe {
  Fd read, write;
};
Result<Pipe> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Error("pipe2", errno);
  Pipe p{Fd(fds[0]), Fd(fds[1])};
  // With fd 0 closed the read end could be 0 itself, and dup2(0, 0) in posix_spawn would
  // leave it close-on-exec; keep it above the standard descriptors.
  if (p.read.get() <= STDERR_FILENO) {
    int moved = ::fcntl(p.read.get(), F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
    if (moved < 0) return Error("fcntl F_DUPFD_CLOEXEC", errno);
    p.read.reset(moved);
  }
  if (::fcntl(p.write.get(), F_SETFL, O_NONBLOCK) != 0) return Error("fcntl O_NONBLOCK", errno);
  return p;
}

// Writing to a pipe whose reader is gone raises SIGPIPE, which would kill us: a hook need not
// read its stdin. SIGPIPE is blocked while we write, and one raised by our write is taken
// off the pending set before the old mask comes back.
class BlockSigpipe {
 public:
  BlockSigpipe() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
  }
  ~BlockSigpipe() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
  void consume() {
    timespec zero{};
    (void)::sigtimedwait(&set_, nullptr, &zero);
  }

 private:
  sigset_t set_, old_;
};

// The running hook: killed and reaped if we leave early.
class HookProcess {
 public:
  HookProcess(pid_t pid, Fd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}
  HookProcess(const HookProcess&) = delete;
  HookProcess& operator=(const HookProcess&) = delete;
  ~HookProcess() {
    if (pid_ <= 0) return;
    (void)sys::pidfd_send_signal(pidfd_.get(), SIGKILL);
    (void)sys::waitpid(pid_);
  }
  int pidfd() const { return pidfd_.get(); }
  Result<int> reap() { return sys::waitpid(std::exchange(pid_, -1)); }

 private:
  pid_t pid_;
  Fd pidfd_;
};

Result<pid_t> spawn(const oci::Hook& hook, int stdin_fd) {
  std::vector<std::string> args =
      hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args;
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env = hook.env;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, stdin_fd, STDIN_FILENO);
  // The hook starts with default dispositions and an empty mask, whatever the caller blocks
  // or ignores (a monitor blocks SIGCHLD for its signalfd, for instance).
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  int err = ::posix_spawn(&pid, hook.path.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) return Error("exec", err);
  return pid;
}

// Feeds `data` to the hook's stdin while waiting for it to exit. Returns false on timeout.
Result<bool> feed_and_wait(const HookProcess& proc, Fd in, const std::string& data,
                           std::optional<Clock::time_point> deadline) {
  BlockSigpipe guard;
  size_t off = 0;
  if (data.empty()) in.reset();
  for (;;) {
    int wait_ms = -1;
    if (deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now());
      wait_ms = static_cast<int>(std::max<int64_t>(0, left.count()));
    }
    pollfd fds[2] = {{proc.pidfd(), POLLIN, 0}, {in.get(), POLLOUT, 0}};  // -1 is skipped
    int n = ::poll(fds, 2, wait_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error("poll", errno);
    }
    if (n == 0) return false;
    if (fds[0].revents & POLLIN) return true;  // exited; what it did not read is dropped
    if (fds[1].revents == 0) continue;
    ssize_t w = ::write(in.get(), data.data() + off, data.size() - off);
    if (w < 0 && errno == EPIPE) {
      guard.consume();  // the hook closed its stdin early: not an error
      in.reset();
    } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
      return Error("write state to stdin", errno);
    } else if (w > 0 && (off += static_cast<size_t>(w)) == data.size()) {
      in.reset();  // EOF tells the hook the state is complete
    }
  }
}

Result<void> run_hook(const oci::Hook& hook, const std::string& state_json) {
  ASSIGN_OR_RETURN(Pipe pipe, make_pipe());
  ASSIGN_OR_RETURN(pid_t pid, spawn(hook, pipe.read.get()));
  auto pidfd = sys::pidfd_open(pid);
  if (!pidfd) {
    // Without a pidfd the hook can be neither timed nor killed safely: stop it now.
    ::kill(pid, SIGKILL);
    (void)sys::waitpid(pid);
    return pidfd.error();
  }
  HookProcess proc(pid, std::move(*pidfd));
  pipe.read.reset();  // the hook holds its own copy; ours would hide its EOF from us

  std::optional<Clock::time_point> deadline;
  if (hook.timeout && *hook.timeout > 0)
    deadline = Clock::now() + std::chrono::seconds(*hook.timeout);
  ASSIGN_OR_RETURN(bool exited, feed_and_wait(proc, std::move(pipe.write), state_json, deadline));
  if (!exited) return Error("timed out after " + std::to_string(*hook.timeout) + " s");
  ASSIGN_OR_RETURN(int status, proc.reap());
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    return Error("exited with status " + std::to_string(WEXITSTATUS(status)));
  }
  if (WIFSIGNALED(status)) return Error("killed by signal " + base::signal_name(WTERMSIG(status)));
  return {};
}

}  // namespace

Result<void> run_hooks(const std::vector<oci::Hook>& hooks, const std::string& kind,
                       const std::string& state_json) {
  for (size_t i = 0; i < hooks.size(); ++i) {
    auto r = run_hook(hooks[i], state_json);
    if (!r) {
      return std::move(
          r.error().context(kind + " hook " + std::to_string(i) + " (" + hooks[i].path + ")"));
    }
  }
  return {};
}

void run_hooks_warn(const std::vector<oci::Hook>& hooks, const std::string& kind,
                    const std::string& state_json) {
  for (size_t i = 0; i < hooks.size(); ++i) {
    if (auto r = run_hook(hooks[i], state_json); !r) {
      base::log::warn(r.error()
                          .context(kind + " hook " + std::to_string(i) + " (" + hooks[i].path + ")")
                          .message());
    }
  }
}

std::string state_as_seen_inside(const std::string& state_json) {
  auto j = nlohmann::json::parse(state_json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return state_json;
  j["pid"] = ::getpid();
  return j.dump();
}

}  // namespace hull::runtime
