// `hull ps`: containers as a table or JSON; --ns adds the inode of each namespace.
#include <unistd.h>

#include <cstdio>
#include <ctime>

#include "cli/hull/commands.h"
#include "engine/ns_report.h"

namespace hull::cli {

namespace {

// Seconds since an RFC 3339 UTC time ("2026-11-29T01:02:03.123Z"); -1 if unreadable.
long seconds_since(const std::string& t) {
  std::tm tm{};
  if (t.size() < 19 || !::strptime(t.substr(0, 19).c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return -1;
  return static_cast<long>(std::time(nullptr) - ::timegm(&tm));
}

// docker's wording: "Less than a second", "5 seconds", "About a minute", "3 hours".
std::string human(long s) {
  if (s < 1) return "Less than a second";
  if (s < 60) return std::to_string(s) + " seconds";
  if (s < 120) return "About a minute";
  if (s < 3600) return std::to_string(s / 60) + " minutes";
  if (s < 7200) return "About an hour";
  if (s < 172800) return std::to_string(s / 3600) + " hours";
  return std::to_string(s / 86400) + " days";
}

std::string status_text(const engine::ContainerRecord& c) {
  switch (c.state) {
    case engine::ContainerState::kRunning:
      return "Up " + human(seconds_since(c.started_at));
    case engine::ContainerState::kPaused:
      return "Up " + human(seconds_since(c.started_at)) + " (Paused)";
    case engine::ContainerState::kExited:
      return "Exited (" + (c.exit_code ? std::to_string(*c.exit_code) : std::string("unknown")) +
             ") " + human(seconds_since(c.finished_at)) + " ago";
    default:
      return engine::state_name(c.state);
  }
}

std::string command_text(const engine::ContainerRecord& c, bool trunc) {
  std::string s;
  for (const auto& a : c.command) s += (s.empty() ? "" : " ") + a;
  if (trunc && s.size() > 20) s = s.substr(0, 19) + "…";
  return "\"" + s + "\"";
}

constexpr const char* kNsKinds[] = {"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"};

}  // namespace

void add_ps(CLI::App& app, Globals& g, Action& action) {
  struct PsFlags {
    bool all = false, quiet = false, ns = false, no_trunc = false;
    std::string format = "table";
  };
  auto f = std::make_shared<PsFlags>();
  auto* ps = app.add_subcommand("ps", "list containers");
  ps->add_flag("-a,--all", f->all, "include stopped containers");
  ps->add_flag("-q,--quiet", f->quiet, "only ids");
  ps->add_flag("--ns", f->ns, "add the inode of each namespace");
  ps->add_flag("--no-trunc", f->no_trunc, "full ids and commands");
  ps->add_option("--format", f->format, "table | json")->check(CLI::IsMember({"table", "json"}));
  ps->callback([&g, &action, f] {
    action = [&g, f]() -> base::Result<int> {
      engine::Engine e = g.engine();
      nlohmann::json rows = nlohmann::json::array();
      std::string table;
      char line[512];
      std::snprintf(line, sizeof line, "%-12s   %-15s %-22s %-20s %-28s %-24s %s",
                    "CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES");
      // -q prints ids only, one a line, so that `hull rm $(hull ps -aq)` works.
      if (!f->quiet) table = line;
      if (f->ns && !f->quiet) {
        for (const char* k : kNsKinds) table += std::string("  ") + k;
      }
      if (!f->quiet) table += "\n";
      for (const auto& c : e.list()) {
        bool up = c.state == engine::ContainerState::kRunning ||
                  c.state == engine::ContainerState::kPaused;
        if (!f->all && !up) continue;
        std::string id = f->no_trunc ? c.id : c.id.substr(0, 12);
        if (f->quiet) {
          table += id + "\n";
          continue;
        }
        nlohmann::json ns = up && f->ns ? engine::ns_inodes(c.pid) : nlohmann::json::object();
        // As docker: "0.0.0.0:8080->80/tcp, …" while it runs.
        std::string ports;
        for (const auto& p : c.ports) {
          if (up) ports += (ports.empty() ? "" : ", ") + engine::port_str(p);
        }
        rows.push_back({{"Id", c.id},
                        {"Names", c.name},
                        {"Image", c.image},
                        {"Command", c.command},
                        {"Created", c.created},
                        {"State", engine::state_name(c.state)},
                        {"Status", status_text(c)},
                        {"Pid", up ? c.pid : 0},
                        {"Ports", ports},
                        {"Namespaces", ns}});
        std::snprintf(line, sizeof line, "%-12s   %-15s %-22s %-20s %-28s %-24s %s", id.c_str(),
                      c.image.c_str(), command_text(c, !f->no_trunc).c_str(),
                      (human(seconds_since(c.created)) + " ago").c_str(), status_text(c).c_str(),
                      ports.c_str(), c.name.c_str());
        table += line;
        if (f->ns) {
          for (const char* k : kNsKinds) {
            table += "  " + (ns.contains(k) ? ns[k].dump() : std::string("-"));
          }
        }
        table += "\n";
      }
      if (f->format == "json" && !f->quiet) {
        std::printf("%s\n", rows.dump(2).c_str());
      } else {
        std::fputs(table.c_str(), stdout);
      }
      return 0;
    };
  });
}

}  // namespace hull::cli
