// The freezer and stats of both cgroup implementations: the value parsers purely, then system
// tests with a busy child whose counter must stop while frozen and move again once thawed, on
// this machine's v1 hierarchies and on a private cgroup2 mount. Needs root for those.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <random>
#include <sstream>

#include "base/sys.h"
#include "private_cgroup2.h"
#include "runtime/cgroup.h"
#include "runtime/cgroup_internal.h"

namespace hull::runtime {
namespace {

using namespace cgroup_internal;  // NOLINT: the internals are what is under test

TEST(CgroupFileValues, SingleValuesAndMax) {
  EXPECT_EQ(parse_value("42\n"), 42u);
  EXPECT_EQ(parse_value("max\n"), kCgroupUnlimited);
  EXPECT_EQ(parse_value("9223372036854771712\n"), 9223372036854771712u);
  EXPECT_EQ(parse_value(""), std::nullopt);
  EXPECT_EQ(parse_value("-1\n"), std::nullopt);
  EXPECT_EQ(parse_value("12 34\n"), std::nullopt);
  EXPECT_EQ(parse_value("99999999999999999999999\n"), std::nullopt);  // out of range
}

TEST(CgroupFileValues, FlatKeyedFiles) {
  const std::string cpu = "usage_usec 3124\nuser_usec 2769\nsystem_usec 354\n";
  EXPECT_EQ(keyed_value(cpu, "usage_usec"), 3124u);
  EXPECT_EQ(keyed_value(cpu, "system_usec"), 354u);
  EXPECT_EQ(keyed_value(cpu, "usage"), std::nullopt);  // a prefix of a key is not the key
  EXPECT_EQ(keyed_value("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n", "oom_kill"), 3u);
  EXPECT_EQ(keyed_value("populated 1\nfrozen 1\n", "frozen"), 1u);
  EXPECT_EQ(read_value("/nonexistent/pids.max"), std::nullopt);
  EXPECT_EQ(read_keyed("/nonexistent/cpu.stat", "usage_usec"), std::nullopt);
}

// ---- system tests -------------------------------------------------------------------------

std::string random_name(const std::string& prefix) {
  std::random_device rd;
  return prefix + std::to_string(::getpid()) + "-" + std::to_string(rd() % 1000000);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A child that counts as fast as it can in memory shared with us, and dies with its parent if
// the test is cut short. Frozen, the count stands still.
struct Counter {
  pid_t pid = -1;
  std::atomic<uint64_t>* count = nullptr;

  Counter() {
    void* mem = ::mmap(nullptr, sizeof(std::atomic<uint64_t>), PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return;
    count = new (mem) std::atomic<uint64_t>(0);
    pid_t parent = ::getpid();
    pid = ::fork();
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(1);
      for (;;) {
        count->fetch_add(1);
        ::usleep(100);
      }
    }
  }
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;
  // Whether the count moves within ~2 s (a bound on tries, not a timed assertion).
  bool moves() const {
    uint64_t before = count->load();
    for (int i = 0; i < 2000; ++i) {
      ::usleep(1000);
      if (count->load() != before) return true;
    }
    return false;
  }
  // Whether the count stands still over 50 ms (a frozen task cannot move it at all).
  bool still() const {
    uint64_t before = count->load();
    ::usleep(50000);
    return count->load() == before;
  }
  // The signal that ended the child, or 0.
  int reap() {
    int status = 0;
    pid_t p = std::exchange(pid, -1);
    if (p <= 0 || ::waitpid(p, &status, 0) != p) return 0;
    return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  }
  ~Counter() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    if (count) ::munmap(count, sizeof(std::atomic<uint64_t>));
  }
};

class CgroupV1Freeze : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    if (detect_cgroup_layout() == CgroupLayout::kUnified) GTEST_SKIP() << "no cgroup v1 here";
    name_ = random_name("/hulltest-fz-");
    for (const auto& m : parse_cgroup_mounts(slurp("/proc/self/mountinfo"), "/sys/fs/cgroup")) {
      if (!m.v2) dirs_.push_back(m.mount_point + name_);
      if (m.controllers == std::vector<std::string>{"freezer"}) freezer_ = m.mount_point + name_;
    }
    if (freezer_.empty()) GTEST_SKIP() << "no freezer hierarchy of its own here";
    cg_ = make_cgroup(CgroupLayout::kHybrid, name_, "unused", "/sys/fs/cgroup");
  }
  void TearDown() override {
    if (cg_) (void)cg_->destroy();
    for (const auto& d : dirs_) ::rmdir(d.c_str());
  }
  std::string name_, freezer_;
  std::vector<std::string> dirs_;
  std::unique_ptr<Cgroup> cg_;
};

TEST_F(CgroupV1Freeze, FreezeStopsTheTasksAndThawLetsThemRun) {
  ASSERT_TRUE(cg_->create());
  Counter c;
  ASSERT_GT(c.pid, 0);
  ASSERT_TRUE(cg_->add(c.pid));
  ASSERT_TRUE(c.moves());
  ASSERT_EQ(*cg_->frozen(), false);

  auto frozen = cg_->freeze();
  ASSERT_TRUE(frozen) << frozen.error().message();
  EXPECT_EQ(slurp(freezer_ + "/freezer.state"), "FROZEN\n");
  EXPECT_EQ(*cg_->frozen(), true);
  EXPECT_TRUE(c.still());
  EXPECT_TRUE(cg_->freeze());  // frozen already: no change

  auto thawed = cg_->thaw();
  ASSERT_TRUE(thawed) << thawed.error().message();
  EXPECT_EQ(slurp(freezer_ + "/freezer.state"), "THAWED\n");
  EXPECT_EQ(*cg_->frozen(), false);
  EXPECT_TRUE(c.moves());
}

