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
