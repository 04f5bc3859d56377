// From what the user asked (RunOptions) and the image's config to the container's OCI
// config.json, with Docker's secure defaults: the default capability set, masked and
// read-only /proc and /sys paths, the default seccomp profile (seccomp_profile.h), a private
// /dev with the default devices; --privileged lifts them as docker does. Pure: no syscalls,
// except reading files named by flags (--env-file, seccomp=PATH) and the rootfs's
// /etc/passwd and /etc/group for -u NAME.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/image_config.h"
#include "engine/run_options.h"
#include "oci/spec.h"

namespace hull::engine {

struct SpecInputs {
  const RunOptions* run = nullptr;
  const ImageConfig* image = nullptr;
  std::string id;      // 64 hex
  std::string rootfs;  // absolute: where the runtime mounts the overlay (root.path)
  // The layers' view for name lookups (/etc/passwd, /etc/group), top layer first: a name
  // is looked up in the first layer that has the file.
  std::vector<std::string> lookup_dirs;
  // Namespaces to join, already resolved by the engine (container:NAME, host):
  // type -> "/proc/<pid>/ns/<name>". A type absent here and not "host" gets a new namespace.
  std::map<oci::NamespaceType, std::string> join;
  std::string cgroups_path;  // "/hull/<id>"
  // For a user without root, the rootless shape: a user namespace mapping it to root.
  bool rootless = false;
  unsigned host_uid = 0, host_gid = 0;
  // The host can limit swap (cgroup v1 memory.memsw.*, v2 memory.swap.max). Without it, as
  // docker: --memory sets no swap limit and --memory-swap is refused.
  bool swap_accounting = true;
  // What --privileged and --cap-add ALL grant: the engine's own bounding set ("CAP_…"), since
  // a process cannot hand out a capability it lacks (in a container, say). Empty: every
  // capability oci/capabilities.h knows.
  std::vector<std::string> available_capabilities;
  // Files of the engine bind-mounted over the image's (/etc/hosts, /etc/hostname,
  // /etc/resolv.conf): destination -> source. A user's mount at the same place wins.
  std::map<std::string, std::string> etc_files;
  // -t from a terminal: the pty starts at the caller's size (0: not known).
  unsigned console_rows = 0, console_cols = 0;
};

// What build_spec made: the document, its text (what config.json holds) and that text
// parsed by the runtime's own parser — the check that the runtime takes it, and the spec
// the container's first start uses without reading and parsing the file again.
struct BuiltSpec {
  nlohmann::json config;
  std::string text;
  oci::Spec spec;
};

// The config.json for the container. Errors name the flag and value:
// `--memory "12x": expected a size such as 512m or 1g`.
base::Result<BuiltSpec> build_spec(const SpecInputs& in);

// Restart policy of --restart.
struct RestartPolicy {
  enum Kind { kNo, kOnFailure, kAlways, kUnlessStopped } kind = kNo;
  int max_retries = 0;  // on-failure:N (0: no limit)
};
base::Result<RestartPolicy> parse_restart(const std::string& text);

// "SIGTERM", "TERM", "15" -> 15; error names the flag.
base::Result<int> parse_signal(const std::string& text, const std::string& flag);

}  // namespace hull::engine
