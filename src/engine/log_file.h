// A container's log: one JSON object a line, {"log":"text\n","stream":"stdout","time":
// "2026-11-29T01:02:03.123456789Z"}, as docker's json-file driver writes it, so the same
// tools read both. The monitor writes; `hull logs` reads (with --tail, -t and -f).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/fd.h"

namespace hull::engine {

enum class Stream { kStdout, kStderr };

// Appends lines to the log. Output is split at newlines; a chunk without one is written as
// it is (as docker does for partial lines). Only whole lines reach the file, each write(2)
// holding whole lines (a chunk of very many lines goes in 128 KiB batches), so a reader never
// sees half a line. Single-threaded, no buffers kept between calls: owned by the monitor.
class LogWriter {
 public:
  static base::Result<LogWriter> open(const std::string& path);
  base::Result<void> write(Stream stream, std::string_view data);

 private:
  explicit LogWriter(base::Fd fd) : fd_(std::move(fd)) {}
  base::Fd fd_;
};

struct LogReadOptions {
  int tail = -1;            // -1: all lines; N: the last N lines
  bool timestamps = false;  // prefix each line with its time
  bool follow = false;      // keep reading until still_running() says false
};

// Prints the log: stdout lines to out_fd, stderr lines to err_fd. With follow, waits for
// new lines (inotify) until still_running() returns false, then drains what is left.
base::Result<void> read_log(const std::string& path, const LogReadOptions& opt, int out_fd,
                            int err_fd, const std::function<bool()>& still_running);

}  // namespace hull::engine
