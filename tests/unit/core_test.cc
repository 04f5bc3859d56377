// Unit tests of the runtime core's pure parts: errors, id maps, the state store, the channel.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "base/clock.h"
#include "base/error.h"
#include "base/sys.h"
#include "runtime/channel.h"
#include "runtime/idmap.h"
#include "runtime/state_store.h"

namespace hull {
namespace {

using base::Error;

TEST(Error, RendersContextErrnoAndHint) {
  Error e("mount proc on /proc", EPERM);
  e.context("rootfs").context("create web");
  e.hint("is /proc masked?");
  EXPECT_EQ(e.message(),
            "create web: rootfs: mount proc on /proc: Operation not permitted (EPERM) "
            "(is /proc masked?)");
}

TEST(Error, CrossesTheWireWhole) {
  Error e("open /x", ENOENT);
  e.context("rootfs").hint("make it");
  Error back = Error::deserialize(e.serialize());
  EXPECT_EQ(back.message(), e.message());
  EXPECT_EQ(back.code(), ENOENT);
}

base::Result<int> half(int x) {
  if (x % 2) return Error("odd");
  return x / 2;
}

base::Result<int> quarter(int x) {
  ASSIGN_OR_RETURN(int h, half(x));
  TRY_CTX(half(h), "second half");
  return h / 2;
}

TEST(Error, MacrosPropagate) {
  EXPECT_EQ(*quarter(8), 2);
  EXPECT_EQ(quarter(3).error().message(), "odd");
  EXPECT_EQ(quarter(6).error().message(), "second half: odd");
}

TEST(IdMap, FormatsLines) {
  std::vector<oci::IdMapping> m{{0, 100000, 65536}, {65536, 5, 1}};
  EXPECT_EQ(runtime::format_id_map(m), "0 100000 65536\n65536 5 1\n");
  EXPECT_TRUE(runtime::maps_only_self({{0, 1000, 1}}, 1000));
  EXPECT_FALSE(runtime::maps_only_self({{0, 1000, 2}}, 1000));
  EXPECT_FALSE(runtime::maps_only_self(m, 100000));
}

class StateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hull-store-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { (void)base::sys::remove_all(root_); }
  std::string root_;
};

TEST_F(StateStoreTest, CreateSaveLoadRemove) {
  runtime::StateStore store(root_ + "/state");
  auto dir = store.create("c1");
  ASSERT_TRUE(dir) << dir.error().message();
  runtime::Record r;
  r.id = "c1";
  r.pid = ::getpid();
  r.start_time = base::sys::proc_stat(::getpid())->start_time;
  r.status = oci::Status::kRunning;
  r.bundle = "/b";
  r.rootfs = "/b/rootfs";
  r.created = base::rfc3339_now();
  r.poststop.push_back({"/bin/true", {"true", "x"}, {"A=1"}, 5});
  ASSERT_TRUE(dir->save(r));
  auto back = dir->load();
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->pid, r.pid);
  EXPECT_EQ(back->poststop.size(), 1u);
  EXPECT_EQ(back->poststop[0].args[1], "x");
  EXPECT_EQ(*back->poststop[0].timeout, 5);
  EXPECT_EQ(runtime::live_status(*back), oci::Status::kRunning);
  EXPECT_EQ(store.ids(), std::vector<std::string>{"c1"});
  auto dup = store.create("c1");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().message(), "container \"c1\" already exists");
  ASSERT_TRUE(dir->remove());
  EXPECT_TRUE(store.ids().empty());
}

TEST_F(StateStoreTest, RejectsBadIds) {
  runtime::StateStore store(root_);
  for (const char* id : {"", "..", "a/b", "a b"}) {
    EXPECT_FALSE(store.create(id)) << id;
  }
  auto missing = store.open("nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message(), "container \"nope\" does not exist");
}

TEST_F(StateStoreTest, ReusedOrDeadPidIsStopped) {
  runtime::Record r;
  r.pid = ::getpid();
  r.status = oci::Status::kCreated;
  r.start_time = base::sys::proc_stat(::getpid())->start_time + 1;  // another process's
  EXPECT_EQ(runtime::live_status(r), oci::Status::kStopped);
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  // Not reaped yet: a zombie must count as stopped (PID 1 here reaps orphans slowly).
  siginfo_t si;
  ::waitid(P_PID, static_cast<id_t>(child), &si, WEXITED | WNOWAIT);
  r.pid = child;
  r.start_time = base::sys::proc_stat(child)->start_time;
  EXPECT_EQ(base::sys::proc_stat(child)->state, 'Z');
  EXPECT_EQ(runtime::live_status(r), oci::Status::kStopped);
  ::waitpid(child, nullptr, 0);
}

TEST_F(StateStoreTest, LockSerialisesCommands) {
  runtime::StateStore store(root_);
  auto dir = store.create("c");
  ASSERT_TRUE(dir);
  int fd = ::open((root_ + "/c").c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  EXPECT_NE(::flock(fd, LOCK_EX | LOCK_NB), 0);  // held by `dir`
  ::close(fd);
}

TEST(Channel, CarriesTypesPayloadsAndFds) {
  auto pair = runtime::Channel::pair();
  ASSERT_TRUE(pair);
  auto& [a, b] = *pair;
  ASSERT_TRUE(a.send(runtime::Msg::kGo, "payload", STDIN_FILENO));
  auto p = b.expect(runtime::Msg::kGo);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->payload, "payload");
  EXPECT_TRUE(p->fd.valid());
  ASSERT_TRUE(b.send_error(Error("mount x", EPERM).context("rootfs")));
  auto e = a.expect(runtime::Msg::kReady);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message(), "rootfs: mount x: Operation not permitted (EPERM)");
  b.close();
  auto eof = a.receive();
  ASSERT_TRUE(eof);
  EXPECT_EQ(eof->type, runtime::Msg::kEof);
}

}  // namespace
}  // namespace hull
