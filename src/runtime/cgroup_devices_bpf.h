// cgroup v2 has no devices controller: a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the
// cgroup answers each open and mknod instead (1 allows, 0 denies with EPERM). This generates
// that program from the v1 policy the rules leave behind (cgroup_devices.h), so a spec means
// the same on both versions. Pure: cgroup_bpf.h loads and attaches the result.
#pragma once

#include <linux/bpf.h>

#include <vector>

#include "base/error.h"
#include "oci/spec.h"
#include "runtime/cgroup_devices.h"

namespace hull::runtime {

// The program for rules applied in order from "deny a" (pass with_default_devices() for a
// container). Fails where device_policy() does.
base::Result<std::vector<bpf_insn>> device_filter(const std::vector<oci::DeviceRule>& rules);

// The program for a policy. It reads the context once (device type, access, major, minor),
// then tests each exception in turn; the first that matches returns its verdict, and the
// default is returned when none does. Every exception has the same verdict (the opposite of
// the default), so their order does not change the answer.
std::vector<bpf_insn> device_filter(const DevicePolicy& policy);

}  // namespace hull::runtime
