// config.json's mounts for `hull run`: docker's default set (/proc, /dev, /dev/pts, /dev/shm,
// /dev/mqueue, /sys, /sys/fs/cgroup) and the user's -v, --mount and --tmpfs, merged with
// docker's rules: a user mount replaces the defaults at or under its destination, and user
// mounts go parents first. Pure: sources are not looked at (the runtime reports a missing one).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/run_options.h"

namespace hull::engine::spec_detail {

struct MountPlan {
  bool privileged = false;    // /sys and /sys/fs/cgroup writable
  bool rootless = false;      // no gid=5 on devpts (unmapped), no /sys/fs/cgroup
  bool host_network = false;  // /sys bound from the host: a new sysfs needs a netns we own
  bool host_ipc = false;      // /dev/shm bound from the host
  bool no_shm = false;        // --ipc none: no /dev/shm at all
  bool read_only = false;     // --read-only: /sys and /sys/fs/cgroup stay read-only too
};

nlohmann::json default_mounts(const MountPlan& plan);

// One flag's mount, as a config.json mount. Errors say what is wrong without the flag; the
// caller puts `-v "…"` in front.
base::Result<nlohmann::json> parse_volume(const std::string& text);      // -v SRC:DST[:OPTS]
base::Result<nlohmann::json> parse_mount_flag(const std::string& text);  // --mount k=v,…
base::Result<nlohmann::json> parse_tmpfs(const std::string& text);       // --tmpfs DST[:OPTS]

// Docker's tmpfs options: noexec,nosuid,nodev, then the user's; a later flag cancels its
// opposite (exec cancels noexec) and a later key=value replaces the same key.
std::vector<std::string> merge_tmpfs_options(const std::vector<std::string>& user);

// The default mounts and every user mount of `run`, merged; errors name the flag and value.
base::Result<nlohmann::json> build_mounts(const RunOptions& run, const MountPlan& plan);

}  // namespace hull::engine::spec_detail
