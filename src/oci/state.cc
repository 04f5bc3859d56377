#include "oci/state.h"

#include <algorithm>

#include "oci/capabilities.h"
#include "oci/mount_options.h"
#include "oci/seccomp_names.h"
#include "oci/spec.h"

namespace hull::oci {

namespace {

template <typename List>
nlohmann::json string_array(const List& list) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : list) out.push_back(std::string(s));
  return out;
}

}  // namespace

const char* status_name(Status s) {
  switch (s) {
    case Status::kCreating:
      return "creating";
    case Status::kCreated:
      return "created";
    case Status::kRunning:
      return "running";
    case Status::kPaused:
      return "paused";
    case Status::kStopped:
      return "stopped";
  }
  return "unknown";
}

nlohmann::json state_json(const State& s) {
  nlohmann::json j;
  j["ociVersion"] = kSpecVersion;
  j["id"] = s.id;
  j["status"] = status_name(s.status);
  // Always present, as runc prints it: 0 once the process is gone.
  j["pid"] = s.pid;
  j["bundle"] = s.bundle;
  if (!s.annotations.empty()) j["annotations"] = s.annotations;
  return j;
}

nlohmann::json features_json() {
  nlohmann::json j;
  j["ociVersionMin"] = "1.0.0";
  j["ociVersionMax"] = kSpecVersion;
  j["hooks"] = {"prestart",       "createRuntime", "createContainer",
                "startContainer", "poststart",     "poststop"};
  j["mountOptions"] = all_mount_option_names();

  std::vector<std::string> namespaces;
  for (const auto& ns : all_namespaces()) namespaces.emplace_back(ns.spec_name);
  std::sort(namespaces.begin(), namespaces.end());

  nlohmann::json linux;
  linux["namespaces"] = namespaces;
  linux["capabilities"] = all_capability_names();
  linux["cgroup"] = {{"v1", true}, {"v2", true}, {"systemd", false}, {"systemdUser", false}};
  linux["seccomp"] = {
      {"enabled", true},
      {"actions", string_array(kSeccompActions)},
      {"operators", string_array(kSeccompOperators)},
      {"archs", string_array(kSeccompArchs)},
  };
  linux["apparmor"] = {{"enabled", false}};
  linux["selinux"] = {{"enabled", false}};
  linux["intelRdt"] = {{"enabled", false}};
  linux["mountExtensions"] = {{"idmap", {{"enabled", false}}}};
  j["linux"] = linux;
  j["annotations"] = {{"io.github.hull.version", HULL_VERSION}};
  return j;
}

}  // namespace hull::oci
