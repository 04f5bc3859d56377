// The parent side of container start: validate, make the state directory and cgroup,
// clone3 the init with its namespaces, drive the handshake of channel.h, record the state.
// Used by Runtime::create and Runtime::run; the undo stack takes back every step on failure.
#pragma once

#include <memory>
#include <string>

#include "base/error.h"
#include "base/fd.h"
#include "oci/spec.h"
#include "runtime/cgroup.h"
#include "runtime/channel.h"
#include "runtime/container.h"
#include "runtime/state_store.h"

namespace hull::runtime {

enum class LaunchMode { kCreate, kRun };

// A container whose init is ready (create) or exec'd (run).
struct Launched {
  Record record;
  base::Fd pidfd;
  base::Fd pty_master;  // run without --console-socket: the pty to proxy
};

base::Result<Launched> launch(const StateStore& store, const std::string& id,
                              const CreateOptions& opt, LaunchMode mode);

// The spec's state JSON for hooks.
std::string hook_state(const Record& r, oci::Status status);

}  // namespace hull::runtime
