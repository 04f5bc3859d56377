// JSON in and out for image configs. nlohmann exceptions stay in this file: each becomes an
// error that names the file and the key.
#include "engine/image_config.h"

#include <time.h>

#include <nlohmann/json.hpp>

namespace hull::engine {

using nlohmann::json;

namespace {

std::vector<std::string> strings_at(const json& obj, const char* key) {
  std::vector<std::string> out;
  if (!obj.contains(key) || obj.at(key).is_null()) return out;
  for (const auto& v : obj.at(key)) out.push_back(v.get<std::string>());
  return out;
}

std::string string_at(const json& obj, const char* key) {
  if (!obj.contains(key) || obj.at(key).is_null()) return "";
  return obj.at(key).get<std::string>();
}

}  // namespace

base::Result<ParsedImageConfig> parse_image_config(const std::string& text,
                                                   const std::string& where) {
  ParsedImageConfig out;
  const char* key = "";
  try {
    json j = json::parse(text);
    if (!j.is_object()) return base::Error(where + ": image config is not a JSON object");
    ImageConfig& c = out.config;
    key = "created";
    c.created = string_at(j, "created");
    key = "os";
    if (j.contains("os")) c.os = string_at(j, "os");
    key = "architecture";
    if (j.contains("architecture")) c.architecture = string_at(j, "architecture");
    if (j.contains("config") && j.at("config").is_object()) {
      const json& cfg = j.at("config");
      key = "config.Entrypoint";
      c.entrypoint = strings_at(cfg, "Entrypoint");
      key = "config.Cmd";
      c.cmd = strings_at(cfg, "Cmd");
      key = "config.Env";
      c.env = strings_at(cfg, "Env");
      key = "config.WorkingDir";
      c.working_dir = string_at(cfg, "WorkingDir");
      key = "config.User";
      c.user = string_at(cfg, "User");
      key = "config.StopSignal";
      c.stop_signal = string_at(cfg, "StopSignal");
      key = "config.ExposedPorts";
      if (cfg.contains("ExposedPorts") && cfg.at("ExposedPorts").is_object()) {
        for (const auto& [port, _] : cfg.at("ExposedPorts").items()) c.exposed_ports.push_back(port);
      }
      key = "config.Labels";
      if (cfg.contains("Labels") && cfg.at("Labels").is_object()) {
        for (const auto& [k, v] : cfg.at("Labels").items()) c.labels[k] = v.get<std::string>();
      }
    }
    key = "rootfs.diff_ids";
    if (!j.contains("rootfs")) return base::Error(where + ": image config has no rootfs");
    out.diff_ids = strings_at(j.at("rootfs"), "diff_ids");
  } catch (const json::exception& e) {
    std::string at = *key ? " at " + std::string(key) : "";
    return base::Error(where + ": bad image config" + at + ": " + e.what());
  }
  return out;
}

std::string image_config_json(const ImageConfig& c, const std::vector<std::string>& diff_ids,
                              const std::string& created_by) {
  json cfg = json::object();
  if (!c.entrypoint.empty()) cfg["Entrypoint"] = c.entrypoint;
  if (!c.cmd.empty()) cfg["Cmd"] = c.cmd;
  if (!c.env.empty()) cfg["Env"] = c.env;
  if (!c.working_dir.empty()) cfg["WorkingDir"] = c.working_dir;
  if (!c.user.empty()) cfg["User"] = c.user;
  if (!c.stop_signal.empty()) cfg["StopSignal"] = c.stop_signal;
  if (!c.exposed_ports.empty()) {
    json ports = json::object();
    for (const auto& p : c.exposed_ports) ports[p] = json::object();
    cfg["ExposedPorts"] = ports;
  }
  if (!c.labels.empty()) cfg["Labels"] = c.labels;
  // Keys in a fixed order (nlohmann sorts objects), so the same input gives the same id.
  json j = {{"architecture", c.architecture},
            {"os", c.os},
            {"created", c.created},
            {"config", cfg},
            {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}},
            {"history", json::array({{{"created", c.created}, {"created_by", created_by}}})}};
  return j.dump();
}

}  // namespace hull::engine
