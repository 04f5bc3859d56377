// cgroup v2 (unified): one directory in one hierarchy. Controllers must be switched on in
// every ancestor's cgroup.subtree_control before their files appear in the directory.
#include <fcntl.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <sstream>

#include "base/sys.h"
#include "runtime/cgroup_internal.h"

namespace hull::runtime::cgroup_internal {

namespace {

namespace sys = base::sys;

std::vector<std::string> words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

class CgroupV2 : public Cgroup {
 public:
  CgroupV2(std::string path, std::string root, std::string dir)
      : path_(std::move(path)), root_(std::move(root)), dir_(std::move(dir)) {}

  base::Result<void> create() override {
    // The errno stays in the error: rootless callers skip cgroups on EACCES/EPERM/EROFS.
    TRY_CTX(sys::mkdir_all(dir_, 0755), "cgroup");
    enable_controllers();
    // Not O_PATH: clone3(CLONE_INTO_CGROUP) does not accept O_PATH descriptors.
    auto fd = sys::open(dir_, O_RDONLY | O_DIRECTORY);
    if (!fd) return std::move(fd.error().context("cgroup"));
    fd_ = std::move(*fd);
    return {};
  }

  base::Result<void> apply(const oci::Resources& r) override {
    TRY_CTX(apply_v2_resources(r, dir_, fd_.get()), "cgroup");
    return {};
  }

  base::Result<void> add(pid_t pid) override {
    TRY_CTX(write_knob(dir_ + "/cgroup.procs", std::to_string(pid)), "cgroup");
    return {};
  }

  base::Result<std::vector<pid_t>> pids() const override {
    auto r = procs_tree(dir_);
    if (!r) return std::move(r.error().context("cgroup"));
    return r;
  }

  base::Result<void> signal_all(int sig) override {
    ASSIGN_OR_RETURN(auto pids, this->pids());
    TRY_CTX(signal_pids(pids, sig), "cgroup");
    return {};
  }

  base::Result<void> destroy() override {
    fd_.reset();
    // cgroup.kill (Linux 5.14) kills the whole subtree at once, including tasks forked while
    // the kill runs, and works on frozen cgroups: the v2 freezer lets fatal signals through.
    const bool has_kill = exists(dir_ + "/cgroup.kill");
    base::Error busy("rmdir " + dir_ + ": processes are still exiting", EBUSY);
    for (int round = 0; round < kDestroyAttempts; ++round) {
      if (round) sleep_ms(kDestroySleepMs);
      if (populated()) {
        // Again each round without cgroup.kill: a task may have forked since the last one.
        if (has_kill) {
          (void)write_knob(dir_ + "/cgroup.kill", "1");
        } else if (auto pids = procs_tree(dir_)) {
          (void)signal_pids(*pids, SIGKILL);
        }
        continue;
      }
      auto r = rmdir_tree(dir_);
      if (r) return {};
      if (r.error().code() != EBUSY) return std::move(r.error().context("cgroup"));
      busy = std::move(r.error());
    }
    return std::move(busy.context("cgroup"));
  }

  base::Result<void> freeze() override {
    TRY_CTX(write_freeze("1"), "cgroup");
    auto done = wait_frozen(true);
    if (!done) (void)write_knob(dir_ + "/cgroup.freeze", "0");
    TRY_CTX(done, "cgroup");
    return {};
  }

  base::Result<void> thaw() override {
    TRY_CTX(write_freeze("0"), "cgroup");
    TRY_CTX(wait_frozen(false), "cgroup");
    return {};
  }

  base::Result<bool> frozen() const override {
    auto r = read_frozen();
    if (!r) return std::move(r.error().context("cgroup"));
    return r;
  }

