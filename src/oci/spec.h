// The OCI runtime-spec (v1.2) model for Linux: typed structs filled from config.json by
// parse_spec() (spec_parse.cc), which validates as it goes and names the JSON path of any
// error. Unknown fields are ignored, as the spec requires. No syscalls here.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace hull::oci {

inline constexpr const char* kSpecVersion = "1.2.0";

struct User {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::optional<uint32_t> umask;
  std::vector<uint32_t> additional_gids;
};

struct Capabilities {
  // Capability numbers (see capabilities.h), already resolved from names.
  std::vector<int> bounding, effective, inheritable, permitted, ambient;
};

struct Rlimit {
  int resource = 0;  // RLIMIT_*
  std::string type;  // "RLIMIT_NOFILE", as written
  uint64_t soft = 0;
  uint64_t hard = 0;
};

struct ConsoleSize {
  unsigned height = 0;
  unsigned width = 0;
};

struct Process {
  bool terminal = false;
  std::optional<ConsoleSize> console_size;
  User user;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd = "/";
  std::optional<Capabilities> capabilities;
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = false;
  std::optional<int> oom_score_adj;
  std::string apparmor_profile;
  std::string selinux_label;
};

struct Root {
  std::string path;  // as written; resolve_paths() makes it absolute against the bundle
  bool readonly = false;
};

struct Mount {
  std::string destination;
  std::string type;
  std::string source;
  std::vector<std::string> options;           // as written; mount_options.h parses them
  std::vector<std::string> uid_mappings_raw;  // idmapped mounts are not supported yet
};

struct Hook {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<int> timeout;  // seconds
};

struct Hooks {
  std::vector<Hook> prestart;  // deprecated, run with createRuntime
  std::vector<Hook> create_runtime;
  std::vector<Hook> create_container;
  std::vector<Hook> start_container;
  std::vector<Hook> poststart;
  std::vector<Hook> poststop;
  bool empty() const {
    return prestart.empty() && create_runtime.empty() && create_container.empty() &&
           start_container.empty() && poststart.empty() && poststop.empty();
  }
};

enum class NamespaceType { kPid, kNetwork, kMount, kIpc, kUts, kUser, kCgroup, kTime };

struct Namespace {
  NamespaceType type;
  std::string path;  // empty: create a new one
};

struct IdMapping {
  uint32_t container_id = 0;
  uint32_t host_id = 0;
  uint32_t size = 0;
};

struct Device {
  std::string path;
  char type = 'c';  // c, b, u, p
  int64_t major = 0;
  int64_t minor = 0;
  std::optional<uint32_t> file_mode;
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
};

struct DeviceRule {  // linux.resources.devices
  bool allow = false;
  std::string type;  // "a", "c", "b" or "" (all, as "a")
  // Absent means any ("*"); a -1 (runc's any) is stored as absent. Otherwise 0..4294967295,
  // the last being the kernel's own "any".
  std::optional<int64_t> major;
  std::optional<int64_t> minor;
  std::string access;  // letters of "rwm"
};

struct BlockIoWeightDevice {  // linux.resources.blockIO.weightDevice
  int64_t major = 0;
  int64_t minor = 0;
  std::optional<uint16_t> weight;
  std::optional<uint16_t> leaf_weight;
};

struct BlockIoThrottle {  // an entry of linux.resources.blockIO.throttle*Device
  int64_t major = 0;
  int64_t minor = 0;
  uint64_t rate = 0;  // bytes or operations per second; 0 removes the limit
};

// linux.resources.blockIO
struct BlockIo {
  std::optional<uint16_t> weight;       // 10..1000
  std::optional<uint16_t> leaf_weight;  // 10..1000
  std::vector<BlockIoWeightDevice> weight_devices;
  std::vector<BlockIoThrottle> read_bps, write_bps, read_iops, write_iops;
  bool empty() const {
    return !weight && !leaf_weight && weight_devices.empty() && read_bps.empty() &&
           write_bps.empty() && read_iops.empty() && write_iops.empty();
  }
};

// linux.resources.hugepageLimits
struct HugepageLimit {
  std::string page_size;  // "2MB", "1GB", "64KB": as in the cgroup file names
  uint64_t limit = 0;     // bytes
};

