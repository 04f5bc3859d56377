// `hull rmi` / `hull image rm` and `hull image prune`. The images containers are made from
// come from the engine's records: those are refused unless forced.
#include <cstdio>

#include "cli/hull/cmd_image.h"

namespace hull::cli {

namespace {
struct RemoveFlags {
  bool force = false;
  bool all = false;
  std::vector<std::string> refs;
};
}  // namespace

void add_image_remove(CLI::App& parent, const std::string& name, Globals& g, Action& action) {
  auto f = std::make_shared<RemoveFlags>();
  auto* cmd = parent.add_subcommand(name, "remove images");
  cmd->add_flag("-f,--force", f->force, "untag or remove even when a container uses it");
  cmd->add_option("image", f->refs, "images by name or id")->required();
  cmd->callback([&g, &action, f] {
    action = [&g, f]() -> base::Result<int> {
      auto e = g.engine();
      std::set<std::string> in_use = e.images_in_use();
      for (const auto& r : f->refs) {
        ASSIGN_OR_RETURN(auto lines, e.images().remove(r, f->force, in_use));
        for (const auto& l : lines) std::printf("%s\n", l.c_str());
      }
      return 0;
    };
  });
}

void add_image_prune(CLI::App& parent, Globals& g, Action& action) {
  auto f = std::make_shared<RemoveFlags>();
  auto* cmd = parent.add_subcommand("prune", "remove unused images");
  cmd->add_flag("-a,--all", f->all, "every image no container uses, not only untagged ones");
  cmd->add_flag("-f,--force", f->force, "do not ask (hull never asks)");
  cmd->callback([&g, &action, f] {
    action = [&g, f]() -> base::Result<int> {
      auto e = g.engine();
      ASSIGN_OR_RETURN(auto lines, e.images().prune(f->all, e.images_in_use()));
      for (const auto& l : lines) std::printf("%s\n", l.c_str());
      return 0;
    };
  });
}

}  // namespace hull::cli
