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
  // Only these namespaces (CLONE_NEW* flags) are joined; the others stay the caller's, and
  // the container's cgroup and seccomp filter are not taken (`hull exec --ns net`: host
  // tools in the container's network). 0: everything, as exec does.
  int only_namespaces = 0;
  int stdio[3] = {-1, -1, -1};  // fds to become the process's 0, 1, 2 (-1: inherited)
  bool relay_stdin = true;      // with a pty in the foreground: our stdin goes to it
};

// Returns the process's exit code (0 once it runs, with detach).
base::Result<int> exec_process(const Runtime& rt, const std::string& id,
                               const oci::Process& process, const ExecOptions& opt);

// The container's own spec, as stored at create (for exec's defaults).
base::Result<oci::Spec> load_container_spec(const Runtime& rt, const std::string& id);

}  // namespace hull::runtime
