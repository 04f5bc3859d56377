// `hull login` / `hull logout`: registry credentials in <root>/auth.json (registry_auth.h),
// used by pull and push when no --creds or HULL_REGISTRY_CREDS is given. The password is not
// checked against the registry here: a wrong one fails the next pull or push with HTTP 401.
#include <unistd.h>

#include <cstdio>

#include "base/sys.h"
#include "cli/hull/commands.h"
#include "engine/registry_auth.h"

namespace hull::cli {

namespace {

struct LoginFlags {
  std::string registry, username, password;
  bool password_stdin = false;
};

}  // namespace

void add_login(CLI::App& app, Globals& g, Action& action) {
  auto f = std::make_shared<LoginFlags>();
  auto* cmd = app.add_subcommand("login", "keep credentials for a registry");
  cmd->add_option("-u,--username", f->username, "user name")->required();
  auto* pass = cmd->add_option("-p,--password", f->password, "password");
  cmd->add_flag("--password-stdin", f->password_stdin, "read the password from stdin")
      ->excludes(pass);
  cmd->add_option("registry", f->registry, "HOST[:PORT]")->required();
  cmd->callback([&g, &action, f] {
    action = [&g, f]() -> base::Result<int> {
      std::string password = f->password;
      if (f->password_stdin) {
        ASSIGN_OR_RETURN(password, base::sys::read_fd(STDIN_FILENO));
        while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) {
          password.pop_back();
        }
      }
      if (password.empty()) {
        return base::Error("login " + f->registry + ": no password")
            .hint("pass -p PASS or --password-stdin");
      }
      TRY_CTX(engine::save_login(g.paths.root + "/auth.json", f->registry,
                                 {f->username, password}),
              "login " + f->registry);
      std::printf("Login Succeeded\n");
      return 0;
    };
  });

  auto* out = app.add_subcommand("logout", "forget the credentials for a registry");
  auto registry = std::make_shared<std::string>();
  out->add_option("registry", *registry, "HOST[:PORT]")->required();
  out->callback([&g, &action, registry] {
    action = [&g, registry]() -> base::Result<int> {
      auto removed = engine::remove_login(g.paths.root + "/auth.json", *registry);
      if (!removed) return std::move(removed.error()).context("logout " + *registry);
      if (*removed) {
        std::printf("Removing login credentials for %s\n", registry->c_str());
      } else {
        std::printf("Not logged in to %s\n", registry->c_str());
      }
      return 0;
    };
  });
}

}  // namespace hull::cli
