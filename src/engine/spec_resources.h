// linux.resources and linux.devices for `hull run`: --memory, --memory-swap, --cpus,
// --cpu-shares, --cpuset-cpus, --pids-limit and --device (the one flag here that looks at the
// host: the device's type and numbers come from a stat of its path). The cgroup's default
// device list (null, zero, tty, pts …) is the runtime's; only --device adds to it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "base/error.h"
#include "engine/run_options.h"

namespace hull::engine::spec_detail {

// --device HOST[:CONTAINER][:PERMISSIONS]: the linux.devices entry and its allow rule.
struct DeviceMapping {
  nlohmann::json device;  // {path, type, major, minor, fileMode, uid, gid}
  nlohmann::json rule;    // {allow: true, type, major, minor, access}
};
base::Result<DeviceMapping> parse_device(const std::string& text);

struct ResourcePlan {
  bool privileged = false;      // every device allowed
  bool swap_accounting = true;  // the host can limit swap (SpecInputs::swap_accounting)
};

// linux.resources and linux.devices from `run` (both absent from the result when empty):
// {"resources": {...}, "devices": [...]}. Errors name the flag.
base::Result<nlohmann::json> build_resources(const RunOptions& run, const ResourcePlan& plan);

}  // namespace hull::engine::spec_detail
