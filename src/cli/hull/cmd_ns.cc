// Placeholder until this command file is written.
#include "cli/hull/commands.h"

namespace hull::cli {

void add_ns(CLI::App&, Globals&, Action&) {}

}  // namespace hull::cli
