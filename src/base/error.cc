#include "base/error.h"

#include <cstring>

namespace hull::base {

namespace {
struct ErrnoName {
  int value;
  const char* name;
};
// Only the values a container runtime meets; others print their number.
constexpr ErrnoName kErrnoNames[] = {
    {EPERM, "EPERM"},
    {ENOENT, "ENOENT"},
    {ESRCH, "ESRCH"},
    {EINTR, "EINTR"},
    {EIO, "EIO"},
    {ENXIO, "ENXIO"},
    {E2BIG, "E2BIG"},
    {ENOEXEC, "ENOEXEC"},
    {EBADF, "EBADF"},
    {ECHILD, "ECHILD"},
    {EAGAIN, "EAGAIN"},
    {ENOMEM, "ENOMEM"},
    {EACCES, "EACCES"},
    {EFAULT, "EFAULT"},
    {EBUSY, "EBUSY"},
    {EEXIST, "EEXIST"},
    {EXDEV, "EXDEV"},
    {ENODEV, "ENODEV"},
    {ENOTDIR, "ENOTDIR"},
    {EISDIR, "EISDIR"},
    {EINVAL, "EINVAL"},
    {ENFILE, "ENFILE"},
    {EMFILE, "EMFILE"},
    {ENOTTY, "ENOTTY"},
    {ETXTBSY, "ETXTBSY"},
    {ENOSPC, "ENOSPC"},
    {EROFS, "EROFS"},
    {EMLINK, "EMLINK"},
    {EPIPE, "EPIPE"},
    {ERANGE, "ERANGE"},
    {ENAMETOOLONG, "ENAMETOOLONG"},
    {ENOSYS, "ENOSYS"},
    {ENOTEMPTY, "ENOTEMPTY"},
    {ELOOP, "ELOOP"},
    {EUSERS, "EUSERS"},
    {ENOTSUP, "ENOTSUP"},
    {ECONNREFUSED, "ECONNREFUSED"},
    {ETIMEDOUT, "ETIMEDOUT"},
    {EOVERFLOW, "EOVERFLOW"},
    {ENOTSOCK, "ENOTSOCK"},
    {ECONNRESET, "ECONNRESET"},
    // Networks: netlink and sockets.
    {ENETUNREACH, "ENETUNREACH"},
    {EHOSTUNREACH, "EHOSTUNREACH"},
    {EADDRINUSE, "EADDRINUSE"},
    {EADDRNOTAVAIL, "EADDRNOTAVAIL"},
    {ENOBUFS, "ENOBUFS"},
    {EAFNOSUPPORT, "EAFNOSUPPORT"},
    {EPROTONOSUPPORT, "EPROTONOSUPPORT"},
};

// Wire form: fields separated by \x1f, context entries by \x1e.
constexpr char kFieldSep = '\x1f';
constexpr char kCtxSep = '\x1e';

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string::npos ? std::string::npos : pos - start));
    if (pos == std::string::npos) return out;
    start = pos + 1;
  }
}
}  // namespace

const char* errno_name(int err) {
  for (const auto& e : kErrnoNames) {
    if (e.value == err) return e.name;
  }
  return "";
}

std::string Error::message() const {
  std::string out;
  for (const auto& c : context_) {
    out += c;
    out += ": ";
  }
  out += what_;
  if (errno_ != 0) {
    out += ": ";
    out += std::strerror(errno_);
    const char* name = errno_name(errno_);
    if (*name) {
      out += " (";
      out += name;
      out += ")";
    }
  }
  if (!hint_.empty()) {
    out += " (";
    out += hint_;
    out += ")";
  }
  return out;
}

std::string Error::serialize() const {
  std::string ctx;
  for (size_t i = 0; i < context_.size(); ++i) {
    if (i) ctx += kCtxSep;
    ctx += context_[i];
  }
  return std::to_string(errno_) + kFieldSep + what_ + kFieldSep + hint_ + kFieldSep + ctx;
}

Error Error::deserialize(const std::string& wire) {
  auto f = split(wire, kFieldSep);
  if (f.size() != 4) return Error(wire);
  Error e(f[1], std::atoi(f[0].c_str()));
  e.hint_ = f[2];
  if (!f[3].empty()) e.context_ = split(f[3], kCtxSep);
  return e;
}

Error sys_error(const std::string& call, int err) { return Error(call, err); }

}  // namespace hull::base
