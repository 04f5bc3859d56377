// cgroups behind one interface: the hierarchy is detected once (unified, hybrid or legacy;
// hybrid counts as v1) and one implementation is chosen. A container's cgroup is made before
// its init runs, removed by delete; limits, the freezer (pause/resume) and the figures of
// `events --stats` go through the same interface.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/fd.h"
#include "oci/spec.h"

namespace hull::runtime {

enum class CgroupLayout { kUnified, kHybrid, kLegacy };

// What a file holding "max" reads as in CgroupStats.
inline constexpr uint64_t kCgroupUnlimited = UINT64_MAX;

// What `events --stats` reports, as far as the cgroup files show it. A file that is missing
// (a controller not mounted or not enabled, an older kernel) leaves its value unset.
struct CgroupStats {
  // Nanoseconds of CPU time: v1 cpuacct.usage and cpuacct.stat (ticks, converted); v2
  // cpu.stat usage_usec, user_usec and system_usec (microseconds, converted).
  std::optional<uint64_t> cpu_total_ns, cpu_user_ns, cpu_kernel_ns;
  // Bytes: v1 memory.usage_in_bytes, limit_in_bytes, max_usage_in_bytes, failcnt; v2
  // memory.current, memory.max, memory.peak and the "max" count of memory.events.
  std::optional<uint64_t> memory_usage, memory_limit, memory_max_usage, memory_failcnt;
  // pids.current and pids.max ("max" is kCgroupUnlimited).
  std::optional<uint64_t> pids_current, pids_limit;
  // Processes the OOM killer has killed in the cgroup ("oom_kill" of v1 memory.oom_control,
  // of v2 memory.events).
  std::optional<uint64_t> oom_kills;
};

class Cgroup {
 public:
  virtual ~Cgroup() = default;
  // Makes the directories (mkdir -p in each hierarchy). Idempotent.
  virtual base::Result<void> create() = 0;
  // Applies linux.resources (what goes where: docs/architecture.md, "cgroup resources").
  virtual base::Result<void> apply(const oci::Resources& r) = 0;
  // Moves a process in (writes cgroup.procs in every hierarchy).
  virtual base::Result<void> add(pid_t pid) = 0;
  // Every pid in the cgroup (from cgroup.procs of one hierarchy).
  virtual base::Result<std::vector<pid_t>> pids() const = 0;
  // Sends a signal to every process in the cgroup. SIGKILL also thaws a frozen v1 cgroup:
  // the v1 freezer holds even a fatal signal until the tasks are thawed.
  virtual base::Result<void> signal_all(int sig) = 0;
  // Kills what is left, waits for the cgroup to empty (retrying), removes the directories.
  // A cgroup that never existed is not an error.
  virtual base::Result<void> destroy() = 0;
  // Stops every task (v1 freezer.state FROZEN, v2 cgroup.freeze 1) and returns once the
  // kernel reports the whole cgroup frozen; if that does not happen in time, thaws again and
  // fails with EBUSY.
  virtual base::Result<void> freeze() = 0;
  // Lets the tasks run again and returns once the kernel reports the cgroup thawed.
  virtual base::Result<void> thaw() = 0;
  // Whether the kernel reports the cgroup frozen (false where there is no freezer at all).
  virtual base::Result<bool> frozen() const = 0;
  // CPU, memory, pids and OOM figures. A cgroup that does not exist is an error (ENOENT).
  virtual base::Result<CgroupStats> stats() const = 0;
  // For v2: an O_DIRECTORY fd of the cgroup for clone3(CLONE_INTO_CGROUP); -1 on v1.
  virtual int clone_fd() const { return -1; }
  // For v1: write-only fds (opened by us, so the kernel checks our credentials) to which a
  // new single-threaded process writes "0" to move itself in. A thread moving itself through
  // `tasks` skips the global threadgroup rwsem that a cgroup.procs write takes; that lock's
  // writer side waits for an RCU grace period (~10 ms here) on every container start.
  virtual base::Result<std::vector<base::Fd>> self_join_fds() const {
    return std::vector<base::Fd>{};
  }
  // The path relative to the hierarchy root ("/hull/abc").
  virtual const std::string& path() const = 0;
};

// Detects the layout from the mounts under `root` (default /sys/fs/cgroup).
CgroupLayout detect_cgroup_layout(const std::string& root = "/sys/fs/cgroup");

// The cgroup for a container: cgroups_path from the spec ("" -> "/<id>"); relative paths are
// taken under the runtime's own cgroup. `root` lets tests point at their own mount.
std::unique_ptr<Cgroup> make_cgroup(const std::string& cgroups_path, const std::string& id,
                                    const std::string& root = "/sys/fs/cgroup");
// The same with the layout given (tests of the v2 code on a private cgroup2 mount).
std::unique_ptr<Cgroup> make_cgroup(CgroupLayout layout, const std::string& cgroups_path,
                                    const std::string& id, const std::string& root);

}  // namespace hull::runtime
