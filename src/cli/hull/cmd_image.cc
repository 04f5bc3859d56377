// import, load, save and tag, and the `hull image …` group that repeats every image command
// under docker's second spelling (image ls, image rm, image inspect …).
#include <cstdio>

#include "cli/hull/cmd_image.h"

namespace hull::cli {

namespace {

struct ImportFlags {
  std::vector<std::string> changes;
  std::string tarball;
  std::string ref;
};

void add_import(CLI::App& parent, Globals& g, Action& action) {
  auto f = std::make_shared<ImportFlags>();
  auto* cmd = parent.add_subcommand("import", "make an image from a rootfs tarball");
  cmd->add_option("-c,--change", f->changes, "apply a Dockerfile instruction (CMD, ENV …)")
      ->allow_extra_args(false);
  cmd->add_option("tarball", f->tarball, "rootfs tarball (plain, gzip, xz, zstd), - for stdin")
      ->required();
  cmd->add_option("name", f->ref, "NAME[:TAG] of the image");
  cmd->callback([&g, &action, f] {
    action = [&g, f]() -> base::Result<int> {
      engine::ImageConfig config;
      for (const auto& c : f->changes) TRY(engine::apply_change(config, c));
      auto e = g.engine();
      ASSIGN_OR_RETURN(engine::Image img, e.images().import_rootfs(f->tarball, f->ref, config));
      std::printf("%s\n", img.id.c_str());
      return 0;
    };
  });
}

void add_load(CLI::App& parent, Globals& g, Action& action) {
  auto input = std::make_shared<std::string>();
  auto* cmd = parent.add_subcommand("load", "load images from a docker-save or OCI archive");
  cmd->add_option("-i,--input", *input, "the archive")->required();
  cmd->add_flag("-q,--quiet")->description("accepted for docker compatibility");
  cmd->callback([&g, &action, input] {
    action = [&g, input]() -> base::Result<int> {
      auto e = g.engine();
      ASSIGN_OR_RETURN(auto images, e.images().load(*input));
      for (const auto& img : images) {
        if (img.tags.empty()) std::printf("Loaded image ID: %s\n", img.id.c_str());
        for (const auto& t : img.tags) std::printf("Loaded image: %s\n", t.c_str());
      }
      return 0;
    };
  });
}

void add_save(CLI::App& parent, Globals& g, Action& action) {
  auto out = std::make_shared<std::string>();
  auto refs = std::make_shared<std::vector<std::string>>();
  auto* cmd = parent.add_subcommand("save", "write images to a docker-save archive");
  cmd->add_option("-o,--output", *out, "the archive to write")->required();
  cmd->add_option("image", *refs, "images by name or id")->required();
  cmd->callback([&g, &action, out, refs] {
    action = [&g, out, refs]() -> base::Result<int> {
      auto e = g.engine();
      TRY(e.images().save(*refs, *out));
      return 0;
    };
  });
}

void add_tag(CLI::App& parent, Globals& g, Action& action) {
  auto src = std::make_shared<std::string>();
  auto dst = std::make_shared<std::string>();
  auto* cmd = parent.add_subcommand("tag", "give an image another name");
  cmd->add_option("source", *src, "image by name or id")->required();
  cmd->add_option("target", *dst, "NAME[:TAG]")->required();
  cmd->callback([&g, &action, src, dst] {
    action = [&g, src, dst]() -> base::Result<int> {
      auto e = g.engine();
      TRY(e.images().tag(*src, *dst));
      return 0;
    };
  });
}

}  // namespace

void add_image_commands(CLI::App& app, Globals& g, Action& action) {
  add_import(app, g, action);
  add_load(app, g, action);
  add_save(app, g, action);
  add_tag(app, g, action);
  add_image_list(app, "images", g, action);
  add_image_remove(app, "rmi", g, action);

  auto* image = app.add_subcommand("image", "manage images");
  image->require_subcommand(1);
  add_import(*image, g, action);
  add_load(*image, g, action);
  add_save(*image, g, action);
  add_tag(*image, g, action);
  add_image_list(*image, "ls", g, action);
  add_image_remove(*image, "rm", g, action);
  add_image_inspect(*image, g, action);
  add_image_prune(*image, g, action);
}

}  // namespace hull::cli
