#include "engine/spec_flags.h"

#include <charconv>
#include <cstdlib>
#include <limits>

namespace hull::engine::spec_detail {

using base::Error;
using base::Result;

namespace {

using Wide = __int128;  // room for value × unit before the range check

constexpr int64_t kNanos = 1'000'000'000;

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A decimal number at text[i…]: the integer part and the fraction as numerator over 10^digits.
// Advances i; false when there is no digit.
struct Decimal {
  Wide whole = 0;
  Wide frac = 0;
  Wide frac_scale = 1;
};
bool read_decimal(const std::string& text, size_t& i, Decimal& d) {
  size_t start = i;
  while (i < text.size() && is_digit(text[i])) {
    d.whole = d.whole * 10 + (text[i++] - '0');
    if (d.whole > std::numeric_limits<int64_t>::max()) return false;
  }
  if (i == start) return false;
  if (i < text.size() && text[i] == '.') {
    ++i;
    size_t frac_start = i;
    while (i < text.size() && is_digit(text[i])) {
      // Digits past the eighteenth cannot change a byte or a nanosecond count.
      if (d.frac_scale < Wide{1'000'000'000'000'000'000}) {
        d.frac = d.frac * 10 + (text[i] - '0');
        d.frac_scale *= 10;
      }
      ++i;
    }
    if (i == frac_start) return false;
  }
  return true;
}

Wide scaled(const Decimal& d, Wide unit) { return d.whole * unit + d.frac * unit / d.frac_scale; }

}  // namespace

std::string quote(const std::string& text) { return "\"" + text + "\""; }

std::string flag_at(const std::string& flag, const std::string& value) {
  return flag + " " + quote(value);
}

Error flag_error(const std::string& flag, const std::string& value, const std::string& problem) {
  return Error(problem).context(flag_at(flag, value));
}

Result<int64_t> parse_size(const std::string& text) {
  const Error bad("expected a size such as 512m or 1g");
  size_t i = 0;
  Decimal d;
  if (!read_decimal(text, i, d)) return bad;
  std::string unit;
  for (; i < text.size(); ++i) unit += lower(text[i]);
  Wide multiplier = 1;
  if (!unit.empty() && unit != "b") {
    const std::string prefixes = "kmgtp";
    size_t power = prefixes.find(unit[0]);
    std::string rest = unit.substr(1);
    if (power == std::string::npos || (rest != "" && rest != "b" && rest != "ib")) return bad;
    for (size_t p = 0; p <= power; ++p) multiplier *= 1024;
  }
  Wide bytes = scaled(d, multiplier);
  if (bytes > std::numeric_limits<int64_t>::max()) return Error("is too large");
  return static_cast<int64_t>(bytes);
}

Result<oci::TimeOffset> parse_duration(const std::string& text) {
  const Error bad("expected a duration such as 90s, 1h30m or 2d");
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  Wide total = 0;
  if (text.substr(i) == "0") return oci::TimeOffset{};
  if (i == text.size()) return bad;
  while (i < text.size()) {
    Decimal d;
    if (!read_decimal(text, i, d)) return bad;
    Wide unit = 0;
    if (text.compare(i, 2, "ms") == 0) {
      unit = 1'000'000, i += 2;
    } else if (i < text.size()) {
      switch (text[i++]) {
        case 's':
          unit = kNanos;
          break;
        case 'm':
          unit = 60 * Wide{kNanos};
          break;
        case 'h':
          unit = 3600 * Wide{kNanos};
          break;
        case 'd':
          unit = 86400 * Wide{kNanos};
          break;
        default:
          return bad;
      }
    } else {
      return bad;  // a number without a unit
    }
    total += scaled(d, unit);
    if (total / kNanos > std::numeric_limits<int64_t>::max()) return Error("is too large");
  }
  if (negative) total = -total;
  // Floor division, so that nanosecs stays positive: -1.5s is -2 s + 0.5 s.
  Wide secs = total / kNanos;
  Wide nanos = total % kNanos;
  if (nanos < 0) secs -= 1, nanos += kNanos;
  return oci::TimeOffset{static_cast<int64_t>(secs), static_cast<uint32_t>(nanos)};
}

Result<int64_t> parse_nano_cpus(const std::string& text) {
  size_t i = 0;
  Decimal d;
  if (!read_decimal(text, i, d) || i != text.size()) {
    return Error("expected a number of CPUs such as 1 or 1.5");
  }
  Wide nanos = scaled(d, kNanos);
  if (nanos > std::numeric_limits<int64_t>::max()) return Error("is too large");
  return static_cast<int64_t>(nanos);
}

Result<std::string> parse_cpu_list(const std::string& text) {
  const Error bad("expected a list of CPUs such as 0-3 or 0,2");
  size_t i = 0;
  while (true) {
    Decimal lo;
    size_t at = i;
    if (!read_decimal(text, i, lo) || text.find('.', at) < i) return bad;
    if (i < text.size() && text[i] == '-') {
      Decimal hi;
      at = ++i;
      if (!read_decimal(text, i, hi) || text.find('.', at) < i) return bad;
      if (hi.whole < lo.whole) return Error("range " + text.substr(0, i) + " is descending");
    }
    if (i == text.size()) return text;
    if (text[i++] != ',') return bad;
  }
}

Result<int64_t> parse_int(const std::string& text) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || ptr != end) return Error("expected a whole number");
  return v;
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t at = text.find(sep, start);
    out.push_back(text.substr(start, at - start));
    if (at == std::string::npos) return out;
    start = at + 1;
  }
}

