// uid/gid maps of a new user namespace, written by the parent for the child: directly when
// we may (root, or an ordinary user mapping only itself, after "deny" to setgroups), else
// through the setuid helpers newuidmap/newgidmap, which check /etc/subuid and /etc/subgid.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "oci/spec.h"

namespace hull::runtime {

// "0 100000 65536\n" lines, as /proc/<pid>/uid_map takes them.
std::string format_id_map(const std::vector<oci::IdMapping>& maps);
// True when an ordinary user maps exactly its own id (no helper needed).
bool maps_only_self(const std::vector<oci::IdMapping>& maps, unsigned self);

// Writes both maps for pid; returns whether setgroups was denied.
base::Result<bool> write_id_maps(pid_t pid, const oci::Linux& linux_cfg);

// Why user namespaces cannot be made here, with the fix; "" when nothing is known.
std::string user_namespace_hint();

}  // namespace hull::runtime
