// `run` in the foreground: forwards the signals hull-oci receives to the container's init,
// relays a pty (process.terminal without --console-socket) between our stdio and the
// container, and returns the init's exit code once it has been reaped.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include "base/error.h"
#include "base/fd.h"

namespace hull::runtime {

class Supervisor {
 public:
  Supervisor() = default;
  ~Supervisor();
  // Blocks the forwarded signals (before clone3; the init unblocks them before exec).
  base::Result<void> block_signals();
  // Waits for the init; pty_master may be -1. Our stdin goes to the pty unless
  // relay_stdin is false (`hull exec -t` without -i, as docker).
  base::Result<int> wait(pid_t pid, int pidfd, int pty_master, bool relay_stdin = true);

 private:
  sigset_t old_{};
  bool blocked_ = false;
  base::Fd signal_fd_;
};

}  // namespace hull::runtime
