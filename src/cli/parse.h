// Shared by both command lines: CLI11's parse with its help, version and error cases turned
// into an exit code, so each main says only what is its own.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdio>
#include <optional>

namespace hull::cli {

// nullopt: parsed, go on. Otherwise the code to exit with: 0 after --help or --version, or
// error_code after one line on stderr naming the bad argument ("<prog>: …").
inline std::optional<int> parse_args(CLI::App& app, int argc, char** argv, const char* prog,
                                     int error_code) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "%s: %s\n", prog, e.what());
    return error_code;
  }
  return std::nullopt;
}

}  // namespace hull::cli
