#!/usr/bin/env bats
# A container's life through `hull`: run -d, ps, lookups by name and id prefix, create/
# start/stop/restart/rm, names, wait, kill, pause, inspect, --rm, restart policies, twenty
# containers at once, and faults: a monitor or a foreground CLI killed, a record left
# half-made, an image in use, bad flags. Teardown checks that nothing is left.

load engine_helpers

# A field of `hull inspect` (jq path below .[0]).
field() { hull inspect "$1" | jq -r ".[0]$2"; }

# wait_field CONTAINER PATH VALUE: polls (bounded by count) until the field has VALUE.
wait_field() {
  local i v=
  for ((i = 0; i < POLL_TRIES; i++)); do
    v=$(field "$1" "$2" 2>/dev/null)
    [ "$v" = "$3" ] && return 0
    sleep "$POLL_SLEEP"
  done
  echo "$1: $2 is '$v', expected '$3'" >&2
  return 1
}

# The STATUS column of `hull ps -a` for a container name.
ps_status() { hull ps -a --format json | jq -r --arg n "$1" '.[] | select(.Names == $n) | .Status'; }

# The state letter of a process (field 3 of /proc/PID/stat), or nothing if it is gone.
proc_state() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  stat=${stat##*) }
  echo "${stat%% *}"
}

# The parent pid of a process.
proc_ppid() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  set -- $stat
  echo "$2"
}

# --- run, ps and lookups --------------------------------------------------------------------

@test "lifecycle: run -d prints a 64-hex id; ps lists it by name, -q by short id, json parses" {
  run hull run -d --name web busybox sleep 100
  [ "$status" -eq 0 ]
  [[ "$output" =~ ^[0-9a-f]{64}$ ]]
  local id=$output
  run hull ps
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" =~ ^CONTAINER\ ID ]]
  [[ "${lines[1]}" =~ ^${id:0:12}\ .*busybox.*Up.*\ web$ ]]
  [ "$(hull ps -q)" = "${id:0:12}" ]
  [ "$(hull ps -q --no-trunc)" = "$id" ]
  run hull ps --format json
  [ "$(jq -r '.[0].Id' <<<"$output")" = "$id" ]
  [ "$(jq -r '.[0].Names' <<<"$output")" = web ]
  [ "$(jq -r '.[0].State' <<<"$output")" = running ]
  [ "$(jq -r '.[0].Pid' <<<"$output")" -gt 1 ]
  hull rm -f web
}

@test "lifecycle: ps -a shows exited containers with their exit code; ps does not" {
  hull run --name done3 busybox sh -c 'exit 3' || [ $? -eq 3 ]
  hull run -d --name up busybox sleep 100
  run hull ps
  [[ ! "$output" =~ done3 ]]
  [[ "$output" =~ up ]]
  run hull ps -a
  [[ "$output" =~ Exited\ \(3\).*done3 ]]
  [ "$(ps_status done3 | cut -d' ' -f1-2)" = "Exited (3)" ]
  hull rm -f done3 up
}

@test "lifecycle: a unique id prefix finds a container; an ambiguous or unknown one is an error" {
  # Seventeen ids: two of them share their first hex digit.
  local i
  for i in $(seq 17); do hull create --name "c$i" busybox true >/dev/null & done
  wait
  [ "$(hull ps -aq | wc -l)" -eq 17 ]
  local id
  id=$(field c1 .Id)
  [ "$(field "${id:0:8}" .Name)" = /c1 ]
  local dup
  dup=$(hull ps -aq --no-trunc | cut -c1 | sort | uniq -d | head -1)
  [ -n "$dup" ]
  run hull inspect "$dup"
  [ "$status" -eq 125 ]
  [[ "$output" =~ ambiguous ]]
  run hull rm nosuchcontainer
  [ "$status" -ne 0 ]
  [ "$output" = "hull: no such container: nosuchcontainer" ]
  for i in $(seq 17); do hull rm "c$i" >/dev/null & done
  wait
  [ -z "$(hull ps -aq)" ]
}

# --- create, start, stop, restart, rm -------------------------------------------------------

