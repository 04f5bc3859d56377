// `hull import --change`: the subset of Dockerfile instructions that only edit the image
// config (docker import's list). Pure: a string in, an edited ImageConfig out.
#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "base/signals.h"
#include "engine/image_config.h"

namespace hull::engine {

namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// Words as the Dockerfile parser splits ENV and LABEL pairs: whitespace outside quotes,
// "…" and '…' quote, a backslash escapes the next character (outside single quotes).
base::Result<std::vector<std::string>> split_words(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else if (c == '\\' && quote == '"' && i + 1 < s.size()) {
        cur += s[++i];
      } else {
        cur += c;
      }
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      if (in_word) out.push_back(cur);
      cur.clear();
      in_word = false;
    } else {
      in_word = true;
      if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '\\' && i + 1 < s.size()) {
        cur += s[++i];
      } else {
        cur += c;
      }
    }
  }
  if (quote) return base::Error(std::string("unterminated ") + quote + " quote");
  if (in_word) out.push_back(cur);
  return out;
}

// KEY=VALUE pairs, or the legacy one-pair form "KEY VALUE…" (ENV and LABEL both allow it).
base::Result<std::vector<std::pair<std::string, std::string>>> pairs(const std::string& args) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t sp = args.find_first_of(" \t");
  size_t eq = args.find('=');
  if (eq == std::string::npos || (sp != std::string::npos && sp < eq)) {
    if (sp == std::string::npos) return base::Error("expected KEY=VALUE");
    out.emplace_back(args.substr(0, sp), trim(args.substr(sp)));
    return out;
  }
  ASSIGN_OR_RETURN(auto words, split_words(args));
  for (const auto& w : words) {
    size_t e = w.find('=');
    if (e == std::string::npos || e == 0) return base::Error("expected KEY=VALUE, got \"" + w + "\"");
    out.emplace_back(w.substr(0, e), w.substr(e + 1));
  }
  return out;
}

// CMD and ENTRYPOINT: a JSON array of strings (exec form), anything else is run by a shell.
std::vector<std::string> command(const std::string& args) {
  if (!args.empty() && args.front() == '[') {
    try {
      auto j = nlohmann::json::parse(args);
      if (j.is_array()) return j.get<std::vector<std::string>>();
    } catch (const nlohmann::json::exception&) {
      // Not valid JSON: docker falls back to the shell form too.
    }
  }
  return {"/bin/sh", "-c", args};
}

base::Result<unsigned> port_number(const std::string& s) {
  if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos) {
    return base::Error("invalid port \"" + s + "\"");
  }
  unsigned n = static_cast<unsigned>(std::stoul(s));
  if (n == 0 || n > 65535) return base::Error("port " + s + " out of range 1-65535");
  return n;
}

// "80", "80/tcp", "53/udp", "8000-8002/tcp" (a range is expanded, as docker does).
base::Result<void> expose(ImageConfig& c, const std::string& args) {
  ASSIGN_OR_RETURN(auto words, split_words(args));
  if (words.empty()) return base::Error("expected PORT[/PROTO]");
  for (const auto& w : words) {
    size_t slash = w.find('/');
    std::string proto = slash == std::string::npos ? "tcp" : w.substr(slash + 1);
    std::transform(proto.begin(), proto.end(), proto.begin(), ::tolower);
    if (proto != "tcp" && proto != "udp" && proto != "sctp") {
      return base::Error("invalid protocol \"" + proto + "\" (tcp, udp or sctp)");
    }
    std::string range = w.substr(0, slash);
    size_t dash = range.find('-');
    ASSIGN_OR_RETURN(unsigned lo, port_number(range.substr(0, dash)));
    unsigned hi = lo;
    if (dash != std::string::npos) {
      ASSIGN_OR_RETURN(hi, port_number(range.substr(dash + 1)));
      if (hi < lo) return base::Error("invalid port range \"" + range + "\"");
    }
    for (unsigned p = lo; p <= hi; ++p) c.exposed_ports.push_back(std::to_string(p) + "/" + proto);
  }
  // Sorted by number, then protocol: the order docker shows.
  auto key = [](const std::string& p) {
    return std::make_pair(std::stoul(p.substr(0, p.find('/'))), p.substr(p.find('/') + 1));
  };
  std::sort(c.exposed_ports.begin(), c.exposed_ports.end(),
            [&](const auto& a, const auto& b) { return key(a) < key(b); });
  c.exposed_ports.erase(std::unique(c.exposed_ports.begin(), c.exposed_ports.end()),
                        c.exposed_ports.end());
  return {};
}

base::Result<void> apply(ImageConfig& c, const std::string& op, const std::string& args) {
  if (op == "CMD") {
    c.cmd = command(args);
  } else if (op == "ENTRYPOINT") {
    c.entrypoint = command(args);
  } else if (op == "ENV") {
    ASSIGN_OR_RETURN(auto kvs, pairs(args));
    for (const auto& [k, v] : kvs) {
      auto same = [&](const std::string& e) { return e.compare(0, k.size() + 1, k + "=") == 0; };
      c.env.erase(std::remove_if(c.env.begin(), c.env.end(), same), c.env.end());
      c.env.push_back(k + "=" + v);
    }
  } else if (op == "LABEL") {
    ASSIGN_OR_RETURN(auto kvs, pairs(args));
    for (const auto& [k, v] : kvs) c.labels[k] = v;
  } else if (op == "WORKDIR") {
    ASSIGN_OR_RETURN(auto words, split_words(args));
    if (words.size() != 1) return base::Error("expected one path");
    std::string base = c.working_dir.empty() ? "/" : c.working_dir;
    c.working_dir = words[0].front() == '/' ? words[0]
                                            : base + (base.back() == '/' ? "" : "/") + words[0];
  } else if (op == "USER") {
    ASSIGN_OR_RETURN(auto words, split_words(args));
    if (words.size() != 1) return base::Error("expected USER[:GROUP]");
    c.user = words[0];
  } else if (op == "EXPOSE") {
    return expose(c, args);
  } else if (op == "STOPSIGNAL") {
    auto sig = base::parse_signal(args);
    if (!sig) return base::Error("unknown signal \"" + args + "\"");
    c.stop_signal = base::signal_name(*sig);
  } else {
    return base::Error("unknown instruction " + op)
        .hint("one of CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, WORKDIR");
  }
  return {};
}

}  // namespace

base::Result<void> apply_change(ImageConfig& config, const std::string& instruction) {
  std::string line = trim(instruction);
  size_t sp = line.find_first_of(" \t");
  std::string op = line.substr(0, sp);
  std::transform(op.begin(), op.end(), op.begin(), ::toupper);
  std::string args = sp == std::string::npos ? "" : trim(line.substr(sp));
  auto r = op.empty() ? base::Result<void>(base::Error("empty instruction"))
           : args.empty() ? base::Result<void>(base::Error("missing arguments"))
                          : apply(config, op, args);
  if (!r) return std::move(r.error()).context("--change \"" + instruction + "\"");
  return {};
}

}  // namespace hull::engine
