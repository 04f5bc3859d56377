// Unit tests of `hull ns`'s report: real processes in namespaces of their own (children
// that unshare uts, ipc and net, one that joins another's net), compared with the host.
#include "engine/ns_report.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>

namespace hull::engine {
namespace {

uint64_t inode_of(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

class NsReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to unshare net, uts and ipc";
    ASSERT_EQ(::pipe2(hold_, O_CLOEXEC), 0);
  }
  void TearDown() override {
    // EOF on the pipe lets every child go.
    if (hold_[1] >= 0) ::close(hold_[1]);
    for (pid_t pid : children_) ::waitpid(pid, nullptr, 0);
    if (hold_[0] >= 0) ::close(hold_[0]);
  }

  // A child in new uts and ipc namespaces and either a new net namespace or that of
  // `join_net_of`. Returns once the child is in place.
  pid_t spawn(pid_t join_net_of = 0) {
    int ready[2];
    if (::pipe2(ready, O_CLOEXEC) != 0) return -1;
    pid_t pid = ::fork();
    if (pid == 0) {
      ::close(ready[0]);
      ::close(hold_[1]);
      int flags = CLONE_NEWUTS | CLONE_NEWIPC | (join_net_of ? 0 : CLONE_NEWNET);
      if (::unshare(flags) != 0) ::_exit(1);
      if (join_net_of) {
        std::string path = "/proc/" + std::to_string(join_net_of) + "/ns/net";
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) ::_exit(2);
      }
      char c = 'r';
      if (::write(ready[1], &c, 1) != 1) ::_exit(3);
      while (::read(hold_[0], &c, 1) > 0) {
      }
      ::_exit(0);
    }
    ::close(ready[1]);
    char c;
    bool ok = pid > 0 && ::read(ready[0], &c, 1) == 1;
    ::close(ready[0]);
    if (pid > 0) children_.push_back(pid);
    return ok ? pid : -1;
  }

  // The cell of one kind and subject, by name.
  static const NsCell& cell(const NsReport& r, const std::string& kind, size_t subject) {
    for (size_t k = 0; k < r.kinds.size(); ++k) {
      if (r.kinds[k] == kind) return r.cells[k].at(subject);
    }
    ADD_FAILURE() << "no kind " << kind;
    static NsCell none;
    return none;
  }

  int hold_[2] = {-1, -1};
  std::vector<pid_t> children_;
};

TEST_F(NsReportTest, KindsAreTheEightAndTheForChildrenLinks) {
  auto r = ns_report({});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->kinds,
            (std::vector<std::string>{"cgroup", "ipc", "mnt", "net", "pid", "pid_for_children",
                                      "time", "time_for_children", "user", "uts"}));
}

TEST_F(NsReportTest, MarksHostSharedAndPrivate) {
  pid_t a = spawn();
  ASSERT_GT(a, 0);
  pid_t b = spawn(a);
  ASSERT_GT(b, 0);
  auto r = ns_report({{"host", 0}, {"a", a}, {"b", b}});
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->subjects.size(), 3u);
  EXPECT_GT(r->subjects[0].pid, 0);  // the host's pid was filled in

  for (const auto& kind : r->kinds) {
    const NsCell& host = cell(*r, kind, 0);
    if (host.sharing == NsSharing::kUnavailable) continue;  // e.g. no time ns in this kernel
    EXPECT_EQ(host.sharing, NsSharing::kHost) << kind;
  }
  // Unshared by each child: private to it.
  for (const char* kind : {"uts", "ipc"}) {
    EXPECT_EQ(cell(*r, kind, 1).sharing, NsSharing::kPrivate) << kind;
    EXPECT_EQ(cell(*r, kind, 2).sharing, NsSharing::kPrivate) << kind;
    EXPECT_NE(cell(*r, kind, 1).inode, cell(*r, kind, 2).inode) << kind;
  }
  // b joined a's net: shared, each naming the other.
  EXPECT_EQ(cell(*r, "net", 1).sharing, NsSharing::kShared);
  EXPECT_EQ(cell(*r, "net", 1).shared_with, "b");
  EXPECT_EQ(cell(*r, "net", 2).sharing, NsSharing::kShared);
  EXPECT_EQ(cell(*r, "net", 2).shared_with, "a");
  EXPECT_EQ(cell(*r, "net", 1).inode, inode_of("/proc/" + std::to_string(a) + "/ns/net"));
  // user was not touched: the children have the test's, which is the host's when the test
  // runs on the host (in a sandbox of its own, the children share it with each other). The
  // host is pid 1, or ourselves when pid 1's links are closed to us.
  uint64_t host_user = inode_of("/proc/1/ns/user");
  bool on_host = host_user == 0 || inode_of("/proc/self/ns/user") == host_user;
  EXPECT_EQ(cell(*r, "user", 1).sharing, on_host ? NsSharing::kHost : NsSharing::kShared);

  std::string table = ns_table(*r);
  auto uts = std::to_string(cell(*r, "uts", 1).inode);
  auto net = std::to_string(cell(*r, "net", 1).inode);
  EXPECT_NE(table.find("NAMESPACE"), std::string::npos) << table;
  EXPECT_NE(table.find(uts + " private"), std::string::npos) << table;
  EXPECT_NE(table.find(net + " shared:b"), std::string::npos) << table;
  EXPECT_NE(table.find(net + " shared:a"), std::string::npos) << table;
  // Aligned: every column starts at the same offset on each line.
  std::vector<std::string> lines;
  for (size_t pos = 0, nl; (nl = table.find('\n', pos)) != std::string::npos; pos = nl + 1) {
    lines.push_back(table.substr(pos, nl - pos));
  }
  ASSERT_EQ(lines.size(), r->kinds.size() + 1);
  size_t col_a = lines[0].find(" a ") + 1;
  for (const auto& line : lines) {
    EXPECT_GT(line.size(), col_a) << table;
    EXPECT_EQ(line[col_a - 1], ' ') << table;
    EXPECT_NE(line[col_a], ' ') << table;
  }
  EXPECT_EQ(lines[0].back(), 'b') << "no trailing blanks: " << table;
}

