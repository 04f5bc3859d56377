// One layer tarball into one directory usable as an overlayfs lowerdir: streamed once through
// libarchive, hashing the bytes read (the blob digest) and the uncompressed tar (the diff_id)
// on the way, with OCI whiteouts converted to overlayfs' form and nothing written outside.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"

namespace hull::engine {

enum class Compression { kNone, kGzip, kXz, kZstd, kBzip2 };

// From the first bytes of a blob (magic numbers).
Compression detect_compression(std::string_view head);
// The OCI layer media type of a tar with that compression; "" for xz and bzip2, which OCI
// has no media type for.
std::string layer_media_type(Compression c);

struct UnpackedLayer {
  std::string digest;   // "sha256:<hex>" of the bytes read from in_fd
  std::string diff_id;  // "sha256:<hex>" of the uncompressed tar
  int64_t size = 0;     // bytes of regular files in it
};

struct UnpackOptions {
  int raw_tee_fd = -1;  // when >= 0, receives a copy of the bytes read (the blob as is)
  int tar_tee_fd = -1;  // when >= 0, receives a copy of the uncompressed tar
};

// Unpacks the tar (plain, gzip, xz, zstd, bzip2) read from in_fd into dir, an existing empty
// directory (absolute path). Entries with an absolute path or "..", links out of dir and
// overlay xattrs in the tar are refused or dropped; owners, modes, times and xattrs kept.
// `.wh.NAME` becomes a 0/0 character device NAME, `.wh..wh..opq` the xattr
// trusted.overlay.opaque=y on its directory. Not thread-safe: it changes the working
// directory while it runs (libarchive resolves names against it).
base::Result<UnpackedLayer> unpack_layer(int in_fd, const std::string& dir,
                                         const UnpackOptions& options = {});

}  // namespace hull::engine
