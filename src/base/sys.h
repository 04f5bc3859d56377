// Thin syscall wrappers: each turns errno into an Error naming the call and its arguments,
// so the code above reads as the steps of the job. The only place that reads errno.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/fd.h"

namespace hull::base::sys {

Result<Fd> open(const std::string& path, int flags, mode_t mode = 0);
Result<Fd> openat(int dirfd, const std::string& path, int flags, mode_t mode = 0);
Result<void> mkdir(const std::string& path, mode_t mode);
Result<void> mkdir_all(const std::string& path, mode_t mode);
Result<void> mkfifoat(int dirfd, const std::string& name, mode_t mode);

Result<std::string> read_file(const std::string& path);
Result<std::string> read_fd(int fd);
Result<void> write_all(int fd, const std::string& data);
// Writes to an existing file (a /proc or /sys knob): open, one write, close.
Result<void> write_file(const std::string& path, const std::string& data);
// Writes a file atomically: temp file in the same directory, fsync-free rename.
Result<void> write_file_atomic(const std::string& path, const std::string& data, mode_t mode);
Result<void> remove_all(const std::string& path);
// Opens (creating it) and flocks a lock file; the lock lasts as long as the fd.
Result<Fd> lock_file(const std::string& path, bool exclusive = true);
// Creates path holding data, failing with EEXIST if it exists: a claim two processes
// cannot both win (an address, a port).
Result<void> create_exclusive(const std::string& path, const std::string& data, mode_t mode);
// Whether an entry is at path (not following a last symlink).
bool exists(const std::string& path);
// The names in a directory (no "." or ".."); empty if it does not exist.
std::vector<std::string> list_dir(const std::string& path);

Result<void> mount(const std::string& source, const std::string& target, const std::string& fstype,
                   unsigned long flags, const std::string& data);
Result<void> umount2(const std::string& target, int flags);

// A process we own as a pidfd: signals go to the right process even if the pid is reused.
Result<Fd> pidfd_open(pid_t pid);
Result<void> pidfd_send_signal(int pidfd, int sig);
// Waits for a child by pid; returns the wait status.
Result<int> waitpid(pid_t pid, int options = 0);
// Decodes a wait status into a shell-style exit code (128+signal for a signal).
int exit_code_of(int status);

// Fields of /proc/<pid>/stat that matter to a runtime; nullopt when the process is gone.
struct ProcStat {
  char state = '?';
  uint64_t start_time = 0;  // clock ticks since boot (field 22)
};
std::optional<ProcStat> proc_stat(pid_t pid);

// The fd of a new process made with clone3; in the child, pid == 0.
struct CloneResult {
  pid_t pid = -1;
  int pidfd = -1;
};
Result<CloneResult> clone3(uint64_t flags, int exit_signal, int cgroup_fd = -1);

// Sends bytes and at most one fd over a SOCK_SEQPACKET or stream unix socket.
Result<void> send_with_fd(int sock, const std::string& data, int fd);
// Receives one message and an fd if one came; an empty string with no fd is EOF.
struct Received {
  std::string data;
  Fd fd;
  bool eof = false;
};
Result<Received> recv_with_fd(int sock, size_t max = 65536);

}  // namespace hull::base::sys
