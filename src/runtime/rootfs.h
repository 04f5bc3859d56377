// The container's root filesystem, built by the child inside its new mount namespace:
// propagation, the rootfs bind, config.json's mounts in order (targets resolved inside the
// rootfs, never through a symlink out of it), /dev, pivot_root, masked and read-only paths.
#pragma once

#include "base/error.h"
#include "oci/spec.h"

namespace hull::runtime {

struct RootfsOptions {
  bool no_pivot = false;
  // In a new user namespace device nodes cannot be made: default devices are bind-mounted
  // from the host's /dev instead of made with mknod.
  bool in_user_namespace = false;
  // Mounted on root.path instead of binding root.path onto itself (container.h).
  const struct Overlay* overlay = nullptr;
};

// Before pivot: makes "/" rslave (or spec.linux.rootfsPropagation) so nothing leaks to the
// host, binds root.path onto itself, performs spec.mounts in order, creates the default /dev
// nodes and links (/dev/fd, stdin/out/err, ptmx) and linux.devices.
base::Result<void> prepare_rootfs(const oci::Spec& spec, const RootfsOptions& opt);

// pivot_root into root.path (or MS_MOVE + chroot with no_pivot); leaves cwd at "/".
base::Result<void> enter_rootfs(const oci::Spec& spec, const RootfsOptions& opt);

// After pivot: maskedPaths, readonlyPaths, readonly root, rootfsPropagation of "/".
base::Result<void> finish_rootfs(const oci::Spec& spec);

}  // namespace hull::runtime
