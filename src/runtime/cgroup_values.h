// Pure conversions from linux.resources values to what cgroup files accept. The runtime-spec
// speaks cgroup v1 (shares, memory+swap); cgroup v2 wants weights, separate swap and "max".
// No syscalls here, so every rule is unit-tested.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/error.h"

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

}  // namespace hull::runtime
