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

}  // namespace
}  // namespace hull::runtime
