// Lower-case hexadecimal: digests, container ids.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace hull::base {

std::string hex(const void* data, size_t size);
// Non-empty and only 0-9a-f.
bool is_hex(std::string_view text);

}  // namespace hull::base
