// linux.namespaces for `hull run` from --network, --pid, --ipc, --uts, --cgroupns and --time:
// each flag's syntax is checked here; container:NAME has already been resolved by the engine
// to a path in SpecInputs::join. "host" leaves the type out (the container shares ours).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "base/error.h"
#include "engine/run_options.h"
#include "oci/spec.h"

namespace hull::engine::spec_detail {

enum class NsMode { kPrivate, kHost, kContainer };

struct NamespacePlan {
  std::map<oci::NamespaceType, NsMode> modes;  // every type but user
  bool ipc_none = false;                       // --ipc none: private, and no /dev/shm
  bool time_offsets = false;                   // --time-offset given: a new time namespace

  NsMode mode(oci::NamespaceType t) const { return modes.at(t); }
  bool is_private(oci::NamespaceType t) const { return mode(t) == NsMode::kPrivate; }
};

// Checks each flag: `--network "bridge": not available yet (networks come later); use none,
// host or container:NAME`. A container:NAME whose type is missing from `join` is an error.
base::Result<NamespacePlan> plan_namespaces(const RunOptions& run,
                                            const std::map<oci::NamespaceType, std::string>& join);

// The linux.namespaces list: every non-host type, with its path when it is in `join`; a user
// namespace when `rootless` (joined if `join` has one).
nlohmann::json namespaces_json(const NamespacePlan& plan,
                               const std::map<oci::NamespaceType, std::string>& join,
                               bool rootless);

// --time-offset monotonic=5s,boottime=-1h (repeatable) as linux.timeOffsets.
base::Result<nlohmann::json> build_time_offsets(const std::vector<std::string>& offsets);

}  // namespace hull::engine::spec_detail
