// Image references (docker's normalisation) and `import --change` instructions: pure.
#include <gtest/gtest.h>

#include "engine/image_config.h"
#include "engine/image_ref.h"

namespace hull::engine {
namespace {

ImageRef parse(const std::string& s) {
  auto r = parse_image_ref(s);
  EXPECT_TRUE(r.has_value()) << s << ": " << r.error().message();
  return r ? *r : ImageRef{};
}

TEST(ImageRef, ShortNameGetsRegistryLibraryAndLatest) {
  ImageRef r = parse("busybox");
  EXPECT_EQ(r.registry, "docker.io");
  EXPECT_EQ(r.repository, "library/busybox");
  EXPECT_EQ(r.tag, "latest");
  EXPECT_EQ(r.familiar(), "busybox:latest");
  EXPECT_EQ(r.full(), "docker.io/library/busybox:latest");
}

TEST(ImageRef, UserRepositoryHasNoLibrary) {
  ImageRef r = parse("user/app:1.0");
  EXPECT_EQ(r.repository, "user/app");
  EXPECT_EQ(r.familiar(), "user/app:1.0");
}

TEST(ImageRef, DockerIoPrefixesAreStrippedForDisplay) {
  EXPECT_EQ(parse("docker.io/library/busybox:1").familiar(), "busybox:1");
  EXPECT_EQ(parse("index.docker.io/library/busybox").familiar(), "busybox:latest");
  EXPECT_EQ(parse("docker.io/busybox").full(), "docker.io/library/busybox:latest");
}

TEST(ImageRef, RegistryWithPortAndLocalhost) {
  ImageRef r = parse("localhost:5000/app:1");
  EXPECT_EQ(r.registry, "localhost:5000");
  EXPECT_EQ(r.repository, "app");
  EXPECT_EQ(r.tag, "1");
  EXPECT_EQ(r.familiar(), "localhost:5000/app:1");
  EXPECT_EQ(parse("localhost/app").registry, "localhost");
  EXPECT_EQ(parse("quay.io/org/sub/app").name(), "quay.io/org/sub/app");
  EXPECT_EQ(parse("Registry/app").registry, "Registry");  // upper case: a host, as docker
}

TEST(ImageRef, Digest) {
  std::string d = "sha256:" + std::string(64, 'a');
  ImageRef r = parse("busybox@" + d);
  EXPECT_EQ(r.digest, d);
  EXPECT_EQ(r.tag, "");  // no "latest" beside a digest
  EXPECT_EQ(r.familiar(), "busybox@" + d);
  ImageRef both = parse("localhost:5000/app:1@" + d);
  EXPECT_EQ(both.tag, "1");
  EXPECT_EQ(both.digest, d);
}

TEST(ImageRef, SeparatorsInComponents) {
  EXPECT_EQ(parse("x/a_b__c-d---e.f").repository, "x/a_b__c-d---e.f");
  EXPECT_EQ(parse("a.b/c").registry, "a.b");  // a dot in the first component: a host
}

TEST(ImageRef, ErrorsNameTheReference) {
  for (const char* bad : {"", "Busybox", "busybox:", "busybox:-x", "a//b", "-a", "a_", "a:b:c",
                          "busybox@sha256:abc", "busybox@md5:" , "host:port/app", "a..b",
                          "localhost:5000/App"}) {
    auto r = parse_image_ref(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_NE(r.error().message().find(std::string("\"") + bad + "\""), std::string::npos)
        << r.error().message();
  }
}

TEST(ImageRef, TagLengthAndNameLength) {
  EXPECT_TRUE(parse_image_ref("a:" + std::string(128, 'x')).has_value());
  EXPECT_FALSE(parse_image_ref("a:" + std::string(129, 'x')).has_value());
  EXPECT_FALSE(parse_image_ref("localhost/" + std::string(250, 'a')).has_value());
}

TEST(ImageRef, DigestAndHexHelpers) {
  EXPECT_TRUE(is_digest("sha256:" + std::string(64, '0')));
  EXPECT_FALSE(is_digest("sha256:" + std::string(63, '0')));
  EXPECT_FALSE(is_digest("sha256:" + std::string(64, 'A')));
  EXPECT_TRUE(is_hex("abc123"));
  EXPECT_FALSE(is_hex("abcg"));
}

ImageConfig change(std::vector<std::string> instrs) {
  ImageConfig c;
  for (const auto& i : instrs) {
    auto r = apply_change(c, i);
    EXPECT_TRUE(r.has_value()) << i << ": " << r.error().message();
  }
  return c;
}

TEST(ImageChange, CmdAndEntrypointExecAndShellForm) {
  ImageConfig c = change({R"(CMD ["sh", "-c", "echo hi"])", "ENTRYPOINT /bin/app --flag"});
  EXPECT_EQ(c.cmd, (std::vector<std::string>{"sh", "-c", "echo hi"}));
  EXPECT_EQ(c.entrypoint, (std::vector<std::string>{"/bin/sh", "-c", "/bin/app --flag"}));
  EXPECT_EQ(change({"cmd [not json"}).cmd,
            (std::vector<std::string>{"/bin/sh", "-c", "[not json"}));
}

TEST(ImageChange, EnvPairsQuotesLegacyFormAndReplacement) {
  ImageConfig c = change({"ENV A=1 B=\"two words\" C='x y'", "ENV D some value", "ENV A=3"});
  EXPECT_EQ(c.env, (std::vector<std::string>{"B=two words", "C=x y", "D=some value", "A=3"}));
}

TEST(ImageChange, WorkdirUserLabelStopsignal) {
  ImageConfig c = change({"WORKDIR /srv", "WORKDIR app", "USER 1000:1000", "LABEL a=b \"c d\"=e",
                          "STOPSIGNAL TERM"});
  EXPECT_EQ(c.working_dir, "/srv/app");
  EXPECT_EQ(c.user, "1000:1000");
  EXPECT_EQ(c.labels.at("a"), "b");
  EXPECT_EQ(c.labels.at("c d"), "e");
  EXPECT_EQ(c.stop_signal, "SIGTERM");
  EXPECT_EQ(change({"STOPSIGNAL 9"}).stop_signal, "SIGKILL");
}

TEST(ImageChange, ExposeDefaultsRangesAndSorts) {
  ImageConfig c = change({"EXPOSE 8080 53/udp", "EXPOSE 80/TCP 81-82/tcp 80"});
  EXPECT_EQ(c.exposed_ports,
            (std::vector<std::string>{"53/udp", "80/tcp", "81/tcp", "82/tcp", "8080/tcp"}));
}

TEST(ImageChange, ErrorsNameTheInstruction) {
  for (const char* bad : {"FROM busybox", "EXPOSE 0", "EXPOSE 70000", "EXPOSE 80/icmp", "ENV",
                          "ENV =x", "STOPSIGNAL NOPE", "USER a b", "LABEL a=\"b", ""}) {
    ImageConfig c;
    auto r = apply_change(c, bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_NE(r.error().message().find(std::string("--change \"") + bad + "\""),
              std::string::npos)
        << r.error().message();
  }
  ImageConfig c;
  EXPECT_NE(apply_change(c, "RUN x").error().message().find("CMD, ENTRYPOINT"), std::string::npos);
}

TEST(ImageConfigJson, RoundTrip) {
  ImageConfig c = change({"CMD [\"sh\"]", "ENV A=1", "EXPOSE 80", "LABEL k=v", "USER u",
                          "WORKDIR /w", "STOPSIGNAL INT"});
  c.created = "2024-01-02T03:04:05Z";
  std::string text = image_config_json(c, {"sha256:" + std::string(64, '1')}, "test");
  auto p = parse_image_config(text, "cfg");
  ASSERT_TRUE(p.has_value()) << p.error().message();
  EXPECT_EQ(p->config.cmd, c.cmd);
  EXPECT_EQ(p->config.env, c.env);
  EXPECT_EQ(p->config.exposed_ports, c.exposed_ports);
  EXPECT_EQ(p->config.labels, c.labels);
  EXPECT_EQ(p->config.stop_signal, "SIGINT");
  EXPECT_EQ(p->config.created, c.created);
  EXPECT_EQ(p->diff_ids.size(), 1u);
  auto bad = parse_image_config(R"({"rootfs": {"diff_ids": [1]}})", "f.json");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("f.json"), std::string::npos);
  EXPECT_NE(bad.error().message().find("rootfs.diff_ids"), std::string::npos);
}

}  // namespace
}  // namespace hull::engine
