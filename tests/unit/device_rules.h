// Short constructors for linux.resources.devices rules in tests: allow("c", 1, 3, "rwm").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "oci/spec.h"

namespace hull::runtime::testing {

inline constexpr auto kAny = std::nullopt;

inline oci::DeviceRule allow(std::string type, std::optional<int64_t> major,
                             std::optional<int64_t> minor, std::string access) {
  return oci::DeviceRule{true, std::move(type), major, minor, std::move(access)};
}
inline oci::DeviceRule deny(std::string type, std::optional<int64_t> major,
                            std::optional<int64_t> minor, std::string access) {
  return oci::DeviceRule{false, std::move(type), major, minor, std::move(access)};
}
inline const oci::DeviceRule kDenyAll = deny("a", kAny, kAny, "rwm");
inline const oci::DeviceRule kAllowAll = allow("a", kAny, kAny, "rwm");

}  // namespace hull::runtime::testing
