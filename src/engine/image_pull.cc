#include "engine/image_pull.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include "base/sys.h"
#include "engine/image_config.h"
#include "engine/image_digest.h"
#include "engine/image_index.h"
#include "engine/image_ref.h"
#include "engine/image_stage.h"
#include "engine/registry_auth.h"

namespace hull::engine {

using base::sys::exists;

namespace {

struct Resolved {
  std::string top_digest;  // what the reference names (an index for a multi-platform tag)
  std::string manifest;    // the image manifest, byte for byte
  Manifest parsed;
};

// The reference's manifest, through an index to the platform's entry; every manifest
// fetched by digest is checked against it.
base::Result<Resolved> resolve(RegistryClient& client, const ImageRef& ref, const Platform& plat) {
  Resolved out;
  std::string where = ref.familiar();
  ASSIGN_OR_RETURN(Fetched top, client.manifest(ref.digest.empty() ? ref.tag : ref.digest));
  out.top_digest = sha256_digest(top.body);
  if (!ref.digest.empty() && out.top_digest != ref.digest) {
    return base::Error("manifest " + where + ": content has digest " + out.top_digest);
  }
  ASSIGN_OR_RETURN(out.parsed, parse_manifest(top.body, where));
  out.manifest = std::move(top.body);
  if (!out.parsed.is_index) return out;
  ASSIGN_OR_RETURN(Descriptor d, select_platform(out.parsed, plat, where));
  ASSIGN_OR_RETURN(Fetched f, client.manifest(d.digest));
  if (std::string got = sha256_digest(f.body); got != d.digest) {
    return base::Error("manifest " + where + "@" + d.digest + ": content has digest " + got);
  }
  ASSIGN_OR_RETURN(out.parsed, parse_manifest(f.body, where + "@" + d.digest));
  if (out.parsed.is_index) return base::Error("manifest " + where + ": an index inside an index");
  out.manifest = std::move(f.body);
  return out;
}

// Layers of one pull: what is present, what is kept from an earlier pull, what to fetch.
class LayerPlan {
 public:
  LayerPlan(const Staging& st, const Manifest& m, const std::vector<std::string>& diff_ids,
            const ImageStore& store, const PullOptions& o)
      : st_(st), m_(m), diff_ids_(diff_ids), store_(store), o_(o) {
    layers_.resize(m.layers.size());
  }

  base::Result<void> plan(const ImageIndex& idx) {
    std::map<std::string, size_t> first;  // a blob twice in one image is fetched once
    for (size_t i = 0; i < m_.layers.size(); ++i) {
      const Descriptor& l = m_.layers[i];
      if (const LayerRecord* have = idx.find_layer(diff_ids_[i], l.digest)) {
        layers_[i].record = *have;
        event(PullEvent::kExists, l, l.size);
      } else if (auto it = first.find(l.digest); it != first.end()) {
        dups_.emplace_back(i, it->second);
      } else if (exists(kept(l.digest))) {  // verified by a pull that failed later on
        first[l.digest] = i;
        TRY(unpack(i));
        event(PullEvent::kExists, l, l.size);
      } else {
        first[l.digest] = i;
        jobs_.push_back(
            {l.digest, l.size, st_.path("blob-" + digest_hex(l.digest)), "layer " + l.digest});
        job_layer_.push_back(i);
      }
    }
    return {};
  }

  base::Result<void> fetch(RegistryClient& client) {
    auto progress = [&](size_t j, int64_t bytes, bool done) {
      event(done ? PullEvent::kDone : PullEvent::kProgress, m_.layers[job_layer_[j]], bytes);
    };
    auto done = [&](size_t j) -> base::Result<void> {
      // Verified: kept outside the staging dir, so a later failure does not lose it.
      std::string to = kept(jobs_[j].digest);
      if (::rename(jobs_[j].path.c_str(), to.c_str()) != 0) {
        return base::sys_error("rename " + jobs_[j].path + " to " + to, errno);
      }
      return unpack(job_layer_[j]);
    };
    TRY(client.fetch_blobs(jobs_, progress, done));
    for (auto [i, from] : dups_) layers_[i] = layers_[from];
    return {};
  }

  std::vector<StagedLayer> take() { return std::move(layers_); }

  // After the install, which moved our kept blobs into the store unless a concurrent pull of
  // the same layer had put its own there first: then ours are left over.
  void drop_kept() const {
    for (const Descriptor& l : m_.layers) {
      if (exists(blob_path(store_.root(), l.digest))) ::unlink(kept(l.digest).c_str());
    }
  }

 private:
  std::string kept(const std::string& digest) const {
    return store_.downloads() + "/" + digest_hex(digest);
  }

