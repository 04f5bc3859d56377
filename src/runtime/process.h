// The parts of process setup the child applies just before exec: identity (uid, gid,
// groups), capabilities (all five sets), rlimits, oom score, umask and PATH lookup.
#pragma once

#include <string>

#include "base/error.h"
#include "oci/spec.h"

namespace hull::runtime {

base::Result<void> apply_rlimits(const oci::Process& p);
base::Result<void> apply_oom_score_adj(const oci::Process& p);
// setgroups (unless setgroups is denied in this user namespace), setresgid, setresuid,
// keeping capabilities across the uid change so apply_capabilities can set them after.
base::Result<void> apply_user(const oci::User& u, bool setgroups_denied);
// Drops the bounding set to what the spec lists. Needs CAP_SETPCAP in the effective set:
// call it before apply_user, which clears the effective set with the uid change.
base::Result<void> apply_bounding_set(const oci::Capabilities& c);
// Sets effective/permitted/inheritable (within the permitted set apply_user kept) and
// raises the ambient set. Capabilities past the kernel's cap_last_cap are skipped.
base::Result<void> apply_capabilities(const oci::Capabilities& c);
// Finds args[0] in the PATH of env (or "/usr/local/sbin:…" by default), as exec would.
base::Result<std::string> find_executable(const std::string& name,
                                          const std::vector<std::string>& env);

}  // namespace hull::runtime
