#include "runtime/rootfs.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

#include "base/sys.h"
#include "oci/mount_options.h"
#include "runtime/container.h"
#include "runtime/path_in_root.h"
#include "runtime/rootfs_internal.h"

namespace hull::runtime {

using base::Error;
using base::Fd;
using base::Result;

namespace rootfs_detail {

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

namespace {
const char* or_null(const std::string& s) { return s.empty() ? nullptr : s.c_str(); }

std::string describe(const std::string& source, const std::string& fstype, unsigned long flags,
                     const std::string& shown) {
  std::string names = oci::mount_flags_string(flags);
  std::string in_parens = names.empty() ? "" : " (" + names + ")";
  if (flags & MS_REMOUNT) return "remount " + shown + in_parens;
  constexpr unsigned long kPropagation = MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE;
  if ((flags & kPropagation) && source.empty()) return "set propagation of " + shown + in_parens;
  return "mount " + (source.empty() ? fstype : source) + " on " + shown + in_parens;
}

// The flags a remount has to repeat because the kernel locked them (see remount_bind).
unsigned long locked_flags(const struct statvfs& vfs, unsigned long requested) {
  unsigned long out = 0;
  if (vfs.f_flag & ST_RDONLY) out |= MS_RDONLY;
  if (vfs.f_flag & ST_NOSUID) out |= MS_NOSUID;
  if (vfs.f_flag & ST_NODEV) out |= MS_NODEV;
  if (vfs.f_flag & ST_NOEXEC) out |= MS_NOEXEC;
  // The atime mode is locked as a whole; if the caller named one, theirs is the only try.
  constexpr unsigned long kAtime = MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME;
  if ((requested & kAtime) == 0) {
    if (vfs.f_flag & ST_NOATIME) out |= MS_NOATIME;
    if (vfs.f_flag & ST_NODIRATIME) out |= MS_NODIRATIME;
    if (vfs.f_flag & ST_RELATIME) out |= MS_RELATIME;
  }
  return out;
}

std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3') {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}
}  // namespace

bool path_under(const std::string& path, const std::string& dir) {
  if (dir == "/") return !path.empty() && path[0] == '/';
  return path.compare(0, dir.size(), dir) == 0 &&
         (path.size() == dir.size() || path[dir.size()] == '/');
}

Result<void> do_mount(const std::string& source, const std::string& target,
                      const std::string& fstype, unsigned long flags, const std::string& data,
                      const std::string& shown) {
  if (::mount(or_null(source), target.c_str(), or_null(fstype), flags, or_null(data)) == 0) {
    return {};
  }
  Error e(describe(source, fstype, flags, shown), errno);
  if (e.code() == ENOSPC) e.hint("check /proc/sys/fs/mount-max");
  if (e.code() == EINVAL && !data.empty()) e.hint("filesystem options: " + data);
  return e;
}

Result<void> remount_bind(const std::string& target, unsigned long flags,
                          const std::string& shown) {
  const unsigned long want = MS_BIND | MS_REMOUNT | flags;
  auto r = do_mount("", target, "", want, "", shown);
  if (r || r.error().code() != EPERM) return r;
  struct statvfs vfs;
  if (::statvfs(target.c_str(), &vfs) != 0) return r;
  const unsigned long retry = want | locked_flags(vfs, flags);
  if (retry == want) return r;
  return do_mount("", target, "", retry, "", shown);
}

Result<std::vector<MountInfo>> read_mountinfo() {
  ASSIGN_OR_RETURN(std::string text, base::sys::read_file("/proc/self/mountinfo"));
  std::vector<MountInfo> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    // id parent major:minor root mount-point options [optional...] - fstype source super
    std::istringstream f(line);
    std::string id, parent, dev, root, mount_point, options, word;
    if (!(f >> id >> parent >> dev >> root >> mount_point >> options)) continue;
    MountInfo mi;
    mi.root = unescape(root);
    mi.mount_point = unescape(mount_point);
    while (f >> word && word != "-") mi.optional_fields.push_back(word);
    f >> mi.fstype >> mi.source >> mi.super_options;
    mi.source = unescape(mi.source);
    out.push_back(std::move(mi));
  }
  return out;
}

}  // namespace rootfs_detail

