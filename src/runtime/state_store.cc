#include "runtime/state_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/sys.h"

namespace hull::runtime {

using base::Error;
using base::Fd;
using base::Result;
using nlohmann::json;

namespace {

constexpr const char* kStateFile = "state.json";

json hooks_to_json(const std::vector<oci::Hook>& hooks) {
  json out = json::array();
  for (const auto& h : hooks) {
    json j{{"path", h.path}, {"args", h.args}, {"env", h.env}};
    if (h.timeout) j["timeout"] = *h.timeout;
    out.push_back(std::move(j));
  }
  return out;
}

std::vector<oci::Hook> hooks_from_json(const json& j) {
  std::vector<oci::Hook> out;
  if (!j.is_array()) return out;
  for (const auto& h : j) {
    oci::Hook hook;
    hook.path = h.value("path", "");
    hook.args = h.value("args", std::vector<std::string>{});
    hook.env = h.value("env", std::vector<std::string>{});
    if (h.contains("timeout")) hook.timeout = h["timeout"].get<int>();
    out.push_back(std::move(hook));
  }
  return out;
}

Result<Fd> lock_dir(const std::string& path) {
  ASSIGN_OR_RETURN(Fd fd, base::sys::open(path, O_RDONLY | O_DIRECTORY));
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return Error("lock " + path, errno);
  }
  return fd;
}

}  // namespace

Result<Record> ContainerDir::load() const {
  auto text = base::sys::read_file(path_ + "/" + kStateFile);
  if (!text) return std::move(text.error());
  try {
    json j = json::parse(*text);
    Record r;
    r.id = j.at("id").get<std::string>();
    r.pid = j.at("pid").get<pid_t>();
    r.start_time = j.at("startTime").get<uint64_t>();
    const std::string status = j.at("status").get<std::string>();
    r.status = status == "running"    ? oci::Status::kRunning
               : status == "paused"   ? oci::Status::kPaused
               : status == "creating" ? oci::Status::kCreating
                                      : oci::Status::kCreated;
    r.bundle = j.at("bundle").get<std::string>();
    r.rootfs = j.at("rootfs").get<std::string>();
    r.created = j.at("created").get<std::string>();
    r.owner = j.value("owner", "");
    r.annotations = j.value("annotations", std::map<std::string, std::string>{});
    r.cgroups_path = j.value("cgroupsPath", "");
    r.poststart = hooks_from_json(j.value("poststart", json::array()));
    r.poststop = hooks_from_json(j.value("poststop", json::array()));
    return r;
  } catch (const json::exception& e) {
    return Error(path_ + "/" + kStateFile + ": corrupt state: " + e.what());
  }
}

Result<void> ContainerDir::save(const Record& r) const {
  json j{{"id", r.id},
         {"pid", r.pid},
         {"startTime", r.start_time},
         {"status", oci::status_name(r.status)},
         {"bundle", r.bundle},
         {"rootfs", r.rootfs},
         {"created", r.created},
         {"owner", r.owner},
         {"annotations", r.annotations},
         {"cgroupsPath", r.cgroups_path},
         {"poststart", hooks_to_json(r.poststart)},
         {"poststop", hooks_to_json(r.poststop)}};
  return base::sys::write_file_atomic(path_ + "/" + kStateFile, j.dump(), 0600);
}

Result<void> ContainerDir::remove() const {
  // Renamed away first, in one step: a reader never sees the directory half emptied (it
  // would take a directory without state.json for a create in progress).
  auto slash = path_.rfind('/');
  std::string gone = path_.substr(0, slash + 1) + "." + path_.substr(slash + 1) + ".deleted." +
                     std::to_string(::getpid());
  if (::rename(path_.c_str(), gone.c_str()) != 0) return base::sys::remove_all(path_);
  return base::sys::remove_all(gone);
}

Result<void> validate_id(const std::string& id) {
  auto ok = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '+' || c == '-' || c == '.';
  };
  if (id.empty() || id == "." || id == ".." || !std::all_of(id.begin(), id.end(), ok)) {
    return Error("invalid container id \"" + id + "\"")
        .hint("use letters, digits, '_', '+', '-' and '.'");
  }
  return {};
}

Result<ContainerDir> StateStore::create(const std::string& id) const {
  TRY(validate_id(id));
  if (::mkdir(root_.c_str(), 0700) != 0 && errno != EEXIST) {
    TRY_CTX(base::sys::mkdir_all(root_, 0700), "state root");
  }
  // A state root someone else made (in /tmp, say) could be theirs to tamper with.
  struct stat st;
  if (::lstat(root_.c_str(), &st) != 0) return Error("state root " + root_, errno);
  if (!S_ISDIR(st.st_mode) || st.st_uid != ::geteuid()) {
    return Error("state root " + root_ + " is not a directory owned by uid " +
                 std::to_string(::geteuid()))
        .hint("remove it, or pick another with --root");
  }
  std::string path = root_ + "/" + id;
  if (::mkdir(path.c_str(), 0700) != 0) {
    if (errno == EEXIST) return Error("container \"" + id + "\" already exists");
    return Error("mkdir " + path, errno);
  }
  auto fd = lock_dir(path);
  if (!fd) {
    ::rmdir(path.c_str());
    return std::move(fd.error());
  }
  return ContainerDir(path, std::move(*fd));
}

Result<ContainerDir> StateStore::open(const std::string& id) const {
  TRY(validate_id(id));
  std::string path = root_ + "/" + id;
  auto fd = lock_dir(path);
  if (!fd) {
    if (fd.error().code() == ENOENT) return Error("container \"" + id + "\" does not exist");
    return std::move(fd.error());
  }
  // A delete that held the lock before us may have removed the directory meanwhile.
  struct stat st;
  if (::fstat(fd->get(), &st) != 0 || st.st_nlink == 0) {
    return Error("container \"" + id + "\" does not exist");
  }
  return ContainerDir(path, std::move(*fd));
}

Result<ContainerDir> StateStore::peek(const std::string& id) const {
  TRY(validate_id(id));
  std::string path = root_ + "/" + id;
  auto fd = base::sys::open(path, O_RDONLY | O_DIRECTORY);
  if (!fd) {
    if (fd.error().code() == ENOENT) return Error("container \"" + id + "\" does not exist");
    return std::move(fd.error());
  }
  return ContainerDir(path, std::move(*fd));
}

bool StateStore::locked(const ContainerDir& dir) {
  // A shared lock we cannot get means someone holds the exclusive one. Our own shared lock
  // goes when the fd closes.
  if (::flock(dir.fd(), LOCK_SH | LOCK_NB) == 0) {
    ::flock(dir.fd(), LOCK_UN);
    return false;
  }
  return errno == EWOULDBLOCK;
}

std::vector<std::string> StateStore::ids() const {
  std::vector<std::string> out;
  DIR* d = ::opendir(root_.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    if (e->d_type == DT_DIR || e->d_type == DT_UNKNOWN) out.emplace_back(e->d_name);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

oci::Status live_status(const Record& r) {
  if (r.pid <= 0) return oci::Status::kStopped;
  auto st = base::sys::proc_stat(r.pid);
  if (!st || st->state == 'Z' || st->state == 'X' || st->start_time != r.start_time) {
    return oci::Status::kStopped;
  }
  return r.status;
}

}  // namespace hull::runtime
