// Placeholder until this command file is written.
#include "cli/hull/commands.h"

namespace hull::cli {

void add_logs(CLI::App&, Globals&, Action&) {}

}  // namespace hull::cli
