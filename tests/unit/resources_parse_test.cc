// `update -r` documents and update's byte sizes: pure parsing, no syscalls.
#include <gtest/gtest.h>

#include "oci/resources.h"

namespace hull::oci {
namespace {

std::string error_of(const std::string& json) {
  auto r = parse_resources(json);
  return r ? "parsed" : r.error().message();
}

TEST(ResourcesParse, TheLinuxResourcesObject) {
  auto r = parse_resources(R"({
    "memory": {"limit": 67108864, "reservation": 33554432, "swap": -1},
    "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0-1", "mems": "0"},
    "pids": {"limit": 5},
    "unified": {"memory.high": "max"},
    "devices": [{"allow": false, "access": "rwm"}]
  })");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->memory_limit, 67108864);
  EXPECT_EQ(r->memory_reservation, 33554432);
  EXPECT_EQ(r->memory_swap, -1);
  EXPECT_EQ(r->cpu_shares, 512u);
  EXPECT_EQ(r->cpu_quota, 50000);
  EXPECT_EQ(r->cpu_period, 100000u);
  EXPECT_EQ(r->cpuset_cpus, "0-1");
  EXPECT_EQ(r->cpuset_mems, "0");
  EXPECT_EQ(r->pids_limit, 5);
  EXPECT_EQ(r->unified.at("memory.high"), "max");
  ASSERT_EQ(r->devices.size(), 1u);
  EXPECT_FALSE(r->devices[0].allow);
}

TEST(ResourcesParse, AbsentSectionsStayUnset) {
  auto r = parse_resources(R"({"pids": {"limit": 10}, "memory": null})");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->pids_limit, 10);
  EXPECT_FALSE(r->memory_limit);
  EXPECT_FALSE(r->cpu_shares);
  EXPECT_TRUE(r->cpuset_cpus.empty());
  EXPECT_TRUE(parse_resources("{}"));
}

TEST(ResourcesParse, ErrorsNameTheJsonPath) {
  EXPECT_EQ(error_of(R"({"memory": {"limit": "64m"}})"), "memory.limit: expected a number");
  EXPECT_EQ(error_of(R"({"pids": 5})"), "pids: expected an object");
  EXPECT_EQ(error_of(R"({"cpu": {"cpus": 3}})"), "cpu.cpus: expected a string");
  EXPECT_EQ(error_of(R"({"devices": [{"access": "rwm"}]})"), "devices[0].allow: missing");
  EXPECT_EQ(error_of("[1]"), "resources: expected a JSON object");
  EXPECT_EQ(error_of("{").rfind("resources: invalid JSON: ", 0), 0u) << error_of("{");
}

TEST(ResourcesParse, MemoryCpuAndPidsExtras) {
  auto r = parse_resources(R"({
    "memory": {"kernel": 1048576, "kernelTCP": 2097152, "swappiness": 30,
               "disableOOMKiller": true},
    "cpu": {"realtimeRuntime": 10000, "realtimePeriod": 1000000, "idle": 1}
  })");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->memory_kernel, 1048576);
  EXPECT_EQ(r->memory_kernel_tcp, 2097152);
  EXPECT_EQ(r->memory_swappiness, 30u);
  EXPECT_EQ(r->memory_disable_oom_killer, true);
  EXPECT_EQ(r->cpu_realtime_runtime, 10000);
  EXPECT_EQ(r->cpu_realtime_period, 1000000u);
  EXPECT_EQ(r->cpu_idle, 1);
  EXPECT_FALSE(r->memory_limit);
}

TEST(ResourcesParse, BlockIo) {
  auto r = parse_resources(R"({"blockIO": {
    "weight": 500, "leafWeight": 300,
    "weightDevice": [{"major": 8, "minor": 0, "weight": 200},
                     {"major": 8, "minor": 16, "leafWeight": 0}],
    "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}],
    "throttleWriteBpsDevice": [{"major": 8, "minor": 0, "rate": 0}],
    "throttleReadIOPSDevice": [{"major": 7, "minor": 1, "rate": 100}],
    "throttleWriteIOPSDevice": [{"major": 7, "minor": 2, "rate": 50}]
  }})");
  ASSERT_TRUE(r) << r.error().message();
  const BlockIo& b = r->block_io;
  EXPECT_EQ(b.weight, 500);
  EXPECT_EQ(b.leaf_weight, 300);
  ASSERT_EQ(b.weight_devices.size(), 2u);
  EXPECT_EQ(b.weight_devices[0].major, 8);
  EXPECT_EQ(b.weight_devices[0].weight, 200);
  EXPECT_FALSE(b.weight_devices[0].leaf_weight);
  EXPECT_EQ(b.weight_devices[1].minor, 16);
  EXPECT_EQ(b.weight_devices[1].leaf_weight, 0);  // per device, 0 drops the device's weight
  ASSERT_EQ(b.read_bps.size(), 1u);
  EXPECT_EQ(b.read_bps[0].rate, 1048576u);
  EXPECT_EQ(b.write_bps[0].rate, 0u);
  EXPECT_EQ(b.read_iops[0].major, 7);
  EXPECT_EQ(b.write_iops[0].minor, 2);
  EXPECT_FALSE(b.empty());
  // A weight of 0 means "not set", as runc reads it.
  auto zero = parse_resources(R"({"blockIO": {"weight": 0}})");
  ASSERT_TRUE(zero);
  EXPECT_TRUE(zero->block_io.empty());
}

