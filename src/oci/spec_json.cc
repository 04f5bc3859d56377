// The typed JSON view used by the spec parser (see spec_internal.h).
#include <cstdint>
#include <limits>

#include "oci/spec_internal.h"

namespace hull::oci::detail {

namespace {

bool is_identifier(std::string_view key) {
  if (key.empty() || (key[0] >= '0' && key[0] <= '9')) return false;
  for (char c : key) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string child_path(const std::string& parent, std::string_view key) {
  if (is_identifier(key)) {
    return parent.empty() ? std::string(key) : parent + "." + std::string(key);
  }
  return parent + "[" + quote(std::string(key)) + "]";
}

std::string index_path(const std::string& parent, size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

std::string quote(const std::string& s) {
  // Parsed strings are valid UTF-8; replace rather than throw for anything else.
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

base::Error spec_error(const std::string& path, const std::string& problem) {
  return base::Error((path.empty() ? std::string("config.json") : path) + ": " + problem);
}

void Node::fail(const std::string& problem) const { throw SpecError{path_, problem}; }

Node Node::get(std::string_view key) const {
  if (!present()) return Node(nullptr, child_path(path_, key));
  if (!j_->is_object()) fail("expected an object");
  auto it = j_->find(key);
  return Node(it == j_->end() ? nullptr : &*it, child_path(path_, key));
}

Node Node::required(std::string_view key) const {
  Node c = get(key);
  if (!c.present()) c.fail("missing");
  return c;
}

void Node::each(const std::function<void(const Node&)>& fn) const {
  if (!present()) return;
  if (!j_->is_array()) fail("expected an array");
  for (size_t i = 0; i < j_->size(); ++i) fn(Node(&(*j_)[i], index_path(path_, i)));
}

void Node::each_field(const std::function<void(const std::string&, const Node&)>& fn) const {
  if (!present()) return;
  if (!j_->is_object()) fail("expected an object");
  for (auto it = j_->begin(); it != j_->end(); ++it) {
    fn(it.key(), Node(&it.value(), child_path(path_, it.key())));
  }
}

std::string Node::as_string() const {
  if (!present()) fail("missing");
  if (!j_->is_string()) fail("expected a string");
  return j_->get<std::string>();
}

bool Node::as_bool() const {
  if (!present()) fail("missing");
  if (!j_->is_boolean()) fail("expected a boolean");
  return j_->get<bool>();
}

// Integers only: JSON 1.5 or 1e3 is not a count of anything in config.json, and Go's decoder
// (what other runtimes use) rejects them for integer fields too.
uint64_t Node::as_u64() const {
  if (!present()) fail("missing");
  if (!j_->is_number()) fail("expected a number");
  if (!j_->is_number_unsigned()) fail("expected an unsigned 64-bit number");
  return j_->get<uint64_t>();
}

uint32_t Node::as_u32() const {
  if (!present()) fail("missing");
  if (!j_->is_number()) fail("expected a number");
  if (!j_->is_number_unsigned() || j_->get<uint64_t>() > std::numeric_limits<uint32_t>::max()) {
    fail("expected an unsigned 32-bit number");
  }
  return static_cast<uint32_t>(j_->get<uint64_t>());
}

int64_t Node::as_i64() const {
  if (!present()) fail("missing");
  if (!j_->is_number()) fail("expected a number");
  bool ok = j_->is_number_integer() &&
            (!j_->is_number_unsigned() ||
             j_->get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()));
  if (!ok) fail("expected a signed 64-bit number");
  return j_->get<int64_t>();
}

int Node::as_int() const {
  if (!present()) fail("missing");
  if (!j_->is_number()) fail("expected a number");
  bool ok = j_->is_number_integer();
  if (ok && j_->is_number_unsigned()) {
    ok = j_->get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int>::max());
  } else if (ok) {
    ok = j_->get<int64_t>() >= std::numeric_limits<int>::min();
  }
  if (!ok) fail("expected a signed 32-bit number");
  return static_cast<int>(j_->get<int64_t>());
}

std::vector<std::string> Node::as_strings() const {
  if (!present()) fail("missing");
  std::vector<std::string> out;
  each([&](const Node& e) { out.push_back(e.as_string()); });
  return out;
}

std::map<std::string, std::string> Node::as_string_map() const {
  if (!present()) fail("missing");
  std::map<std::string, std::string> out;
  each_field([&](const std::string& key, const Node& v) { out[key] = v.as_string(); });
  return out;
}

std::optional<uint32_t> Node::opt_u32(std::string_view key) const {
  Node c = get(key);
  if (!c.present()) return std::nullopt;
  return c.as_u32();
}

std::optional<uint64_t> Node::opt_u64(std::string_view key) const {
  Node c = get(key);
  if (!c.present()) return std::nullopt;
  return c.as_u64();
}

std::optional<int64_t> Node::opt_i64(std::string_view key) const {
  Node c = get(key);
  if (!c.present()) return std::nullopt;
  return c.as_i64();
}

std::optional<int> Node::opt_int(std::string_view key) const {
  Node c = get(key);
  if (!c.present()) return std::nullopt;
  return c.as_int();
}

void require_absolute(const Node& n, const std::string& value) {
  if (value.empty() || value[0] != '/') n.fail("must be an absolute path");
}

void require_env_entry(const Node& n, const std::string& value) {
  if (value.find('=') == std::string::npos) {
    n.fail("expected NAME=VALUE, got " + quote(value));
  }
}

}  // namespace hull::oci::detail
