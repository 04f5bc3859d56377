// A "cgroup" mount in config.json. On a cgroup2 host it is a cgroup2 mount. On a v1 or
// hybrid host it is what runc builds: a tmpfs holding, per v1 hierarchy, a bind of the
// host's directory for our own cgroup, so the container sees itself at each hierarchy root.
#include <dirent.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <set>
#include <sstream>

#include "base/sys.h"
#include "runtime/path_in_root.h"
#include "runtime/rootfs_internal.h"

namespace hull::runtime::rootfs_detail {

using base::Error;
using base::Fd;
using base::Result;

namespace {

constexpr const char* kHostCgroupDir = "/sys/fs/cgroup";
constexpr unsigned long kSafe = MS_NOSUID | MS_NODEV | MS_NOEXEC;

std::set<std::string> split(const std::string& s, char sep) {
  std::set<std::string> out;
  std::istringstream in(s);
  std::string item;
  while (std::getline(in, item, sep)) out.insert(item);
  return out;
}

bool host_is_unified() {
  struct statfs fs;
  return ::statfs(kHostCgroupDir, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

// Our cgroup in the hierarchy mounted with these super options ("rw,cpu,cpuacct"), from
// /proc/self/cgroup: "4:memory:/a/b", "9:name=systemd:/", and "0::/a" for cgroup2.
std::optional<std::string> own_cgroup(const std::string& proc_cgroup, const std::string& super,
                                      bool v2) {
  const std::set<std::string> options = split(super, ',');
  std::istringstream lines(proc_cgroup);
  std::string line;
  while (std::getline(lines, line)) {
    size_t first = line.find(':');
    size_t second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) continue;
    std::string controllers = line.substr(first + 1, second - first - 1);
    if (controllers.empty() != v2) continue;
    bool all = true;
    for (const auto& c : split(controllers, ',')) all = all && options.count(c) != 0;
    if (all) return line.substr(second + 1);
  }
  return std::nullopt;
}

// Binds the host's directory for our cgroup in hierarchy `mi` onto dir_fd, or, when the
// hierarchy's mount lies outside our cgroup namespace (its root shows as "/.."), mounts
// the hierarchy afresh: inside a cgroup namespace a new mount shows the namespace's root.
Result<void> mount_hierarchy(const MountInfo& mi, const std::string& self, int dir_fd,
                             unsigned long flags, const std::string& shown) {
  const bool v2 = mi.fstype == "cgroup2";
  std::optional<std::string> path = own_cgroup(self, mi.super_options, v2);
  if (!path)
    return Error("find our cgroup for " + mi.mount_point + " in /proc/self/cgroup", ENOENT);
  const unsigned long ro = kSafe | (flags & MS_RDONLY);
  if (!path_under(*path, mi.root)) {
    std::string data = v2 ? "" : mi.super_options;
    return do_mount(v2 ? "cgroup2" : "cgroup", fd_path(dir_fd), mi.fstype, ro, data, shown);
  }
  std::string rel = mi.root == "/" ? *path : path->substr(mi.root.size());
  std::string host = rel == "/" || rel.empty() ? mi.mount_point : mi.mount_point + rel;
  TRY(do_mount(host, fd_path(dir_fd), "", MS_BIND, "", shown));
  return {};
}

// Hosts link combined hierarchies under their parts' names (cpu -> cpu,cpuacct); so do we.
Result<void> copy_links(int top_fd, const std::set<std::string>& names, const std::string& shown) {
  DIR* dir = ::opendir(kHostCgroupDir);
  if (dir == nullptr) return Error(std::string("open ") + kHostCgroupDir, errno);
  Result<void> result;
  while (struct dirent* e = ::readdir(dir)) {
    if (e->d_type != DT_LNK) continue;
    char target[256];
    ssize_t n = ::readlinkat(::dirfd(dir), e->d_name, target, sizeof target - 1);
    if (n < 0) continue;
    target[n] = '\0';
    if (names.count(target) == 0) continue;
    if (::symlinkat(target, top_fd, e->d_name) != 0 && errno != EEXIST) {
      result = Error("symlink " + shown + "/" + e->d_name + " -> " + target, errno);
      break;
    }
  }
  ::closedir(dir);
  return result;
}

Result<void> mount_cgroup_v1(const oci::Mount& m, unsigned long flags, int root_fd) {
  ASSIGN_OR_RETURN(Fd dir, open_in_root(root_fd, m.destination, Create::kDirectory));
  TRY(do_mount("tmpfs", fd_path(dir.get()), "tmpfs", kSafe, "mode=755", m.destination));
  ASSIGN_OR_RETURN(Fd top, open_in_root(root_fd, m.destination, Create::kNone));
  ASSIGN_OR_RETURN(auto mounts, read_mountinfo());
  ASSIGN_OR_RETURN(std::string self, base::sys::read_file("/proc/self/cgroup"));
  std::set<std::string> names;
  for (const auto& mi : mounts) {
    // Only the host's own hierarchies: mountinfo also lists whatever is already mounted
    // inside the rootfs, and a hierarchy may be mounted in more than one place.
    size_t slash = mi.mount_point.rfind('/');
    if (mi.fstype != "cgroup" || mi.mount_point.substr(0, slash) != kHostCgroupDir) continue;
    std::string name = mi.mount_point.substr(slash + 1);
    if (!names.insert(name).second) continue;
    std::string shown = m.destination + "/" + name;
    ASSIGN_OR_RETURN(Fd sub, open_in_root(top.get(), name, Create::kDirectory));
    TRY(mount_hierarchy(mi, self, sub.get(), flags, shown));
    ASSIGN_OR_RETURN(Fd bound, open_in_root(top.get(), name, Create::kNone));
    TRY(remount_bind(fd_path(bound.get()), kSafe | (flags & MS_RDONLY), shown));
  }
  TRY(copy_links(top.get(), names, m.destination));
  if (flags & MS_RDONLY) TRY(remount_bind(fd_path(top.get()), kSafe | MS_RDONLY, m.destination));
  return {};
}

Result<void> mount_cgroup2(const oci::Mount& m, unsigned long flags, int root_fd) {
  ASSIGN_OR_RETURN(Fd dir, open_in_root(root_fd, m.destination, Create::kDirectory));
  auto r = do_mount("cgroup2", fd_path(dir.get()), "cgroup2", flags, "", m.destination);
  if (r || (r.error().code() != EPERM && r.error().code() != EBUSY)) return r;
  // A user namespace without a cgroup namespace of its own may not mount cgroup2: bind our
  // own cgroup's directory from the host's cgroup2 mount instead, as runc does.
  ASSIGN_OR_RETURN(auto mounts, read_mountinfo());
  ASSIGN_OR_RETURN(std::string self, base::sys::read_file("/proc/self/cgroup"));
  for (const auto& mi : mounts) {
    if (mi.fstype != "cgroup2" || !path_under(mi.mount_point, kHostCgroupDir)) continue;
    TRY(mount_hierarchy(mi, self, dir.get(), flags, m.destination));
    ASSIGN_OR_RETURN(Fd top, open_in_root(root_fd, m.destination, Create::kNone));
    return remount_bind(fd_path(top.get()), flags | kSafe, m.destination);
  }
  return r;
}

}  // namespace

Result<void> mount_cgroup(const oci::Mount& m, unsigned long flags, int root_fd) {
  if (m.type == "cgroup2" || host_is_unified()) return mount_cgroup2(m, flags, root_fd);
  return mount_cgroup_v1(m, flags, root_fd);
}

}  // namespace hull::runtime::rootfs_detail
