// Image references as docker parses them: [registry[:port]/]repository[:tag][@sha256:hex].
// docker.io is the default registry and its one-component names live under library/. Pure:
// the image store keys its names by familiar() and a later registry client uses the parts.
#pragma once

#include <string>

#include "base/error.h"
#include "base/hex.h"

namespace hull::engine {

inline constexpr const char* kDefaultRegistry = "docker.io";

struct ImageRef {
  std::string registry;    // "docker.io", "localhost:5000", "quay.io"
  std::string repository;  // "library/busybox", "app"
  std::string tag;         // "latest" when neither tag nor digest was given
  std::string digest;      // "sha256:<64 hex>" or ""

  // registry/repository: "docker.io/library/busybox".
  std::string name() const;
  // The short form docker prints: "busybox:latest", "user/app:1", "localhost:5000/app:1".
  std::string familiar() const;
  // Everything spelled out: "docker.io/library/busybox:latest".
  std::string full() const;
};

// Parses and normalises a reference; the error names it ("invalid reference "Bad": …").
base::Result<ImageRef> parse_image_ref(const std::string& text);

// "sha256:<64 lower-case hex>".
bool is_digest(const std::string& text);
using base::is_hex;  // non-empty, 0-9a-f only

}  // namespace hull::engine
