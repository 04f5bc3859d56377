// linux.resources on cgroup v1: each value goes to its controller's hierarchy. A value for a
// controller that is not mounted is an error naming it, except where the spec's value has no
// effect to lose (network classes, deprecated kernel-memory limits): those are skipped with a
// debug line. See docs/architecture.md, "cgroup resources".
#include <algorithm>
#include <cerrno>

#include "base/log.h"
#include "base/sys.h"
#include "runtime/cgroup_devices.h"
#include "runtime/cgroup_internal.h"
#include "runtime/cgroup_values.h"

namespace hull::runtime::cgroup_internal {

namespace {

class V1Resources {
 public:
  V1Resources(const std::vector<V1Hierarchy>& h, const std::string& root) : h_(h), root_(root) {}

  base::Result<void> apply(const oci::Resources& r) {
    if (!r.unified.empty()) return base::Error("linux.resources.unified needs cgroup v2");
    if (r.pids_limit) TRY(write("pids", "pids.max", pids_max_value(*r.pids_limit)));
    TRY(apply_memory(r));
    TRY(apply_cpu(r));
    TRY(apply_block_io(r.block_io));
    for (const auto& h : r.hugepage_limits) {
      TRY(write("hugetlb", hugetlb_v1_file(h.page_size), std::to_string(h.limit)));
    }
    TRY(apply_network(r));
    if (!r.devices.empty()) TRY(apply_devices(r.devices));
    return {};
  }

 private:
  const V1Hierarchy* find(const std::string& controller) const {
    for (const auto& h : h_) {
      if (std::find(h.controllers.begin(), h.controllers.end(), controller) != h.controllers.end())
        return &h;
    }
    return nullptr;
  }

  base::Result<void> write(const std::string& controller, const std::string& file,
                           const std::string& value) {
    const V1Hierarchy* h = find(controller);
    if (!h) {
      return base::Error(file + ": no " + controller + " hierarchy is mounted under " + root_);
    }
    return write_knob(h->dir + "/" + file, value);
  }

  // Whether the controller's hierarchy is mounted and has `file` (some files come and go with
  // the kernel version or the I/O scheduler).
  bool has_file(const std::string& controller, const std::string& file) const {
    const V1Hierarchy* h = find(controller);
    return h && exists(h->dir + "/" + file);
  }

  // A file that newer kernels dropped: written where it exists, else skipped with a note.
  base::Result<void> write_if_present(const std::string& controller, const std::string& file,
                                      const std::string& value, const std::string& what) {
    if (find(controller) && !has_file(controller, file)) {
      base::log::debug(what + " ignored: this kernel has no " + file);
      return {};
    }
    return write(controller, file, value);
  }

  base::Result<void> apply_memory_limits(const oci::Resources& r) {
    if (!r.memory_swap)
      return write("memory", "memory.limit_in_bytes", std::to_string(*r.memory_limit));
    // memory.memsw.limit_in_bytes may never be below memory.limit_in_bytes, so the order of
    // the two writes depends on whether the limits grow or shrink: try the limit first and,
    // if the kernel refuses it as above the current memsw, raise memsw first.
    std::string swap = std::to_string(*r.memory_swap);
    auto write_swap = [&] {
      auto w = write("memory", "memory.memsw.limit_in_bytes", swap);
      if (!w && w.error().code() == ENOENT) {
        w.error().hint("swap accounting is off: boot with swapaccount=1");
      }
      return w;
    };
    if (!r.memory_limit) return write_swap();
    std::string limit = std::to_string(*r.memory_limit);
    auto first = write("memory", "memory.limit_in_bytes", limit);
    if (first) return write_swap();
    if (first.error().code() != EINVAL) return first;
    TRY(write_swap());
    return write("memory", "memory.limit_in_bytes", limit);
  }

  base::Result<void> apply_memory(const oci::Resources& r) {
    if (r.memory_limit || r.memory_swap) TRY(apply_memory_limits(r));
    if (r.memory_reservation) {
      TRY(write("memory", "memory.soft_limit_in_bytes", std::to_string(*r.memory_reservation)));
    }
    // Both kmem limits are deprecated: Linux 6.1 and later still have
    // memory.kmem.limit_in_bytes but accept and discard what is written there, and the tcp one
    // warns in the kernel log. Written where the files exist, as the spec asks.
    if (r.memory_kernel) {
      TRY(write_if_present("memory", "memory.kmem.limit_in_bytes", std::to_string(*r.memory_kernel),
                           "linux.resources.memory.kernel"));
    }
    if (r.memory_kernel_tcp) {
      TRY(write_if_present("memory", "memory.kmem.tcp.limit_in_bytes",
                           std::to_string(*r.memory_kernel_tcp),
                           "linux.resources.memory.kernelTCP"));
    }
    if (r.memory_swappiness) {
      TRY(write("memory", "memory.swappiness", std::to_string(*r.memory_swappiness)));
    }
    if (r.memory_disable_oom_killer) {
      TRY(write("memory", "memory.oom_control", oom_control_value(*r.memory_disable_oom_killer)));
    }
    return {};
  }

