// Logging for the binaries: errors go to stderr (one line) and, with --log, to that file as
// text or as runc's JSON lines ({"level","msg","time"}), which podman and containerd read.
// Libraries never log errors they return; they may log debug and warning lines.
#pragma once

#include <string>

namespace hull::base::log {

enum class Format { kText, kJson };

void configure(const std::string& program, const std::string& path, Format format, bool debug);
bool debug_enabled();
void debug(const std::string& msg);
void warn(const std::string& msg);
// Prints "<program>: <msg>" on stderr and writes the log file.
void error(const std::string& msg);

}  // namespace hull::base::log
