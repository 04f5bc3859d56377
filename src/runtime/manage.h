// pause, resume, ps, update and events: the commands that act on a container after create,
// all through the cgroup recorded in its state. Each takes the container's lock only for as
// long as it reads or writes the state, so a long `events` never holds up kill or delete.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/error.h"
#include "oci/spec.h"
#include "runtime/cgroup.h"
#include "runtime/container.h"

namespace hull::runtime {

// Freezes a running container's cgroup; its status becomes paused.
base::Result<void> pause(const Runtime& rt, const std::string& id);
// Thaws a paused container's cgroup; its status becomes running again.
base::Result<void> resume(const Runtime& rt, const std::string& id);

// The host pids of every process in the container's cgroup, sorted.
base::Result<std::vector<pid_t>> ps(const Runtime& rt, const std::string& id);
// Runs the host's `ps` with `ps_args` (runc's default is "-ef") and keeps its header line
// and the lines of the container's processes.
base::Result<std::string> ps_table(const Runtime& rt, const std::string& id,
                                   const std::vector<std::string>& ps_args);
// The pure half of ps_table: the header, then each line whose PID column holds one of `pids`.
// An output without a PID column is an error.
base::Result<std::string> filter_ps_output(const std::string& output,
                                           const std::vector<pid_t>& pids);

// Applies new limits to a created, running or paused container's cgroup.
base::Result<void> update(const Runtime& rt, const std::string& id, const oci::Resources& r);

// Receives each event as one line of JSON (without the newline).
using EventSink = std::function<void(const std::string& line)>;
// runc's `events`: {"type":"stats",...} every `interval` and {"type":"oom","id":...} whenever
// the cgroup's OOM kill count rises, until the container stops. With `stats_only`, one stats
// event at once, then return.
base::Result<void> events(const Runtime& rt, const std::string& id,
                          std::chrono::milliseconds interval, bool stats_only,
                          const EventSink& emit);
// {"type":"stats","id":...,"data":{"cpu":...,"memory":...,"pids":...}}: runc's names and order;
// values the cgroup did not show are left out.
nlohmann::ordered_json stats_event(const std::string& id, const CgroupStats& s);

}  // namespace hull::runtime
