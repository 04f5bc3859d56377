#include "engine/container_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/hex.h"
#include "base/sys.h"

namespace hull::engine {

using base::Error;
using base::Fd;
using base::Result;

namespace {

constexpr struct {
  ContainerState state;
  const char* name;
} kStates[] = {{ContainerState::kCreating, "creating"}, {ContainerState::kCreated, "created"},
               {ContainerState::kRunning, "running"},   {ContainerState::kPaused, "paused"},
               {ContainerState::kExited, "exited"}};

ContainerState state_by_name(const std::string& s) {
  for (const auto& e : kStates) {
    if (s == e.name) return e.state;
  }
  return ContainerState::kExited;
}

// Whether anyone holds monitor.lock: a shared lock we can take means nobody does.
bool lock_held(const std::string& path) {
  auto fd = base::sys::open(path, O_RDONLY);
  if (!fd) return false;
  if (::flock(fd->get(), LOCK_SH | LOCK_NB) == 0) return false;
  return errno == EWOULDBLOCK;
}

}  // namespace

const char* state_name(ContainerState s) {
  for (const auto& e : kStates) {
    if (s == e.state) return e.name;
  }
  return "unknown";
}

nlohmann::json record_json(const ContainerRecord& r) {
  nlohmann::json j = {
      {"id", r.id},
      {"name", r.name},
      {"image", r.image},
      {"image_id", r.image_id},
      {"command", r.command},
      {"created", r.created},
      {"started_at", r.started_at},
      {"finished_at", r.finished_at},
      {"state", state_name(r.state)},
      {"pid", r.pid},
      {"restart_count", r.restart_count},
      {"stop_requested", r.stop_requested},
      {"tty", r.tty},
      {"interactive", r.interactive},
      {"auto_remove", r.auto_remove},
      {"init", r.init},
      {"restart_policy", r.restart_policy},
      {"stop_signal", r.stop_signal},
      {"stop_timeout", r.stop_timeout},
      {"layer_dirs", r.layer_dirs},
      {"labels", r.labels},
      {"run_options", r.run_options},
  };
  if (r.exit_code) j["exit_code"] = *r.exit_code;
  if (!r.networks.empty()) {
    nlohmann::json nets = nlohmann::json::array();
    for (const auto& a : r.networks) {
      nets.push_back({{"network", a.network}, {"ip", a.ip}, {"mac", a.mac}, {"aliases", a.aliases},
                      {"slot", a.slot}});
    }
    j["networks"] = std::move(nets);
  }
  if (!r.ports.empty()) j["ports"] = ports_json(r.ports);
  if (!r.extra_hosts.empty()) j["extra_hosts"] = r.extra_hosts;
  return j;
}

Result<ContainerRecord> record_from_json(const nlohmann::json& j) {
  try {
    ContainerRecord r;
    r.id = j.at("id").get<std::string>();
    r.name = j.at("name").get<std::string>();
    r.image = j.value("image", "");
    r.image_id = j.value("image_id", "");
    r.command = j.value("command", std::vector<std::string>{});
    r.created = j.value("created", "");
    r.started_at = j.value("started_at", "");
    r.finished_at = j.value("finished_at", "");
    r.state = state_by_name(j.value("state", "exited"));
    r.pid = j.value("pid", 0);
    if (j.contains("exit_code")) r.exit_code = j["exit_code"].get<int>();
    r.restart_count = j.value("restart_count", 0);
    r.stop_requested = j.value("stop_requested", false);
    r.tty = j.value("tty", false);
    r.interactive = j.value("interactive", false);
    r.auto_remove = j.value("auto_remove", false);
    r.init = j.value("init", false);
    r.restart_policy = j.value("restart_policy", "no");
    r.stop_signal = j.value("stop_signal", 15);
    r.stop_timeout = j.value("stop_timeout", 10);
    r.layer_dirs = j.value("layer_dirs", std::vector<std::string>{});
    r.labels = j.value("labels", std::map<std::string, std::string>{});
    r.run_options = j.value("run_options", nlohmann::json::object());
    for (const auto& a : j.value("networks", nlohmann::json::array())) {
      r.networks.push_back({a.at("network").get<std::string>(), a.value("ip", ""),
                            a.value("mac", ""), a.value("aliases", std::vector<std::string>{}),
                            a.value("slot", 0)});
    }
    r.ports = ports_from_json(j.value("ports", nlohmann::json::array()));
    r.extra_hosts = j.value("extra_hosts", std::vector<std::string>{});
    return r;
  } catch (const nlohmann::json::exception& e) {
    return Error(std::string("record.json: ") + e.what());
  }
}

Result<Fd> ContainerStore::create(const ContainerRecord& r) const {
  TRY(validate_name(r.name));
  TRY(base::sys::mkdir_all(names_, 0700));
  TRY(base::sys::mkdir_all(dir_, 0700));
  std::string link = names_ + "/" + r.name;
  if (::symlink(r.id.c_str(), link.c_str()) != 0) {
    if (errno == EEXIST) {
      char target[128] = {};
      ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
      std::string holder = n > 0 ? std::string(target, static_cast<size_t>(n)) : "?";
      return Error("the container name \"" + r.name + "\" is already in use by container " +
                   holder.substr(0, 12))
          .hint("remove that container, or choose another --name");
    }
    return Error("symlink " + link, errno);
  }
  std::string dir = dir_of(r.id);
  auto made = [&]() -> Result<Fd> {
    TRY(base::sys::mkdir(dir, 0700));
    ASSIGN_OR_RETURN(Fd lock, base::sys::open(dir + "/monitor.lock", O_RDWR | O_CREAT, 0600));
    if (::flock(lock.get(), LOCK_EX) != 0) return Error("flock " + dir + "/monitor.lock", errno);
    TRY(base::sys::write_file_atomic(dir + "/record.json", record_json(r).dump(), 0600));
    return lock;
  }();
  if (!made) {
    (void)base::sys::remove_all(dir);
    ::unlink(link.c_str());
  }
  return made;
}

Result<Fd> ContainerStore::lock_monitor(const std::string& id, bool wait) const {
  std::string path = dir_of(id) + "/monitor.lock";
  ASSIGN_OR_RETURN(Fd lock, base::sys::open(path, O_RDWR | O_CREAT, 0600));
  if (::flock(lock.get(), LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
    if (errno == EWOULDBLOCK) return Error("container " + id.substr(0, 12) + " is already running");
    return Error("flock " + path, errno);
  }
  return lock;
}

Result<std::string> ContainerStore::resolve(const std::string& ref) const {
  if (ref.empty()) return Error("empty container name or id");
  char target[128] = {};
  ssize_t n = ::readlink((names_ + "/" + ref).c_str(), target, sizeof target - 1);
  if (n > 0) return std::string(target, static_cast<size_t>(n));
  if (base::is_hex(ref)) {
    std::string found;
    if (DIR* d = ::opendir(dir_.c_str())) {
      while (dirent* e = ::readdir(d)) {
        std::string id = e->d_name;
        if (id.rfind(ref, 0) != 0) continue;
        if (!found.empty()) {
          ::closedir(d);
          return Error("container id prefix \"" + ref + "\" is ambiguous")
              .hint("give more characters of the id, or the name");
        }
        found = id;
      }
      ::closedir(d);
    }
    if (!found.empty()) return found;
  }
  return Error("no such container: " + ref);
}

Result<ContainerRecord> ContainerStore::load(const std::string& id) const {
  std::string dir = dir_of(id);
  auto text = base::sys::read_file(dir + "/record.json");
  if (!text) {
    if (text.error().code() == ENOENT) return Error("no such container: " + id);
    return std::move(text.error());
  }
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) return Error(dir + "/record.json: not valid JSON");
  ASSIGN_OR_RETURN(ContainerRecord r, record_from_json(j));
  r.monitor_alive = lock_held(dir + "/monitor.lock");
  return r;
}

std::vector<ContainerRecord> ContainerStore::load_all() const {
  std::vector<ContainerRecord> out;
  DIR* d = ::opendir(dir_.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    if (auto r = load(e->d_name)) out.push_back(std::move(*r));
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(),
            [](const ContainerRecord& a, const ContainerRecord& b) { return a.created > b.created; });
  return out;
}

Result<ContainerRecord> ContainerStore::update(
    const std::string& id, const std::function<void(ContainerRecord&)>& change) const {
  std::string dir = dir_of(id);
  ASSIGN_OR_RETURN(Fd lock, base::sys::open(dir + "/record.lock", O_RDWR | O_CREAT, 0600));
  if (::flock(lock.get(), LOCK_EX) != 0) return Error("flock " + dir + "/record.lock", errno);
  ASSIGN_OR_RETURN(ContainerRecord r, load(id));
  change(r);
  TRY(base::sys::write_file_atomic(dir + "/record.json", record_json(r).dump(), 0600));
  return r;
}

Result<void> ContainerStore::rename(const std::string& id, const std::string& new_name) const {
  TRY(validate_name(new_name));
  std::string link = names_ + "/" + new_name;
  if (::symlink(id.c_str(), link.c_str()) != 0) {
    if (errno == EEXIST) return Error("the container name \"" + new_name + "\" is already in use");
    return Error("symlink " + link, errno);
  }
  std::string old_name;
  auto r = update(id, [&](ContainerRecord& rec) {
    old_name = rec.name;
    rec.name = new_name;
  });
  if (!r) {
    ::unlink(link.c_str());
    return std::move(r.error());
  }
  ::unlink((names_ + "/" + old_name).c_str());
  return {};
}

Result<void> ContainerStore::detach(const ContainerRecord& r) const {
  std::string link = names_ + "/" + r.name;
  char target[128] = {};
  ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
  if (n > 0 && std::string(target, static_cast<size_t>(n)) == r.id) ::unlink(link.c_str());
  TRY(base::sys::mkdir_all(trash_, 0700));
  if (::rename(dir_of(r.id).c_str(), (trash_ + "/" + r.id).c_str()) != 0 && errno != ENOENT) {
    return Error("rename " + dir_of(r.id) + " into " + trash_, errno);
  }
  return {};
}

void ContainerStore::purge(const std::string& id) const {
  (void)base::sys::remove_all(trash_ + "/" + id);
}

void ContainerStore::purge_stale() const {
  DIR* d = ::opendir(trash_.c_str());
  if (!d) return;
  std::vector<std::string> stale;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    // A monitor still holding the lock is purging it now.
    if (!lock_held(trash_ + "/" + e->d_name + "/monitor.lock")) stale.push_back(e->d_name);
  }
  ::closedir(d);
  for (const auto& id : stale) purge(id);
}

