// Two libarchive readers in a chain: the outer one (format "raw", every filter) decompresses
// the blob, the inner one (tar) reads the outer one's output through a callback. The
// callbacks are where both digests are taken, so a layer is read exactly once.
#include "engine/image_layer.h"

#include "engine/archive_lib.h"
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "base/fd.h"
#include "base/sys.h"
#include "engine/image_digest.h"

namespace hull::engine {

namespace {

using ArchivePtr = std::unique_ptr<archive, int (*)(archive*)>;

constexpr int kExtractFlags =
    ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR |
    ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;

// Copies a block to a tee fd; false on a write error (errno set).
bool write_tee(int fd, const void* p, size_t n) {
  const char* c = static_cast<const char*>(p);
  while (fd >= 0 && n > 0) {
    ssize_t w = ::write(fd, c, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return false;
    c += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// The outer reader's source: the blob's fd; hashes what it hands out.
struct RawSource {
  int fd;
  int tee;
  Sha256Stream hash;
  char buf[1 << 16];
};

la_ssize_t raw_read(archive* a, void* data, const void** out) {
  auto* s = static_cast<RawSource*>(data);
  for (;;) {
    ssize_t n = ::read(s->fd, s->buf, sizeof s->buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      archive_set_error(a, errno, "read");
      return -1;
    }
    s->hash.update(s->buf, static_cast<size_t>(n));
    if (!write_tee(s->tee, s->buf, static_cast<size_t>(n))) {
      archive_set_error(a, errno, "write copy of the blob");
      return -1;
    }
    *out = s->buf;
    return n;
  }
}

// The inner reader's source: the outer reader's decompressed blocks; hashes the tar stream.
struct TarSource {
  archive* outer;
  int tee;
  Sha256Stream hash;
};

la_ssize_t tar_read(archive* a, void* data, const void** out) {
  auto* s = static_cast<TarSource*>(data);
  size_t size = 0;
  la_int64_t offset = 0;
  int r = archive_read_data_block(s->outer, out, &size, &offset);
  if (r == ARCHIVE_EOF) return 0;
  if (r < ARCHIVE_WARN) {
    archive_set_error(a, archive_errno(s->outer), "decompress: %s",
                      archive_error_string(s->outer));
    return -1;
  }
  s->hash.update(*out, size);
  if (!write_tee(s->tee, *out, size)) {
    archive_set_error(a, errno, "write copy of the tar");
    return -1;
  }
  return static_cast<la_ssize_t>(size);
}

// "./a/b" -> "a/b"; false for a name that would leave the layer (absolute, or a "..").
bool clean_name(std::string& name) {
  // "/" alone is the layer's root, as docker reads it (umoci writes one for the root dir).
  if (!name.empty() && name.find_first_not_of('/') == std::string::npos) name = ".";
  while (name.compare(0, 2, "./") == 0) name.erase(0, 2);
  if (!name.empty() && name.front() == '/') return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = std::min(name.find('/', start), name.size());
    if (name.compare(start, end - start, "..") == 0) return false;
    start = end + 1;
  }
  return true;
}

// Restores the working directory when the unpack is done, whatever happens.
class CwdGuard {
 public:
  static base::Result<std::unique_ptr<CwdGuard>> enter(const std::string& dir) {
    ASSIGN_OR_RETURN(base::Fd old, base::sys::open(".", O_PATH | O_DIRECTORY));
    if (::chdir(dir.c_str()) != 0) return base::sys_error("chdir " + dir, errno);
    return std::unique_ptr<CwdGuard>(new CwdGuard(std::move(old)));
  }
  ~CwdGuard() {
    if (::fchdir(old_.get()) != 0) {
      // Nothing sensible to do: the process keeps the layer dir as cwd, which is harmless.
    }
  }

 private:
  explicit CwdGuard(base::Fd old) : old_(std::move(old)) {}
  base::Fd old_;
};

// Opens a directory of the layer without following any symlink and without leaving it: a
// layer could have made "a" a symlink to "/etc" before sending "a/.wh..wh..opq".
base::Result<base::Fd> open_beneath(int root, const std::string& rel) {
  open_how how{};
  how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  int fd = static_cast<int>(::syscall(SYS_openat2, root, rel.empty() ? "." : rel.c_str(), &how,
                                      sizeof how));
  if (fd < 0) return base::sys_error("open " + rel, errno);
  return base::Fd(fd);
}

// Drops overlay xattrs a tar might carry: they would steer overlayfs (redirects, opaque dirs)
// in ways the layer's author should not control.
void drop_overlay_xattrs(archive_entry* e) {
  std::vector<std::tuple<std::string, std::string>> keep;
  bool dropped = false;
  const char* name;
  const void* value;
  size_t size;
  archive_entry_xattr_reset(e);
  while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
    std::string n = name;
    if (n.compare(0, 16, "trusted.overlay.") == 0 || n.compare(0, 13, "user.overlay.") == 0) {
      dropped = true;
    } else {
      keep.emplace_back(n, std::string(static_cast<const char*>(value), size));
    }
  }
  if (!dropped) return;
  archive_entry_xattr_clear(e);
  for (const auto& [n, v] : keep) archive_entry_xattr_add_entry(e, n.c_str(), v.data(), v.size());
}

class Unpacker {
 public:
  Unpacker(archive* in, archive* disk, int root) : in_(in), disk_(disk), root_(root) {}

  base::Result<void> entry(archive_entry* e) {
    std::string name = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
    const std::string shown = name;
    if (!clean_name(name)) return base::Error("entry " + shown + ": path leaves the layer");
    if (const char* link = archive_entry_hardlink(e)) {
      std::string target = link;
      if (!clean_name(target) || target.empty()) {
        return base::Error("entry " + shown + ": hard link to " + link + " leaves the layer");
      }
      archive_entry_set_hardlink(e, target.c_str());
    }
    if (name.empty() || name == ".") name = ".";
    size_t slash = name.rfind('/');
    std::string parent = slash == std::string::npos ? "" : name.substr(0, slash);
    std::string base = slash == std::string::npos ? name : name.substr(slash + 1);
    drop_overlay_xattrs(e);
    if (base == ".wh..wh..opq") {
      // Applied after the last entry: the directory may still be written by later entries.
      opaque_.push_back(parent);
      return ensure_dir(parent);
    }
    if (base.compare(0, 4, ".wh.") == 0) {
      std::string hidden = base.substr(4);
      if (hidden.empty() || hidden == "." || hidden == "..") {
        return base::Error("entry " + shown + ": whiteout of nothing");
      }
      name = hidden;
      if (!parent.empty()) name.insert(0, parent + "/");
      archive_entry_set_hardlink(e, nullptr);
      archive_entry_set_symlink(e, nullptr);
      archive_entry_set_filetype(e, AE_IFCHR);
      archive_entry_set_rdev(e, 0);
      archive_entry_set_size(e, 0);
      archive_entry_xattr_clear(e);
    }
    archive_entry_set_pathname(e, name.c_str());
    if (archive_write_header(disk_, e) < ARCHIVE_WARN) {
      return base::Error("entry " + shown + ": " + archive_error_string(disk_),
                         archive_errno(disk_));
    }
    if (archive_entry_filetype(e) == AE_IFREG) size_ += archive_entry_size(e);
    if (archive_entry_size(e) > 0) TRY(copy_data(shown));
    if (archive_write_finish_entry(disk_) < ARCHIVE_WARN) {
      return base::Error("entry " + shown + ": " + archive_error_string(disk_),
                         archive_errno(disk_));
    }
    return {};
  }

  base::Result<void> finish() {
    if (archive_write_close(disk_) < ARCHIVE_WARN) {
      return base::Error(std::string("finish: ") + archive_error_string(disk_),
                         archive_errno(disk_));
    }
    for (const auto& dir : opaque_) {
      ASSIGN_OR_RETURN(base::Fd fd, open_beneath(root_, dir));
      if (::fsetxattr(fd.get(), "trusted.overlay.opaque", "y", 1, 0) != 0) {
        return base::sys_error("setxattr trusted.overlay.opaque on " + (dir.empty() ? "/" : dir),
                               errno);
      }
    }
    return {};
  }

  int64_t size() const { return size_; }

 private:
  base::Result<void> copy_data(const std::string& shown) {
    const void* buf;
    size_t len;
    la_int64_t off;
    for (;;) {
      int r = archive_read_data_block(in_, &buf, &len, &off);
      if (r == ARCHIVE_EOF) return {};
      if (r < ARCHIVE_WARN) {
        return base::Error("entry " + shown + ": " + archive_error_string(in_), archive_errno(in_));
      }
      if (archive_write_data_block(disk_, buf, len, off) < ARCHIVE_WARN) {
        return base::Error("entry " + shown + ": " + archive_error_string(disk_),
                           archive_errno(disk_));
      }
    }
  }

  // An opaque marker may come before (or without) its directory's own entry.
  base::Result<void> ensure_dir(const std::string& dir) {
    if (dir.empty() || open_beneath(root_, dir)) return {};
    archive_entry* d = archive_entry_new();
    archive_entry_set_pathname(d, dir.c_str());
    archive_entry_set_filetype(d, AE_IFDIR);
    archive_entry_set_perm(d, 0755);
    int r = archive_write_header(disk_, d);
    archive_entry_free(d);
    if (r < ARCHIVE_WARN) {
      return base::Error("directory " + dir + ": " + archive_error_string(disk_),
                         archive_errno(disk_));
    }
    return {};
  }

  archive* in_;
  archive* disk_;
  int root_;
  int64_t size_ = 0;
  std::vector<std::string> opaque_;
};

}  // namespace

Compression detect_compression(std::string_view h) {
  auto starts = [&](std::string_view m) { return h.substr(0, m.size()) == m; };
  if (starts("\x1f\x8b")) return Compression::kGzip;
  if (starts(std::string_view("\xfd" "7zXZ\0", 6))) return Compression::kXz;
  if (starts("\x28\xb5\x2f\xfd")) return Compression::kZstd;
  if (starts("BZh")) return Compression::kBzip2;
  return Compression::kNone;
}

std::string layer_media_type(Compression c) {
  switch (c) {
    case Compression::kNone: return "application/vnd.oci.image.layer.v1.tar";
    case Compression::kGzip: return "application/vnd.oci.image.layer.v1.tar+gzip";
    case Compression::kZstd: return "application/vnd.oci.image.layer.v1.tar+zstd";
    default: return "";
  }
}

base::Result<UnpackedLayer> unpack_layer(int in_fd, const std::string& dir,
                                         const UnpackOptions& options) {
  RawSource raw{in_fd, options.raw_tee_fd, {}, {}};
  ArchivePtr outer(archive_read_new(), archive_read_free);
  archive_read_support_filter_all(outer.get());
  archive_read_support_format_raw(outer.get());
  if (archive_read_open(outer.get(), &raw, nullptr, raw_read, nullptr) != ARCHIVE_OK) {
    return base::Error(std::string("read layer: ") + archive_error_string(outer.get()));
  }
  archive_entry* e;
  int r = archive_read_next_header(outer.get(), &e);
  if (r == ARCHIVE_EOF) return base::Error("read layer: empty file");
  if (r < ARCHIVE_WARN) {
    return base::Error(std::string("read layer: ") + archive_error_string(outer.get()));
  }

  TarSource tar{outer.get(), options.tar_tee_fd, {}};
  ArchivePtr in(archive_read_new(), archive_read_free);
  archive_read_support_format_tar(in.get());
  if (archive_read_open(in.get(), &tar, nullptr, tar_read, nullptr) != ARCHIVE_OK) {
    return base::Error(std::string("read layer: ") + archive_error_string(in.get()));
  }
  ArchivePtr disk(archive_write_disk_new(), archive_write_free);
  archive_write_disk_set_options(disk.get(), kExtractFlags);

  ASSIGN_OR_RETURN(base::Fd root, base::sys::open(dir, O_RDONLY | O_DIRECTORY));
  UnpackedLayer out;
  {
    ASSIGN_OR_RETURN(auto cwd, CwdGuard::enter(dir));
    Unpacker u(in.get(), disk.get(), root.get());
    for (;;) {
      r = archive_read_next_header(in.get(), &e);
      if (r == ARCHIVE_EOF) break;
      if (r < ARCHIVE_WARN) {
        return base::Error(std::string("read layer: ") + archive_error_string(in.get()),
                           archive_errno(in.get()));
      }
      TRY(u.entry(e));
    }
    TRY(u.finish());
    out.size = u.size();
  }
  // The diff_id covers the whole stream, padding after the tar's end marker included, and
  // the digest every byte of the blob.
  const void* p;
  la_ssize_t n;
  while ((n = tar_read(in.get(), &tar, &p)) > 0) {
  }
  if (n < 0) {
    return base::Error(std::string("read layer: ") + archive_error_string(in.get()),
                       archive_errno(in.get()));
  }
  while ((n = raw_read(outer.get(), &raw, &p)) > 0) {
  }
  if (n < 0) {
    return base::Error(std::string("read layer: ") + archive_error_string(outer.get()),
                       archive_errno(outer.get()));
  }
  out.diff_id = tar.hash.digest();
  out.digest = raw.hash.digest();
  return out;
}

}  // namespace hull::engine
