// linux.resources on its own: the document `hull-oci update -r` reads (as runc, the
// linux.resources object of config.json) and the byte sizes that update's flags take.
// Parsing only; the cgroup layer applies the result.
#pragma once

#include <cstdint>
#include <string>

#include "base/error.h"
#include "oci/spec.h"

namespace hull::oci {

// Parses a linux.resources object with the same rules as config.json. Errors name the JSON
// path inside the document: "memory.limit: expected a number".
base::Result<Resources> parse_resources(const std::string& json_text);

// A size in bytes as `update --memory` takes it: a number with an optional binary suffix
// k, m, g, t or p (any case, then optional "i" and "b": "512m", "1.5g", "64MiB", "100 kb"),
// or -1 for unlimited.
base::Result<int64_t> parse_byte_size(const std::string& text);

}  // namespace hull::oci
