// The fixture both build_spec suites share (spec_builder_test.cc for the process side,
// spec_options_test.cc for mounts, namespaces, resources and security): inputs for one
// container, and build()/error() that fail the test unless the spec parses, or is refused.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/spec_builder.h"

namespace hull::engine::testing {

using nlohmann::json;

inline std::vector<std::string> strings(const json& j) {
  return j.get<std::vector<std::string>>();
}

class SpecFixture : public ::testing::Test {
 protected:
  void init(const std::string& id, const std::string& rootfs) {
    image.cmd = {"sh"};
    in.run = &run;
    in.image = &image;
    in.id = id;
    in.rootfs = rootfs;
    in.cgroups_path = "/hull/" + id;
  }
  // The spec for the current inputs; fails the test if it is refused or does not parse.
  json build() {
    auto r = build_spec(in);
    EXPECT_TRUE(r.has_value()) << r.error().message();
    if (!r) return json::object();
    auto parsed = oci::parse_spec(r->config.dump());
    EXPECT_TRUE(parsed.has_value()) << parsed.error().message() << "\n" << r->config.dump(2);
    return r->config;
  }
  std::string error() {
    auto r = build_spec(in);
    EXPECT_FALSE(r.has_value()) << r->config.dump(2);
    return r ? "" : r.error().message();
  }
  // The mount at `destination`, or null.
  static json mount_at(const json& spec, const std::string& destination) {
    for (const auto& m : spec["mounts"]) {
      if (m["destination"] == destination) return m;
    }
    return nullptr;
  }

  RunOptions run;
  ImageConfig image;
  SpecInputs in;
};

}  // namespace hull::engine::testing
