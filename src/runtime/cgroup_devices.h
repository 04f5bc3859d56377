// linux.resources.devices as the kernel's v1 devices controller reads it, modelled purely: the
// runtime-spec's rules are that controller's API, so cgroup v1 writes them and cgroup v2
// builds its eBPF filter (cgroup_devices_bpf.h) from the policy they leave behind here.
// No syscalls; the model is unit-tested and checked against the v1 kernel's devices.list.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "oci/spec.h"

namespace hull::runtime {

// Access bits, the kernel's DEVCG_ACC_* (and BPF_DEVCG_ACC_*).
inline constexpr uint8_t kDevMknod = 1;
inline constexpr uint8_t kDevRead = 2;
inline constexpr uint8_t kDevWrite = 4;
inline constexpr uint8_t kDevAll = kDevMknod | kDevRead | kDevWrite;

// One entry of the kernel's exception list; its verdict is the opposite of the default.
struct DeviceException {
  char type = 'c';                       // 'c' or 'b'
  std::optional<uint32_t> major, minor;  // nullopt: any
  uint8_t access = 0;                    // kDev* bits, never 0

  bool same_key(const DeviceException& o) const {
    return type == o.type && major == o.major && minor == o.minor;
  }
};

// What the v1 controller holds after a list of writes: a default verdict and exceptions.
struct DevicePolicy {
  bool default_allow = false;
  std::vector<DeviceException> exceptions;

  // The kernel's check: with a deny default, one exception must match the device and grant
  // every bit asked for; with an allow default, no matching exception may hold any of them.
  bool allows(char type, uint32_t major, uint32_t minor, uint8_t access) const;
};

// Access letters ("rwm", "r") to kDev* bits and back ("" for none).
uint8_t device_access_bits(const std::string& letters);
std::string device_access_letters(uint8_t bits);

// What every container may use, whatever its spec says first: mknod of any node, and
// /dev/null, zero, full, random, urandom, tty, ptmx, pts/* and net/tun (runc's list).
const std::vector<oci::DeviceRule>& default_device_rules();

// The rules the runtime applies: the defaults, then the spec's rules. A spec usually opens with
// a rule that resets everything ("deny a"), so the defaults go right after the spec's last
// reset rule (type "a"); the rules after it can still narrow or remove a default. runc appends
// its defaults after the spec's rules instead, so there a spec cannot deny /dev/zero at all.
std::vector<oci::DeviceRule> with_default_devices(const std::vector<oci::DeviceRule>& spec);

// Applies rules in order to a controller that starts from "deny a", as the v1 kernel applies
// writes: a rule of type "a" resets the default and drops every exception; a rule whose verdict
// is the default's removes its bits from the exception with exactly its type and numbers; any
// other rule adds its bits to that exception (or makes it).
// The kernel silently ignores a removal that a wildcard exception still covers ("allow c *:*
// rwm" then "deny c 1:3 rw" keeps /dev/null allowed). Where read or write is concerned that is
// an error here, naming both rules; mknod alone is let through (the defaults grant it for any
// node, and without read or write a node is of no use).
base::Result<DevicePolicy> device_policy(const std::vector<oci::DeviceRule>& rules);

// One write to v1 devices.allow (allow) or devices.deny: "c 1:3 rw".
struct DeviceWrite {
  bool allow = false;
  std::string line;
};

// The writes that take a running container's v1 devices cgroup, whose devices.list reads
// `devices_list`, to `target` without first denying everything (what "a" to devices.deny
// would do for a moment): grant what is missing, then take away what is no longer wanted.
// nullopt when the list is not a deny-default list: a fresh cgroup lists "a *:* rwm" (allow
// all, with deny exceptions the kernel does not show), so it gets the rules in order instead.
std::optional<std::vector<DeviceWrite>> device_update_writes(const std::string& devices_list,
                                                             const DevicePolicy& target);

// The lines the v1 kernel's devices.list shows for a policy, sorted: "c 1:3 rwm", "b 8:* r";
// just "a *:* rwm" when the default is allow (the kernel does not list deny exceptions).
std::vector<std::string> device_list_lines(const DevicePolicy& p);

}  // namespace hull::runtime
