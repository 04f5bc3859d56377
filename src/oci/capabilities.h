// The capability table: "CAP_SYS_ADMIN" <-> 21, for parsing specs and printing sets.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hull::oci {

std::optional<int> capability_from_name(std::string_view name);  // accepts "CAP_X" only
std::string capability_name(int cap);                            // "CAP_X" or "CAP_<n>"
// Every capability the table knows, in number order.
std::vector<std::string> all_capability_names();

}  // namespace hull::oci
