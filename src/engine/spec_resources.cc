#include "engine/spec_resources.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <vector>

#include "engine/spec_flags.h"

namespace hull::engine::spec_detail {

using base::Error;
using base::Result;
using nlohmann::json;

namespace {

constexpr int64_t kMinMemory = 6 * 1024 * 1024;  // docker's floor: less cannot start a shell
constexpr int64_t kCpuPeriod = 100000;           // µs, the kernel's default CFS period
constexpr int64_t kMinCpuQuota = 1000;           // µs, the kernel's floor

bool is_access(const std::string& s) {
  return !s.empty() && s.size() <= 3 && s.find_first_not_of("rwm") == std::string::npos;
}

// Applies one flag's parser and puts the flag and value in front of its error.
template <typename T>
Result<T> flag_value(const std::string& flag, const std::string& text, Result<T> r) {
  if (!r) return std::move(r.error()).context(flag_at(flag, text));
  return r;
}

Result<void> memory(const RunOptions& run, const ResourcePlan& plan, json& res) {
  if (run.memory.empty()) {
    if (!run.memory_swap.empty()) {
      return flag_error("--memory-swap", run.memory_swap,
                        "needs --memory: it counts memory "
                        "plus swap");
    }
    return {};
  }
  ASSIGN_OR_RETURN(int64_t limit, flag_value("--memory", run.memory, parse_size(run.memory)));
  if (limit < kMinMemory) return flag_error("--memory", run.memory, "below the minimum of 6m");
  res["memory"]["limit"] = limit;
  if (run.memory_swap.empty()) {
    // Docker's default: as much swap as memory (the limit counts both), where swap can be
    // limited at all.
    if (plan.swap_accounting) res["memory"]["swap"] = 2 * limit;
    return {};
  }
  if (!plan.swap_accounting) {
    return flag_error("--memory-swap", run.memory_swap,
                      "this host cannot limit swap (no swap accounting in the memory cgroup)");
  }
  if (run.memory_swap == "-1") {
    res["memory"]["swap"] = -1;
    return {};
  }
  ASSIGN_OR_RETURN(int64_t swap,
                   flag_value("--memory-swap", run.memory_swap, parse_size(run.memory_swap)));
  if (swap < limit) {
    return flag_error("--memory-swap", run.memory_swap,
                      "below --memory " + quote(run.memory) + ": it counts memory plus swap");
  }
  res["memory"]["swap"] = swap;
  return {};
}

Result<void> cpu(const RunOptions& run, json& res) {
  if (!run.cpus.empty()) {
    ASSIGN_OR_RETURN(int64_t nanos, flag_value("--cpus", run.cpus, parse_nano_cpus(run.cpus)));
    int64_t quota = nanos / (1'000'000'000 / kCpuPeriod);
    if (quota < kMinCpuQuota) return flag_error("--cpus", run.cpus, "below the minimum of 0.01");
    res["cpu"]["quota"] = quota;
    res["cpu"]["period"] = kCpuPeriod;
  }
  if (!run.cpu_shares.empty()) {
    auto shares = parse_int(run.cpu_shares);
    if (!shares || *shares < 0) {
      return flag_error("--cpu-shares", run.cpu_shares, "expected a whole number such as 512");
    }
    if (*shares > 0) res["cpu"]["shares"] = *shares;  // 0: the default weight, as docker
  }
  if (!run.cpuset_cpus.empty()) {
    ASSIGN_OR_RETURN(std::string cpus,
                     flag_value("--cpuset-cpus", run.cpuset_cpus, parse_cpu_list(run.cpuset_cpus)));
    res["cpu"]["cpus"] = cpus;
  }
  return {};
}

Result<void> pids(const RunOptions& run, json& res) {
  if (run.pids_limit.empty()) return {};
  auto limit = parse_int(run.pids_limit);
  if (!limit || *limit < -1) {
    return flag_error("--pids-limit", run.pids_limit, "expected a number, or -1 for no limit");
  }
  if (*limit > 0) res["pids"]["limit"] = *limit;  // -1 and 0: no limit, as docker
  return {};
}

}  // namespace

Result<DeviceMapping> parse_device(const std::string& text) {
  std::vector<std::string> parts = split(text, ':');
  std::string host = parts[0], container = parts[0], access = "rwm";
  if (parts.size() == 2) {
    (is_access(parts[1]) ? access : container) = parts[1];
  } else if (parts.size() == 3) {
    container = parts[1];
    access = parts[2];
    if (!is_access(access)) {
      return Error("permissions " + quote(access) + ": expected letters of rwm");
    }
  } else if (parts.size() > 3) {
    return Error("expected HOST-PATH[:CONTAINER-PATH][:PERMISSIONS]");
  }
  if (host.empty() || host[0] != '/') return Error("the host path must be absolute");
  if (container.empty() || container[0] != '/') {
    return Error("the container path " + quote(container) + " must be absolute");
  }
  // The one look at the host in the spec builder: which device the path names. stat follows
  // a symlink (/dev/disk/by-id/…), as docker does.
  struct stat st;
  if (::stat(host.c_str(), &st) != 0) return base::sys_error("stat " + host, errno);
  std::string type;
  if (S_ISCHR(st.st_mode)) {
    type = "c";
  } else if (S_ISBLK(st.st_mode)) {
    type = "b";
  } else {
    return Error(
        host + " is not a device" +
        (S_ISDIR(st.st_mode) ? " (directories are not supported yet: give each device)" : ""));
  }
  int64_t major = ::major(st.st_rdev), minor = ::minor(st.st_rdev);
  DeviceMapping d;
  d.device = {{"path", container},
              {"type", type},
              {"major", major},
              {"minor", minor},
              {"fileMode", st.st_mode & 07777},
              {"uid", st.st_uid},
              {"gid", st.st_gid}};
  d.rule = {
      {"allow", true}, {"type", type}, {"major", major}, {"minor", minor}, {"access", access}};
  return d;
}

Result<json> build_resources(const RunOptions& run, const ResourcePlan& plan) {
  json res = json::object();
  TRY(memory(run, plan, res));
  TRY(cpu(run, res));
  TRY(pids(run, res));

  json devices = json::array();
  json rules = json::array();
  if (plan.privileged) {
    // Docker gives a privileged container every host device node and access to all of them.
    // hull allows every device in the cgroup but makes no nodes beyond the defaults and
    // --device: mknod (CAP_MKNOD is there) or --device makes one available.
    rules.push_back({{"allow", true}, {"access", "rwm"}});
  } else {
    // Deny everything first; the runtime adds its default list right after this reset.
    rules.push_back({{"allow", false}, {"access", "rwm"}});
  }
  for (const std::string& text : run.devices) {
    auto d = parse_device(text);
    if (!d) return std::move(d.error()).context(flag_at("--device", text));
    devices.push_back(std::move(d->device));
    if (!plan.privileged) rules.push_back(std::move(d->rule));
  }
  res["devices"] = std::move(rules);
  json out = {{"resources", std::move(res)}};
  if (!devices.empty()) out["devices"] = std::move(devices);
  return out;
}

}  // namespace hull::engine::spec_detail
