#include "engine/spec_namespaces.h"

#include "engine/spec_flags.h"

namespace hull::engine::spec_detail {

using base::Error;
using base::Result;
using nlohmann::json;
using oci::NamespaceType;

namespace {

struct FlagSyntax {
  const char* flag;
  bool container_ok;  // container:NAME is accepted
  const char* expected;
};

// One flag's value: host, container:NAME (if allowed), or one of the private spellings.
Result<NsMode> parse_mode(const FlagSyntax& f, const std::string& value,
                          std::initializer_list<const char*> private_words, NamespaceType type,
                          const std::map<NamespaceType, std::string>& join) {
  if (value == "host") return NsMode::kHost;
  if (f.container_ok && value.starts_with("container:") && value.size() > 10) {
    // The engine resolves NAME to the container's namespace before building the spec.
    if (!join.contains(type)) {
      return flag_error(f.flag, value, "the container's namespace was not resolved");
    }
    return NsMode::kContainer;
  }
  for (const char* w : private_words) {
    if (value == w) return NsMode::kPrivate;
  }
  return flag_error(f.flag, value, f.expected);
}

}  // namespace

Result<NamespacePlan> plan_namespaces(const RunOptions& run,
                                      const std::map<NamespaceType, std::string>& join) {
  NamespacePlan p;
  // --network none is still a new namespace: it has only lo. A bridge network is a new
  // namespace too, made by the monitor (network_attach.h), its path set at each start.
  ASSIGN_OR_RETURN(
      p.modes[NamespaceType::kNetwork],
      parse_mode({"--network", true, "expected a network name, none, host or container:NAME"},
                 run.network,
                 {run.network.starts_with("container:") ? "" : run.network.c_str()},
                 NamespaceType::kNetwork, join));
  ASSIGN_OR_RETURN(p.modes[NamespaceType::kPid],
                   parse_mode({"--pid", true, "expected private, host or container:NAME"}, run.pid,
                              {"", "private"}, NamespaceType::kPid, join));
  ASSIGN_OR_RETURN(
      p.modes[NamespaceType::kIpc],
      parse_mode({"--ipc", true, "expected none, private, shareable, host or container:NAME"},
                 run.ipc, {"", "none", "private", "shareable"}, NamespaceType::kIpc, join));
  p.ipc_none = run.ipc == "none";
  ASSIGN_OR_RETURN(p.modes[NamespaceType::kUts],
                   parse_mode({"--uts", false, "expected private or host"}, run.uts,
                              {"", "private"}, NamespaceType::kUts, join));
  // cgroupns: private by default, as docker on cgroup v2 (on v1 docker shares the host's).
  ASSIGN_OR_RETURN(p.modes[NamespaceType::kCgroup],
                   parse_mode({"--cgroupns", false, "expected private or host"}, run.cgroupns,
                              {"", "private"}, NamespaceType::kCgroup, join));
  ASSIGN_OR_RETURN(p.modes[NamespaceType::kTime],
                   parse_mode({"--time", false, "expected host or private"}, run.time,
                              {"", "private"}, NamespaceType::kTime, join));
  // Docker has no time namespace flag: the default is the host's clocks.
  if (run.time.empty()) p.modes[NamespaceType::kTime] = NsMode::kHost;
  p.modes[NamespaceType::kMount] = NsMode::kPrivate;
  if (!run.time_offsets.empty()) {
    if (run.time == "host") {
      return flag_error("--time-offset", run.time_offsets[0],
                        "needs a private time namespace (not --time host)");
    }
    p.modes[NamespaceType::kTime] = NsMode::kPrivate;
    p.time_offsets = true;
  }
  return p;
}

json namespaces_json(const NamespacePlan& plan, const std::map<NamespaceType, std::string>& join,
                     bool rootless) {
  json out = json::array();
  auto add = [&](NamespaceType t) {
    json ns = {{"type", oci::namespace_info(t).spec_name}};
    if (auto it = join.find(t); it != join.end()) ns["path"] = it->second;
    out.push_back(std::move(ns));
  };
  for (NamespaceType t :
       {NamespaceType::kPid, NamespaceType::kNetwork, NamespaceType::kIpc, NamespaceType::kUts,
        NamespaceType::kMount, NamespaceType::kCgroup, NamespaceType::kTime}) {
    if (plan.mode(t) != NsMode::kHost || join.contains(t)) add(t);
  }
  if (rootless || join.contains(NamespaceType::kUser)) add(NamespaceType::kUser);
  return out;
}

Result<json> build_time_offsets(const std::vector<std::string>& offsets) {
  json out = json::object();
  for (const std::string& text : offsets) {
    size_t start = 0;
    while (true) {
      size_t comma = text.find(',', start);
      KeyValue kv = split_key_value(text.substr(start, comma - start));
      if (kv.key != "monotonic" && kv.key != "boottime") {
        return flag_error("--time-offset", text,
                          (kv.has_value ? "unknown clock " + quote(kv.key)
                                        : std::string("expected CLOCK=DURATION")) +
                              " (clocks: monotonic, boottime)");
      }
      auto d = parse_duration(kv.value);
      if (!d) return std::move(d.error()).context(kv.key).context(flag_at("--time-offset", text));
      out[kv.key] = {{"secs", d->secs}, {"nanosecs", d->nanosecs}};
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

}  // namespace hull::engine::spec_detail