struct NetPriority {  // linux.resources.network.priorities
  std::string name;   // interface
  uint32_t priority = 0;
};

// linux.resources: parsed and kept for the cgroup layer, which applies it (see
// docs/architecture.md, "cgroup resources", for what each version applies or ignores).
// linux.resources.rdma is not read.
struct Resources {
  std::vector<DeviceRule> devices;
  std::optional<int64_t> memory_limit, memory_reservation, memory_swap;
  std::optional<int64_t> memory_kernel, memory_kernel_tcp;
  std::optional<uint64_t> memory_swappiness;  // 0..100
  std::optional<bool> memory_disable_oom_killer;
  std::optional<uint64_t> cpu_shares, cpu_period;
  std::optional<int64_t> cpu_quota;
  std::optional<int64_t> cpu_realtime_runtime;
  std::optional<uint64_t> cpu_realtime_period;
  std::optional<int64_t> cpu_idle;
  std::string cpuset_cpus, cpuset_mems;
  std::optional<int64_t> pids_limit;
  BlockIo block_io;
  std::vector<HugepageLimit> hugepage_limits;
  std::optional<uint32_t> net_class_id;
  std::vector<NetPriority> net_priorities;
  std::map<std::string, std::string> unified;
};

struct TimeOffset {
  int64_t secs = 0;
  uint32_t nanosecs = 0;
};

struct SeccompArg {
  unsigned index = 0;
  uint64_t value = 0;
  uint64_t value_two = 0;
  std::string op;  // SCMP_CMP_*
};

struct SeccompSyscall {
  std::vector<std::string> names;
  std::string action;  // SCMP_ACT_*
  std::optional<unsigned> errno_ret;
  std::vector<SeccompArg> args;
};

struct Seccomp {
  std::string default_action;
  std::optional<unsigned> default_errno_ret;
  std::vector<std::string> architectures;
  std::vector<std::string> flags;
  std::string listener_path;
  std::string listener_metadata;
  std::vector<SeccompSyscall> syscalls;
};

struct Linux {
  std::vector<Namespace> namespaces;
  std::vector<IdMapping> uid_mappings;
  std::vector<IdMapping> gid_mappings;
  std::map<std::string, TimeOffset> time_offsets;  // "monotonic", "boottime"
  std::vector<Device> devices;
  std::string cgroups_path;
  std::optional<Resources> resources;
  std::string rootfs_propagation;
  std::vector<std::string> masked_paths;
  std::vector<std::string> readonly_paths;
  std::map<std::string, std::string> sysctl;
  std::optional<Seccomp> seccomp;
  std::string mount_label;

  const Namespace* find(NamespaceType t) const {
    for (const auto& ns : namespaces) {
      if (ns.type == t) return &ns;
    }
    return nullptr;
  }
};

struct Spec {
  std::string oci_version;
  Process process;
  bool has_process = false;
  Root root;
  std::string hostname;
  std::string domainname;
  std::vector<Mount> mounts;
  Hooks hooks;
  std::map<std::string, std::string> annotations;
  Linux linux;
  // The config.json text this was parsed from: stored with the container's state, so later
  // commands (exec) see the spec the container was made with, whatever the bundle holds now.
  std::string source;
};

// Parses and validates config.json text. Errors read "process.user.uid: expected a number".
base::Result<Spec> parse_spec(const std::string& json_text);
// Parses a process.json (`hull-oci exec --process`): a Process object; errors read
// "process.args: missing".
base::Result<Process> parse_process(const std::string& json_text);
// Reads <bundle>/config.json, parses it, and makes root.path absolute against the bundle.
base::Result<Spec> load_bundle(const std::string& bundle_dir);

// The namespace table: "pid" <-> kPid <-> CLONE_NEWPID, "/proc/self/ns/pid".
struct NamespaceInfo {
  NamespaceType type;
  const char* spec_name;  // "network"
  const char* proc_name;  // "net"
  int clone_flag;
};
const NamespaceInfo& namespace_info(NamespaceType t);
const NamespaceInfo* namespace_by_spec_name(const std::string& name);
const std::vector<NamespaceInfo>& all_namespaces();

}  // namespace hull::oci
