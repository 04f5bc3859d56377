// The security parts of a `hull run` spec that are docker's rules rather than plain values:
// the capability set (--cap-add, --cap-drop, --privileged), --security-opt, the seccomp
// profile of seccomp=PATH (docker's format with includes/excludes, or a plain OCI object) and
// --sysctl's list of namespaced, allowed keys.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/run_options.h"

namespace hull::engine::spec_detail {

// Docker's default capabilities, in number order.
const std::vector<std::string>& default_capabilities();

// The container's capabilities ("CAP_X", in number order): all of `available` (empty: every
// one the OCI layer knows) for --privileged, else the defaults with docker's --cap-add and
// --cap-drop rules (names with or without CAP_, any case; ALL is `available`). Unknown names
// are errors naming the flag.
base::Result<std::vector<std::string>> capability_set(const RunOptions& run,
                                                      const std::vector<std::string>& available);

struct SecurityOpts {
  bool no_new_privileges = false;
  enum class Seccomp { kDefault, kUnconfined, kFile } seccomp = Seccomp::kDefault;
  std::string seccomp_path;
};
// seccomp=unconfined|PATH, no-new-privileges[:true|false] (":" or "="); apparmor=unconfined
// and label=disable are accepted and change nothing (hull applies no LSM profile).
base::Result<SecurityOpts> parse_security_opts(const std::vector<std::string>& opts);

// A seccomp profile in docker's format (or a plain OCI linux.seccomp object) as the OCI
// object for this machine: archMap picks the native architecture and its sub-architectures;
// rules whose includes/excludes (caps, arches; minKernel is not checked) do not fit the
// container are left out. Errors name the JSON path: `syscalls[2].names: expected a list`.
base::Result<nlohmann::json> seccomp_for_container(const nlohmann::json& profile,
                                                   const std::vector<std::string>& caps);

// Reads PATH and converts it as above; the result is checked with the OCI parser.
base::Result<nlohmann::json> seccomp_from_file(const std::string& path,
                                               const std::vector<std::string>& caps);

// --sysctl KEY=VALUE as linux.sysctl. Only namespaced keys are allowed, as docker: the ipc
// ones (kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*) with a private ipc namespace and
// net.* with a private network namespace.
base::Result<nlohmann::json> build_sysctls(const std::vector<std::string>& sysctls,
                                           bool private_ipc, bool private_network);

}  // namespace hull::engine::spec_detail
