#include "engine/spec_mounts.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <utility>

#include "engine/spec_flags.h"

namespace hull::engine::spec_detail {

using base::Error;
using base::Result;
using nlohmann::json;

namespace {

json mount(const std::string& destination, const std::string& type, const std::string& source,
           std::vector<std::string> options) {
  return {{"destination", destination}, {"type", type}, {"source", source}, {"options", options}};
}

constexpr const char* kPropagations[] = {"shared",  "rshared",  "slave",      "rslave",
                                         "private", "rprivate", "unbindable", "runbindable"};

bool is_propagation(const std::string& o) {
  return std::find(std::begin(kPropagations), std::end(kPropagations), o) !=
         std::end(kPropagations);
}

// "/data/" and "/data/./x/.." are "/data": destinations are compared in this form.
std::string clean(const std::string& path) {
  std::string p = std::filesystem::path(path).lexically_normal().string();
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

Result<std::string> container_path(const std::string& path) {
  if (path.empty() || path[0] != '/') {
    return Error("the container path " + quote(path) + " must be absolute");
  }
  std::string p = clean(path);
  if (p == "/") return Error("cannot mount over /");
  return p;
}

json bind_mount(const std::string& source, const std::string& destination, bool readonly,
                const std::string& propagation) {
  // Recursive, as docker's binds are: what is mounted under the source comes along.
  std::vector<std::string> options = {"rbind"};
  if (readonly) options.push_back("ro");
  if (!propagation.empty()) options.push_back(propagation);
  return mount(destination, "bind", source, options);
}

Result<bool> bool_value(const std::string& key, const std::string& value) {
  if (value == "" || value == "true" || value == "1") return true;
  if (value == "false" || value == "0") return false;
  return Error(key + " " + quote(value) + ": expected true or false");
}

// The depth of a destination: "/" is 0, "/a" 1, "/a/b" 2.
size_t depth(const std::string& destination) {
  return static_cast<size_t>(std::count(destination.begin(), destination.end(), '/')) -
         (destination == "/" ? 1 : 0);
}

bool at_or_under(const std::string& path, const std::string& dir) {
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                         path[dir.size()] == '/');
}

}  // namespace

json default_mounts(const MountPlan& plan) {
  // /proc, /dev and its children stay writable under --read-only (docker's list); /sys and
  // /sys/fs/cgroup are read-only then even for --privileged.
  const bool sys_ro = !plan.privileged || plan.read_only;
  auto ro = [&](std::vector<std::string> o) {
    if (sys_ro) o.push_back("ro");
    return o;
  };
  json out = json::array();
  out.push_back(mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}));
  out.push_back(
      mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}));
  std::vector<std::string> devpts = {"nosuid", "noexec", "newinstance", "ptmxmode=0666",
                                     "mode=0620"};
  // gid 5 (tty) does not exist in a rootless user namespace that maps only root.
  if (!plan.rootless) devpts.push_back("gid=5");
  out.push_back(mount("/dev/pts", "devpts", "devpts", devpts));
  if (plan.host_ipc) {
    out.push_back(mount("/dev/shm", "bind", "/dev/shm", {"rbind", "nosuid", "noexec", "nodev"}));
  } else if (!plan.no_shm) {
    out.push_back(mount("/dev/shm", "tmpfs", "shm",
                        {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}));
  }
  out.push_back(mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));
  if (plan.host_network) {
    // A sysfs instance shows the network devices of the namespace that mounts it, and the
    // kernel lets only that namespace's owner mount it: with the host's network, the host's
    // /sys is bound instead (what docker and runc do).
    out.push_back(mount("/sys", "bind", "/sys", ro({"rbind", "nosuid", "noexec", "nodev"})));
  } else {
    out.push_back(mount("/sys", "sysfs", "sysfs", ro({"nosuid", "noexec", "nodev"})));
  }
  // Rootless: no cgroup mount, as `hull-oci spec --rootless` (the user may have no delegated
  // cgroup, and a v1 hierarchy cannot be mounted from a user namespace).
  if (!plan.rootless) {
    out.push_back(
        mount("/sys/fs/cgroup", "cgroup", "cgroup", ro({"nosuid", "noexec", "nodev", "relatime"})));
  }
  return out;
}

