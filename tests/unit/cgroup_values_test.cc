#include "runtime/cgroup_values.h"

#include <gtest/gtest.h>

namespace hull::runtime {
namespace {

TEST(CgroupValues, SharesToWeightMatchesOtherRuntimes) {
  EXPECT_EQ(cpu_weight_from_shares(2), 1u);
  EXPECT_EQ(cpu_weight_from_shares(1024), 39u);
  EXPECT_EQ(cpu_weight_from_shares(262144), 10000u);
}

TEST(CgroupValues, SharesOutsideTheV1RangeAreClamped) {
  EXPECT_EQ(cpu_weight_from_shares(0), 1u);
  EXPECT_EQ(cpu_weight_from_shares(1), 1u);
  EXPECT_EQ(cpu_weight_from_shares(1u << 30), 10000u);
}

TEST(CgroupValues, NegativeLimitIsMax) {
  EXPECT_EQ(limit_value(-1), "max");
  EXPECT_EQ(limit_value(0), "0");
  EXPECT_EQ(limit_value(67108864), "67108864");
}

TEST(CgroupValues, PidsMax) {
  EXPECT_EQ(pids_max_value(10), "10");
  EXPECT_EQ(pids_max_value(0), "max");
  EXPECT_EQ(pids_max_value(-1), "max");
}

TEST(CgroupValues, SwapIsMemoryPlusSwap) {
  auto v = swap_max_value(300, 100);
  ASSERT_TRUE(v) << v.error().message();
  EXPECT_EQ(*v, "200");
  v = swap_max_value(100, 100);
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, "0");  // swap equal to the limit: no swap at all
}

TEST(CgroupValues, UnlimitedSwapIsMax) {
  auto v = swap_max_value(-1, 100);
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, "max");
  v = swap_max_value(-1, std::nullopt);
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, "max");
}

TEST(CgroupValues, SwapBelowLimitOrWithoutOneIsAnError) {
  auto v = swap_max_value(50, 100);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().message(),
            "memory.swap 50 is below memory.limit 100: it counts memory plus swap");
  v = swap_max_value(50, std::nullopt);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().message(), "memory.swap 50 needs a memory.limit: it counts memory plus swap");
  EXPECT_FALSE(swap_max_value(50, -1));
}

TEST(CgroupValues, CpuMax) {
  EXPECT_EQ(cpu_max_value(std::nullopt, std::nullopt), std::nullopt);
  EXPECT_EQ(cpu_max_value(50000, 100000u), "50000 100000");
  EXPECT_EQ(cpu_max_value(50000, std::nullopt), "50000 100000");
  EXPECT_EQ(cpu_max_value(-1, 200000u), "max 200000");
  EXPECT_EQ(cpu_max_value(std::nullopt, 200000u), "max 200000");
  EXPECT_EQ(cpu_max_value(20000, 0u), "20000 100000");
}

oci::DeviceRule rule(bool allow, std::string type, std::optional<int64_t> major,
                     std::optional<int64_t> minor, std::string access) {
  return oci::DeviceRule{allow, std::move(type), major, minor, std::move(access)};
}

TEST(CgroupValues, DeviceRuleLines) {
  EXPECT_EQ(device_rule_line(rule(true, "c", 1, 3, "rwm")), "c 1:3 rwm");
  EXPECT_EQ(device_rule_line(rule(false, "b", 8, std::nullopt, "r")), "b 8:* r");
  EXPECT_EQ(device_rule_line(rule(true, "c", std::nullopt, std::nullopt, "m")), "c *:* m");
  // An unset type is "a"; an unset access is all of "rwm" (the kernel refuses no letters).
  EXPECT_EQ(device_rule_line(rule(false, "", std::nullopt, std::nullopt, "")), "a *:* rwm");
  EXPECT_EQ(device_rule_line(rule(true, "c", 10, 200, "")), "c 10:200 rwm");
}

TEST(CgroupValues, DeviceRuleWildcards) {
  EXPECT_EQ(device_rule_number(std::nullopt), std::nullopt);
  EXPECT_EQ(device_rule_number(-1), std::nullopt);          // runc's wildcard
  EXPECT_EQ(device_rule_number(4294967295), std::nullopt);  // the kernel's ~0
  EXPECT_EQ(device_rule_number(0), 0u);
  EXPECT_EQ(device_rule_number(4294967294), 4294967294u);
  EXPECT_EQ(device_rule_line(rule(true, "c", -1, 4294967295, "r")), "c *:* r");
}

TEST(CgroupValues, BlkioWeightToIoWeightMatchesOtherRuntimes) {
  EXPECT_EQ(io_weight_from_blkio(10), 1u);
  EXPECT_EQ(io_weight_from_blkio(100), 910u);
  EXPECT_EQ(io_weight_from_blkio(500), 4950u);
  EXPECT_EQ(io_weight_from_blkio(1000), 10000u);
  // Outside blkio's range: clamped.
  EXPECT_EQ(io_weight_from_blkio(1), 1u);
  EXPECT_EQ(io_weight_from_blkio(5000), 10000u);
}

TEST(CgroupValues, PerDeviceLines) {
  EXPECT_EQ(device_value_line(8, 0, 1048576), "8:0 1048576");
  EXPECT_EQ(device_value_line(253, 16, 0), "253:16 0");
  EXPECT_EQ(io_weight_device_line(8, 0, 500, false), "8:0 4950");
  EXPECT_EQ(io_weight_device_line(8, 0, 500, true), "8:0 500");
  EXPECT_EQ(io_weight_device_line(8, 16, 0, false), "8:16 default");
  EXPECT_EQ(io_weight_device_line(8, 16, 0, true), "8:16 default");
}

TEST(CgroupValues, IoMaxOneLinePerDevice) {
  oci::BlockIo b;
  EXPECT_TRUE(io_max_lines(b).empty());
  b.read_bps = {{8, 0, 1048576}};
  b.write_bps = {{8, 16, 2097152}, {8, 0, 0}};
  b.read_iops = {{8, 0, 100}};
  b.write_iops = {{7, 0, 50}};
  EXPECT_EQ(io_max_lines(b), (std::vector<std::string>{
                                 "8:0 rbps=1048576 wbps=max riops=100",
                                 "8:16 wbps=2097152",
                                 "7:0 wiops=50",
                             }));
}

TEST(CgroupValues, HugetlbNetworkAndOomFiles) {
  EXPECT_EQ(hugetlb_v1_file("2MB"), "hugetlb.2MB.limit_in_bytes");
  EXPECT_EQ(hugetlb_v2_file("1GB"), "hugetlb.1GB.max");
  EXPECT_EQ(net_prio_line({"eth0", 5}), "eth0 5");
  EXPECT_EQ(oom_control_value(true), "1");
  EXPECT_EQ(oom_control_value(false), "0");
}

}  // namespace
}  // namespace hull::runtime
