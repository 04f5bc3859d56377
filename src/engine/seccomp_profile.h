// hull's default seccomp profile, with the semantics of Docker's: an allow-list of system
// calls, EPERM for everything else, some calls allowed only with the capability they need
// (e.g. the namespace flags of clone and unshare only with CAP_SYS_ADMIN), and personality
// limited to the harmless values. Written for hull, as an OCI linux.seccomp object.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hull::engine {

// capabilities: the container's bounding set ("CAP_SYS_ADMIN", …): calls that need one of
// them are allowed when it is there.
nlohmann::json default_seccomp_profile(const std::vector<std::string>& capabilities);

}  // namespace hull::engine
