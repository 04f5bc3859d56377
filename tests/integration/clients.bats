#!/usr/bin/env bats
# Real clients drive the runtime: podman (--runtime) and containerd's ctr (--runc-binary).
# Each file-level setup starts what it needs in private directories: podman with its own
# storage root and runroot, containerd with its own root, state and socket, so no user's
# containers or images are touched. With HULL_OCI=runc the same tests prove themselves.
#
# podman needs --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 on this machine: its
# defaults exceed the hard limits and root here lacks CAP_SYS_RESOURCE.

load helpers

runtime_path() { command -v "$HULL_OCI"; }

setup_file() {
  export CLIENTS_DIR=$BATS_FILE_TMPDIR/clients
  mkdir -p "$CLIENTS_DIR"
  # What netfilter tables exist before podman's bridge makes its own (teardown removes those).
  nft list tables 2>/dev/null | sort >"$CLIENTS_DIR/nft-before" || true
  # The parent cgroups the clients make (podman's libpod_parent, containerd's namespace).
  ls -d /sys/fs/cgroup/*/libpod_parent /sys/fs/cgroup/*/default 2>/dev/null |
    sort >"$CLIENTS_DIR/cgroups-before" || true
  local rootfs
  rootfs=$(base_rootfs)
  tar -C "$rootfs" --exclude=./.done -cf "$CLIENTS_DIR/rootfs.tar" .
  if command -v podman >/dev/null; then
    pm import "$CLIENTS_DIR/rootfs.tar" localhost/hulltest-box:latest >/dev/null
  fi
  if command -v containerd >/dev/null && command -v podman >/dev/null; then
    pm save -o "$CLIENTS_DIR/box.tar" localhost/hulltest-box:latest >/dev/null 2>&1
    start_containerd
    ctr_cli image import "$CLIENTS_DIR/box.tar" >/dev/null
  fi
}

teardown_file() {
  if command -v podman >/dev/null; then
    pm rm -af >/dev/null 2>&1 || true
    pm rmi -af >/dev/null 2>&1 || true
    pm system reset -f >/dev/null 2>&1 || true
  fi
  if [ -e "$CLIENTS_DIR/containerd.pid" ]; then
    kill "$(cat "$CLIENTS_DIR/containerd.pid")" 2>/dev/null || true
    for _ in $(seq 200); do kill -0 "$(cat "$CLIENTS_DIR/containerd.pid")" 2>/dev/null || break; sleep 0.05; done
  fi
  local m
  for m in $(mounts_under "$CLIENTS_DIR" | sort -r); do umount -l "$m" 2>/dev/null || true; done
  # netavark leaves its chains behind in tables it made: remove tables that were not there.
  nft list tables 2>/dev/null | sort | comm -13 "$CLIENTS_DIR/nft-before" - |
    while read -r _ family name; do nft delete table "$family" "$name" || true; done
  ls -d /sys/fs/cgroup/*/libpod_parent /sys/fs/cgroup/*/default 2>/dev/null | sort |
    comm -13 "$CLIENTS_DIR/cgroups-before" - | while read -r cg; do
      find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    done
  rm -rf "$CLIENTS_DIR"
}

# podman with private storage, the runtime under test, and cgroupfs (no systemd here).
pm() {
  podman --root "$CLIENTS_DIR/storage" --runroot "$CLIENTS_DIR/runroot" \
    --tmpdir "$CLIENTS_DIR/tmp" --cgroup-manager cgroupfs --events-backend file \
    --runtime "$(runtime_path)" "$@"
}
PM_RUN=(run --rm --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)

start_containerd() {
  local d=$CLIENTS_DIR/containerd
  mkdir -p "$d"
  containerd config default >"$d/config.toml"
  sed -i -e "s|^root = .*|root = \"$d/root\"|" -e "s|^state = .*|state = \"$d/state\"|" \
    -e "s|/run/containerd/containerd.sock|$d/containerd.sock|" \
    -e "s|/run/containerd/debug.sock|$d/debug.sock|" "$d/config.toml"
  containerd --config "$d/config.toml" >"$d/log" 2>&1 &
  echo $! >"$CLIENTS_DIR/containerd.pid"
  for _ in $(seq 400); do [ -S "$d/containerd.sock" ] && break; sleep 0.025; done
  [ -S "$d/containerd.sock" ]
}
ctr_cli() { ctr --address "$CLIENTS_DIR/containerd/containerd.sock" "$@"; }

need_podman() { command -v podman >/dev/null || skip "podman is not installed (test.sh installs it)"; }
need_ctr() { command -v containerd >/dev/null || skip "containerd is not installed (test.sh installs it)"; }

