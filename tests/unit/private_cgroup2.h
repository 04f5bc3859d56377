// For system tests of the cgroup v2 code: a fixture whose run() forks a child that enters a
// mount namespace of its own, mounts cgroup2 on a temporary directory and runs the checks
// there, reporting failed checks as lines on a pipe. The mount shows the host's one cgroup2
// hierarchy, so TearDown removes the test's cgroup and switches off the controllers that
// create() switched on in the root. Needs root; skips otherwise.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <string>

#include "base/sys.h"
#include "runtime/cgroup.h"
#include "runtime/cgroup_internal.h"

namespace hull::runtime::testing {

inline std::string slurp_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class PrivateCgroup2 : public ::testing::Test {
 protected:
  // The child's exit code for "skip"; the report then says why.
  static constexpr int kSkip = 77;

  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    char tmpl[] = "/tmp/hulltest-pcg2-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    mnt_ = tmpl;
    std::random_device rd;
    name_ = "/hulltest-pcg2-" + std::to_string(::getpid()) + "-" + std::to_string(rd() % 1000000);
    auto mounts = cgroup_internal::parse_cgroup_mounts(slurp_file("/proc/self/mountinfo"), "/");
    for (const auto& m : mounts) {
      if (m.v2 && m.root == "/" && host_.empty()) host_ = m.mount_point;
    }
    if (!host_.empty()) before_ = " " + words(slurp_file(host_ + "/cgroup.subtree_control")) + " ";
  }

  void TearDown() override {
    if (!host_.empty()) {
      ::rmdir((host_ + name_).c_str());
      std::istringstream now(slurp_file(host_ + "/cgroup.subtree_control"));
      for (std::string c; now >> c;) {
        if (before_.find(" " + c + " ") == std::string::npos) {
          std::ofstream(host_ + "/cgroup.subtree_control") << "-" << c;
        }
      }
    }
    if (!mnt_.empty()) ::rmdir(mnt_.c_str());
  }

  // Runs `checks(mnt, report)` in the child; it returns 0, 1 or kSkip. Fails the test on
  // any report line, skips it on kSkip.
  void run(const std::function<int(const std::string& mnt, std::string& report)>& checks) {
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      std::string report;
      int rc = child(checks, report);
      (void)!::write(fds[1], report.data(), report.size());
      ::_exit(rc);
    }
    ::close(fds[1]);
    auto report = base::sys::read_fd(fds[0]);
    ::close(fds[0]);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    if (WEXITSTATUS(status) == kSkip) GTEST_SKIP() << (report ? *report : "");
    EXPECT_EQ(WEXITSTATUS(status), 0);
    EXPECT_EQ(report ? *report : "read failed", "");
  }

  static std::string words(const std::string& s) {
    std::istringstream in(s);
    std::string out;
    for (std::string w; in >> w;) out += (out.empty() ? "" : " ") + w;
    return out;
  }

  std::string mnt_, name_, host_, before_;

 private:
  int child(const std::function<int(const std::string&, std::string&)>& checks,
            std::string& report) {
    if (::unshare(CLONE_NEWNS) != 0) {
      report = "cannot unshare a mount namespace";
      return kSkip;
    }
    if (::mount(nullptr, "/", nullptr, MS_PRIVATE | MS_REC, nullptr) != 0) return 1;
    if (::mount("cgroup2", mnt_.c_str(), "cgroup2", 0, nullptr) != 0) {
      report = "cannot mount cgroup2";
      return kSkip;
    }
    int rc = checks(mnt_, report);
    ::rmdir((mnt_ + name_).c_str());
    ::umount2(mnt_.c_str(), MNT_DETACH);
    return rc;
  }
};

// In the child: the v2 cgroup `name` under the private mount `mnt`, created; nullptr after a
// report line when it cannot be.
inline std::unique_ptr<Cgroup> created_v2_cgroup(const std::string& mnt, const std::string& name,
                                                 std::string& report) {
  auto cg = make_cgroup(CgroupLayout::kUnified, name, "unused", mnt);
  if (auto created = cg->create(); !created) {
    report += "create: " + created.error().message() + "\n";
    return nullptr;
  }
  return cg;
}

}  // namespace hull::runtime::testing
