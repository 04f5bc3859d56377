#include "base/signals.h"

#include <csignal>
#include <string>

namespace hull::base {

namespace {

struct SignalName {
  const char* name;  // without the "SIG" prefix
  int number;
};

// The one signal table: parse reads every row, the printer takes the first row of a number
// (so SIGIO wins over its alias SIGPOLL, SIGABRT over SIGIOT).
constexpr SignalName kSignals[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT}, {"ILL", SIGILL},
    {"TRAP", SIGTRAP}, {"ABRT", SIGABRT},     {"BUS", SIGBUS},   {"FPE", SIGFPE},
    {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV}, {"USR2", SIGUSR2},
    {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT},
    {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},
    {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},   {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},
    {"IO", SIGIO},     {"POLL", SIGPOLL},     {"PWR", SIGPWR},   {"SYS", SIGSYS},
    {"IOT", SIGIOT},
};

// glibc keeps 32 and 33 for itself, so the SIGRTMIN seen by programs (and by kill -l) is 34.
// Fixed numbers rather than the SIGRTMIN macro: the container's libc is not ours.
constexpr int kRtMin = 34;
constexpr int kRtMax = 64;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

// A plain decimal number of at most three digits; nullopt otherwise.
std::optional<int> small_number(std::string_view s) {
  if (s.empty() || s.size() > 3) return std::nullopt;
  int n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

// "RTMIN", "RTMIN+3", "RTMAX", "RTMAX-2" (already without "SIG").
std::optional<int> parse_realtime(std::string_view s) {
  if (s.size() < 5) return std::nullopt;
  std::string_view base = s.substr(0, 5);
  std::string_view rest = s.substr(5);
  bool min = iequals(base, "RTMIN");
  if (!min && !iequals(base, "RTMAX")) return std::nullopt;
  int sig = min ? kRtMin : kRtMax;
  if (!rest.empty()) {
    if (rest[0] != (min ? '+' : '-')) return std::nullopt;
    auto n = small_number(rest.substr(1));
    if (!n) return std::nullopt;
    sig = min ? sig + *n : sig - *n;
  }
  if (sig < kRtMin || sig > kRtMax) return std::nullopt;
  return sig;
}

}  // namespace

std::optional<int> parse_signal(std::string_view text) {
  if (auto n = small_number(text)) {
    if (*n >= 1 && *n <= kRtMax) return n;
    return std::nullopt;
  }
  std::string_view name = text;
  if (name.size() > 3 && iequals(name.substr(0, 3), "SIG")) name.remove_prefix(3);
  for (const auto& s : kSignals) {
    if (iequals(name, s.name)) return s.number;
  }
  return parse_realtime(name);
}

std::string signal_name(int sig) {
  for (const auto& s : kSignals) {
    if (s.number == sig) return std::string("SIG") + s.name;
  }
  // The same split as kill -l: SIGRTMIN+n up to +15, SIGRTMAX-n above.
  if (sig == kRtMin) return "SIGRTMIN";
  if (sig == kRtMax) return "SIGRTMAX";
  if (sig > kRtMin && sig <= kRtMin + 15) return "SIGRTMIN+" + std::to_string(sig - kRtMin);
  if (sig > kRtMin + 15 && sig < kRtMax) return "SIGRTMAX-" + std::to_string(kRtMax - sig);
  return "SIG" + std::to_string(sig);
}

}  // namespace hull::base