  base::Result<CgroupStats> stats() const override {
    if (!exists(dir_)) return base::Error("stats " + dir_, ENOENT).context("cgroup");
    CgroupStats s;
    if (auto text = sys::read_file(dir_ + "/cpu.stat")) {
      auto ns = [&](const char* key) -> std::optional<uint64_t> {
        auto us = keyed_value(*text, key);
        return us ? std::optional<uint64_t>(*us * 1000) : std::nullopt;
      };
      s.cpu_total_ns = ns("usage_usec");
      s.cpu_user_ns = ns("user_usec");
      s.cpu_kernel_ns = ns("system_usec");
    }
    s.memory_usage = read_value(dir_ + "/memory.current");
    s.memory_limit = read_value(dir_ + "/memory.max");
    s.memory_max_usage = read_value(dir_ + "/memory.peak");  // Linux 5.19
    // "max": how often usage hit memory.max, the nearest v2 has to v1's failcnt.
    s.memory_failcnt = read_keyed(dir_ + "/memory.events", "max");
    s.oom_kills = read_keyed(dir_ + "/memory.events", "oom_kill");
    s.pids_current = read_value(dir_ + "/pids.current");
    s.pids_limit = read_value(dir_ + "/pids.max");
    return s;
  }

  int clone_fd() const override { return fd_.get(); }
  const std::string& path() const override { return path_; }

 private:
  // "populated 1" in cgroup.events while any task is in the cgroup or below it; it drops to
  // 0 once they have exited (zombies do not count). A missing file counts as empty.
  bool populated() const {
    auto text = sys::read_file(dir_ + "/cgroup.events");
    if (!text) return false;
    auto w = words(*text);
    auto it = std::find(w.begin(), w.end(), "populated");
    return it != w.end() && it + 1 != w.end() && it[1] != "0";
  }

  base::Result<void> write_freeze(const std::string& value) {
    auto r = write_knob(dir_ + "/cgroup.freeze", value);
    if (!r && r.error().code() == ENOENT && exists(dir_)) {
      r.error().hint("cgroup.freeze needs Linux 5.2 or later");
    }
    return r;
  }

  base::Result<bool> read_frozen() const {
    ASSIGN_OR_RETURN(std::string text, sys::read_file(dir_ + "/cgroup.events"));
    return keyed_value(text, "frozen").value_or(0) == 1;
  }

  // The kernel sets "frozen 1" in cgroup.events once every task has stopped (each stops at
  // its next return to user space) and "frozen 0" once the cgroup is thawed.
  base::Result<void> wait_frozen(bool want) const {
    for (int i = 0; i < kFreezeAttempts; ++i) {
      if (i) sleep_ms(kFreezeSleepMs);
      ASSIGN_OR_RETURN(bool now, read_frozen());
      if (now == want) return {};
    }
    return base::Error(
        dir_ + "/cgroup.events: the cgroup did not become " + (want ? "frozen" : "thawed"), EBUSY);
  }

  // Switches on, in each ancestor from the root down, every controller that ancestor has.
  // Failures are left alone: a parent that holds processes itself refuses domain controllers
  // with EBUSY (the no-internal-processes rule), and a hierarchy may offer none at all; a
  // limit then fails in apply() naming the missing file.
  void enable_controllers() {
    std::string level = root_;
    while (level.size() < dir_.size()) {
      auto avail = sys::read_file(level + "/cgroup.controllers");
      auto on = sys::read_file(level + "/cgroup.subtree_control");
      if (!avail || !on) return;
      auto enabled = words(*on);
      for (const auto& c : words(*avail)) {
        if (std::find(enabled.begin(), enabled.end(), c) == enabled.end()) {
          (void)write_knob(level + "/cgroup.subtree_control", "+" + c);
        }
      }
      size_t next = dir_.find('/', level.size() + 1);
      if (next == std::string::npos) return;
      level = dir_.substr(0, next);
    }
  }

  std::string path_;
  std::string root_;
  std::string dir_;
  base::Fd fd_;
};

}  // namespace

std::unique_ptr<Cgroup> make_cgroup_v2(std::string path, std::string root, std::string dir) {
  return std::make_unique<CgroupV2>(std::move(path), std::move(root), std::move(dir));
}

}  // namespace hull::runtime::cgroup_internal
