// cgroups: the pure parsers and path rules, then system tests of both implementations on this
// machine's real hierarchies (v1) and on a private cgroup2 mount (v2). Needs root for those.
#include "runtime/cgroup.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <random>
#include <sstream>

#include "base/sys.h"
#include "private_cgroup2.h"
#include "runtime/cgroup_internal.h"

namespace hull::runtime {
namespace {

using namespace cgroup_internal;  // NOLINT: the internals are what is under test

// This machine's layout: v1 controllers beside a controller-less cgroup2.
constexpr const char* kHybrid =
    "23 1 0:21 / /sys rw,nosuid shared:7 - sysfs sysfs rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime shared:9 master:2 - cgroup cgroup rw,memory\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup "
    "rw,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
constexpr const char* kUnified =
    "25 21 0:22 / /sys/fs/cgroup rw,nosuid,nodev shared:4 - cgroup2 cgroup2 rw,nsdelegate\n";
constexpr const char* kLegacy =
    "31 23 0:28 / /sys/fs/cgroup ro - tmpfs tmpfs ro,mode=755\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n";

TEST(CgroupLayout, DetectsEachLayout) {
  const std::string root = "/sys/fs/cgroup";
  EXPECT_EQ(layout_of(parse_cgroup_mounts(kHybrid, root), root), CgroupLayout::kHybrid);
  EXPECT_EQ(layout_of(parse_cgroup_mounts(kUnified, root), root), CgroupLayout::kUnified);
  EXPECT_EQ(layout_of(parse_cgroup_mounts(kLegacy, root), root), CgroupLayout::kLegacy);
  EXPECT_EQ(layout_of(parse_cgroup_mounts("", root), root), CgroupLayout::kUnified);
  // The cgroup2 of the hybrid layout, taken as the root, is a unified hierarchy of its own.
  const std::string unified = "/sys/fs/cgroup/unified/";
  EXPECT_EQ(layout_of(parse_cgroup_mounts(kHybrid, unified), unified), CgroupLayout::kUnified);
}

TEST(CgroupLayout, ParsesControllersAndDropsMountOptions) {
  auto mounts = parse_cgroup_mounts(kHybrid, "/sys/fs/cgroup");
  ASSERT_EQ(mounts.size(), 5u);
  EXPECT_EQ(mounts[0].mount_point, "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(mounts[0].controllers, (std::vector<std::string>{"cpu", "cpuacct"}));
  EXPECT_EQ(mounts[1].controllers, (std::vector<std::string>{"memory"}));
  EXPECT_EQ(mounts[3].controllers, (std::vector<std::string>{"name=systemd"}));
  EXPECT_TRUE(mounts[4].v2);
  EXPECT_TRUE(mounts[4].controllers.empty());
  EXPECT_EQ(mounts[4].root, "/");
}

TEST(CgroupLayout, OnlyMountsAtOrBelowTheRootCount) {
  const std::string text =
      "50 1 0:40 / /sys/fs/cgroupx rw - cgroup2 cgroup2 rw\n"
      "51 1 0:41 / /tmp/my\\040cg rw - cgroup2 cgroup2 rw\n";
  EXPECT_TRUE(parse_cgroup_mounts(text, "/sys/fs/cgroup").empty());
  auto mounts = parse_cgroup_mounts(text, "/tmp/my cg");
  ASSERT_EQ(mounts.size(), 1u);
  EXPECT_EQ(mounts[0].mount_point, "/tmp/my cg");  // \040 is a space
}

TEST(CgroupLayout, LaterMountsHideEarlierOnes) {
  // cgroup2 at the root, then a tmpfs over it with v1 hierarchies: only the v1 ones are seen.
  std::string text = std::string(kUnified) + kLegacy;
  EXPECT_EQ(layout_of(parse_cgroup_mounts(text, "/sys/fs/cgroup"), "/sys/fs/cgroup"),
            CgroupLayout::kLegacy);
}

TEST(CgroupPaths, OwnCgroupFromProcSelfCgroup) {
  const std::string text =
      "12:pids:/user.slice\n4:cpuacct,cpu:/a\n1:name=systemd:/s\n0::/user.slice/x:y.scope\n";
  EXPECT_EQ(own_cgroup(text, {}), "/user.slice/x:y.scope");
  EXPECT_EQ(own_cgroup(text, {"cpu", "cpuacct"}), "/a");
  EXPECT_EQ(own_cgroup(text, {"pids"}), "/user.slice");
  EXPECT_EQ(own_cgroup(text, {"name=systemd"}), "/s");
  EXPECT_EQ(own_cgroup(text, {"memory"}), std::nullopt);
  EXPECT_EQ(own_cgroup("1:pids:/x\n", {}), std::nullopt);
}

TEST(CgroupPaths, EmptyAbsoluteAndRelative) {
  EXPECT_EQ(resolve_cgroup_path("", "abc", "/own"), "/abc");
  EXPECT_EQ(resolve_cgroup_path("/hull/abc/", "abc", "/own"), "/hull/abc");
  EXPECT_EQ(resolve_cgroup_path("hull/abc", "abc", "/user.slice/s.scope"),
            "/user.slice/s.scope/hull/abc");
  EXPECT_EQ(resolve_cgroup_path("hull", "abc", "/"), "/hull");
}

TEST(CgroupPaths, DotDotNeverLeavesTheHierarchy) {
  EXPECT_EQ(resolve_cgroup_path("../../../../etc", "abc", "/a"), "/etc");
  EXPECT_EQ(resolve_cgroup_path("/a/../../b/./c", "abc", "/"), "/b/c");
  EXPECT_EQ(clean_path("//"), "/");
}

TEST(CgroupPaths, SystemdSliceForm) {
  EXPECT_EQ(resolve_cgroup_path("system.slice:hull:abc", "abc", "/own"),
            "/system.slice/hull-abc.scope");
  EXPECT_EQ(resolve_cgroup_path("machine-web.slice:hull:abc", "abc", "/own"),
            "/machine.slice/machine-web.slice/hull-abc.scope");
  EXPECT_EQ(resolve_cgroup_path("-.slice:hull:abc", "abc", "/own"), "/hull-abc.scope");
  EXPECT_EQ(resolve_cgroup_path(":hull:", "abc", "/own"), "/system.slice/hull-abc.scope");
  EXPECT_EQ(resolve_cgroup_path("user.slice::web", "abc", "/own"), "/user.slice/web.scope");
}

TEST(CgroupPaths, DirInAMountOfASubtree) {
  CgroupMount whole{"/sys/fs/cgroup/pids", "/", false, {"pids"}};
  EXPECT_EQ(dir_in_mount(whole, "/a/b"), "/sys/fs/cgroup/pids/a/b");
  EXPECT_EQ(dir_in_mount(whole, "/"), "/sys/fs/cgroup/pids");
  CgroupMount part{"/sys/fs/cgroup", "/docker/abc", true, {}};
  EXPECT_EQ(dir_in_mount(part, "/docker/abc/x"), "/sys/fs/cgroup/x");
  EXPECT_EQ(dir_in_mount(part, "/docker/abc"), "/sys/fs/cgroup");
}

// ---- system tests -------------------------------------------------------------------------

std::string random_name(const std::string& prefix) {
  std::random_device rd;
  return prefix + std::to_string(::getpid()) + "-" + std::to_string(rd() % 1000000);
}

bool is_dir(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A child that waits until killed, and dies with its parent if the test is cut short.
pid_t sleeper() {
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
    for (;;) ::pause();
  }
  return pid;
}

// The signal that ended a child, or 0.
int reap(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return 0;
  return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

bool contains(const std::vector<pid_t>& v, pid_t p) {
  return std::find(v.begin(), v.end(), p) != v.end();
}

class CgroupV1System : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    if (detect_cgroup_layout() == CgroupLayout::kUnified) GTEST_SKIP() << "no cgroup v1 here";
    name_ = random_name("/hulltest-");
    for (const auto& m : parse_cgroup_mounts(slurp("/proc/self/mountinfo"), "/sys/fs/cgroup")) {
      if (m.v2) continue;
      dirs_.push_back(m.mount_point + name_);
      if (m.controllers == std::vector<std::string>{"pids"}) pids_dir_ = dirs_.back();
      if (m.controllers == std::vector<std::string>{"cpuset"}) cpuset_dir_ = dirs_.back();
    }
    ASSERT_FALSE(dirs_.empty());
  }
  void TearDown() override {
    for (pid_t p : sleepers_) {
      ::kill(p, SIGKILL);
      ::waitpid(p, nullptr, 0);
    }
    for (const auto& d : dirs_) {
      ::rmdir((d + "/sub").c_str());
      ::rmdir(d.c_str());
    }
  }
  pid_t start_sleeper() {
    sleepers_.push_back(sleeper());
    return sleepers_.back();
  }
  // The sleeper was reaped by the test itself.
  void forget(pid_t p) { std::erase(sleepers_, p); }

  std::string name_, pids_dir_, cpuset_dir_;
  std::vector<std::string> dirs_;
  std::vector<pid_t> sleepers_;
};

TEST_F(CgroupV1System, CreateAddApplyDestroy) {
  auto cg = make_cgroup(CgroupLayout::kHybrid, name_, "unused", "/sys/fs/cgroup");
  EXPECT_EQ(cg->path(), name_);
  EXPECT_EQ(cg->clone_fd(), -1);
  ASSERT_TRUE(cg->create()) << cg->create().error().message();
  ASSERT_TRUE(cg->create());  // idempotent
  for (const auto& d : dirs_) EXPECT_TRUE(is_dir(d)) << d;
  if (!cpuset_dir_.empty()) {
    EXPECT_NE(slurp(cpuset_dir_ + "/cpuset.cpus"), "\n");
    EXPECT_EQ(slurp(cpuset_dir_ + "/cpuset.mems"), slurp("/sys/fs/cgroup/cpuset/cpuset.mems"));
  }

  pid_t a = start_sleeper();
  auto added = cg->add(a);
  ASSERT_TRUE(added) << added.error().message();
  EXPECT_NE(slurp("/proc/" + std::to_string(a) + "/cgroup").find(":memory:" + name_ + "\n"),
            std::string::npos);
  // A sub-cgroup the container made itself: pids() and destroy() must see into it.
  pid_t b = start_sleeper();
  if (!pids_dir_.empty()) {
    ASSERT_EQ(::mkdir((pids_dir_ + "/sub").c_str(), 0755), 0);
    std::ofstream(pids_dir_ + "/sub/cgroup.procs") << b;
  } else {
    ASSERT_TRUE(cg->add(b));
  }
  auto pids = cg->pids();
  ASSERT_TRUE(pids) << pids.error().message();
  EXPECT_TRUE(contains(*pids, a));
  EXPECT_TRUE(contains(*pids, b));
  EXPECT_EQ(pids->size(), 2u);

  oci::Resources r;
  r.pids_limit = 10;
  r.memory_limit = 64 << 20;
  r.cpu_shares = 512;
  r.cpu_period = 100000;
  r.cpu_quota = 50000;
  auto applied = cg->apply(r);
  ASSERT_TRUE(applied) << applied.error().message();
  if (!pids_dir_.empty()) {
    EXPECT_EQ(slurp(pids_dir_ + "/pids.max"), "10\n");
  }
  EXPECT_EQ(slurp("/sys/fs/cgroup/memory" + name_ + "/memory.limit_in_bytes"), "67108864\n");

  auto destroyed = cg->destroy();
  ASSERT_TRUE(destroyed) << destroyed.error().message();
  EXPECT_EQ(reap(a), SIGKILL);
  EXPECT_EQ(reap(b), SIGKILL);
  forget(a);
  forget(b);
  for (const auto& d : dirs_) EXPECT_FALSE(is_dir(d)) << d;
  EXPECT_TRUE(cg->destroy());  // gone already: not an error
}

TEST_F(CgroupV1System, ErrorsNameTheFileAndValue) {
  auto cg = make_cgroup(CgroupLayout::kLegacy, name_, "unused", "/sys/fs/cgroup");
  ASSERT_TRUE(cg->create());
  oci::Resources r;
  r.unified["memory.high"] = "1";
  ASSERT_FALSE(cg->apply(r));
  EXPECT_EQ(cg->apply(r).error().message(), "cgroup: linux.resources.unified needs cgroup v2");
  if (!cpuset_dir_.empty()) {
    r.unified.clear();
    r.cpuset_cpus = "x";
    auto e = cg->apply(r);
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error().message(),
              "cgroup: write " + cpuset_dir_ + "/cpuset.cpus (x): Invalid argument (EINVAL)");
  }
  EXPECT_TRUE(cg->destroy());
}

TEST_F(CgroupV1System, DestroyOfANeverCreatedCgroupIsFine) {
  auto cg = make_cgroup(CgroupLayout::kHybrid, name_, "unused", "/sys/fs/cgroup");
  EXPECT_TRUE(cg->destroy());
  auto pids = cg->pids();
  ASSERT_FALSE(pids);
  EXPECT_EQ(pids.error().code(), ENOENT);
}

TEST_F(CgroupV1System, UnprivilegedCreateKeepsTheErrno) {
  // What a rootless hull-oci meets: the caller decides on the code whether to go on without.
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0) {
      ::_exit(2);
    }
    auto r = make_cgroup(CgroupLayout::kHybrid, name_, "unused", "/sys/fs/cgroup")->create();
    std::string msg = r ? "" : r.error().message();
    (void)!::write(fds[1], msg.data(), msg.size());
    ::_exit(r ? 1 : 0);
  }
  ::close(fds[1]);
  auto msg = base::sys::read_fd(fds[0]);
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0) << "create succeeded unprivileged";
  ASSERT_TRUE(msg);
  EXPECT_EQ(*msg, "cgroup: mkdir " + dirs_.front() + ": Permission denied (EACCES)");
}

