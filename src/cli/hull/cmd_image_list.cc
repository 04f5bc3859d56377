// `hull images` (table as docker prints it, or JSON) and `hull image inspect`.
#include <time.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/hull/cmd_image.h"

namespace hull::cli {

namespace {

using nlohmann::json;

// "3 minutes ago", as docker words it.
std::string ago(const std::string& rfc3339) {
  tm t{};
  if (!strptime(rfc3339.c_str(), "%Y-%m-%dT%H:%M:%S", &t)) return "N/A";
  long s = static_cast<long>(::time(nullptr) - timegm(&t));
  auto n = [](long v, const char* unit) {
    return std::to_string(v) + " " + unit + (v == 1 ? "" : "s") + " ago";
  };
  if (s < 1) return "Less than a second ago";
  if (s < 60) return n(s, "second");
  if (s < 120) return "About a minute ago";
  if (s < 3600) return n(s / 60, "minute");
  if (s < 7200) return "About an hour ago";
  if (s < 48 * 3600) return n(s / 3600, "hour");
  if (s < 14 * 86400) return n(s / 86400, "day");
  if (s < 60 * 86400) return n(s / (7 * 86400), "week");
  if (s < 730 * 86400) return n(s / (30 * 86400), "month");
  return n(s / (365 * 86400), "year");
}

// Decimal units with three significant digits ("4.86MB"), as docker prints sizes.
std::string human_size(int64_t bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g%s", v, units[u]);
  return buf;
}

void print_table(const std::vector<engine::Image>& images) {
  std::printf("%-40s %-12s %-14s %-22s %s\n", "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE");
  for (const auto& img : images) {
    std::vector<std::string> tags = img.tags;
    if (tags.empty()) tags.push_back("<none>:<none>");
    for (const auto& t : tags) {
      size_t colon = t.rfind(':');
      std::printf("%-40s %-12s %-14s %-22s %s\n", t.substr(0, colon).c_str(),
                  t.substr(colon + 1).c_str(), img.id.substr(7, 12).c_str(),
                  ago(img.created).c_str(), human_size(img.size).c_str());
    }
  }
}

json inspect_json(const engine::Image& img) {
  const engine::ImageConfig& c = img.config;
  json ports = json::object();
  for (const auto& p : c.exposed_ports) ports[p] = json::object();
  return {{"Id", img.id},
          {"RepoTags", img.tags},
          {"Digest", img.manifest_digest},
          {"Created", img.created},
          {"Architecture", c.architecture},
          {"Os", c.os},
          {"Size", img.size},
          {"Config",
           {{"Entrypoint", c.entrypoint.empty() ? json(nullptr) : json(c.entrypoint)},
            {"Cmd", c.cmd.empty() ? json(nullptr) : json(c.cmd)},
            {"Env", c.env},
            {"WorkingDir", c.working_dir},
            {"User", c.user},
            {"ExposedPorts", ports},
            {"StopSignal", c.stop_signal},
            {"Labels", c.labels}}},
          {"RootFS", {{"Type", "layers"}, {"Layers", img.diff_ids}}},
          {"GraphDriver", {{"Name", "overlay"}, {"Data", {{"LowerDirs", img.layer_dirs}}}}}};
}

struct ListFlags {
  bool quiet = false;
  std::string format = "table";
};

}  // namespace

void add_image_list(CLI::App& parent, const std::string& name, Globals& g, Action& action) {
  auto f = std::make_shared<ListFlags>();
  auto* cmd = parent.add_subcommand(name, "list images");
  if (name == "ls") cmd->alias("list");
  cmd->add_flag("-q,--quiet", f->quiet, "only image ids");
  cmd->add_option("--format", f->format, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  cmd->callback([&g, &action, f] {
    action = [&g, f]() -> base::Result<int> {
      auto e = g.engine();
      std::vector<engine::Image> images = e.images().list();
      if (f->quiet) {
        for (const auto& img : images) std::printf("%s\n", img.id.substr(7, 12).c_str());
      } else if (f->format == "json") {
        json out = json::array();
        for (const auto& img : images) {
          out.push_back({{"Id", img.id},
                         {"RepoTags", img.tags},
                         {"Size", img.size},
                         {"Created", img.created}});
        }
        std::printf("%s\n", out.dump(2).c_str());
      } else {
        print_table(images);
      }
      return 0;
    };
  });
}

void add_image_inspect(CLI::App& parent, Globals& g, Action& action) {
  auto refs = std::make_shared<std::vector<std::string>>();
  auto* cmd = parent.add_subcommand("inspect", "show images as JSON");
  cmd->add_option("image", *refs, "images by name or id")->required();
  cmd->callback([&g, &action, refs] {
    action = [&g, refs]() -> base::Result<int> {
      auto e = g.engine();
      json out = json::array();
      for (const auto& r : *refs) {
        ASSIGN_OR_RETURN(engine::Image img, e.images().find(r));
        out.push_back(inspect_json(img));
      }
      std::printf("%s\n", out.dump(4).c_str());
      return 0;
    };
  });
}

}  // namespace hull::cli
