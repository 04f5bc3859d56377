// The image store on a real directory: layers with whiteouts, opaque dirs and hard links,
// escapes refused, save/load round trip, corrupted archives, tag/rmi/prune, and several
// processes importing into one store at once. Needs root (trusted.* xattrs, chown, mknod).
#include "engine/archive_lib.h"
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/sys.h"
#include "engine/image_digest.h"
#include "engine/image_store.h"

namespace hull::engine {
namespace {

struct Entry {
  std::string name;
  unsigned type = AE_IFREG;
  std::string data;  // file content, or the link target
};

void write_tar(const std::string& path, const std::vector<Entry>& entries, bool gzip = false) {
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (gzip) archive_write_add_filter_gzip(a);
  ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
  for (const auto& e : entries) {
    archive_entry* ae = archive_entry_new();
    archive_entry_set_pathname(ae, e.name.c_str());
    bool hard = e.type == 0;
    archive_entry_set_filetype(ae, hard ? AE_IFREG : e.type);
    archive_entry_set_perm(ae, e.type == AE_IFDIR ? 0755 : 0644);
    if (hard) archive_entry_set_hardlink(ae, e.data.c_str());
    if (e.type == AE_IFLNK) archive_entry_set_symlink(ae, e.data.c_str());
    if (e.type == AE_IFREG) archive_entry_set_size(ae, static_cast<la_int64_t>(e.data.size()));
    ASSERT_EQ(archive_write_header(a, ae), ARCHIVE_OK) << e.name;
    if (e.type == AE_IFREG) archive_write_data(a, e.data.data(), e.data.size());
    archive_entry_free(ae);
  }
  archive_write_close(a);
  archive_write_free(a);
}

std::vector<std::string> entries_of(const std::string& dir) {
  std::vector<std::string> out;
  std::string cmd = "ls -A " + dir + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  char line[512];
  while (p && fgets(line, sizeof line, p)) out.emplace_back(line, strcspn(line, "\n"));
  if (p) pclose(p);
  return out;
}

class ImageStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hull-image-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    root_ = dir_ + "/images";
  }
  void TearDown() override { (void)base::sys::remove_all(dir_); }

  std::string tar(const std::string& name, const std::vector<Entry>& e, bool gzip = false) {
    std::string path = dir_ + "/" + name;
    write_tar(path, e, gzip);
    return path;
  }
  // The store holds nothing but its empty directories.
  void expect_empty_store() {
    EXPECT_TRUE(entries_of(root_ + "/tmp").empty());
    EXPECT_TRUE(entries_of(root_ + "/layers").empty());
    EXPECT_TRUE(entries_of(root_ + "/blobs/sha256").empty());
    EXPECT_TRUE(ImageStore(root_).list().empty());
  }

  std::string dir_, root_;
};

TEST_F(ImageStoreTest, ImportConvertsWhiteoutsKeepsHardLinksAndDigests) {
  std::string t = tar("layer.tar", {{"./", AE_IFDIR, ""},
                                    {"a/", AE_IFDIR, ""},
                                    {"a/f", AE_IFREG, "hello"},
                                    {"a/h", 0, "a/f"},
                                    {"a/.wh.gone", AE_IFREG, ""},
                                    {"o/", AE_IFDIR, ""},
                                    {"o/.wh..wh..opq", AE_IFREG, ""},
                                    {"p/.wh..wh..opq", AE_IFREG, ""},  // before its directory
                                    {"l", AE_IFLNK, "/etc"}});
  ImageStore s(root_);
  ImageConfig cfg;
  cfg.cmd = {"sh"};
  auto img = s.import_rootfs(t, "test", cfg);
  ASSERT_TRUE(img.has_value()) << img.error().message();
  ASSERT_EQ(img->layer_dirs.size(), 1u);
  const std::string l = img->layer_dirs[0];
  EXPECT_EQ(l.front(), '/');
  EXPECT_EQ(*base::sys::read_file(l + "/a/f"), "hello");
  struct stat f, h, w;
  ASSERT_EQ(stat((l + "/a/f").c_str(), &f), 0);
  ASSERT_EQ(stat((l + "/a/h").c_str(), &h), 0);
  EXPECT_EQ(f.st_ino, h.st_ino);
  ASSERT_EQ(lstat((l + "/a/gone").c_str(), &w), 0);
  EXPECT_TRUE(S_ISCHR(w.st_mode));
  EXPECT_EQ(w.st_rdev, makedev(0, 0));
  EXPECT_NE(access((l + "/a/.wh.gone").c_str(), F_OK), 0);
  for (const char* d : {"/o", "/p"}) {
    char v[4] = {};
    EXPECT_EQ(getxattr((l + d).c_str(), "trusted.overlay.opaque", v, sizeof v), 1) << d;
    EXPECT_EQ(v[0], 'y');
    EXPECT_NE(access((l + d + "/.wh..wh..opq").c_str(), F_OK), 0);
  }
  EXPECT_EQ(img->diff_ids[0], *sha256_file(t));
  EXPECT_EQ(img->config.cmd, cfg.cmd);
  EXPECT_EQ(img->tags, std::vector<std::string>{"test:latest"});
  EXPECT_EQ(img->size, 5);
  EXPECT_TRUE(entries_of(root_ + "/tmp").empty());
}

