# Helpers for the black-box tests of the `hull` engine CLI (bats). Each test file gets its own
# engine roots (--root/--runroot under $BATS_FILE_TMPDIR) with a busybox image imported once
# from the same rootfs the runtime tests use (busybox-static + our probe as /bin/probe).
# Teardown removes every container the test made and fails the test if any container record,
# monitor, mount, cgroup or runtime state of it is left.

load helpers

HULL=${HULL:-$HULL_BUILD/hull}

# The engine with this file's private roots.
hull() { HULL_TEST_FILE=$BATS_FILE_TMPDIR "$HULL" --root "$ENGINE_ROOT" --runroot "$ENGINE_RUNROOT" "$@"; }

# A rootfs tarball of the tests' busybox rootfs (with /bin/probe). Prints its path.
busybox_tarball() {
  local tar=$BATS_RUN_TMPDIR/busybox.tar
  (
    flock 9
    if [ ! -e "$tar" ]; then
      local rootfs
      rootfs=$(base_rootfs) || exit 1
      tar -C "$rootfs" --exclude ./.done -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
    fi
  ) 9>"$BATS_RUN_TMPDIR/busybox.tar.lock" || return 1
  echo "$tar"
}

# The image `busybox` in this file's store (imported once per file).
ensure_busybox() {
  hull images --format json 2>/dev/null | grep -q '"busybox:latest"' && return 0
  hull import --change 'CMD ["sh"]' "$(busybox_tarball)" busybox >/dev/null
}

# A directory shared with a container (-v "$(ctl):/ctl"), writable by any user in it.
ctl() {
  mkdir -p "$BATS_TEST_TMPDIR/ctl"
  chmod 0777 "$BATS_TEST_TMPDIR/ctl"
  echo "$BATS_TEST_TMPDIR/ctl"
}

# wait_for PATH: polls (bounded by count) until PATH exists.
wait_for() {
  local i
  for ((i = 0; i < POLL_TRIES; i++)); do
    [ -e "$1" ] && return 0
    sleep "$POLL_SLEEP"
  done
  echo "$1 did not appear" >&2
  return 1
}

engine_setup_file() {
  export ENGINE_ROOT=$BATS_FILE_TMPDIR/root ENGINE_RUNROOT=$BATS_FILE_TMPDIR/run
  # This file's containers get cgroups under a parent of their own, so the leak check
  # sees only them.
  export HULL_CGROUP_PARENT=/hulltest-$(basename "$BATS_TEST_FILENAME" .bats)-$$
  mkdir -p "$ENGINE_ROOT" "$ENGINE_RUNROOT"
}
setup_file() { engine_setup_file; }

# This file's nft table (network_attach.h: "hull_" + 8 hex of sha256 of the root).
engine_nft_table() { echo "hull_$(printf %s "$ENGINE_ROOT" | sha256sum | cut -c1-8)"; }

# The host bridges of this file's networks.
engine_bridges() {
  local f
  for f in "$ENGINE_ROOT"/networks/*/network.json; do
    [ -e "$f" ] && jq -r .bridge "$f"
  done
  return 0
}

engine_teardown_file() {
  # The file's networks (the default one too: made on first use), bridges and nft table.
  local n
  for n in $(hull network ls -q 2>/dev/null); do hull network rm "$n" >/dev/null 2>&1; done
  local left=""
  [ -n "$(engine_bridges)" ] && left+=" networks: $(engine_bridges | tr '\n' ' ')"
  nft list table ip "$(engine_nft_table)" >/dev/null 2>&1 && left+=" nft table $(engine_nft_table)"
  local d
  for d in /sys/fs/cgroup/*"$HULL_CGROUP_PARENT" /sys/fs/cgroup/unified"$HULL_CGROUP_PARENT"; do
    [ -d "$d" ] && rmdir "$d" 2>/dev/null
  done
  if [ -n "$left" ]; then
    echo "left behind by the file:$left" >&2
    return 1
  fi
}
teardown_file() { engine_teardown_file; }

engine_setup() {
  hull_setup
  ensure_busybox
}
setup() { engine_setup; }

# (Processes of hull, monitors included, carry HULL_TEST_FILE in their environment: the leak
# check finds any that outlive a test by it.)

# Every container of this file's root: ids, from the records on disk (not from hull itself,
# so a broken `hull ps` cannot hide a leak).
engine_container_ids() { ls "$ENGINE_ROOT/containers" 2>/dev/null || true; }

# Pids of hull processes of this file: the CLI, and monitors (which may still be cleaning up
# for a moment after a container's exit was reported).
hull_processes() {
  local p
  for p in /proc/[0-9]*; do
    { tr '\0' '\n' <"$p/environ"; } 2>/dev/null | grep -qx "HULL_TEST_FILE=$BATS_FILE_TMPDIR" &&
      echo "${p#/proc/}"
  done
}

# Waits (bounded tries) for this file's monitors to finish.
wait_monitors_gone() {
  local i
  for ((i = 0; i < POLL_TRIES; i++)); do
    [ -z "$(hull_processes)" ] && return 0
    sleep "$POLL_SLEEP"
  done
}

engine_leaks() {
  local id
  for id in $(engine_container_ids); do echo "container record $id"; done
  ls "$ENGINE_RUNROOT/oci" 2>/dev/null | grep -v '^seccomp-cache$' | sed 's/^/runtime state /'
  ls "$ENGINE_ROOT/names" 2>/dev/null | sed 's/^/name /'
  grep -F " $ENGINE_ROOT" /proc/self/mountinfo | awk '{print "mount " $5}'
  ls "$ENGINE_ROOT/trash" 2>/dev/null | sed 's/^/trash /'
  local d
  for d in /sys/fs/cgroup/*"$HULL_CGROUP_PARENT"/* /sys/fs/cgroup/unified"$HULL_CGROUP_PARENT"/*; do
    [ -d "$d" ] || continue
    echo "cgroup $d"
  done
  local p
  for p in $(hull_processes); do
    echo "process $p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
  done
  # Networks: addresses, name-resolution members, host port bookings, published ports in
  # nft, and veths on the file's bridges (a namespace's devices go in the background once
  # it is released: waited for, bounded).
  ls "$ENGINE_ROOT"/networks/*/ips/* "$ENGINE_ROOT"/networks/*/live/* 2>/dev/null | sed 's/^/address or member /'
  ls "$ENGINE_ROOT/ports" 2>/dev/null | sed 's/^/host port booking /'
  local table
  table=$(engine_nft_table)
  if nft list table ip "$table" >/dev/null 2>&1; then
    nft -j list map ip "$table" ports 2>/dev/null | jq -r '.nftables[].map.elem // empty | .[] | tostring' |
      sed 's/^/published port /'
    nft -j list map ip "$table" ports_ip 2>/dev/null | jq -r '.nftables[].map.elem // empty | .[] | tostring' |
      sed 's/^/published port /'
  fi
  local br i veths
  for br in $(engine_bridges); do
    for ((i = 0; i < POLL_TRIES; i++)); do
      veths=$(ip -br link show master "$br" 2>/dev/null | awk '{print $1}')
      [ -z "$veths" ] && break
      sleep "$POLL_SLEEP"
    done
    for p in $veths; do echo "veth $p on $br"; done
  done
}

engine_teardown() {
  local id
  for id in $(engine_container_ids); do hull rm -f "$id" >/dev/null 2>&1 || true; done
  wait_monitors_gone
  local left
  left=$(engine_leaks)
  hull_teardown
  if [ -n "$left" ]; then
    echo "left behind:" >&2
    echo "$left" >&2
    return 1
  fi
}
teardown() { engine_teardown; }
