// build_spec: the steps from RunOptions and the image config to config.json, each in its own
// function here or in spec_{flags,user,mounts,resources,security,namespaces}.cc.
#include "engine/spec_builder.h"

#include <algorithm>

#include "base/signals.h"
#include "base/sys.h"
#include "engine/seccomp_profile.h"
#include "engine/spec_flags.h"
#include "engine/spec_mounts.h"
#include "engine/spec_namespaces.h"
#include "engine/spec_resources.h"
#include "engine/spec_security.h"
#include "engine/spec_user.h"
#include "oci/default_spec.h"

namespace hull::engine {

using base::Error;
using base::Result;
using nlohmann::json;
using oci::NamespaceType;
using namespace spec_detail;

namespace {

constexpr const char* kDefaultPath =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Docker's rules: --entrypoint replaces the image's Entrypoint and drops its Cmd (an empty
// --entrypoint clears both); words after the image replace Cmd.
Result<std::vector<std::string>> process_args(const RunOptions& run, const ImageConfig& image) {
  std::vector<std::string> args = image.entrypoint;
  std::vector<std::string> cmd = image.cmd;
  if (run.entrypoint) {
    args.clear();
    if (!run.entrypoint->empty()) args.push_back(*run.entrypoint);
    cmd.clear();
  }
  if (!run.command.empty()) cmd = run.command;
  args.insert(args.end(), cmd.begin(), cmd.end());
  if (args.empty()) {
    return Error("no command: the image has no Entrypoint or Cmd")
        .hint("give a command after the image name");
  }
  return args;
}

// KEY=VALUE into env, replacing an earlier KEY where it stands (docker's order).
void set_env(std::vector<std::string>& env, const std::string& entry) {
  std::string key = entry.substr(0, entry.find('='));
  auto same = std::find_if(env.begin(), env.end(),
                           [&](const std::string& e) { return e.substr(0, e.find('=')) == key; });
  if (same != env.end()) {
    *same = entry;
  } else {
    env.push_back(entry);
  }
}

// PATH, HOSTNAME and TERM first, then the image's, --env-file's and -e's, later ones winning.
Result<std::vector<std::string>> process_env(const RunOptions& run, const ImageConfig& image,
                                             const std::string& hostname) {
  std::vector<std::string> env = {kDefaultPath};
  if (!hostname.empty()) env.push_back("HOSTNAME=" + hostname);
  if (run.tty) env.push_back("TERM=xterm");
  for (const auto& e : image.env) set_env(env, e);
  for (const auto& path : run.env_files) {
    auto text = base::sys::read_file(path);
    if (!text) return std::move(text.error()).context("--env-file " + quote(path));
    auto entries = parse_env_file(*text);
    if (!entries) return std::move(entries.error()).context("--env-file " + quote(path));
    for (const auto& e : *entries) set_env(env, e);
  }
  for (const auto& word : run.env) {
    auto e = parse_env_word(word);
    if (!e) return std::move(e.error()).context(flag_at("-e", word));
    if (*e) set_env(env, **e);
  }
  return env;
}

Result<json> process_user(const SpecInputs& in) {
  const bool from_flag = !in.run->user.empty();
  const std::string& text = from_flag ? in.run->user : in.image->user;
  const std::string where = from_flag ? flag_at("-u", text) : "the image's user " + quote(text);
  auto user = resolve_user(text, in.lookup_dirs);
  if (!user) return std::move(user.error()).context(where);
  if (in.rootless) {
    // The rootless user namespace maps root alone, and setgroups(2) is denied in it.
    if (user->uid != 0 || user->gid != 0) {
      return Error("a rootless container maps only root (uid 0, gid 0)").context(where);
    }
    user->additional_gids.clear();
  }
  json out = {{"uid", user->uid}, {"gid", user->gid}};
  if (!user->additional_gids.empty()) out["additionalGids"] = user->additional_gids;
  return out;
}

Result<std::string> process_cwd(const RunOptions& run, const ImageConfig& image) {
  if (!run.workdir.empty()) {
    if (run.workdir[0] != '/') return flag_error("-w", run.workdir, "must be an absolute path");
    return run.workdir;
  }
  if (image.working_dir.empty()) return std::string("/");
  // An image's WorkingDir is absolute by construction; a relative one is taken from /.
  return image.working_dir[0] == '/' ? image.working_dir : "/" + image.working_dir;
}

Result<json> rlimits(const RunOptions& run) {
  json out = json::array();
  for (const auto& text : run.ulimits) {
    auto r = parse_ulimit(text);
    if (!r) return std::move(r.error()).context(flag_at("--ulimit", text));
    // A later --ulimit of the same name replaces the earlier (docker keeps a map).
    auto same = std::find_if(out.begin(), out.end(),
                             [&](const json& e) { return e["type"] == (*r)["type"]; });
    if (same != out.end()) {
      *same = std::move(*r);
    } else {
      out.push_back(std::move(*r));
    }
  }
  return out;
}

Result<std::string> hostname_of(const SpecInputs& in, const NamespacePlan& ns) {
  const std::string& name = in.run->hostname;
  if (!ns.is_private(NamespaceType::kUts)) {
    if (!name.empty()) return flag_error("--hostname", name, "cannot be set with --uts host");
    return std::string();  // the host's: not ours to read or set
  }
  if (name.empty()) return in.id.substr(0, 12);
  if (name.size() > 64 || name.find_first_of(" \t\n/") != std::string::npos) {
    return flag_error("--hostname", name, "expected a host name of at most 64 characters");
  }
  return name;
}

Result<json> annotations(const RunOptions& run) {
  json out = json::object();
  for (const auto& text : run.labels) {
    KeyValue kv = split_key_value(text);
    if (kv.key.empty()) return flag_error("--label", text, "expected KEY=VALUE");
    out[kv.key] = kv.value;
  }
  return out;
}

// Cgroup limits need a cgroup the user may write; a rootless container may have none, so
// hull refuses the flags rather than silently dropping them.
Result<void> refuse_rootless_limits(const RunOptions& run) {
  const std::pair<const char*, const std::string*> limits[] = {
      {"--memory", &run.memory},
      {"--memory-swap", &run.memory_swap},
      {"--cpus", &run.cpus},
      {"--cpu-shares", &run.cpu_shares},
      {"--cpuset-cpus", &run.cpuset_cpus},
      {"--pids-limit", &run.pids_limit},
  };
  for (const auto& [flag, value] : limits) {
    if (!value->empty()) {
      return flag_error(flag, *value, "cgroup limits are not available to rootless containers");
    }
  }
  return {};
}

Result<json> seccomp_json(const SecurityOpts& sec, const std::vector<std::string>& caps) {
  if (sec.seccomp == SecurityOpts::Seccomp::kFile) {
    auto s = seccomp_from_file(sec.seccomp_path, caps);
    if (!s)
      return std::move(s.error()).context(flag_at("--security-opt", "seccomp=" + sec.seccomp_path));
    return s;
  }
  return default_seccomp_profile(caps);
}

Result<json> process_json(const SpecInputs& in, const std::string& hostname,
                          const std::vector<std::string>& caps, const SecurityOpts& sec) {
  const RunOptions& run = *in.run;
  json p;
  p["terminal"] = run.tty;
  if (run.tty && in.console_rows > 0) {
    p["consoleSize"] = {{"height", in.console_rows}, {"width", in.console_cols}};
  }
  ASSIGN_OR_RETURN(p["user"], process_user(in));
  ASSIGN_OR_RETURN(p["args"], process_args(run, *in.image));
  ASSIGN_OR_RETURN(p["env"], process_env(run, *in.image, hostname));
  ASSIGN_OR_RETURN(p["cwd"], process_cwd(run, *in.image));
  // Docker's semantics: the set is bounding, effective and permitted; nothing inheritable or
  // ambient, so a non-root user keeps none of it across execve (unless a file grants it).
  p["capabilities"] = {{"bounding", caps},
                       {"effective", caps},
                       {"permitted", caps},
                       {"inheritable", json::array()},
                       {"ambient", json::array()}};
  ASSIGN_OR_RETURN(json limits, rlimits(run));
  if (!limits.empty()) p["rlimits"] = std::move(limits);
  p["noNewPrivileges"] = sec.no_new_privileges;
  return p;
}

}  // namespace

Result<BuiltSpec> build_spec(const SpecInputs& in) {
  if (in.run == nullptr || in.image == nullptr) return Error("build_spec: no run options or image");
  const RunOptions& run = *in.run;
  // --init is recorded in RunOptions and deliberately not in the spec: how the init process
  // is provided is the engine's decision (docs/engine-defaults.md).
  ASSIGN_OR_RETURN(NamespacePlan ns, plan_namespaces(run, in.join));
  ASSIGN_OR_RETURN(std::string hostname, hostname_of(in, ns));
  ASSIGN_OR_RETURN(std::vector<std::string> caps, capability_set(run, in.available_capabilities));
  ASSIGN_OR_RETURN(SecurityOpts sec, parse_security_opts(run.security_opts));

  json spec;
  spec["ociVersion"] = oci::kSpecVersion;
  ASSIGN_OR_RETURN(spec["process"], process_json(in, hostname, caps, sec));
  spec["root"] = {{"path", in.rootfs}, {"readonly", run.read_only}};
  if (!hostname.empty()) spec["hostname"] = hostname;

  MountPlan mounts;
  mounts.privileged = run.privileged;
  mounts.rootless = in.rootless;
  mounts.host_network = ns.mode(NamespaceType::kNetwork) == NsMode::kHost;
  mounts.host_ipc = ns.mode(NamespaceType::kIpc) == NsMode::kHost;
  mounts.no_shm = ns.ipc_none;
  mounts.read_only = run.read_only;
  ASSIGN_OR_RETURN(spec["mounts"], build_mounts(run, mounts));
  for (const auto& [dest, source] : in.etc_files) {
    bool taken = std::any_of(spec["mounts"].begin(), spec["mounts"].end(),
                             [&](const json& m) { return m["destination"] == dest; });
    if (!taken) {
      spec["mounts"].push_back({{"destination", dest},
                                {"type", "bind"},
                                {"source", source},
                                {"options", {"rbind", "rprivate"}}});
    }
  }
  ASSIGN_OR_RETURN(json labels, annotations(run));
  if (!labels.empty()) spec["annotations"] = std::move(labels);

  json linux;
  linux["namespaces"] = namespaces_json(ns, in.join, in.rootless);
  if (in.rootless && !in.join.contains(NamespaceType::kUser)) {
    linux["uidMappings"] = {{{"containerID", 0}, {"hostID", in.host_uid}, {"size", 1}}};
    linux["gidMappings"] = {{{"containerID", 0}, {"hostID", in.host_gid}, {"size", 1}}};
  }
  if (ns.time_offsets) {
    ASSIGN_OR_RETURN(linux["timeOffsets"], build_time_offsets(run.time_offsets));
  }
  if (in.rootless) TRY(refuse_rootless_limits(run));
  ASSIGN_OR_RETURN(json res, build_resources(run, {run.privileged, in.swap_accounting}));
  // Rootless: no linux.resources at all (not even device rules): there may be no cgroup.
  if (!in.rootless) linux["resources"] = std::move(res["resources"]);
  if (res.contains("devices")) linux["devices"] = std::move(res["devices"]);
  linux["cgroupsPath"] = in.cgroups_path;
  ASSIGN_OR_RETURN(json sysctl, build_sysctls(run.sysctls, ns.is_private(NamespaceType::kIpc),
                                              ns.is_private(NamespaceType::kNetwork)));
  if (!sysctl.empty()) linux["sysctl"] = std::move(sysctl);
  if (!run.privileged) {
    linux["maskedPaths"] = oci::default_masked_paths();
    linux["readonlyPaths"] = oci::default_readonly_paths();
    // Docker: --privileged is unconfined whatever --security-opt says.
    if (sec.seccomp != SecurityOpts::Seccomp::kUnconfined) {
      ASSIGN_OR_RETURN(linux["seccomp"], seccomp_json(sec, caps));
    }
  }
  spec["linux"] = std::move(linux);

  // The runtime's parser is the judge: a spec it refuses is a bug here, caught before any
  // container state exists.
  std::string text = spec.dump();
  auto parsed = oci::parse_spec(text);
  if (!parsed) return std::move(parsed.error()).context("the built config.json");
  return BuiltSpec{std::move(spec), std::move(text), std::move(*parsed)};
}

Result<RestartPolicy> parse_restart(const std::string& text) {
  const std::string expected = "expected no, on-failure[:N], always or unless-stopped";
  size_t colon = text.find(':');
  std::string name = text.substr(0, colon);
  RestartPolicy p;
  if (name == "" || name == "no") {
    p.kind = RestartPolicy::kNo;
  } else if (name == "on-failure") {
    p.kind = RestartPolicy::kOnFailure;
  } else if (name == "always") {
    p.kind = RestartPolicy::kAlways;
  } else if (name == "unless-stopped") {
    p.kind = RestartPolicy::kUnlessStopped;
  } else {
    return flag_error("--restart", text, expected);
  }
  if (colon == std::string::npos) return p;
  if (p.kind != RestartPolicy::kOnFailure) {
    return flag_error("--restart", text, "a retry count needs on-failure");
  }
  auto n = parse_int(text.substr(colon + 1));
  if (!n || *n < 0 || *n > 1'000'000) {
    return flag_error("--restart", text, "expected on-failure:N with N a number, 0 or more");
  }
  p.max_retries = static_cast<int>(*n);
  return p;
}

Result<int> parse_signal(const std::string& text, const std::string& flag) {
  auto sig = base::parse_signal(text);
  if (!sig || *sig <= 0) {
    return flag_error(flag, text, "unknown signal (expected a name such as SIGTERM or a number)");
  }
  return *sig;
}

}  // namespace hull::engine
