// cgroup v1 (legacy and hybrid layouts): one directory per mounted hierarchy, each holding
// the files of its own controllers. Every operation is repeated per hierarchy.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/sys.h"
#include "runtime/cgroup_internal.h"

namespace hull::runtime::cgroup_internal {

namespace {

namespace sys = base::sys;

std::string trim(const std::string& s) {
  size_t end = s.find_last_not_of(" \n\t");
  return end == std::string::npos ? "" : s.substr(0, end + 1);
}

bool has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

class CgroupV1 : public Cgroup {
 public:
  CgroupV1(std::string path, std::vector<V1Hierarchy> hierarchies, std::string root)
      : path_(std::move(path)), h_(std::move(hierarchies)), root_(std::move(root)) {}

  base::Result<void> create() override {
    if (h_.empty()) {
      return base::Error("no cgroup v1 hierarchy is mounted under " + root_).context("cgroup");
    }
    for (const auto& h : h_) {
      // The errno stays in the error: rootless callers skip cgroups on EACCES/EPERM/EROFS.
      TRY_CTX(sys::mkdir_all(h.dir, 0755), "cgroup");
      if (has(h.controllers, "cpuset")) TRY_CTX(fill_cpuset(h), "cgroup");
    }
    return {};
  }

  base::Result<void> apply(const oci::Resources& r) override {
    TRY_CTX(apply_v1_resources(r, h_, root_), "cgroup");
    return {};
  }

  base::Result<void> add(pid_t pid) override {
    for (const auto& h : h_)
      TRY_CTX(write_knob(h.dir + "/cgroup.procs", std::to_string(pid)), "cgroup");
    return {};
  }

  base::Result<std::vector<base::Fd>> self_join_fds() const override {
    std::vector<base::Fd> out;
    for (const auto& h : h_) {
      ASSIGN_OR_RETURN(base::Fd fd, sys::open(h.dir + "/tasks", O_WRONLY));
      out.push_back(std::move(fd));
    }
    return out;
  }

  base::Result<std::vector<pid_t>> pids() const override {
    if (h_.empty()) return std::vector<pid_t>{};
    auto r = procs_tree(pids_hierarchy().dir);
    if (!r) return std::move(r.error().context("cgroup"));
    return r;
  }

  base::Result<void> signal_all(int sig) override {
    ASSIGN_OR_RETURN(auto pids, this->pids());
    TRY_CTX(signal_pids(pids, sig), "cgroup");
    // A frozen task keeps a pending SIGKILL until it is thawed: let it die now.
    if (sig == SIGKILL) {
      if (auto f = frozen(); f && *f) TRY(thaw());
    }
    return {};
  }

  base::Result<void> freeze() override {
    ASSIGN_OR_RETURN(std::string file, freezer_state());
    for (int i = 0; i < kFreezeAttempts; ++i) {
      // Written again now and then: a task forked while the cgroup was FREEZING can be
      // missed by the first pass over the tasks, and each write makes a new pass.
      if (i % 10 == 0) TRY_CTX(write_knob(file, "FROZEN"), "cgroup");
      ASSIGN_OR_RETURN(std::string state, read_ctx(file));
      if (state == "FROZEN") return {};  // else FREEZING: some tasks are still running
      sleep_ms(kFreezeSleepMs);
    }
    (void)write_knob(file, "THAWED");
    return base::Error(file + " stayed FREEZING: a task of the cgroup did not stop", EBUSY)
        .context("cgroup");
  }

  base::Result<void> thaw() override {
    ASSIGN_OR_RETURN(std::string file, freezer_state());
    TRY_CTX(write_knob(file, "THAWED"), "cgroup");
    for (int i = 0; i < kFreezeAttempts; ++i) {
      ASSIGN_OR_RETURN(std::string state, read_ctx(file));
      if (state == "THAWED") return {};
      sleep_ms(kFreezeSleepMs);
    }
    return base::Error(file + " did not become THAWED", EBUSY).context("cgroup");
  }

  base::Result<bool> frozen() const override {
    if (!find("freezer")) return false;
    ASSIGN_OR_RETURN(std::string file, freezer_state());
    ASSIGN_OR_RETURN(std::string state, read_ctx(file));
    return state == "FROZEN";
  }

