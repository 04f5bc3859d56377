// Wall-clock time as the runtime writes it: RFC 3339 in UTC with nanoseconds, the form
// runc uses for "created" and for log lines.
#pragma once

#include <string>

namespace hull::base {

// "2026-11-29T01:31:01.123456789Z".
std::string rfc3339_now();

}  // namespace hull::base
