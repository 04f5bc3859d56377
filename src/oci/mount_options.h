// The mount-option vocabulary of config.json ("ro", "nosuid", "rbind", "rslave", …): one
// table that both parses options into mount(2) flags and prints flags back as names.
#pragma once

#include <string>
#include <vector>

namespace hull::oci {

struct MountOptions {
  unsigned long flags = 0;        // MS_* to set (MS_RDONLY, MS_NOSUID, MS_BIND|MS_REC, …)
  unsigned long propagation = 0;  // MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE, maybe | MS_REC
  std::string data;               // options the kernel takes as data ("mode=755,size=65536k")
  bool is_bind() const;
};

// Unknown options go to data, as runc does; "rw" clears "ro", "suid" clears "nosuid", etc.
MountOptions parse_mount_options(const std::vector<std::string>& options);
// "ro,nosuid,nodev,noexec" for error messages; flags without a name are left out.
std::string mount_flags_string(unsigned long flags);
// Every option name the table knows, sorted (for the features document).
std::vector<std::string> all_mount_option_names();

}  // namespace hull::oci