Result<json> parse_volume(const std::string& text) {
  auto parts = split(text, ':');
  if (parts.size() == 1) {
    return Error("anonymous volumes are not supported yet; give HOST-PATH:CONTAINER-PATH");
  }
  if (parts.size() > 3) return Error("expected HOST-PATH:CONTAINER-PATH[:OPTIONS]");
  const std::string& source = parts[0];
  if (source.empty() || source[0] != '/') {
    return Error("named volumes are not supported yet; give an absolute host path");
  }
  ASSIGN_OR_RETURN(std::string destination, container_path(parts[1]));
  bool readonly = false;
  std::string propagation;
  if (parts.size() == 3) {
    for (const std::string& o : split(parts[2], ',')) {
      if (o == "ro" || o == "rw") {
        readonly = o == "ro";
      } else if (is_propagation(o)) {
        propagation = o;
      } else if (o == "z" || o == "Z" || o == "cached" || o == "delegated" || o == "consistent") {
        // SELinux relabelling (hull applies no labels) and docker-for-mac's hints: no-ops.
      } else {
        return Error("unknown option " + quote(o) + " (expected ro, rw or a propagation such " +
                     "as rslave)");
      }
    }
  }
  return bind_mount(source, destination, readonly, propagation);
}

Result<json> parse_mount_flag(const std::string& text) {
  std::string type, source, target, propagation, size, mode;
  bool readonly = false;
  for (const std::string& field : split(text, ',')) {
    KeyValue kv = split_key_value(field);
    const std::string& k = kv.key;
    if (k == "type") {
      type = kv.value;
    } else if (k == "source" || k == "src") {
      source = kv.value;
    } else if (k == "target" || k == "dst" || k == "destination") {
      target = kv.value;
    } else if (k == "readonly" || k == "ro") {
      ASSIGN_OR_RETURN(readonly, bool_value(k, kv.value));
    } else if (k == "bind-propagation") {
      if (!is_propagation(kv.value)) {
        return Error(k + " " + quote(kv.value) + ": expected shared, slave, private or " +
                     "unbindable, or their r-prefixed forms");
      }
      propagation = kv.value;
    } else if (k == "tmpfs-size") {
      auto bytes = parse_size(kv.value);
      if (!bytes) return std::move(bytes.error()).context(k + " " + quote(kv.value));
      size = "size=" + std::to_string(*bytes);
    } else if (k == "tmpfs-mode") {
      if (kv.value.empty() || kv.value.size() > 5 ||
          kv.value.find_first_not_of("01234567") != std::string::npos) {
        return Error(k + " " + quote(kv.value) + ": expected an octal mode such as 1770");
      }
      mode = "mode=" + kv.value;
    } else if (k == "consistency") {
      // docker-for-mac's hint: a no-op here.
    } else {
      return Error("unknown key " + quote(k));
    }
  }
  if (type == "volume" || (type.empty() && !source.empty() && source[0] != '/')) {
    return Error("named volumes are not supported yet; use type=bind with an absolute source");
  }
  if (type != "bind" && type != "tmpfs") {
    return Error(type.empty() ? "missing type= (bind or tmpfs)"
                              : "type " + quote(type) + ": expected bind or tmpfs");
  }
  if (target.empty()) return Error("missing target=");
  ASSIGN_OR_RETURN(std::string destination, container_path(target));
  if (type == "bind") {
    if (!size.empty() || !mode.empty()) return Error("tmpfs-size and tmpfs-mode need type=tmpfs");
    if (source.empty()) return Error("missing source= (an absolute host path)");
    if (source[0] != '/') return Error("source " + quote(source) + " must be an absolute path");
    return bind_mount(source, destination, readonly, propagation);
  }
  if (!source.empty()) return Error("a tmpfs mount takes no source");
  if (!propagation.empty()) return Error("bind-propagation needs type=bind");
  std::vector<std::string> user;
  if (!size.empty()) user.push_back(size);
  if (!mode.empty()) user.push_back(mode);
  if (readonly) user.push_back("ro");
  return mount(destination, "tmpfs", "tmpfs", merge_tmpfs_options(user));
}

