#!/usr/bin/env bash
# setup.sh: for a fresh Debian 12 machine, as root. Installs hull's build and runtime
# dependencies, builds (./build), installs hull-oci and hull into /usr/local, then runs a first
# container so you can see the isolation. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"

say() { printf '==> %s\n' "$*"; }

[ "$(id -u)" -eq 0 ] || { echo "setup.sh: run as root (it installs packages)" >&2; exit 1; }

# Keep in step with test.sh.
PACKAGES=(build-essential cmake ninja-build pkg-config libseccomp-dev nlohmann-json3-dev libarchive-dev libssl-dev
  libcli11-dev libfmt-dev libcap-dev libgtest-dev googletest bats busybox-static runc crun
  iproute2 jq libcurl4-openssl-dev libmnl-dev libnftables-dev)

say "installing packages (apt-get)"
export DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null

say "building into ./build"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -- --quiet

say "installing into /usr/local"
cmake --install build --prefix /usr/local >/dev/null
oci=/usr/local/bin/hull-oci
"$oci" --version

say "making the busybox image from busybox-static (hull import; kept if it exists)"
if ! /usr/local/bin/hull image inspect busybox >/dev/null 2>&1; then
  img=$(mktemp -d)
  mkdir -p "$img/rootfs/bin" "$img/rootfs/etc" "$img/rootfs/tmp" "$img/rootfs/root"
  chmod 1777 "$img/rootfs/tmp"
  chmod 0700 "$img/rootfs/root"
  cp /bin/busybox "$img/rootfs/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -s busybox "$img/rootfs/bin/$applet"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$img/rootfs/etc/passwd"
  echo 'root:x:0:' >"$img/rootfs/etc/group"
  tar -C "$img/rootfs" --numeric-owner -cf "$img/busybox.tar" .
  /usr/local/bin/hull import --change 'CMD ["sh"]' "$img/busybox.tar" busybox
  rm -rf "$img"
fi
/usr/local/bin/hull images

say "making a demo bundle in /var/lib/hull/demo (busybox rootfs, config from 'hull-oci spec')"
demo=/var/lib/hull/demo
"$oci" delete --force demo >/dev/null 2>&1 || true
rm -rf "$demo"
mkdir -p "$demo/rootfs/bin"
cp /bin/busybox "$demo/rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do
  [ "$applet" = busybox ] || ln -s busybox "$demo/rootfs/bin/$applet"
done
(cd "$demo" && "$oci" spec)
# shellcheck disable=SC2016 # expanded inside the container
line='echo "inside:  hostname $(hostname)"; echo "inside:  $(id)";
      echo "inside:  pids $(ls /proc | grep -E "^[0-9]+$" | tr "\n" " ")"'
jq --arg line "$line" '.process.terminal = false | .hostname = "hull-demo"
    | .process.args = ["sh", "-c", $line]' "$demo/config.json" >"$demo/config.json.new"
mv "$demo/config.json.new" "$demo/config.json"

say "running it: cd $demo && hull-oci run demo"
echo "host:    hostname $(hostname)"
echo "host:    $(id)"
echo "host:    $(ls /proc | grep -cE '^[0-9]+$') processes"
(cd "$demo" && "$oci" run demo </dev/null)
"$oci" delete --force demo >/dev/null 2>&1 || true

say "and through the engine: hull run --rm busybox echo hello"
/usr/local/bin/hull run --rm busybox echo hello

say "done: hull and hull-oci are in /usr/local/bin; try: hull run --rm -it busybox sh"