@test "podman: a plain run, with --network none" {
  need_podman
  run pm "${PM_RUN[@]}" --network none localhost/hulltest-box probe links
  [ "$status" -eq 0 ]
  [ "$output" = lo ]
}

@test "podman: the default bridge network gives an interface besides lo" {
  need_podman
  run pm "${PM_RUN[@]}" localhost/hulltest-box probe links
  [ "$status" -eq 0 ]
  [[ "$output" == *lo* ]]
  [ "$(wc -w <<<"$output")" -ge 2 ]
}

@test "podman: -t and -it get a terminal through the console socket" {
  need_podman
  # -t alone: podman relays the pty's output, no terminal of ours needed.
  run pm "${PM_RUN[@]}" -t --network none localhost/hulltest-box tty
  [ "$status" -eq 0 ]
  [[ "$output" == */dev/pts/* ]]
  # -it: script gives podman a terminal; what we type reaches the container's pty.
  local cmd="podman --root $CLIENTS_DIR/storage --runroot $CLIENTS_DIR/runroot \
    --tmpdir $CLIENTS_DIR/tmp --cgroup-manager cgroupfs --events-backend file \
    --runtime $(runtime_path) ${PM_RUN[*]} -it --network none localhost/hulltest-box \
    sh -c 'read x; echo got:\$x; tty'"
  run bash -c 'printf "hello\n" | script -qec "$1" /dev/null' _ "$cmd"
  [ "$status" -eq 0 ]
  [[ "$output" == *got:hello* ]]
  [[ "$output" == */dev/pts/* ]]
}

@test "podman: --memory, --pids-limit and --cap-drop reach the container" {
  need_podman
  run pm "${PM_RUN[@]}" --network none --memory 64m --pids-limit 50 --cap-drop ALL \
    localhost/hulltest-box sh -c 'cat /sys/fs/cgroup/pids/pids.max; cat /sys/fs/cgroup/memory/memory.limit_in_bytes; probe caps'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 50 ]
  [ "${lines[1]}" = 67108864 ]
  [[ "$output" =~ CapEff[^0-9a-f]*0000000000000000 ]]
}

@test "podman: exec, pause, unpause and stop" {
  need_podman
  name=hulltest-pm-$$
  pm run -d --name "$name" --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network none \
    localhost/hulltest-box sleep 1000 >/dev/null
  run pm exec "$name" probe pid
  [ "$status" -eq 0 ]
  [ "$output" -gt 1 ]
  pm pause "$name" >/dev/null
  [ "$(pm inspect -f '{{.State.Status}}' "$name")" = paused ]
  pm unpause "$name" >/dev/null
  [ "$(pm inspect -f '{{.State.Status}}' "$name")" = running ]
  pm stop -t 1 "$name" >/dev/null
  [ "$(pm inspect -f '{{.State.Status}}' "$name")" = exited ]
  pm rm "$name" >/dev/null
}

@test "podman: seccomp=unconfined, and podman's default profile" {
  need_podman
  run pm "${PM_RUN[@]}" --network none --security-opt seccomp=unconfined localhost/hulltest-box \
    grep Seccomp: /proc/self/status
  [ "$status" -eq 0 ]
  [[ "$output" == *"0" ]]
  run pm "${PM_RUN[@]}" --network none localhost/hulltest-box grep Seccomp: /proc/self/status
  [ "$status" -eq 0 ]
  [[ "$output" == *"2" ]]
}

@test "ctr: run an imported image, task exec and task kill" {
  need_ctr
  need_podman
  rt=$(runtime_path)
  run ctr_cli run --rm --runc-binary "$rt" localhost/hulltest-box:latest "ht-c1-$$" probe pid
  [ "$status" -eq 0 ]
  [ "$output" = 1 ]
  ctr_cli run -d --runc-binary "$rt" localhost/hulltest-box:latest "ht-c2-$$" sleep 1000
  run ctr_cli task exec --exec-id e1 "ht-c2-$$" probe pid
  [ "$status" -eq 0 ]
  [ "$output" -gt 1 ]
  ctr_cli task kill -s KILL "ht-c2-$$"
  for _ in $(seq 400); do
    ctr_cli task ls | grep -q "ht-c2-$$.*STOPPED" && break
    sleep 0.025
  done
  ctr_cli task ls | grep -q "ht-c2-$$.*STOPPED"
  ctr_cli task rm "ht-c2-$$"
  ctr_cli container rm "ht-c2-$$"
}
