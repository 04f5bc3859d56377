#include "oci/default_spec.h"

#include <string>
#include <vector>

#include "oci/spec.h"

namespace hull::oci {

namespace {

using nlohmann::json;

json mount(const char* destination, const char* type, const char* source,
           std::vector<std::string> options) {
  json m = {{"destination", destination}, {"type", type}, {"source", source}};
  if (!options.empty()) m["options"] = options;
  return m;
}

json namespaces(const std::vector<const char*>& types) {
  json out = json::array();
  for (const char* t : types) out.push_back({{"type", t}});
  return out;
}

json process() {
  std::vector<std::string> caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  return {
      {"terminal", true},
      {"user", {{"uid", 0}, {"gid", 0}}},
      {"args", {"sh"}},
      {"env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"}},
      {"cwd", "/"},
      {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
      {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}}},
      {"noNewPrivileges", true},
  };
}

// /sys: a fresh sysfs needs a network namespace we own (and real root); rootless binds the
// host's instead. uid=/gid= options name host ids that do not exist in a rootless userns.
json mounts(bool rootless) {
  json out = json::array();
  out.push_back(mount("/proc", "proc", "proc", {}));
  out.push_back(
      mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}));
  std::vector<std::string> devpts = {"nosuid", "noexec", "newinstance", "ptmxmode=0666",
                                     "mode=0620"};
  if (!rootless) devpts.push_back("gid=5");
  out.push_back(mount("/dev/pts", "devpts", "devpts", devpts));
  out.push_back(
      mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}));
  out.push_back(mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));
  if (rootless) {
    out.push_back(mount("/sys", "none", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"}));
  } else {
    out.push_back(mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}));
    out.push_back(mount("/sys/fs/cgroup", "cgroup", "cgroup",
                        {"nosuid", "noexec", "nodev", "relatime", "ro"}));
  }
  return out;
}

json linux_section(bool rootless, unsigned host_uid, unsigned host_gid) {
  json l;
  if (rootless) {
    l["uidMappings"] = {{{"containerID", 0}, {"hostID", host_uid}, {"size", 1}}};
    l["gidMappings"] = {{{"containerID", 0}, {"hostID", host_gid}, {"size", 1}}};
    // No network namespace (an unprivileged user cannot plumb one) and no cgroup namespace
    // or limits (a rootless container may have no delegated cgroup).
    l["namespaces"] = namespaces({"pid", "ipc", "uts", "mount", "user"});
  } else {
    l["resources"] = {{"devices", {{{"allow", false}, {"access", "rwm"}}}}};
    l["namespaces"] = namespaces({"pid", "network", "ipc", "uts", "mount", "cgroup"});
  }
  l["maskedPaths"] = default_masked_paths();
  l["readonlyPaths"] = default_readonly_paths();
  return l;
}

}  // namespace

const std::vector<std::string>& default_masked_paths() {
  static const std::vector<std::string> paths = {
      "/proc/acpi",          "/proc/asound",   "/proc/kcore",          "/proc/keys",
      "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",  "/proc/sched_debug",
      "/proc/scsi",          "/sys/firmware",  "/sys/devices/virtual/powercap"};
  return paths;
}

const std::vector<std::string>& default_readonly_paths() {
  static const std::vector<std::string> paths = {"/proc/bus", "/proc/fs", "/proc/irq",
                                                 "/proc/sys", "/proc/sysrq-trigger"};
  return paths;
}

json default_spec(bool rootless, unsigned host_uid, unsigned host_gid) {
  return {
      {"ociVersion", kSpecVersion},
      {"process", process()},
      {"root", {{"path", "rootfs"}, {"readonly", true}}},
      {"hostname", "hull"},
      {"mounts", mounts(rootless)},
      {"linux", linux_section(rootless, host_uid, host_gid)},
  };
}

}  // namespace hull::oci
