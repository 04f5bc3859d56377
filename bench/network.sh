#!/usr/bin/env bash
# bench/network.sh [ROUNDS]: what a bridge network costs, with podman in the same run,
# alternating, ROUNDS times (default 20, or $N):
#   hull bridge   `hull run --rm busybox true` on the default bridge (hull0 made beforehand)
#   hull none     `hull run --rm --network none busybox true`
#   podman        `podman run --rm IMAGE true` on podman's default bridge (netavark, runc;
#                 private storage; --ulimit nofile=1024:1024 --ulimit nproc=1024:1024, which
#                 podman needs here: its defaults exceed the hard limits; --cgroup-manager
#                 cgroupfs --events-backend file, as there is no systemd)
# Then a published port: busybox httpd in a container on -p 127.0.0.1:P:80, against the same
# httpd on the host: median and p99 latency of GET / (a new connection each) and the rate of
# one 64 MiB download (bench/http_loop.c). All traffic is loopback and hull's own bridge.
# Prints medians in ms and ratios. Run as root. A benchmark: it asserts nothing.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
src=$(dirname "$here")
rounds=${1:-${N:-20}}
HULL=${HULL:-$src/build/hull}
RUNC=${RUNC:-$(command -v runc)}

[ "$(id -u)" -eq 0 ] || { echo "bench/network.sh: run as root" >&2; exit 1; }

work=$(mktemp -d /tmp/hull-bench-net.XXXXXX)
export HULL_ROOT=$work/hull-root HULL_RUNROOT=$work/hull-run HULL_CGROUP_PARENT=/hull-bench-$$
host_httpd=""
# podman's bridge (netavark) makes iptables-nft tables and leaves them: removed at the end
# if this run made them.
had_tables=$(nft list tables 2>/dev/null | grep -cE '^table ip (nat|filter)$' || true)
cleanup() {
  [ -n "$host_httpd" ] && kill "$host_httpd" 2>/dev/null
  for id in $("$HULL" ps -aq --no-trunc 2>/dev/null); do "$HULL" rm -f "$id" >/dev/null 2>&1 || true; done
  for _ in $(seq 100); do pgrep -f "$work" >/dev/null || break; sleep 0.05; done
  for n in $("$HULL" network ls -q 2>/dev/null); do "$HULL" network rm "$n" >/dev/null 2>&1 || true; done
  if have_podman; then
    pm "$RUNC" rm -af >/dev/null 2>&1 || true
    pm "$RUNC" system reset -f >/dev/null 2>&1 || true
    if [ "$had_tables" = 0 ]; then
      nft delete table ip nat 2>/dev/null || true
      nft delete table ip filter 2>/dev/null || true
    fi
  fi
  rmdir /sys/fs/cgroup/*/"$HULL_CGROUP_PARENT" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

gcc -O2 -static -o "$work/timer" "$here/floor.c"
gcc -O2 -o "$work/http_loop" "$here/http_loop.c"
rootfs=$work/rootfs
busybox_rootfs "$rootfs"
mkdir -p "$rootfs/www"
echo hello >"$rootfs/www/index.html"
head -c 64M /dev/zero >"$rootfs/www/big"
tar -C "$rootfs" -cf "$work/rootfs.tar" .
"$HULL" import --change 'CMD ["sh"]' "$work/rootfs.tar" busybox >/dev/null

PM_RUN=(run --rm --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
if have_podman; then
  pm "$RUNC" import "$work/rootfs.tar" localhost/bench-box:latest >/dev/null 2>&1
  pm "$RUNC" "${PM_RUN[@]}" localhost/bench-box true >/dev/null 2>&1 || true  # warm-up
fi
"$HULL" run --rm busybox true >/dev/null  # warm-up: makes hull0, fills the seccomp cache
for ((i = 1; i <= rounds; i++)); do
  timed "$HULL" run --rm busybox true >>"$work/bridge"
  sleep 0.05
  timed "$HULL" run --rm --network none busybox true >>"$work/none"
  sleep 0.05
  if have_podman; then
    # shellcheck disable=SC2046
    timed podman $(pm_flags) --runtime "$RUNC" "${PM_RUN[@]}" localhost/bench-box true \
      >>"$work/pm"
    sleep 0.05
  fi
done

b=$(median "$work/bridge"); n=$(median "$work/none")
echo "medians over $rounds rounds (ms):"
printf '  %-50s %8s\n' "hull run --rm busybox true (default bridge)" "$b"
printf '  %-50s %8s\n' "hull run --rm --network none busybox true" "$n"
echo "bridge setup adds: $(awk -v a="$b" -v c="$n" 'BEGIN { printf "%.2f", a - c }') ms   (target <= 5)"
if have_podman; then
  p=$(median "$work/pm")
  printf '  %-50s %8s\n' "podman run --rm … true (default bridge, runc)" "$p"
  echo "ratio hull bridge / podman bridge: $(ratio "$b" "$p")   (target <= 0.1)"
fi

# A published port against the same server on the host.
port=18980
"$HULL" run -d --name bench-web -p 127.0.0.1:$port:80 busybox httpd -f -p 80 -h /www >/dev/null
busybox httpd -f -p 127.0.0.1:$((port + 1)) -h "$rootfs/www" &
host_httpd=$!
for _ in $(seq 200); do "$work/http_loop" latency 127.0.0.1 $port 1 >/dev/null 2>&1 && break; sleep 0.02; done
for _ in $(seq 200); do "$work/http_loop" latency 127.0.0.1 $((port + 1)) 1 >/dev/null 2>&1 && break; sleep 0.02; done
echo "GET / with a new connection each (2000 requests), median / p99 in µs:"
read -r cm cp < <("$work/http_loop" latency 127.0.0.1 $port 2000)
read -r hm hp < <("$work/http_loop" latency 127.0.0.1 $((port + 1)) 2000)
printf '  %-50s %6s / %s\n' "published port (127.0.0.1 -> container)" "$cm" "$cp"
printf '  %-50s %6s / %s\n' "the same httpd on the host" "$hm" "$hp"
echo "  ratio container / host (median): $(ratio "$cm" "$hm")"
echo "one 64 MiB download, MB/s (best of 3):"
best() { for _ in 1 2 3; do "$work/http_loop" fetch 127.0.0.1 "$1" /big | awk '{print $2}'; done | sort -n | tail -1; }
cr=$(best $port); hr=$(best $((port + 1)))
printf '  %-50s %6s\n' "published port" "$cr"
printf '  %-50s %6s\n' "host" "$hr"
echo "  ratio container / host: $(ratio "$cr" "$hr")"
