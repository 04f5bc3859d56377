// Pieces shared by rootfs.cc, rootfs_mounts.cc, rootfs_cgroup.cc and rootfs_dev.cc: mount(2)
// with errors that name source, target and flags, the bind remount that keeps flags a user
// namespace locked, and a /proc/self/mountinfo reader. Not part of the runtime's interface.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "oci/spec.h"
#include "runtime/rootfs.h"

namespace hull::runtime::rootfs_detail {

// "/proc/self/fd/N": as a mount(2) target it is exactly the object the O_PATH fd was opened
// on, with no second path walk that a symlink could redirect.
std::string fd_path(int fd);

// mount(2); the error reads "mount tmpfs on /dev/shm (nosuid,nodev,noexec)", naming `shown`
// (the container path) rather than the /proc/self/fd target. Empty strings pass NULL.
base::Result<void> do_mount(const std::string& source, const std::string& target,
                            const std::string& fstype, unsigned long flags, const std::string& data,
                            const std::string& shown);

// mount(NULL, target, NULL, MS_BIND|MS_REMOUNT|flags). Flags inherited from a more
// privileged mount namespace are locked (EPERM if a remount would clear them), so on EPERM
// this retries with the target's current nosuid/nodev/noexec/ro/atime flags OR-ed in.
base::Result<void> remount_bind(const std::string& target, unsigned long flags,
                                const std::string& shown);

// One line of /proc/self/mountinfo, octal escapes (\040) decoded.
struct MountInfo {
  std::string root;                          // the path inside the filesystem that is mounted
  std::string mount_point;                   // where, in our mount namespace
  std::vector<std::string> optional_fields;  // "shared:1", "master:2"
  std::string fstype;
  std::string source;
  std::string super_options;  // "rw,memory"
};
base::Result<std::vector<MountInfo>> read_mountinfo();

// Binds `source` (a host path; relative ones are relative to the working directory, the
// bundle) on `destination` in the rootfs, made a directory or a file to match the source,
// then remounts it with the flags a bind ignores (ro, nosuid, …).
base::Result<void> bind_mount(const std::string& source, const std::string& destination,
                              unsigned long flags, int root_fd);

// Whether `path` is `dir` or below it; both absolute and clean.
bool path_under(const std::string& path, const std::string& dir);

// config.json's mounts, in order, onto the rootfs at root_fd (rootfs_mounts.cc).
base::Result<void> mount_all(const oci::Spec& spec, int root_fd);

// A "cgroup"/"cgroup2" mount (rootfs_cgroup.cc).
base::Result<void> mount_cgroup(const oci::Mount& m, unsigned long flags, int root_fd);

// The default device nodes, linux.devices and the /dev links (rootfs_dev.cc).
base::Result<void> setup_dev(const oci::Spec& spec, int root_fd, const RootfsOptions& opt);

}  // namespace hull::runtime::rootfs_detail
