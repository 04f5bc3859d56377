#!/usr/bin/env bats
# pause/resume, ps, update and events: runc's commands on a container after create.

load helpers

# The container's directory in a v1 hierarchy (the suite's cgroupsPath is /hulltest-<id>).
cgroup_dir() { echo "/sys/fs/cgroup/$1/hulltest-$2"; }

# A container whose shell writes an ever-growing count to /ctl/count every 10 ms. Sets ID.
start_counter() {
  make_bundle
  with_ctl
  set_args sh -c 'i=0; while :; do i=$((i + 1)); echo $i >/ctl/count.new; mv /ctl/count.new /ctl/count; usleep 10000; done'
  ID=$(new_id)
  ctr_start_detached "$ID"
  wait_file "$BATS_TEST_TMPDIR/ctl/count" "$ID"
}

count() { cat "$BATS_TEST_TMPDIR/ctl/count"; }

# Polls (bounded by count) until the count differs from $1.
count_moves_from() {
  local i
  for ((i = 0; i < POLL_TRIES; i++)); do
    [ "$(count)" != "$1" ] && return 0
    sleep "$POLL_SLEEP"
  done
  echo "the count stayed at $1" >&2
  return 1
}

# A running container with `probe sleep 1000` as its process. Sets ID.
start_sleeper() {
  make_bundle
  set_args probe sleep 1000
  ID=$(new_id)
  ctr_start_detached "$ID"
}

@test "pause: the processes stop and state says paused; resume: they run again" {
  start_counter
  count_moves_from "$(count)"

  oci pause "$ID"
  [ "$(ctr_status "$ID")" = paused ]
  [ "$(cat "$(cgroup_dir freezer "$ID")/freezer.state")" = FROZEN ]
  before=$(count)
  sleep 0.3 # a bounded wait: a frozen shell cannot write in it
  [ "$(count)" = "$before" ]

  oci resume "$ID"
  [ "$(ctr_status "$ID")" = running ]
  [ "$(cat "$(cgroup_dir freezer "$ID")/freezer.state")" = THAWED ]
  count_moves_from "$before"
}

@test "pause of a paused container and resume of a running one fail with one line" {
  start_sleeper
  run quietly oci resume "$ID"
  [ "$status" -ne 0 ]
  assert_one_error_line "$BATS_TEST_TMPDIR/err"
  if is_hull; then
    grep -qF "cannot resume container \"$ID\": it is running, not paused" "$BATS_TEST_TMPDIR/err"
  fi

  oci pause "$ID"
  run quietly oci pause "$ID"
  [ "$status" -ne 0 ]
  assert_one_error_line "$BATS_TEST_TMPDIR/err"
  if is_hull; then
    grep -qF "cannot pause container \"$ID\": it is paused, not running" "$BATS_TEST_TMPDIR/err"
  fi
  [ "$(ctr_status "$ID")" = paused ]
}

@test "pause of a created container fails (hull-oci)" {
  hull_only "refusing it (runc 1.1 freezes a created container too)"
  make_bundle
  set_args probe sleep 1000
  id=$(new_id)
  ctr_create "$id"
  run quietly oci pause "$id"
  [ "$status" -ne 0 ]
  assert_one_error_line "$BATS_TEST_TMPDIR/err"
  grep -qF "cannot pause container \"$id\": it is created, not running" "$BATS_TEST_TMPDIR/err"
  [ "$(ctr_status "$id")" = created ]
  [ "$(cat "$(cgroup_dir freezer "$id")/freezer.state")" = THAWED ]
}

@test "delete --force of a paused container kills it and leaves nothing" {
  start_sleeper
  pid=$(ctr_pid "$ID")
  oci pause "$ID"
  [ "$(ctr_status "$ID")" = paused ]
  oci delete --force "$ID"
  run oci state "$ID"
  [ "$status" -ne 0 ]
  assert_process_gone "$pid"
  assert_nothing_left "$ID"
}

