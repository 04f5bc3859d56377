// The pure half of the registry client: challenges, URLs, manifests and platform choice.
#include <gtest/gtest.h>

#include "engine/registry_client.h"

namespace hull::engine {
namespace {

TEST(RegistryChallenge, BearerWithQuotedParams) {
  auto c = parse_challenge(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull")");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->scheme, "bearer");
  EXPECT_EQ(c->params.at("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(c->params.at("service"), "registry.docker.io");
  EXPECT_EQ(c->params.at("scope"), "repository:library/busybox:pull");
  EXPECT_EQ(token_url(*c, "library/busybox"),
            "https://auth.docker.io/token?service=registry.docker.io&scope=repository%3Alibrary%"
            "2Fbusybox%3Apull");
}

TEST(RegistryChallenge, BasicAndEscapesAndBareValues) {
  auto c = parse_challenge(R"(Basic realm="say \"hi\"", charset=UTF-8)");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->scheme, "basic");
  EXPECT_EQ(c->params.at("realm"), "say \"hi\"");
  EXPECT_EQ(c->params.at("charset"), "UTF-8");
  EXPECT_FALSE(parse_challenge(R"(Bearer realm="open)"));
  EXPECT_FALSE(parse_challenge(""));
}

TEST(RegistryChallenge, TokenUrlDefaultsScopeToPull) {
  AuthChallenge c{"bearer", {{"realm", "https://h/token?x=1"}}};
  EXPECT_EQ(token_url(c, "app"), "https://h/token?x=1&scope=repository%3Aapp%3Apull");
}

// A push that mounts from another repository is challenged for both.
TEST(RegistryChallenge, TokenUrlSplitsScopes) {
  auto c = parse_challenge(
      R"(Bearer realm="http://t/token",service="reg",scope="repository:b:push,pull repository:a:pull")");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(
      token_url(*c, "b"),
      "http://t/token?service=reg&scope=repository%3Ab%3Apush%2Cpull&scope=repository%3Aa%3Apull");
}

TEST(RegistryUrl, FromReferences) {
  auto hub = parse_image_ref("busybox");
  ASSERT_TRUE(hub);
  EXPECT_EQ(registry_host(*hub), "registry-1.docker.io");
  EXPECT_FALSE(is_insecure_registry("registry-1.docker.io", {}));
  std::string base = registry_base_url(registry_host(*hub), false);
  EXPECT_EQ(manifest_url(base, *hub), "https://registry-1.docker.io/v2/library/busybox/manifests/latest");

  auto local = parse_image_ref("127.0.0.1:5000/team/app@sha256:" + std::string(64, 'a'));
  ASSERT_TRUE(local);
  EXPECT_TRUE(is_insecure_registry(local->registry, {}));
  base = registry_base_url(registry_host(*local), true);
  EXPECT_EQ(manifest_url(base, *local),
            "http://127.0.0.1:5000/v2/team/app/manifests/sha256:" + std::string(64, 'a'));
  EXPECT_EQ(blob_url(base, "team/app", "sha256:ab"), "http://127.0.0.1:5000/v2/team/app/blobs/sha256:ab");
}

TEST(RegistryUrl, InsecureList) {
  EXPECT_TRUE(is_insecure_registry("localhost:5000", {}));
  EXPECT_TRUE(is_insecure_registry("[::1]:5000", {}));
  EXPECT_TRUE(is_insecure_registry("reg.lan:5000", {"reg.lan:5000"}));
  EXPECT_TRUE(is_insecure_registry("reg.lan:5000", {"reg.lan"}));
  EXPECT_FALSE(is_insecure_registry("reg.lan:5000", {"other.lan"}));
  EXPECT_FALSE(is_insecure_registry("localhost.evil.com", {}));
}

const std::string kDigestA = "sha256:" + std::string(64, 'a');
const std::string kDigestB = "sha256:" + std::string(64, 'b');
const std::string kDigestC = "sha256:" + std::string(64, 'c');

TEST(RegistryManifest, ImageManifest) {
  std::string text = R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
    "config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":")" + kDigestA +
                     R"(","size":12},
    "layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":")" +
                     kDigestB + R"(","size":100},
              {"mediaType":"application/vnd.oci.image.layer.v1.tar+zstd","digest":")" + kDigestC +
                     R"(","size":200}]})";
  auto m = parse_manifest(text, "app:1");
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_FALSE(m->is_index);
  EXPECT_EQ(m->config.digest, kDigestA);
  ASSERT_EQ(m->layers.size(), 2u);
  EXPECT_EQ(m->layers[1].size, 200);
  EXPECT_EQ(m->layers[1].media_type, "application/vnd.oci.image.layer.v1.tar+zstd");
}

TEST(RegistryManifest, Errors) {
  auto v1 = parse_manifest(R"({"schemaVersion":1,"fsLayers":[]})", "app:1");
  ASSERT_FALSE(v1);
  EXPECT_NE(v1.error().message().find("app:1: manifest schema version 1"), std::string::npos);
  auto bad = parse_manifest(R"({"schemaVersion":2,"config":{"digest":"md5:x","size":1},"layers":[]})",
                            "app:1");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("unsupported digest md5:x"), std::string::npos);
  EXPECT_FALSE(parse_manifest("{", "app:1"));
}

TEST(RegistryManifest, IndexAndPlatform) {
  std::string text = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
    {"digest":")" + kDigestA + R"(","size":1,"platform":{"os":"linux","architecture":"arm","variant":"v7"}},
    {"digest":")" + kDigestB + R"(","size":2,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}},
    {"digest":")" + kDigestC + R"(","size":3,"platform":{"os":"linux","architecture":"amd64"}}]})";
  auto m = parse_manifest(text, "app:1");
  ASSERT_TRUE(m) << m.error().message();
  ASSERT_TRUE(m->is_index);
  auto pick = [&](const std::string& p) {
    auto plat = parse_platform(p);
    EXPECT_TRUE(plat);
    auto d = select_platform(*m, *plat, "app:1");
    return d ? d->digest : d.error().message();
  };
  EXPECT_EQ(pick("linux/amd64"), kDigestC);
  EXPECT_EQ(pick("linux/arm64"), kDigestB);
  EXPECT_EQ(pick("linux/arm/v7"), kDigestA);
  EXPECT_EQ(pick("linux/arm/v6"),
            "app:1: no image for linux/arm/v6 (has linux/arm/v7, linux/arm64/v8, linux/amd64)");
  EXPECT_FALSE(parse_platform("linux"));
  EXPECT_FALSE(parse_platform("linux/"));
  auto def = parse_platform("");
  ASSERT_TRUE(def);
  EXPECT_EQ(def->os, "linux");
  EXPECT_FALSE(def->architecture.empty());
}

}  // namespace
}  // namespace hull::engine
