#include "runtime/hooks.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "base/sys.h"

namespace hull::runtime {
namespace {

const std::string kState = R"({"ociVersion":"1.2.0","id":"web","status":"creating","pid":42})";

class HookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hulltest-hooks-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty()) (void)base::sys::remove_all(dir_);
  }
  // Writes an executable shell script and returns its path.
  std::string script(const std::string& name, const std::string& body) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    ::chmod(path.c_str(), 0755);
    return path;
  }
  std::string read(const std::string& name) {
    std::ifstream in(dir_ + "/" + name);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  bool exists(const std::string& name) { return ::access((dir_ + "/" + name).c_str(), F_OK) == 0; }
  static oci::Hook hook(std::string path, std::vector<std::string> args = {}) {
    oci::Hook h;
    h.path = std::move(path);
    h.args = std::move(args);
    return h;
  }

  std::string dir_;
};

TEST_F(HookTest, StateArrivesOnStdin) {
  auto h = hook(script("save", "cat > " + dir_ + "/state"));
  auto r = run_hooks({h}, "createRuntime", kState);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(read("state"), kState);
}

TEST_F(HookTest, ArgsAndEnvAreTheHooks) {
  auto h = hook(script("args", "echo \"$1 $FOO\" > " + dir_ + "/out"), {"args", "one"});
  h.env = {"FOO=bar"};
  ASSERT_TRUE(run_hooks({h}, "poststart", kState));
  EXPECT_EQ(read("out"), "one bar\n");
}

TEST_F(HookTest, LargeStateAndAHookThatDoesNotReadIt) {
  std::string big(1 << 20, 'x');
  auto reader = hook(script("reader", "wc -c > " + dir_ + "/count"));
  auto ignorer = hook(script("ignorer", "exit 0"));
  auto r = run_hooks({ignorer, reader, ignorer}, "createRuntime", big);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(std::stoul(read("count")), big.size());
}

TEST_F(HookTest, NonZeroExitNamesTheStatus) {
  std::string path = script("fail", "exit 3");
  auto r = run_hooks({hook(path)}, "createRuntime", kState);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "createRuntime hook 0 (" + path + "): exited with status 3");
}

TEST_F(HookTest, KilledBySignal) {
  std::string path = script("die", "kill -KILL $$");
  auto r = run_hooks({hook(path)}, "poststop", kState);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "poststop hook 0 (" + path + "): killed by signal SIGKILL");
}

TEST_F(HookTest, TimeoutKillsTheHook) {
  auto h = hook("/bin/sleep", {"sleep", "30"});
  h.timeout = 1;
  auto start = std::chrono::steady_clock::now();
  auto r = run_hooks({h}, "createRuntime", kState);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "createRuntime hook 0 (/bin/sleep): timed out after 1 s");
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST_F(HookTest, MissingBinaryIsAnExecError) {
  auto r = run_hooks({hook(dir_ + "/missing")}, "createContainer", kState);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "createContainer hook 0 (" + dir_ +
                                     "/missing): exec: No such file or directory (ENOENT)");
  EXPECT_EQ(r.error().code(), ENOENT);
}

TEST_F(HookTest, RunInOrder) {
  auto one = hook(script("one", "printf 1 >> " + dir_ + "/order"));
  auto two = hook(script("two", "printf 2 >> " + dir_ + "/order"));
  ASSERT_TRUE(run_hooks({one, two, one}, "prestart", kState));
  EXPECT_EQ(read("order"), "121");
}

TEST_F(HookTest, StopAtTheFirstFailure) {
  auto fail = hook(script("fail", "exit 1"));
  auto mark = hook(script("mark", "touch " + dir_ + "/ran"));
  auto r = run_hooks({fail, mark}, "createRuntime", kState);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "createRuntime hook 0 (" + fail.path + "): exited with status 1");
  EXPECT_FALSE(exists("ran"));
  r = run_hooks({mark, fail}, "createRuntime", kState);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(), "createRuntime hook 1 (" + fail.path + "): exited with status 1");
  EXPECT_TRUE(exists("ran"));
}

TEST_F(HookTest, NoHooksIsFine) { EXPECT_TRUE(run_hooks({}, "poststop", kState)); }

}  // namespace
}  // namespace hull::runtime
