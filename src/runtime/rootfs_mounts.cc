// config.json's mounts, performed in order on the rootfs before pivot_root. Every target is
// resolved inside the rootfs with open_in_root and mounted on through /proc/self/fd/N.
#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>

#include "oci/mount_options.h"
#include "runtime/path_in_root.h"
#include "runtime/rootfs_internal.h"

namespace hull::runtime::rootfs_detail {

using base::Error;
using base::Fd;
using base::Result;

namespace {

// Together with MS_BIND, mount(2) ignores every flag but MS_REC: the rest (ro, nosuid, …)
// takes a second, remounting call.
constexpr unsigned long kBindCallFlags = MS_BIND | MS_REC | MS_REMOUNT;

bool new_net_namespace(const oci::Spec& spec) {
  const oci::Namespace* ns = spec.linux.find(oci::NamespaceType::kNetwork);
  return ns != nullptr && ns->path.empty();
}

// Reopens the destination after something was mounted on it: the fd used as the mount
// target still names the directory underneath, while a fresh walk lands on the new mount.
Result<Fd> reopen(int root_fd, const std::string& destination) {
  return open_in_root(root_fd, destination, Create::kNone);
}

Result<void> mount_fs(const oci::Mount& m, const oci::MountOptions& o, int root_fd) {
  ASSIGN_OR_RETURN(Fd target, open_in_root(root_fd, m.destination, Create::kDirectory));
  const std::string& source = m.source.empty() ? m.type : m.source;
  return do_mount(source, fd_path(target.get()), m.type, o.flags, o.data, m.destination);
}

Result<void> mount_sysfs(const oci::Spec& spec, const oci::Mount& m, const oci::MountOptions& o,
                         int root_fd) {
  auto r = mount_fs(m, o, root_fd);
  if (r || r.error().code() != EPERM || new_net_namespace(spec)) return r;
  // A sysfs instance belongs to a network namespace, and inside a user namespace only one's
  // own may be mounted. Sharing the host's network, runc binds the host's /sys instead.
  return bind_mount("/sys", m.destination, o.flags | MS_BIND | MS_REC, root_fd);
}

Result<void> mount_one(const oci::Spec& spec, const oci::Mount& m, int root_fd) {
  const oci::MountOptions o = oci::parse_mount_options(m.options);
  if (o.is_bind() || m.type == "bind" || m.type == "rbind") {
    unsigned long flags = o.flags | MS_BIND | (m.type == "rbind" ? MS_REC : 0);
    TRY(bind_mount(m.source, m.destination, flags, root_fd));
  } else if (m.type == "cgroup" || m.type == "cgroup2") {
    TRY(mount_cgroup(m, o.flags, root_fd));
  } else if (m.type == "sysfs") {
    TRY(mount_sysfs(spec, m, o, root_fd));
  } else {
    TRY(mount_fs(m, o, root_fd));
  }
  // Propagation is a property of the new mount and takes a call of its own.
  if (o.propagation != 0) {
    ASSIGN_OR_RETURN(Fd top, reopen(root_fd, m.destination));
    TRY(do_mount("", fd_path(top.get()), "", o.propagation, "", m.destination));
  }
  return {};
}

}  // namespace

Result<void> bind_mount(const std::string& source, const std::string& destination,
                        unsigned long flags, int root_fd) {
  struct stat st;
  if (::stat(source.c_str(), &st) != 0) return Error("stat bind source " + source, errno);
  // The mount point has to be of the source's kind: a directory for a directory, a file for
  // anything else (a file, a socket, a device node).
  Create kind = S_ISDIR(st.st_mode) ? Create::kDirectory : Create::kFile;
  ASSIGN_OR_RETURN(Fd target, open_in_root(root_fd, destination, kind));
  TRY(do_mount(source, fd_path(target.get()), "", MS_BIND | (flags & MS_REC), "", destination));
  const unsigned long extra = flags & ~kBindCallFlags;
  if (extra == 0) return {};
  ASSIGN_OR_RETURN(Fd top, reopen(root_fd, destination));
  return remount_bind(fd_path(top.get()), extra, destination);
}

Result<void> mount_all(const oci::Spec& spec, int root_fd) {
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    TRY_CTX(mount_one(spec, spec.mounts[i], root_fd), "mounts[" + std::to_string(i) + "]");
  }
  return {};
}

}  // namespace hull::runtime::rootfs_detail
