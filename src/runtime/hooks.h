// OCI hooks: each runs as a child with the state JSON on stdin, its own args and env, and
// its timeout; a hook that fails, is killed, or overruns its timeout is an error naming it.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "oci/spec.h"

namespace hull::runtime {

// Runs `hooks` in order and stops at the first failure ("createRuntime hook 1 (/bin/x):
// exited with status 3"). `kind` names the hook list in errors.
base::Result<void> run_hooks(const std::vector<oci::Hook>& hooks, const std::string& kind,
                             const std::string& state_json);

// For poststart and poststop, whose failures the spec makes warnings: runs every hook,
// logging a warning for each that fails, and carries on.
void run_hooks_warn(const std::vector<oci::Hook>& hooks, const std::string& kind,
                    const std::string& state_json);

// The state as a process inside the container sees it: "pid" becomes our own pid in our pid
// namespace (hooks that run in the container's namespaces get that, per the spec).
std::string state_as_seen_inside(const std::string& state_json);

}  // namespace hull::runtime
