#include "runtime/path_in_root.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "base/sys.h"

namespace hull::runtime {
namespace {

class PathInRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hull-path-in-root-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    root_ = dir_ + "/root";
    ASSERT_EQ(::mkdir(root_.c_str(), 0755), 0);
    root_fd_ = ::open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(root_fd_, 0);
  }
  void TearDown() override {
    ::close(root_fd_);
    (void)base::sys::remove_all(dir_);
  }

  void mkdir(const std::string& rel) { ASSERT_EQ(::mkdir((root_ + "/" + rel).c_str(), 0755), 0); }
  void touch(const std::string& rel) {
    int fd = ::open((root_ + "/" + rel).c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    ::close(fd);
  }
  void symlink(const std::string& target, const std::string& rel) {
    ASSERT_EQ(::symlink(target.c_str(), (root_ + "/" + rel).c_str()), 0);
  }

  // The inode the fd refers to equals the one at root_/rel (not following a final link).
  void expect_same(const base::Fd& fd, const std::string& rel) {
    struct stat a, b;
    ASSERT_EQ(::fstat(fd.get(), &a), 0);
    ASSERT_EQ(::lstat((root_ + "/" + rel).c_str(), &b), 0) << rel;
    EXPECT_EQ(a.st_dev, b.st_dev);
    EXPECT_EQ(a.st_ino, b.st_ino) << rel;
  }

  std::string dir_, root_;
  int root_fd_ = -1;
};

TEST_F(PathInRootTest, PlainPath) {
  mkdir("a");
  mkdir("a/b");
  touch("a/b/c");
  auto fd = open_in_root(root_fd_, "/a/b/c", Create::kNone);
  ASSERT_TRUE(fd) << fd.error().message();
  expect_same(*fd, "a/b/c");
  // "." components and repeated slashes are skipped; the leading "/" is optional.
  auto again = open_in_root(root_fd_, "a//./b/c", Create::kNone);
  ASSERT_TRUE(again) << again.error().message();
  expect_same(*again, "a/b/c");
}

TEST_F(PathInRootTest, RootItself) {
  auto fd = open_in_root(root_fd_, "/", Create::kNone);
  ASSERT_TRUE(fd) << fd.error().message();
  expect_same(*fd, ".");
}

TEST_F(PathInRootTest, CreatesDirectories) {
  auto fd = open_in_root(root_fd_, "/x/y/z", Create::kDirectory);
  ASSERT_TRUE(fd) << fd.error().message();
  struct stat st;
  ASSERT_EQ(::stat((root_ + "/x/y/z").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  expect_same(*fd, "x/y/z");
}

TEST_F(PathInRootTest, CreatesFile) {
  auto fd = open_in_root(root_fd_, "/etc/sub/hosts", Create::kFile);
  ASSERT_TRUE(fd) << fd.error().message();
  struct stat st;
  ASSERT_EQ(::stat((root_ + "/etc/sub").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  ASSERT_EQ(::stat((root_ + "/etc/sub/hosts").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  expect_same(*fd, "etc/sub/hosts");
  // The result is an O_PATH fd.
  EXPECT_EQ(::fcntl(fd->get(), F_GETFL) & O_PATH, O_PATH);
}

TEST_F(PathInRootTest, AbsoluteSymlinkResolvesInsideRoot) {
  mkdir("b");
  symlink("/b", "a");
  auto fd = open_in_root(root_fd_, "/a", Create::kNone);
  ASSERT_TRUE(fd) << fd.error().message();
  expect_same(*fd, "b");
}

TEST_F(PathInRootTest, AbsoluteSymlinkInTheMiddle) {
  mkdir("real");
  mkdir("real/dir");
  mkdir("d");
  symlink("/real", "d/link");
  auto fd = open_in_root(root_fd_, "/d/link/dir", Create::kNone);
  ASSERT_TRUE(fd) << fd.error().message();
  expect_same(*fd, "real/dir");
}

TEST_F(PathInRootTest, CreatesThroughDanglingSymlinkInsideRoot) {
  // A dangling absolute link is followed inside the rootfs, never to the host's /.
  symlink("/made/here", "mnt");
  auto fd = open_in_root(root_fd_, "/mnt", Create::kDirectory);
  ASSERT_TRUE(fd) << fd.error().message();
  expect_same(*fd, "made/here");
}

TEST_F(PathInRootTest, RelativeSymlinkStaysInside) {
  mkdir("a");
  mkdir("a/b");
  mkdir("c");
  symlink("../../c", "a/b/link");  // relative to a/b
  auto fd = open_in_root(root_fd_, "/a/b/link", Create::kNone);
  ASSERT_TRUE(fd) << fd.error().message();
  expect_same(*fd, "c");
}

TEST_F(PathInRootTest, DotDotWithinRoot) {
  mkdir("a");
  mkdir("b");
  auto fd = open_in_root(root_fd_, "/a/../b", Create::kNone);
  ASSERT_TRUE(fd) << fd.error().message();
  expect_same(*fd, "b");
}

TEST_F(PathInRootTest, RelativeSymlinkEscapingIsRefused) {
  mkdir("a");
  symlink("../../etc", "a/evil");
  auto fd = open_in_root(root_fd_, "/a/evil/passwd", Create::kNone);
  ASSERT_FALSE(fd);
  EXPECT_EQ(fd.error().code(), EXDEV);
  EXPECT_NE(fd.error().message().find("symlink /a/evil -> ../../etc leaves the rootfs"),
            std::string::npos)
      << fd.error().message();
}

TEST_F(PathInRootTest, DotDotEscapingIsRefused) {
  mkdir("a");
  auto fd = open_in_root(root_fd_, "/a/../../etc", Create::kDirectory);
  ASSERT_FALSE(fd);
  EXPECT_EQ(fd.error().code(), EXDEV);
  EXPECT_NE(fd.error().message().find("\"..\" leaves the rootfs"), std::string::npos)
      << fd.error().message();
  // Nothing was made outside the root.
  EXPECT_NE(::access((dir_ + "/etc").c_str(), F_OK), 0);
}

TEST_F(PathInRootTest, SymlinkLoop) {
  symlink("b", "a");
  symlink("a", "b");
  auto fd = open_in_root(root_fd_, "/a", Create::kNone);
  ASSERT_FALSE(fd);
  EXPECT_EQ(fd.error().code(), ELOOP);
}

TEST_F(PathInRootTest, MissingWithoutCreate) {
  mkdir("a");
  auto fd = open_in_root(root_fd_, "/a/missing/x", Create::kNone);
  ASSERT_FALSE(fd);
  EXPECT_EQ(fd.error().code(), ENOENT);
  EXPECT_NE(fd.error().message().find("/a/missing/x"), std::string::npos) << fd.error().message();
  EXPECT_NE(::access((root_ + "/a/missing").c_str(), F_OK), 0);
}

TEST_F(PathInRootTest, FileInTheMiddleIsNotADirectory) {
  touch("f");
  auto fd = open_in_root(root_fd_, "/f/x", Create::kDirectory);
  ASSERT_FALSE(fd);
  EXPECT_EQ(fd.error().code(), ENOTDIR);
}

}  // namespace
}  // namespace hull::runtime
