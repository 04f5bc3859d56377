// Parsers for the values of `hull run` flags that are not mounts: sizes (512m), durations
// (1h30m), CPU counts (1.5), CPU lists (0-3), ulimits (nofile=1024:2048), KEY=VALUE words and
// env files. Pure; errors say what was expected, and flag_error() puts the flag and the value
// in front: `--memory "12x": expected a size such as 512m or 1g`.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/error.h"
#include "oci/spec.h"

namespace hull::engine::spec_detail {

// "\"text\"": how a value is quoted in every message.
std::string quote(const std::string& text);
// `--flag "value"`: the context every flag error carries.
std::string flag_at(const std::string& flag, const std::string& value);
// Error(problem) in the context of flag_at(flag, value).
base::Error flag_error(const std::string& flag, const std::string& value,
                       const std::string& problem);

// Docker's sizes: a number (decimals allowed) and an optional binary unit b, k, m, g, t or p,
// case-insensitive, optionally followed by "b" or "ib" ("1g", "512MB", "1.5GiB"); bytes.
base::Result<int64_t> parse_size(const std::string& text);

// Durations as a sum of parts with units ms, s, m, h, d ("90s", "1h30m", "2d", "1.5h"), with an
// optional leading "-"; "0" alone is zero. nanosecs is always 0..999999999, as timens wants.
base::Result<oci::TimeOffset> parse_duration(const std::string& text);

// --cpus: a decimal number of CPUs, kept exactly in billionths ("1.5" -> 1500000000).
base::Result<int64_t> parse_nano_cpus(const std::string& text);

// --cpuset-cpus: "0-3,5" (ranges ascending); returned as typed.
base::Result<std::string> parse_cpu_list(const std::string& text);

// A decimal integer, optionally negative, that fits in int64.
base::Result<int64_t> parse_int(const std::string& text);

// "a,b,,c" at ',' -> {"a", "b", "", "c"}: every field, empty ones too ("" -> {""}).
std::vector<std::string> split(const std::string& text, char sep);

// "KEY=VALUE" -> {KEY, VALUE, true}; "KEY" -> {KEY, "", false}.
struct KeyValue {
  std::string key;
  std::string value;
  bool has_value = false;
};
KeyValue split_key_value(const std::string& text);

// --ulimit NAME=SOFT[:HARD] as a process.rlimits entry; -1 or "unlimited" is RLIM_INFINITY.
// NAME is docker's (nofile, nproc, core…), the OCI type without RLIMIT_ in lower case.
base::Result<nlohmann::json> parse_ulimit(const std::string& text);

// An --env-file: KEY=VALUE lines; blank lines and lines starting with # are skipped; a line
// with a KEY alone takes its value from our environment, or is dropped if it is unset (as
// docker does). Errors name the line: `line 3: variable "A B" contains whitespace`.
base::Result<std::vector<std::string>> parse_env_file(const std::string& text);

// -e KEY=VALUE, or KEY alone: taken from our environment, or nothing if unset.
base::Result<std::optional<std::string>> parse_env_word(const std::string& text);

}  // namespace hull::engine::spec_detail