namespace {

using rootfs_detail::do_mount;
using rootfs_detail::remount_bind;

Result<unsigned long> root_propagation(const oci::Spec& spec) {
  const std::string& value = spec.linux.rootfs_propagation;
  // Default: rslave, so mounts made on the host still reach us but none of ours reach it.
  if (value.empty()) return MS_SLAVE | MS_REC;
  unsigned long p = oci::parse_mount_options({value}).propagation;
  if (p == 0) return Error("linux.rootfsPropagation: unknown value \"" + value + "\"", EINVAL);
  return p;
}

// pivot_root(2) refuses a new root whose parent mount is shared. With the default rslave
// nothing is; with rootfsPropagation "shared" the mount holding the rootfs is made private.
Result<void> make_parent_private(const std::string& root) {
  char real[PATH_MAX];
  if (::realpath(root.c_str(), real) == nullptr) return Error("realpath " + root, errno);
  ASSIGN_OR_RETURN(auto mounts, rootfs_detail::read_mountinfo());
  const rootfs_detail::MountInfo* parent = nullptr;
  for (const auto& mi : mounts) {
    // ">=": of mounts stacked on one point the last listed is the one on top.
    if (rootfs_detail::path_under(real, mi.mount_point) &&
        (parent == nullptr || mi.mount_point.size() >= parent->mount_point.size())) {
      parent = &mi;
    }
  }
  if (parent == nullptr) return {};
  for (const auto& field : parent->optional_fields) {
    if (field.rfind("shared:", 0) == 0) {
      return do_mount("", parent->mount_point, "", MS_PRIVATE, "", parent->mount_point);
    }
  }
  return {};
}

// Masking: a read-only empty tmpfs over a directory, /dev/null over anything else.
Result<void> mask_path(int root_fd, const std::string& path) {
  auto fd = open_in_root(root_fd, path, Create::kNone);
  if (!fd) {
    if (fd.error().code() == ENOENT) return {};  // nothing there to hide
    return std::move(fd.error());
  }
  struct stat st;
  if (::fstat(fd->get(), &st) != 0) return Error("stat " + path, errno);
  if (S_ISDIR(st.st_mode)) {
    return do_mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                    "mode=755", path);
  }
  return do_mount("/dev/null", path, "", MS_BIND, "", path);
}

Result<void> readonly_path(int root_fd, const std::string& path) {
  auto fd = open_in_root(root_fd, path, Create::kNone);
  if (!fd) {
    if (fd.error().code() == ENOENT) return {};
    return std::move(fd.error());
  }
  // A bind onto itself makes the path a mount of its own, which can then be read-only alone.
  TRY(do_mount(path, path, "", MS_BIND | MS_REC, "", path));
  return remount_bind(path, MS_RDONLY | MS_REC, path);
}

// The filesystem context's own log says why overlayfs refused (a bad lower dir, say), which
// errno alone does not.
std::string fs_context_message(int fs) {
  char buf[512];
  ssize_t n = ::read(fs, buf, sizeof buf - 1);
  if (n <= 0) return "";
  while (n > 0 && buf[n - 1] == '\n') --n;
  buf[n] = 0;
  return std::string(": ") + (buf[0] && buf[1] == ' ' ? buf + 2 : buf);
}

// With the new mount API: every lower dir is one "lowerdir+" (kernel 6.8+), so no option
// string reaches the page-size limit however many layers an image has.
Result<void> mount_overlay(const Overlay& o, const std::string& target) {
  Fd fs(static_cast<int>(::syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC)));
  if (!fs) return Error("fsopen overlay", errno);
  auto set = [&](const char* key, const std::string& value) -> Result<void> {
    if (::syscall(SYS_fsconfig, fs.get(), FSCONFIG_SET_STRING, key, value.c_str(), 0) != 0) {
      int err = errno;
      return Error(std::string("overlay ") + key + "=" + value + fs_context_message(fs.get()), err);
    }
    return {};
  };
  for (auto it = o.lower_dirs.rbegin(); it != o.lower_dirs.rend(); ++it) {
    TRY(set("lowerdir+", *it));  // the first given is the top one
  }
  TRY(set("upperdir", o.upper_dir));
  TRY(set("workdir", o.work_dir));
  if (::syscall(SYS_fsconfig, fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    int err = errno;
    return Error("create overlay on " + target + fs_context_message(fs.get()), err);
  }
  Fd mnt(static_cast<int>(::syscall(SYS_fsmount, fs.get(), FSMOUNT_CLOEXEC, 0)));
  if (!mnt) return Error("fsmount overlay", errno);
  if (::syscall(SYS_move_mount, mnt.get(), "", AT_FDCWD, target.c_str(),
                MOVE_MOUNT_F_EMPTY_PATH) != 0) {
    return Error("move_mount overlay to " + target, errno);
  }
  return {};
}

}  // namespace

