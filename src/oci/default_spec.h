// The config.json that `hull-oci spec` writes: runc's defaults (sh in a busybox-like rootfs,
// the default capability set, masked and read-only /proc paths), or the rootless variant.
#pragma once

#include <nlohmann/json.hpp>

namespace hull::oci {

nlohmann::json default_spec(bool rootless, unsigned host_uid, unsigned host_gid);

}  // namespace hull::oci
