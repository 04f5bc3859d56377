// The state and features documents.
#include "oci/state.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "oci/spec.h"

namespace hull::oci {
namespace {

TEST(State, StatusNames) {
  EXPECT_STREQ(status_name(Status::kCreating), "creating");
  EXPECT_STREQ(status_name(Status::kCreated), "created");
  EXPECT_STREQ(status_name(Status::kRunning), "running");
  EXPECT_STREQ(status_name(Status::kPaused), "paused");
  EXPECT_STREQ(status_name(Status::kStopped), "stopped");
}

TEST(State, Json) {
  State s;
  s.id = "web";
  s.status = Status::kRunning;
  s.pid = 4242;
  s.bundle = "/srv/bundle";
  auto j = state_json(s);
  EXPECT_EQ(j, nlohmann::json({{"ociVersion", kSpecVersion},
                               {"id", "web"},
                               {"status", "running"},
                               {"pid", 4242},
                               {"bundle", "/srv/bundle"}}));
  s.annotations["org.example"] = "x";
  s.status = Status::kStopped;
  s.pid = 0;
  j = state_json(s);
  EXPECT_EQ(j["annotations"], nlohmann::json({{"org.example", "x"}}));
  EXPECT_EQ(j["status"], "stopped");
  ASSERT_TRUE(j.contains("pid"));  // kept at 0, as runc prints it
  EXPECT_EQ(j["pid"], 0);
}

bool has(const nlohmann::json& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

TEST(Features, Document) {
  auto f = features_json();
  EXPECT_EQ(f["ociVersionMin"], "1.0.0");
  EXPECT_EQ(f["ociVersionMax"], kSpecVersion);
  EXPECT_EQ(f["hooks"], nlohmann::json({"prestart", "createRuntime", "createContainer",
                                        "startContainer", "poststart", "poststop"}));
  EXPECT_TRUE(has(f["mountOptions"], "rbind"));
  EXPECT_TRUE(has(f["mountOptions"], "nosuid"));
  EXPECT_FALSE(has(f["mountOptions"], "mode=755"));
  const auto& l = f["linux"];
  EXPECT_EQ(l["namespaces"],
            nlohmann::json({"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"}));
  EXPECT_EQ(l["capabilities"].size(), 41u);
  EXPECT_EQ(l["capabilities"][0], "CAP_CHOWN");
  EXPECT_EQ(
      l["cgroup"],
      nlohmann::json({{"v1", true}, {"v2", true}, {"systemd", false}, {"systemdUser", false}}));
  EXPECT_EQ(l["seccomp"]["enabled"], true);
  EXPECT_EQ(l["seccomp"]["actions"].size(), 9u);
  EXPECT_TRUE(has(l["seccomp"]["actions"], "SCMP_ACT_NOTIFY"));
  EXPECT_EQ(l["seccomp"]["operators"].size(), 7u);
  EXPECT_TRUE(has(l["seccomp"]["operators"], "SCMP_CMP_MASKED_EQ"));
  EXPECT_EQ(l["seccomp"]["archs"], nlohmann::json({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86",
                                                   "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64"}));
  EXPECT_EQ(l["apparmor"]["enabled"], false);
  EXPECT_EQ(l["selinux"]["enabled"], false);
  EXPECT_EQ(l["intelRdt"]["enabled"], false);
  EXPECT_EQ(l["mountExtensions"]["idmap"]["enabled"], false);
  EXPECT_EQ(f["annotations"]["io.github.hull.version"], HULL_VERSION);
}

}  // namespace
}  // namespace hull::oci
