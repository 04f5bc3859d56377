#!/usr/bin/env bash
# bench/engine.sh [ROUNDS]: the engine's start-to-exit cost, with its peers in the same run,
# alternating, ROUNDS times (default 20, or $N):
#   hull        `hull run --rm --network none busybox true` (engine roots of its own)
#   hull-oci    `hull-oci run` of the same container as a bundle: the config.json hull made
#               for it (same namespaces, mounts — /etc/hosts and co. from copies —, seccomp
#               profile), root.path on a plain copy of the image's rootfs instead of the overlay
#   podman      `podman run --rm --network none IMAGE true` with runc and with
#               --runtime hull-oci (private storage; --ulimit nofile=1024:1024 --ulimit
#               nproc=1024:1024, which podman needs here: its defaults exceed the hard limits;
#               --cgroup-manager cgroupfs --events-backend file, as there is no systemd)
# Then the resident memory of one monitor per container: hull's and podman's conmon.
# Prints medians in ms and ratios. Run as root. A benchmark: it asserts nothing.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
src=$(dirname "$here")
rounds=${1:-${N:-20}}
HULL=${HULL:-$src/build/hull}
HULL_OCI=${HULL_OCI:-$src/build/hull-oci}
RUNC=${RUNC:-$(command -v runc)}

[ "$(id -u)" -eq 0 ] || { echo "bench/engine.sh: run as root" >&2; exit 1; }

work=$(mktemp -d /tmp/hull-bench-engine.XXXXXX)
export HULL_ROOT=$work/hull-root HULL_RUNROOT=$work/hull-run HULL_CGROUP_PARENT=/hull-bench-$$
cleanup() {
  for id in $("$HULL" ps -aq --no-trunc 2>/dev/null); do "$HULL" rm -f "$id" >/dev/null 2>&1 || true; done
  for id in $(ls "$work/state" 2>/dev/null); do
    [ "$id" = seccomp-cache ] || "$HULL_OCI" --root "$work/state" delete --force "$id" >/dev/null 2>&1 || true
  done
  if have_podman; then
    pm "$RUNC" rm -af >/dev/null 2>&1 || true
    pm "$RUNC" system reset -f >/dev/null 2>&1 || true
  fi
  # The monitors finish their cleanup just after the exit is reported.
  for _ in $(seq 100); do pgrep -f "$work" >/dev/null || break; sleep 0.05; done
  # In case a container here made the default network: it goes with the root.
  for n in $("$HULL" network ls -q 2>/dev/null); do "$HULL" network rm "$n" >/dev/null 2>&1 || true; done
  rmdir /sys/fs/cgroup/*/"$HULL_CGROUP_PARENT" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

gcc -O2 -static -o "$work/timer" "$here/floor.c"
rootfs=$work/rootfs
busybox_rootfs "$rootfs"
tar -C "$rootfs" -cf "$work/rootfs.tar" .
"$HULL" import --change 'CMD ["sh"]' "$work/rootfs.tar" busybox >/dev/null

# The bundle: hull's own config.json for this container, on the plain rootfs.
id=$("$HULL" create --network none busybox true)
mkdir -p "$work/bundle" "$work/etc"
# Its /etc/hosts, hostname and resolv.conf bind mounts too (the files copied: the container
# is removed below), so both do the same mounts.
cp "$HULL_ROOT/containers/$id"/{hosts,hostname,resolv.conf} "$work/etc/"
jq --arg root "$rootfs" --arg dir "$HULL_ROOT/containers/$id" --arg etc "$work/etc" \
  '.root.path = $root | .mounts |= map(if (.source // "") | startswith($dir)
     then .source |= sub("^" + $dir; $etc) else . end)' \
  "$HULL_ROOT/containers/$id/config.json" >"$work/bundle/config.json"
"$HULL" rm "$id" >/dev/null

PM_RUN=(run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
if have_podman; then
  pm "$RUNC" import "$work/rootfs.tar" localhost/bench-box:latest >/dev/null 2>&1
  pm "$RUNC" "${PM_RUN[@]}" localhost/bench-box true >/dev/null 2>&1 || true  # warm-up
fi
"$HULL" run --rm --network none busybox true >/dev/null  # warm-up (seccomp cache)
for ((i = 1; i <= rounds; i++)); do
  timed "$HULL" run --rm --network none busybox true >>"$work/hull"
  sleep 0.05  # as in start.sh: no runtime inherits another's fast cgroup-write state
  timed "$HULL_OCI" --root "$work/state" run --bundle "$work/bundle" "b$i" >>"$work/oci"
  sleep 0.05
  if have_podman; then
    # shellcheck disable=SC2046
    timed podman $(pm_flags) --runtime "$RUNC" "${PM_RUN[@]}" localhost/bench-box true \
      >>"$work/pm-runc"
    sleep 0.05
    # shellcheck disable=SC2046
    timed podman $(pm_flags) --runtime "$HULL_OCI" "${PM_RUN[@]}" localhost/bench-box true \
      >>"$work/pm-hull"
    sleep 0.05
  fi
done

h=$(median "$work/hull"); o=$(median "$work/oci")
echo "medians over $rounds rounds (ms):"
printf '  %-58s %8s\n' "hull run --rm --network none busybox true" "$h"
printf '  %-58s %8s\n' "hull-oci run of the same container as a bundle" "$o"
if have_podman; then
  pr=$(median "$work/pm-runc"); ph=$(median "$work/pm-hull")
  printf '  %-58s %8s\n' "podman run --rm --network none … true (runc)" "$pr"
  printf '  %-58s %8s\n' "podman run --rm --network none … true (--runtime hull-oci)" "$ph"
  echo "ratio hull / podman (runc): $(ratio "$h" "$pr")   (target <= 0.1)"
  echo "ratio hull / podman (hull-oci): $(ratio "$h" "$ph")"
fi
echo "ratio hull / hull-oci bundle run: $(ratio "$h" "$o")   (target <= 1.5)"

# Memory of one idle monitor.
rss() { awk '/^VmRSS|^RssAnon|^RssFile/ { printf "%s %s kB  ", $1, $2 }' "/proc/$1/status"; }
"$HULL" run -d --name bench-rss --network none busybox sleep 1000 >/dev/null
sleep 0.2  # the monitor drops its start-up pages just after the container runs
init=$("$HULL" inspect bench-rss | jq '.[0].State.Pid')
mon=$(awk '{ print $4 }' "/proc/$init/stat")
echo "hull monitor ($(cat "/proc/$mon/comm")): $(rss "$mon")"
"$HULL" rm -f bench-rss >/dev/null
if have_podman; then
  pm "$RUNC" run -d --name bench-rss --network none --ulimit nofile=1024:1024 \
    --ulimit nproc=1024:1024 localhost/bench-box sleep 1000 >/dev/null
  conmon=$(pm "$RUNC" inspect -f '{{.State.ConmonPid}}' bench-rss)
  echo "podman's conmon: $(rss "$conmon")"
  pm "$RUNC" rm -f -t 0 bench-rss >/dev/null
fi
