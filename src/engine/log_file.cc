#include "engine/log_file.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/log.h"
#include "base/sys.h"

namespace hull::engine {
namespace {

using base::Fd;
using base::Result;

const char* stream_name(Stream s) { return s == Stream::kStdout ? "stdout" : "stderr"; }

// One line of the file. Container output need not be UTF-8: invalid bytes become U+FFFD, as
// docker's encoder (Go's encoding/json) does, instead of failing the write.
void append_entry(std::string& out, std::string_view text, const char* stream,
                  const std::string& time) {
  nlohmann::json j = {{"log", text}, {"stream", stream}, {"time", time}};
  out += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out += '\n';
}

// The few syscalls the reader needs beyond base/sys.h; errno is read right after each call.
Result<off_t> file_size(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return base::sys_error("fstat " + path, errno);
  return st.st_size;
}

Result<size_t> pread_some(int fd, char* buf, size_t n, off_t off, const std::string& path) {
  for (;;) {
    ssize_t got = ::pread(fd, buf, n, off);
    if (got >= 0) return static_cast<size_t>(got);
    if (errno != EINTR) return base::sys_error("read " + path, errno);
  }
}

Result<Fd> inotify_watch(const std::string& path) {
  Fd fd(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (!fd) return base::sys_error("inotify_init1", errno);
  if (::inotify_add_watch(fd.get(), path.c_str(), IN_MODIFY) < 0) {
    return base::sys_error("inotify_add_watch " + path, errno);
  }
  return fd;
}

// Waits until the file changes or the timeout passes (the timeout is how a reader notices
// that the container stopped: the log itself says nothing about that).
void wait_for_change(int ifd, int timeout_ms) {
  pollfd p = {ifd, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) > 0) {
    char events[4096];
    while (::read(ifd, events, sizeof events) > 0) {
    }
  }
}

constexpr size_t kBlock = 64 * 1024;
constexpr size_t kWriteBatch = 128 * 1024;
constexpr int kPollMs = 200;

// Where the last `n` lines start: reads backwards from the end a block at a time, so a
// tail of a big log touches only its end.
Result<off_t> tail_start(int fd, off_t size, int n, const std::string& path) {
  if (n == 0) return size;
  std::string buf(kBlock, '\0');
  off_t end = size;
  int seen = 0;
  bool last_byte = true;  // the newline that ends the last line does not start a line
  while (end > 0) {
    off_t begin = std::max<off_t>(0, end - static_cast<off_t>(kBlock));
    size_t len = static_cast<size_t>(end - begin);
    ASSIGN_OR_RETURN(size_t got, pread_some(fd, buf.data(), len, begin, path));
    if (got != len) return base::Error("read " + path + ": the log shrank while reading");
    for (size_t i = len; i-- > 0;) {
      if (buf[i] != '\n') {
        last_byte = false;
        continue;
      }
      if (last_byte) {
        last_byte = false;
        continue;
      }
      if (++seen == n) return begin + static_cast<off_t>(i) + 1;
    }
    end = begin;
  }
  return 0;
}

// Reads the file forward from an offset, a line at a time, and prints each entry.
class Printer {
 public:
  Printer(int fd, std::string path, off_t start, const LogReadOptions& opt, int out_fd, int err_fd)
      : fd_(fd),
        path_(std::move(path)),
        off_(start),
        start_(start),
        opt_(opt),
        out_fd_(out_fd),
        err_fd_(err_fd) {}

  // Prints every complete line up to the end of the file as it is now.
  Result<void> drain() {
    std::string buf(kBlock, '\0');
    for (;;) {
      ASSIGN_OR_RETURN(size_t got, pread_some(fd_, buf.data(), buf.size(), off_, path_));
      if (got == 0) break;
      off_ += static_cast<off_t>(got);
      partial_.append(buf.data(), got);
      size_t pos = 0;
      for (size_t nl; (nl = partial_.find('\n', pos)) != std::string::npos; pos = nl + 1) {
        print_line(std::string_view(partial_).substr(pos, nl - pos));
      }
      partial_.erase(0, pos);
      TRY(flush());
    }
    return {};
  }

  // A last line without a newline is not yet complete while the writer runs; at the end it
  // is all there is, so it is shown (or reported) too.
  Result<void> finish() {
    if (!partial_.empty()) print_line(partial_);
    partial_.clear();
    return flush();
  }

