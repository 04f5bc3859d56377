// `hull push`: an image of the local store to a registry. The stored manifest is sent byte
// for byte (so the pushed digest is the one `hull image inspect` shows); each blob it names
// is sent only when the repository lacks it (HEAD first): mounted from another repository of
// the same registry that the image is also named in, else uploaded from its file, in chunks
// when it is large.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/error.h"
#include "engine/image_store.h"
#include "engine/registry_client.h"

namespace hull::engine {

struct PushEvent {
  enum Kind { kExists, kMounted, kPushed } kind;
  std::string digest;  // the blob's
  std::string from;    // kMounted: the repository it was mounted from
};

// Blobs larger than this go up in PATCHes of this size: a registry (or a proxy before it)
// may limit one request's body, and a broken connection costs one chunk, not the blob.
inline constexpr int64_t kPushChunk = 16 << 20;

struct PushOptions {
  RegistryOptions registry;
  int64_t chunk = kPushChunk;
  std::function<void(const PushEvent&)> on_event;
};

struct PushResult {
  std::string tag;
  std::string digest;  // of the manifest
  int64_t size = 0;    // of the manifest
};

base::Result<PushResult> push_image(const ImageStore& store, const std::string& ref,
                                    const PushOptions& options);

}  // namespace hull::engine