Result<void> prepare_rootfs(const oci::Spec& spec, const RootfsOptions& opt) {
  const std::string& root = spec.root.path;
  ASSIGN_OR_RETURN(unsigned long propagation, root_propagation(spec));
  TRY(do_mount("", "/", "", propagation, "", "/"));
  // Only a shared "/" can leave the rootfs's parent shared; skip reading mountinfo otherwise.
  if (propagation & MS_SHARED) TRY(make_parent_private(root));
  if (opt.overlay) {
    TRY_CTX(mount_overlay(*opt.overlay, root), "rootfs overlay");
  } else {
    // pivot_root needs the new root to be a mount point; binding it onto itself makes it one.
    TRY(do_mount(root, root, "", MS_BIND | MS_REC, "", root));
  }
  ASSIGN_OR_RETURN(Fd root_fd, base::sys::open(root, O_PATH | O_DIRECTORY));
  TRY(rootfs_detail::mount_all(spec, root_fd.get()));
  TRY(rootfs_detail::setup_dev(spec, root_fd.get(), opt));
  return {};
}

Result<void> enter_rootfs(const oci::Spec& spec, const RootfsOptions& opt) {
  const std::string& root = spec.root.path;
  if (::chdir(root.c_str()) != 0) return Error("chdir " + root, errno);
  if (opt.no_pivot) {
    // For roots pivot_root cannot leave (an initramfs): move the rootfs over "/" and chroot.
    TRY(do_mount(root, "/", "", MS_MOVE, "", "/"));
    if (::chroot(".") != 0) return Error("chroot " + root, errno);
  } else {
    // With new_root == put_old the old root ends up stacked on top of the new one at ".",
    // so no directory has to be made for it inside the container.
    if (::syscall(SYS_pivot_root, ".", ".") != 0) return Error("pivot_root " + root, errno);
    // Unmounting the old root must not propagate to the host's mounts, whatever "/" was.
    TRY(do_mount("", ".", "", MS_SLAVE | MS_REC, "", "the old root"));
    if (::umount2(".", MNT_DETACH) != 0) return Error("umount the old root", errno);
  }
  if (::chdir("/") != 0) return Error("chdir /", errno);
  return {};
}

Result<void> finish_rootfs(const oci::Spec& spec) {
  // We are inside the new root now: plain absolute paths cannot leave it, but each path is
  // still resolved with open_in_root first so that a link climbing out is reported.
  ASSIGN_OR_RETURN(Fd root_fd, base::sys::open("/", O_PATH | O_DIRECTORY));
  const auto& masked = spec.linux.masked_paths;
  for (size_t i = 0; i < masked.size(); ++i) {
    TRY_CTX(mask_path(root_fd.get(), masked[i]), "linux.maskedPaths[" + std::to_string(i) + "]");
  }
  const auto& readonly = spec.linux.readonly_paths;
  for (size_t i = 0; i < readonly.size(); ++i) {
    TRY_CTX(readonly_path(root_fd.get(), readonly[i]),
            "linux.readonlyPaths[" + std::to_string(i) + "]");
  }
  if (spec.root.readonly) TRY_CTX(remount_bind("/", MS_RDONLY, "/"), "root.readonly");
  if (!spec.linux.rootfs_propagation.empty()) {
    ASSIGN_OR_RETURN(unsigned long propagation, root_propagation(spec));
    TRY(do_mount("", "/", "", propagation, "", "/"));
  }
  return {};
}

}  // namespace hull::runtime