  base::Result<CgroupStats> stats() const override {
    if (h_.empty() || !exists(pids_hierarchy().dir)) {
      return base::Error("stats " + pids_hierarchy_dir(), ENOENT).context("cgroup");
    }
    CgroupStats s;
    if (const V1Hierarchy* h = find("cpuacct")) {
      s.cpu_total_ns = read_value(h->dir + "/cpuacct.usage");
      // cpuacct.stat counts USER_HZ ticks.
      const uint64_t ns_per_tick = 1000000000ull / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK));
      auto ticks = sys::read_file(h->dir + "/cpuacct.stat");
      if (auto user = ticks ? keyed_value(*ticks, "user") : std::nullopt) {
        s.cpu_user_ns = *user * ns_per_tick;
      }
      if (auto kernel = ticks ? keyed_value(*ticks, "system") : std::nullopt) {
        s.cpu_kernel_ns = *kernel * ns_per_tick;
      }
    }
    if (const V1Hierarchy* h = find("memory")) {
      s.memory_usage = read_value(h->dir + "/memory.usage_in_bytes");
      s.memory_limit = read_value(h->dir + "/memory.limit_in_bytes");
      s.memory_max_usage = read_value(h->dir + "/memory.max_usage_in_bytes");
      s.memory_failcnt = read_value(h->dir + "/memory.failcnt");
      s.oom_kills = read_keyed(h->dir + "/memory.oom_control", "oom_kill");
    }
    if (const V1Hierarchy* h = find("pids")) {
      s.pids_current = read_value(h->dir + "/pids.current");
      s.pids_limit = read_value(h->dir + "/pids.max");
    }
    return s;
  }

  base::Result<void> destroy() override {
    base::Error busy;
    for (int round = 0; round < kDestroyAttempts; ++round) {
      if (round) sleep_ms(kDestroySleepMs);
      kill_all();
      bool done = true;
      for (const auto& h : h_) {
        auto r = rmdir_tree(h.dir);
        if (r) continue;
        // EBUSY: a task has not finished exiting yet; try again after a short sleep.
        if (r.error().code() != EBUSY) return std::move(r.error().context("cgroup"));
        busy = std::move(r.error());
        done = false;
      }
      if (done) return {};
    }
    return std::move(busy.context("cgroup"));
  }

  const std::string& path() const override { return path_; }

 private:
  const V1Hierarchy& pids_hierarchy() const {
    for (const auto& h : h_) {
      if (has(h.controllers, "pids")) return h;
    }
    return h_.front();
  }

  const V1Hierarchy* find(const std::string& controller) const {
    for (const auto& h : h_) {
      if (has(h.controllers, controller)) return &h;
    }
    return nullptr;
  }

  std::string pids_hierarchy_dir() const { return h_.empty() ? root_ : pids_hierarchy().dir; }

  // The container's freezer.state, or why there is none.
  base::Result<std::string> freezer_state() const {
    const V1Hierarchy* f = find("freezer");
    if (!f) return base::Error("no freezer hierarchy is mounted under " + root_).context("cgroup");
    return f->dir + "/freezer.state";
  }

  static base::Result<std::string> read_ctx(const std::string& file) {
    auto text = sys::read_file(file);
    if (!text) return std::move(text.error().context("cgroup"));
    return trim(*text);
  }

  // Kills every task once; errors are left to rmdir, which names the directory still busy.
  void kill_all() {
    if (h_.empty()) return;
    if (auto pids = procs_tree(pids_hierarchy().dir)) (void)signal_pids(*pids, SIGKILL);
    // A frozen task keeps a pending SIGKILL until it is thawed (the v1 freezer does not let
    // fatal signals through), so a paused container must be thawed to die.
    if (const V1Hierarchy* f = find("freezer")) {
      if (exists(f->dir + "/freezer.state")) (void)write_knob(f->dir + "/freezer.state", "THAWED");
    }
  }

  // A new cpuset cgroup starts with empty cpuset.cpus and cpuset.mems, and adding a task to it
  // then fails with ENOSPC. Copy the parent's values into each level we may have created.
  base::Result<void> fill_cpuset(const V1Hierarchy& h) {
    std::string parent = h.mount_point;
    for (size_t pos = h.mount_point.size(); pos < h.dir.size();) {
      size_t next = h.dir.find('/', pos + 1);
      std::string cur = h.dir.substr(0, next);
      for (const char* file : {"/cpuset.cpus", "/cpuset.mems"}) {
        ASSIGN_OR_RETURN(std::string mine, sys::read_file(cur + file));
        if (!trim(mine).empty()) continue;
        ASSIGN_OR_RETURN(std::string theirs, sys::read_file(parent + file));
        TRY(write_knob(cur + file, trim(theirs)));
      }
      parent = cur;
      pos = next == std::string::npos ? h.dir.size() : next;
    }
    return {};
  }

  std::string path_;
  std::vector<V1Hierarchy> h_;
  std::string root_;
};

}  // namespace

std::unique_ptr<Cgroup> make_cgroup_v1(std::string path, std::vector<V1Hierarchy> hierarchies,
                                       std::string root) {
  return std::make_unique<CgroupV1>(std::move(path), std::move(hierarchies), std::move(root));
}

}  // namespace hull::runtime::cgroup_internal