TEST_F(CgroupV1Freeze, SigkillAndDestroyReachAFrozenCgroup) {
  ASSERT_TRUE(cg_->create());
  Counter a;
  ASSERT_TRUE(cg_->add(a.pid));
  ASSERT_TRUE(cg_->freeze());
  // The v1 freezer holds a fatal signal until a thaw: signal_all(SIGKILL) thaws.
  auto killed = cg_->signal_all(SIGKILL);
  ASSERT_TRUE(killed) << killed.error().message();
  EXPECT_EQ(a.reap(), SIGKILL);

  Counter b;
  ASSERT_TRUE(cg_->add(b.pid));
  ASSERT_TRUE(cg_->freeze());
  auto destroyed = cg_->destroy();
  ASSERT_TRUE(destroyed) << destroyed.error().message();
  EXPECT_EQ(b.reap(), SIGKILL);
}

TEST_F(CgroupV1Freeze, StatsOfALiveCgroup) {
  ASSERT_TRUE(cg_->create());
  Counter c;
  ASSERT_TRUE(cg_->add(c.pid));
  oci::Resources r;
  r.pids_limit = 7;
  r.memory_limit = 256 << 20;
  ASSERT_TRUE(cg_->apply(r));
  ASSERT_TRUE(c.moves());
  auto s = cg_->stats();
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->pids_current, 1u);
  EXPECT_EQ(s->pids_limit, 7u);
  EXPECT_EQ(s->memory_limit, uint64_t{256} << 20);
  // Present, but possibly 0: v1 does not move a task's earlier charges with it
  // (memory.move_charge_at_immigrate is 0), and the counter may allocate nothing new.
  ASSERT_TRUE(s->memory_usage);
  EXPECT_TRUE(s->memory_max_usage);
  EXPECT_EQ(s->memory_failcnt, 0u);
  EXPECT_EQ(s->oom_kills, 0u);
  ASSERT_TRUE(s->cpu_total_ns);
  EXPECT_GT(*s->cpu_total_ns, 0u);
  EXPECT_TRUE(s->cpu_user_ns && s->cpu_kernel_ns);

  r.pids_limit = -1;
  ASSERT_TRUE(cg_->apply(r));
  EXPECT_EQ(cg_->stats()->pids_limit, kCgroupUnlimited);
}

TEST_F(CgroupV1Freeze, ACgroupThatDoesNotExist) {
  auto s = cg_->stats();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ENOENT);
  EXPECT_FALSE(cg_->freeze());
  EXPECT_FALSE(cg_->frozen());
}

// The v2 test runs in PrivateCgroup2's forked child (a mount namespace of its own and a
// fresh cgroup2 mount there); it reports failed checks as lines and returns 0 or 1.
int v2_checks(const std::string& mnt, const std::string& name, std::string& report) {
  auto check = [&](bool ok, const std::string& what) {
    if (!ok) report += what + "\n";
  };
  auto cg = hull::runtime::testing::created_v2_cgroup(mnt, name, report);
  if (!cg) return 1;
  const std::string dir = mnt + name;
  Counter c;
  check(cg->add(c.pid).has_value(), "add");
  check(c.moves(), "the counter does not move");
  check(cg->frozen() && !*cg->frozen(), "frozen before freeze");

  auto frozen = cg->freeze();
  check(frozen.has_value(), frozen ? "" : "freeze: " + frozen.error().message());
  check(slurp(dir + "/cgroup.freeze") == "1\n", "cgroup.freeze " + slurp(dir + "/cgroup.freeze"));
  check(cg->frozen() && *cg->frozen(), "not frozen after freeze");
  check(c.still(), "the counter moves while frozen");

  auto thawed = cg->thaw();
  check(thawed.has_value(), thawed ? "" : "thaw: " + thawed.error().message());
  check(slurp(dir + "/cgroup.freeze") == "0\n", "cgroup.freeze after thaw");
  check(cg->frozen() && !*cg->frozen(), "frozen after thaw");
  check(c.moves(), "the counter does not move after thaw");

  // cpu.stat is in every v2 cgroup; memory and pids only where the controllers are enabled.
  auto s = cg->stats();
  check(s && s->cpu_total_ns && s->cpu_user_ns && s->cpu_kernel_ns,
        s ? "no cpu figures" : "stats: " + s.error().message());
  if (s && ::access((dir + "/pids.current").c_str(), F_OK) == 0) {
    check(s->pids_current == 1u, "pids.current");
  }

  // A frozen cgroup is destroyed all the same: the v2 freezer lets SIGKILL through.
  check(cg->freeze().has_value(), "second freeze");
  auto destroyed = cg->destroy();
  check(destroyed.has_value(), destroyed ? "" : "destroy: " + destroyed.error().message());
  check(c.reap() == SIGKILL, "SIGKILL");
  auto gone = cg->stats();
  check(!gone && gone.error().code() == ENOENT, "stats of a removed cgroup");
  return report.empty() ? 0 : 1;
}

// The private cgroup2 mount and its cleanup come from private_cgroup2.h.
class CgroupV2Freeze : public hull::runtime::testing::PrivateCgroup2 {};

TEST_F(CgroupV2Freeze, FreezeThawStatsOnAPrivateCgroup2Mount) {
  run([this](const std::string& mnt, std::string& report) {
    if (::access((mnt + "/cgroup.subtree_control").c_str(), F_OK) != 0) {
      report = "no cgroup2 here";
      return kSkip;
    }
    return v2_checks(mnt, name_, report);
  });
}

}  // namespace
}  // namespace hull::runtime
