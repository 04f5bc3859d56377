// config.json's "linux" section: namespaces, id maps, time offsets, devices, resources,
// propagation, masked and read-only paths, sysctl and seccomp. Values are checked one at a
// time here; rules that span fields are in spec_validate.cc.
#include <algorithm>
#include <cstdint>
#include <iterator>
#include <set>

#include "oci/seccomp_names.h"
#include "oci/spec_internal.h"

namespace hull::oci::detail {

namespace {

template <typename List>
bool one_of(const List& list, std::string_view value) {
  return std::find(std::begin(list), std::end(list), value) != std::end(list);
}

constexpr std::string_view kPropagations[] = {
    "shared", "slave", "private", "unbindable", "rshared", "rslave", "rprivate", "runbindable",
};

std::vector<Namespace> parse_namespaces(const Node& n) {
  std::vector<Namespace> out;
  std::set<NamespaceType> seen;
  n.each([&](const Node& e) {
    Node type = e.required("type");
    std::string name = type.as_string();
    const NamespaceInfo* info = namespace_by_spec_name(name);
    if (info == nullptr) type.fail("unknown namespace type " + quote(name));
    if (!seen.insert(info->type).second) type.fail("duplicate namespace " + quote(name));
    Namespace ns{info->type, ""};
    if (Node path = e.get("path"); path.present()) {
      ns.path = path.as_string();
      if (!ns.path.empty()) require_absolute(path, ns.path);
    }
    out.push_back(std::move(ns));
  });
  return out;
}

std::vector<IdMapping> parse_id_mappings(const Node& n) {
  std::vector<IdMapping> out;
  n.each([&](const Node& e) {
    IdMapping m;
    m.container_id = e.required("containerID").as_u32();
    m.host_id = e.required("hostID").as_u32();
    Node size = e.required("size");
    m.size = size.as_u32();
    if (m.size == 0) size.fail("must be greater than zero");
    out.push_back(m);
  });
  return out;
}

std::map<std::string, TimeOffset> parse_time_offsets(const Node& n) {
  std::map<std::string, TimeOffset> out;
  n.each_field([&](const std::string& clock, const Node& v) {
    if (clock != "monotonic" && clock != "boottime") {
      v.fail("unknown clock " + quote(clock) + " (expected monotonic or boottime)");
    }
    TimeOffset t;
    if (auto secs = v.opt_i64("secs")) t.secs = *secs;
    if (Node ns = v.get("nanosecs"); ns.present()) {
      t.nanosecs = ns.as_u32();
      if (t.nanosecs >= 1000000000) ns.fail("must be below 1000000000");
    }
    out[clock] = t;
  });
  return out;
}

std::vector<Device> parse_devices(const Node& n) {
  std::vector<Device> out;
  n.each([&](const Node& e) {
    Device d;
    Node path = e.required("path");
    d.path = path.as_string();
    require_absolute(path, d.path);
    Node type = e.required("type");
    std::string t = type.as_string();
    if (t != "c" && t != "b" && t != "u" && t != "p") {
      type.fail("unknown device type " + quote(t) + " (expected c, b, u or p)");
    }
    d.type = t[0];
    // A fifo has no device number; every other kind needs both.
    if (d.type != 'p') {
      d.major = e.required("major").as_i64();
      d.minor = e.required("minor").as_i64();
    }
    d.file_mode = e.opt_u32("fileMode");
    d.uid = e.opt_u32("uid");
    d.gid = e.opt_u32("gid");
    out.push_back(std::move(d));
  });
  return out;
}

// A device number in a device rule: absent or -1 means any; the kernel's numbers are u32.
std::optional<int64_t> parse_rule_number(const Node& e, const char* key) {
  Node n = e.get(key);
  if (!n.present()) return std::nullopt;
  int64_t v = n.as_i64();
  if (v < -1 || v > int64_t{UINT32_MAX}) n.fail("must be -1 (any) or 0 to 4294967295");
  if (v == -1) return std::nullopt;
  return v;
}

std::vector<DeviceRule> parse_device_rules(const Node& n) {
  std::vector<DeviceRule> out;
  n.each([&](const Node& e) {
    DeviceRule r;
    r.allow = e.required("allow").as_bool();
    Node type = e.get("type");
    if (type.present()) {
      r.type = type.as_string();
      if (r.type != "a" && r.type != "c" && r.type != "b" && !r.type.empty()) {
        type.fail("unknown device type " + quote(r.type) + " (expected a, c or b)");
      }
    }
    r.major = parse_rule_number(e, "major");
    r.minor = parse_rule_number(e, "minor");
    Node access = e.get("access");
    if (access.present()) {
      r.access = access.as_string();
      if (r.access.find_first_not_of("rwm") != std::string::npos) {
        access.fail("expected letters of \"rwm\", got " + quote(r.access));
      }
    }
    out.push_back(std::move(r));
  });
  return out;
}

// A block device number (blockIO entries name one device, never a wildcard).
int64_t parse_device_number(const Node& e, const char* key) {
  Node n = e.required(key);
  int64_t v = n.as_i64();
  if (v < 0 || v > int64_t{UINT32_MAX}) n.fail("must be 0 to 4294967295");
  return v;
}

// A blkio weight: 10..1000. `zero_ok`: 0 is allowed (a per-device 0 removes that device's
// weight); a top-level 0 means "not set", as runc reads it.
std::optional<uint16_t> parse_weight(const Node& parent, const char* key, bool zero_ok) {
  Node n = parent.get(key);
  if (!n.present()) return std::nullopt;
  uint64_t v = n.as_u64();
  if (v == 0 && !zero_ok) return std::nullopt;
  if ((v != 0 && v < 10) || v > 1000) n.fail("must be between 10 and 1000");
  return static_cast<uint16_t>(v);
}

std::vector<BlockIoThrottle> parse_throttles(const Node& n) {
  std::vector<BlockIoThrottle> out;
  n.each([&](const Node& e) {
    out.push_back({parse_device_number(e, "major"), parse_device_number(e, "minor"),
                   e.required("rate").as_u64()});
  });
  return out;
}

BlockIo parse_block_io(const Node& n) {
  BlockIo b;
  b.weight = parse_weight(n, "weight", false);
  b.leaf_weight = parse_weight(n, "leafWeight", false);
  n.get("weightDevice").each([&](const Node& e) {
    BlockIoWeightDevice d;
    d.major = parse_device_number(e, "major");
    d.minor = parse_device_number(e, "minor");
    d.weight = parse_weight(e, "weight", true);
    d.leaf_weight = parse_weight(e, "leafWeight", true);
    b.weight_devices.push_back(d);
  });
  b.read_bps = parse_throttles(n.get("throttleReadBpsDevice"));
  b.write_bps = parse_throttles(n.get("throttleWriteBpsDevice"));
  b.read_iops = parse_throttles(n.get("throttleReadIOPSDevice"));
  b.write_iops = parse_throttles(n.get("throttleWriteIOPSDevice"));
  return b;
}

// The kernel names huge page sizes in cgroup files as a number and KB, MB or GB.
bool valid_page_size(const std::string& s) {
  size_t digits = s.find_first_not_of("0123456789");
  if (digits == 0 || digits == std::string::npos || s[0] == '0') return false;
  std::string unit = s.substr(digits);
  return unit == "KB" || unit == "MB" || unit == "GB";
}

std::vector<HugepageLimit> parse_hugepage_limits(const Node& n) {
  std::vector<HugepageLimit> out;
  n.each([&](const Node& e) {
    HugepageLimit h;
    Node size = e.required("pageSize");
    h.page_size = size.as_string();
    if (!valid_page_size(h.page_size)) {
      size.fail("expected a size such as \"2MB\" or \"1GB\", got " + quote(h.page_size));
    }
    h.limit = e.required("limit").as_u64();
    out.push_back(std::move(h));
  });
  return out;
}

void parse_memory(const Node& mem, Resources& r) {
  r.memory_limit = mem.opt_i64("limit");
  r.memory_reservation = mem.opt_i64("reservation");
  r.memory_swap = mem.opt_i64("swap");
  r.memory_kernel = mem.opt_i64("kernel");
  r.memory_kernel_tcp = mem.opt_i64("kernelTCP");
  if (Node swappiness = mem.get("swappiness"); swappiness.present()) {
    r.memory_swappiness = swappiness.as_u64();
    if (*r.memory_swappiness > 100) swappiness.fail("must be between 0 and 100");
  }
  if (Node oom = mem.get("disableOOMKiller"); oom.present()) {
    r.memory_disable_oom_killer = oom.as_bool();
  }
}

void parse_cpu(const Node& cpu, Resources& r) {
  r.cpu_shares = cpu.opt_u64("shares");
  r.cpu_quota = cpu.opt_i64("quota");
  r.cpu_period = cpu.opt_u64("period");
  r.cpu_realtime_runtime = cpu.opt_i64("realtimeRuntime");
  r.cpu_realtime_period = cpu.opt_u64("realtimePeriod");
  if (Node idle = cpu.get("idle"); idle.present()) {
    r.cpu_idle = idle.as_i64();
    if (*r.cpu_idle != 0 && *r.cpu_idle != 1) idle.fail("must be 0 or 1");
  }
  r.cpuset_cpus = cpu.string_or("cpus");
  r.cpuset_mems = cpu.string_or("mems");
}

void parse_network(const Node& net, Resources& r) {
  r.net_class_id = net.opt_u32("classID");
  net.get("priorities").each([&](const Node& e) {
    NetPriority p;
    Node name = e.required("name");
    p.name = name.as_string();
    if (p.name.empty() || p.name.find_first_of(" \t\n/") != std::string::npos) {
      name.fail("expected an interface name, got " + quote(p.name));
    }
    p.priority = e.required("priority").as_u32();
    r.net_priorities.push_back(std::move(p));
  });
}

}  // namespace

Resources parse_resources(const Node& n) {
  Resources r;
  r.devices = parse_device_rules(n.get("devices"));
  if (Node mem = n.get("memory"); mem.present()) parse_memory(mem, r);
  if (Node cpu = n.get("cpu"); cpu.present()) parse_cpu(cpu, r);
  if (Node pids = n.get("pids"); pids.present()) r.pids_limit = pids.opt_i64("limit");
  if (Node bio = n.get("blockIO"); bio.present()) r.block_io = parse_block_io(bio);
  r.hugepage_limits = parse_hugepage_limits(n.get("hugepageLimits"));
  if (Node net = n.get("network"); net.present()) parse_network(net, r);
  // linux.resources.rdma is not read: no hierarchy here has the rdma controller to test it.
  if (Node unified = n.get("unified"); unified.present()) r.unified = unified.as_string_map();
  return r;
}

namespace {

std::vector<std::string> parse_paths(const Node& n) {
  std::vector<std::string> out;
  n.each([&](const Node& e) {
    std::string p = e.as_string();
    require_absolute(e, p);
    out.push_back(std::move(p));
  });
  return out;
}

std::string parse_action(const Node& n) {
  std::string action = n.as_string();
  if (!one_of(kSeccompActions, action)) n.fail("unknown action " + quote(action));
  return action;
}

// errnoRet only means something to actions that return a value to the caller.
std::optional<unsigned> parse_errno_ret(const Node& parent, const char* key,
                                        const std::string& action) {
  Node n = parent.get(key);
  if (!n.present()) return std::nullopt;
  uint32_t v = n.as_u32();
  if (action != "SCMP_ACT_ERRNO" && action != "SCMP_ACT_TRACE") {
    n.fail("only allowed with SCMP_ACT_ERRNO or SCMP_ACT_TRACE");
  }
  return v;
}

SeccompArg parse_seccomp_arg(const Node& e) {
  SeccompArg a;
  Node index = e.required("index");
  a.index = index.as_u32();
  if (a.index >= 6) index.fail("must be below 6 (a syscall has six arguments)");
  a.value = e.required("value").as_u64();
  if (auto two = e.opt_u64("valueTwo")) a.value_two = *two;
  Node op = e.required("op");
  a.op = op.as_string();
  if (!one_of(kSeccompOperators, a.op)) op.fail("unknown operator " + quote(a.op));
  return a;
}

Seccomp parse_seccomp(const Node& n) {
  Seccomp s;
  Node def = n.required("defaultAction");
  s.default_action = parse_action(def);
  // The kernel needs a listener fd before the first notification can be raised; a default
  // of "notify" would trap the runtime's own setup calls after the filter is loaded.
  if (s.default_action == "SCMP_ACT_NOTIFY") def.fail("SCMP_ACT_NOTIFY cannot be the default");
  s.default_errno_ret = parse_errno_ret(n, "defaultErrnoRet", s.default_action);
  if (Node archs = n.get("architectures"); archs.present()) s.architectures = archs.as_strings();
  n.get("flags").each([&](const Node& e) {
    std::string flag = e.as_string();
    if (!one_of(kSeccompFlags, flag)) e.fail("unknown flag " + quote(flag));
    s.flags.push_back(std::move(flag));
  });
  s.listener_path = n.string_or("listenerPath");
  s.listener_metadata = n.string_or("listenerMetadata");
  bool notify = false;
  n.get("syscalls").each([&](const Node& e) {
    SeccompSyscall call;
    Node names = e.required("names");
    call.names = names.as_strings();
    if (call.names.empty()) names.fail("must not be empty");
    call.action = parse_action(e.required("action"));
    notify = notify || call.action == "SCMP_ACT_NOTIFY";
    call.errno_ret = parse_errno_ret(e, "errnoRet", call.action);
    e.get("args").each([&](const Node& a) { call.args.push_back(parse_seccomp_arg(a)); });
    s.syscalls.push_back(std::move(call));
  });
  if (notify && s.listener_path.empty()) {
    n.get("listenerPath").fail("required when a rule uses SCMP_ACT_NOTIFY");
  }
  return s;
}

}  // namespace

Linux parse_linux(const Node& n) {
  Linux l;
  l.namespaces = parse_namespaces(n.get("namespaces"));
  l.uid_mappings = parse_id_mappings(n.get("uidMappings"));
  l.gid_mappings = parse_id_mappings(n.get("gidMappings"));
  l.time_offsets = parse_time_offsets(n.get("timeOffsets"));
  l.devices = parse_devices(n.get("devices"));
  l.cgroups_path = n.string_or("cgroupsPath");
  if (Node res = n.get("resources"); res.present()) l.resources = parse_resources(res);
  if (Node prop = n.get("rootfsPropagation"); prop.present()) {
    l.rootfs_propagation = prop.as_string();
    if (!l.rootfs_propagation.empty() && !one_of(kPropagations, l.rootfs_propagation)) {
      prop.fail("unknown propagation " + quote(l.rootfs_propagation) +
                " (expected shared, slave, private, unbindable or their r-prefixed forms)");
    }
  }
  l.masked_paths = parse_paths(n.get("maskedPaths"));
  l.readonly_paths = parse_paths(n.get("readonlyPaths"));
  if (Node sysctl = n.get("sysctl"); sysctl.present()) l.sysctl = sysctl.as_string_map();
  if (Node seccomp = n.get("seccomp"); seccomp.present()) l.seccomp = parse_seccomp(seccomp);
  l.mount_label = n.string_or("mountLabel");
  return l;
}

}  // namespace hull::oci::detail
