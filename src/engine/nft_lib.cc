#include "engine/nft_lib.h"

#include <nftables/libnftables.h>
#include <sys/stat.h>

#include "base/dynlib.h"

// Every libnftables function hull calls.
#define HULL_NFT_FUNCTIONS(X)  \
  X(nft_ctx_new)               \
  X(nft_ctx_output_set_flags)  \
  X(nft_ctx_buffer_output)     \
  X(nft_ctx_buffer_error)      \
  X(nft_ctx_get_output_buffer) \
  X(nft_ctx_get_error_buffer)  \
  X(nft_run_cmd_from_buffer)

namespace hull::engine {

namespace {

struct NftLib {
#define HULL_NFT_MEMBER(name) decltype(&::name) name;
  HULL_NFT_FUNCTIONS(HULL_NFT_MEMBER)
#undef HULL_NFT_MEMBER
};

// The network namespace of the calling thread, 0 when /proc cannot say.
ino_t current_netns() {
  struct stat st;
  return ::stat("/proc/thread-self/ns/net", &st) == 0 ? st.st_ino : 0;
}

struct Context {
  NftLib lib{};
  nft_ctx* ctx = nullptr;
  ino_t netns = 0;
};

Context make_context() {
  base::DynLib dl("libnftables.so.1", "libnftables1");
  Context c;
#define HULL_NFT_LOAD(name) c.lib.name = reinterpret_cast<decltype(c.lib.name)>(dl.symbol(#name));
  HULL_NFT_FUNCTIONS(HULL_NFT_LOAD)
#undef HULL_NFT_LOAD
  // nft_ctx_new opens the netlink socket (in the caller's network namespace) and reads
  // /etc/iproute2's realm and group names; nothing else until a command runs.
  c.ctx = c.lib.nft_ctx_new(NFT_CTX_DEFAULT);
  if (c.ctx) {
    c.lib.nft_ctx_buffer_output(c.ctx);
    c.lib.nft_ctx_buffer_error(c.ctx);
  }
  c.netns = current_netns();
  return c;
}

// The first line of nft's error output without its "Error: " and with a lower-case start.
std::string first_error_line(const char* buffer) {
  std::string line = buffer ? buffer : "";
  line = line.substr(0, line.find('\n'));
  if (line.starts_with("Error: ")) line.erase(0, 7);
  if (line.empty()) return "failed without a message";
  if (line[0] >= 'A' && line[0] <= 'Z') line[0] = static_cast<char>(line[0] - 'A' + 'a');
  return line;
}

}  // namespace

base::Result<std::string> nft_run(const std::string& commands, bool json) {
  // Not thread-safe, like the context itself: hull changes rules from one thread.
  static Context c = make_context();
  if (!c.ctx) return base::Error("nft: cannot make an nftables context");
  ino_t ns = current_netns();
  if (ns != 0 && c.netns != 0 && ns != c.netns) {
    return base::Error("nft: the nftables context belongs to another network namespace");
  }
  c.lib.nft_ctx_output_set_flags(c.ctx, json ? NFT_CTX_OUTPUT_JSON : 0);
  int rc = c.lib.nft_run_cmd_from_buffer(c.ctx, commands.c_str());
  // Reading a buffer also empties it for the next command.
  std::string out = c.lib.nft_ctx_get_output_buffer(c.ctx);
  const char* err = c.lib.nft_ctx_get_error_buffer(c.ctx);
  if (rc != 0) return base::Error("nft: " + first_error_line(err));
  return out;
}

}  // namespace hull::engine
