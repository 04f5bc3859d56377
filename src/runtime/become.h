// The last steps of every container process, the init's and exec's alike: seccomp (early
// without no_new_privs), the bounding set, cwd, the user, capabilities, no_new_privs,
// seccomp (late with it), then execve with no fd of ours left open.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "base/error.h"
#include "oci/spec.h"
#include "runtime/channel.h"
#include "runtime/seccomp.h"

namespace hull::runtime {

// Returns the executable to run. A notify listener made by seccomp goes to the parent as
// kSeccompListener.
base::Result<std::string> become_process(const oci::Process& p, bool setgroups_denied,
                                         const SeccompProgram* seccomp, const Channel& chan);

// Clears close-on-exec on the preserved fds, marks every other fd close-on-exec, restores
// the signal mask and execs. Returns only if execve failed, with that error.
base::Error exec_image(const oci::Process& p, const std::string& exe, int preserve_fds);

// For an error of the steps above that means the process could not be run at all (the
// lookup and execve here both say "exec …"): docker's exit code for it, 127 when it was
// not found, 126 when it could not be executed. nullopt for any other error.
std::optional<int> exec_failure_code(const base::Error& e);

}  // namespace hull::runtime
