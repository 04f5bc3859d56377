// Resolving a container path inside a rootfs through dirfds, one component at a time:
// absolute symlinks are read relative to the rootfs (container semantics), and a symlink or
// ".." that would climb above the rootfs is an error that names it. Nothing is ever
// resolved by string concatenation against the host's tree.
#pragma once

#include <string>

#include "base/error.h"
#include "base/fd.h"

namespace hull::runtime {

enum class Create { kNone, kDirectory, kFile };

// Opens `path` (relative to root_fd, leading "/" ignored) as O_PATH. With kDirectory or
// kFile, missing components are made as directories (mode 0755) and a missing last
// component as the given kind (files mode 0644). The result is safe to mount on through
// "/proc/self/fd/N".
base::Result<base::Fd> open_in_root(int root_fd, const std::string& path, Create create);

}  // namespace hull::runtime
