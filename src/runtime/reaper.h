// A minimal init for containers whose process does not reap (`hull run --init`, docker's
// tini): the container's PID 1 forks the process, then forwards it every signal it gets and
// reaps every orphan, and exits as the process did.
#pragma once

namespace hull::runtime {

// Returns in the child, which goes on to exec the container's process. The parent never
// returns: it closes every fd past stdio (the start handshake's, so that the runtime sees
// the exec of the child, and whatever its own parent gave it, close-on-exec fds included:
// it never execs) and runs the reaper loop.
void become_reaper();

}  // namespace hull::runtime
