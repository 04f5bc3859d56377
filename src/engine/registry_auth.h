// Registry logins kept in <engine root>/auth.json in docker's shape
// ({"auths": {"host:port": {"auth": base64("user:pass")}}}), mode 0600 since it holds
// passwords; `hull login` writes it, pull and push read it when no creds are given.
#pragma once

#include <optional>
#include <string>

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

// The registry options' user and password: from `flag` (USER:PASS), else
// HULL_REGISTRY_CREDS, else the login in `file` for the registry.
base::Result<void> fill_credentials(RegistryOptions& o, const std::string& flag,
                                    const std::string& file, const std::string& registry);

// RFC 4648 base64 (with padding): registry logins in auth.json and Basic auth headers.
std::string base64_encode(const std::string& in);
std::optional<std::string> base64_decode(const std::string& in);

}  // namespace hull::engine
