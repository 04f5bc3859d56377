// The parent/child handshake of container start, over one SOCK_SEQPACKET socketpair.
// Each message is one packet: a type byte, a payload, and at most one fd.
//
//   parent (hull-oci create/run)          child (container init, after clone3)
//   ------------------------------------  -----------------------------------------------
//   write uid/gid maps, join cgroup
//   kGo {state json, setgroups flag}  ->  become root of the userns, join namespaces,
//                                         hostname, prepare rootfs
//                                     <-  kRunHooks   (only if createRuntime/prestart)
//   run createRuntime/prestart hooks
//   kHooksDone                        ->  createContainer hooks, pivot_root, masks, sysctl
//                                     <-  kPty {fd}   (only if process.terminal)
//   hand the pty to --console-socket      user, caps, rlimits, no_new_privs, seccomp
//                                     <-  kSeccompListener {fd} (only for SCMP_ACT_NOTIFY)
//   hand it to linux.seccomp.listenerPath
//                                     <-  kReady
//   create: write state, kCreated     ->  (child answers kAck, then blocks on exec.fifo)
//   run:    write state, kStart       ->  startContainer hooks, execve
//   EOF after kStart/kAck             <-  exec happened (the socket is O_CLOEXEC)
//   either side: kError {Error}           the step failed; the sender cleans up or exits
//
// EOF seen by the child before kCreated/kStart means the parent died: the child exits.
#pragma once

#include <string>

#include "base/error.h"
#include "base/fd.h"

namespace hull::runtime {

enum class Msg : char {
  kGo = 'g',
  kRunHooks = 'h',
  kHooksDone = 'd',
  kPty = 'p',
  kSeccompListener = 'l',
  kReady = 'r',
  kCreated = 'c',
  kAck = 'a',
  kStart = 's',
  kError = 'e',
  kEof = 0,  // not sent: what receive() reports when the peer closed its end
};

struct Packet {
  Msg type = Msg::kEof;
  std::string payload;
  base::Fd fd;
};

class Channel {
 public:
  Channel() = default;
  explicit Channel(base::Fd fd) : fd_(std::move(fd)) {}
  // A connected pair: first for the parent, second for the child.
  static base::Result<std::pair<Channel, Channel>> pair();

  base::Result<void> send(Msg type, const std::string& payload = {}, int fd = -1) const;
  base::Result<Packet> receive() const;
  // Receives and insists on one type; a kError packet becomes that Error.
  base::Result<Packet> expect(Msg type) const;
  base::Result<void> send_error(const base::Error& e) const;
  int fd() const { return fd_.get(); }
  void close() { fd_.reset(); }

 private:
  base::Fd fd_;
};

}  // namespace hull::runtime
