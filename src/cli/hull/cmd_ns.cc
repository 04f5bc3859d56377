// `hull ns [--format table|json] [SUBJECT...]`: the namespaces of the host, containers and
// processes side by side, and which of them are the host's, shared, or private.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/hull/commands.h"
#include "engine/ns_report.h"

namespace hull::cli {
namespace {

struct NsFlags {
  std::string format = "table";
  std::vector<std::string> subjects;
};

bool running(engine::ContainerState s) {
  return s == engine::ContainerState::kRunning || s == engine::ContainerState::kPaused;
}

// "pid:1234" or "1234"; nullopt when the word is not a pid (so it names a container).
std::optional<pid_t> parse_pid(const std::string& word) {
  std::string digits = word.rfind("pid:", 0) == 0 ? word.substr(4) : word;
  if (digits.empty() || digits.size() > 9) return std::nullopt;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return static_cast<pid_t>(std::stol(digits));
}

base::Result<engine::NsSubject> subject_of(const engine::Engine& eng, const std::string& word) {
  if (word == "host") return engine::NsSubject{"host", 0};
  if (auto pid = parse_pid(word)) {
    if (*pid <= 0) return base::Error("invalid pid " + word);
    return engine::NsSubject{"pid " + std::to_string(*pid), *pid};
  }
  ASSIGN_OR_RETURN(engine::ContainerRecord rec, eng.find(word));
  if (!running(rec.state) || rec.pid <= 0) {
    return base::Error("container " + word + " is not running");
  }
  return engine::NsSubject{rec.name, rec.pid};
}

base::Result<int> ns(const Globals& g, const NsFlags& f) {
  if (f.format != "table" && f.format != "json") {
    return base::Error("invalid --format \"" + f.format + "\": want table or json");
  }
  engine::Engine eng = g.engine();
  // The host is always the first column; a subject named twice is shown once.
  std::vector<engine::NsSubject> subjects{{"host", 0}};
  auto add = [&subjects](engine::NsSubject s) {
    for (const auto& have : subjects) {
      if (have.label == s.label) return;
    }
    subjects.push_back(std::move(s));
  };
  if (f.subjects.empty()) {
    for (const auto& rec : eng.list()) {
      if (running(rec.state) && rec.pid > 0) add({rec.name, rec.pid});
    }
  }
  for (const auto& word : f.subjects) {
    ASSIGN_OR_RETURN(engine::NsSubject s, subject_of(eng, word));
    add(std::move(s));
  }
  ASSIGN_OR_RETURN(engine::NsReport report, engine::ns_report(subjects));
  std::string out =
      f.format == "json" ? engine::ns_json(report).dump(2) + "\n" : engine::ns_table(report);
  std::fputs(out.c_str(), stdout);
  return 0;
}

}  // namespace

void add_ns(CLI::App& app, Globals& g, Action& action) {
  auto f = std::make_shared<NsFlags>();
  CLI::App* cmd = app.add_subcommand(
      "ns", "show the namespaces of the host, containers and processes, and what they share");
  cmd->add_option("--format", f->format, "table or json")->capture_default_str();
  cmd->add_option("subject", f->subjects,
                  "a container (name or id), pid:N or N; default: every running container");
  cmd->callback([&g, &action, f] { action = [&g, f] { return ns(g, *f); }; });
}

}  // namespace hull::cli
