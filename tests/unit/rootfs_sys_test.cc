// System tests of the rootfs steps: real mounts and pivot_root, each test in a forked child
// with a mount namespace of its own (and a user namespace where the test says so), so the
// host's mount table is never touched. Needs root; skipped otherwise.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <set>
#include <sstream>
#include <string>

#include "base/sys.h"
#include "in_child.h"
#include "runtime/rootfs.h"

namespace hull::runtime {
namespace {

// Each check returns "" when it holds, else what went wrong.
std::string fail(const std::string& what) { return what + " (" + std::strerror(errno) + ")"; }

std::string read(const std::string& path, std::string* out) {
  auto r = base::sys::read_file(path);
  if (!r) return r.error().message();
  *out = *r;
  return "";
}

std::string expect_erofs(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) {
    ::close(fd);
    return path + ": writable, expected EROFS";
  }
  if (errno != EROFS) return fail(path + ": expected EROFS");
  return "";
}

// Mount points and the root of "/" from our /proc/self/mountinfo.
std::set<std::string> mount_points(std::string* root_of_slash) {
  std::set<std::string> out;
  auto text = base::sys::read_file("/proc/self/mountinfo");
  if (!text) return out;
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream f(line);
    std::string id, parent, dev, root, point;
    f >> id >> parent >> dev >> root >> point;
    out.insert(point);
    if (point == "/" && root_of_slash) *root_of_slash = root;
  }
  return out;
}

std::string write_file(const std::string& path, const std::string& data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail("create " + path);
  auto w = base::sys::write_all(fd, data);
  ::close(fd);
  return w ? "" : w.error().message();
}

// Maps root to root in a new user namespace (one mapping of our own ids needs no helper).
std::string enter_user_namespace() {
  if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) return fail("unshare user+mount");
  for (auto [file, data] : {std::pair{"/proc/self/setgroups", "deny"},
                            {"/proc/self/uid_map", "0 0 1"},
                            {"/proc/self/gid_map", "0 0 1"}}) {
    auto w = base::sys::write_file(file, data);
    if (!w) return w.error().message();
  }
  return "";
}

class RootfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    char tmpl[] = "/tmp/hull-rootfs-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    root_ = dir_ + "/rootfs";
    for (const char* d : {"/rootfs", "/rootfs/proc", "/rootfs/tmp", "/rootfs/etc",
                          "/rootfs/secrets", "/src", "/locked"}) {
      ASSERT_EQ(::mkdir((dir_ + d).c_str(), 0755), 0) << d;
    }
    ASSERT_EQ(write_file(root_ + "/etc/secret", "top secret"), "");
    ASSERT_EQ(write_file(root_ + "/etc/ro_file", "x"), "");
    ASSERT_EQ(write_file(root_ + "/secrets/key", "k"), "");
    ASSERT_EQ(write_file(dir_ + "/src/hello", "hello from host"), "");
    ASSERT_EQ(::symlink("../../..", (root_ + "/escape").c_str()), 0);

    spec_.root.path = root_;
    spec_.mounts = {
        {"/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}, {}},
        {"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}, {}},
        {"/dev/pts",
         "devpts",
         "devpts",
         {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"},
         {}},
        {"/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777"}, {}},
        {"/tmp", "tmpfs", "tmpfs", {"nosuid", "nodev"}, {}},
        {"/mnt/data", "bind", dir_ + "/src", {"rbind", "ro"}, {}},
    };
    spec_.linux.devices = {{"/dev/sub/mynull", 'c', 1, 3, 0600, std::nullopt, std::nullopt}};
    spec_.linux.masked_paths = {"/etc/secret", "/secrets", "/does/not/exist"};
    spec_.linux.readonly_paths = {"/etc/ro_file", "/proc/sys", "/not/there"};
  }

  void TearDown() override {
    if (!dir_.empty()) {
      // Everything was mounted in the child's namespace: the host must see none of it.
      auto info = base::sys::read_file("/proc/self/mountinfo");
      ASSERT_TRUE(info);
      EXPECT_EQ(info->find(dir_), std::string::npos) << *info;
      (void)base::sys::remove_all(dir_);
    }
  }

  // Runs `body` in a forked child; returns the child's complaint, "" when all went well.
  static std::string in_child(const std::function<std::string()>& body) {
    return test::run_in_child(body).complaint;
  }

  static std::string build(const oci::Spec& spec, const RootfsOptions& opt) {
    auto r = prepare_rootfs(spec, opt);
    if (!r) return "prepare: " + r.error().message();
    r = enter_rootfs(spec, opt);
    if (!r) return "enter: " + r.error().message();
    r = finish_rootfs(spec);
    if (!r) return "finish: " + r.error().message();
    return "";
  }

  std::string dir_, root_;
  oci::Spec spec_;
};

