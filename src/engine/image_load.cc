// load: docker-save archives (manifest.json) and OCI image layouts in a tar (oci-layout,
// index.json, blobs/). Every blob is checked against the digest that names it and every
// layer against the config's diff_ids before anything enters the store.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>

#include "base/sys.h"
#include "engine/image_archive.h"
#include "engine/image_digest.h"
#include "engine/image_index.h"
#include "engine/image_layer.h"
#include "engine/image_ref.h"
#include "engine/image_stage.h"
#include "engine/image_store.h"

namespace hull::engine {

namespace {

using nlohmann::json;

#if defined(__aarch64__)
constexpr const char* kArch = "arm64";
#else
constexpr const char* kArch = "amd64";
#endif

// One image as an archive describes it, before any of it is checked.
struct Plan {
  std::string config;                 // member name
  std::string config_digest;          // expected, "" when the archive names none
  std::string manifest;               // OCI: the manifest blob as is; docker: ""
  std::vector<std::string> layers;    // member names
  std::vector<std::string> digests;   // expected blob digests ("" when unknown)
  std::vector<std::string> media;     // media types ("" when unknown)
  std::vector<std::string> tags;      // familiar
};

std::string oci_blob(const std::string& digest) {
  return "blobs/" + digest.substr(0, digest.find(':')) + "/" + digest.substr(digest.find(':') + 1);
}

// docker's manifest.json: [{"Config": "...", "RepoTags": [...], "Layers": [...]}].
base::Result<std::vector<Plan>> docker_plans(const json& j) {
  std::vector<Plan> out;
  for (const auto& m : j) {
    Plan p;
    p.config = m.at("Config").get<std::string>();
    if (p.config.compare(0, 13, "blobs/sha256/") == 0) p.config_digest = "sha256:" + p.config.substr(13);
    if (m.contains("RepoTags") && m.at("RepoTags").is_array()) {
      for (const auto& t : m.at("RepoTags")) {
        ASSIGN_OR_RETURN(ImageRef r, parse_image_ref(t.get<std::string>()));
        p.tags.push_back(r.familiar());
      }
    }
    for (const auto& l : m.at("Layers")) {
      std::string name = l.get<std::string>();
      p.layers.push_back(name);
      p.digests.push_back(name.compare(0, 13, "blobs/sha256/") == 0 ? "sha256:" + name.substr(13)
                                                                      : "");
      p.media.push_back("");
    }
    out.push_back(std::move(p));
  }
  return out;
}

// A manifest of an OCI layout (or, for an index, the entry for this machine's platform).
base::Result<void> oci_plan(const ArchiveMembers& m, const json& desc, std::vector<std::string> tags,
                            std::vector<Plan>& out, int depth) {
  std::string digest = desc.at("digest").get<std::string>();
  if (!is_digest(digest)) return base::Error("index.json: unsupported digest " + digest);
  ASSIGN_OR_RETURN(ArchiveMember mem, m.get(oci_blob(digest)));
  if (mem.digest != digest) {
    return base::Error(oci_blob(digest) + ": content has digest " + mem.digest);
  }
  ASSIGN_OR_RETURN(std::string text, base::sys::read_file(mem.path));
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    return base::Error(oci_blob(digest) + ": " + e.what());
  }
  if (j.contains("manifests")) {  // an image index: pick our platform
    if (depth > 2) return base::Error(oci_blob(digest) + ": indexes nested too deep");
    for (const auto& d : j.at("manifests")) {
      const json plat = d.value("platform", json::object());
      if (plat.value("os", "linux") == "linux" && plat.value("architecture", kArch) == kArch) {
        return oci_plan(m, d, tags, out, depth + 1);
      }
    }
    return base::Error(oci_blob(digest) + ": no image for linux/" + kArch);
  }
  Plan p;
  p.manifest = text;
  p.config_digest = j.at("config").at("digest").get<std::string>();
  if (!is_digest(p.config_digest)) {
    return base::Error(oci_blob(digest) + ": unsupported config digest " + p.config_digest);
  }
  p.config = oci_blob(p.config_digest);
  for (const auto& l : j.at("layers")) {
    std::string d = l.at("digest").get<std::string>();
    if (!is_digest(d)) return base::Error(oci_blob(digest) + ": unsupported layer digest " + d);
    p.layers.push_back(oci_blob(d));
    p.digests.push_back(d);
    p.media.push_back(l.value("mediaType", ""));
  }
  p.tags = std::move(tags);
  out.push_back(std::move(p));
  return {};
}

// index.json: a name from containerd's annotation, or ref.name when it is a whole reference
// (skopeo's "name:tag"); a bare ref.name ("latest", what umoci writes) is only a tag.
base::Result<std::vector<Plan>> oci_plans(const ArchiveMembers& m, const json& index) {
  std::vector<Plan> out;
  for (const auto& d : index.at("manifests")) {
    std::vector<std::string> tags;
    json ann = d.value("annotations", json::object());
    std::string name = ann.value("io.containerd.image.name", "");
    std::string ref = ann.value("org.opencontainers.image.ref.name", "");
    if (name.empty() && ref.find_first_of(":/") != std::string::npos) name = ref;
    if (!name.empty()) {
      ASSIGN_OR_RETURN(ImageRef r, parse_image_ref(name));
      tags.push_back(r.familiar());
    }
    TRY(oci_plan(m, d, tags, out, 0));
  }
  return out;
}

}  // namespace

