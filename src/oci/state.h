// The runtime-spec state document (what `state` prints and hooks read on stdin), plus the
// features document of `features`. JSON is built with nlohmann::json, never from strings.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace hull::oci {

enum class Status { kCreating, kCreated, kRunning, kPaused, kStopped };
const char* status_name(Status s);

struct State {
  std::string id;
  Status status = Status::kCreating;
  int pid = 0;
  std::string bundle;
  std::map<std::string, std::string> annotations;
};

// {"ociVersion","id","status","pid","bundle","annotations"} as the spec defines it.
nlohmann::json state_json(const State& s);

// The features document (runtime-spec features.md) describing what hull-oci supports.
nlohmann::json features_json();

}  // namespace hull::oci
