// `hull pull`: an image from a registry into the local store. Manifests (and an index's
// platform entry) are fetched, layers the store lacks are downloaded in parallel, verified
// while they stream and unpacked as each arrives, and the image is installed under the
// index lock like a load. Verified blobs of a pull that failed are kept in
// <root>/downloads/ so the next pull does not fetch them again.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/image_store.h"
#include "engine/registry_client.h"

namespace hull::engine {

struct PullEvent {
  enum Kind { kResolved, kExists, kProgress, kDone } kind;
  std::string digest;  // the layer's blob digest (kExists, kProgress, kDone)
  int64_t bytes = 0;   // so far
  int64_t size = 0;    // the blob's size
};

struct PullOptions {
  std::string platform;  // "os/arch[/variant]"; "" for this machine's
  RegistryOptions registry;
  std::function<void(const PullEvent&)> on_event;
};

struct PullResult {
  Image image;
  std::string familiar;  // "busybox:latest"
  std::string digest;    // what the reference resolved to (an index's digest for a tag)
  bool updated = false;  // false: the store had this image under this name already
};

base::Result<PullResult> pull_image(ImageStore& store, const std::string& ref,
                                    const PullOptions& options);

// `hull run` of an image the store lacks: the image by ref, pulled quietly when not present,
// with registry_options() given no flags (the environment, then the engine root's auth.json:
// the store is <engine root>/images). nullopt: not in the store and not a name to pull; an
// id (prefix) the store's own error.
base::Result<std::optional<Image>> find_or_pull(ImageStore& store, const std::string& ref);

}  // namespace hull::engine