Result<json> parse_tmpfs(const std::string& text) {
  size_t colon = text.find(':');
  ASSIGN_OR_RETURN(std::string destination, container_path(text.substr(0, colon)));
  std::vector<std::string> user;
  if (colon != std::string::npos) {
    for (const std::string& o : split(text.substr(colon + 1), ',')) {
      if (o.empty()) return Error("empty option in " + quote(text.substr(colon + 1)));
      user.push_back(o);
    }
  }
  return mount(destination, "tmpfs", "tmpfs", merge_tmpfs_options(user));
}

std::vector<std::string> merge_tmpfs_options(const std::vector<std::string>& user) {
  // Pairs of opposite flags: the later of a pair wins.
  static const std::map<std::string, std::string> kOpposite = {
      {"exec", "noexec"}, {"noexec", "exec"}, {"suid", "nosuid"}, {"nosuid", "suid"},
      {"dev", "nodev"},   {"nodev", "dev"},   {"ro", "rw"},       {"rw", "ro"},
  };
  std::vector<std::string> out;
  auto add = [&](const std::string& o) {
    KeyValue kv = split_key_value(o);
    auto opposite = kOpposite.find(o);
    std::erase_if(out, [&](const std::string& have) {
      if (kv.has_value) return split_key_value(have).key == kv.key;
      return have == o || (opposite != kOpposite.end() && have == opposite->second);
    });
    out.push_back(o);
  };
  for (const char* d : {"noexec", "nosuid", "nodev"}) add(d);
  for (const auto& o : user) add(o);
  return out;
}

Result<json> build_mounts(const RunOptions& run, const MountPlan& plan) {
  struct UserMount {
    json mount;
    std::string flag, text;
  };
  std::vector<UserMount> user;
  auto collect = [&](const std::vector<std::string>& values, const std::string& flag,
                     Result<json> (*parse)(const std::string&)) -> Result<void> {
    for (const std::string& v : values) {
      auto m = parse(v);
      if (!m) return std::move(m.error()).context(flag_at(flag, v));
      std::string dest = (*m)["destination"];
      for (const auto& u : user) {
        if (u.mount["destination"] == dest) {
          return flag_error(
              flag, v,
              "duplicate mount point " + quote(dest) + " (also " + flag_at(u.flag, u.text) + ")");
        }
      }
      user.push_back({std::move(*m), flag, v});
    }
    return {};
  };
  TRY(collect(run.volumes, "-v", parse_volume));
  TRY(collect(run.mounts, "--mount", parse_mount_flag));
  TRY(collect(run.tmpfs, "--tmpfs", parse_tmpfs));

  json out = json::array();
  for (auto& d : default_mounts(plan)) {
    bool replaced = std::any_of(user.begin(), user.end(), [&](const UserMount& u) {
      return at_or_under(d["destination"].get<std::string>(),
                         u.mount["destination"].get<std::string>());
    });
    if (!replaced) out.push_back(std::move(d));
  }
  // Parents before children, otherwise in the order given (a stable sort).
  std::stable_sort(user.begin(), user.end(), [](const UserMount& a, const UserMount& b) {
    return depth(a.mount["destination"]) < depth(b.mount["destination"]);
  });
  for (auto& u : user) out.push_back(std::move(u.mount));
  return out;
}

}  // namespace hull::engine::spec_detail
