#!/usr/bin/env bash
# bench/pull.sh [ROUNDS]: pull + unpack of one multi-layer image (4 layers of 40 MB of
# random bytes over busybox) from a local registry (Debian's docker-registry on 127.0.0.1,
# plain HTTP), alternating, ROUNDS times (default 5, or $N), each into an empty store:
#   hull     `hull pull` (engine roots of its own, emptied each round)
#   podman   `podman pull --tls-verify=false` (private storage, reset each round)
#   skopeo   `skopeo copy docker://… oci:DIR` + `umoci unpack` (what a hand-made pipeline does)
# Prints medians in seconds and ratios. Run as root. A benchmark: it asserts nothing.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
rounds=${1:-${N:-5}}
HULL=${HULL:-$src/build/hull}

[ "$(id -u)" -eq 0 ] || { echo "bench/pull.sh: run as root" >&2; exit 1; }
for tool in docker-registry skopeo umoci; do
  command -v "$tool" >/dev/null || [ -x "/usr/bin/$tool" ] ||
    { echo "bench/pull.sh: needs $tool (apt-get install $tool)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/hull-bench-pull.XXXXXX)
reg_pid=
pm() { podman --root "$work/pm-storage" --runroot "$work/pm-run" --tmpdir "$work/pm-tmp" \
  --cgroup-manager cgroupfs --events-backend file "$@"; }
cleanup() {
  [ -n "$reg_pid" ] && kill "$reg_pid" 2>/dev/null && wait "$reg_pid" 2>/dev/null
  command -v podman >/dev/null && pm system reset -f >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/registry.yml" <<YAML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:$port
YAML
/usr/bin/docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
reg_pid=$!
for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.05; done
reg=127.0.0.1:$port

# The image: busybox and four layers of random bytes, built with umoci (unpack, add, repack:
# umoci 0.4.7's `insert` writes truncated layers for large files), pushed with skopeo.
umoci init --layout "$work/layout"
umoci new --image "$work/layout:img"
umoci unpack --image "$work/layout:img" "$work/bundle" >/dev/null
mkdir -p "$work/bundle/rootfs/bin"
cp /bin/busybox "$work/bundle/rootfs/bin/busybox"
umoci repack --image "$work/layout:img" "$work/bundle" >/dev/null
for i in 1 2 3 4; do
  head -c 40000000 /dev/urandom >"$work/bundle/rootfs/blob$i"
  umoci repack --image "$work/layout:img" "$work/bundle" >/dev/null
done
skopeo copy -q --dest-tls-verify=false "oci:$work/layout:img" "docker://$reg/bench:1"

timed() {  # FILE COMMAND...
  local out=$1 t0 t1
  shift
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>>"$work/err" || { echo "bench/pull.sh: failed: $*" >&2; cat "$work/err" >&2; return 1; }
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc >>"$out"
}
for ((i = 1; i <= rounds; i++)); do
  rm -rf "$work/hull-root" "$work/hull-run"
  timed "$work/hull" env HULL_ROOT="$work/hull-root" HULL_RUNROOT="$work/hull-run" \
    "$HULL" pull -q "$reg/bench:1"
  if command -v podman >/dev/null; then
    pm system reset -f >/dev/null 2>&1 || true
    timed "$work/podman" pm pull -q --tls-verify=false "docker://$reg/bench:1"
  fi
  rm -rf "$work/oci" "$work/unpacked"
  timed "$work/skopeo" sh -c "skopeo copy -q --src-tls-verify=false docker://$reg/bench:1 \
    oci:$work/oci:img && umoci unpack --image $work/oci:img $work/unpacked"
done

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.3f", m }'; }
h=$(median "$work/hull"); s=$(median "$work/skopeo")
echo "medians over $rounds rounds (s), 4 x 40 MB layers + busybox, local registry:"
printf '  %-40s %8s\n' "hull pull" "$h"
[ -s "$work/podman" ] && printf '  %-40s %8s\n' "podman pull" "$(median "$work/podman")"
printf '  %-40s %8s\n' "skopeo copy + umoci unpack" "$s"
[ -s "$work/podman" ] &&
  awk -v a="$h" -v b="$(median "$work/podman")" 'BEGIN { printf "ratio hull / podman: %.2f   (target <= 0.5)\n", a / b }'
awk -v a="$h" -v b="$s" 'BEGIN { printf "ratio hull / skopeo+umoci: %.2f\n", a / b }'
