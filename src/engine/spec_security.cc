#include "engine/spec_security.h"

#include <algorithm>
#include <set>

#include "base/sys.h"
#include "engine/spec_flags.h"
#include "oci/capabilities.h"
#include "oci/spec.h"

namespace hull::engine::spec_detail {

using base::Error;
using base::Result;
using nlohmann::json;

namespace {

// This machine in docker's two vocabularies: libseccomp's architecture and Go's GOARCH, which
// docker's profiles use in includes.arches.
#if defined(__aarch64__)
constexpr const char* kNativeScmpArch = "SCMP_ARCH_AARCH64";
constexpr const char* kNativeGoArch = "arm64";
#else
constexpr const char* kNativeScmpArch = "SCMP_ARCH_X86_64";
constexpr const char* kNativeGoArch = "amd64";
#endif

// "net_admin", "CAP_NET_ADMIN", "Net_Admin" -> "CAP_NET_ADMIN"; "all" -> "ALL".
std::string normalize_cap(const std::string& name) {
  std::string up;
  for (char c : name) up += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  if (up == "ALL" || up.starts_with("CAP_")) return up;
  return "CAP_" + up;
}

Result<std::vector<std::string>> normalize_caps(const std::vector<std::string>& names,
                                                const std::string& flag) {
  std::vector<std::string> out;
  for (const auto& name : names) {
    std::string cap = normalize_cap(name);
    if (cap != "ALL" && !oci::capability_from_name(cap)) {
      return flag_error(flag, name, "unknown capability " + quote(cap));
    }
    out.push_back(cap);
  }
  return out;
}

bool contains(const std::vector<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

// Strings of a JSON array, or an error naming where it is.
Result<std::vector<std::string>> strings_at(const json& j, const std::string& where) {
  if (!j.is_array()) return Error(where + ": expected a list of strings");
  std::vector<std::string> out;
  for (const auto& e : j) {
    if (!e.is_string()) return Error(where + ": expected a list of strings");
    out.push_back(e.get<std::string>());
  }
  return out;
}

// Docker's includes/excludes of one rule: caps all present / arches containing ours.
// `include`: the rule needs every listed cap and one of the arches; otherwise (excludes) the
// rule is dropped by any listed cap that is present or an arch that is ours.
Result<bool> condition_holds(const json& cond, bool include, const std::vector<std::string>& caps,
                             const std::string& where) {
  if (!cond.is_object()) return Error(where + ": expected an object");
  if (cond.contains("caps")) {
    ASSIGN_OR_RETURN(auto want, strings_at(cond["caps"], where + ".caps"));
    for (const auto& c : want) {
      if (include && !contains(caps, c)) return false;
      if (!include && contains(caps, c)) return false;
    }
  }
  if (cond.contains("arches")) {
    ASSIGN_OR_RETURN(auto arches, strings_at(cond["arches"], where + ".arches"));
    bool ours = contains(arches, kNativeGoArch);
    if (include && !arches.empty() && !ours) return false;
    if (!include && ours) return false;
  }
  return true;
}

Result<json> architectures(const json& profile) {
  if (!profile.contains("archMap")) {
    return profile.contains("architectures") ? profile["architectures"] : json();
  }
  const json& map = profile["archMap"];
  if (!map.is_array()) return Error("archMap: expected a list");
  for (size_t i = 0; i < map.size(); ++i) {
    std::string where = "archMap[" + std::to_string(i) + "]";
    if (!map[i].is_object() || !map[i].contains("architecture") ||
        !map[i]["architecture"].is_string()) {
      return Error(where + ".architecture: expected a string");
    }
    if (map[i]["architecture"] != kNativeScmpArch) continue;
    json out = {kNativeScmpArch};
    if (map[i].contains("subArchitectures")) {
      ASSIGN_OR_RETURN(auto subs,
                       strings_at(map[i]["subArchitectures"], where + ".subArchitectures"));
      for (const auto& s : subs) out.push_back(s);
    }
    return out;
  }
  return json();  // no entry for this machine: libseccomp's native architecture only
}

}  // namespace

const std::vector<std::string>& default_capabilities() {
  static const std::vector<std::string> caps = {
      "CAP_CHOWN",       "CAP_DAC_OVERRIDE", "CAP_FOWNER",
      "CAP_FSETID",      "CAP_KILL",         "CAP_SETGID",
      "CAP_SETUID",      "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE",
      "CAP_NET_RAW",     "CAP_SYS_CHROOT",   "CAP_MKNOD",
      "CAP_AUDIT_WRITE", "CAP_SETFCAP",
  };
  return caps;
}

Result<std::vector<std::string>> capability_set(const RunOptions& run,
                                                const std::vector<std::string>& available) {
  ASSIGN_OR_RETURN(auto add, normalize_caps(run.cap_add, "--cap-add"));
  ASSIGN_OR_RETURN(auto drop, normalize_caps(run.cap_drop, "--cap-drop"));
  const std::vector<std::string> all = available.empty() ? oci::all_capability_names() : available;
  std::vector<std::string> caps;
  if (run.privileged) {
    caps = all;  // --cap-add/--cap-drop change nothing then (docker)
  } else if (contains(add, "ALL")) {
    for (const auto& c : all) {
      if (!contains(drop, c)) caps.push_back(c);
    }
  } else if (contains(drop, "ALL")) {
    caps = add;  // nothing but what is added
  } else {
    for (const auto& c : default_capabilities()) {
      if (!contains(drop, c)) caps.push_back(c);
    }
    caps.insert(caps.end(), add.begin(), add.end());
  }
  std::set<int> numbers;
  for (const auto& c : caps) {
    if (auto n = oci::capability_from_name(c)) numbers.insert(*n);
  }
  std::vector<std::string> out;
  for (int n : numbers) out.push_back(oci::capability_name(n));
  return out;
}

Result<SecurityOpts> parse_security_opts(const std::vector<std::string>& opts) {
  SecurityOpts out;
  for (const std::string& opt : opts) {
    size_t sep = opt.find_first_of("=:");
    std::string key = opt.substr(0, sep);
    std::string value = sep == std::string::npos ? "" : opt.substr(sep + 1);
    if (key == "no-new-privileges") {
      if (value == "" || value == "true") {
        out.no_new_privileges = true;
      } else if (value == "false") {
        out.no_new_privileges = false;
      } else {
        return flag_error("--security-opt", opt, "expected no-new-privileges[:true|false]");
      }
    } else if (key == "seccomp" && !value.empty()) {
      if (value == "unconfined") {
        out.seccomp = SecurityOpts::Seccomp::kUnconfined;
      } else {
        out.seccomp = SecurityOpts::Seccomp::kFile;
        out.seccomp_path = value;
      }
    } else if ((key == "apparmor" && value == "unconfined") ||
               (key == "label" && value == "disable")) {
      // hull applies no AppArmor profile or SELinux label: asking for none is already so.
    } else if (key == "apparmor" || key == "label") {
      return flag_error("--security-opt", opt,
                        "not supported: hull applies no AppArmor profile or SELinux label");
    } else {
      return flag_error("--security-opt", opt,
                        "expected seccomp=unconfined|PATH or no-new-privileges[:true|false]");
    }
  }
  return out;
}

Result<json> seccomp_for_container(const json& profile, const std::vector<std::string>& caps) {
  if (!profile.is_object()) return Error("expected a JSON object");
  json out = json::object();
  for (const char* key :
       {"defaultAction", "defaultErrnoRet", "flags", "listenerPath", "listenerMetadata"}) {
    if (profile.contains(key)) out[key] = profile[key];
  }
  ASSIGN_OR_RETURN(json archs, architectures(profile));
  if (!archs.is_null()) out["architectures"] = std::move(archs);
  json syscalls = json::array();
  const json empty = json::array();
  const json& rules = profile.contains("syscalls") ? profile["syscalls"] : empty;
  if (!rules.is_array()) return Error("syscalls: expected a list");
  for (size_t i = 0; i < rules.size(); ++i) {
    const json& r = rules[i];
    std::string where = "syscalls[" + std::to_string(i) + "]";
    if (!r.is_object()) return Error(where + ": expected an object");
    if (r.contains("includes")) {
      ASSIGN_OR_RETURN(bool ok, condition_holds(r["includes"], true, caps, where + ".includes"));
      if (!ok) continue;
    }
    if (r.contains("excludes")) {
      ASSIGN_OR_RETURN(bool ok, condition_holds(r["excludes"], false, caps, where + ".excludes"));
      if (!ok) continue;
    }
    json rule = json::object();
    if (r.contains("names")) {
      rule["names"] = r["names"];
    } else if (r.contains("name")) {
      rule["names"] = json::array({r["name"]});  // docker's older one-name form
    }
    for (const char* key : {"action", "errnoRet", "args"}) {
      if (r.contains(key)) rule[key] = r[key];
    }
    syscalls.push_back(std::move(rule));
  }
  if (!syscalls.empty()) out["syscalls"] = std::move(syscalls);
  return out;
}

Result<json> seccomp_from_file(const std::string& path, const std::vector<std::string>& caps) {
  ASSIGN_OR_RETURN(std::string text, base::sys::read_file(path));
  json profile = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (profile.is_discarded()) return Error(path + ": not valid JSON");
  auto converted = seccomp_for_container(profile, caps);
  if (!converted) return std::move(converted.error()).context(path);
  // The OCI parser is the judge of the result: actions, operators, errnoRet placement.
  json spec = {{"ociVersion", oci::kSpecVersion},
               {"root", {{"path", "/"}}},
               {"process", {{"args", {"x"}}, {"cwd", "/"}}},
               {"linux", {{"seccomp", *converted}}}};
  auto parsed = oci::parse_spec(spec.dump());
  if (!parsed) return std::move(parsed.error()).context(path);
  return converted;
}

Result<json> build_sysctls(const std::vector<std::string>& sysctls, bool private_ipc,
                           bool private_network) {
  json out = json::object();
  for (const std::string& text : sysctls) {
    KeyValue kv = split_key_value(text);
    if (!kv.has_value || kv.key.empty()) return flag_error("--sysctl", text, "expected KEY=VALUE");
    std::string key = kv.key;
    std::replace(key.begin(), key.end(), '/', '.');
    bool ipc = key.starts_with("kernel.msg") || key == "kernel.sem" ||
               key.starts_with("kernel.shm") || key.starts_with("fs.mqueue.");
    bool net = key.starts_with("net.");
    if (!ipc && !net) {
      return flag_error("--sysctl", text,
                        "not allowed: only namespaced sysctls (kernel.msg*, kernel.sem, "
                        "kernel.shm*, fs.mqueue.*, net.*) can be set");
    }
    if (ipc && !private_ipc) {
      return flag_error("--sysctl", text,
                        "needs a private ipc namespace (not --ipc host or container:NAME)");
    }
    if (net && !private_network) {
      return flag_error("--sysctl", text,
                        "needs a private network namespace (not --network host or "
                        "container:NAME)");
    }
    out[key] = kv.value;
  }
  return out;
}

}  // namespace hull::engine::spec_detail
