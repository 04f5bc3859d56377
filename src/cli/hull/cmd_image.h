// The image commands' files: each adds its commands to a parent (the app, or `hull image`
// for the docker-style aliases). Only cmd_image.cc's add_image_commands is seen by main.
#pragma once

#include "cli/hull/commands.h"

namespace hull::cli {

void add_image_list(CLI::App& parent, const std::string& name, Globals& g, Action& action);
void add_image_inspect(CLI::App& parent, Globals& g, Action& action);
void add_image_remove(CLI::App& parent, const std::string& name, Globals& g, Action& action);
void add_image_prune(CLI::App& parent, Globals& g, Action& action);

}  // namespace hull::cli
