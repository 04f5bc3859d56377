#include "engine/netns.h"

#include <fcntl.h>
#include <sched.h>

#include <cerrno>
#include <string>

#include "base/sys.h"

namespace hull::engine {
namespace {

// /proc/thread-self, not /proc/self: setns and unshare change the calling thread only, and
// /proc/self/ns/net is the namespace of the thread group leader.
constexpr char kThreadNetns[] = "/proc/thread-self/ns/net";

base::Result<base::Fd> current_netns() { return base::sys::open(kThreadNetns, O_RDONLY); }

base::Result<void> set_netns(int fd, const std::string& what) {
  if (::setns(fd, CLONE_NEWNET) != 0) return base::Error("setns " + what, errno);
  return {};
}

}  // namespace

base::Result<base::Fd> new_netns() {
  ASSIGN_OR_RETURN(base::Fd old_ns, current_netns());
  if (::unshare(CLONE_NEWNET) != 0) return base::Error("unshare network namespace", errno);
  // The new namespace lives as long as an fd of it does; once ours is open, going back
  // leaves it empty but alive.
  auto made = current_netns();
  TRY(set_netns(old_ns.get(), "back to the caller's network namespace"));
  return made;
}

base::Result<void> in_netns(int netns_fd, const std::function<base::Result<void>()>& fn) {
  ASSIGN_OR_RETURN(base::Fd old_ns, current_netns());
  TRY(set_netns(netns_fd, "to network namespace fd " + std::to_string(netns_fd)));
  auto done = fn();
  TRY(set_netns(old_ns.get(), "back to the caller's network namespace"));
  return done;
}

}  // namespace hull::engine
