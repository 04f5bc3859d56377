// `hull push`: an image of the local store to a registry. The stored manifest is sent byte
// for byte (so the pushed digest is the one `hull image inspect` shows); each blob it names
// is sent only when the repository lacks it (HEAD first), monolithically, from its file.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/error.h"
#include "engine/image_store.h"
#include "engine/registry_client.h"

namespace hull::engine {

struct PushEvent {
  enum Kind { kExists, kPushed } kind;
  std::string digest;  // the blob's
};

struct PushOptions {
  RegistryOptions registry;
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