  base::Result<void> unpack(size_t i) {
    const Descriptor& l = m_.layers[i];
    auto s = stage_layer(st_, kept(l.digest), l.media_type);
    // A concurrent pull of the same layer installed the kept blob meanwhile: the store has
    // it now (verified by that pull as this one verified its own copy).
    if (!s && !exists(kept(l.digest)) && exists(blob_path(store_.root(), l.digest))) {
      s = stage_layer(st_, blob_path(store_.root(), l.digest), l.media_type);
    }
    if (!s) return std::move(s.error()).context("layer " + l.digest);
    if (s->record.diff_id != diff_ids_[i]) {
      return base::Error("layer " + l.digest + ": uncompressed content has digest " +
                         s->record.diff_id + ", the config says " + diff_ids_[i]);
    }
    if (!l.media_type.empty()) s->record.media_type = l.media_type;
    layers_[i] = std::move(*s);
    return {};
  }

  void event(PullEvent::Kind k, const Descriptor& l, int64_t bytes) const {
    if (o_.on_event) o_.on_event({k, l.digest, bytes, l.size});
  }

  const Staging& st_;
  const Manifest& m_;
  const std::vector<std::string>& diff_ids_;
  const ImageStore& store_;
  const PullOptions& o_;
  std::vector<StagedLayer> layers_;
  std::vector<BlobJob> jobs_;
  std::vector<size_t> job_layer_;                // jobs_[j] is layer job_layer_[j]
  std::vector<std::pair<size_t, size_t>> dups_;  // layer, layer it repeats
};

}  // namespace

base::Result<PullResult> pull_image(ImageStore& store, const std::string& text,
                                    const PullOptions& o) {
  ASSIGN_OR_RETURN(ImageRef ref, parse_image_ref(text));
  ASSIGN_OR_RETURN(Platform plat, parse_platform(o.platform));
  RegistryClient client(ref, o.registry);
  auto r = resolve(client, ref, plat);
  if (!r) return std::move(r.error()).context("pull " + ref.familiar());
  const Manifest& m = r->parsed;
  if (o.on_event) o.on_event({PullEvent::kResolved, r->top_digest, 0, 0});

  PullResult out;
  out.familiar = ref.familiar();
  out.digest = r->top_digest;
  const std::string& root = store.root();
  ASSIGN_OR_RETURN(ImageIndex idx, read_index(root + "/index.json"));
  auto have = idx.images.find(m.config.digest);
  auto tag = idx.tags.find(out.familiar);
  if (have != idx.images.end() && have->second.manifest_digest == sha256_digest(r->manifest) &&
      tag != idx.tags.end() && tag->second == m.config.digest) {
    ASSIGN_OR_RETURN(out.image, store.find(m.config.digest));
    return out;  // up to date: nothing fetched but the manifest
  }

  auto fail = [&](base::Error e) { return std::move(e).context("pull " + out.familiar); };
  auto config = client.small_blob(m.config);
  if (!config) return fail(std::move(config.error()).context("config"));
  auto cfg = parse_image_config(*config, "config " + m.config.digest);
  if (!cfg) return fail(cfg.error());
  if (cfg->diff_ids.size() != m.layers.size()) {
    return fail(base::Error("config " + m.config.digest + ": " +
                            std::to_string(cfg->diff_ids.size()) + " diff_ids for " +
                            std::to_string(m.layers.size()) + " layers"));
  }
  ASSIGN_OR_RETURN(Staging st, Staging::make(root));
  ASSIGN_OR_RETURN(base::Fd downloads, store.hold_downloads());  // prune leaves them alone
  LayerPlan plan(st, m, cfg->diff_ids, store, o);
  if (auto p = plan.plan(idx); !p) return fail(p.error());
  if (auto f = plan.fetch(client); !f) return fail(f.error());

  StagedImage img;
  img.config = std::move(*config);
  img.manifest = r->manifest;
  img.layers = plan.take();
  img.tags = {out.familiar};
  img.created = cfg->config.created;
  ASSIGN_OR_RETURN(auto ids, install(root, st, {img}));
  plan.drop_kept();
  ASSIGN_OR_RETURN(out.image, store.find(ids.at(0)));
  out.updated = true;
  return out;
}

base::Result<std::optional<Image>> find_or_pull(ImageStore& store, const std::string& ref) {
  auto have = store.find(ref);
  if (have) return std::optional<Image>(std::move(*have));
  // An id or id prefix is not a name to pull (and an ambiguous prefix keeps its own error).
  if (is_digest(ref) || (ref.size() >= 4 && ref.size() <= 64 && is_hex(ref))) {
    return std::move(have.error());
  }
  auto parsed = parse_image_ref(ref);
  if (!parsed) return std::optional<Image>();
  PullOptions o;
  std::string engine_root = std::filesystem::path(store.root()).parent_path().string();
  ASSIGN_OR_RETURN(o.registry, registry_options({}, engine_root, parsed->registry));
  ASSIGN_OR_RETURN(PullResult r, pull_image(store, ref, o));
  return std::optional<Image>(std::move(r.image));
}

}  // namespace hull::engine
