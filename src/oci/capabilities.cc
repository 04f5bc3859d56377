#include "oci/capabilities.h"

#include <iterator>

namespace hull::oci {

namespace {

// The one capability table, indexed by number: kCapabilities[n] is the name of capability n.
constexpr const char* kCapabilities[] = {
    "CAP_CHOWN",               // 0
    "CAP_DAC_OVERRIDE",        // 1
    "CAP_DAC_READ_SEARCH",     // 2
    "CAP_FOWNER",              // 3
    "CAP_FSETID",              // 4
    "CAP_KILL",                // 5
    "CAP_SETGID",              // 6
    "CAP_SETUID",              // 7
    "CAP_SETPCAP",             // 8
    "CAP_LINUX_IMMUTABLE",     // 9
    "CAP_NET_BIND_SERVICE",    // 10
    "CAP_NET_BROADCAST",       // 11
    "CAP_NET_ADMIN",           // 12
    "CAP_NET_RAW",             // 13
    "CAP_IPC_LOCK",            // 14
    "CAP_IPC_OWNER",           // 15
    "CAP_SYS_MODULE",          // 16
    "CAP_SYS_RAWIO",           // 17
    "CAP_SYS_CHROOT",          // 18
    "CAP_SYS_PTRACE",          // 19
    "CAP_SYS_PACCT",           // 20
    "CAP_SYS_ADMIN",           // 21
    "CAP_SYS_BOOT",            // 22
    "CAP_SYS_NICE",            // 23
    "CAP_SYS_RESOURCE",        // 24
    "CAP_SYS_TIME",            // 25
    "CAP_SYS_TTY_CONFIG",      // 26
    "CAP_MKNOD",               // 27
    "CAP_LEASE",               // 28
    "CAP_AUDIT_WRITE",         // 29
    "CAP_AUDIT_CONTROL",       // 30
    "CAP_SETFCAP",             // 31
    "CAP_MAC_OVERRIDE",        // 32
    "CAP_MAC_ADMIN",           // 33
    "CAP_SYSLOG",              // 34
    "CAP_WAKE_ALARM",          // 35
    "CAP_BLOCK_SUSPEND",       // 36
    "CAP_AUDIT_READ",          // 37
    "CAP_PERFMON",             // 38
    "CAP_BPF",                 // 39
    "CAP_CHECKPOINT_RESTORE",  // 40
};
constexpr int kCount = static_cast<int>(std::size(kCapabilities));
static_assert(kCount == 41, "CAP_CHOWN (0) through CAP_CHECKPOINT_RESTORE (40)");

}  // namespace

std::optional<int> capability_from_name(std::string_view name) {
  for (int i = 0; i < kCount; ++i) {
    if (name == kCapabilities[i]) return i;
  }
  return std::nullopt;
}

std::string capability_name(int cap) {
  if (cap >= 0 && cap < kCount) return kCapabilities[cap];
  return "CAP_" + std::to_string(cap);
}

std::vector<std::string> all_capability_names() {
  return std::vector<std::string>(std::begin(kCapabilities), std::end(kCapabilities));
}

}  // namespace hull::oci