@test "ps: json lists the init and its children; the table keeps ps's header" {
  make_bundle
  set_args sh -c 'probe sleep 1000 & exec probe sleep 1000'
  id=$(new_id)
  ctr_start_detached "$id"
  pid=$(ctr_pid "$id")
  # the background probe is forked before the shell execs: wait for both
  for ((i = 0; i < POLL_TRIES; i++)); do
    [ "$(oci ps --format json "$id" | jq length)" = 2 ] && break
    sleep "$POLL_SLEEP"
  done

  run oci ps --format json "$id"
  [ "$status" -eq 0 ]
  [ "$(jq -r 'type' <<<"$output")" = array ]
  [ "$(jq length <<<"$output")" -eq 2 ]
  jq -e --argjson p "$pid" 'index($p) != null' <<<"$output"
  child=$(jq --argjson p "$pid" '.[] | select(. != $p)' <<<"$output")
  [ "$(cut -d' ' -f4 <"/proc/$child/stat")" = "$pid" ] # the init's child

  run oci ps "$id"
  [ "$status" -eq 0 ]
  [ "$(head -n1 <<<"$output" | awk '{print $1, $2, $3}')" = "UID PID PPID" ]
  [ "$(grep -c . <<<"$output")" -eq 3 ]
  [ "$(awk 'NR > 1 {print $2}' <<<"$output" | sort -n | tr '\n' ' ')" = \
    "$(printf '%s\n' "$pid" "$child" | sort -n | tr '\n' ' ')" ]

  # options after the id go to ps
  run oci ps "$id" -o pid,comm
  [ "$status" -eq 0 ]
  [ "$(head -n1 <<<"$output" | awk '{print $1, $2}')" = "PID COMMAND" ]
  grep -qE "^ *$pid +probe$" <<<"$output"
}

@test "update: flags write the cgroup files" {
  start_sleeper
  oci update --pids-limit 5 "$ID"
  [ "$(cat "$(cgroup_dir pids "$ID")/pids.max")" = 5 ]
  oci update --memory 64m --cpu-period 100000 --cpu-quota 50000 --cpu-share 512 "$ID"
  [ "$(cat "$(cgroup_dir memory "$ID")/memory.limit_in_bytes")" = 67108864 ]
  [ "$(cat "$(cgroup_dir cpu "$ID")/cpu.cfs_quota_us")" = 50000 ]
  [ "$(cat "$(cgroup_dir cpu "$ID")/cpu.shares")" = 512 ]
  # a paused container can be updated too
  oci pause "$ID"
  oci update --pids-limit 9 "$ID"
  [ "$(cat "$(cgroup_dir pids "$ID")/pids.max")" = 9 ]
  oci resume "$ID"
  [ "$(ctr_status "$ID")" = running ]
}

@test "update -r: a linux.resources file, or stdin" {
  start_sleeper
  cat >"$BATS_TEST_TMPDIR/resources.json" <<'EOF'
{"pids": {"limit": 7}, "memory": {"limit": 33554432}}
EOF
  oci update -r "$BATS_TEST_TMPDIR/resources.json" "$ID"
  [ "$(cat "$(cgroup_dir pids "$ID")/pids.max")" = 7 ]
  [ "$(cat "$(cgroup_dir memory "$ID")/memory.limit_in_bytes")" = 33554432 ]
  echo '{"pids": {"limit": 11}}' | oci update -r - "$ID"
  [ "$(cat "$(cgroup_dir pids "$ID")/pids.max")" = 11 ]
}

@test "update: an unknown id, a bad resources file and a bad size fail with one line" {
  run quietly oci update --pids-limit 5 nosuch-container
  [ "$status" -ne 0 ]
  assert_one_error_line "$BATS_TEST_TMPDIR/err"
  if is_hull; then grep -qF 'container "nosuch-container" does not exist' "$BATS_TEST_TMPDIR/err"; fi

  start_sleeper
  echo '{"memory": {"limit": "lots"}}' >"$BATS_TEST_TMPDIR/bad.json"
  run quietly oci update -r "$BATS_TEST_TMPDIR/bad.json" "$ID"
  [ "$status" -ne 0 ]
  assert_one_error_line "$BATS_TEST_TMPDIR/err"
  if is_hull; then grep -qF 'memory.limit: expected a number' "$BATS_TEST_TMPDIR/err"; fi

  run quietly oci update --memory 12x "$ID"
  [ "$status" -ne 0 ]
  assert_one_error_line "$BATS_TEST_TMPDIR/err"
  if is_hull; then grep -qF 'invalid value for --memory: invalid size "12x"' "$BATS_TEST_TMPDIR/err"; fi
  [ "$(cat "$(cgroup_dir pids "$ID")/pids.max")" = max ]
}

