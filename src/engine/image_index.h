// The store's index (<root>/index.json): every image with its blobs and layers, and the
// names pointing at them. Written whole and atomically (temp file + rename) while holding
// an exclusive flock on <root>/index.lock, so concurrent writers never lose an update and
// readers, who take no lock, always see a complete file.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/fd.h"

namespace hull::engine {

struct LayerRecord {
  std::string diff_id;     // "sha256:<hex>" of the uncompressed tar: layers/<hex>
  std::string digest;      // "sha256:<hex>" of the blob as stored: blobs/sha256/<hex>
  std::string media_type;  // as in the manifest
  int64_t blob_size = 0;
  int64_t size = 0;  // bytes of regular files unpacked
};

struct ImageRecord {
  std::string id;               // "sha256:<hex>" of the config blob
  std::string manifest_digest;  // "sha256:<hex>"
  std::vector<LayerRecord> layers;  // bottom first
  std::string created;
  std::string loaded;  // when it came into this store
};

struct ImageIndex {
  std::map<std::string, ImageRecord> images;  // by id
  std::map<std::string, std::string> tags;    // familiar "name:tag" -> id

  std::vector<std::string> tags_of(const std::string& id) const;
  // The record of a layer with this diff_id and blob digest, if some image has it.
  const LayerRecord* find_layer(const std::string& diff_id, const std::string& digest) const;
};

base::Result<ImageIndex> read_index(const std::string& path);  // a missing file: empty
base::Result<void> write_index(const std::string& path, const ImageIndex& index);

// Exclusive flock on <root>/index.lock for as long as the object lives.
class IndexLock {
 public:
  static base::Result<IndexLock> take(const std::string& root);

 private:
  explicit IndexLock(base::Fd fd) : fd_(std::move(fd)) {}
  base::Fd fd_;
};

}  // namespace hull::engine