TEST_F(NsReportTest, JsonHasInodesAndSharing) {
  pid_t a = spawn();
  ASSERT_GT(a, 0);
  pid_t b = spawn(a);
  ASSERT_GT(b, 0);
  auto r = ns_report({{"host", 0}, {"a", a}, {"b", b}});
  ASSERT_TRUE(r) << r.error().message();
  auto j = ns_json(*r);
  ASSERT_EQ(j.at("subjects").size(), 3u);
  EXPECT_EQ(j.at("subjects")[1].at("label"), "a");
  EXPECT_EQ(j.at("subjects")[1].at("pid"), a);
  const auto& net = j.at("namespaces").at("net");
  EXPECT_EQ(net.at("a").at("inode"), inode_of("/proc/" + std::to_string(a) + "/ns/net"));
  EXPECT_EQ(net.at("a").at("sharing"), "shared");
  EXPECT_EQ(net.at("a").at("shared_with"), nlohmann::json::array({"b"}));
  EXPECT_EQ(net.at("host").at("sharing"), "host");
  EXPECT_EQ(j.at("namespaces").at("uts").at("b").at("sharing"), "private");
}

TEST_F(NsReportTest, InodesOfOnePid) {
  auto j = ns_inodes(::getpid());
  EXPECT_EQ(j.at("net"), inode_of("/proc/self/ns/net"));
  EXPECT_EQ(j.at("pid_for_children"), inode_of("/proc/self/ns/pid_for_children"));
  EXPECT_TRUE(ns_inodes(0x7ffffff0).empty());
}

TEST_F(NsReportTest, AMissingPidIsAnError) {
  auto r = ns_report({{"pid 2147483600", 2147483600}});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("pid 2147483600"), std::string::npos) << r.error().message();
}

TEST(NsReport, UnavailableCellsShowAsADash) {
  NsReport r;
  r.kinds = {"net", "time"};
  r.subjects = {{"host", 1}, {"web", 42}};
  r.cells = {{{4026531840, NsSharing::kHost, "", ""}, {4026532201, NsSharing::kPrivate, "", ""}},
             {{0, NsSharing::kUnavailable, "", "not supported by this kernel"},
              {0, NsSharing::kUnavailable, "", "not supported by this kernel"}}};
  EXPECT_EQ(ns_table(r),
            "NAMESPACE   host              web\n"
            "net         4026531840 host   4026532201 private\n"
            "time        -                 -\n");
  auto j = ns_json(r);
  EXPECT_TRUE(j.at("namespaces").at("time").at("web").at("inode").is_null());
  EXPECT_EQ(j.at("namespaces").at("time").at("web").at("error"), "not supported by this kernel");
}

}  // namespace
}  // namespace hull::engine