  base::Result<void> apply_cpu(const oci::Resources& r) {
    if (r.cpu_shares) TRY(write("cpu", "cpu.shares", std::to_string(*r.cpu_shares)));
    // The period first: a quota is checked against the period in place when it is written.
    if (r.cpu_period) TRY(write("cpu", "cpu.cfs_period_us", std::to_string(*r.cpu_period)));
    if (r.cpu_quota) TRY(write("cpu", "cpu.cfs_quota_us", std::to_string(*r.cpu_quota)));
    // The same for realtime time; both need CONFIG_RT_GROUP_SCHED.
    if (r.cpu_realtime_period) {
      TRY(write("cpu", "cpu.rt_period_us", std::to_string(*r.cpu_realtime_period)));
    }
    if (r.cpu_realtime_runtime) {
      TRY(write("cpu", "cpu.rt_runtime_us", std::to_string(*r.cpu_realtime_runtime)));
    }
    if (r.cpu_idle) TRY(write("cpu", "cpu.idle", std::to_string(*r.cpu_idle)));
    if (!r.cpuset_cpus.empty()) TRY(write("cpuset", "cpuset.cpus", r.cpuset_cpus));
    if (!r.cpuset_mems.empty()) TRY(write("cpuset", "cpuset.mems", r.cpuset_mems));
    return {};
  }

  base::Result<void> apply_block_io(const oci::BlockIo& b) {
    if (b.empty()) return {};
    // Weights belong to the I/O scheduler: blkio.weight was CFQ's (gone in Linux 5.0); BFQ,
    // once loaded, offers blkio.bfq.weight with the same range in every non-root cgroup.
    const std::string prefix =
        !has_file("blkio", "blkio.weight") && has_file("blkio", "blkio.bfq.weight") ? "blkio.bfq."
                                                                                    : "blkio.";
    auto weight = [&](const std::string& file, const std::string& value) -> base::Result<void> {
      auto w = write("blkio", file, value);
      if (!w && w.error().code() == ENOENT) {
        w.error().hint("no I/O scheduler here takes weights (CFQ before Linux 5.0, or BFQ)");
      }
      return w;
    };
    if (b.weight) TRY(weight(prefix + "weight", std::to_string(*b.weight)));
    // Leaf weights were CFQ's alone.
    if (b.leaf_weight) {
      TRY(write_if_present("blkio", "blkio.leaf_weight", std::to_string(*b.leaf_weight),
                           "linux.resources.blockIO.leafWeight"));
    }
    for (const auto& d : b.weight_devices) {
      if (d.weight) {
        TRY(weight(prefix + "weight_device", device_value_line(d.major, d.minor, *d.weight)));
      }
      if (d.leaf_weight) {
        TRY(write_if_present("blkio", "blkio.leaf_weight_device",
                             device_value_line(d.major, d.minor, *d.leaf_weight),
                             "linux.resources.blockIO.weightDevice[].leafWeight"));
      }
    }
    auto throttle = [&](const std::vector<oci::BlockIoThrottle>& list,
                        const char* file) -> base::Result<void> {
      for (const auto& t : list)
        TRY(write("blkio", file, device_value_line(t.major, t.minor, t.rate)));
      return {};
    };
    TRY(throttle(b.read_bps, "blkio.throttle.read_bps_device"));
    TRY(throttle(b.write_bps, "blkio.throttle.write_bps_device"));
    TRY(throttle(b.read_iops, "blkio.throttle.read_iops_device"));
    TRY(throttle(b.write_iops, "blkio.throttle.write_iops_device"));
    return {};
  }

  // net_cls and net_prio only tag a container's packets for the host's own tc or iptables
  // rules; without those hierarchies nothing would read the tags, so they are not required.
  base::Result<void> apply_network(const oci::Resources& r) {
    auto skipped = [&](const char* controller, const std::string& what) {
      base::log::debug(what + " ignored: no " + controller + " hierarchy is mounted under " +
                       root_);
    };
    if (r.net_class_id) {
      if (find("net_cls")) {
        TRY(write("net_cls", "net_cls.classid", std::to_string(*r.net_class_id)));
      } else {
        skipped("net_cls", "linux.resources.network.classID");
      }
    }
    if (!r.net_priorities.empty() && !find("net_prio")) {
      skipped("net_prio", "linux.resources.network.priorities");
      return {};
    }
    for (const auto& p : r.net_priorities) {
      TRY(write("net_prio", "net_prio.ifpriomap", net_prio_line(p)));
    }
    return {};
  }

  // At create, "a" to devices.deny first, so that the list applies to a known start (what
  // device_policy() assumes), then the defaults and the spec's rules in order. An update of a
  // cgroup that already denies by default writes only the difference, so that the container
  // never meets a moment in which everything is denied.
  base::Result<void> apply_devices(const std::vector<oci::DeviceRule>& spec) {
    const auto rules = with_default_devices(spec);
    // Also refuses rules the kernel would accept and silently not apply.
    ASSIGN_OR_RETURN(DevicePolicy target, device_policy(rules));
    std::optional<std::vector<DeviceWrite>> update;
    if (const V1Hierarchy* h = find("devices")) {
      auto list = base::sys::read_file(h->dir + "/devices.list");
      if (list) update = device_update_writes(*list, target);
    }
    if (update) {
      for (const auto& w : *update) {
        TRY(write("devices", w.allow ? "devices.allow" : "devices.deny", w.line));
      }
      return {};
    }
    TRY(write("devices", "devices.deny", "a"));
    for (const auto& rule : rules) {
      TRY(write("devices", rule.allow ? "devices.allow" : "devices.deny", device_rule_line(rule)));
    }
    return {};
  }

  const std::vector<V1Hierarchy>& h_;
  const std::string& root_;
};

}  // namespace

base::Result<void> apply_v1_resources(const oci::Resources& r,
                                      const std::vector<V1Hierarchy>& hierarchies,
                                      const std::string& root) {
  return V1Resources(hierarchies, root).apply(r);
}

}  // namespace hull::runtime::cgroup_internal
