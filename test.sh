#!/usr/bin/env bash
# test.sh: runs every test suite of hull, as root: installs what the tests need (only if
# something is missing), builds ./build with tests, and runs ctest (unit tests and the bats
# integration suites). Exits non-zero on any failure. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"

[ "$(id -u)" -eq 0 ] || { echo "test.sh: run as root (the tests make containers)" >&2; exit 1; }

# Keep in step with setup.sh.
PACKAGES=(build-essential cmake ninja-build pkg-config libseccomp-dev nlohmann-json3-dev libarchive-dev libssl-dev
  libcli11-dev libfmt-dev libcap-dev libgtest-dev googletest bats busybox-static runc crun
  iproute2 jq podman containerd nftables skopeo umoci tmux libcurl4-openssl-dev libmnl-dev libnftables-dev docker-registry apache2-utils
  python3 openssl)

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "==> building into ./build"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=ON >/dev/null
cmake --build build -- --quiet

echo "==> ctest"
ctest --test-dir build --output-on-failure
