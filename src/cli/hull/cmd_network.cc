// `hull network create|ls|inspect|rm|prune|connect|disconnect`, and `hull system prune`.
#include <cstdio>
#include <memory>

#include "cli/hull/commands.h"

namespace hull::cli {
namespace {

struct NetFlags {
  engine::NetworkRequest create;
  std::vector<std::string> opts, labels, names;
  std::string network, container, ip;
  std::vector<std::string> aliases;
  bool quiet = false, force = false;
};

base::Result<void> take_opts(NetFlags& f) {
  for (const auto& o : f.opts) {
    size_t eq = o.find('=');
    std::string key = o.substr(0, eq), value = eq == std::string::npos ? "" : o.substr(eq + 1);
    if (key == "mtu" || key == "com.docker.network.driver.mtu") {
      try {
        f.create.mtu = std::stoi(value);
      } catch (const std::exception&) {
        return base::Error("--opt " + o + ": the MTU must be a number");
      }
    } else {
      return base::Error("--opt " + o + ": unknown option (known: mtu=N)");
    }
  }
  for (const auto& l : f.labels) {
    size_t eq = l.find('=');
    f.create.labels[l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
  }
  return {};
}

}  // namespace

void add_network_commands(CLI::App& app, Globals& g, Action& action) {
  auto f = std::make_shared<NetFlags>();
  auto* net = app.add_subcommand("network", "manage networks");
  net->require_subcommand(1);

  auto* create = net->add_subcommand("create", "create a bridge network");
  create->add_option("NAME", f->create.name, "the network's name")->required();
  create->add_option("--subnet", f->create.subnet,
                     "CIDR, e.g. 172.30.0.0/16 (default: a free one)");
  create->add_option("--gateway", f->create.gateway, "the bridge's address (default: the first)");
  create->add_flag("--internal", f->create.internal, "no route out of the network");
  create->add_option("-o,--opt", f->opts, "driver option: mtu=N")->allow_extra_args(false);
  create->add_option("--label", f->labels, "KEY=VALUE")->allow_extra_args(false);
  create->add_option("-d,--driver", f->network, "bridge (the only driver)");
  create->callback([&g, &action, f] {
    action = [&g, f]() -> base::Result<int> {
      if (!f->network.empty() && f->network != "bridge") {
        return base::Error("--driver " + f->network + ": only bridge is supported");
      }
      TRY(take_opts(*f));
      ASSIGN_OR_RETURN(engine::NetworkConfig n, g.engine().network_create(f->create));
      std::printf("%s\n", n.id.c_str());
      return 0;
    };
  });

  auto* ls = net->add_subcommand("ls", "list networks");
  ls->alias("list");
  ls->add_flag("-q,--quiet", f->quiet, "only ids");
  ls->callback([&g, &action, f] {
    action = [&g, f]() -> base::Result<int> {
      auto nets = g.engine().network_list();
      if (!f->quiet) {
        std::printf("%-12s   %-20s %-18s %-15s %-15s %s\n", "NETWORK ID", "NAME", "SUBNET",
                    "GATEWAY", "BRIDGE", "INTERNAL");
      }
      for (const auto& n : nets) {
        if (f->quiet) {
          std::printf("%s\n", n.id.substr(0, 12).c_str());
          continue;
        }
        std::printf("%-12s   %-20s %-18s %-15s %-15s %s\n", n.id.substr(0, 12).c_str(),
                    n.name.c_str(), n.subnet.str().c_str(), n.gateway.str().c_str(),
                    n.bridge.c_str(), n.internal ? "true" : "false");
      }
      return 0;
    };
  });

  auto* inspect = net->add_subcommand("inspect", "show networks as JSON");
  inspect->add_option("NETWORK", f->names, "networks")->required();
  inspect->callback([&g, &action, f] {
    action = [&g, f]() -> base::Result<int> {
      nlohmann::json out = nlohmann::json::array();
      engine::Engine e = g.engine();
      for (const auto& name : f->names) {
        ASSIGN_OR_RETURN(nlohmann::json j, e.network_inspect(name));
        out.push_back(std::move(j));
      }
      std::printf("%s\n", out.dump(4).c_str());
      return 0;
    };
  });

  auto* rm = net->add_subcommand("rm", "remove networks no container uses");
  rm->alias("remove");
  rm->add_option("NETWORK", f->names, "networks")->required();
  rm->callback([&g, &action, f] {
    action = [&g, f]() -> base::Result<int> {
      engine::Engine e = g.engine();
      for (const auto& name : f->names) {
        TRY(e.network_remove(name));
        std::printf("%s\n", name.c_str());
      }
      return 0;
    };
  });

  auto* prune = net->add_subcommand("prune", "remove every user-defined network not in use");
  prune->add_flag("-f,--force", f->force, "do not ask (hull never asks)");
  prune->callback([&g, &action] {
    action = [&g]() -> base::Result<int> {
      ASSIGN_OR_RETURN(auto removed, g.engine().network_prune());
      for (const auto& name : removed) std::printf("%s\n", name.c_str());
      return 0;
    };
  });

  for (bool connect : {true, false}) {
    auto* c = net->add_subcommand(
        connect ? "connect" : "disconnect",
        connect ? "put a container on a network" : "take a container off a network");
    c->add_option("NETWORK", f->network, "the network")->required();
    c->add_option("CONTAINER", f->container, "the container")->required();
    if (connect) {
      c->add_option("--ip", f->ip, "the container's address on it");
      c->add_option("--alias", f->aliases, "another name on it")->allow_extra_args(false);
    } else {
      c->add_flag("-f,--force", f->force, "accepted for docker's sake");
    }
    c->callback([&g, &action, f, connect] {
      action = [&g, f, connect]() -> base::Result<int> {
        engine::Engine e = g.engine();
        if (connect) {
          TRY(e.network_connect(f->network, f->container, f->ip, f->aliases));
        } else {
          TRY(e.network_disconnect(f->network, f->container));
        }
        return 0;
      };
    });
  }

  auto* system = app.add_subcommand("system", "engine-wide housekeeping");
  system->require_subcommand(1);
  auto* sprune = system->add_subcommand(
      "prune", "remove stopped containers, unused networks, and what crashes left behind");
  sprune->add_flag("-f,--force", f->force, "do not ask (hull never asks)");
  sprune->callback([&g, &action] {
    action = [&g]() -> base::Result<int> {
      ASSIGN_OR_RETURN(auto report, g.engine().system_prune());
      for (const auto& c : report.containers) std::printf("deleted container %s\n", c.c_str());
      for (const auto& n : report.networks) std::printf("deleted network %s\n", n.c_str());
      std::printf("freed %zu stale address%s and %zu stale host port%s\n", report.addresses,
                  report.addresses == 1 ? "" : "es", report.ports, report.ports == 1 ? "" : "s");
      return 0;
    };
  });
}

}  // namespace hull::cli