 private:
  void print_line(std::string_view line) {
    ++lines_read_;
    if (line.empty()) return;
    std::string reason;
    try {
      auto j = nlohmann::json::parse(line);
      const auto& stream = j.at("stream").get_ref<const std::string&>();
      const auto& text = j.at("log").get_ref<const std::string&>();
      std::string& out = stream == "stderr" ? err_ : out_;
      if (stream != "stdout" && stream != "stderr") {
        reason = "unknown stream \"" + stream + "\"";
      } else {
        if (opt_.timestamps) {
          out += j.at("time").get_ref<const std::string&>();
          out += ' ';
        }
        out += text;
        return;
      }
    } catch (const nlohmann::json::exception& e) {
      reason = e.what();
    }
    base::log::warn("log " + path_ + ": line " + std::to_string(line_number()) +
                    ": malformed entry skipped: " + reason);
  }

  // The line number of the line just read. Tailing starts mid-file, so the lines before
  // the start are counted only now, when an error needs the number (rare, and then once).
  uint64_t line_number() {
    if (!lines_before_) {
      lines_before_ = 0;
      std::string buf(kBlock, '\0');
      for (off_t off = 0; off < start_;) {
        size_t want = static_cast<size_t>(std::min<off_t>(start_ - off, kBlock));
        auto got = pread_some(fd_, buf.data(), want, off, path_);
        if (!got || *got == 0) break;
        *lines_before_ += static_cast<uint64_t>(std::count(buf.data(), buf.data() + *got, '\n'));
        off += static_cast<off_t>(*got);
      }
    }
    return *lines_before_ + lines_read_;
  }

  Result<void> flush() {
    if (!out_.empty()) TRY(base::sys::write_all(out_fd_, out_));
    if (!err_.empty()) TRY(base::sys::write_all(err_fd_, err_));
    out_.clear();
    err_.clear();
    return {};
  }

  int fd_;
  std::string path_;
  off_t off_;
  off_t start_;
  const LogReadOptions& opt_;
  int out_fd_, err_fd_;
  std::string partial_, out_, err_;
  uint64_t lines_read_ = 0;
  std::optional<uint64_t> lines_before_;
};

}  // namespace

Result<LogWriter> LogWriter::open(const std::string& path) {
  ASSIGN_OR_RETURN(Fd fd, base::sys::open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
  return LogWriter(std::move(fd));
}

Result<void> LogWriter::write(Stream stream, std::string_view data) {
  const std::string time = base::rfc3339_now();
  const char* name = stream_name(stream);
  std::string out;
  out.reserve(std::min(data.size() + 80, kWriteBatch));
  while (!data.empty()) {
    size_t nl = data.find('\n');
    size_t len = nl == std::string_view::npos ? data.size() : nl + 1;
    append_entry(out, data.substr(0, len), name, time);
    data.remove_prefix(len);
    // A chunk of many short lines grows ~60 bytes a line: written in batches of whole
    // lines, so the monitor stays small.
    if (out.size() >= kWriteBatch && !data.empty()) {
      TRY(base::sys::write_all(fd_.get(), out));
      out.clear();
    }
  }
  // One write(2) of whole lines: with O_APPEND a reader never sees half of one (a regular
  // file write is only cut short by a full disk, which write_all then reports).
  if (out.empty()) return {};
  return base::sys::write_all(fd_.get(), out);
}

Result<void> read_log(const std::string& path, const LogReadOptions& opt, int out_fd, int err_fd,
                      const std::function<bool()>& still_running) {
  auto opened = base::sys::open(path, O_RDONLY | O_CLOEXEC);
  if (!opened && opened.error().code() == ENOENT) {
    // A container that never started has no log yet: nothing to show; a follower waits for
    // the monitor to make it.
    if (!opt.follow) return {};
    while (still_running() && !(opened = base::sys::open(path, O_RDONLY | O_CLOEXEC))) {
      if (opened.error().code() != ENOENT) return std::move(opened.error());
      ::poll(nullptr, 0, kPollMs);
    }
    if (!opened) return {};
  }
  if (!opened) return std::move(opened.error());
  Fd fd = std::move(*opened);

  // Watch before the first read, so a line written between that read and the wait still
  // wakes the wait.
  Fd watch;
  if (opt.follow) {
    ASSIGN_OR_RETURN(watch, inotify_watch(path));
  }
  ASSIGN_OR_RETURN(off_t size, file_size(fd.get(), path));
  off_t start = 0;
  if (opt.tail >= 0) {
    ASSIGN_OR_RETURN(start, tail_start(fd.get(), size, opt.tail, path));
  }
  Printer printer(fd.get(), path, start, opt, out_fd, err_fd);
  TRY(printer.drain());
  if (opt.follow) {
    // still_running() is asked before the drain that follows it: whatever the container
    // wrote before it stopped is in the file by then and is shown.
    while (still_running()) {
      wait_for_change(watch.get(), kPollMs);
      TRY(printer.drain());
    }
    TRY(printer.drain());
  }
  return printer.finish();
}

}  // namespace hull::engine
