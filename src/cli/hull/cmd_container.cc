// Placeholder until this command file is written.
#include "cli/hull/commands.h"

namespace hull::cli {

void add_container_commands(CLI::App&, Globals&, Action&) {}

}  // namespace hull::cli