@test "lifecycle: create, start, stop, start again, restart and rm" {
  # sh ends on SIGTERM with 42 (sleep as PID 1 would ignore it: the kernel protects an
  # init from signals it has no handler for).
  run hull create --name box busybox sh -c 'trap "exit 42" TERM; while :; do usleep 20000; done'
  [ "$status" -eq 0 ]
  [[ "$output" =~ ^[0-9a-f]{64}$ ]]
  [ "$(ps_status box)" = created ]
  [ "$(field box .State.Status)" = created ]
  [ -z "$(hull ps -q)" ]
  [ "$(hull start box)" = box ]
  [ "$(field box .State.Status)" = running ]
  local pid1
  pid1=$(field box .State.Pid)
  [ -d "/proc/$pid1" ]
  [ "$(hull stop -t 5 box)" = box ]
  [ "$(field box .State.Status)" = exited ]
  [ "$(field box .State.Running)" = false ]
  [ "$(field box .State.ExitCode)" = 42 ]
  assert_process_gone "$pid1"
  hull start box
  local pid2
  pid2=$(field box .State.Pid)
  [ "$pid2" != "$pid1" ]
  hull restart -t 1 box
  [ "$(field box .State.Status)" = running ]
  [ "$(field box .State.Pid)" != "$pid2" ]
  assert_process_gone "$pid2"
  run hull rm box
  [ "$status" -ne 0 ]
  hull stop box
  hull rm box
  run hull inspect box
  [ "$status" -eq 125 ]
}

@test "lifecycle: stop -t 1 kills a process that ignores SIGTERM" {
  hull run -d --name stubborn busybox sh -c 'trap "" TERM; while :; do sleep 1; done'
  local pid
  pid=$(field stubborn .State.Pid)
  hull stop -t 1 stubborn
  [ "$(field stubborn .State.Status)" = exited ]
  [ "$(field stubborn .State.ExitCode)" = 137 ]
  assert_process_gone "$pid"
  hull rm stubborn
}

@test "lifecycle: rm of a running container is refused without -f; rm -f kills it" {
  hull run -d --name busy busybox sleep 100
  local pid
  pid=$(field busy .State.Pid)
  run hull rm busy
  [ "$status" -ne 0 ]
  [[ "$output" =~ running ]]
  [[ "$output" =~ rm\ -f ]]
  [ "$(field busy .State.Running)" = true ]
  run hull rm -f busy
  [ "$status" -eq 0 ]
  [ "$output" = busy ]
  assert_process_gone "$pid"
  [ -z "$(hull ps -aq)" ]
}

