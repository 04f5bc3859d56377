// Placeholder until this command file is written.
#include "cli/hull/commands.h"

namespace hull::cli {

void add_exec(CLI::App&, Globals&, Action&) {}

}  // namespace hull::cli
