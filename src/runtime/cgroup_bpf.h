// bpf(2) for the cgroup v2 device filter: load a BPF_PROG_TYPE_CGROUP_DEVICE program, list
// the device programs attached to a cgroup, attach one and detach the others. Thin wrappers:
// the program itself comes from cgroup_devices_bpf.h.
#pragma once

#include <linux/bpf.h>

#include <cstdint>
#include <vector>

#include "base/error.h"
#include "base/fd.h"

namespace hull::runtime {

// Loads a device program. On a verifier rejection the error carries the verifier's last line.
base::Result<base::Fd> load_device_program(const std::vector<bpf_insn>& insns);

// The ids of the device programs attached to the cgroup itself (not those inherited).
base::Result<std::vector<uint32_t>> attached_device_programs(int cgroup_fd);

// Attaches `prog_fd` with BPF_F_ALLOW_MULTI, then detaches every device program attached
// before: the cgroup is never without a filter, and while both are attached the kernel allows
// only what both allow. This is how an update replaces the filter a create attached.
base::Result<void> replace_device_program(int cgroup_fd, int prog_fd);

// Detaches the program with this id from the cgroup (ENOENT once it is gone).
base::Result<void> detach_device_program(int cgroup_fd, uint32_t id);

}  // namespace hull::runtime