Result<void> ContainerStore::remove(const ContainerRecord& r) const {
  TRY(detach(r));
  purge(r.id);
  return {};
}

std::string new_container_id() {
  unsigned char bytes[32];
  size_t got = 0;
  while (got < sizeof bytes) {
    ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
  }
  return base::hex(bytes, sizeof bytes);
}

std::string random_name() {
  static const char* const kMoods[] = {"agile",  "bold",   "brave",  "calm",   "clever", "eager",
                                       "gentle", "happy",  "keen",   "lucid",  "nimble", "proud",
                                       "quiet",  "steady", "swift",  "tidy",   "vivid",  "witty"};
  static const char* const kNames[] = {"babbage", "curie",  "dijkstra", "euler",    "faraday",
                                       "gauss",   "hopper", "kepler",   "lovelace", "noether",
                                       "pascal",  "ritchie", "shannon", "thompson", "turing"};
  unsigned char b[3];
  while (::getrandom(b, sizeof b, 0) != sizeof b) {
  }
  return std::string(kMoods[b[0] % std::size(kMoods)]) + "_" + kNames[b[1] % std::size(kNames)] +
         std::to_string(b[2] % 100);
}

bool docker_name(const std::string& name, size_t min, size_t max) {
  // As docker: [a-zA-Z0-9][a-zA-Z0-9_.-]*, of a length it allows
  bool ok = name.size() >= min && name.size() <= max && std::isalnum((unsigned char)name[0]);
  for (char c : name) {
    ok = ok && (std::isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-');
  }
  return ok;
}

bool is_running(const ContainerRecord& r) {
  return r.monitor_alive &&
         (r.state == ContainerState::kRunning || r.state == ContainerState::kPaused);
}

Result<void> validate_name(const std::string& name) {
  if (!docker_name(name, 2, 128)) {
    return Error("--name \"" + name + "\": invalid container name")
        .hint("use letters, digits, '_', '.' and '-', starting with a letter or digit");
  }
  return {};
}

}  // namespace hull::engine
