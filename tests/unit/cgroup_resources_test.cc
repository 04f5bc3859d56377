// The rest of linux.resources on the kernel: memory, cpu, blkio, hugetlb and network values on
// this machine's v1 hierarchies (where a controller is missing, the error names it), and
// hugetlb, io and the values v2 has no file for on a private cgroup2 mount. Needs root.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include "host_cgroup_v1.h"
#include "private_cgroup2.h"
#include "runtime/cgroup.h"
#include "runtime/cgroup_internal.h"

namespace hull::runtime {
namespace {

using testing::slurp_file;

class ResourcesV1 : public hull::runtime::testing::HostCgroupV1 {
 protected:
  ResourcesV1() : HostCgroupV1("/hulltest-res-") {}
};

TEST_F(ResourcesV1, MemoryExtras) {
  if (dir("memory").empty()) GTEST_SKIP() << "no memory hierarchy";
  oci::Resources r;
  r.memory_swappiness = 30;
  r.memory_disable_oom_killer = true;
  r.memory_kernel_tcp = 1 << 20;
  r.memory_kernel = 1 << 20;  // accepted and, on Linux 6.1 and later, discarded
  auto applied = cg_->apply(r);
  ASSERT_TRUE(applied) << applied.error().message();
  EXPECT_EQ(slurp_file(dir("memory") + "/memory.swappiness"), "30\n");
  EXPECT_NE(slurp_file(dir("memory") + "/memory.oom_control").find("oom_kill_disable 1\n"),
            std::string::npos);
  if (has("memory", "memory.kmem.tcp.limit_in_bytes")) {
    EXPECT_EQ(slurp_file(dir("memory") + "/memory.kmem.tcp.limit_in_bytes"), "1048576\n");
  }
  r = {};
  r.memory_disable_oom_killer = false;
  ASSERT_TRUE(cg_->apply(r));
  EXPECT_NE(slurp_file(dir("memory") + "/memory.oom_control").find("oom_kill_disable 0\n"),
            std::string::npos);
  r = {};
  r.memory_swappiness = 100;
  ASSERT_TRUE(cg_->apply(r));
  EXPECT_EQ(slurp_file(dir("memory") + "/memory.swappiness"), "100\n");
}

TEST_F(ResourcesV1, CpuIdleAndRealtime) {
  if (!has("cpu", "cpu.idle")) GTEST_SKIP() << "no cpu.idle (Linux 5.15) here";
  oci::Resources r;
  r.cpu_idle = 1;
  ASSERT_TRUE(cg_->apply(r));
  EXPECT_EQ(slurp_file(dir("cpu") + "/cpu.idle"), "1\n");
  if (!has("cpu", "cpu.rt_runtime_us")) return;  // needs CONFIG_RT_GROUP_SCHED
  r = {};
  r.cpu_realtime_period = 500000;
  r.cpu_realtime_runtime = 5000;
  auto applied = cg_->apply(r);
  ASSERT_TRUE(applied) << applied.error().message();
  EXPECT_EQ(slurp_file(dir("cpu") + "/cpu.rt_period_us"), "500000\n");
  EXPECT_EQ(slurp_file(dir("cpu") + "/cpu.rt_runtime_us"), "5000\n");
  // More runtime than period: the kernel's refusal names the file and value.
  r.cpu_realtime_runtime = 600000;
  r.cpu_realtime_period.reset();
  applied = cg_->apply(r);
  ASSERT_FALSE(applied);
  EXPECT_EQ(
      applied.error().message(),
      "cgroup: write " + dir("cpu") + "/cpu.rt_runtime_us (600000): Invalid argument (EINVAL)");
}

TEST_F(ResourcesV1, BlkioThrottlesAndWeight) {
  if (dir("blkio").empty()) GTEST_SKIP() << "no blkio hierarchy";
  // A loop device is a block device every machine has.
  std::string dev = slurp_file("/sys/block/loop0/dev");
  if (dev.empty()) GTEST_SKIP() << "no /dev/loop0";
  dev.pop_back();
  const int64_t major = std::stoll(dev.substr(0, dev.find(':')));
  const int64_t minor = std::stoll(dev.substr(dev.find(':') + 1));
  oci::Resources r;
  r.block_io.read_bps = {{major, minor, 1048576}};
  r.block_io.write_iops = {{major, minor, 100}};
  auto applied = cg_->apply(r);
  ASSERT_TRUE(applied) << applied.error().message();
  EXPECT_EQ(slurp_file(dir("blkio") + "/blkio.throttle.read_bps_device"), dev + " 1048576\n");
  EXPECT_EQ(slurp_file(dir("blkio") + "/blkio.throttle.write_iops_device"), dev + " 100\n");
  r = {};
  r.block_io.read_bps = {{major, minor, 0}};  // 0 removes the limit
  ASSERT_TRUE(cg_->apply(r));
  EXPECT_EQ(slurp_file(dir("blkio") + "/blkio.throttle.read_bps_device"), "");

  r = {};
  r.block_io.weight = 500;
  applied = cg_->apply(r);
  if (has("blkio", "blkio.weight") || has("blkio", "blkio.bfq.weight")) {
    ASSERT_TRUE(applied) << applied.error().message();
    const std::string file = has("blkio", "blkio.weight") ? "/blkio.weight" : "/blkio.bfq.weight";
    EXPECT_EQ(slurp_file(dir("blkio") + file), "500\n");
  } else {
    ASSERT_FALSE(applied);
    EXPECT_EQ(applied.error().message(),
              "cgroup: write " + dir("blkio") +
                  "/blkio.weight (500): No such file or directory (ENOENT) (no I/O scheduler here "
                  "takes weights (CFQ before Linux 5.0, or BFQ))");
  }
}

TEST_F(ResourcesV1, HugetlbNeedsItsHierarchy) {
  oci::Resources r;
  r.hugepage_limits = {{"2MB", 4194304}};
  auto applied = cg_->apply(r);
  if (!dir("hugetlb").empty()) {
    ASSERT_TRUE(applied) << applied.error().message();
    EXPECT_EQ(slurp_file(dir("hugetlb") + "/hugetlb.2MB.limit_in_bytes"), "4194304\n");
    return;
  }
  ASSERT_FALSE(applied);
  EXPECT_EQ(applied.error().message(),
            "cgroup: hugetlb.2MB.limit_in_bytes: no hugetlb hierarchy is mounted under "
            "/sys/fs/cgroup");
}

TEST_F(ResourcesV1, NetworkWithoutItsHierarchiesIsSkipped) {
  oci::Resources r;
  r.net_class_id = 0x100001;
  r.net_priorities = {{"lo", 3}};
  auto applied = cg_->apply(r);
  ASSERT_TRUE(applied) << applied.error().message();
  if (!dir("net_cls").empty()) {
    EXPECT_EQ(slurp_file(dir("net_cls") + "/net_cls.classid"), "1048577\n");
  }
  if (!dir("net_prio").empty()) {
    EXPECT_NE(slurp_file(dir("net_prio") + "/net_prio.ifpriomap").find("lo 3\n"),
              std::string::npos);
  }
}

// ---- cgroup v2 ----------------------------------------------------------------------------

class ResourcesV2 : public testing::PrivateCgroup2 {};

TEST_F(ResourcesV2, HugetlbIoAndWhatV2Lacks) {
  run([&](const std::string& mnt, std::string& report) {
    auto check = [&](bool ok, const std::string& what) {
      if (!ok) report += what + "\n";
    };
    auto cg = testing::created_v2_cgroup(mnt, name_, report);
    if (!cg) return 1;
    const std::string dir = mnt + name_;
    const std::string controllers = " " + words(slurp_file(dir + "/cgroup.controllers")) + " ";

    if (controllers.find(" hugetlb ") != std::string::npos) {
      oci::Resources r;
      r.hugepage_limits = {{"2MB", 4194304}};
      auto applied = cg->apply(r);
      check(applied.has_value(), applied ? "" : "hugetlb: " + applied.error().message());
      check(slurp_file(dir + "/hugetlb.2MB.max") == "4194304\n",
            "hugetlb.2MB.max " + slurp_file(dir + "/hugetlb.2MB.max"));
      r.hugepage_limits = {{"3MB", 1}};
      applied = cg->apply(r);
      check(!applied && applied.error().message() ==
                            "cgroup: write " + dir +
                                "/hugetlb.3MB.max (1): No such file or directory (ENOENT) (the "
                                "hugetlb controller is not enabled here, or the kernel has no "
                                "such page size: see cgroup.controllers)",
            applied ? "a 3MB page size was accepted" : applied.error().message());
    }
    if (controllers.find(" io ") == std::string::npos) {
      oci::Resources r;
      r.block_io.weight = 500;
      auto applied = cg->apply(r);
      check(!applied && applied.error().message() ==
                            "cgroup: write " + dir +
                                "/io.weight (4950): No such file or directory (ENOENT) (the io "
                                "controller is not enabled here: see cgroup.controllers)",
            applied ? "an io weight was accepted" : applied.error().message());
    }

    // What v2 has no file for is skipped (with a debug line), not an error.
    oci::Resources r;
    r.memory_kernel = 1 << 20;
    r.memory_kernel_tcp = 1 << 20;
    r.memory_swappiness = 10;
    r.memory_disable_oom_killer = true;
    r.cpu_realtime_runtime = 1000;
    r.cpu_realtime_period = 100000;
    r.block_io.leaf_weight = 100;
    r.net_class_id = 7;
    r.net_priorities = {{"lo", 1}};
    auto applied = cg->apply(r);
    check(applied.has_value(), applied ? "" : "v2 skips: " + applied.error().message());

    auto destroyed = cg->destroy();
    check(destroyed.has_value(), destroyed ? "" : "destroy: " + destroyed.error().message());
    return report.empty() ? 0 : 1;
  });
}

}  // namespace
}  // namespace hull::runtime
