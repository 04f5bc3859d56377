#!/usr/bin/env bash
# bench/exec.sh [ROUNDS]: two costs a runtime adds beyond starting a container, with
# hull-oci and runc in the same run, alternating, ROUNDS times (default 20, or $N):
#   exec     `exec <id> /bin/true` into a running container (all namespaces, cgroup)
#   seccomp  `run` of a /bin/true bundle with bench/seccomp_profile.json (a podman-sized
#            allow-list, ~380 syscalls) minus the same run without it
#   podman   `podman run --rm --network none IMAGE true` with --runtime hull-oci / runc
#            (private storage; --ulimit nofile=1024:1024 --ulimit nproc=1024:1024, which
#            podman needs here: its defaults exceed the hard limits; --cgroup-manager
#            cgroupfs, as there is no systemd)
# Prints medians in ms and hull-oci's ratios. Run as root. A benchmark: it asserts nothing.
# crun is left out: Debian's crun 1.8.1 refuses this machine's hybrid cgroup layout outside a
# private mount namespace, and exec into a container made in such a namespace measures the
# wrapper more than crun.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
src=$(dirname "$here")
rounds=${1:-${N:-20}}
HULL_OCI=${HULL_OCI:-$src/build/hull-oci}
RUNC=${RUNC:-$(command -v runc)}

[ "$(id -u)" -eq 0 ] || { echo "bench/exec.sh: run as root" >&2; exit 1; }

work=$(mktemp -d /tmp/hull-bench-exec.XXXXXX)
cleanup() {
  for rt in hull runc; do
    for id in $(ls "$work/state-$rt" 2>/dev/null); do
      [ "$id" = seccomp-cache ] && continue
      case $rt in
        hull) "$HULL_OCI" --root "$work/state-$rt" delete --force "$id" ;;
        runc) "$RUNC" --root "$work/state-$rt" delete --force "$id" ;;
      esac >/dev/null 2>&1 || true
    done
  done
  if command -v podman >/dev/null; then
    pm "$(rt_cmd hull)" rm -af >/dev/null 2>&1 || true
    pm "$(rt_cmd hull)" system reset -f >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

gcc -O2 -static -o "$work/timer" "$here/floor.c"
rootfs=$work/rootfs
mkdir -p "$rootfs"/{bin,dev,proc,sys,tmp}
cp /bin/busybox "$rootfs/bin/busybox"
for a in true sh sleep; do ln -s busybox "$rootfs/bin/$a"; done
make_bundle() {  # DIR ARGS_JSON [SECCOMP_FILE]
  mkdir -p "$1"
  (cd "$1" && "$RUNC" spec)
  local filter='.root.path = $root | .process.terminal = false | .process.args = $args
      | .process.capabilities.ambient = [] | .root.readonly = true'
  if [ -n "${3:-}" ]; then
    jq --arg root "$rootfs" --argjson args "$2" --slurpfile sc "$3" "$filter | .linux.seccomp = \$sc[0]" \
      "$1/config.json" >"$1/c.json"
  else
    jq --arg root "$rootfs" --argjson args "$2" "$filter" "$1/config.json" >"$1/c.json"
  fi
  mv "$1/c.json" "$1/config.json"
}
make_bundle "$work/sleep" '["sleep", "100000"]'
make_bundle "$work/plain" '["/bin/true"]'
make_bundle "$work/seccomp" '["/bin/true"]' "$here/seccomp_profile.json"

rt_cmd() { case $1 in hull) echo "$HULL_OCI" ;; runc) echo "$RUNC" ;; esac; }
for rt in hull runc; do
  "$(rt_cmd $rt)" --root "$work/state-$rt" run --detach --bundle "$work/sleep" "bench-exec-$rt" \
    </dev/null >/dev/null
done

if command -v podman >/dev/null; then
  tar -C "$rootfs" -cf "$work/rootfs.tar" .
  pm "$(rt_cmd hull)" import "$work/rootfs.tar" localhost/bench-box:latest >/dev/null 2>&1
  PM_RUN=(run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
  pm "$(rt_cmd hull)" "${PM_RUN[@]}" localhost/bench-box true >/dev/null  # warm-up
fi
for ((i = 1; i <= rounds; i++)); do
  for rt in hull runc; do
    r=$(rt_cmd $rt)
    timed "$r" --root "$work/state-$rt" exec "bench-exec-$rt" /bin/true >>"$work/$rt.exec"
    timed "$r" --root "$work/state-$rt" run --bundle "$work/plain" "p$i-$rt" >>"$work/$rt.plain"
    timed "$r" --root "$work/state-$rt" run --bundle "$work/seccomp" "s$i-$rt" >>"$work/$rt.seccomp"
    sleep 0.05  # as in start.sh: no runtime inherits another's fast cgroup-write state
    if command -v podman >/dev/null; then
      # shellcheck disable=SC2046
      timed podman $(pm_flags) --runtime "$r" "${PM_RUN[@]}" localhost/bench-box true \
        >>"$work/$rt.podman"
    fi
  done
done

for rt in hull runc; do
  paste "$work/$rt.seccomp" "$work/$rt.plain" | awk '{ print $1 - $2 }' >"$work/$rt.cost"
done
he=$(median "$work/hull.exec"); re=$(median "$work/runc.exec")
hc=$(median "$work/hull.cost"); rc=$(median "$work/runc.cost")
echo "medians over $rounds rounds (ms):"
printf '  %-40s %8s %8s\n' "" hull-oci runc
printf '  %-40s %8s %8s\n' "exec /bin/true into a running container" "$he" "$re"
printf '  %-40s %8s %8s\n' "start: run with seccomp profile" "$(median "$work/hull.seccomp")" \
  "$(median "$work/runc.seccomp")"
printf '  %-40s %8s %8s\n' "start: run without" "$(median "$work/hull.plain")" \
  "$(median "$work/runc.plain")"
printf '  %-40s %8s %8s\n' "seccomp cost (with - without, per round)" "$hc" "$rc"
if [ -s "$work/hull.podman" ]; then
  printf '  %-40s %8s %8s\n' "podman run --rm … true" "$(median "$work/hull.podman")" \
    "$(median "$work/runc.podman")"
fi
awk -v a="$he" -v b="$re" 'BEGIN { printf "ratio exec hull-oci / runc: %.2f\n", a / b }'
if [ -s "$work/hull.podman" ]; then
  awk -v a="$(median "$work/hull.podman")" -v b="$(median "$work/runc.podman")" \
    'BEGIN { printf "ratio podman run, --runtime hull-oci / runc: %.2f\n", a / b }'
fi
