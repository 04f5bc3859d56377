// `hull pull`: an image from a registry, as docker prints it: one line per layer (redrawn in
// place on a terminal, written once when done otherwise), then the digest and the status.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>

#include "cli/hull/commands.h"
#include "engine/image_pull.h"
#include "engine/image_ref.h"
#include "engine/registry_auth.h"

namespace hull::cli {

namespace {

// SIGINT/SIGTERM during a pull: the transfers stop and the pull fails like any other error,
// so the staging dir is removed (a default-action signal would leave it for `prune`).
volatile int g_cancel = 0;
void on_signal(int) { g_cancel = 1; }

void catch_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

struct PullFlags {
  std::string ref, platform;
  engine::RegistryFlags registry;
  bool quiet = false;
};

std::string mb(int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fMB", static_cast<double>(bytes) / 1e6);
  return buf;
}

// Per-layer lines. On a terminal each layer keeps its row and is redrawn (at most every
// 100 ms) with the cursor moved up to it; otherwise only finished layers are printed.
class Progress {
 public:
  Progress(bool tty, bool quiet) : tty_(tty), quiet_(quiet) {}

  void on(const engine::PullEvent& ev) {
    if (quiet_ || ev.kind == engine::PullEvent::kResolved) return;
    std::string id = ev.digest.substr(ev.digest.find(':') + 1, 12);
    std::string text;
    switch (ev.kind) {
      case engine::PullEvent::kExists: text = "Already exists"; break;
      case engine::PullEvent::kDone: text = "done " + mb(ev.bytes); break;
      default:
        text = "Downloading " + mb(ev.bytes) + "/" + mb(ev.size);
        if (!tty_) return;
        auto now = std::chrono::steady_clock::now();
        auto& last = last_[id];
        if (now - last < std::chrono::milliseconds(100)) return;
        last = now;
    }
    line(id, text);
  }

 private:
  void line(const std::string& id, const std::string& text) {
    if (!tty_) {
      std::printf("%s: %s\n", id.c_str(), text.c_str());
      std::fflush(stdout);
      return;
    }
    auto it = rows_.find(id);
    if (it == rows_.end()) {
      rows_[id] = count_++;
      std::printf("%s: %s\n", id.c_str(), text.c_str());
    } else {
      int up = count_ - it->second;
      std::printf("\033[%dA\r\033[2K%s: %s\r\033[%dB", up, id.c_str(), text.c_str(), up);
    }
    std::fflush(stdout);
  }

  bool tty_, quiet_;
  std::map<std::string, int> rows_;
  std::map<std::string, std::chrono::steady_clock::time_point> last_;
  int count_ = 0;
};

}  // namespace

void add_registry_flags(CLI::App* cmd, engine::RegistryFlags& r) {
  cmd->add_option("--insecure", r.insecure,
                  "registry host[:port] reached over plain HTTP (or HULL_INSECURE_REGISTRIES)")
      ->allow_extra_args(false);
  cmd->add_option("--creds", r.creds,
                  "USER:PASS for the registry (or HULL_REGISTRY_CREDS, or hull login)");
  cmd->add_option("--certs-dir", r.certs_dir,
                  "where DIR/HOST[:PORT]/ca.crt is looked for (or HULL_CERTS_DIR; "
                  "default /etc/hull/certs.d)");
}

void add_pull(CLI::App& app, Globals& g, Action& action) {
  auto f = std::make_shared<PullFlags>();
  auto* cmd = app.add_subcommand("pull", "get an image from a registry");
  cmd->add_option("--platform", f->platform, "os/arch[/variant] to pick from an index");
  add_registry_flags(cmd, f->registry);
  cmd->add_flag("-q,--quiet", f->quiet, "print only the image's name");
  cmd->add_option("image", f->ref, "NAME[:TAG|@DIGEST]")->required();
  cmd->callback([&g, &action, f] {
    action = [&g, f]() -> base::Result<int> {
      engine::PullOptions o;
      o.platform = f->platform;
      ASSIGN_OR_RETURN(engine::ImageRef ref, engine::parse_image_ref(f->ref));
      ASSIGN_OR_RETURN(o.registry,
                       engine::registry_options(f->registry, g.paths.root, ref.registry));
      o.registry.cancel = &g_cancel;
      catch_signals();
      if (!f->quiet) {
        std::printf("%s: Pulling from %s\n", ref.digest.empty() ? ref.tag.c_str() : ref.digest.c_str(),
                    ref.repository.c_str());
        std::fflush(stdout);
      }
      Progress progress(::isatty(STDOUT_FILENO) == 1, f->quiet);
      o.on_event = [&progress](const engine::PullEvent& ev) { progress.on(ev); };
      auto e = g.engine();
      ASSIGN_OR_RETURN(engine::PullResult r, engine::pull_image(e.images(), f->ref, o));
      if (f->quiet) {
        std::printf("%s\n", ref.full().c_str());
        return 0;
      }
      std::printf("Digest: %s\n", r.digest.c_str());
      std::printf("Status: %s for %s\n",
                  r.updated ? "Downloaded newer image" : "Image is up to date", r.familiar.c_str());
      std::printf("%s\n", ref.full().c_str());
      return 0;
    };
  });
}

}  // namespace hull::cli
