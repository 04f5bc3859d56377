#!/usr/bin/env bats
# exec: a new process in a running container joins its namespaces and cgroup and takes the
# process spec (user, env, cwd, capabilities, no_new_privs) and the container's seccomp.

load helpers

# A container that sleeps until deleted; its id in ID.
running_container() {
  make_bundle
  add_ns user
  add_userns_mapping
  set_args sleep 1000
  ID=$(new_id)
  ctr_detach "$ID"
  wait_status "$ID" running
}

@test "exec: the process is in every namespace of the container" {
  running_container
  pid=$(ctr_pid "$ID")
  for ns in pid net mnt ipc uts user cgroup; do
    run oci exec "$ID" probe ns "$ns"
    [ "$status" -eq 0 ]
    [ "$output" = "$(stat -L -c %i "/proc/$pid/ns/$ns")" ]
  done
  oci delete --force "$ID"
}

@test "exec: sees the container's pids and is in its cgroup" {
  running_container
  run oci exec "$ID" sh -c 'ls /proc | grep -E "^[0-9]+$" | sort -n | head -1'
  [ "$status" -eq 0 ]
  [ "$output" = 1 ]
  host_pid=$(ctr_pid "$ID")
  run oci exec "$ID" cat /proc/self/cgroup
  [ "$status" -eq 0 ]
  # With a cgroup namespace the container's own cgroup is "/" for both init and exec.
  [ "$output" = "$(nsenter -t "$host_pid" -C cat "/proc/$host_pid/cgroup")" ]
  oci delete --force "$ID"
}

@test "exec: exit code, env, cwd and user from the flags" {
  running_container
  run oci exec "$ID" sh -c 'exit 7'
  [ "$status" -eq 7 ]
  run oci exec --env HULL_X=42 --cwd /tmp "$ID" sh -c 'echo $HULL_X $(pwd)'
  [ "$status" -eq 0 ]
  [ "$output" = "42 /tmp" ]
  run oci exec --user 1000:1001 "$ID" probe ids
  [ "$status" -eq 0 ]
  [[ "$output" == "uid=1000 gid=1001"* ]]
  oci delete --force "$ID"
}

@test "exec: --process runs a process.json" {
  running_container
  cat >"$BATS_TEST_TMPDIR/process.json" <<'JSON'
{"terminal": false, "user": {"uid": 0, "gid": 0}, "args": ["sh", "-c", "echo from-json $A"],
 "env": ["PATH=/bin", "A=b"], "cwd": "/"}
JSON
  run oci exec --process "$BATS_TEST_TMPDIR/process.json" "$ID"
  [ "$status" -eq 0 ]
  [ "$output" = "from-json b" ]
  oci delete --force "$ID"
}

@test "exec: no fd of the runtime reaches the process, and --detach writes the pid file" {
  running_container
  run oci exec "$ID" probe fds
  [ "$status" -eq 0 ]
  [ "$output" = "0 1 2" ]
  quietly oci exec --detach --pid-file "$BATS_TEST_TMPDIR/exec.pid" "$ID" sleep 1000
  pid=$(cat "$BATS_TEST_TMPDIR/exec.pid")
  [ -d "/proc/$pid" ]
  grep -q "sleep" "/proc/$pid/cmdline"
  oci delete --force "$ID"
}

@test "exec: a stopped container and an unknown id are refused" {
  make_bundle
  set_args true
  id=$(new_id)
  ctr_detach "$id"
  wait_status "$id" stopped
  run quietly oci exec "$id" true
  [ "$status" -ne 0 ]
  if is_hull; then assert_one_error_line "$BATS_TEST_TMPDIR/err"; fi
  run quietly oci exec "nosuch-$id" true
  [ "$status" -ne 0 ]
  if is_hull; then assert_one_error_line "$BATS_TEST_TMPDIR/err"; fi
  oci delete "$id"
}

@test "the init is not dumpable before exec (CVE-2019-5736 class), the container process is" {
  make_bundle
  add_ns user
  add_userns_mapping
  set_args sleep 1000
  id=$(new_id)
  ctr_create "$id"
  pid=$(ctr_pid "$id")
  # A non-dumpable process's /proc files belong to the host's root, not to its own uid
  # (100000 here): nothing in the container can open its exe or fds.
  [ "$(stat -c %u "/proc/$pid/exe")" = 0 ]
  oci start "$id"
  wait_status "$id" running
  for _ in $(seq "$POLL_TRIES"); do
    [ "$(stat -c %u "/proc/$pid/exe")" = 100000 ] && break
    sleep "$POLL_SLEEP"
  done
  [ "$(stat -c %u "/proc/$pid/exe")" = 100000 ]
  oci delete --force "$id"
}
