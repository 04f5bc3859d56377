// `exec`: a new process in a running container. It joins the container's cgroup and every
// namespace of its init that differs from ours (through the init's pidfd, so the kernel
// orders them, user first), then takes the process spec's user, capabilities, rlimits,
// no_new_privs and the container's seccomp filter, as the init did.
#pragma once

#include <string>

#include "base/error.h"
#include "oci/spec.h"
#include "runtime/container.h"

namespace hull::runtime {

struct ExecOptions {
  std::string console_socket;
  std::string pid_file;
  bool detach = false;
  int preserve_fds = 0;
};

// Returns the process's exit code (0 once it runs, with detach).
base::Result<int> exec_process(const Runtime& rt, const std::string& id,
                               const oci::Process& process, const ExecOptions& opt);

// The container's own spec, as stored at create (for exec's defaults).
base::Result<oci::Spec> load_container_spec(const Runtime& rt, const std::string& id);

}  // namespace hull::runtime
