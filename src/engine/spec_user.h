// process.user from `-u` or the image's User: numeric ids are used as they are; names are
// looked up in the container's /etc/passwd and /etc/group (read from the image's layers, top
// first), with runc's rules for the primary group and the supplementary groups.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"

namespace hull::engine::spec_detail {

struct ResolvedUser {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> additional_gids;
};

// user: "", "uid", "name", and either with ":gid" or ":group". The first of lookup_dirs that
// has etc/<file> provides it. As runc does: a user found in passwd (by name or number; "" is
// uid 0) takes its gid from there and, unless a group is given, its supplementary groups from
// the groups that list its name; a number not in passwd is that uid with gid 0; an unknown
// name is an error (`no user "bob" in /etc/passwd`).
base::Result<ResolvedUser> resolve_user(const std::string& user,
                                        const std::vector<std::string>& lookup_dirs);

}  // namespace hull::engine::spec_detail
