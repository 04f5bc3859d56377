// Reference grammar of distribution/reference (what docker accepts), written out as small
// checks instead of one regular expression so each error can say what is wrong.
#include "engine/image_ref.h"

#include <cctype>

namespace hull::engine {

namespace {

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// path-component := [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)*
bool valid_component(const std::string& c) {
  if (c.empty() || !is_lower_alnum(c.front()) || !is_lower_alnum(c.back())) return false;
  for (size_t i = 0; i < c.size();) {
    if (is_lower_alnum(c[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < c.size() && !is_lower_alnum(c[j])) ++j;
    std::string sep = c.substr(i, j - i);
    bool dashes = sep.find_first_not_of('-') == std::string::npos;
    if (!(sep == "." || sep == "_" || sep == "__" || dashes)) return false;
    i = j;
  }
  return true;
}

// domain := host[:port], host a dot-separated list of [a-zA-Z0-9-] labels (or [v6]).
bool valid_domain(const std::string& d) {
  std::string host = d;
  size_t colon = d.rfind(':');
  if (!d.empty() && d.front() == '[') {
    size_t close = d.find(']');
    if (close == std::string::npos) return false;
    host = d.substr(0, close + 1);
    if (close + 1 < d.size()) {
      if (d[close + 1] != ':') return false;
      colon = close + 1;
    } else {
      colon = std::string::npos;
    }
  } else if (colon != std::string::npos) {
    host = d.substr(0, colon);
  }
  if (colon != std::string::npos) {
    std::string port = d.substr(colon + 1);
    if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos) return false;
  }
  if (host.empty()) return false;
  if (host.front() == '[') return host.size() > 2;
  size_t start = 0;
  while (start <= host.size()) {
    size_t dot = host.find('.', start);
    std::string label = host.substr(start, dot == std::string::npos ? dot : dot - start);
    if (label.empty() || label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    }
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return true;
}

// tag := [\w][\w.-]{0,127}
bool valid_tag(const std::string& t) {
  if (t.empty() || t.size() > 128) return false;
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  if (!word(t.front())) return false;
  for (char c : t) {
    if (!word(c) && c != '.' && c != '-') return false;
  }
  return true;
}

}  // namespace

bool is_digest(const std::string& text) {
  return text.size() == 71 && text.compare(0, 7, "sha256:") == 0 && is_hex(text.substr(7));
}

std::string ImageRef::name() const { return registry + "/" + repository; }

std::string ImageRef::familiar() const {
  std::string out;
  if (registry == kDefaultRegistry) {
    out = repository.compare(0, 8, "library/") == 0 && repository.find('/', 8) == std::string::npos
              ? repository.substr(8)
              : repository;
  } else {
    out = name();
  }
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

std::string ImageRef::full() const {
  std::string out = name();
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

base::Result<ImageRef> parse_image_ref(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return base::Error("invalid reference \"" + text + "\": " + why);
  };
  if (text.empty()) return bad("empty");
  ImageRef ref;
  std::string rest = text;
  if (size_t at = rest.find('@'); at != std::string::npos) {
    ref.digest = rest.substr(at + 1);
    rest = rest.substr(0, at);
    if (!is_digest(ref.digest)) return bad("digest must be sha256: and 64 lower-case hex digits");
  }
  // A ':' after the last '/' starts the tag; one before it belongs to a registry port.
  size_t slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    ref.tag = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
    if (!valid_tag(ref.tag)) return bad("tag \"" + ref.tag + "\" is not valid");
  }
  if (rest.empty()) return bad("no repository name");
  // The first component is a registry when it looks like a host: a dot, a port, localhost,
  // or upper case (which a repository may not have), as docker decides.
  size_t first = rest.find('/');
  std::string head = rest.substr(0, first);
  bool has_upper = false;
  for (char c : head) has_upper |= std::isupper(static_cast<unsigned char>(c)) != 0;
  if (first != std::string::npos &&
      (head.find_first_of(".:") != std::string::npos || head == "localhost" || has_upper)) {
    ref.registry = head;
    ref.repository = rest.substr(first + 1);
    if (!valid_domain(ref.registry)) return bad("registry \"" + ref.registry + "\" is not valid");
  } else {
    ref.registry = kDefaultRegistry;
    ref.repository = rest;
  }
  if (ref.registry == "index.docker.io") ref.registry = kDefaultRegistry;
  if (ref.registry == kDefaultRegistry && ref.repository.find('/') == std::string::npos) {
    ref.repository = "library/" + ref.repository;
  }
  for (char c : ref.repository) {
    if (std::isupper(static_cast<unsigned char>(c))) return bad("repository name must be lowercase");
  }
  size_t start = 0;
  for (;;) {
    size_t end = ref.repository.find('/', start);
    if (!valid_component(ref.repository.substr(start, end == std::string::npos ? end : end - start))) {
      return bad("repository \"" + ref.repository + "\" is not valid");
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  if (ref.name().size() > 255) return bad("name longer than 255 characters");
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";
  return ref;
}

}  // namespace hull::engine
