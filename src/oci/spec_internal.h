// Internal to spec parsing (spec_parse*.cc, spec_validate.cc): a read-only view of one JSON
// value and its path. Typed getters throw SpecError naming that path; parse_spec() catches it,
// so no exception leaves oci/. Errors read "process.user.uid: expected a number".
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "oci/spec.h"

namespace hull::oci::detail {

struct SpecError {
  std::string path;
  std::string problem;
};

// "process" + "user" -> "process.user"; keys that are not identifiers are quoted:
// "linux.sysctl" + "net.ipv4.ip_forward" -> linux.sysctl["net.ipv4.ip_forward"].
std::string child_path(const std::string& parent, std::string_view key);
std::string index_path(const std::string& parent, size_t index);
// The error the parser returns for `path` (the document itself when path is empty).
// A string as a JSON literal, for quoting values in messages: "CAP_FOO" with its quotes.
std::string quote(const std::string& s);
base::Error spec_error(const std::string& path, const std::string& problem);

class Node {
 public:
  Node(const nlohmann::json* j, std::string path) : j_(j), path_(std::move(path)) {}

  // Absent fields and JSON null both count as not present, as in Go's decoder.
  bool present() const { return j_ != nullptr && !j_->is_null(); }
  const std::string& path() const { return path_; }
  [[noreturn]] void fail(const std::string& problem) const;

  // An object's field, not present if missing; fails if this node is not an object.
  Node get(std::string_view key) const;
  // The same, failing with "<path>: missing" when absent.
  Node required(std::string_view key) const;
  // Elements of an array (nothing when not present).
  void each(const std::function<void(const Node&)>& fn) const;
  // Fields of an object (nothing when not present).
  void each_field(const std::function<void(const std::string&, const Node&)>& fn) const;

  // Typed values; each fails "missing" when not present and names the expected type.
  std::string as_string() const;
  bool as_bool() const;
  uint32_t as_u32() const;
  uint64_t as_u64() const;
  int64_t as_i64() const;
  int as_int() const;
  std::vector<std::string> as_strings() const;
  std::map<std::string, std::string> as_string_map() const;

  // Optional fields of this object: the default when absent.
  std::string string_or(std::string_view key, std::string def = "") const {
    Node c = get(key);
    return c.present() ? c.as_string() : def;
  }
  bool bool_or(std::string_view key, bool def) const {
    Node c = get(key);
    return c.present() ? c.as_bool() : def;
  }
  std::optional<uint32_t> opt_u32(std::string_view key) const;
  std::optional<uint64_t> opt_u64(std::string_view key) const;
  std::optional<int64_t> opt_i64(std::string_view key) const;
  std::optional<int> opt_int(std::string_view key) const;

 private:
  const nlohmann::json* j_;
  std::string path_;
};

// Checks shared by several sections.
void require_absolute(const Node& n, const std::string& value);
void require_env_entry(const Node& n, const std::string& value);

// The linux section (spec_parse_linux.cc) and the cross-field rules (spec_validate.cc).
Linux parse_linux(const Node& n);
// linux.resources alone: also the document of `update -r` (oci/resources.h).
Resources parse_resources(const Node& n);
base::Result<void> validate_spec(const Spec& spec);

}  // namespace hull::oci::detail
