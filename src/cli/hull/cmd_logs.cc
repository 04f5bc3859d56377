// `hull logs [-f] [--tail N|all] [-t] CONTAINER`: prints a container's log, its stdout lines
// to stdout and its stderr lines to stderr, as docker does.
#include <memory>
#include <string>

#include "cli/hull/commands.h"
#include "engine/log_file.h"

namespace hull::cli {
namespace {

struct LogsFlags {
  bool follow = false;
  bool timestamps = false;
  std::string tail = "all";
  std::string ref;
};

// "all" or a count; a negative count means all, as docker takes it.
base::Result<int> parse_tail(const std::string& s) {
  if (s == "all") return -1;
  size_t used = 0;
  int n = 0;
  try {
    n = std::stoi(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != s.size()) {
    return base::Error("invalid --tail value \"" + s + "\": want a number of lines or \"all\"");
  }
  return n < 0 ? -1 : n;
}

bool running(engine::ContainerState s) {
  return s == engine::ContainerState::kRunning || s == engine::ContainerState::kPaused;
}

base::Result<int> logs(const Globals& g, const LogsFlags& f) {
  engine::LogReadOptions opt;
  ASSIGN_OR_RETURN(opt.tail, parse_tail(f.tail));
  opt.timestamps = f.timestamps;
  opt.follow = f.follow;
  engine::Engine eng = g.engine();
  ASSIGN_OR_RETURN(engine::ContainerRecord rec, eng.find(f.ref));
  // The record is read again each time: the monitor marks the container exited, and a
  // follower then drains the log and ends.
  auto still_running = [&eng, id = rec.id] {
    auto now = eng.find(id);
    return now && running(now->state);
  };
  TRY_CTX(engine::read_log(eng.log_path(rec), opt, 1, 2, still_running), "logs " + f.ref);
  return 0;
}

}  // namespace

void add_logs(CLI::App& app, Globals& g, Action& action) {
  auto f = std::make_shared<LogsFlags>();
  CLI::App* cmd = app.add_subcommand("logs", "print the output of a container");
  cmd->add_flag("-f,--follow", f->follow, "keep printing new output until the container stops");
  cmd->add_option("-n,--tail", f->tail, "print only the last N lines (or \"all\")");
  cmd->add_flag("-t,--timestamps", f->timestamps, "prefix each line with its time");
  cmd->add_option("container", f->ref, "container name or id")->required();
  cmd->callback([&g, &action, f] { action = [&g, f] { return logs(g, *f); }; });
}

}  // namespace hull::cli
