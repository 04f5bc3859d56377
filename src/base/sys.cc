#include "base/sys.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hull::base::sys {

namespace {
Error fail(const std::string& call) { return Error(call, errno); }
}  // namespace

Result<Fd> open(const std::string& path, int flags, mode_t mode) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) return fail("open " + path);
  return Fd(fd);
}

Result<Fd> openat(int dirfd, const std::string& path, int flags, mode_t mode) {
  int fd = ::openat(dirfd, path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) return fail("open " + path);
  return Fd(fd);
}

Result<void> mkdir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0) return fail("mkdir " + path);
  return {};
}

Result<void> mkdir_all(const std::string& path, mode_t mode) {
  // The common case is a directory that exists: one stat instead of a mkdir per component
  // (a mkdir that fails with EEXIST still takes the filesystem's locks: ~1 ms on some disks).
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return {};
  std::string cur;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    cur = path.substr(0, pos);
    if (cur.empty()) continue;
    if (::mkdir(cur.c_str(), mode) != 0 && errno != EEXIST) return fail("mkdir " + cur);
  }
  return {};
}

Result<void> mkfifoat(int dirfd, const std::string& name, mode_t mode) {
  if (::mkfifoat(dirfd, name.c_str(), mode) != 0) return fail("mkfifo " + name);
  return {};
}

Result<std::string> read_fd(int fd) {
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("read");
    }
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

Result<std::string> read_file(const std::string& path) {
  ASSIGN_OR_RETURN(Fd fd, open(path, O_RDONLY));
  auto r = read_fd(fd.get());
  if (!r) return Error("read " + path, r.error().code());
  return r;
}

Result<void> write_all(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write");
    }
    off += static_cast<size_t>(n);
  }
  return {};
}

Result<void> write_file(const std::string& path, const std::string& data) {
  ASSIGN_OR_RETURN(Fd fd, open(path, O_WRONLY));
  if (::write(fd.get(), data.data(), data.size()) < 0) {
    return fail("write " + path + " (" + data.substr(0, data.find('\n')) + ")");
  }
  return {};
}

Result<void> write_file_atomic(const std::string& path, const std::string& data, mode_t mode) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    ASSIGN_OR_RETURN(Fd fd, open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode));
    auto w = write_all(fd.get(), data);
    if (!w) {
      ::unlink(tmp.c_str());
      return Error("write " + tmp, w.error().code());
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Error e = fail("rename " + tmp + " to " + path);
    ::unlink(tmp.c_str());
    return e;
  }
  return {};
}

Result<Fd> lock_file(const std::string& path, bool exclusive) {
  ASSIGN_OR_RETURN(Fd fd, open(path, O_RDWR | O_CREAT, 0600));
  while (::flock(fd.get(), exclusive ? LOCK_EX : LOCK_SH) != 0) {
    if (errno != EINTR) return fail("flock " + path);
  }
  return fd;
}

Result<void> create_exclusive(const std::string& path, const std::string& data, mode_t mode) {
  ASSIGN_OR_RETURN(Fd fd, open(path, O_WRONLY | O_CREAT | O_EXCL, mode));
  if (auto w = write_all(fd.get(), data); !w) {
    ::unlink(path.c_str());
    return Error("write " + path, w.error().code());
  }
  return {};
}

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

std::vector<std::string> list_dir(const std::string& path) {
  std::vector<std::string> out;
  DIR* d = ::opendir(path.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    out.emplace_back(e->d_name);
  }
  ::closedir(d);
  return out;
}

namespace {
int remove_at(int dirfd, const char* name) {
  if (::unlinkat(dirfd, name, 0) == 0 || errno == ENOENT) return 0;
  if (errno != EISDIR) return -1;
  int fd = ::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return -1;
  DIR* d = ::fdopendir(fd);
  if (!d) {
    ::close(fd);
    return -1;
  }
  while (dirent* e = ::readdir(d)) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    if (remove_at(::dirfd(d), e->d_name) != 0) {
      int saved = errno;
      ::closedir(d);
      errno = saved;
      return -1;
    }
  }
  ::closedir(d);
  if (::unlinkat(dirfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT) return -1;
  return 0;
}
}  // namespace

