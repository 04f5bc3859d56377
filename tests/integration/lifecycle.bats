#!/usr/bin/env bats
# The runc command-line interface: create/start/state/kill/delete/run/list/spec/features.

load helpers

# A container that runs until the test creates $BATS_TEST_TMPDIR/ctl/go on the host.
bundle_waiting_for_go() {
  make_bundle
  mkdir -p "$BATS_TEST_TMPDIR/ctl"
  add_mount /ctl bind "$BATS_TEST_TMPDIR/ctl" rbind rw
  set_args sh -c 'while [ ! -e /ctl/go ]; do usleep 10000; done; echo done'
}

@test "lifecycle: create, start, the process exits, delete" {
  bundle_waiting_for_go
  id=$(new_id)

  ctr_create "$id"
  run oci state "$id"
  [ "$status" -eq 0 ]
  [ "$(jq -r .status <<<"$output")" = created ]
  [ "$(jq -r .id <<<"$output")" = "$id" ]
  [ "$(jq -r .bundle <<<"$output")" = "$BUNDLE" ]
  pid=$(jq -r .pid <<<"$output")
  [ "$pid" -gt 0 ]
  [ -d "/proc/$pid" ]

  oci start "$id"
  [ "$(ctr_status "$id")" = running ]
  [ "$(ctr_pid "$id")" = "$pid" ]

  touch "$BATS_TEST_TMPDIR/ctl/go"
  wait_status "$id" stopped
  [ "$(cat "$BATS_TEST_TMPDIR/$id.out")" = done ]

  oci delete "$id"
  run oci state "$id"
  [ "$status" -ne 0 ]
  run oci list -q
  [ "$status" -eq 0 ]
  [[ "$output" != *"$id"* ]]
}

@test "run: exit code of the container is the runtime's exit code" {
  make_bundle
  set_args probe exit 7
  id=$(new_id)
  run ctr_run "$id"
  [ "$status" -eq 7 ]
  # run deletes the container once it has exited
  run oci state "$id"
  [ "$status" -ne 0 ]
}

@test "run: the container's stdout and stderr are the runtime's" {
  make_bundle
  set_args sh -c 'echo hello; echo to stderr >&2; exec probe pid'
  id=$(new_id)
  ctr_run "$id" >"$BATS_TEST_TMPDIR/stdout" 2>"$BATS_TEST_TMPDIR/stderr"
  [ "$(cat "$BATS_TEST_TMPDIR/stdout")" = "$(printf 'hello\n1')" ]
  [ "$(cat "$BATS_TEST_TMPDIR/stderr")" = "to stderr" ]
}

@test "run --detach: returns while the container runs" {
  make_bundle
  set_args probe sleep 1000
  id=$(new_id)
  ctr_detach "$id"
  [ "$(ctr_status "$id")" = running ]
  oci kill "$id" KILL
  wait_status "$id" stopped
  oci delete "$id"
}

@test "kill: signal by name, by SIG name and by number" {
  make_bundle
  set_args probe sleep 1000
  for sig in KILL SIGKILL 9; do
    id=$(new_id)
    ctr_start_detached "$id"
    [ "$(ctr_status "$id")" = running ]
    oci kill "$id" "$sig"
    wait_status "$id" stopped
    oci delete "$id"
  done
}

@test "kill: a bad signal fails and leaves the container running" {
  make_bundle
  set_args probe sleep 1000
  id=$(new_id)
  ctr_start_detached "$id"
  for sig in NOSUCHSIG SIGNOPE 99999 -3; do
    run oci kill "$id" "$sig"
    [ "$status" -ne 0 ]
  done
  [ "$(ctr_status "$id")" = running ]
}

@test "delete: a running container needs --force" {
  make_bundle
  set_args probe sleep 1000
  id=$(new_id)
  ctr_start_detached "$id"
  pid=$(ctr_pid "$id")

  run oci delete "$id"
  [ "$status" -ne 0 ]
  [ "$(ctr_status "$id")" = running ]

  oci delete --force "$id"
  run oci state "$id"
  [ "$status" -ne 0 ]
  # a zombie left for the host's init to reap counts as gone
  assert_process_gone "$pid"
}

@test "delete --force: a created container that never started" {
  make_bundle
  id=$(new_id)
  ctr_create "$id"
  oci delete --force "$id"
  run oci state "$id"
  [ "$status" -ne 0 ]
}

