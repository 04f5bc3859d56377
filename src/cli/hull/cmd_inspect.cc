// `hull inspect`, `top`, `stats` and `port`: one container looked at closely.
#include <unistd.h>

#include <cstdio>

#include "base/sys.h"
#include "cli/hull/commands.h"

namespace hull::cli {

void add_inspect_commands(CLI::App& app, Globals& g, Action& action) {
  auto refs = std::make_shared<std::vector<std::string>>();
  auto* inspect = app.add_subcommand("inspect", "details of containers (or images), as JSON");
  inspect->add_option("NAME", *refs, "containers or images")->required();
  inspect->callback([&g, &action, refs] {
    action = [&g, refs]() -> base::Result<int> {
      engine::Engine e = g.engine();
      nlohmann::json out = nlohmann::json::array();
      for (const auto& ref : *refs) {
        auto c = e.inspect(ref);
        if (!c) return std::move(c.error());
        out.push_back(std::move(*c));
      }
      std::printf("%s\n", out.dump(4).c_str());
      return 0;
    };
  });

  auto top_ref = std::make_shared<std::string>();
  auto* top = app.add_subcommand("top", "the processes of a container");
  top->add_option("CONTAINER", *top_ref, "the container")->required();
  top->callback([&g, &action, top_ref] {
    action = [&g, top_ref]() -> base::Result<int> {
      engine::Engine e = g.engine();
      ASSIGN_OR_RETURN(std::vector<pid_t> pids, e.pids(*top_ref));
      std::printf("%-8s %-8s %s\n", "PID", "PPID", "CMD");
      for (pid_t p : pids) {
        std::string dir = "/proc/" + std::to_string(p);
        auto cmd = base::sys::read_file(dir + "/cmdline");
        auto stat = base::sys::read_file(dir + "/stat");
        if (!cmd || !stat) continue;
        for (char& ch : *cmd) ch = ch ? ch : ' ';
        int ppid = 0;
        size_t close = stat->rfind(')');
        if (close != std::string::npos) std::sscanf(stat->c_str() + close + 2, "%*c %d", &ppid);
        std::printf("%-8d %-8d %s\n", p, ppid, cmd->c_str());
      }
      return 0;
    };
  });

  auto stats_refs = std::make_shared<std::vector<std::string>>();
  auto no_stream = std::make_shared<bool>(false);
  auto* stats = app.add_subcommand("stats", "resource usage of containers (one sample)");
  stats->add_flag("--no-stream", *no_stream, "one sample (the only mode for now)");
  stats->add_option("CONTAINER", *stats_refs, "containers (default: all running)");
  // no_stream rides in the callback: CLI11 writes through the reference when it parses.
  stats->callback([&g, &action, stats_refs, no_stream] {
    action = [&g, stats_refs]() -> base::Result<int> {
      engine::Engine e = g.engine();
      std::vector<std::string> names = *stats_refs;
      if (names.empty()) {
        for (const auto& c : e.list()) {
          if (c.state == engine::ContainerState::kRunning) names.push_back(c.name);
        }
      }
      std::printf("%-20s %-12s %-24s %s\n", "NAME", "CPU TIME", "MEM USAGE / LIMIT", "PIDS");
      for (const auto& ref : names) {
        ASSIGN_OR_RETURN(nlohmann::json s, e.stats(ref));
        double cpu = s["cpu"]["usage"].value("total", 0.0) / 1e9;
        double mem = s["memory"]["usage"].value("usage", 0.0) / 1048576.0;
        double lim = s["memory"]["usage"].value("limit", 0.0) / 1048576.0;
        std::printf("%-20s %-12s %-24s %llu\n", ref.c_str(),
                    (std::to_string(cpu).substr(0, 6) + "s").c_str(),
                    (std::to_string(mem).substr(0, 6) + "MiB / " +
                     (lim > 1e12 ? std::string("unlimited") : std::to_string(lim).substr(0, 7) + "MiB"))
                        .c_str(),
                    s["pids"].value("current", 0ULL));
      }
      return 0;
    };
  });

  auto port_ref = std::make_shared<std::string>();
  auto* port = app.add_subcommand("port", "published ports of a container");
  port->add_option("CONTAINER", *port_ref, "the container")->required();
  port->callback([&g, &action, port_ref] {
    action = [&g, port_ref]() -> base::Result<int> {
      ASSIGN_OR_RETURN(engine::ContainerRecord c, g.engine().find(*port_ref));
      // As docker: "80/tcp -> 0.0.0.0:8080".
      for (const auto& p : c.ports) {
        std::printf("%u/%s -> %s:%u\n", p.container_port, p.proto.c_str(), p.host_ip.str().c_str(),
                    p.host_port);
      }
      return 0;
    };
  });
}

}  // namespace hull::cli
