#include "engine/registry_client.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "base/fd.h"
#include "base/sys.h"
#include "engine/curl_lib.h"
#include "engine/image_digest.h"

namespace hull::engine {

using nlohmann::json;

const char* const kManifestAccept =
    "application/vnd.oci.image.index.v1+json, "
    "application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.docker.distribution.manifest.v2+json";

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string url_escape(const std::string& s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

#if defined(__aarch64__)
constexpr const char* kArch = "arm64";
#else
constexpr const char* kArch = "amd64";
#endif

}  // namespace

// ---- pure ----

base::Result<AuthChallenge> parse_challenge(const std::string& header) {
  AuthChallenge c;
  size_t i = header.find_first_not_of(' ');
  size_t sp = header.find(' ', i == std::string::npos ? 0 : i);
  if (i == std::string::npos) return base::Error("empty WWW-Authenticate challenge");
  c.scheme = lower(header.substr(i, sp == std::string::npos ? std::string::npos : sp - i));
  i = sp;
  while (i != std::string::npos && i < header.size()) {
    i = header.find_first_not_of(" ,", i);
    if (i == std::string::npos) break;
    size_t eq = header.find('=', i);
    if (eq == std::string::npos) return base::Error("WWW-Authenticate: no '=' in " + header);
    std::string key = lower(header.substr(i, eq - i));
    std::string val;
    i = eq + 1;
    if (i < header.size() && header[i] == '"') {  // quoted-string with backslash escapes
      for (++i; i < header.size() && header[i] != '"'; ++i) {
        if (header[i] == '\\' && i + 1 < header.size()) ++i;
        val += header[i];
      }
      if (i >= header.size()) return base::Error("WWW-Authenticate: unterminated quote in " + header);
      ++i;
    } else {
      size_t end = header.find(',', i);
      val = header.substr(i, end == std::string::npos ? std::string::npos : end - i);
      i = end;
    }
    c.params[key] = val;
  }
  return c;
}

std::string token_url(const AuthChallenge& c, const std::string& repository) {
  std::string url = c.params.count("realm") ? c.params.at("realm") : "";
  char sep = url.find('?') == std::string::npos ? '?' : '&';
  if (c.params.count("service")) {
    url += sep + std::string("service=") + url_escape(c.params.at("service"));
    sep = '&';
  }
  std::string scope =
      c.params.count("scope") ? c.params.at("scope") : "repository:" + repository + ":pull";
  // A challenge may ask for several scopes, space-separated (a push that mounts from another
  // repository): token servers take each as a scope parameter of its own, as docker sends them.
  for (size_t start = 0; start < scope.size();) {
    size_t end = std::min(scope.find(' ', start), scope.size());
    if (end > start) {
      url += sep + std::string("scope=") + url_escape(scope.substr(start, end - start));
      sep = '&';
    }
    start = end + 1;
  }
  return url;
}

std::string registry_host(const ImageRef& ref) {
  return ref.registry == kDefaultRegistry ? "registry-1.docker.io" : ref.registry;
}

bool is_insecure_registry(const std::string& host, const std::vector<std::string>& insecure) {
  std::string name = host;
  if (name.rfind("[::1]", 0) == 0) return true;
  if (auto colon = name.rfind(':'); colon != std::string::npos) name = name.substr(0, colon);
  if (name == "localhost" || name == "127.0.0.1") return true;
  for (const auto& h : insecure) {
    if (h == host || h == name) return true;
  }
  return false;
}

std::string registry_base_url(const std::string& host, bool plain_http) {
  return (plain_http ? "http://" : "https://") + host;
}

std::string manifest_url(const std::string& base, const std::string& repository,
                         const std::string& reference) {
  return base + "/v2/" + repository + "/manifests/" + reference;
}

std::string manifest_url(const std::string& base, const ImageRef& ref) {
  return manifest_url(base, ref.repository, ref.digest.empty() ? ref.tag : ref.digest);
}

std::string blob_url(const std::string& base, const std::string& repository,
                     const std::string& digest) {
  return base + "/v2/" + repository + "/blobs/" + digest;
}

std::string Platform::str() const {
  return os + "/" + architecture + (variant.empty() ? "" : "/" + variant);
}

base::Result<Platform> parse_platform(const std::string& text) {
  Platform p;
  if (text.empty()) {
    p.architecture = kArch;
    return p;
  }
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t slash; (slash = text.find('/', start)) != std::string::npos; start = slash + 1) {
    parts.push_back(text.substr(start, slash - start));
  }
  parts.push_back(text.substr(start));
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty()) {
    return base::Error("invalid platform \"" + text + "\"").hint("expected os/arch[/variant]");
  }
  p.os = parts[0];
  p.architecture = parts[1];
  if (parts.size() == 3) p.variant = parts[2];
  return p;
}

namespace {

Descriptor descriptor(const json& d, const std::string& where) {
  Descriptor out;
  out.media_type = d.value("mediaType", "");
  out.digest = d.at("digest").get<std::string>();
  out.size = d.at("size").get<int64_t>();
  if (!is_digest(out.digest)) throw std::runtime_error(where + ": unsupported digest " + out.digest);
  if (d.contains("platform")) {
    const json& p = d.at("platform");
    out.platform.os = p.value("os", "");
    out.platform.architecture = p.value("architecture", "");
    out.platform.variant = p.value("variant", "");
  }
  return out;
}

}  // namespace

base::Result<Manifest> parse_manifest(const std::string& text, const std::string& where) {
  Manifest m;
  try {
    json j = json::parse(text);
    if (j.value("schemaVersion", 0) != 2) {
      return base::Error(where + ": manifest schema version " +
                         std::to_string(j.value("schemaVersion", 0)) + " is not supported")
          .hint("only schema 2 (Docker) and OCI manifests are read");
    }
    if (j.contains("manifests")) {
      m.is_index = true;
      for (const auto& d : j.at("manifests")) m.manifests.push_back(descriptor(d, where));
      return m;
    }
    m.config = descriptor(j.at("config"), where);
    for (const auto& l : j.at("layers")) m.layers.push_back(descriptor(l, where));
  } catch (const json::exception& e) {
    return base::Error(where + ": manifest: " + e.what());
  } catch (const std::runtime_error& e) {
    return base::Error(e.what());
  }
  return m;
}

base::Result<Descriptor> select_platform(const Manifest& index, const Platform& want,
                                         const std::string& where) {
  std::string have;
  for (const auto& d : index.manifests) {
    const Platform& p = d.platform;
    if (p.os == want.os && p.architecture == want.architecture &&
        (want.variant.empty() || p.variant == want.variant)) {
      return d;
    }
    if (!p.os.empty()) have += (have.empty() ? "" : ", ") + p.str();
  }
  return base::Error(where + ": no image for " + want.str() + " (has " +
                     (have.empty() ? "none" : have) + ")");
}

}  // namespace hull::engine
