// What a registry request may use: logins kept in <engine root>/auth.json in docker's shape
// ({"auths": {"host:port": {"auth": base64("user:pass")}}}), mode 0600 since it holds
// passwords (`hull login` writes it), the hosts allowed plain HTTP and the CA directory,
// each from a flag, else the environment, else the engine root's files or the default.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/registry_client.h"

namespace hull::engine {

struct Login {
  std::string username, password;
};

base::Result<void> save_login(const std::string& file, const std::string& registry,
                              const Login& login);
// false: there was no login for the registry.
base::Result<bool> remove_login(const std::string& file, const std::string& registry);
base::Result<std::optional<Login>> find_login(const std::string& file,
                                              const std::string& registry);

// What the command line said about registries; empty means "not given".
struct RegistryFlags {
  std::vector<std::string> insecure;  // --insecure HOST[:PORT]
  std::string creds;                  // --creds USER:PASS
  std::string certs_dir;              // --certs-dir DIR
};

// The options for `registry` ("host[:port]" as in the reference): insecure hosts from the
// flags plus HULL_INSECURE_REGISTRIES (a comma list); user and password from the flag, else
// HULL_REGISTRY_CREDS, else the login in <engine_root>/auth.json; the CA dir from the flag,
// else HULL_CERTS_DIR, else kCertsDir. pull, push and `hull run`'s pull all come here.
base::Result<RegistryOptions> registry_options(const RegistryFlags& flags,
                                               const std::string& engine_root,
                                               const std::string& registry);

// RFC 4648 base64 (with padding): registry logins in auth.json and Basic auth headers.
std::string base64_encode(const std::string& in);
std::optional<std::string> base64_decode(const std::string& in);

}  // namespace hull::engine
