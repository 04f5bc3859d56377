// The stream between a container's monitor and the commands attached to it (`hull run` in
// the foreground, `hull attach`, `hull start -a`, `hull wait`): a SOCK_SEQPACKET unix
// socket, each message one tag byte and a payload.
//
//   monitor -> client   kStdout data | kStderr data | kExit "<code>" ("" when unknown)
//   client -> monitor   kStdin data  | kStdinEof    | kResize "<rows> <cols>"
//
// A client that joins late gets output from then on (the log has the rest); every client's
// input goes to the container's stdin.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "base/error.h"
#include "base/fd.h"

namespace hull::engine {

enum class AttachTag : char {
  kStdout = 'o',
  kStderr = 'e',
  kExit = 'x',
  kStdin = 'i',
  kStdinEof = 'z',
  kResize = 'r'
};

base::Result<void> send_tagged(int sock, AttachTag tag, const std::string& payload);

// The monitor's socket of a container: connects, or fails when no monitor listens.
base::Result<base::Fd> connect_monitor(const std::string& socket_path);

struct AttachOptions {
  bool stdin = false;  // forward our stdin (-i)
  bool tty = false;    // the container has a pty: raw mode, window size, detach keys
  std::string detach_keys = "ctrl-p,ctrl-q";
  // Signals we receive meanwhile (SIGINT, SIGTERM, …) are handed here, as docker's
  // sig-proxy passes them to the container.
  std::function<void(int)> forward_signal;
};

// What the session ended with.
struct AttachEnd {
  bool detached = false;          // the detach keys were typed
  std::optional<int> exit_code;   // the container's, when it exited (absent: unknown)
};

// Relays our 0, 1, 2 to and from the monitor until the container exits, the monitor goes
// away, or the detach keys are typed.
base::Result<AttachEnd> attach_session(int sock, const AttachOptions& opt);

// Parses "ctrl-p,ctrl-q", "a,b", "ctrl-@"… into the bytes to watch for.
base::Result<std::string> parse_detach_keys(const std::string& text);

}  // namespace hull::engine
