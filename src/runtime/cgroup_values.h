// Pure conversions from linux.resources values to what cgroup files accept. The runtime-spec
// speaks cgroup v1 (shares, memory+swap); cgroup v2 wants weights, separate swap and "max".
// No syscalls here, so every rule is unit-tested.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "oci/spec.h"

namespace hull::runtime {

// v1 cpu.shares (2..262144, clamped as the v1 kernel does) mapped linearly onto v2 cpu.weight
// (1..10000): 2 -> 1, 1024 -> 39, 262144 -> 10000. The same mapping runc and crun use, so a
// container gets the same weight whichever runtime starts it.
uint64_t cpu_weight_from_shares(uint64_t shares);

// A byte limit for memory.max / memory.low: negative means unlimited ("max").
std::string limit_value(int64_t limit);

// pids.max: a positive number is the limit; 0 and negative mean unlimited, as runc reads them.
std::string pids_max_value(int64_t limit);

// memory.swap.max from the spec's memory.swap, which is memory+swap (the v1 memsw meaning):
// swap.max = swap - limit; -1 means unlimited. Swap without a memory limit, or below it, is an
// error, because the difference means nothing then.
base::Result<std::string> swap_max_value(int64_t swap, std::optional<int64_t> limit);

// cpu.max "quota period" or "max period"; a non-positive quota means no limit and a missing
// period is the kernel's default of 100000 us. nullopt when neither is set.
std::optional<std::string> cpu_max_value(std::optional<int64_t> quota,
                                         std::optional<uint64_t> period);

// ---- devices ------------------------------------------------------------------------------

// A device number of a rule as the kernel reads it: absent, -1 and 4294967295 (the kernel's
// own ~0) all mean any device; nullopt stands for that.
std::optional<uint32_t> device_rule_number(const std::optional<int64_t>& n);
// The access letters of a rule: an absent access means all of "rwm", as an absent type means
// all devices (the kernel refuses a rule without letters).
std::string device_rule_access(const oci::DeviceRule& r);
// The line written to v1 devices.allow or devices.deny: "c 1:3 rwm", "b 8:* r", "a *:* rwm".
// (The kernel reads any rule of type "a" as "every device, every access".)
std::string device_rule_line(const oci::DeviceRule& r);

// ---- block I/O ----------------------------------------------------------------------------

// v1 blkio.weight (10..1000) mapped linearly onto v2 io.weight (1..10000): 10 -> 1,
// 500 -> 4950, 1000 -> 10000; the mapping runc and crun use.
uint64_t io_weight_from_blkio(uint64_t weight);
// "MAJ:MIN VALUE": a line of v1 blkio.weight_device, blkio.throttle.*_device, and of v2
// io.weight / io.bfq.weight for one device.
std::string device_value_line(int64_t major, int64_t minor, uint64_t value);
// One device's line of v2 io.weight (converted) or io.bfq.weight (`bfq`: blkio's range, as is):
// "8:0 4950"; a weight of 0 (v1: drop the device's own weight) is "8:0 default".
std::string io_weight_device_line(int64_t major, int64_t minor, uint16_t weight, bool bfq);
// v2 io.max lines, one per device in the order devices first appear:
// "8:0 rbps=1048576 wiops=max". Only the limits the spec names are written, so the others
// keep their values; a rate of 0 (v1: no limit) is "max".
std::vector<std::string> io_max_lines(const oci::BlockIo& b);

// ---- hugetlb, network, memory --------------------------------------------------------------

// v1 "hugetlb.2MB.limit_in_bytes", v2 "hugetlb.2MB.max".
std::string hugetlb_v1_file(const std::string& page_size);
std::string hugetlb_v2_file(const std::string& page_size);
// A line of v1 net_prio.ifpriomap: "eth0 5".
std::string net_prio_line(const oci::NetPriority& p);
// v1 memory.oom_control: "1" disables the OOM killer, "0" enables it.
std::string oom_control_value(bool disable_oom_killer);

}  // namespace hull::runtime
