// Rules of config.json that span fields: id maps need a user namespace, time offsets a time
// namespace, hostname a uts namespace, and each sysctl the namespace that owns it. The
// namespace rules follow runc: "has the namespace" means listed, whether new or joined.
#include <string_view>

#include "oci/spec_internal.h"

namespace hull::oci::detail {

namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Which namespace a sysctl belongs to; nullopt for a sysctl that is not namespaced (and so
// would change the host). The key may be written with '/' (net/ipv4/ip_forward).
std::optional<NamespaceType> sysctl_namespace(std::string key) {
  for (char& c : key) {
    if (c == '/') c = '.';
  }
  if (starts_with(key, "kernel.msg") || key == "kernel.sem" || starts_with(key, "kernel.shm") ||
      starts_with(key, "fs.mqueue.")) {
    return NamespaceType::kIpc;
  }
  if (starts_with(key, "net.")) return NamespaceType::kNetwork;
  if (key == "kernel.hostname" || key == "kernel.domainname") return NamespaceType::kUts;
  return std::nullopt;
}

constexpr const char* kNeedsUser = "requires linux.namespaces to include \"user\"";

base::Result<void> validate_user_namespace(const Linux& l) {
  const Namespace* user = l.find(NamespaceType::kUser);
  if (user == nullptr) {
    if (!l.uid_mappings.empty()) return spec_error("linux.uidMappings", kNeedsUser);
    if (!l.gid_mappings.empty()) return spec_error("linux.gidMappings", kNeedsUser);
    return {};
  }
  // A joined namespace already has its maps; a new one is useless (and unusable) without.
  if (user->path.empty()) {
    if (l.uid_mappings.empty()) {
      return spec_error("linux.uidMappings", "required by a new user namespace");
    }
    if (l.gid_mappings.empty()) {
      return spec_error("linux.gidMappings", "required by a new user namespace");
    }
  }
  return {};
}

base::Result<void> validate_sysctl(const Spec& s) {
  for (const auto& [key, value] : s.linux.sysctl) {
    std::string path = child_path("linux.sysctl", key);
    auto ns = sysctl_namespace(key);
    if (!ns) {
      return spec_error(path,
                        "not allowed: only namespaced sysctls (kernel.msg*, kernel.sem, "
                        "kernel.shm*, fs.mqueue.*, net.*, kernel.hostname, kernel.domainname) "
                        "can be set");
    }
    if (s.linux.find(*ns) == nullptr) {
      return spec_error(path, std::string("requires linux.namespaces to include \"") +
                                  namespace_info(*ns).spec_name + "\"");
    }
    // Two sources for one value: which wins would depend on the order the runtime applies
    // them, so runc refuses it and so do we.
    if (key == "kernel.hostname" && !s.hostname.empty()) {
      return spec_error(path, "conflicts with the hostname field");
    }
  }
  return {};
}

}  // namespace

base::Result<void> validate_spec(const Spec& spec) {
  const Linux& l = spec.linux;
  TRY(validate_user_namespace(l));
  if (!l.time_offsets.empty()) {
    const Namespace* time = l.find(NamespaceType::kTime);
    // Offsets can only be written before the first process enters the namespace.
    if (time == nullptr || !time->path.empty()) {
      return spec_error("linux.timeOffsets", "requires a new time namespace");
    }
  }
  if (l.find(NamespaceType::kUts) == nullptr) {
    if (!spec.hostname.empty()) {
      return spec_error("hostname", "cannot be set without a private uts namespace");
    }
    if (!spec.domainname.empty()) {
      return spec_error("domainname", "cannot be set without a private uts namespace");
    }
  }
  TRY(validate_sysctl(spec));
  return {};
}

}  // namespace hull::oci::detail
