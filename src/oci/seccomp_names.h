// The seccomp vocabulary of config.json (actions, argument operators, filter flags): one list
// each, read by the spec parser to validate and by the features document to advertise.
// Mapping the names to libseccomp values is the runtime's business; oci/ has no libseccomp.
#pragma once

#include <string_view>

namespace hull::oci {

inline constexpr std::string_view kSeccompActions[] = {
    "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY",
};

inline constexpr std::string_view kSeccompOperators[] = {
    "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",        "SCMP_CMP_EQ",
    "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
};

// linux.seccomp.flags: the seccomp(2) SECCOMP_FILTER_FLAG_* names the spec allows.
inline constexpr std::string_view kSeccompFlags[] = {
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
};

// The architectures hull-oci advertises (its build targets and their compat ABIs).
inline constexpr std::string_view kSeccompArchs[] = {
    "SCMP_ARCH_X86_64",
    "SCMP_ARCH_X86",
    "SCMP_ARCH_X32",
    "SCMP_ARCH_AARCH64",
};

}  // namespace hull::oci
