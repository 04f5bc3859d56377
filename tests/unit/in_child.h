// System tests that change what a process is (its namespaces, its mounts) do it in a forked
// child, so the test process stays as it was: run_in_child runs `setup` then `body` there
// and brings back what the child had to say.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <string>

#include "base/sys.h"

namespace hull::test {

struct ChildReport {
  std::string complaint;  // "" when all went well
  bool skipped = false;   // setup could not be done (the machine lacks it): the test skips
};

inline ChildReport run_in_child(const std::function<std::string()>& body,
                                const std::function<std::string()>& setup = nullptr) {
  constexpr int kSkip = 77;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return {"pipe failed"};
  pid_t pid = ::fork();
  if (pid < 0) return {"fork failed"};
  if (pid == 0) {
    ::close(fds[0]);
    if (setup) {
      if (std::string e = setup(); !e.empty()) {
        (void)base::sys::write_all(fds[1], e);
        ::_exit(kSkip);
      }
    }
    std::string err = body();
    (void)base::sys::write_all(fds[1], err);
    ::_exit(err.empty() ? 0 : 1);
  }
  ::close(fds[1]);
  auto msg = base::sys::read_fd(fds[0]);
  ::close(fds[0]);
  auto status = base::sys::waitpid(pid);
  if (!status) return {status.error().message()};
  if (!WIFEXITED(*status)) return {"child died with status " + std::to_string(*status)};
  if (WEXITSTATUS(*status) == kSkip) return {msg ? *msg : "setup failed", true};
  if (WEXITSTATUS(*status) != 0) return {msg && !msg->empty() ? *msg : "child failed"};
  return {};
}

}  // namespace hull::test
