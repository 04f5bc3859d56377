// parse_spec: the document's sections, type errors named by JSON path, malformed JSON with
// its position, and load_bundle against a temporary bundle.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "oci/default_spec.h"
#include "oci/spec.h"

namespace hull::oci {
namespace {

using nlohmann::json;

json minimal() {
  return {{"ociVersion", "1.2.0"},
          {"root", {{"path", "rootfs"}}},
          {"process", {{"args", {"sh"}}, {"cwd", "/"}}}};
}

// The error message parse_spec gives for `j`, or "" (and a test failure) if it parses.
std::string error_of_text(const std::string& text) {
  auto r = parse_spec(text);
  EXPECT_FALSE(r.has_value()) << "parsed: " << text;
  return r.has_value() ? "" : r.error().message();
}
std::string error_of(const json& j) { return error_of_text(j.dump()); }

// minimal() with the value at a JSON pointer replaced.
json with(const std::string& pointer, json value) {
  json j = minimal();
  j[json::json_pointer(pointer)] = std::move(value);
  return j;
}

TEST(SpecParse, MinimalConfigGetsDefaults) {
  auto r = parse_spec(minimal().dump());
  ASSERT_TRUE(r.has_value()) << r.error().message();
  const Spec& s = *r;
  EXPECT_EQ(s.oci_version, "1.2.0");
  EXPECT_EQ(s.root.path, "rootfs");
  EXPECT_FALSE(s.root.readonly);
  EXPECT_TRUE(s.has_process);
  EXPECT_FALSE(s.process.terminal);
  EXPECT_EQ(s.process.user.uid, 0u);
  EXPECT_EQ(s.process.cwd, "/");
  EXPECT_EQ(s.process.args, std::vector<std::string>{"sh"});
  EXPECT_FALSE(s.process.capabilities.has_value());
  EXPECT_FALSE(s.process.oom_score_adj.has_value());
  EXPECT_TRUE(s.mounts.empty());
  EXPECT_TRUE(s.hooks.empty());
  EXPECT_TRUE(s.linux.namespaces.empty());
  EXPECT_FALSE(s.linux.resources.has_value());
  EXPECT_FALSE(s.linux.seccomp.has_value());
}

TEST(SpecParse, DefaultSpecParses) {
  auto r = parse_spec(default_spec(false, 0, 0).dump());
  ASSERT_TRUE(r.has_value()) << r.error().message();
  const Spec& s = *r;
  EXPECT_EQ(s.oci_version, kSpecVersion);
  EXPECT_TRUE(s.process.terminal);
  EXPECT_TRUE(s.process.no_new_privileges);
  ASSERT_TRUE(s.process.capabilities.has_value());
  EXPECT_EQ(s.process.capabilities->bounding, (std::vector<int>{29, 5, 10}));
  EXPECT_EQ(s.process.capabilities->permitted, (std::vector<int>{29, 5, 10}));
  EXPECT_TRUE(s.process.capabilities->ambient.empty());
  ASSERT_EQ(s.process.rlimits.size(), 1u);
  EXPECT_EQ(s.process.rlimits[0].resource, RLIMIT_NOFILE);
  EXPECT_EQ(s.process.rlimits[0].soft, 1024u);
  EXPECT_EQ(s.hostname, "hull");
  EXPECT_TRUE(s.root.readonly);
  ASSERT_EQ(s.mounts.size(), 7u);
  EXPECT_EQ(s.mounts[2].destination, "/dev/pts");
  EXPECT_EQ(s.mounts[2].options.back(), "gid=5");
  EXPECT_EQ(s.mounts[6].type, "cgroup");
  ASSERT_EQ(s.linux.namespaces.size(), 6u);
  EXPECT_NE(s.linux.find(NamespaceType::kNetwork), nullptr);
  EXPECT_NE(s.linux.find(NamespaceType::kCgroup), nullptr);
  EXPECT_EQ(s.linux.find(NamespaceType::kUser), nullptr);
  ASSERT_TRUE(s.linux.resources.has_value());
  ASSERT_EQ(s.linux.resources->devices.size(), 1u);
  EXPECT_FALSE(s.linux.resources->devices[0].allow);
  EXPECT_EQ(s.linux.resources->devices[0].access, "rwm");
  EXPECT_FALSE(s.linux.masked_paths.empty());
  EXPECT_EQ(s.linux.readonly_paths.front(), "/proc/bus");
}

TEST(SpecParse, RootlessDefaultSpecParses) {
  auto r = parse_spec(default_spec(true, 1000, 1001).dump());
  ASSERT_TRUE(r.has_value()) << r.error().message();
  const Spec& s = *r;
  const Namespace* user = s.linux.find(NamespaceType::kUser);
  ASSERT_NE(user, nullptr);
  EXPECT_TRUE(user->path.empty());
  EXPECT_EQ(s.linux.find(NamespaceType::kNetwork), nullptr);
  EXPECT_EQ(s.linux.find(NamespaceType::kCgroup), nullptr);
  ASSERT_EQ(s.linux.uid_mappings.size(), 1u);
  EXPECT_EQ(s.linux.uid_mappings[0].container_id, 0u);
  EXPECT_EQ(s.linux.uid_mappings[0].host_id, 1000u);
  EXPECT_EQ(s.linux.uid_mappings[0].size, 1u);
  ASSERT_EQ(s.linux.gid_mappings.size(), 1u);
  EXPECT_EQ(s.linux.gid_mappings[0].host_id, 1001u);
  EXPECT_FALSE(s.linux.resources.has_value());
  ASSERT_EQ(s.mounts.size(), 6u);
  EXPECT_EQ(s.mounts[5].destination, "/sys");
  EXPECT_EQ(s.mounts[5].source, "/sys");
  EXPECT_EQ(s.mounts[5].options.front(), "rbind");
  for (const auto& m : s.mounts) {
    for (const auto& o : m.options) EXPECT_NE(o.rfind("gid=", 0), 0u) << m.destination;
  }
}

TEST(SpecParse, ProcessFields) {
  json j = minimal();
  j["process"] = {
      {"terminal", true},
      {"consoleSize", {{"height", 24}, {"width", 80}}},
      {"user", {{"uid", 1000}, {"gid", 100}, {"umask", 18}, {"additionalGids", {5, 6}}}},
      {"args", {"/bin/echo", "hi"}},
      {"env", {"A=1", "B="}},
      {"cwd", "/tmp"},
      {"capabilities", {{"bounding", {"CAP_SYS_ADMIN", "CAP_CHOWN"}}, {"ambient", json::array()}}},
      {"rlimits", {{{"type", "RLIMIT_NPROC"}, {"soft", 10}, {"hard", 20}}}},
      {"noNewPrivileges", true},
      {"oomScoreAdj", -500},
      {"apparmorProfile", "p"},
      {"selinuxLabel", "l"},
  };
  auto r = parse_spec(j.dump());
  ASSERT_TRUE(r.has_value()) << r.error().message();
  const Process& p = r->process;
  EXPECT_TRUE(p.terminal);
  ASSERT_TRUE(p.console_size.has_value());
  EXPECT_EQ(p.console_size->height, 24u);
  EXPECT_EQ(p.console_size->width, 80u);
  EXPECT_EQ(p.user.uid, 1000u);
  EXPECT_EQ(p.user.gid, 100u);
  EXPECT_EQ(p.user.umask, 18u);
  EXPECT_EQ(p.user.additional_gids, (std::vector<uint32_t>{5, 6}));
  EXPECT_EQ(p.args.size(), 2u);
  EXPECT_EQ(p.env, (std::vector<std::string>{"A=1", "B="}));
  EXPECT_EQ(p.cwd, "/tmp");
  EXPECT_EQ(p.capabilities->bounding, (std::vector<int>{21, 0}));
  EXPECT_EQ(p.rlimits[0].resource, RLIMIT_NPROC);
  EXPECT_EQ(p.rlimits[0].type, "RLIMIT_NPROC");
  EXPECT_EQ(p.rlimits[0].hard, 20u);
  EXPECT_TRUE(p.no_new_privileges);
  EXPECT_EQ(p.oom_score_adj, -500);
  EXPECT_EQ(p.apparmor_profile, "p");
  EXPECT_EQ(p.selinux_label, "l");
}

TEST(SpecParse, TypeErrorsNameThePath) {
  EXPECT_EQ(error_of(with("/process/user", {{"uid", "x"}, {"gid", 0}})),
            "process.user.uid: expected a number");
  EXPECT_EQ(error_of(with("/process/user", {{"uid", -1}, {"gid", 0}})),
            "process.user.uid: expected an unsigned 32-bit number");
  EXPECT_EQ(error_of(with("/process/user", {{"uid", 4294967296}, {"gid", 0}})),
            "process.user.uid: expected an unsigned 32-bit number");
  EXPECT_EQ(error_of(with("/process/user", {{"uid", 1.5}, {"gid", 0}})),
            "process.user.uid: expected an unsigned 32-bit number");
  EXPECT_EQ(error_of(with("/process/user", {{"uid", 0}})), "process.user.gid: missing");
  EXPECT_EQ(error_of(with("/process", "sh")), "process: expected an object");
  EXPECT_EQ(error_of(with("/process/terminal", 1)), "process.terminal: expected a boolean");
  EXPECT_EQ(error_of(with("/process/args", {"sh", 1})), "process.args[1]: expected a string");
  EXPECT_EQ(error_of(with("/process/args", "sh")), "process.args: expected an array");
  EXPECT_EQ(error_of(with("/hostname", false)), "hostname: expected a string");
  EXPECT_EQ(error_of(with("/process/oomScoreAdj", 1e3)),
            "process.oomScoreAdj: expected a signed 32-bit number");
  EXPECT_EQ(error_of(with("/linux/resources/memory/limit", 9223372036854775808ull)),
            "linux.resources.memory.limit: expected a signed 64-bit number");
  EXPECT_EQ(error_of(with("/annotations", {{"io.example.key", 1}})),
            "annotations[\"io.example.key\"]: expected a string");
}

TEST(SpecParse, RequiredFields) {
  json j = minimal();
  j.erase("process");
  EXPECT_EQ(error_of(j), "process: missing");
  j = minimal();
  j.erase("ociVersion");
  EXPECT_EQ(error_of(j), "ociVersion: missing");
  EXPECT_EQ(error_of(with("/ociVersion", "")), "ociVersion: must not be empty");
  EXPECT_EQ(error_of(with("/root", json::object())), "root.path: missing");
  EXPECT_EQ(error_of(with("/root/path", "")), "root.path: must not be empty");
  EXPECT_EQ(error_of(with("/process/args", json::array())), "process.args: must not be empty");
  j = minimal();
  j["process"].erase("args");
  EXPECT_EQ(error_of(j), "process.args: missing");
}

TEST(SpecParse, ProcessValues) {
  EXPECT_EQ(error_of(with("/process/env", {"A=1", "FOO"})),
            "process.env[1]: expected NAME=VALUE, got \"FOO\"");
  EXPECT_EQ(error_of(with("/process/cwd", "tmp")), "process.cwd: must be an absolute path");
  EXPECT_EQ(error_of(with("/process/capabilities/bounding", {"CAP_KILL", "CAP_CHOWN", "CAP_FOO"})),
            "process.capabilities.bounding[2]: unknown capability \"CAP_FOO\"");
  EXPECT_EQ(
      error_of(with("/process/rlimits", {{{"type", "RLIMIT_FOO"}, {"soft", 1}, {"hard", 1}}})),
      "process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\"");
  EXPECT_EQ(error_of(with("/process/rlimits",
                          {{{"type", "RLIMIT_NOFILE"}, {"soft", 2048}, {"hard", 1024}}})),
            "process.rlimits[0]: soft limit 2048 is above hard limit 1024");
  json twice = {{"type", "RLIMIT_NOFILE"}, {"soft", 1}, {"hard", 1}};
  EXPECT_EQ(error_of(with("/process/rlimits", {twice, twice})),
            "process.rlimits[1].type: duplicate rlimit \"RLIMIT_NOFILE\"");
  EXPECT_EQ(error_of(with("/process/rlimits", {{{"type", "RLIMIT_CORE"}, {"hard", 1}}})),
            "process.rlimits[0].soft: missing");
  EXPECT_EQ(error_of(with("/process/oomScoreAdj", 1001)),
            "process.oomScoreAdj: must be between -1000 and 1000");
}

TEST(SpecParse, NullAndUnknownFieldsAreIgnored) {
  json j = minimal();
  j["process"]["user"] = nullptr;
  j["mounts"] = nullptr;
  j["somethingNew"] = {{"x", 1}};
  j["process"]["ioPriority"] = {{"class", "IOPRIO_CLASS_IDLE"}};
  j["linux"] = {{"personality", {{"domain", "LINUX"}}}};
  auto r = parse_spec(j.dump());
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_TRUE(r->mounts.empty());
}

TEST(SpecParse, Mounts) {
  json j = minimal();
  j["mounts"] = {
      {{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
      {{"destination", "/data"}, {"source", "/srv"}, {"options", {"rbind", "ro"}}},
  };
  auto r = parse_spec(j.dump());
  ASSERT_TRUE(r.has_value()) << r.error().message();
  ASSERT_EQ(r->mounts.size(), 2u);
  EXPECT_EQ(r->mounts[0].type, "proc");
  EXPECT_TRUE(r->mounts[1].type.empty());
  EXPECT_EQ(r->mounts[1].options, (std::vector<std::string>{"rbind", "ro"}));

  j["mounts"].push_back({{"destination", "data"}, {"type", "tmpfs"}});
  EXPECT_EQ(error_of(j), "mounts[2].destination: must be an absolute path");
  j["mounts"][2] = {{"type", "tmpfs"}};
  EXPECT_EQ(error_of(j), "mounts[2].destination: missing");
  j["mounts"][2] = {{"destination", "/x"},
                    {"uidMappings", {{{"containerID", 0}, {"hostID", 1}, {"size", 1}}}}};
  EXPECT_EQ(error_of(j), "mounts[2].uidMappings: idmapped mounts are not supported");
}

TEST(SpecParse, Hooks) {
  json hook = {{"path", "/bin/hook"}, {"args", {"hook", "a"}}, {"env", {"X=1"}}, {"timeout", 5}};
  auto r =
      parse_spec(with("/hooks", {{"createRuntime", {hook}}, {"poststop", {hook, hook}}}).dump());
  ASSERT_TRUE(r.has_value()) << r.error().message();
  ASSERT_EQ(r->hooks.create_runtime.size(), 1u);
  EXPECT_EQ(r->hooks.create_runtime[0].path, "/bin/hook");
  EXPECT_EQ(r->hooks.create_runtime[0].args, (std::vector<std::string>{"hook", "a"}));
  EXPECT_EQ(r->hooks.create_runtime[0].timeout, 5);
  EXPECT_EQ(r->hooks.poststop.size(), 2u);
  EXPECT_FALSE(r->hooks.empty());

  EXPECT_EQ(error_of(with("/hooks/prestart", {{{"args", {"x"}}}})),
            "hooks.prestart[0].path: missing");
  EXPECT_EQ(error_of(with("/hooks/poststart", {hook, {{"path", "hook"}}})),
            "hooks.poststart[1].path: must be an absolute path");
  EXPECT_EQ(error_of(with("/hooks/startContainer", {{{"path", "/h"}, {"timeout", 0}}})),
            "hooks.startContainer[0].timeout: must be greater than zero");
}

TEST(SpecParse, InvalidJsonGivesPosition) {
  EXPECT_EQ(error_of_text("{\n  \"ociVersion\": \"1.2.0\",\n  x\n}"),
            "config.json: invalid JSON at line 3, column 3: syntax error while parsing object "
            "key - invalid literal; last read: '\"1.2.0\",<U+000A>  x'; expected string literal");
  EXPECT_EQ(error_of_text(""),
            "config.json: invalid JSON at line 1, column 1: syntax error while parsing value - "
            "unexpected end of input; expected '[', '{', or a literal");
  std::string e = error_of_text("{\n\n   }}");
  EXPECT_EQ(e.rfind("config.json: invalid JSON at line 3, column 5: ", 0), 0u) << e;
  EXPECT_EQ(error_of_text("{\"ociVersion\": 1e999}"),
            "config.json: invalid JSON: number overflow parsing '1e999'");
  EXPECT_EQ(error_of_text("[]"), "config.json: expected a JSON object");
}

// A bundle directory under the test's temp dir, removed at the end.
class BundleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hull-bundle-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write_config(const json& j) { std::ofstream(dir_ + "/config.json") << j.dump(); }
  std::string dir_;
};

TEST_F(BundleTest, MissingConfigSaysHowToMakeOne) {
  auto r = load_bundle(dir_);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message(), dir_ +
                                     "/config.json: No such file or directory (ENOENT) (run "
                                     "`hull-oci spec` to write one)");
}

TEST_F(BundleTest, RootPathIsMadeAbsoluteAndChecked) {
  json j = minimal();
  j["root"]["path"] = "./rootfs/";
  write_config(j);
  auto r = load_bundle(dir_);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message(),
            "root.path: " + dir_ + "/rootfs: No such file or directory (ENOENT)");

  std::filesystem::create_directory(dir_ + "/rootfs");
  r = load_bundle(dir_ + "/");
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(r->root.path, dir_ + "/rootfs");
}

TEST_F(BundleTest, AbsoluteRootAndFileRoot) {
  std::filesystem::create_directory(dir_ + "/elsewhere");
  std::ofstream(dir_ + "/file") << "x";
  json j = minimal();
  j["root"]["path"] = dir_ + "/elsewhere/../elsewhere";
  write_config(j);
  auto r = load_bundle(dir_);
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(r->root.path, dir_ + "/elsewhere");

  j["root"]["path"] = "file";
  write_config(j);
  r = load_bundle(dir_);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message(), "root.path: " + dir_ + "/file: Not a directory (ENOTDIR)");
}

TEST_F(BundleTest, ParseErrorsPassThrough) {
  write_config(with("/process/user", {{"uid", "x"}, {"gid", 0}}));
  auto r = load_bundle(dir_);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message(), "process.user.uid: expected a number");
}

}  // namespace
}  // namespace hull::oci
