// For system tests of the cgroup v1 code on this machine's own hierarchies: a fixture that
// makes a cgroup of the test's own (a random name under each v1 hierarchy) with the v1
// implementation, and removes it again in TearDown. Needs root and a v1 or hybrid layout;
// skips otherwise.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "private_cgroup2.h"
#include "runtime/cgroup.h"
#include "runtime/cgroup_internal.h"

namespace hull::runtime::testing {

class HostCgroupV1 : public ::testing::Test {
 protected:
  explicit HostCgroupV1(std::string prefix) : prefix_(std::move(prefix)) {}

  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    if (detect_cgroup_layout() == CgroupLayout::kUnified) GTEST_SKIP() << "no cgroup v1 here";
    std::random_device rd;
    name_ = prefix_ + std::to_string(::getpid()) + "-" + std::to_string(rd() % 1000000);
    const auto mounts =
        cgroup_internal::parse_cgroup_mounts(slurp_file("/proc/self/mountinfo"), "/sys/fs/cgroup");
    for (const auto& m : mounts) {
      if (m.v2) continue;
      dirs_.push_back(m.mount_point + name_);
      for (const auto& c : m.controllers) dir_[c] = m.mount_point + name_;
      if (m.controllers.size() == 1) solo_[m.controllers[0]] = m.mount_point + name_;
    }
    cg_ = make_cgroup(CgroupLayout::kHybrid, name_, "unused", "/sys/fs/cgroup");
    auto created = cg_->create();
    ASSERT_TRUE(created) << created.error().message();
  }

  void TearDown() override {
    if (cg_) (void)cg_->destroy();
    for (const auto& d : dirs_) {
      ::rmdir((d + "/inner").c_str());  // a sub-cgroup a test may make
      ::rmdir(d.c_str());
    }
  }

  // The test cgroup's directory of a controller, "" when it is not mounted.
  std::string dir(const std::string& controller) const {
    auto it = dir_.find(controller);
    return it == dir_.end() ? "" : it->second;
  }
  // The same, only when the controller has a hierarchy of its own.
  std::string solo_dir(const std::string& controller) const {
    auto it = solo_.find(controller);
    return it == solo_.end() ? "" : it->second;
  }
  bool has(const std::string& controller, const std::string& file) const {
    return !dir(controller).empty() && ::access((dir(controller) + "/" + file).c_str(), F_OK) == 0;
  }

  std::string name_;
  std::vector<std::string> dirs_;
  std::unique_ptr<Cgroup> cg_;

 private:
  std::string prefix_;
  std::map<std::string, std::string> dir_, solo_;
};

}  // namespace hull::runtime::testing
