// Network namespaces for bridged containers: making one that nothing runs in yet (the engine
// wires its end of a veth into it before the container starts), and doing a piece of work in
// another one on the calling thread and coming back.
#pragma once

#include <functional>

#include "base/error.h"
#include "base/fd.h"

namespace hull::engine {

// A new network namespace, returned as an fd that keeps it alive; the caller stays where it
// was. Both this and in_netns move the calling thread only, and only for the call.
base::Result<base::Fd> new_netns();

// Runs `fn` with the calling thread in the network namespace of netns_fd (an fd of
// /proc/PID/ns/net or one from new_netns), then returns the thread to its own namespace,
// also when fn fails. Sockets made inside stay in that namespace after the return.
base::Result<void> in_netns(int netns_fd, const std::function<base::Result<void>()>& fn);

}  // namespace hull::engine
