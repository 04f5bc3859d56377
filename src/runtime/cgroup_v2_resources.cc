// linux.resources on cgroup v2: one directory, converted values (cgroup_values.h), and an eBPF
// program for the device rules. What v2 has no file for (kernel memory, swappiness, the OOM
// killer switch, realtime CPU time, leaf weights, net_cls/net_prio) is skipped with a debug
// line, as runc and crun skip it. See docs/architecture.md, "cgroup resources".
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "base/log.h"
#include "base/sys.h"
#include "runtime/cgroup_bpf.h"
#include "runtime/cgroup_devices_bpf.h"
#include "runtime/cgroup_internal.h"
#include "runtime/cgroup_values.h"

namespace hull::runtime::cgroup_internal {

namespace {

void ignored(const std::string& what, const std::string& why) {
  base::log::debug("linux.resources." + what + " ignored on cgroup v2: " + why);
}

class V2Resources {
 public:
  V2Resources(const std::string& dir, int dir_fd) : dir_(dir), dir_fd_(dir_fd) {}

  base::Result<void> apply(const oci::Resources& r) {
    if (r.pids_limit) TRY(write("pids.max", pids_max_value(*r.pids_limit)));
    TRY(apply_memory(r));
    TRY(apply_cpu(r));
    TRY(apply_io(r.block_io));
    for (const auto& h : r.hugepage_limits) {
      TRY(write(hugetlb_v2_file(h.page_size), std::to_string(h.limit)));
    }
    if (r.net_class_id || !r.net_priorities.empty()) {
      ignored("network", "v2 has no net_cls or net_prio (match the cgroup path in nftables)");
    }
    if (!r.devices.empty()) TRY(apply_devices(r.devices));
    // Last, so a unified entry overrides the same file set above.
    for (const auto& [file, value] : r.unified) {
      if (file.empty() || file.find('/') != std::string::npos || file == "." || file == "..") {
        return base::Error("linux.resources.unified: " + file + " is not a cgroup file name");
      }
      TRY(write(file, value));
    }
    return {};
  }

 private:
  base::Result<void> write(const std::string& file, const std::string& value) {
    auto r = write_knob(dir_ + "/" + file, value);
    if (!r && r.error().code() == ENOENT) {
      std::string controller = file.substr(0, file.find('.'));
      std::string hint = "the " + controller + " controller is not enabled here";
      if (controller == "hugetlb") hint += ", or the kernel has no such page size";
      r.error().hint(hint + ": see cgroup.controllers");
    }
    return r;
  }

  base::Result<void> apply_memory(const oci::Resources& r) {
    if (r.memory_limit) TRY(write("memory.max", limit_value(*r.memory_limit)));
    if (r.memory_reservation) TRY(write("memory.low", limit_value(*r.memory_reservation)));
    if (r.memory_swap) {
      ASSIGN_OR_RETURN(std::string swap, swap_max_value(*r.memory_swap, r.memory_limit));
      TRY(write("memory.swap.max", swap));
    }
    if (r.memory_kernel || r.memory_kernel_tcp) {
      ignored("memory.kernel and kernelTCP", "v2 counts kernel memory in memory.max");
    }
    if (r.memory_swappiness) ignored("memory.swappiness", "v2 has no per-cgroup swappiness");
    if (r.memory_disable_oom_killer.value_or(false)) {
      ignored("memory.disableOOMKiller", "v2 cannot switch the OOM killer off");
    }
    return {};
  }

  base::Result<void> apply_cpu(const oci::Resources& r) {
    // Shares of 0 mean "not set", as in the configs other runtimes read.
    if (r.cpu_shares && *r.cpu_shares != 0) {
      TRY(write("cpu.weight", std::to_string(cpu_weight_from_shares(*r.cpu_shares))));
    }
    if (auto max = cpu_max_value(r.cpu_quota, r.cpu_period)) TRY(write("cpu.max", *max));
    if (r.cpu_realtime_runtime || r.cpu_realtime_period) {
      ignored("cpu.realtimeRuntime and realtimePeriod", "v2 has no realtime group scheduling");
    }
    if (r.cpu_idle) TRY(write("cpu.idle", std::to_string(*r.cpu_idle)));
    if (!r.cpuset_cpus.empty()) TRY(write("cpuset.cpus", r.cpuset_cpus));
    if (!r.cpuset_mems.empty()) TRY(write("cpuset.mems", r.cpuset_mems));
    return {};
  }

  // io.weight belongs to the iocost policy (1..10000, converted); BFQ, where loaded, has
  // io.bfq.weight in blkio's own range. Each is written where it exists; with neither, the
  // io.weight write fails and says so.
  base::Result<void> apply_io(const oci::BlockIo& b) {
    if (b.empty()) return {};
    const bool iocost = exists(dir_ + "/io.weight");
    const bool bfq = exists(dir_ + "/io.bfq.weight");
    auto weight = [&](const std::string& line_iocost,
                      const std::string& line_bfq) -> base::Result<void> {
      if (!iocost && bfq) return write("io.bfq.weight", line_bfq);
      TRY(write("io.weight", line_iocost));
      return bfq ? write("io.bfq.weight", line_bfq) : base::Result<void>();
    };
    if (b.weight) {
      TRY(weight(std::to_string(io_weight_from_blkio(*b.weight)), std::to_string(*b.weight)));
    }
    bool leaf = b.leaf_weight.has_value();
    for (const auto& d : b.weight_devices) {
      leaf = leaf || d.leaf_weight;
      if (!d.weight) continue;
      TRY(weight(io_weight_device_line(d.major, d.minor, *d.weight, false),
                 io_weight_device_line(d.major, d.minor, *d.weight, true)));
    }
    if (leaf) ignored("blockIO leaf weights", "they were CFQ's, on v1 only");
    for (const auto& line : io_max_lines(b)) TRY(write("io.max", line));
    return {};
  }

  // The rules become one program, attached beside the one a create attached before and then
  // replacing it. Loading needs CAP_BPF or CAP_SYS_ADMIN: an unprivileged runtime with a
  // delegated cgroup goes on without a filter, as runc does.
  base::Result<void> apply_devices(const std::vector<oci::DeviceRule>& spec) {
    ASSIGN_OR_RETURN(std::vector<bpf_insn> insns, device_filter(with_default_devices(spec)));
    auto prog = load_device_program(insns);
    if (!prog && prog.error().code() == EPERM && ::geteuid() != 0) {
      base::log::debug("linux.resources.devices ignored (rootless): " + prog.error().message());
      return {};
    }
    if (!prog) return std::move(prog.error().context("devices"));
    base::Fd own;
    int fd = dir_fd_;
    if (fd < 0) {
      ASSIGN_OR_RETURN(own, base::sys::open(dir_, O_RDONLY | O_DIRECTORY));
      fd = own.get();
    }
    auto attached = replace_device_program(fd, prog->get());
    if (!attached) return std::move(attached.error().context("devices: " + dir_));
    return {};
  }

  const std::string& dir_;
  int dir_fd_;
};

}  // namespace

base::Result<void> apply_v2_resources(const oci::Resources& r, const std::string& dir, int dir_fd) {
  return V2Resources(dir, dir_fd).apply(r);
}

}  // namespace hull::runtime::cgroup_internal
