// cgroups behind one interface: the hierarchy is detected once (unified, hybrid or legacy;
// hybrid counts as v1) and one implementation is chosen. A container's cgroup is made before
// its init runs, removed by delete; issue 3 adds resource limits through the same interface.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/fd.h"
#include "oci/spec.h"

namespace hull::runtime {

enum class CgroupLayout { kUnified, kHybrid, kLegacy };

class Cgroup {
 public:
  virtual ~Cgroup() = default;
  // Makes the directories (mkdir -p in each hierarchy). Idempotent.
  virtual base::Result<void> create() = 0;
  // Applies linux.resources (pids, memory, cpu … as far as implemented).
  virtual base::Result<void> apply(const oci::Resources& r) = 0;
  // Moves a process in (writes cgroup.procs in every hierarchy).
  virtual base::Result<void> add(pid_t pid) = 0;
  // Every pid in the cgroup (from cgroup.procs of one hierarchy).
  virtual base::Result<std::vector<pid_t>> pids() const = 0;
  // Sends a signal to every process in the cgroup.
  virtual base::Result<void> signal_all(int sig) = 0;
  // Kills what is left, waits for the cgroup to empty (retrying), removes the directories.
  // A cgroup that never existed is not an error.
  virtual base::Result<void> destroy() = 0;
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
