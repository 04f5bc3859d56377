// linux.resources.devices on the kernel: the v1 devices controller of this machine (its
// devices.list must show what the policy model says, for fixed and random rules; a denied
// device fails with EPERM in a process of the cgroup), and the v2 eBPF filter on a private
// cgroup2 mount (attached, replaced on update, detached). Needs root.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <random>
#include <sstream>

#include "device_rules.h"
#include "host_cgroup_v1.h"
#include "private_cgroup2.h"
#include "runtime/cgroup.h"
#include "runtime/cgroup_bpf.h"
#include "runtime/cgroup_devices.h"
#include "runtime/cgroup_internal.h"
#include "runtime/cgroup_values.h"

namespace hull::runtime {
namespace {

using oci::DeviceRule;
using testing::allow;
using testing::deny;
using testing::kAny;
using testing::kDenyAll;
using testing::slurp_file;

oci::Resources devices(std::vector<DeviceRule> rules) {
  oci::Resources r;
  r.devices = std::move(rules);
  return r;
}

// Forks a child, moves it into the cgroup, and has it open each path: the errno of each open
// (0 when it worked). The child dies with us if the test is cut short.
std::vector<int> opens_in(Cgroup& cg, const std::vector<std::pair<const char*, int>>& paths) {
  int go[2], out[2];
  if (::pipe2(go, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) return {-1};
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    char c;
    if (::getppid() != parent || ::read(go[0], &c, 1) != 1) ::_exit(1);
    std::vector<int> errs;
    for (const auto& [path, flags] : paths) {
      int fd = ::open(path, flags | O_CLOEXEC);
      errs.push_back(fd < 0 ? errno : 0);
      if (fd >= 0) ::close(fd);
    }
    (void)!::write(out[1], errs.data(), errs.size() * sizeof(int));
    ::_exit(0);
  }
  ::close(go[0]);
  ::close(out[1]);
  std::vector<int> errs(paths.size(), -1);
  auto added = cg.add(pid);
  if (added && ::write(go[1], "x", 1) == 1) {
    (void)!::read(out[0], errs.data(), errs.size() * sizeof(int));
  }
  ::close(go[1]);
  ::close(out[0]);
  if (!added) ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return errs;
}

std::vector<std::string> sorted_lines(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  std::sort(out.begin(), out.end());
  return out;
}

class DevicesV1 : public hull::runtime::testing::HostCgroupV1 {
 protected:
  DevicesV1() : HostCgroupV1("/hulltest-dev-") {}
  void SetUp() override {
    HostCgroupV1::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    devices_ = solo_dir("devices");
    if (devices_.empty()) GTEST_SKIP() << "no devices hierarchy of its own here";
  }
  std::string devices_;
};

// What the kernel lists after our writes is what the model says it holds. False when the
// rules were (rightly) refused.
bool expect_kernel_is_model(Cgroup& cg, const std::string& dir,
                            const std::vector<DeviceRule>& rules) {
  auto model = device_policy(with_default_devices(rules));
  auto applied = cg.apply(devices(rules));
  if (!model) {
    EXPECT_FALSE(applied);
    if (!applied) {
      EXPECT_EQ(applied.error().message(), "cgroup: " + model.error().message());
    }
    return false;
  }
  EXPECT_TRUE(applied) << applied.error().message();
  std::vector<std::string> want = device_list_lines(*model);
  std::sort(want.begin(), want.end());
  EXPECT_EQ(sorted_lines(slurp_file(dir + "/devices.list")), want);
  return true;
}

TEST_F(DevicesV1, TheKernelHoldsWhatTheModelSays) {
  expect_kernel_is_model(*cg_, devices_, {kDenyAll});
  expect_kernel_is_model(*cg_, devices_, {kDenyAll, deny("c", 1, 5, "rwm")});
  expect_kernel_is_model(*cg_, devices_, {allow("a", kAny, kAny, "rwm")});
  expect_kernel_is_model(*cg_, devices_,
                         {kDenyAll, allow("b", 7, kAny, "r"), deny("c", 5, 0, "w"),
                          allow("c", 4, 1, ""), deny("c", 1, 9, "m")});
  std::mt19937 rng(7);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const std::optional<int64_t> numbers[] = {kAny, 1, 3, 5, 136};
  const char* types[] = {"c", "c", "b", "c", "b", "a"};
  int compared = 0;
  for (int round = 0; round < 40; ++round) {
    std::vector<DeviceRule> rules;
    for (int i = 1 + pick(8); i > 0; --i) {
      rules.push_back(DeviceRule{pick(2) == 0, types[pick(6)], numbers[pick(5)], numbers[pick(5)],
                                 device_access_letters(static_cast<uint8_t>(1 + pick(7)))});
    }
    compared += expect_kernel_is_model(*cg_, devices_, rules);
  }
  EXPECT_GT(compared, 20);
}

TEST_F(DevicesV1, ADeniedDeviceIsEpermInTheCgroup) {
  auto applied = cg_->apply(devices({kDenyAll, deny("c", 1, 5, "rwm")}));
  ASSERT_TRUE(applied) << applied.error().message();
  EXPECT_EQ(
      opens_in(*cg_, {{"/dev/zero", O_RDONLY}, {"/dev/null", O_RDWR}, {"/dev/full", O_WRONLY}}),
      (std::vector<int>{EPERM, 0, 0}));
  // An update that lets it through again.
  ASSERT_TRUE(cg_->apply(devices({kDenyAll})));
  EXPECT_EQ(opens_in(*cg_, {{"/dev/zero", O_RDONLY}}), (std::vector<int>{0}));
}

TEST_F(DevicesV1, ARuleTheKernelRefusesNamesFileAndValue) {
  // Below a parent that allows nothing, every allow rule is refused.
  ASSERT_TRUE(cg_->destroy());
  ASSERT_EQ(::mkdir(devices_.c_str(), 0755), 0);
  std::ofstream(devices_ + "/devices.deny") << "a";
  cg_ = make_cgroup(CgroupLayout::kHybrid, name_ + "/inner", "unused", "/sys/fs/cgroup");
  ASSERT_TRUE(cg_->create());
  auto applied = cg_->apply(devices({kDenyAll}));
  ASSERT_FALSE(applied);
  EXPECT_EQ(applied.error().message(), "cgroup: write " + devices_ +
                                           "/inner/devices.allow (c *:* m): Operation not "
                                           "permitted (EPERM)");
}

TEST_F(DevicesV1, AHoleInAWiderRuleIsRefusedBeforeAnyWrite) {
  ASSERT_TRUE(cg_->apply(devices({kDenyAll, deny("c", 1, 5, "rwm")})));
  const std::string before = slurp_file(devices_ + "/devices.list");
  auto applied =
      cg_->apply(devices({kDenyAll, allow("c", kAny, kAny, "rw"), deny("c", 1, 3, "w")}));
  ASSERT_FALSE(applied);
  EXPECT_EQ(applied.error().message().rfind("cgroup: linux.resources.devices: deny c 1:3 w", 0), 0u)
      << applied.error().message();
  EXPECT_EQ(slurp_file(devices_ + "/devices.list"), before);
}

// ---- cgroup v2: the eBPF filter -----------------------------------------------------------

class DevicesV2 : public testing::PrivateCgroup2 {};

TEST_F(DevicesV2, AFilterDeniesReplacesAndDetaches) {
  run([&](const std::string& mnt, std::string& report) {
    auto check = [&](bool ok, const std::string& what) {
      if (!ok) report += what + "\n";
    };
    auto cg = testing::created_v2_cgroup(mnt, name_, report);
    if (!cg) return 1;
    const int fd = cg->clone_fd();

    auto applied = cg->apply(devices({kDenyAll, deny("c", 1, 3, "rwm")}));
    check(applied.has_value(), applied ? "" : "apply: " + applied.error().message());
    auto first = attached_device_programs(fd);
    check(first && first->size() == 1, "one program after create");
    auto errs = opens_in(*cg, {{"/dev/null", O_WRONLY}, {"/dev/zero", O_RDONLY}});
    check(errs == std::vector<int>({EPERM, 0}),
          "opens: /dev/null " + std::to_string(errs[0]) + ", /dev/zero " + std::to_string(errs[1]));

    // An update attaches the new program and detaches the old one.
    applied = cg->apply(devices({kDenyAll}));
    check(applied.has_value(), applied ? "" : "update: " + applied.error().message());
    auto second = attached_device_programs(fd);
    check(second && second->size() == 1 && first && !first->empty() &&
              second->front() != first->front(),
          "the update's program did not replace the first");
    check(opens_in(*cg, {{"/dev/null", O_WRONLY}}) == std::vector<int>{0},
          "/dev/null after update");

    // Rules that cannot take effect leave the filter as it was.
    applied = cg->apply(devices({kDenyAll, allow("c", kAny, kAny, "rw"), deny("c", 1, 3, "w")}));
    check(!applied, "a hole in a wider rule was accepted");
    auto third = attached_device_programs(fd);
    check(third && second && *third == *second, "a refused update changed the filter");

    // Clean up: detach, then rmdir (run() unmounts).
    if (second && !second->empty()) {
      auto detached = detach_device_program(fd, second->front());
      check(detached.has_value(), detached ? "" : "detach: " + detached.error().message());
    }
    auto none = attached_device_programs(fd);
    check(none && none->empty(), "a program is left attached");
    auto destroyed = cg->destroy();
    check(destroyed.has_value(), destroyed ? "" : "destroy: " + destroyed.error().message());
    return report.empty() ? 0 : 1;
  });
}

}  // namespace
}  // namespace hull::runtime
