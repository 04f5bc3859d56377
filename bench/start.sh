#!/usr/bin/env bash
# bench/start.sh [ROUNDS]: the cost of starting a container. One /bin/true busybox bundle is run,
# alternating, ROUNDS times (default 20, or $N) each with:
#   hull-oci   $HULL_OCI, default build/hull-oci        run --bundle B ID
#   runc       run --bundle B ID
#   crun       run inside `unshare -m` with /sys/fs/cgroup/unified unmounted (crun refuses a
#              hybrid cgroup layout); that wrapper is timed alone in the same rounds and its
#              cost subtracted round by round
#   floor      bench/floor.c: one clone with the same namespaces, bind, proc, pivot_root, exec
# and prints each one's median in ms and hull-oci's ratios to the others. Run as root.
# A benchmark, never a test: it asserts nothing about the figures.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
rounds=${1:-${N:-20}}
HULL_OCI=${HULL_OCI:-$src/build/hull-oci}
RUNC=${RUNC:-$(command -v runc || true)}
CRUN=${CRUN:-$(command -v crun || true)}

[ "$(id -u)" -eq 0 ] || { echo "bench/start.sh: run as root" >&2; exit 1; }
[ "$rounds" -ge 1 ] || { echo "bench/start.sh: ROUNDS must be a positive number" >&2; exit 1; }

work=$(mktemp -d /tmp/hull-bench.XXXXXX)
cleanup() {
  local rt
  for rt in hull runc crun; do
    [ -d "$work/state-$rt" ] || continue
    for id in $(ls "$work/state-$rt" 2>/dev/null); do
      case $rt in
        hull) "$HULL_OCI" --root "$work/state-$rt" delete --force "$id" ;;
        runc) "$RUNC" --root "$work/state-$rt" delete --force "$id" ;;
        crun) unshare -m sh -c "umount /sys/fs/cgroup/unified 2>/dev/null;
                                exec '$CRUN' --root '$work/state-$rt' delete --force '$id'" ;;
      esac
    done >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

echo "building floor (gcc -O2 -static)"
gcc -O2 -static -o "$work/floor" "$here/floor.c"
timer=$work/floor

echo "preparing a /bin/true busybox bundle in $work/bundle"
rootfs=$work/bundle/rootfs
mkdir -p "$rootfs"/{bin,dev,proc,sys,tmp}
cp /bin/busybox "$rootfs/bin/busybox"
ln -s busybox "$rootfs/bin/true"
ln -s busybox "$rootfs/bin/sh"
(cd "$work/bundle" && "${RUNC:-$HULL_OCI}" spec)
# runc's spec lists ambient capabilities that are not inheritable, which runc then fails to
# raise and ignores; they are dropped so that every runtime runs the same, valid config.
jq '.process.terminal = false | .process.args = ["/bin/true"] | del(.process.capabilities.ambient)
    | .linux.namespaces = [{type: "pid"}, {type: "network"}, {type: "ipc"}, {type: "uts"},
                           {type: "mount"}, {type: "cgroup"}]' \
  "$work/bundle/config.json" >"$work/config.json"
mv "$work/config.json" "$work/bundle/config.json"

# One timed start of runtime $1 (round $2); prints nanoseconds, or nothing on failure.
start_once() {
  local rt=$1 id="bench-$1-$2-$$" b=$work/bundle
  case $rt in
    hull) "$timer" time "$HULL_OCI" --root "$work/state-hull" run --bundle "$b" "$id" ;;
    runc) "$timer" time "$RUNC" --root "$work/state-runc" run --bundle "$b" "$id" ;;
    crun) "$timer" time unshare -m sh -c "umount /sys/fs/cgroup/unified 2>/dev/null;
            exec '$CRUN' --root '$work/state-crun' run --bundle '$b' '$id'" ;;
    wrapper) "$timer" time unshare -m sh -c "umount /sys/fs/cgroup/unified 2>/dev/null;
            exec /bin/true" ;;
    floor) "$timer" time "$work/floor" run "$rootfs" ;;
  esac </dev/null 2>"$work/last.err"
}

# Warm-up: one untimed run each; a runtime that cannot start the bundle is left out.
runtimes=()
for rt in hull runc crun wrapper floor; do
  case $rt in
    hull) [ -x "$HULL_OCI" ] || { echo "hull-oci: not built ($HULL_OCI), left out"; continue; } ;;
    runc) [ -n "$RUNC" ] || { echo "runc: not installed, left out"; continue; } ;;
    crun) [ -n "$CRUN" ] || { echo "crun: not installed, left out"; continue; } ;;
  esac
  if start_once "$rt" warmup >/dev/null; then
    runtimes+=("$rt")
  else
    echo "$rt: failed to start the bundle, left out: $(head -n1 "$work/last.err")"
  fi
done

echo "timing ${runtimes[*]}: $rounds rounds, alternating"
for ((i = 1; i <= rounds; i++)); do
  for rt in "${runtimes[@]}"; do
    ns=$(start_once "$rt" "$i") || {
      echo "$rt: round $i failed: $(head -n1 "$work/last.err")" >&2
      exit 1
    }
    echo "$ns" >>"$work/$rt.ns"
    # A pause between runtimes: a cgroup.procs write (runc's, crun's) leaves the kernel's
    # threadgroup rwsem in its fast state for a grace period, which would make the next
    # runtime's write cheap and its figure flattering (crun measured 6 ms right after runc,
    # 14 ms after the floor).
    sleep 0.05
  done
done

# crun's own cost: its time minus the wrapper's, round by round.
if [ -e "$work/crun.ns" ] && [ -e "$work/wrapper.ns" ]; then
  paste "$work/crun.ns" "$work/wrapper.ns" | awk '{ print $1 - $2 }' >"$work/crun-net.ns"
fi

median_ms() {
  [ -s "$1" ] || return 0
  sort -n "$1" | awk '{ v[NR] = $1 }
    END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f", m / 1e6 }'
}

hull=$(median_ms "$work/hull.ns")
runc=$(median_ms "$work/runc.ns")
crun=$(median_ms "$work/crun-net.ns")
wrapper=$(median_ms "$work/wrapper.ns")
floor=$(median_ms "$work/floor.ns")

echo
echo "median start-to-exit of a /bin/true container, $rounds rounds (ms):"
[ -z "$hull" ] || printf '  %-28s %8s\n' "hull-oci" "$hull"
[ -z "$runc" ] || printf '  %-28s %8s\n' "runc" "$runc"
[ -z "$crun" ] || printf '  %-28s %8s\n' "crun (wrapper subtracted)" "$crun"
[ -z "$wrapper" ] || printf '  %-28s %8s\n' "  wrapper (unshare+umount)" "$wrapper"
[ -z "$floor" ] || printf '  %-28s %8s\n' "floor" "$floor"

ratio() { awk -v a="$2" -v b="$3" -v n="$1" 'BEGIN { if (a != "" && b > 0) printf "  %-28s %8.2f\n", n, a / b }'; }
echo "ratios:"
[ -z "$hull" ] || {
  ratio "hull-oci / runc" "$hull" "$runc"
  ratio "hull-oci / crun" "$hull" "$crun"
  ratio "hull-oci / floor" "$hull" "$floor"
}
ratio "runc / floor" "$runc" "$floor"
ratio "crun / floor" "$crun" "$floor"
