// The container's terminal: a pty from the container's own devpts, its master handed to the
// parent over the channel (which gives it to --console-socket or relays it), its slave made
// the controlling terminal and stdio of the process.
#pragma once

#include <string>

#include "base/error.h"
#include "base/fd.h"
#include "oci/spec.h"
#include "runtime/channel.h"

namespace hull::runtime {

// Call after pivot_root (or setns into the container's mount namespace). With
// bind_dev_console the slave is also bound on /dev/console (the init's terminal; not exec's).
base::Result<void> setup_console(const oci::Process& p, const Channel& chan, bool bind_dev_console);

// Connects to a --console-socket (a unix stream socket a client such as conmon listens on).
base::Result<base::Fd> connect_console_socket(const std::string& path);

}  // namespace hull::runtime
