#include "runtime/cgroup_values.h"

#include <algorithm>

namespace hull::runtime {

namespace {
constexpr uint64_t kMinShares = 2;
constexpr uint64_t kMaxShares = 262144;
constexpr uint64_t kMaxWeight = 10000;
constexpr uint64_t kDefaultPeriodUs = 100000;
}  // namespace

uint64_t cpu_weight_from_shares(uint64_t shares) {
  shares = std::clamp(shares, kMinShares, kMaxShares);
  // The straight line through (2, 1) and (262144, 10000).
  return 1 + ((shares - kMinShares) * (kMaxWeight - 1)) / (kMaxShares - kMinShares);
}

std::string limit_value(int64_t limit) { return limit < 0 ? "max" : std::to_string(limit); }

std::string pids_max_value(int64_t limit) { return limit <= 0 ? "max" : std::to_string(limit); }

base::Result<std::string> swap_max_value(int64_t swap, std::optional<int64_t> limit) {
  if (swap < 0) return std::string("max");
  if (!limit || *limit < 0) {
    return base::Error("memory.swap " + std::to_string(swap) +
                       " needs a memory.limit: it counts memory plus swap");
  }
  if (swap < *limit) {
    return base::Error("memory.swap " + std::to_string(swap) + " is below memory.limit " +
                       std::to_string(*limit) + ": it counts memory plus swap");
  }
  return std::to_string(swap - *limit);
}

std::optional<std::string> cpu_max_value(std::optional<int64_t> quota,
                                         std::optional<uint64_t> period) {
  if (!quota && !period) return std::nullopt;
  std::string q = quota && *quota > 0 ? std::to_string(*quota) : "max";
  uint64_t p = period && *period > 0 ? *period : kDefaultPeriodUs;
  return q + " " + std::to_string(p);
}

}  // namespace hull::runtime
