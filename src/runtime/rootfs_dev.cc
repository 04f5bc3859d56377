// /dev inside the rootfs: the device nodes every container gets, config.json's
// linux.devices, and the links programs expect (/dev/fd, /dev/stdin…, /dev/ptmx).
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "oci/mount_options.h"
#include "runtime/path_in_root.h"
#include "runtime/rootfs_internal.h"

namespace hull::runtime::rootfs_detail {

using base::Error;
using base::Fd;
using base::Result;

namespace {

const std::vector<oci::Device>& default_devices() {
  static const std::vector<oci::Device> devices = {
      {"/dev/null", 'c', 1, 3, 0666, 0, 0},    {"/dev/zero", 'c', 1, 5, 0666, 0, 0},
      {"/dev/full", 'c', 1, 7, 0666, 0, 0},    {"/dev/random", 'c', 1, 8, 0666, 0, 0},
      {"/dev/urandom", 'c', 1, 9, 0666, 0, 0}, {"/dev/tty", 'c', 5, 0, 0666, 0, 0},
  };
  return devices;
}

// A /dev bound from the host (or elsewhere) is used as it is, as runc does.
bool needs_dev_setup(const oci::Spec& spec) {
  for (const auto& m : spec.mounts) {
    std::string dest = m.destination;
    while (dest.size() > 1 && dest.back() == '/') dest.pop_back();
    if (dest != "/dev") continue;
    if (oci::parse_mount_options(m.options).is_bind() || m.type == "bind") return false;
  }
  return true;
}

// A user namespace may not make device nodes (mknod is refused for all but whiteouts), but
// it may use the host's: bind the host's node of the same path over an empty file.
Result<void> bind_device(const oci::Device& d, int root_fd) {
  ASSIGN_OR_RETURN(Fd target, open_in_root(root_fd, d.path, Create::kFile));
  return do_mount(d.path, fd_path(target.get()), "", MS_BIND, "", d.path);
}

Result<mode_t> node_type(const oci::Device& d) {
  switch (d.type) {
    case 'c':
    case 'u':
      return S_IFCHR;
    case 'b':
      return S_IFBLK;
    case 'p':
      return S_IFIFO;
    default:
      return Error(d.path + ": unknown device type '" + std::string(1, d.type) + "'", EINVAL);
  }
}

Result<void> make_device(const oci::Device& d, int root_fd, const RootfsOptions& opt) {
  if (opt.in_user_namespace) return bind_device(d, root_fd);
  size_t slash = d.path.rfind('/');
  std::string name = slash == std::string::npos ? d.path : d.path.substr(slash + 1);
  std::string dir = slash == std::string::npos ? "" : d.path.substr(0, slash);
  if (name.empty() || name == "." || name == "..") {
    return Error(d.path + ": not a path to a device node", EINVAL);
  }
  ASSIGN_OR_RETURN(mode_t type, node_type(d));
  ASSIGN_OR_RETURN(Fd parent, open_in_root(root_fd, dir, Create::kDirectory));
  const mode_t perm = d.file_mode.value_or(0666) & 07777;
  const dev_t rdev = makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor));
  if (::mknodat(parent.get(), name.c_str(), type | perm, rdev) != 0) {
    // Already there: the rootfs's own /dev (no tmpfs mounted on it) keeps its nodes.
    if (errno == EEXIST) return {};
    // Refused though we were not told of a user namespace (a joined one, or an LSM).
    if (errno == EPERM) return bind_device(d, root_fd);
    return Error("mknod " + d.path + " (" + std::string(1, d.type) + " " + std::to_string(d.major) +
                     ":" + std::to_string(d.minor) + ")",
                 errno);
  }
  // mknod applied our umask; the node gets exactly the mode asked for.
  if (::fchmodat(parent.get(), name.c_str(), perm, 0) != 0) return Error("chmod " + d.path, errno);
  if (::fchownat(parent.get(), name.c_str(), d.uid.value_or(0), d.gid.value_or(0),
                 AT_SYMLINK_NOFOLLOW) != 0) {
    return Error("chown " + d.path, errno);
  }
  return {};
}

Result<void> make_link(int dev_fd, const char* name, const char* target) {
  if (::symlinkat(target, dev_fd, name) == 0 || errno == EEXIST) return {};
  return Error(std::string("symlink /dev/") + name + " -> " + target, errno);
}

Result<void> make_links(int root_fd) {
  ASSIGN_OR_RETURN(Fd dev, open_in_root(root_fd, "/dev", Create::kDirectory));
  struct Link {
    const char* name;
    const char* target;
  };
  constexpr Link kLinks[] = {
      {"fd", "/proc/self/fd"},
      {"stdin", "/proc/self/fd/0"},
      {"stdout", "/proc/self/fd/1"},
      {"stderr", "/proc/self/fd/2"},
  };
  for (const auto& l : kLinks) TRY(make_link(dev.get(), l.name, l.target));
  // Only where the host has one (we still see the host's /proc): a dangling link misleads.
  if (::access("/proc/kcore", F_OK) == 0) TRY(make_link(dev.get(), "core", "/proc/kcore"));
  // A ptmx node would open the host's initial devpts instance; the link reaches the
  // container's own instance at /dev/pts. An existing link is the user's choice.
  struct stat st;
  if (::fstatat(dev.get(), "ptmx", &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISLNK(st.st_mode)) return {};
    if (::unlinkat(dev.get(), "ptmx", 0) != 0) return Error("remove /dev/ptmx", errno);
  } else if (errno != ENOENT) {
    return Error("stat /dev/ptmx", errno);
  }
  return make_link(dev.get(), "ptmx", "pts/ptmx");
}

}  // namespace

Result<void> setup_dev(const oci::Spec& spec, int root_fd, const RootfsOptions& opt) {
  if (!needs_dev_setup(spec)) return {};
  for (const auto& d : default_devices()) TRY(make_device(d, root_fd, opt));
  const auto& devices = spec.linux.devices;
  for (size_t i = 0; i < devices.size(); ++i) {
    TRY_CTX(make_device(devices[i], root_fd, opt), "linux.devices[" + std::to_string(i) + "]");
  }
  return make_links(root_fd);
}

}  // namespace hull::runtime::rootfs_detail