@test "update, pause and events of a stopped container fail" {
  make_bundle
  id=$(new_id)
  ctr_start_detached "$id" # probe exit 0
  wait_status "$id" stopped
  for cmd in "update --pids-limit 5" pause "events --stats"; do
    # shellcheck disable=SC2086
    run quietly oci $cmd "$id"
    [ "$status" -ne 0 ]
    assert_one_error_line "$BATS_TEST_TMPDIR/err"
    if is_hull; then grep -qF "container \"$id\"" "$BATS_TEST_TMPDIR/err"; fi
  done
}

@test "events --stats: one JSON line of type stats with the cgroup's figures" {
  start_sleeper
  oci update --pids-limit 50 "$ID"
  run oci events --stats "$ID"
  [ "$status" -eq 0 ]
  [ "$(grep -c . <<<"$output")" -eq 1 ]
  [ "$(jq -r .type <<<"$output")" = stats ]
  [ "$(jq -r .id <<<"$output")" = "$ID" ]
  [ "$(jq -r .data.pids.current <<<"$output")" -ge 1 ]
  [ "$(jq -r .data.memory.usage.usage <<<"$output")" -gt 0 ]
  [ "$(jq -r .data.cpu.usage.total <<<"$output")" -gt 0 ]
}

@test "events: stats every interval, and an oom event when the OOM killer strikes" {
  make_bundle
  with_ctl
  cfg '.linux.resources.memory = {limit: 16777216}'
  set_args sh -c "$WAIT_GO; dd if=/dev/zero of=/dev/null bs=64M count=1; exec probe sleep 1000"
  id=$(new_id)
  ctr_start_detached "$id"
  oci events --interval 100ms "$id" >"$BATS_TEST_TMPDIR/events" 2>"$BATS_TEST_TMPDIR/events.err" &
  events_pid=$!
  for ((i = 0; i < POLL_TRIES; i++)); do
    [ "$(grep -c '"type":"stats"' "$BATS_TEST_TMPDIR/events")" -ge 2 ] && break
    sleep "$POLL_SLEEP"
  done
  [ "$(grep -c '"type":"stats"' "$BATS_TEST_TMPDIR/events")" -ge 2 ]

  touch "$BATS_TEST_TMPDIR/ctl/go"
  for ((i = 0; i < POLL_TRIES; i++)); do
    grep -q '"type":"oom"' "$BATS_TEST_TMPDIR/events" && break
    sleep "$POLL_SLEEP"
  done
  grep '"type":"oom"' "$BATS_TEST_TMPDIR/events" | head -n1 >"$BATS_TEST_TMPDIR/oom"
  [ "$(jq -r .id "$BATS_TEST_TMPDIR/oom")" = "$id" ]
  [ "$(ctr_status "$id")" = running ] # dd died, the init lives on

  oci kill "$id" KILL
  wait_status "$id" stopped
  if is_hull; then
    # events ends by itself once the container has stopped (runc keeps going)
    for ((i = 0; i < POLL_TRIES; i++)); do
      kill -0 "$events_pid" 2>/dev/null || break
      sleep "$POLL_SLEEP"
    done
    refute kill -0 "$events_pid" 2>/dev/null
    wait "$events_pid"
  else
    kill "$events_pid"
    wait "$events_pid" || true
  fi
}

@test "pause, resume, update and events of a container without a cgroup fail (hull-oci)" {
  hull_only "the wording of its error"
  # A rootless container has no cgroup of ours: the state records none.
  start_sleeper
  state=$STATE_ROOT/$ID/state.json
  [ -e "$state" ] || skip "the state file of hull-oci is not where this test expects it"
  jq '.cgroupsPath = ""' "$state" >"$state.new" && mv "$state.new" "$state"
  for cmd in pause resume "update --pids-limit 5" "events --stats" "ps"; do
    # shellcheck disable=SC2086
    run quietly oci $cmd "$ID"
    [ "$status" -ne 0 ]
    assert_one_error_line "$BATS_TEST_TMPDIR/err"
    grep -qF "container \"$ID\": it has no cgroup" "$BATS_TEST_TMPDIR/err"
  done
  # teardown's delete no longer knows the cgroup: remove it as a rootless delete would not
  oci kill "$ID" KILL
  wait_status "$ID" stopped
  oci delete "$ID"
  for d in /sys/fs/cgroup/*/hulltest-"$ID"; do rmdir "$d"; done
}
