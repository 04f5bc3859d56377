#!/usr/bin/env bats
# For each of the eight namespaces: a new one differs from the host's, one left out of the
# config (shared) is the host's, and one joined by path is the namespace at that path.
# Compared as the inode of /proc/self/ns/<type> on the host and inside (`probe ns <type>`).

load helpers

host_ns() { stat -L -c %i "/proc/self/ns/$1"; }

need_kernel_ns() {
  [ -e "/proc/self/ns/$1" ] || skip "this kernel has no $1 namespace (/proc/self/ns/$1 missing)"
}

need_runtime_ns() {
  runtime_supports_ns "$(spec_ns_name "$1")" ||
    skip "parity run: $HULL_OCI does not list the $(spec_ns_name "$1") namespace in features"
}

# ns_inside TYPE: runs `probe ns TYPE` in a container of $BUNDLE and prints the inode.
ns_inside() {
  set_args probe ns "$1"
  ctr_run "$(new_id)"
}

check_new() {
  local t=$1
  need_kernel_ns "$t"
  need_runtime_ns "$t"
  make_bundle
  if [ "$t" = user ]; then add_userns_mapping; else add_ns "$t"; fi
  [ "$t" != time ] || cfg '.linux.timeOffsets = {boottime: {secs: 3600, nanosec: 0}}'
  run ns_inside "$t"
  [ "$status" -eq 0 ]
  [[ "$output" =~ ^[0-9]+$ ]]
  echo "host $(host_ns "$t"), container $output"
  [ "$output" != "$(host_ns "$t")" ]
}

check_shared() {
  local t=$1
  need_kernel_ns "$t"
  make_bundle
  del_ns "$t"
  run ns_inside "$t"
  [ "$status" -eq 0 ]
  echo "host $(host_ns "$t"), container $output"
  [ "$output" = "$(host_ns "$t")" ]
}

check_joined() {
  local t=$1
  need_kernel_ns "$t"
  need_runtime_ns "$t"
  make_bundle
  join_ns "$t" "/proc/$$/ns/$t"
  [ "$t" != uts ] || cfg 'del(.hostname)'
  run ns_inside "$t"
  [ "$status" -eq 0 ]
  echo "host $(host_ns "$t"), container $output"
  [ "$output" = "$(host_ns "$t")" ]
}

@test "pid namespace: new differs from the host's" { check_new pid; }
@test "pid namespace: shared is the host's" { check_shared pid; }
@test "pid namespace: joined by path is the host's" { check_joined pid; }

@test "net namespace: new differs from the host's" { check_new net; }
@test "net namespace: shared is the host's" { check_shared net; }
@test "net namespace: joined by path is the host's (--network=host)" { check_joined net; }

@test "mnt namespace: new differs from the host's" { check_new mnt; }

@test "ipc namespace: new differs from the host's" { check_new ipc; }
@test "ipc namespace: shared is the host's" { check_shared ipc; }
@test "ipc namespace: joined by path is the host's" { check_joined ipc; }

@test "uts namespace: new differs from the host's" { check_new uts; }
@test "uts namespace: shared is the host's" { check_shared uts; }
@test "uts namespace: joined by path is the host's" { check_joined uts; }

@test "cgroup namespace: new differs from the host's" { check_new cgroup; }
@test "cgroup namespace: shared is the host's" { check_shared cgroup; }
@test "cgroup namespace: joined by path is the host's" { check_joined cgroup; }

@test "user namespace: new differs from the host's" { check_new user; }
@test "user namespace: shared is the host's" { check_shared user; }

@test "time namespace: new differs from the host's" { check_new time; }
@test "time namespace: shared is the host's" { check_shared time; }
@test "time namespace: joined by path is the host's" { check_joined time; }

@test "all eight: a container with every namespace new shares none with the host" {
  need_kernel_ns time
  need_runtime_ns time
  make_bundle
  add_ns pid net mnt ipc uts cgroup time
  add_userns_mapping
  set_args probe ns-all
  run ctr_run "$(new_id)"
  [ "$status" -eq 0 ]
  [ "$(wc -l <<<"$output")" -eq 8 ]
  while read -r t inode; do
    echo "$t host $(host_ns "$t") container $inode"
    [ "$inode" != "$(host_ns "$t")" ]
  done <<<"$output"
}
