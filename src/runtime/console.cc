#include "runtime/console.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>

#include "base/sys.h"

namespace hull::runtime {

using base::Error;
using base::Fd;
using base::Result;

// The pty: opened from the container's own devpts (after pivot), the master handed to the
// parent, the slave made our controlling terminal and stdio, and bound on /dev/console.
Result<void> setup_console(const oci::Process& p, const Channel& chan, bool bind_dev_console) {
  ASSIGN_OR_RETURN(Fd master, base::sys::open("/dev/ptmx", O_RDWR | O_NOCTTY));
  int unlock = 0;
  if (::ioctl(master.get(), TIOCSPTLCK, &unlock) != 0) return Error("unlock pty", errno);
  int slave_fd = ::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave_fd < 0) return Error("open pty peer", errno);
  Fd slave(slave_fd);
  unsigned n = 0;
  if (::ioctl(master.get(), TIOCGPTN, &n) != 0) return Error("pty number", errno);
  if (p.console_size) {
    winsize ws{};
    ws.ws_row = static_cast<unsigned short>(p.console_size->height);
    ws.ws_col = static_cast<unsigned short>(p.console_size->width);
    ::ioctl(master.get(), TIOCSWINSZ, &ws);
  }
  TRY(chan.send(Msg::kPty, "/dev/pts/" + std::to_string(n), master.get()));
  master.reset();
  // /dev/console may be missing (no /dev tmpfs): make the mount point, ignore if we can't.
  int cfd = bind_dev_console
                ? ::open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600)
                : -1;
  if (cfd >= 0) {
    ::close(cfd);
    TRY(base::sys::mount("/dev/pts/" + std::to_string(n), "/dev/console", "", MS_BIND, ""));
  }
  if (::setsid() < 0) return Error("setsid", errno);
  if (::ioctl(slave.get(), TIOCSCTTY, 0) != 0) return Error("set controlling terminal", errno);
  for (int fd = 0; fd < 3; ++fd) {
    if (::dup3(slave.get(), fd, 0) < 0) return Error("dup pty to stdio", errno);
  }
  return {};
}

Result<Fd> connect_console_socket(const std::string& path) {
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return Error("socket", errno);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return Error("--console-socket " + path + ": too long");
  path.copy(addr.sun_path, path.size());
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return Error("--console-socket " + path + ": connect", errno);
  }
  return fd;
}

}  // namespace hull::runtime
