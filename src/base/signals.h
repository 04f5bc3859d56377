// The signal table: "KILL", "SIGKILL", "9" and "SIGRTMIN+3" all parse; one table prints too.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hull::base {

std::optional<int> parse_signal(std::string_view text);
std::string signal_name(int sig);  // "SIGTERM"

}  // namespace hull::base
