// The config.json that `hull-oci spec` writes: runc's defaults (sh in a busybox-like rootfs,
// the default capability set, masked and read-only /proc paths), or the rootless variant.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hull::oci {

nlohmann::json default_spec(bool rootless, unsigned host_uid, unsigned host_gid);

// The /proc and /sys paths runc and docker hide (maskedPaths) and make read-only
// (readonlyPaths) by default: one list for `hull-oci spec` and the engine.
const std::vector<std::string>& default_masked_paths();
const std::vector<std::string>& default_readonly_paths();

}  // namespace hull::oci
