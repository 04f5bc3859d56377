// `hull push`: an image of the store to a registry, as docker prints it: one line per blob
// (`Pushed`, `Mounted from REPO` or `Layer already exists`), then the tag, the manifest's
// digest and size.
#include <cstdio>

#include "cli/hull/commands.h"
#include "engine/image_pull.h"
#include "engine/image_push.h"
#include "engine/image_ref.h"
#include "engine/registry_auth.h"

namespace hull::cli {

namespace {

struct PushFlags {
  std::string ref;
  engine::RegistryFlags registry;
};

}  // namespace

void add_push(CLI::App& app, Globals& g, Action& action) {
  auto f = std::make_shared<PushFlags>();
  auto* cmd = app.add_subcommand("push", "send an image to a registry");
  add_registry_flags(cmd, f->registry);
  cmd->add_option("image", f->ref, "NAME[:TAG]")->required();
  cmd->callback([&g, &action, f] {
    action = [&g, f]() -> base::Result<int> {
      engine::PushOptions o;
      ASSIGN_OR_RETURN(engine::ImageRef ref, engine::parse_image_ref(f->ref));
      ASSIGN_OR_RETURN(o.registry,
                       engine::registry_options(f->registry, g.paths.root, ref.registry));
      o.on_event = [](const engine::PushEvent& ev) {
        std::string id = ev.digest.substr(ev.digest.find(':') + 1, 12);
        std::string what = ev.kind == engine::PushEvent::kPushed    ? "Pushed"
                           : ev.kind == engine::PushEvent::kMounted ? "Mounted from " + ev.from
                                                                    : "Layer already exists";
        std::printf("%s: %s\n", id.c_str(), what.c_str());
        std::fflush(stdout);
      };
      auto e = g.engine();
      ASSIGN_OR_RETURN(engine::PushResult r, engine::push_image(e.images(), f->ref, o));
      std::printf("%s: digest: %s size: %lld\n", r.tag.c_str(), r.digest.c_str(),
                  static_cast<long long>(r.size));
      return 0;
    };
  });
}

}  // namespace hull::cli