TEST_F(ImageStoreTest, GzipBlobIsKeptAsIsAndLayersAreShared) {
  std::vector<Entry> e = {{"f", AE_IFREG, "x"}};
  std::string gz = tar("l.tgz", e, true), plain = tar("l.tar", e);
  ImageStore s(root_);
  auto a = s.import_rootfs(gz, "a", {});
  ASSERT_TRUE(a.has_value()) << a.error().message();
  auto b = s.import_rootfs(plain, "b", {});
  ASSERT_TRUE(b.has_value()) << b.error().message();
  EXPECT_EQ(a->diff_ids, b->diff_ids);
  EXPECT_EQ(a->layer_dirs, b->layer_dirs);
  EXPECT_EQ(entries_of(root_ + "/layers").size(), 1u);
  std::string gz_digest = *sha256_file(gz);
  EXPECT_EQ(*sha256_file(root_ + "/blobs/sha256/" + gz_digest.substr(7)), gz_digest);
}

TEST_F(ImageStoreTest, EntriesLeavingTheLayerAreRefused) {
  ImageStore s(root_);
  auto dots = s.import_rootfs(tar("dots.tar", {{"../escape", AE_IFREG, "x"}}), "x", {});
  ASSERT_FALSE(dots.has_value());
  EXPECT_NE(dots.error().message().find("../escape"), std::string::npos) << dots.error().message();
  EXPECT_NE(access((dir_ + "/escape").c_str(), F_OK), 0);
  auto abs = s.import_rootfs(tar("abs.tar", {{"/" + dir_ + "/abs", AE_IFREG, "x"}}), "x", {});
  ASSERT_FALSE(abs.has_value());
  // Through a symlink the layer itself made: libarchive refuses to follow it.
  auto sym = s.import_rootfs(
      tar("sym.tar", {{"d", AE_IFLNK, dir_}, {"d/planted", AE_IFREG, "x"}}), "x", {});
  ASSERT_FALSE(sym.has_value());
  EXPECT_NE(access((dir_ + "/planted").c_str(), F_OK), 0);
  auto link = s.import_rootfs(tar("hl.tar", {{"h", 0, "../../etc/passwd"}}), "x", {});
  ASSERT_FALSE(link.has_value());
  expect_empty_store();
}

// umoci writes the root dir as an entry named "/": docker takes it as the layer's root.
TEST_F(ImageStoreTest, AnEntryNamedSlashIsTheLayerRoot) {
  ImageStore s(root_);
  auto img = s.import_rootfs(
      tar("root.tar", {{"/", AE_IFDIR, ""}, {"etc", AE_IFDIR, ""}, {"etc/f", AE_IFREG, "1"}}),
      "x", {});
  ASSERT_TRUE(img.has_value()) << img.error().message();
  ASSERT_EQ(img->layer_dirs.size(), 1u);
  auto f = base::sys::read_file(img->layer_dirs[0] + "/etc/f");
  ASSERT_TRUE(f.has_value()) << f.error().message();
  EXPECT_EQ(*f, "1");
  auto nested = s.import_rootfs(tar("abs2.tar", {{"/etc", AE_IFDIR, ""}}), "y", {});
  ASSERT_FALSE(nested.has_value());  // other absolute names stay refused
  EXPECT_NE(nested.error().message().find("entry /etc/: path leaves the layer"), std::string::npos)
      << nested.error().message();
}

