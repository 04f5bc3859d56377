// ps, pause, resume, update and events: the commands on a container after create, each a few
// lines over runtime/manage.h, with runc's flags.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <tuple>

#include "base/sys.h"
#include "cli/oci/commands.h"
#include "oci/resources.h"
#include "runtime/manage.h"

namespace hull::cli {

namespace {

void print(const std::string& s) {
  std::fwrite(s.data(), 1, s.size(), stdout);
  std::fflush(stdout);
}

// A Go duration as runc's --interval takes it: "5s", "250ms", "1m30s", "1.5h".
base::Result<std::chrono::milliseconds> parse_duration(const std::string& text) {
  static const std::pair<std::string_view, double> kUnits[] = {
      {"ns", 1e-6}, {"us", 1e-3}, {"ms", 1}, {"s", 1e3}, {"m", 6e4}, {"h", 3.6e6}};
  auto digit = [&](size_t i) { return i < text.size() && text[i] >= '0' && text[i] <= '9'; };
  double ms = 0;
  for (size_t i = 0; digit(i);) {
    size_t start = i;
    while (digit(i)) ++i;
    if (i < text.size() && text[i] == '.') {
      for (++i; digit(i);) ++i;
    }
    double value = std::strtod(text.substr(start, i - start).c_str(), nullptr);
    auto unit = std::find_if(std::begin(kUnits), std::end(kUnits), [&](const auto& u) {
      return text.compare(i, u.first.size(), u.first) == 0 &&
             (i + u.first.size() == text.size() || digit(i + u.first.size()));
    });
    if (unit == std::end(kUnits)) break;
    ms += value * unit->second;
    i += unit->first.size();
    if (i == text.size()) return std::chrono::milliseconds(static_cast<int64_t>(ms));
  }
  return base::Error("invalid duration \"" + text + "\" (e.g. 5s, 250ms, 1m30s)");
}

// update's flags; -r replaces them all. Sizes are strings: they take suffixes ("64m").
struct UpdateFlags {
  std::string resources_file;
  std::string memory, memory_reservation, memory_swap;
  oci::Resources numbers;  // cpu, cpuset and pids, parsed by CLI11
};

base::Result<oci::Resources> resources_of(const UpdateFlags& f) {
  oci::Resources r = f.numbers;
  for (auto [flag, text, out] :
       {std::tuple{"memory", &f.memory, &r.memory_limit},
        {"memory-reservation", &f.memory_reservation, &r.memory_reservation},
        {"memory-swap", &f.memory_swap, &r.memory_swap}}) {
    if (text->empty()) continue;
    auto v = oci::parse_byte_size(*text);
    if (!v) return std::move(v.error().context(std::string("invalid value for --") + flag));
    *out = *v;
  }
  return r;
}

base::Result<oci::Resources> read_resources(const std::string& file) {
  auto text = file == "-" ? base::sys::read_fd(0) : base::sys::read_file(file);
  if (!text) return std::move(text.error().context("update -r"));
  auto r = oci::parse_resources(*text);
  if (!r) return std::move(r.error().context(file == "-" ? "stdin" : file));
  return r;
}

// A command that takes a container id and nothing else.
CLI::App* with_id(CLI::App& app, const char* name, const char* what,
                  std::shared_ptr<std::string>& id) {
  auto* cmd = app.add_subcommand(name, what);
  id = std::make_shared<std::string>();
  cmd->add_option("container-id", *id)->required();
  return cmd;
}

}  // namespace

void add_ps(CLI::App& app, Globals& g, Action& action) {
  std::shared_ptr<std::string> id;
  auto* cmd = with_id(app, "ps", "list the processes of a container", id);
  auto format = std::make_shared<std::string>("table");
  cmd->add_option("-f,--format", *format, "table or json")->check(CLI::IsMember({"table", "json"}));
  // Everything after the id goes to the host's ps, as runc does: `ps <id> -o pid,comm`.
  cmd->prefix_command();
  cmd->callback([&g, &action, cmd, id, format] {
    auto args = std::make_shared<std::vector<std::string>>(cmd->remaining());
    action = [&g, id, format, args]() -> base::Result<int> {
      runtime::Runtime rt(g.runtime_options());
      if (*format == "json") {
        if (!args->empty()) return base::Error("ps: options for ps do not go with --format json");
        ASSIGN_OR_RETURN(auto pids, runtime::ps(rt, *id));
        print(nlohmann::json(pids).dump() + "\n");
        return 0;
      }
      if (args->empty()) args->push_back("-ef");
      ASSIGN_OR_RETURN(std::string table, runtime::ps_table(rt, *id, *args));
      print(table);
      return 0;
    };
  });
}

void add_pause(CLI::App& app, Globals& g, Action& action) {
  std::shared_ptr<std::string> id;
  auto* cmd = with_id(app, "pause", "freeze every process of a running container", id);
  cmd->callback([&g, &action, id] {
    action = [&g, id]() -> base::Result<int> {
      TRY(runtime::pause(runtime::Runtime(g.runtime_options()), *id));
      return 0;
    };
  });
}

void add_resume(CLI::App& app, Globals& g, Action& action) {
  std::shared_ptr<std::string> id;
  auto* cmd = with_id(app, "resume", "thaw a paused container", id);
  cmd->callback([&g, &action, id] {
    action = [&g, id]() -> base::Result<int> {
      TRY(runtime::resume(runtime::Runtime(g.runtime_options()), *id));
      return 0;
    };
  });
}

void add_update(CLI::App& app, Globals& g, Action& action) {
  std::shared_ptr<std::string> id;
  auto* cmd = with_id(app, "update", "change the resource limits of a container", id);
  auto f = std::make_shared<UpdateFlags>();
  cmd->add_option("-r,--resources", f->resources_file,
                  "linux.resources as JSON in a file (\"-\": stdin); replaces the flags");
  cmd->add_option("--memory", f->memory, "memory limit (bytes, or 512m, 1g …)");
  cmd->add_option("--memory-reservation", f->memory_reservation, "memory soft limit");
  cmd->add_option("--memory-swap", f->memory_swap, "memory plus swap limit (-1: unlimited)");
  auto& n = f->numbers;
  const CLI::Validator unsigned_value(
      [](std::string& v) { return v.starts_with("-") ? "must not be negative" : ""; }, "UINT");
  cmd->add_option("--cpu-share,--cpu-shares", n.cpu_shares, "CPU shares (relative weight)")
      ->check(unsigned_value);
  cmd->add_option("--cpu-period", n.cpu_period, "CFS period in microseconds")
      ->check(unsigned_value);
  cmd->add_option("--cpu-quota", n.cpu_quota, "CFS quota in microseconds per period");
  cmd->add_option("--cpuset-cpus", n.cpuset_cpus, "CPUs to run on (0-3,5)");
  cmd->add_option("--cpuset-mems", n.cpuset_mems, "memory nodes to use (0-1)");
  cmd->add_option("--pids-limit", n.pids_limit, "maximum number of tasks (0 or -1: none)");
  cmd->callback([&g, &action, id, f] {
    action = [&g, id, f]() -> base::Result<int> {
      ASSIGN_OR_RETURN(oci::Resources r, f->resources_file.empty()
                                             ? resources_of(*f)
                                             : read_resources(f->resources_file));
      TRY(runtime::update(runtime::Runtime(g.runtime_options()), *id, r));
      return 0;
    };
  });
}

void add_events(CLI::App& app, Globals& g, Action& action) {
  std::shared_ptr<std::string> id;
  auto* cmd = with_id(app, "events", "print stats and OOM events of a container as JSON", id);
  auto stats = std::make_shared<bool>(false);
  auto interval = std::make_shared<std::string>("5s");
  cmd->add_flag("--stats", *stats, "print the stats once and exit");
  cmd->add_option("--interval", *interval, "time between two stats events")->capture_default_str();
  cmd->callback([&g, &action, id, stats, interval] {
    action = [&g, id, stats, interval]() -> base::Result<int> {
      ASSIGN_OR_RETURN(auto every, parse_duration(*interval));
      if (every.count() <= 0) return base::Error("--interval must be at least 1ms");
      TRY(runtime::events(runtime::Runtime(g.runtime_options()), *id, every, *stats,
                          [](const std::string& line) { print(line + "\n"); }));
      return 0;
    };
  });
}

}  // namespace hull::cli
