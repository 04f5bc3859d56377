// The pure parts of pause/ps/events: filtering `ps` output by pid and the stats event's shape.
#include "runtime/manage.h"

#include <gtest/gtest.h>

namespace hull::runtime {
namespace {

const char* kPsEf =
    "UID          PID    PPID  C STIME TTY          TIME CMD\n"
    "root           1       0  0 01:00 ?        00:00:01 /sbin/init\n"
    "root       22507       1  0 02:16 ?        00:00:00 sleep 1000\n"
    "root       22508   22507  0 02:16 ?        00:00:00 sh -c echo 1 22507\n"
    "root       32507       1  0 02:16 ?        00:00:00 other\n";

TEST(PsOutput, KeepsTheHeaderAndTheContainersRows) {
  auto out = filter_ps_output(kPsEf, {22507, 22508});
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(*out,
            "UID          PID    PPID  C STIME TTY          TIME CMD\n"
            "root       22507       1  0 02:16 ?        00:00:00 sleep 1000\n"
            "root       22508   22507  0 02:16 ?        00:00:00 sh -c echo 1 22507\n");
}

TEST(PsOutput, FindsThePidColumnWhereverItIs) {
  auto out = filter_ps_output("  PID COMMAND\n    1 init\n   42 sleep\n", {42});
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, "  PID COMMAND\n   42 sleep\n");
  EXPECT_EQ(*filter_ps_output("  PID COMMAND\n    1 init\n", {}), "  PID COMMAND\n");
}

TEST(PsOutput, NoPidColumnIsAnError) {
  auto out = filter_ps_output("COMMAND\ninit\n", {1});
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().message(), "ps: no PID column in its output: COMMAND");
}

TEST(StatsEvent, RuncFieldNamesAndOrder) {
  CgroupStats s;
  s.cpu_total_ns = 300;
  s.cpu_user_ns = 200;
  s.cpu_kernel_ns = 100;
  s.memory_usage = 4096;
  s.memory_limit = kCgroupUnlimited;
  s.memory_failcnt = 0;
  s.pids_current = 2;
  s.pids_limit = 5;
  EXPECT_EQ(stats_event("web", s).dump(),
            R"({"type":"stats","id":"web","data":{"cpu":{"usage":{"total":300,"kernel":100,)"
            R"("user":200},"throttling":{}},"memory":{"usage":{"limit":18446744073709551615,)"
            R"("usage":4096,"failcnt":0}},"pids":{"current":2,"limit":5}}})");
}

TEST(StatsEvent, AbsentValuesAndAnUnlimitedPidsLimitAreLeftOut) {
  CgroupStats s;
  s.pids_current = 1;
  s.pids_limit = kCgroupUnlimited;
  EXPECT_EQ(stats_event("x", s).dump(),
            R"({"type":"stats","id":"x","data":{"cpu":{"usage":{},"throttling":{}},)"
            R"("memory":{"usage":{}},"pids":{"current":1}}})");
}

}  // namespace
}  // namespace hull::runtime
