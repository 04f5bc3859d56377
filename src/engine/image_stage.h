// How an image enters the store: its blobs and unpacked layers are prepared in a private
// temporary directory under <root>/tmp (the slow part, no lock held), then installed by
// renames under the index lock together with the index update. A failure at any point
// leaves the store as it was: the staging directory is removed by its destructor.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "engine/image_index.h"

namespace hull::engine {

class Staging {
 public:
  static base::Result<Staging> make(const std::string& store_root);
  Staging(Staging&& o) noexcept : dir_(std::move(o.dir_)) { o.dir_.clear(); }
  Staging& operator=(Staging&&) = delete;
  ~Staging();

  const std::string& dir() const { return dir_; }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

 private:
  explicit Staging(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

struct StagedLayer {
  LayerRecord record;
  std::string blob;  // the blob, in the staging dir
  std::string dir;   // its unpacked tree in the staging dir, "" when the store has it already
};

struct StagedImage {
  std::string config;    // the config blob, byte for byte
  std::string manifest;  // the manifest blob, byte for byte
  std::vector<StagedLayer> layers;  // bottom first
  std::vector<std::string> tags;    // familiar "name:tag"
  std::string created;
};

// Paths of the store.
std::string blob_path(const std::string& root, const std::string& digest);
std::string layer_path(const std::string& root, const std::string& diff_id);
base::Result<void> ensure_store_dirs(const std::string& root);

// An OCI image manifest for a config blob and its layers.
std::string make_manifest(const std::string& config, const std::vector<LayerRecord>& layers);

// Unpacks a layer blob (in the staging dir) into a new dir of the staging dir.
base::Result<StagedLayer> stage_layer(const Staging& st, const std::string& blob,
                                      const std::string& media_type);

// Under the index lock: moves blobs and layers into place (what another process put there
// first wins, ours is dropped), writes config and manifest blobs, records the images and
// moves their tags to them. Returns the ids, in order.
base::Result<std::vector<std::string>> install(const std::string& root, const Staging& st,
                                               const std::vector<StagedImage>& images);

// With the index lock held: removes layers, blobs and dead processes' staging dirs that no
// image of `index` references.
base::Result<void> collect_garbage(const std::string& root, const ImageIndex& index);

}  // namespace hull::engine
