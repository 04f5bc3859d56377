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

}  // namespace hull::runtime
