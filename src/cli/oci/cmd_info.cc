// state, list, spec and features: the commands that print JSON or tables.
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "base/sys.h"
#include "cli/oci/commands.h"
#include "oci/default_spec.h"
#include "oci/state.h"

namespace hull::cli {

using nlohmann::json;

namespace {
// runc's state document: the spec's fields plus rootfs, created and owner.
json info_json(const runtime::ContainerInfo& info) {
  json j = oci::state_json(info.state);
  j["rootfs"] = info.rootfs;
  j["created"] = info.created;
  j["owner"] = info.owner;
  return j;
}

void print(const std::string& s) { std::fwrite(s.data(), 1, s.size(), stdout); }
}  // namespace

void add_state(CLI::App& app, Globals& g, Action& action) {
  auto* cmd = app.add_subcommand("state", "print the state of a container as JSON");
  auto id = std::make_shared<std::string>();
  cmd->add_option("container-id", *id)->required();
  cmd->callback([&g, &action, id] {
    action = [&g, id]() -> base::Result<int> {
      runtime::Runtime rt(g.runtime_options());
      ASSIGN_OR_RETURN(auto info, rt.state(*id));
      json j = info_json(info);
      print(j.dump(2) + "\n");
      return 0;
    };
  });
}

void add_list(CLI::App& app, Globals& g, Action& action) {
  auto* cmd = app.add_subcommand("list", "list containers");
  auto format = std::make_shared<std::string>("table");
  auto quiet = std::make_shared<bool>(false);
  cmd->add_option("-f,--format", *format, "table or json")->check(CLI::IsMember({"table", "json"}));
  cmd->add_flag("-q,--quiet", *quiet, "print only the ids");
  cmd->callback([&g, &action, format, quiet] {
    action = [&g, format, quiet]() -> base::Result<int> {
      runtime::Runtime rt(g.runtime_options());
      auto all = rt.list();
      if (*quiet) {
        for (const auto& c : all) print(c.state.id + "\n");
      } else if (*format == "json") {
        json arr = json::array();
        for (const auto& c : all) arr.push_back(info_json(c));
        print(arr.dump() + "\n");
      } else {
        std::vector<std::vector<std::string>> rows{
            {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
        for (const auto& c : all) {
          rows.push_back({c.state.id, std::to_string(c.state.pid), oci::status_name(c.state.status),
                          c.state.bundle, c.created, c.owner});
        }
        std::vector<size_t> width(6, 0);
        for (const auto& r : rows) {
          for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
        }
        for (const auto& r : rows) {
          std::string line;
          for (size_t i = 0; i < r.size(); ++i) {
            line += r[i];
            if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 4, ' ');
          }
          print(line + "\n");
        }
      }
      return 0;
    };
  });
}

void add_spec(CLI::App& app, Globals&, Action& action) {
  auto* cmd = app.add_subcommand("spec", "write a default config.json into the bundle");
  auto bundle = std::make_shared<std::string>(".");
  auto rootless = std::make_shared<bool>(false);
  cmd->add_option("-b,--bundle", *bundle, "bundle directory");
  cmd->add_flag("--rootless", *rootless, "a spec for an ordinary user (user namespace)");
  cmd->callback([&action, bundle, rootless] {
    action = [bundle, rootless]() -> base::Result<int> {
      std::string path = *bundle + "/config.json";
      if (::access(path.c_str(), F_OK) == 0) {
        return base::Error("spec: " + path + " already exists").hint("remove it first");
      }
      json spec = oci::default_spec(*rootless, ::geteuid(), ::getegid());
      TRY(base::sys::write_file_atomic(path, spec.dump(4) + "\n", 0644));
      return 0;
    };
  });
}

void add_features(CLI::App& app, Globals&, Action& action) {
  auto* cmd = app.add_subcommand("features", "print what this runtime supports, as JSON");
  cmd->callback([&action] {
    action = []() -> base::Result<int> {
      print(oci::features_json().dump(4) + "\n");
      return 0;
    };
  });
}

}  // namespace hull::cli