TEST(ResourcesParse, HugepagesAndNetwork) {
  auto r = parse_resources(R"({
    "hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}, {"pageSize": "1GB", "limit": 0}],
    "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 5}]},
    "rdma": {"mlx5_1": {"hcaHandles": 3}}
  })");
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->hugepage_limits.size(), 2u);
  EXPECT_EQ(r->hugepage_limits[0].page_size, "2MB");
  EXPECT_EQ(r->hugepage_limits[0].limit, 4194304u);
  EXPECT_EQ(r->hugepage_limits[1].page_size, "1GB");
  EXPECT_EQ(r->net_class_id, 1048577u);
  ASSERT_EQ(r->net_priorities.size(), 1u);
  EXPECT_EQ(r->net_priorities[0].name, "eth0");
  EXPECT_EQ(r->net_priorities[0].priority, 5u);
}

TEST(ResourcesParse, DeviceRuleNumbers) {
  auto r = parse_resources(R"({"devices": [
    {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rw"},
    {"allow": true, "type": "b", "major": -1, "minor": 4294967295}
  ]})");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->devices[0].major, 1);
  EXPECT_EQ(r->devices[0].minor, 3);
  EXPECT_FALSE(r->devices[1].major);  // -1: any, as runc reads it
  EXPECT_EQ(r->devices[1].minor, 4294967295);
  EXPECT_EQ(r->devices[1].access, "");
}

TEST(ResourcesParse, ErrorsOfTheNewFields) {
  EXPECT_EQ(error_of(R"({"memory": {"swappiness": 101}})"),
            "memory.swappiness: must be between 0 and 100");
  EXPECT_EQ(error_of(R"({"memory": {"disableOOMKiller": 1}})"),
            "memory.disableOOMKiller: expected a boolean");
  EXPECT_EQ(error_of(R"({"cpu": {"idle": 2}})"), "cpu.idle: must be 0 or 1");
  EXPECT_EQ(error_of(R"({"blockIO": {"weight": 5}})"),
            "blockIO.weight: must be between 10 and 1000");
  EXPECT_EQ(error_of(R"({"blockIO": {"leafWeight": 1001}})"),
            "blockIO.leafWeight: must be between 10 and 1000");
  EXPECT_EQ(error_of(R"({"blockIO": {"weightDevice": [{"major": 8, "weight": 100}]}})"),
            "blockIO.weightDevice[0].minor: missing");
  EXPECT_EQ(error_of(R"({"blockIO": {"throttleReadBpsDevice": [{"major": -1, "minor": 0,
                                                                 "rate": 1}]}})"),
            "blockIO.throttleReadBpsDevice[0].major: must be 0 to 4294967295");
  EXPECT_EQ(error_of(R"({"blockIO": {"throttleWriteIOPSDevice": [{"major": 8, "minor": 0}]}})"),
            "blockIO.throttleWriteIOPSDevice[0].rate: missing");
  EXPECT_EQ(error_of(R"({"hugepageLimits": [{"pageSize": "2M", "limit": 1}]})"),
            "hugepageLimits[0].pageSize: expected a size such as \"2MB\" or \"1GB\", got \"2M\"");
  EXPECT_EQ(error_of(R"({"hugepageLimits": [{"pageSize": "../2MB", "limit": 1}]})"),
            "hugepageLimits[0].pageSize: expected a size such as \"2MB\" or \"1GB\", got "
            "\"../2MB\"");
  EXPECT_EQ(error_of(R"({"hugepageLimits": [{"pageSize": "2MB"}]})"),
            "hugepageLimits[0].limit: missing");
  EXPECT_EQ(error_of(R"({"network": {"priorities": [{"name": "a b", "priority": 1}]}})"),
            "network.priorities[0].name: expected an interface name, got \"a b\"");
  EXPECT_EQ(error_of(R"({"network": {"classID": -1}})"),
            "network.classID: expected an unsigned 32-bit number");
  EXPECT_EQ(error_of(R"({"devices": [{"allow": true, "major": -2}]})"),
            "devices[0].major: must be -1 (any) or 0 to 4294967295");
  EXPECT_EQ(error_of(R"({"devices": [{"allow": true, "minor": 4294967296}]})"),
            "devices[0].minor: must be -1 (any) or 0 to 4294967295");
}

TEST(ByteSize, NumbersAndBinarySuffixes) {
  EXPECT_EQ(*parse_byte_size("1024"), 1024);
  EXPECT_EQ(*parse_byte_size("0"), 0);
  EXPECT_EQ(*parse_byte_size("-1"), -1);
  EXPECT_EQ(*parse_byte_size("512k"), 512 << 10);
  EXPECT_EQ(*parse_byte_size("64m"), 64 << 20);
  EXPECT_EQ(*parse_byte_size("64M"), 64 << 20);
  EXPECT_EQ(*parse_byte_size("64MiB"), 64 << 20);
  EXPECT_EQ(*parse_byte_size("64mb"), 64 << 20);
  EXPECT_EQ(*parse_byte_size("100 kb"), 100 << 10);
  EXPECT_EQ(*parse_byte_size("1g"), int64_t{1} << 30);
  EXPECT_EQ(*parse_byte_size("1.5g"), int64_t{3} << 29);
  EXPECT_EQ(*parse_byte_size("2t"), int64_t{2} << 40);
  EXPECT_EQ(*parse_byte_size("9223372036854775807"), INT64_MAX);
}

TEST(ByteSize, BadSizes) {
  for (const char* bad : {"", "m", "12x", "1.g", ".5g", "-2", "1e3", "64 m b", "0x10", "1..5m"}) {
    auto r = parse_byte_size(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_EQ(r.error().message(), std::string("invalid size \"") + bad +
                                         "\" (expected bytes, or a number with k, m, g, t or p)");
    }
  }
  auto huge = parse_byte_size("9000000p");
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error().message(), "size \"9000000p\" is too large");
}

}  // namespace
}  // namespace hull::oci