Result<void> remove_all(const std::string& path) {
  if (remove_at(AT_FDCWD, path.c_str()) != 0) return fail("remove " + path);
  return {};
}

Result<void> mount(const std::string& source, const std::string& target, const std::string& fstype,
                   unsigned long flags, const std::string& data) {
  if (::mount(source.empty() ? nullptr : source.c_str(), target.c_str(),
              fstype.empty() ? nullptr : fstype.c_str(), flags,
              data.empty() ? nullptr : data.c_str()) != 0) {
    return fail("mount " + (source.empty() ? fstype : source) + " on " + target);
  }
  return {};
}

Result<void> umount2(const std::string& target, int flags) {
  if (::umount2(target.c_str(), flags) != 0) return fail("umount " + target);
  return {};
}

Result<Fd> pidfd_open(pid_t pid) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return fail("pidfd_open " + std::to_string(pid));
  return Fd(fd);
}

Result<void> pidfd_send_signal(int pidfd, int sig) {
  if (::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) != 0) {
    return fail("kill signal " + std::to_string(sig));
  }
  return {};
}

Result<int> waitpid(pid_t pid, int options) {
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid, &status, options);
    if (r >= 0) return r == 0 ? -1 : status;
    if (errno != EINTR) return fail("waitpid " + std::to_string(pid));
  }
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

std::optional<ProcStat> proc_stat(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  auto text = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!text) return std::nullopt;
  // The command name may hold spaces and parens: fields start after the last ')'.
  size_t rp = text->rfind(')');
  if (rp == std::string::npos || rp + 2 >= text->size()) return std::nullopt;
  ProcStat st;
  st.state = (*text)[rp + 2];
  // After ')' come fields 3.. ; start_time is field 22, i.e. the 20th after state's field.
  size_t pos = rp + 2;
  for (int field = 3; field < 22 && pos != std::string::npos; ++field) {
    pos = text->find(' ', pos);
    if (pos != std::string::npos) ++pos;
  }
  if (pos == std::string::npos) return std::nullopt;
  st.start_time = std::strtoull(text->c_str() + pos, nullptr, 10);
  return st;
}

Result<CloneResult> clone3(uint64_t flags, int exit_signal, int cgroup_fd) {
  clone_args args{};
  int pidfd = -1;
  args.flags = flags | CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = static_cast<uint64_t>(exit_signal);
  if (cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(cgroup_fd);
  }
  long r = ::syscall(SYS_clone3, &args, sizeof args);
  if (r < 0) return fail("clone3");
  return CloneResult{static_cast<pid_t>(r), r == 0 ? -1 : pidfd};
}

Result<void> send_with_fd(int sock, const std::string& data, int fd) {
  iovec iov{const_cast<char*>(data.data()), data.size()};
  char dummy = 0;
  if (data.empty()) iov = {&dummy, 1};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int))]{};
  if (fd >= 0) {
    msg.msg_control = cbuf;
    msg.msg_controllen = sizeof cbuf;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
  }
  for (;;) {
    if (::sendmsg(sock, &msg, MSG_NOSIGNAL) >= 0) return {};
    if (errno != EINTR) return fail("sendmsg");
  }
}

Result<Received> recv_with_fd(int sock, size_t max) {
  Received out;
  out.data.resize(max);
  iovec iov{out.data.data(), out.data.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(int))]{};
  msg.msg_control = cbuf;
  msg.msg_controllen = sizeof cbuf;
  ssize_t n;
  for (;;) {
    n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    if (n >= 0) break;
    if (errno != EINTR) return fail("recvmsg");
  }
  out.data.resize(static_cast<size_t>(n));
  out.eof = n == 0;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c), sizeof(int));
      out.fd.reset(fd);
    }
  }
  return out;
}

}  // namespace hull::base::sys
