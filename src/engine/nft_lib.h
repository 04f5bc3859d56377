// libnftables, loaded on first use as libcurl and libarchive are (curl_lib.h): only making or
// removing a network and publishing ports change nftables rules, and every other `hull`
// command, the monitor above all, should not pay for loading it (with libnftnl, libxtables,
// libjansson and libgmp behind it). nft.cc is its only user, through nft_run().
#pragma once

#include <string>

#include "base/error.h"

namespace hull::engine {

// Runs one buffer of nft commands as one transaction with the process's nftables context,
// made on the first call (that call loads the library). With `json`, listings come back as
// nft's JSON; otherwise as text. A failure is an Error holding the first line of what nft
// said ("could not process rule: File exists").
//
// The context's netlink socket belongs to the network namespace the first call was made in:
// a later call from another one is refused rather than silently changing the first's rules.
base::Result<std::string> nft_run(const std::string& commands, bool json);

}  // namespace hull::engine
