#include "engine/spec_user.h"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <system_error>

#include "base/sys.h"
#include "engine/spec_flags.h"

namespace hull::engine::spec_detail {

using base::Error;
using base::Result;

namespace {

// The lines of /etc/passwd or /etc/group with at least min_fields ':'-separated fields.
std::vector<std::vector<std::string>> records(const std::string& text, size_t min_fields) {
  std::vector<std::vector<std::string>> out;
  for (const std::string& line : split(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    auto f = split(line, ':');
    if (f.size() >= min_fields) out.push_back(std::move(f));
  }
  return out;
}

// A uid or gid: 0 to 2147483647, as runc accepts (the kernel's (uid_t)-1 means "no change").
std::optional<uint32_t> id_number(const std::string& text) {
  auto v = parse_int(text);
  if (!v || text[0] == '-' || text[0] == '+' || *v > 2147483647) return std::nullopt;
  return static_cast<uint32_t>(*v);
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

// The file etc/<name> of the first layer that has it; nullopt if none has. A layer where the
// path exists but is not a regular file (an overlay whiteout) hides the layers below.
Result<std::optional<std::string>> layered_file(const std::vector<std::string>& dirs,
                                                const std::string& name) {
  for (const auto& dir : dirs) {
    std::string path = dir + "/etc/" + name;
    std::error_code ec;
    auto st = std::filesystem::symlink_status(path, ec);
    if (ec || st.type() == std::filesystem::file_type::not_found) continue;
    if (st.type() != std::filesystem::file_type::regular) return std::optional<std::string>();
    ASSIGN_OR_RETURN(std::string text, base::sys::read_file(path));
    return std::optional<std::string>(std::move(text));
  }
  return std::optional<std::string>();
}

}  // namespace

Result<ResolvedUser> resolve_user(const std::string& user,
                                  const std::vector<std::string>& lookup_dirs) {
  size_t colon = user.find(':');
  std::string user_arg = user.substr(0, colon);
  bool has_group = colon != std::string::npos;
  std::string group_arg = has_group ? user.substr(colon + 1) : "";
  if (has_group && group_arg.empty()) return Error("expected USER:GROUP, the group is empty");

  ResolvedUser out;
  ASSIGN_OR_RETURN(auto passwd, layered_file(lookup_dirs, "passwd"));
  std::optional<std::string> matched_name;
  // The uid asked for by number, or -1 for a name. runc: no user means root, looked up in
  // passwd all the same for its groups.
  int64_t uid_arg = user_arg.empty() ? 0 : -1;
  if (all_digits(user_arg)) {
    auto n = id_number(user_arg);
    if (!n) return Error("uid " + user_arg + " is out of range");
    uid_arg = *n;
  }
  for (const auto& f : records(passwd.value_or(""), 4)) {
    auto uid = id_number(f[2]);
    auto gid = id_number(f[3]);
    if (!uid || !gid) continue;
    if (uid_arg >= 0 ? *uid == uid_arg : f[0] == user_arg) {
      out.uid = *uid;
      out.gid = *gid;
      matched_name = f[0];
      break;
    }
  }
  if (!matched_name) {
    if (uid_arg < 0) {
      return Error("no user " + quote(user_arg) + " in /etc/passwd" +
                   (passwd ? "" : " (the image has no /etc/passwd)"));
    }
    out.uid = static_cast<uint32_t>(uid_arg);
  }
  if (!has_group && !matched_name) return out;

  ASSIGN_OR_RETURN(auto group, layered_file(lookup_dirs, "group"));
  auto groups = records(group.value_or(""), 3);
  if (has_group) {
    // An explicit group replaces the primary one; there are no supplementary groups then.
    if (all_digits(group_arg)) {
      auto gid = id_number(group_arg);
      if (!gid) return Error("gid " + group_arg + " is out of range");
      out.gid = *gid;
      return out;
    }
    for (const auto& f : groups) {
      auto gid = id_number(f[2]);
      if (gid && f[0] == group_arg) {
        out.gid = *gid;
        return out;
      }
    }
    return Error("no group " + quote(group_arg) + " in /etc/group" +
                 (group ? "" : " (the image has no /etc/group)"));
  }
  for (const auto& f : groups) {
    auto gid = id_number(f[2]);
    if (!gid || f.size() < 4) continue;
    auto members = split(f[3], ',');
    bool member = std::find(members.begin(), members.end(), *matched_name) != members.end();
    bool seen = std::find(out.additional_gids.begin(), out.additional_gids.end(), *gid) !=
                out.additional_gids.end();
    if (member && !seen) out.additional_gids.push_back(*gid);
  }
  return out;
}

}  // namespace hull::engine::spec_detail