TEST_F(ImageStoreTest, FindByNameIdAndPrefix) {
  ImageStore s(root_);
  auto img = s.import_rootfs(tar("l.tar", {{"f", AE_IFREG, "1"}}), "localhost:5000/app:1", {});
  ASSERT_TRUE(img.has_value()) << img.error().message();
  for (const std::string& ref : {std::string("localhost:5000/app:1"), img->id,
                                 img->id.substr(7), img->id.substr(7, 4), img->id.substr(0, 12)}) {
    auto f = s.find(ref);
    ASSERT_TRUE(f.has_value()) << ref << ": " << f.error().message();
    EXPECT_EQ(f->id, img->id);
  }
  EXPECT_FALSE(s.find(img->id.substr(7, 3)).has_value());  // too short to be a prefix
  auto missing = s.find("nothere");
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().message().find("nothere"), std::string::npos);
}

TEST_F(ImageStoreTest, AmbiguousPrefixIsAnError) {
  ASSERT_TRUE(base::sys::mkdir_all(root_, 0700).has_value());
  std::string a = "sha256:abcd1" + std::string(59, '0'), b = "sha256:abcd2" + std::string(59, '0');
  std::string rec = R"({"manifest": "sha256:00", "layers": []})";
  ASSERT_TRUE(base::sys::write_file_atomic(root_ + "/index.json",
                                           R"({"images": {")" + a + "\": " + rec + ", \"" + b +
                                               "\": " + rec + R"(}, "tags": {}})",
                                           0600)
                  .has_value());
  auto r = ImageStore(root_).find("abcd");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("ambiguous"), std::string::npos) << r.error().message();
}

TEST_F(ImageStoreTest, TagRemoveInUseAndPrune) {
  ImageStore s(root_);
  auto img = s.import_rootfs(tar("l.tar", {{"f", AE_IFREG, "1"}}), "busybox", {});
  ASSERT_TRUE(img.has_value()) << img.error().message();
  ASSERT_TRUE(s.tag("busybox", "other:2").has_value());
  EXPECT_EQ(s.find("other:2")->id, img->id);
  auto untag = s.remove("other:2", false, {});
  ASSERT_TRUE(untag.has_value());
  EXPECT_EQ(*untag, std::vector<std::string>{"Untagged: other:2"});
  std::set<std::string> in_use = {img->id};
  auto refused = s.remove("busybox", false, in_use);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message().find("image busybox:latest (sha256:" +
                                           img->id.substr(7, 12) + ") is in use by a container"),
            std::string::npos)
      << refused.error().message();
  EXPECT_NE(refused.error().message().find("rmi --force"), std::string::npos);
  auto forced = s.remove("busybox", true, in_use);
  ASSERT_TRUE(forced.has_value());
  EXPECT_TRUE(s.find(img->id).has_value());  // dangling, kept for its container
  auto kept = s.prune(false, in_use);
  ASSERT_TRUE(kept.has_value());
  EXPECT_TRUE(kept->empty());
  auto pruned = s.prune(false, {});
  ASSERT_TRUE(pruned.has_value());
  EXPECT_EQ(*pruned, std::vector<std::string>{"Deleted: " + img->id});
  expect_empty_store();
}

// Blobs a failed pull kept go with prune, unless a pull (holding downloads/) is running.
TEST_F(ImageStoreTest, PruneClearsDownloadsWhenNoPullRuns) {
  ImageStore s(root_);
  std::string kept = s.downloads() + "/" + std::string(64, 'a');
  {
    auto held = s.hold_downloads();
    ASSERT_TRUE(held.has_value()) << held.error().message();
    ASSERT_TRUE(base::sys::write_file_atomic(kept, "blob", 0600).has_value());
    ASSERT_TRUE(s.prune(false, {}).has_value());
    EXPECT_EQ(access(kept.c_str(), F_OK), 0);
  }
  ASSERT_TRUE(s.prune(false, {}).has_value());
  EXPECT_NE(access(kept.c_str(), F_OK), 0);
  EXPECT_TRUE(entries_of(s.downloads()).empty());
}