// What a container sees after the full sequence; shared by the pivot and no-pivot tests.
std::string check_container_view(bool exact_mounts) {
  char cwd[256];
  if (::getcwd(cwd, sizeof cwd) == nullptr || std::string(cwd) != "/") return "cwd is not /";
  struct statfs fs;
  if (::statfs("/tmp", &fs) != 0) return fail("statfs /tmp");
  if (fs.f_type != TMPFS_MAGIC) return "/tmp is not a tmpfs";
  std::string text;
  if (auto e = read("/etc/secret", &text); !e.empty()) return e;
  if (!text.empty()) return "masked /etc/secret reads \"" + text + "\"";
  if (::access("/secrets/key", F_OK) == 0) return "masked /secrets still shows key";
  if (auto e = expect_erofs("/secrets/new"); !e.empty()) return e;
  if (auto e = expect_erofs("/etc/ro_file"); !e.empty()) return e;
  if (auto e = expect_erofs("/proc/sys/kernel/hostname"); !e.empty()) return e;
  if (auto e = read("/mnt/data/hello", &text); !e.empty()) return e;
  if (text != "hello from host") return "bind mount reads \"" + text + "\"";
  if (auto e = expect_erofs("/mnt/data/new"); !e.empty()) return e;
  if (auto e = write_file("/etc/writable", "ok"); !e.empty()) return "root not writable: " + e;
  struct stat st;
  if (::stat("/dev/null", &st) != 0) return fail("stat /dev/null");
  if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) return "/dev/null is not 1:3";
  int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (null_fd < 0 || ::write(null_fd, "x", 1) != 1) return fail("write /dev/null");
  ::close(null_fd);
  if (::stat("/dev/sub/mynull", &st) != 0) return fail("stat /dev/sub/mynull");
  if ((st.st_mode & 07777) != 0600) return "/dev/sub/mynull mode is not 0600";
  char link[64] = {};
  if (::readlink("/dev/fd", link, sizeof link - 1) < 0) return fail("readlink /dev/fd");
  if (std::string(link) != "/proc/self/fd") return std::string("/dev/fd -> ") + link;
  std::memset(link, 0, sizeof link);
  if (::readlink("/dev/ptmx", link, sizeof link - 1) < 0) return fail("readlink /dev/ptmx");
  if (std::string(link) != "pts/ptmx") return std::string("/dev/ptmx -> ") + link;
  std::string root_of_slash;
  auto points = mount_points(&root_of_slash);
  if (root_of_slash.size() < 7 || root_of_slash.substr(root_of_slash.size() - 7) != "/rootfs") {
    return "root of / is " + root_of_slash;
  }
  if (exact_mounts) {
    const std::set<std::string> want = {"/",        "/proc",        "/dev",      "/dev/pts",
                                        "/dev/shm", "/tmp",         "/mnt/data", "/etc/secret",
                                        "/secrets", "/etc/ro_file", "/proc/sys"};
    if (points != want) {
      std::string got;
      for (const auto& p : points) got += p + " ";
      return "mount points: " + got;
    }
  }
  return "";
}

TEST_F(RootfsTest, PivotMountsMasksAndReadonlyPaths) {
  std::string err = in_child([&]() -> std::string {
    if (::unshare(CLONE_NEWNS) != 0) return fail("unshare");
    if (auto e = build(spec_, {}); !e.empty()) return e;
    return check_container_view(true);
  });
  EXPECT_EQ(err, "");
}

TEST_F(RootfsTest, NoPivotAndReadonlyRoot) {
  spec_.root.readonly = true;
  std::string err = in_child([&]() -> std::string {
    if (::unshare(CLONE_NEWNS) != 0) return fail("unshare");
    RootfsOptions opt;
    opt.no_pivot = true;
    if (auto e = build(spec_, opt); !e.empty()) return e;
    if (auto e = expect_erofs("/newfile"); !e.empty()) return e;
    // Mounts on top of the read-only root keep their own flags.
    if (auto e = write_file("/tmp/ok", "ok"); !e.empty()) return e;
    return "";
  });
  EXPECT_EQ(err, "");
}

TEST_F(RootfsTest, SharedRootfsPropagation) {
  spec_.linux.rootfs_propagation = "rshared";
  std::string err = in_child([&]() -> std::string {
    if (::unshare(CLONE_NEWNS) != 0) return fail("unshare");
    if (auto e = build(spec_, {}); !e.empty()) return e;
    std::string info;
    if (auto e = read("/proc/self/mountinfo", &info); !e.empty()) return e;
    std::istringstream lines(info);
    std::string line;
    while (std::getline(lines, line)) {
      std::istringstream f(line);
      std::string id, parent, dev, root, point, options, field;
      f >> id >> parent >> dev >> root >> point >> options >> field;
      // The first optional field of "/" must be its peer group.
      if (point == "/") return field.rfind("shared:", 0) == 0 ? "" : "/ is not shared: " + line;
    }
    return "no / in mountinfo";
  });
  EXPECT_EQ(err, "");
}