// The v2 test runs in a forked child with a mount namespace of its own and a fresh cgroup2
// mount there; the child reports failed checks as lines on a pipe and exits 0, 1, or 77 (skip).
constexpr int kSkip = 77;

std::string words_of(const std::string& s) {
  std::istringstream in(s);
  std::string out;
  for (std::string w; in >> w;) out += (out.empty() ? "" : " ") + w;
  return out;
}

int v2_checks(const std::string& mnt, const std::string& name, std::string& report) {
  auto check = [&](bool ok, const std::string& what) {
    if (!ok) report += what + "\n";
  };
  const std::string dir = mnt + name;
  auto cg = make_cgroup(CgroupLayout::kUnified, name, "unused", mnt);
  check(cg->path() == name, "path " + cg->path());
  auto created = cg->create();
  if (!created) {
    report += "create: " + created.error().message() + "\n";
    return 1;
  }
  check(is_dir(dir), "no directory " + dir);
  check(cg->clone_fd() >= 0, "no clone fd");

  pid_t a = sleeper(), b = sleeper();
  auto added = cg->add(a);
  check(added.has_value(), added ? "" : "add: " + added.error().message());
  check(::mkdir((dir + "/sub").c_str(), 0755) == 0, "mkdir sub");
  std::ofstream(dir + "/sub/cgroup.procs") << b;
  // Born inside through the fd, as the container's init is.
  auto c = base::sys::clone3(0, SIGCHLD, cg->clone_fd());
  if (c && c->pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    for (;;) ::pause();
  }
  check(c.has_value(), c ? "" : "clone3: " + c.error().message());
  auto pids = cg->pids();
  check(pids && pids->size() == 3 && contains(*pids, a) && contains(*pids, b) && c &&
            contains(*pids, c->pid),
        "pids: " + (pids ? std::to_string(pids->size()) : pids.error().message()));

  check(cg->signal_all(SIGTERM).has_value(), "signal_all");
  check(reap(a) == SIGTERM && reap(b) == SIGTERM && c && reap(c->pid) == SIGTERM, "SIGTERM");
  pids = cg->pids();
  check(pids && pids->empty(), "pids after SIGTERM");

  // Limits: only what this hierarchy offers (a hybrid host leaves cgroup2 little or nothing).
  auto controllers = " " + words_of(slurp(dir + "/cgroup.controllers")) + " ";
  if (controllers.find(" pids ") != std::string::npos) {
    oci::Resources r;
    r.pids_limit = 10;
    check(cg->apply(r).has_value(), "apply pids");
    check(slurp(dir + "/pids.max") == "10\n", "pids.max " + slurp(dir + "/pids.max"));
  }
  if (is_dir(dir) && ::access((dir + "/hugetlb.2MB.max").c_str(), F_OK) == 0) {
    oci::Resources r;
    r.unified["hugetlb.2MB.max"] = "4194304";
    check(cg->apply(r).has_value(), "apply unified");
    check(slurp(dir + "/hugetlb.2MB.max") == "4194304\n", "hugetlb.2MB.max");
  }
  if (controllers.find(" memory ") == std::string::npos) {
    oci::Resources r;
    r.memory_limit = 1 << 30;
    auto e = cg->apply(r);
    check(!e && e.error().message() == "cgroup: write " + dir +
                                           "/memory.max (1073741824): No such file or "
                                           "directory (ENOENT) (the memory controller is not "
                                           "enabled here: see cgroup.controllers)",
          e ? "apply memory succeeded" : e.error().message());
  }

  pid_t d = sleeper();
  check(cg->add(d).has_value(), "add d");
  auto destroyed = cg->destroy();
  check(destroyed.has_value(), destroyed ? "" : "destroy: " + destroyed.error().message());
  check(reap(d) == SIGKILL, "SIGKILL");
  check(!is_dir(dir), "directory left");
  check(cg->destroy().has_value(), "second destroy");
  return report.empty() ? 0 : 1;
}

// The private cgroup2 mount and its cleanup come from private_cgroup2.h.
class CgroupV2System : public hull::runtime::testing::PrivateCgroup2 {
 protected:
  void TearDown() override {
    if (!host_.empty()) ::rmdir((host_ + name_ + "/sub").c_str());
    PrivateCgroup2::TearDown();
  }
};

TEST_F(CgroupV2System, LifecycleOnAPrivateCgroup2Mount) {
  run([this](const std::string& mnt, std::string& report) {
    int rc = v2_checks(mnt, name_, report);
    ::rmdir((mnt + name_ + "/sub").c_str());
    return rc;
  });
  EXPECT_FALSE(is_dir(host_ + name_));
}

}  // namespace
}  // namespace hull::runtime
