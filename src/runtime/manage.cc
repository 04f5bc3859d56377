// pause, resume, ps, update and events over a container's recorded cgroup. The status checks
// come first, so each refusal names the container and the state it is in.
#include "runtime/manage.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <sstream>

#include "base/sys.h"

namespace hull::runtime {

namespace {

namespace sys = base::sys;
using base::Error;
using base::Fd;
using base::Result;
using Clock = std::chrono::steady_clock;

// How often events looks at the OOM kill count between two stats events.
constexpr std::chrono::milliseconds kOomPoll{100};

std::string quoted(const std::string& id) { return "\"" + id + "\""; }

// The container's record, read under its lock (released on return).
Result<Record> load(const Runtime& rt, const std::string& id) {
  ASSIGN_OR_RETURN(ContainerDir dir, rt.store().open(id));
  return dir.load();
}

// The cgroup recorded at create; a container made without one (rootless) cannot be managed.
Result<std::unique_ptr<Cgroup>> cgroup_for(const Record& r, const std::string& verb) {
  if (r.cgroups_path.empty()) {
    return Error("cannot " + verb + " container " + quoted(r.id) + ": it has no cgroup")
        .hint("it was created without one (rootless, no delegated cgroup)");
  }
  return make_cgroup(r.cgroups_path, r.id);
}

// Moves a container between running and paused: checks `from`, runs `step` on its cgroup,
// saves `to`. A save that fails undoes the step.
Result<void> transition(const Runtime& rt, const std::string& id, const std::string& verb,
                        oci::Status from, oci::Status to, Result<void> (Cgroup::*step)(),
                        Result<void> (Cgroup::*undo)()) {
  ASSIGN_OR_RETURN(ContainerDir dir, rt.store().open(id));
  ASSIGN_OR_RETURN(Record r, dir.load());
  ASSIGN_OR_RETURN(auto cg, cgroup_for(r, verb));
  oci::Status now = live_status(r);
  if (now != from) {
    return Error("cannot " + verb + " container " + quoted(id) + ": it is " +
                 oci::status_name(now) + ", not " + oci::status_name(from));
  }
  TRY_CTX(((*cg).*step)(), verb + " " + id);
  r.status = to;
  if (auto saved = dir.save(r); !saved) {
    (void)((*cg).*undo)();
    return std::move(saved.error());
  }
  return {};
}

// pipe2 here and poll in events() are calls base/sys does not offer yet; they read errno,
// which STYLE keeps in base/sys, and move there with the same calls in hooks.cc.
Result<Fd> pipe_to_child(Fd& child_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Error("pipe2", errno);
  child_end = Fd(fds[1]);
  return Fd(fds[0]);
}

// Runs the host's ps with `args`; its stdout, or an error carrying its first line of stderr.
Result<std::string> run_ps(const std::vector<std::string>& args) {
  Fd out_w, err_w;
  ASSIGN_OR_RETURN(Fd out_r, pipe_to_child(out_w));
  ASSIGN_OR_RETURN(Fd err_r, pipe_to_child(err_w));
  std::vector<std::string> words = args;
  words.insert(words.begin(), "ps");
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_w.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_w.get(), STDERR_FILENO);
  pid_t pid = -1;
  int err = ::posix_spawnp(&pid, "ps", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) return Error("exec ps", err);
  out_w.reset();
  err_w.reset();
  // ps writes to stderr only when it fails, and little: reading stdout first cannot block it.
  auto out = sys::read_fd(out_r.get());
  auto errors = sys::read_fd(err_r.get());
  ASSIGN_OR_RETURN(int status, sys::waitpid(pid));
  std::string command;
  for (const auto& w : words) command += (command.empty() ? "" : " ") + w;
  if (!out) return std::move(out.error().context(command));
  if (int code = sys::exit_code_of(status); code != 0) {
    std::string first = errors ? errors->substr(0, errors->find('\n')) : "";
    return Error(command + ": exited with status " + std::to_string(code) +
                 (first.empty() ? "" : ": " + first));
  }
  return *out;
}

std::vector<std::string> fields(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

}  // namespace

Result<void> pause(const Runtime& rt, const std::string& id) {
  return transition(rt, id, "pause", oci::Status::kRunning, oci::Status::kPaused, &Cgroup::freeze,
                    &Cgroup::thaw);
}

Result<void> resume(const Runtime& rt, const std::string& id) {
  return transition(rt, id, "resume", oci::Status::kPaused, oci::Status::kRunning, &Cgroup::thaw,
                    &Cgroup::freeze);
}

Result<std::vector<pid_t>> ps(const Runtime& rt, const std::string& id) {
  ASSIGN_OR_RETURN(Record r, load(rt, id));
  ASSIGN_OR_RETURN(auto cg, cgroup_for(r, "list the processes of"));
  ASSIGN_OR_RETURN(std::vector<pid_t> pids, cg->pids());
  std::sort(pids.begin(), pids.end());
  pids.erase(std::unique(pids.begin(), pids.end()), pids.end());
  return pids;
}

Result<std::string> ps_table(const Runtime& rt, const std::string& id,
                             const std::vector<std::string>& ps_args) {
  ASSIGN_OR_RETURN(std::vector<pid_t> pids, ps(rt, id));
  ASSIGN_OR_RETURN(std::string output, run_ps(ps_args));
  return filter_ps_output(output, pids);
}

Result<std::string> filter_ps_output(const std::string& output, const std::vector<pid_t>& pids) {
  std::istringstream in(output);
  std::string header;
  std::getline(in, header);
  auto names = fields(header);
  auto column = std::find(names.begin(), names.end(), "PID");
  if (column == names.end()) return Error("ps: no PID column in its output: " + header);
  const size_t index = static_cast<size_t>(column - names.begin());
  std::string out = header + "\n";
  for (std::string line; std::getline(in, line);) {
    auto f = fields(line);
    if (f.size() <= index) continue;
    pid_t pid = static_cast<pid_t>(std::atol(f[index].c_str()));
    if (std::find(pids.begin(), pids.end(), pid) != pids.end()) out += line + "\n";
  }
  return out;
}

Result<void> update(const Runtime& rt, const std::string& id, const oci::Resources& res) {
  ASSIGN_OR_RETURN(Record r, load(rt, id));
  if (live_status(r) == oci::Status::kStopped) {
    return Error("cannot update container " + quoted(id) + ": it is not running");
  }
  ASSIGN_OR_RETURN(auto cg, cgroup_for(r, "update"));
  TRY_CTX(cg->apply(res), "update " + id);
  return {};
}

nlohmann::ordered_json stats_event(const std::string& id, const CgroupStats& s) {
  using json = nlohmann::ordered_json;
  auto put = [](json& j, const char* key, const std::optional<uint64_t>& v) {
    if (v) j[key] = *v;
  };
  json usage = json::object(), memory = json::object(), pids = json::object();
  put(usage, "total", s.cpu_total_ns);
  put(usage, "kernel", s.cpu_kernel_ns);
  put(usage, "user", s.cpu_user_ns);
  put(memory, "limit", s.memory_limit);
  put(memory, "usage", s.memory_usage);
  put(memory, "max", s.memory_max_usage);
  put(memory, "failcnt", s.memory_failcnt);
  put(pids, "current", s.pids_current);
  // runc leaves out a pids limit of "max", as it does any zero value.
  if (s.pids_limit != kCgroupUnlimited) put(pids, "limit", s.pids_limit);
  json data = {{"cpu", {{"usage", usage}, {"throttling", json::object()}}},
               {"memory", {{"usage", memory}}},
               {"pids", pids}};
  return {{"type", "stats"}, {"id", id}, {"data", data}};
}

Result<void> events(const Runtime& rt, const std::string& id, std::chrono::milliseconds interval,
                    bool stats_only, const EventSink& emit) {
  // The lock is not held from here on: kill and delete must not wait for events to end.
  ASSIGN_OR_RETURN(Record r, load(rt, id));
  if (live_status(r) == oci::Status::kStopped) {
    return Error("cannot watch container " + quoted(id) + ": it is not running");
  }
  ASSIGN_OR_RETURN(auto cg, cgroup_for(r, "watch"));
  ASSIGN_OR_RETURN(CgroupStats first, cg->stats());
  if (stats_only) {
    emit(stats_event(id, first).dump());
    return {};
  }
  // The init's pidfd turns readable when it exits; checked again after opening, in case the
  // pid was reused in between.
  auto init = sys::pidfd_open(r.pid);
  if (!init && init.error().code() == ESRCH) return {};
  if (!init) return std::move(init.error());
  if (live_status(r) == oci::Status::kStopped) return {};
  uint64_t ooms = first.oom_kills.value_or(0);
  auto next_stats = Clock::now() + interval;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next_stats - Clock::now());
    auto wait = std::clamp(left, std::chrono::milliseconds(0), kOomPoll);
    pollfd p{init->get(), POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(wait.count()));
    if (n < 0 && errno != EINTR) return Error("poll", errno);
    if (n > 0) return {};  // the container stopped
    auto s = cg->stats();
    if (!s) {
      if (s.error().code() == ENOENT) return {};  // deleted under us
      return std::move(s.error());
    }
    if (s->oom_kills.value_or(0) > ooms) {
      ooms = *s->oom_kills;
      emit(nlohmann::ordered_json{{"type", "oom"}, {"id", id}}.dump());
    }
    if (Clock::now() >= next_stats) {
      emit(stats_event(id, *s).dump());
      next_stats += interval;
    }
  }
}

}  // namespace hull::runtime