TEST_F(ImageStoreTest, RemoveByIdDeletesAndKeepsSharedLayers) {
  ImageStore s(root_);
  std::string t = tar("l.tar", {{"f", AE_IFREG, "1"}});
  ImageConfig c1, c2;
  c2.cmd = {"other"};
  auto a = s.import_rootfs(t, "a", c1);
  auto b = s.import_rootfs(t, "b", c2);
  ASSERT_TRUE(a.has_value() && b.has_value());
  ASSERT_TRUE(s.remove(a->id, false, {}).has_value());
  EXPECT_EQ(access(b->layer_dirs[0].c_str(), F_OK), 0);
  ASSERT_TRUE(s.prune(true, {}).has_value());
  expect_empty_store();
}

TEST_F(ImageStoreTest, SaveLoadRoundTrip) {
  ImageStore s(root_);
  ImageConfig cfg;
  cfg.env = {"A=1"};
  auto img = s.import_rootfs(tar("l.tgz", {{"d/", AE_IFDIR, ""}, {"d/.wh.x", AE_IFREG, ""}}, true),
                             "app:1", cfg);
  ASSERT_TRUE(img.has_value()) << img.error().message();
  ASSERT_TRUE(s.save({"app:1"}, dir_ + "/saved.tar").has_value());
  ImageStore s2(dir_ + "/images2");
  auto loaded = s2.load(dir_ + "/saved.tar");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message();
  ASSERT_EQ(loaded->size(), 1u);
  EXPECT_EQ((*loaded)[0].id, img->id);
  EXPECT_EQ((*loaded)[0].tags, std::vector<std::string>{"app:1"});
  EXPECT_EQ((*loaded)[0].manifest_digest, img->manifest_digest);
  EXPECT_EQ((*loaded)[0].config.env, cfg.env);
  struct stat w;
  ASSERT_EQ(lstat(((*loaded)[0].layer_dirs[0] + "/d/x").c_str(), &w), 0);
  EXPECT_TRUE(S_ISCHR(w.st_mode));
  // Loading again changes nothing and reuses the unpacked layer.
  ASSERT_TRUE(s2.load(dir_ + "/saved.tar").has_value());
  EXPECT_EQ(s2.list().size(), 1u);
  EXPECT_TRUE(entries_of(dir_ + "/images2/tmp").empty());
}

TEST_F(ImageStoreTest, CorruptBlobIsNamedAndNothingStays) {
  std::string good = "not a manifest";
  std::string claimed = sha256_digest("something else");
  std::string index = R"({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
                      claimed + R"(","size":14}]})";
  std::string t = tar("bad.tar", {{"oci-layout", AE_IFREG, R"({"imageLayoutVersion":"1.0.0"})"},
                                  {"index.json", AE_IFREG, index},
                                  {"blobs/sha256/" + claimed.substr(7), AE_IFREG, good}});
  ImageStore s(root_);
  auto r = s.load(t);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("blobs/sha256/" + claimed.substr(7)), std::string::npos)
      << r.error().message();
  auto garbage = s.load(tar("junk", {{"x", AE_IFREG, "y"}}));
  ASSERT_FALSE(garbage.has_value());
  EXPECT_NE(garbage.error().message().find("not an image archive"), std::string::npos);
  expect_empty_store();
}

TEST_F(ImageStoreTest, ConcurrentImportsAllLand) {
  constexpr int kProcs = 6;
  std::vector<std::string> tars;
  for (int i = 0; i < kProcs; ++i) {
    // Half share one layer, so the race for the same layer dir happens too.
    tars.push_back(tar("l" + std::to_string(i) + ".tar",
                       {{"f", AE_IFREG, i % 2 ? "shared" : "own" + std::to_string(i)}}));
  }
  std::vector<pid_t> kids;
  for (int i = 0; i < kProcs; ++i) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ImageStore s(root_);
      _exit(s.import_rootfs(tars[i], "img" + std::to_string(i), {}).has_value() ? 0 : 1);
    }
    kids.push_back(pid);
  }
  for (pid_t k : kids) {
    int st = 0;
    ASSERT_EQ(waitpid(k, &st, 0), k);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  }
  ImageStore s(root_);
  for (int i = 0; i < kProcs; ++i) {
    EXPECT_TRUE(s.find("img" + std::to_string(i)).has_value()) << i;
  }
  EXPECT_EQ(entries_of(root_ + "/layers").size(), 4u);  // 3 own + 1 shared
  EXPECT_TRUE(entries_of(root_ + "/tmp").empty());
}

}  // namespace
}  // namespace hull::engine
