#include "runtime/channel.h"

#include <sys/socket.h>

#include <cerrno>

#include "base/sys.h"

namespace hull::runtime {

using base::Error;
using base::Result;

Result<std::pair<Channel, Channel>> Channel::pair() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    return Error("socketpair", errno);
  }
  return std::pair<Channel, Channel>{Channel(base::Fd(sv[0])), Channel(base::Fd(sv[1]))};
}

Result<void> Channel::send(Msg type, const std::string& payload, int fd) const {
  std::string data(1, static_cast<char>(type));
  data += payload;
  return base::sys::send_with_fd(fd_.get(), data, fd);
}

Result<Packet> Channel::receive() const {
  ASSIGN_OR_RETURN(auto r, base::sys::recv_with_fd(fd_.get()));
  Packet p;
  if (r.eof || r.data.empty()) return p;
  p.type = static_cast<Msg>(r.data[0]);
  p.payload = r.data.substr(1);
  p.fd = std::move(r.fd);
  return p;
}

Result<Packet> Channel::expect(Msg type) const {
  ASSIGN_OR_RETURN(Packet p, receive());
  if (p.type == type) return p;
  if (p.type == Msg::kError) return Error::deserialize(p.payload);
  if (p.type == Msg::kEof) return Error("container init exited during setup");
  return Error(std::string("protocol: expected message '") + static_cast<char>(type) + "', got '" +
               static_cast<char>(p.type) + "'");
}

Result<void> Channel::send_error(const Error& e) const { return send(Msg::kError, e.serialize()); }

}  // namespace hull::runtime
