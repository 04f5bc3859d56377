#include "engine/image_push.h"

#include <nlohmann/json.hpp>
#include <set>

#include "base/sys.h"
#include "engine/image_digest.h"
#include "engine/image_ref.h"

namespace hull::engine {

namespace {

constexpr const char* kDockerConfig = "application/vnd.docker.container.image.v1+json";
constexpr const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";

// The manifest's own mediaType; an OCI manifest may leave it out, so the config's type tells.
std::string manifest_media_type(const std::string& text, const Manifest& m) {
  try {
    auto j = nlohmann::json::parse(text);
    if (j.is_object() && j.contains("mediaType") && j["mediaType"].is_string()) {
      return j["mediaType"].get<std::string>();
    }
  } catch (const nlohmann::json::exception&) {
    // parse_manifest read it already: not reached
  }
  return m.config.media_type == kDockerConfig ? kDockerManifest : kOciManifest;
}

// A repository of the same registry that the image is also named in: the registry has the
// image's blobs there when it was pulled from or pushed to it, so they can be mounted.
std::string mount_source(const Image& img, const ImageRef& ref) {
  for (const auto& tag : img.tags) {
    auto other = parse_image_ref(tag);
    if (other && other->registry == ref.registry && other->repository != ref.repository) {
      return other->repository;
    }
  }
  return "";
}

}  // namespace

base::Result<PushResult> push_image(const ImageStore& store, const std::string& text,
                                    const PushOptions& o) {
  ASSIGN_OR_RETURN(ImageRef ref, parse_image_ref(text));
  std::string name = ref.familiar();
  auto fail = [&](base::Error e) { return std::move(e).context("push " + name); };
  if (!ref.digest.empty()) return base::Error("push " + name + ": push a tag, not a digest");
  auto img = store.find(text);
  if (!img) return fail(img.error());
  if (img->manifest_digest.empty()) {
    return base::Error("push " + name + ": the store has no manifest for image " + img->id);
  }
  std::string blobs = store.root() + "/blobs/sha256/";
  auto blob_path = [&](const std::string& digest) {
    return blobs + digest.substr(digest.find(':') + 1);
  };
  auto body = base::sys::read_file(blob_path(img->manifest_digest));
  if (!body) return fail(std::move(body.error()).context("manifest " + img->manifest_digest));
  auto m = parse_manifest(*body, "manifest " + img->manifest_digest);
  if (!m) return fail(m.error());
  if (m->is_index) return base::Error("push " + name + ": the stored manifest is an index");

  RegistryClient client(ref, o.registry);
  std::vector<Descriptor> all = m->layers;
  all.push_back(m->config);
  std::string from = mount_source(*img, ref);
  std::set<std::string> done;  // a blob twice in one image is sent once
  for (const Descriptor& d : all) {
    if (!done.insert(d.digest).second) continue;
    auto has = client.has_blob(d.digest);
    if (!has) return fail(has.error());
    PushEvent ev{PushEvent::kExists, d.digest, ""};
    if (!*has) {
      auto up = client.start_upload(d.digest, from);
      if (!up) return fail(up.error());
      ev = {PushEvent::kMounted, d.digest, from};
      if (!up->mounted) {
        auto u = client.upload_blob(up->location, d.digest, blob_path(d.digest), o.chunk);
        if (!u) return fail(u.error());
        ev = {PushEvent::kPushed, d.digest, ""};
      }
    }
    if (o.on_event) o.on_event(ev);
  }
  if (auto p = client.put_manifest(ref.tag, *body, manifest_media_type(*body, *m)); !p) {
    return fail(p.error());
  }
  return PushResult{ref.tag, sha256_digest(*body), static_cast<int64_t>(body->size())};
}

}  // namespace hull::engine
