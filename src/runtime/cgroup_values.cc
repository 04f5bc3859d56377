#include "runtime/cgroup_values.h"

#include <algorithm>
#include <map>

namespace hull::runtime {

namespace {
constexpr uint64_t kMinShares = 2;
constexpr uint64_t kMaxShares = 262144;
constexpr uint64_t kMaxWeight = 10000;
constexpr uint64_t kDefaultPeriodUs = 100000;
constexpr uint64_t kMinBlkioWeight = 10;
constexpr uint64_t kMaxBlkioWeight = 1000;
constexpr uint64_t kMaxIoWeight = 10000;
constexpr int64_t kAnyDevice = 0xffffffff;  // the kernel's ~0 in a device rule
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

std::optional<uint32_t> device_rule_number(const std::optional<int64_t>& n) {
  if (!n || *n < 0 || *n >= kAnyDevice) return std::nullopt;
  return static_cast<uint32_t>(*n);
}

std::string device_rule_access(const oci::DeviceRule& r) {
  return r.access.empty() ? "rwm" : r.access;
}

std::string device_rule_line(const oci::DeviceRule& r) {
  auto number = [](const std::optional<int64_t>& n) {
    auto v = device_rule_number(n);
    return v ? std::to_string(*v) : std::string("*");
  };
  const std::string type = r.type.empty() ? "a" : r.type;
  return type + " " + number(r.major) + ":" + number(r.minor) + " " + device_rule_access(r);
}

uint64_t io_weight_from_blkio(uint64_t weight) {
  weight = std::clamp(weight, kMinBlkioWeight, kMaxBlkioWeight);
  // The straight line through (10, 1) and (1000, 10000).
  return 1 +
         ((weight - kMinBlkioWeight) * (kMaxIoWeight - 1)) / (kMaxBlkioWeight - kMinBlkioWeight);
}

std::string device_value_line(int64_t major, int64_t minor, uint64_t value) {
  return std::to_string(major) + ":" + std::to_string(minor) + " " + std::to_string(value);
}

std::string io_weight_device_line(int64_t major, int64_t minor, uint16_t weight, bool bfq) {
  const std::string dev = std::to_string(major) + ":" + std::to_string(minor);
  if (weight == 0) return dev + " default";
  return dev + " " + std::to_string(bfq ? weight : io_weight_from_blkio(weight));
}

std::vector<std::string> io_max_lines(const oci::BlockIo& b) {
  std::vector<std::string> devices;             // "8:0", in order of first appearance
  std::map<std::string, std::string> settings;  // "8:0" -> " rbps=1 wbps=max"
  auto add = [&](const std::vector<oci::BlockIoThrottle>& list, const char* key) {
    for (const auto& t : list) {
      std::string dev = std::to_string(t.major) + ":" + std::to_string(t.minor);
      if (!settings.count(dev)) devices.push_back(dev);
      settings[dev] += std::string(" ") + key + "=" +
                       (t.rate == 0 ? std::string("max") : std::to_string(t.rate));
    }
  };
  add(b.read_bps, "rbps");
  add(b.write_bps, "wbps");
  add(b.read_iops, "riops");
  add(b.write_iops, "wiops");
  std::vector<std::string> out;
  for (const auto& dev : devices) out.push_back(dev + settings[dev]);
  return out;
}

std::string hugetlb_v1_file(const std::string& page_size) {
  return "hugetlb." + page_size + ".limit_in_bytes";
}

std::string hugetlb_v2_file(const std::string& page_size) {
  return "hugetlb." + page_size + ".max";
}

std::string net_prio_line(const oci::NetPriority& p) {
  return p.name + " " + std::to_string(p.priority);
}

std::string oom_control_value(bool disable_oom_killer) { return disable_oom_killer ? "1" : "0"; }

}  // namespace hull::runtime
