#include "engine/registry_auth.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

#include "base/sys.h"

namespace hull::engine {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(const std::string& in) {
  std::string out;
  uint32_t v = 0;
  int bits = 0;
  for (unsigned char c : in) {
    v = (v << 8) | c;
    bits += 8;
    while (bits >= 6) out += kB64[(v >> (bits -= 6)) & 63];
  }
  if (bits > 0) out += kB64[(v << (6 - bits)) & 63];
  while (out.size() % 4) out += '=';
  return out;
}

std::optional<std::string> base64_decode(const std::string& in) {
  std::string out;
  uint32_t v = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    const char* p = std::strchr(kB64, c);
    if (!p || !c) return std::nullopt;
    v = (v << 6) | static_cast<uint32_t>(p - kB64);
    bits += 6;
    if (bits >= 8) out += static_cast<char>((v >> (bits -= 8)) & 0xff);
  }
  return out;
}

namespace {

Login split(const std::string& creds) {
  auto colon = creds.find(':');
  Login l{creds.substr(0, colon), ""};
  if (colon != std::string::npos) l.password = creds.substr(colon + 1);
  return l;
}

base::Result<nlohmann::json> read_auth(const std::string& file) {
  struct stat st;
  if (::stat(file.c_str(), &st) != 0) return nlohmann::json{{"auths", nlohmann::json::object()}};
  ASSIGN_OR_RETURN(std::string text, base::sys::read_file(file));
  try {
    auto j = nlohmann::json::parse(text);
    if (!j.is_object()) return base::Error(file + ": not a JSON object");
    if (!j.contains("auths") || !j["auths"].is_object()) j["auths"] = nlohmann::json::object();
    return j;
  } catch (const nlohmann::json::exception& ex) {
    return base::Error(file + ": " + ex.what());
  }
}

}  // namespace

base::Result<void> save_login(const std::string& file, const std::string& registry,
                              const Login& login) {
  ASSIGN_OR_RETURN(nlohmann::json j, read_auth(file));
  j["auths"][registry] = {{"auth", base64_encode(login.username + ":" + login.password)}};
  return base::sys::write_file_atomic(file, j.dump(2) + "\n", 0600);
}

base::Result<bool> remove_login(const std::string& file, const std::string& registry) {
  ASSIGN_OR_RETURN(nlohmann::json j, read_auth(file));
  if (j["auths"].erase(registry) == 0) return false;
  TRY(base::sys::write_file_atomic(file, j.dump(2) + "\n", 0600));
  return true;
}

base::Result<std::optional<Login>> find_login(const std::string& file,
                                              const std::string& registry) {
  ASSIGN_OR_RETURN(nlohmann::json j, read_auth(file));
  auto it = j["auths"].find(registry);
  if (it == j["auths"].end() || !it->is_object() || !it->contains("auth") ||
      !(*it)["auth"].is_string()) {
    return std::optional<Login>();
  }
  auto creds = base64_decode((*it)["auth"].get<std::string>());
  if (!creds) return base::Error(file + ": auths." + registry + ".auth: not base64");
  return std::optional<Login>(split(*creds));
}

base::Result<RegistryOptions> registry_options(const RegistryFlags& flags,
                                               const std::string& engine_root,
                                               const std::string& registry) {
  RegistryOptions o;
  o.insecure = flags.insecure;
  if (const char* env = std::getenv("HULL_INSECURE_REGISTRIES")) {
    std::string s = env;
    for (size_t start = 0; start <= s.size();) {
      size_t comma = std::min(s.find(',', start), s.size());
      if (comma > start) o.insecure.push_back(s.substr(start, comma - start));
      start = comma + 1;
    }
  }
  o.certs_dir = flags.certs_dir;
  if (const char* env = std::getenv("HULL_CERTS_DIR"); o.certs_dir.empty() && env && *env) {
    o.certs_dir = env;
  }
  if (o.certs_dir.empty()) o.certs_dir = kCertsDir;
  std::string creds = flags.creds;
  if (const char* env = std::getenv("HULL_REGISTRY_CREDS"); creds.empty() && env) creds = env;
  std::optional<Login> login;
  if (!creds.empty()) {
    login = split(creds);
  } else {
    ASSIGN_OR_RETURN(login, find_login(engine_root + "/auth.json", registry));
  }
  if (login) {
    o.username = login->username;
    o.password = login->password;
  }
  return o;
}

}  // namespace hull::engine
