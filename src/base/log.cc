#include "base/log.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/clock.h"

namespace hull::base::log {

namespace {
struct Config {
  std::string program = "hull";
  int fd = -1;
  Format format = Format::kText;
  bool debug = false;
} g_config;

void write_line(int fd, const std::string& line) {
  std::string l = line + "\n";
  (void)!::write(fd, l.data(), l.size());  // best effort: a log line must never fail a step
}

void to_file(const char* level, const std::string& msg) {
  if (g_config.fd < 0) return;
  if (g_config.format == Format::kJson) {
    nlohmann::json j{{"level", level}, {"msg", msg}, {"time", rfc3339_now()}};
    write_line(g_config.fd, j.dump());
  } else {
    write_line(g_config.fd, rfc3339_now() + " " + level + ": " + msg);
  }
}
}  // namespace

void configure(const std::string& program, const std::string& path, Format format, bool debug) {
  g_config.program = program;
  g_config.format = format;
  g_config.debug = debug;
  if (!path.empty()) {
    g_config.fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  }
}

bool debug_enabled() { return g_config.debug; }

void debug(const std::string& msg) {
  if (!g_config.debug) return;
  to_file("debug", msg);
  if (g_config.fd < 0) write_line(2, g_config.program + ": debug: " + msg);
}

void warn(const std::string& msg) {
  to_file("warning", msg);
  write_line(2, g_config.program + ": warning: " + msg);
}

void error(const std::string& msg) {
  to_file("error", msg);
  write_line(2, g_config.program + ": " + msg);
}

}  // namespace hull::base::log
