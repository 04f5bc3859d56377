// `hull inspect`: a container as docker shows it (Id, Name, State, Config, HostConfig,
// GraphDriver), plus the inodes of its namespaces (ns_report.h).
#include <unistd.h>

#include "engine/engine.h"
#include "engine/ns_report.h"

namespace hull::engine {

base::Result<nlohmann::json> Engine::inspect(const std::string& ref) {
  ASSIGN_OR_RETURN(ContainerRecord r, find(ref));
  bool is_running = r.monitor_alive && (r.state == ContainerState::kRunning ||
                                        r.state == ContainerState::kPaused);
  nlohmann::json state = {
      {"Status", state_name(r.state)},
      {"Running", is_running},
      {"Paused", r.state == ContainerState::kPaused},
      {"Pid", is_running ? r.pid : 0},
      {"ExitCode", r.exit_code ? nlohmann::json(*r.exit_code) : nlohmann::json(nullptr)},
      {"StartedAt", r.started_at},
      {"FinishedAt", r.finished_at},
  };
  nlohmann::json config = {{"Image", r.image}, {"Tty", r.tty}, {"OpenStdin", r.interactive},
                           {"Labels", r.labels}, {"StopSignal", r.stop_signal},
                           {"StopTimeout", r.stop_timeout}};
  nlohmann::json mounts = nlohmann::json::array();
  if (auto spec = spec_of(r)) {
    config["Cmd"] = spec->process.args;
    config["Env"] = spec->process.env;
    config["WorkingDir"] = spec->process.cwd;
    config["User"] = std::to_string(spec->process.user.uid) + ":" +
                     std::to_string(spec->process.user.gid);
    config["Hostname"] = spec->hostname;
    std::string own = store_.dir_of(r.id) + "/";
    for (const auto& m : spec->mounts) {
      if (m.type != "bind" && m.type != "tmpfs") continue;
      if (m.source.rfind(own, 0) == 0) continue;  // /etc/hosts and co: the engine's, as docker
      bool ro = false;
      for (const auto& o : m.options) ro = ro || o == "ro";
      mounts.push_back({{"Type", m.type}, {"Source", m.source}, {"Destination", m.destination},
                        {"RW", !ro}});
    }
  }
  std::string dir = store_.dir_of(r.id);
  std::string lower;
  for (auto it = r.layer_dirs.rbegin(); it != r.layer_dirs.rend(); ++it) {
    lower += (lower.empty() ? "" : ":") + *it;
  }
  nlohmann::json out = {
      {"Id", r.id},
      {"Name", "/" + r.name},
      {"Created", r.created},
      {"Path", r.command.empty() ? "" : r.command[0]},
      {"Args", r.command.size() > 1 ? std::vector<std::string>(r.command.begin() + 1,
                                                                 r.command.end())
                                    : std::vector<std::string>{}},
      {"State", state},
      {"Image", r.image_id},
      {"Config", config},
      {"HostConfig",
       {{"AutoRemove", r.auto_remove},
        {"RestartPolicy", r.restart_policy},
        {"NetworkMode", r.run_options.value("network", "none")},
        {"PidMode", r.run_options.value("pid", "")},
        {"IpcMode", r.run_options.value("ipc", "")},
        {"UTSMode", r.run_options.value("uts", "")},
        {"Memory", r.run_options.value("memory", "")},
        {"Cpus", r.run_options.value("cpus", "")}}},
      {"RestartCount", r.restart_count},
      {"LogPath", log_path(r)},
      {"Mounts", mounts},
      {"GraphDriver",
       {{"Name", "overlay"},
        {"Data", {{"LowerDir", lower}, {"UpperDir", dir + "/upper"}, {"WorkDir", dir + "/work"}}}}},
      {"Namespaces", is_running ? ns_inodes(r.pid) : nlohmann::json::object()},
  };
  nlohmann::json nets = nlohmann::json::object(), ports = nlohmann::json::object();
  for (const auto& a : r.networks) {
    auto n = networks_.load(a.network);
    nets[a.network] = {{"IPAddress", a.ip},
                       {"IPPrefixLen", n ? n->subnet.prefix : 0},
                       {"Gateway", n ? n->gateway.str() : ""},
                       {"MacAddress", a.mac},
                       {"Aliases", a.aliases},
                       {"NetworkID", n ? n->id : ""}};
  }
  for (const auto& p : r.ports) {
    ports[std::to_string(p.container_port) + "/" + p.proto].push_back(
        {{"HostIp", p.host_ip.str()}, {"HostPort", std::to_string(p.host_port)}});
  }
  out["NetworkSettings"] = {{"Networks", nets}, {"Ports", ports}};
  return out;
}

}  // namespace hull::engine
