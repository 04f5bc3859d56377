// The local image store: content-addressed blobs (sha256) with OCI image semantics, layers
// unpacked once (whiteouts converted for overlayfs) and shared between images, and an index
// of names. Sources: rootfs tarballs (import), docker-save and OCI archives (load).
// Layout under <root>/images: see docs/engine-images.md.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/fd.h"
#include "engine/image_config.h"

namespace hull::engine {

struct Image {
  std::string id;  // "sha256:<hex>" of the config blob, as docker's image id
  std::vector<std::string> tags;  // "busybox:latest", "localhost:5000/app:1"
  std::string manifest_digest;    // "sha256:<hex>"
  ImageConfig config;
  std::vector<std::string> diff_ids;    // "sha256:<hex>", bottom layer first
  std::vector<std::string> layer_dirs;  // absolute unpacked layer dirs, bottom first
  int64_t size = 0;                     // bytes of the unpacked layers
  std::string created;
};

struct ImageIndex;

class ImageStore {
 public:
  explicit ImageStore(std::string root);  // root: Paths::images(); made absolute
  const std::string& root() const { return root_; }

  // By name[:tag] (":latest" implied), by full id, or by a unique id prefix (>= 4 hex).
  base::Result<Image> find(const std::string& ref) const;
  std::vector<Image> list() const;

  // A rootfs tarball (plain, gzip, xz, zstd) as a one-layer image named ref.
  base::Result<Image> import_rootfs(const std::string& tarball, const std::string& ref,
                                    const ImageConfig& config);
  // A docker-save or OCI archive (as `skopeo copy … docker-archive:`/`oci-archive:` make);
  // returns the images loaded, with their tags.
  base::Result<std::vector<Image>> load(const std::string& archive);
  // Writes the images as a docker-save archive (which docker, podman and hull load).
  base::Result<void> save(const std::vector<std::string>& refs, const std::string& out_path);
  base::Result<void> tag(const std::string& ref, const std::string& new_ref);
  // Untags ref; removes the image when no tag is left (or when ref is an id). An image in
  // `in_use` (ids) is refused unless force; layers no other image holds are deleted.
  // Returns docker-style lines ("Untagged: …", "Deleted: sha256:…").
  base::Result<std::vector<std::string>> remove(const std::string& ref, bool force,
                                                const std::set<std::string>& in_use);
  // Removes dangling (untagged) images, or with all every image not in use, and the blobs
  // kept in downloads/ when no pull is running.
  base::Result<std::vector<std::string>> prune(bool all, const std::set<std::string>& in_use);

  // downloads/: blobs verified by a pull that failed later on, waiting for the next pull.
  // A pull holds this shared lock on the directory (created if missing) while it runs.
  std::string downloads() const { return root_ + "/downloads"; }
  base::Result<base::Fd> hold_downloads() const;

 private:
  base::Result<Image> image_of(const ImageIndex& index, const std::string& id) const;
  base::Result<void> clear_downloads() const;

  std::string root_;
};

}  // namespace hull::engine