base::Result<std::vector<Image>> ImageStore::load(const std::string& archive) {
  ASSIGN_OR_RETURN(Staging st, Staging::make(root_));
  auto members = ArchiveMembers::extract(archive, st);
  if (!members) return std::move(members.error()).context("load " + archive);
  const ArchiveMembers& m = *members;
  ASSIGN_OR_RETURN(ImageIndex idx, read_index(root_ + "/index.json"));

  std::vector<Plan> plans;
  std::string where;
  try {
    if (m.has("manifest.json")) {
      where = "manifest.json";
      ASSIGN_OR_RETURN(std::string text, m.read(where));
      ASSIGN_OR_RETURN(plans, docker_plans(json::parse(text)));
    } else if (m.has("index.json")) {
      where = "index.json";
      ASSIGN_OR_RETURN(std::string text, m.read(where));
      auto r = oci_plans(m, json::parse(text));
      if (!r) return std::move(r.error()).context("load " + archive);
      plans = std::move(*r);
    } else {
      return base::Error("load " + archive + ": not an image archive (no manifest.json or index.json)");
    }
  } catch (const json::exception& e) {
    return base::Error("load " + archive + ": " + where + ": " + e.what());
  }

  std::vector<StagedImage> staged;
  std::map<std::string, StagedLayer> by_member;  // a layer shared by images is unpacked once
  for (const auto& p : plans) {
    auto fail = [&](base::Error e) { return std::move(e).context("load " + archive); };
    auto cfg_mem = m.get(p.config);
    if (!cfg_mem) return fail(cfg_mem.error());
    if (!p.config_digest.empty() && cfg_mem->digest != p.config_digest) {
      return fail(base::Error(p.config + ": content has digest " + cfg_mem->digest + ", not " +
                              p.config_digest));
    }
    StagedImage img;
    ASSIGN_OR_RETURN(img.config, base::sys::read_file(cfg_mem->path));
    auto cfg = parse_image_config(img.config, p.config);
    if (!cfg) return fail(cfg.error());
    if (cfg->diff_ids.size() != p.layers.size()) {
      return fail(base::Error(p.config + ": " + std::to_string(cfg->diff_ids.size()) +
                              " diff_ids for " + std::to_string(p.layers.size()) + " layers"));
    }
    img.created = cfg->config.created;
    img.tags = p.tags;
    for (size_t i = 0; i < p.layers.size(); ++i) {
      auto mem = m.get(p.layers[i]);
      if (!mem) return fail(mem.error());
      if (!p.digests[i].empty() && mem->digest != p.digests[i]) {
        return fail(base::Error(p.layers[i] + ": content has digest " + mem->digest + ", not " +
                                p.digests[i]));
      }
      std::string media = p.media[i];
      if (media.empty()) {
        char head[8] = {};
        ASSIGN_OR_RETURN(base::Fd fd, base::sys::open(mem->path, O_RDONLY));
        ssize_t n = ::read(fd.get(), head, sizeof head);
        media = layer_media_type(detect_compression({head, n > 0 ? size_t(n) : 0}));
        if (media.empty()) media = "application/vnd.oci.image.layer.v1.tar";
      }
      StagedLayer layer;
      if (auto it = by_member.find(mem->path); it != by_member.end()) {
        layer = it->second;
      } else if (const LayerRecord* have = idx.find_layer(cfg->diff_ids[i], mem->digest)) {
        layer.record = *have;  // the store has it unpacked: only the blob check was needed
        layer.blob = mem->path;
      } else {
        auto s = stage_layer(st, mem->path, media);
        if (!s) return fail(std::move(s.error()).context(p.layers[i]));
        layer = std::move(*s);
      }
      if (layer.record.diff_id != cfg->diff_ids[i]) {
        return fail(base::Error(p.layers[i] + ": uncompressed content has digest " +
                                layer.record.diff_id + ", the config says " + cfg->diff_ids[i]));
      }
      by_member[mem->path] = layer;
      img.layers.push_back(layer);
    }
    std::vector<LayerRecord> records;
    for (const auto& l : img.layers) records.push_back(l.record);
    img.manifest = p.manifest.empty() ? make_manifest(img.config, records) : p.manifest;
    staged.push_back(std::move(img));
  }
  ASSIGN_OR_RETURN(auto ids, install(root_, st, staged));
  std::vector<Image> out;
  for (size_t i = 0; i < ids.size(); ++i) {
    ASSIGN_OR_RETURN(Image img, find(ids[i]));
    img.tags = staged[i].tags;  // the names this archive gave, not every name in the store
    out.push_back(std::move(img));
  }
  return out;
}

}  // namespace hull::engine