TEST_F(RootfsTest, DestinationEscapingThroughSymlinkIsRefused) {
  spec_.mounts = {{"/escape/x", "tmpfs", "tmpfs", {}, {}}};
  std::string err = in_child([&]() -> std::string {
    if (::unshare(CLONE_NEWNS) != 0) return fail("unshare");
    auto r = prepare_rootfs(spec_, {});
    if (r) return "prepare_rootfs accepted a destination leaving the rootfs";
    if (r.error().code() != EXDEV) return "wrong errno: " + r.error().message();
    const std::string msg = r.error().message();
    if (msg.rfind("mounts[0]: ", 0) != 0 || msg.find("symlink /escape") == std::string::npos) {
      return "unexpected message: " + msg;
    }
    return "";
  });
  EXPECT_EQ(err, "");
  // Nothing was made where the link points, outside the rootfs.
  EXPECT_NE(::access((dir_ + "/../../x").c_str(), F_OK), 0);
}

TEST_F(RootfsTest, MountErrorNamesMountAndFlags) {
  spec_.mounts = {{"/tmp", "nosuchfs", "none", {"nosuid", "nodev"}, {}}};
  std::string err = in_child([&]() -> std::string {
    if (::unshare(CLONE_NEWNS) != 0) return fail("unshare");
    auto r = prepare_rootfs(spec_, {});
    if (r) return "mounting a filesystem type that does not exist worked";
    const std::string msg = r.error().message();
    if (msg.rfind("mounts[0]: mount none on /tmp (nosuid,nodev): ", 0) != 0) return msg;
    return "";
  });
  EXPECT_EQ(err, "");
}

// A "cgroup" mount shows our own cgroup: cgroup2 on a unified host, else a tmpfs of binds of
// our directory in each v1 hierarchy.
TEST_F(RootfsTest, CgroupMountShowsOwnCgroup) {
  spec_.mounts = {{"/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "ro"}, {}}};
  std::string err = in_child([&]() -> std::string {
    if (::unshare(CLONE_NEWNS) != 0) return fail("unshare");
    struct statfs host;
    if (::statfs("/sys/fs/cgroup", &host) != 0) return fail("statfs host /sys/fs/cgroup");
    if (auto e = build(spec_, {}); !e.empty()) return e;
    struct statfs fs;
    if (::statfs("/sys/fs/cgroup", &fs) != 0) return fail("statfs /sys/fs/cgroup");
    std::string procs_file = "/sys/fs/cgroup/cgroup.procs";
    if (host.f_type != CGROUP2_SUPER_MAGIC) {
      if (fs.f_type != TMPFS_MAGIC) return "/sys/fs/cgroup is not a tmpfs on a v1 host";
      procs_file = "/sys/fs/cgroup/memory/cgroup.procs";
      if (auto e = expect_erofs("/sys/fs/cgroup/new"); !e.empty()) return e;
    }
    std::string procs;
    if (auto e = read(procs_file, &procs); !e.empty()) return e;
    if (("\n" + procs).find("\n" + std::to_string(::getpid()) + "\n") == std::string::npos) {
      return procs_file + " does not list us: " + procs;
    }
    if (::open(procs_file.c_str(), O_WRONLY | O_CLOEXEC) >= 0 || errno != EROFS) {
      return fail(procs_file + " is not read-only");
    }
    return "";
  });
  EXPECT_EQ(err, "");
}

// In a user namespace: device nodes are bound from the host, sysfs falls back to a bind of
// the host's /sys, and a remount keeps the flags the kernel locked.
TEST_F(RootfsTest, UserNamespace) {
  spec_.mounts.erase(spec_.mounts.begin());  // proc needs a pid namespace of our own
  spec_.mounts.push_back({"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}, {}});
  spec_.mounts.push_back({"/mnt/locked", "bind", dir_ + "/locked", {"rbind", "ro"}, {}});
  spec_.linux.devices.clear();
  spec_.linux.readonly_paths = {"/etc/ro_file"};
  std::string locked = dir_ + "/locked";
  std::string err = in_child([&]() -> std::string {
    // A nosuid,nodev,noexec mount made by real root: in the user namespace's copy of the
    // mount table these flags are locked.
    if (::unshare(CLONE_NEWNS) != 0) return fail("unshare");
    if (::mount("tmpfs", locked.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr)) {
      return fail("mount tmpfs on " + locked);
    }
    if (auto e = enter_user_namespace(); !e.empty()) return e;
    RootfsOptions opt;
    opt.in_user_namespace = true;
    if (auto e = build(spec_, opt); !e.empty()) return e;
    struct stat st;
    if (::stat("/dev/null", &st) != 0 || !S_ISCHR(st.st_mode)) return "no /dev/null device";
    int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null_fd < 0) return fail("open /dev/null");
    ::close(null_fd);
    if (::access("/sys/kernel", F_OK) != 0) return fail("/sys/kernel");
    struct statvfs vfs;
    if (::statvfs("/mnt/locked", &vfs) != 0) return fail("statvfs /mnt/locked");
    if (!(vfs.f_flag & ST_RDONLY) || !(vfs.f_flag & ST_NOSUID)) return "/mnt/locked flags";
    if (auto e = expect_erofs("/etc/ro_file"); !e.empty()) return e;
    std::string text;
    if (auto e = read("/etc/secret", &text); !e.empty()) return e;
    if (!text.empty()) return "masked /etc/secret reads \"" + text + "\"";
    return "";
  });
  EXPECT_EQ(err, "");
}

}  // namespace
}  // namespace hull::runtime