KeyValue split_key_value(const std::string& text) {
  size_t eq = text.find('=');
  if (eq == std::string::npos) return {text, "", false};
  return {text.substr(0, eq), text.substr(eq + 1), true};
}

namespace {

// An rlimit value: a count, or -1 / "unlimited" for RLIM_INFINITY.
Result<uint64_t> rlimit_value(const std::string& text) {
  if (text == "-1" || text == "unlimited") return std::numeric_limits<uint64_t>::max();
  auto v = parse_int(text);
  if (!v || *v < 0) return Error("expected a number, -1 or unlimited, got " + quote(text));
  return static_cast<uint64_t>(*v);
}

// Whether the OCI layer knows "RLIMIT_<NAME>": its table is the one list of rlimit names,
// asked through the process parser rather than copied here.
bool known_rlimit(const std::string& type) {
  nlohmann::json process = {{"args", {"x"}},
                            {"cwd", "/"},
                            {"user", {{"uid", 0}, {"gid", 0}}},
                            {"rlimits", {{{"type", type}, {"soft", 0}, {"hard", 0}}}}};
  return oci::parse_process(process.dump()).has_value();
}

}  // namespace

Result<nlohmann::json> parse_ulimit(const std::string& text) {
  KeyValue kv = split_key_value(text);
  if (!kv.has_value || kv.key.empty() || kv.value.empty()) {
    return Error("expected NAME=SOFT[:HARD], such as nofile=1024:2048");
  }
  std::string type = "RLIMIT_";
  for (char c : kv.key) type += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  if (type.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != std::string::npos ||
      !known_rlimit(type)) {
    return Error("unknown limit " + quote(kv.key) + " (names such as nofile, nproc, core)");
  }
  size_t colon = kv.value.find(':');
  ASSIGN_OR_RETURN(uint64_t soft, rlimit_value(kv.value.substr(0, colon)));
  uint64_t hard = soft;
  if (colon != std::string::npos) {
    ASSIGN_OR_RETURN(hard, rlimit_value(kv.value.substr(colon + 1)));
  }
  if (soft > hard) {
    return Error("soft limit " + std::to_string(soft) + " is above hard limit " +
                 std::to_string(hard));
  }
  return nlohmann::json{{"type", type}, {"soft", soft}, {"hard", hard}};
}

namespace {

bool has_space(const std::string& s) { return s.find_first_of(" \t\r\n\v\f") != std::string::npos; }

}  // namespace

Result<std::optional<std::string>> parse_env_word(const std::string& text) {
  KeyValue kv = split_key_value(text);
  if (kv.key.empty()) return Error("expected KEY=VALUE or KEY");
  if (has_space(kv.key)) return Error("variable " + quote(kv.key) + " contains whitespace");
  if (kv.has_value) return std::optional<std::string>(text);
  // KEY alone: our value, or nothing (docker drops a variable that is not set).
  const char* ours = std::getenv(kv.key.c_str());
  if (ours == nullptr) return std::optional<std::string>();
  return std::optional<std::string>(kv.key + "=" + ours);
}

Result<std::vector<std::string>> parse_env_file(const std::string& text) {
  std::vector<std::string> out;
  size_t line_no = 0;
  for (std::string line : split(text, '\n')) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    line = line.substr(first);
    auto word = parse_env_word(line);
    if (!word) return std::move(word.error()).context("line " + std::to_string(line_no));
    if (*word) out.push_back(**word);
  }
  return out;
}

}  // namespace hull::engine::spec_detail