@test "lifecycle: a name is taken once, naming its holder; rename frees the old one" {
  local id
  id=$(hull run -d --name web busybox sleep 100)
  run hull run -d --name web busybox sleep 100
  [ "$status" -eq 125 ]
  [[ "$output" =~ \"web\" ]]
  [[ "$output" =~ ${id:0:12} ]]
  [ "$(hull ps -aq | wc -l)" -eq 1 ]
  hull rename web api
  [ "$(field api .Id)" = "$id" ]
  [ "$(field api .Name)" = /api ]
  run hull inspect web
  [ "$status" -eq 125 ]
  # The old name is free again; the new one is taken.
  hull create --name web busybox true
  run hull rename web api
  [ "$status" -eq 125 ]
  [[ "$output" =~ api ]]
  hull rm -f web api
}

# --- wait, kill, pause ----------------------------------------------------------------------

@test "lifecycle: wait prints the exit code; kill delivers a signal" {
  hull run -d --name seven busybox sh -c 'exit 7'
  [ "$(hull wait seven)" = 7 ]
  local dir
  dir=$(ctl)
  hull run -d --name sig -v "$dir:/ctl" busybox \
    sh -c 'trap "echo usr1 >/ctl/got" USR1; touch /ctl/ready; while :; do sleep 1; done'
  wait_for "$dir/ready"
  hull kill -s USR1 sig
  wait_for "$dir/got"
  [ "$(cat "$dir/got")" = usr1 ]
  [ "$(field sig .State.Running)" = true ]
  hull kill sig
  [ "$(hull wait sig)" = 137 ]
  hull rm seven sig
}

@test "lifecycle: pause freezes the container and unpause thaws it" {
  local dir
  dir=$(ctl)
  hull run -d --name counter -v "$dir:/ctl" busybox \
    sh -c 'i=0; while :; do i=$((i+1)); echo $i >/ctl/n.tmp; mv /ctl/n.tmp /ctl/n; usleep 10000; done'
  wait_for "$dir/n"
  hull pause counter
  [ "$(field counter .State.Status)" = paused ]
  [ "$(field counter .State.Paused)" = true ]
  [[ "$(ps_status counter)" =~ ^Up.*\(Paused\)$ ]]
  local n
  n=$(cat "$dir/n")
  sleep 0.3
  [ "$(cat "$dir/n")" = "$n" ]
  hull unpause counter
  [ "$(field counter .State.Status)" = running ]
  local i
  for ((i = 0; i < POLL_TRIES; i++)); do
    [ "$(cat "$dir/n")" != "$n" ] && break
    sleep "$POLL_SLEEP"
  done
  [ "$(cat "$dir/n")" != "$n" ]
  # A paused container stops too.
  hull pause counter
  hull stop -t 1 counter
  [ "$(field counter .State.Status)" = exited ]
  hull rm counter
}

@test "lifecycle: inspect shows the state, the name and the namespaces of the init" {
  hull run -d --name web busybox sleep 100
  run hull inspect web
  [ "$status" -eq 0 ]
  local j=$output pid
  [ "$(jq -r '.[0].State.Status' <<<"$j")" = running ]
  [ "$(jq -r '.[0].State.Running' <<<"$j")" = true ]
  [ "$(jq -r '.[0].State.ExitCode' <<<"$j")" = null ]
  [ "$(jq -r '.[0].Name' <<<"$j")" = /web ]
  pid=$(jq -r '.[0].State.Pid' <<<"$j")
  [ "$(cat "/proc/$pid/comm")" = sleep ]
  local k n=0
  for k in $(ls "/proc/$pid/ns"); do
    echo "$k: $(jq -r ".[0].Namespaces.$k" <<<"$j") vs $(stat -L -c %i "/proc/$pid/ns/$k")"
    [ "$(jq -r ".[0].Namespaces.$k" <<<"$j")" = "$(stat -L -c %i "/proc/$pid/ns/$k")" ]
    n=$((n + 1))
  done
  [ "$n" -ge 7 ]
  hull stop -t 1 web
  [ "$(field web .State.ExitCode)" = 137 ] || [ "$(field web .State.ExitCode)" = 143 ]
  [ "$(field web .State.Pid)" = 0 ]
  hull rm web
}

@test "lifecycle: --rm with -d: the container is gone once it exits" {
  local dir
  dir=$(ctl)
  hull run -d --rm --name brief -v "$dir:/ctl" busybox sh -c "$WAIT_GO"
  [ "$(field brief .State.Running)" = true ]
  touch "$dir/go"
  local i
  for ((i = 0; i < POLL_TRIES; i++)); do
    [ -z "$(hull ps -aq)" ] && break
    sleep "$POLL_SLEEP"
  done
  [ -z "$(hull ps -aq)" ]
  run hull inspect brief
  [ "$status" -eq 125 ]
}

# --- restart policies -----------------------------------------------------------------------

@test "lifecycle: --restart on-failure:2 restarts twice, then stays exited" {
  hull run -d --name flaky --restart on-failure:2 busybox sh -c 'exit 1'
  wait_field flaky .RestartCount 2
  wait_field flaky .State.Status exited
  [ "$(field flaky .State.ExitCode)" = 1 ]
  # The monitor has given up: no third start.
  [ "$(hull wait flaky)" = 1 ]
  [ "$(field flaky .RestartCount)" = 2 ]
  hull rm flaky
}

@test "lifecycle: --restart always restarts after exit 0; stop ends it for good" {
  hull run -d --name again --restart always busybox sh -c 'usleep 100000; exit 0'
  wait_field again .RestartCount 2
  hull stop -t 1 again
  [ "$(field again .State.Status)" = exited ]
  local count
  count=$(field again .RestartCount)
  # The monitor is gone: nothing can start it again.
  [ "$(hull wait again)" -ge 0 ]
  [ "$(field again .State.Status)" = exited ]
  [ "$(field again .RestartCount)" = "$count" ]
  hull rm again
}

@test "lifecycle: a container that keeps restarting needs rm -f, which ends it" {
  hull run -d --name looping --restart always busybox sh -c 'exit 1'
  wait_field looping .RestartCount 1
  # Running, or between two starts: either way refused without -f.
  run hull rm looping
  [ "$status" -eq 125 ] || [ "$status" -eq 1 ]
  [[ "$output" =~ "rm -f" ]]
  [ "$(hull ps -aq | wc -l)" -eq 1 ]
  hull rm -f looping
  [ -z "$(hull ps -aq)" ]
}

@test "lifecycle: --restart no (the default) does not restart" {
  hull run -d --name once --restart no busybox sh -c 'exit 1'
  [ "$(hull wait once)" = 1 ]
  [ "$(field once .RestartCount)" = 0 ]
  [ "$(field once .State.Status)" = exited ]
  hull run -d --name once2 busybox sh -c 'exit 1'
  [ "$(hull wait once2)" = 1 ]
  [ "$(field once2 .RestartCount)" = 0 ]
  hull rm once once2
}

# --- concurrency ----------------------------------------------------------------------------

@test "lifecycle: twenty containers started at once get distinct ids and names" {
  local i
  for i in $(seq 20); do
    hull run -d busybox sleep 100 >"$BATS_TEST_TMPDIR/id$i" 2>"$BATS_TEST_TMPDIR/err$i" &
  done
  local failed=0
  for job in $(jobs -p); do wait "$job" || failed=$((failed + 1)); done
  cat "$BATS_TEST_TMPDIR"/err* >&2
  [ "$failed" -eq 0 ]
  [ "$(cat "$BATS_TEST_TMPDIR"/id* | sort -u | grep -cE '^[0-9a-f]{64}$')" -eq 20 ]
  run hull ps --format json
  [ "$(jq 'length' <<<"$output")" -eq 20 ]
  [ "$(jq -r '.[].Names' <<<"$output" | sort -u | wc -l)" -eq 20 ]
  [ "$(jq -r '.[].State' <<<"$output" | sort -u)" = running ]
  for i in $(seq 20); do hull rm -f "$(cat "$BATS_TEST_TMPDIR/id$i")" >/dev/null & done
  failed=0
  for job in $(jobs -p); do wait "$job" || failed=$((failed + 1)); done
  [ "$failed" -eq 0 ]
  [ -z "$(hull ps -aq)" ]
  [ -z "$(engine_container_ids)" ]
}

# --- faults ---------------------------------------------------------------------------------

@test "faults: a monitor killed by SIGKILL: the container dies with it and reads as exited" {
  hull run -d --name orphan busybox sleep 100
  local pid mon
  pid=$(field orphan .State.Pid)
  mon=$(proc_ppid "$pid")
  [ "$(cat "/proc/$mon/comm")" = hull-monitor ]
  kill -KILL "$mon"
  # The parent-death signal kills the init (a zombie counts as gone).
  assert_process_gone "$pid"
  run hull ps -a
  echo "$output"
  [[ "$output" =~ Exited\ \(unknown\).*orphan ]]
  [ "$(field orphan .State.Running)" = false ]
  [ "$(field orphan .State.Status)" = exited ]
  [ "$(field orphan .State.ExitCode)" = null ]
  hull rm -f orphan
  [ -z "$(hull ps -aq)" ]
}

@test "faults: a foreground hull run killed by SIGKILL leaves the container to its monitor" {
  hull run --name fg busybox sleep 100 </dev/null >/dev/null 2>&1 &
  local cli=$! i
  for ((i = 0; i < POLL_TRIES; i++)); do
    [ "$(field fg .State.Running 2>/dev/null)" = true ] && break
    sleep "$POLL_SLEEP"
  done
  kill -KILL "$cli"
  wait "$cli" || true
  local pid
  pid=$(field fg .State.Pid)
  [ "$(field fg .State.Running)" = true ]
  [ "$(proc_state "$pid")" = S ]
  [ "$(cat "/proc/$(proc_ppid "$pid")/comm")" = hull-monitor ]
  hull rm -f fg
  assert_process_gone "$pid"
}

@test "faults: a record left in state creating by a dead creator is cleaned up" {
  local id dir
  id=$(hull create --name halfmade busybox true)
  dir=$ENGINE_ROOT/containers/$id
  jq '.state = "creating"' "$dir/record.json" >"$dir/record.json.new"
  mv "$dir/record.json.new" "$dir/record.json"
  # Nobody holds monitor.lock: the creator is gone.
  run hull ps -a
  [ "$status" -eq 0 ]
  [[ ! "$output" =~ halfmade ]]
  [ ! -e "$dir" ]
  [ ! -e "$ENGINE_ROOT/names/halfmade" ]
  [ -z "$(ls "$ENGINE_RUNROOT/oci" 2>/dev/null | grep -v '^seccomp-cache$')" ]
  # The name is free again.
  hull create --name halfmade busybox true
  hull rm halfmade
}

@test "faults: rmi of an image a container uses is refused with one error line" {
  hull create --name user busybox true
  run quietly hull rmi busybox
  [ "$status" -ne 0 ]
  cat "$BATS_TEST_TMPDIR/err"
  assert_one_error_line "$BATS_TEST_TMPDIR/err"
  grep -q busybox "$BATS_TEST_TMPDIR/err"
  hull images | grep -q busybox
  hull rm user
}

@test "faults: bad flags are exit 125 with one line naming the flag, and make nothing" {
  local args
  for args in "--nosuchflag" "--memory 12x" "--restart sometimes" "--network nosuchnet" \
    "--cpus lots" "--pids-limit many"; do
    # shellcheck disable=SC2086
    run quietly hull run $args busybox true
    echo "$args: $status $(cat "$BATS_TEST_TMPDIR/err")"
    [ "$status" -eq 125 ]
    assert_one_error_line "$BATS_TEST_TMPDIR/err"
    grep -q -- "${args%% *}" "$BATS_TEST_TMPDIR/err"
    if [ "${args#* }" != "$args" ]; then grep -q -- "${args#* }" "$BATS_TEST_TMPDIR/err"; fi
  done
  run quietly hull run
  [ "$status" -eq 125 ]
  assert_one_error_line "$BATS_TEST_TMPDIR/err"
  grep -q image "$BATS_TEST_TMPDIR/err"
  [ -z "$(hull ps -aq)" ]
  [ -z "$(engine_container_ids)" ]
}