@test "list: table, json and quiet" {
  make_bundle
  set_args probe sleep 1000
  a=$(new_id)
  b=$(new_id)
  ctr_create "$a"
  ctr_start_detached "$b"

  run oci list
  [ "$status" -eq 0 ]
  [ "$(head -n1 <<<"$output" | tr -s ' ' | sed 's/ $//')" = "ID PID STATUS BUNDLE CREATED OWNER" ]
  [ "$(grep -c . <<<"$output")" -eq 3 ]
  grep -E "^$a +[0-9]+ +created +$BUNDLE " <<<"$output"
  grep -E "^$b +[0-9]+ +running +$BUNDLE " <<<"$output"

  run oci list --format json
  [ "$status" -eq 0 ]
  [ "$(jq -r 'type' <<<"$output")" = array ]
  [ "$(jq -r 'length' <<<"$output")" -eq 2 ]
  for key in id pid status bundle created owner; do
    jq -e --arg k "$key" 'all(.[]; has($k))' <<<"$output"
  done
  [ "$(jq -r --arg i "$a" '.[] | select(.id == $i) | .status' <<<"$output")" = created ]
  [ "$(jq -r --arg i "$b" '.[] | select(.id == $i) | .status' <<<"$output")" = running ]
  [ "$(jq -r --arg i "$b" '.[] | select(.id == $i) | .pid' <<<"$output")" = "$(ctr_pid "$b")" ]

  run oci list -q
  [ "$status" -eq 0 ]
  [ "$(sort <<<"$output")" = "$(printf '%s\n' "$a" "$b" | sort)" ]
}

@test "list: an empty state root prints only the header" {
  run oci list
  [ "$status" -eq 0 ]
  [ "$(tr -s ' ' <<<"$output" | sed 's/ $//')" = "ID PID STATUS BUNDLE CREATED OWNER" ]
  run oci list -q
  [ "$status" -eq 0 ]
  [ -z "$output" ]
}

@test "create --pid-file: holds the init pid" {
  make_bundle
  set_args probe sleep 1000
  id=$(new_id)
  ctr_create "$id" --pid-file "$BATS_TEST_TMPDIR/init.pid"
  [ -s "$BATS_TEST_TMPDIR/init.pid" ]
  [ "$(cat "$BATS_TEST_TMPDIR/init.pid")" -eq "$(ctr_pid "$id")" ]
}

@test "state: the created container's process is its init, waiting before the user program" {
  make_bundle
  set_args probe sleep 1000
  id=$(new_id)
  ctr_create "$id"
  pid=$(ctr_pid "$id")
  # the user program has not been exec'd yet
  [ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" != "probe sleep 1000 " ]
  oci start "$id"
  [ "$(ctr_pid "$id")" = "$pid" ]
  for ((i = 0; i < POLL_TRIES; i++)); do
    [ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" = "probe sleep 1000 " ] && break
    sleep "$POLL_SLEEP"
  done
  [ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" = "probe sleep 1000 " ]
}

@test "spec: writes a config.json that parses, and refuses to overwrite it" {
  dir=$BATS_TEST_TMPDIR/spec
  mkdir -p "$dir"
  (cd "$dir" && "$HULL_OCI" spec)
  jq -e '.ociVersion and .process.args and .root.path and (.linux.namespaces | length > 0)' \
    "$dir/config.json"
  run bash -c "cd '$dir' && '$HULL_OCI' spec"
  [ "$status" -ne 0 ]

  mkdir -p "$dir/b"
  "$HULL_OCI" spec --bundle "$dir/b"
  jq -e . "$dir/b/config.json" >/dev/null
}

@test "spec --rootless: a user namespace mapping the caller's ids" {
  dir=$BATS_TEST_TMPDIR/spec
  mkdir -p "$dir"
  "$HULL_OCI" spec --rootless --bundle "$dir"
  jq -e '.linux.namespaces | map(.type) | index("user")' "$dir/config.json"
  [ "$(jq -r '.linux.uidMappings[0].hostID' "$dir/config.json")" = "$(id -u)" ]
  [ "$(jq -r '.linux.gidMappings[0].hostID' "$dir/config.json")" = "$(id -g)" ]
  [ "$(jq -r '.linux.uidMappings[0].containerID' "$dir/config.json")" = 0 ]
}

@test "features: a JSON document with the OCI version range" {
  run "$HULL_OCI" features
  [ "$status" -eq 0 ]
  jq -e '.ociVersionMin and .ociVersionMax' <<<"$output"
  jq -e '.linux.namespaces | index("pid") and index("network") and index("user")' <<<"$output"
}
