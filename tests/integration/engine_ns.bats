#!/usr/bin/env bats
# `hull ns` and `hull logs` on real containers: which namespaces a container gets by default
# and with --network/--pid host or container:NAME, compared with /proc/<pid>/ns of its init;
# and a container's output read back by stream, with --tail, -t and -f.

load engine_helpers

# The host as `hull ns` sees it: pid 1, or hull itself (the same as this shell) when pid 1's
# links are closed to us.
host_ns() { stat -L -c %i "/proc/1/ns/$1" 2>/dev/null || stat -L -c %i "/proc/self/ns/$1"; }

# ns_cell SUBJECT KIND: the sharing column of SUBJECT's cell in the table of `hull ns` of
# host and SUBJECT ("private", "host", "shared:other").
ns_cell() {
  hull ns "$1" | awk -v k="$2" '$1 == k { print $5 }'
}

# The init pid of a running container, from the json report.
init_pid() { hull ns --format json "$1" | jq -r '.subjects[1].pid'; }

@test "ns: a default container has its own mnt, pid, uts, ipc, net and cgroup, the host's user and time" {
  hull run -d --name web busybox sleep 100
  for k in mnt pid pid_for_children uts ipc net cgroup; do
    echo "$k: $(ns_cell web $k)"
    [ "$(ns_cell web $k)" = private ]
  done
  for k in user time time_for_children; do
    [ -e "/proc/self/ns/$k" ] || continue
    echo "$k: $(ns_cell web $k)"
    [ "$(ns_cell web $k)" = host ]
  done
}

@test "ns: the table has a header, the host first, and an aligned column per subject" {
  hull run -d --name web busybox sleep 100
  run hull ns web
  [ "$status" -eq 0 ]
  echo "$output"
  [[ "${lines[0]}" =~ ^NAMESPACE\ +host\ +web$ ]]
  [ "${#lines[@]}" -eq 11 ]
  local net
  net=$(stat -L -c %i "/proc/$(init_pid web)/ns/net")
  [[ "$output" =~ net\ +$(host_ns net)\ host\ +$net\ private ]]
  # The web column starts at the same offset on every line.
  local col=${lines[0]%%web*}
  for line in "${lines[@]:1}"; do
    [ "${line:${#col}-1:1}" = " " ]
    [ "${line:${#col}:1}" != " " ]
  done
}

@test "ns: --network host shares the host's net namespace" {
  hull run -d --name web --network host busybox sleep 100
  [ "$(ns_cell web net)" = host ]
  [ "$(ns_cell web uts)" = private ]
}

@test "ns: --network container:A shares A's net namespace, and both say so" {
  hull run -d --name alpha busybox sleep 100
  hull run -d --name beta --network container:alpha busybox sleep 100
  run hull ns --format json alpha beta
  [ "$status" -eq 0 ]
  [ "$(jq -r '.namespaces.net.alpha.sharing' <<<"$output")" = shared ]
  [ "$(jq -r '.namespaces.net.beta.shared_with | join(",")' <<<"$output")" = alpha ]
  [ "$(jq -r '.namespaces.net.alpha.shared_with | join(",")' <<<"$output")" = beta ]
  [ "$(jq -r '.namespaces.uts.beta.sharing' <<<"$output")" = private ]
  run hull ns alpha beta
  [[ "$output" =~ shared:beta ]]
  [[ "$output" =~ shared:alpha ]]
}

@test "ns: --pid host shares the host's pid namespace" {
  hull run -d --name web --pid host busybox sleep 100
  [ "$(ns_cell web pid)" = host ]
  [ "$(ns_cell web net)" = private ]
}

@test "ns: --format json matches /proc/<pid>/ns of the container's init" {
  hull run -d --name web busybox sleep 100
  run hull ns --format json web
  [ "$status" -eq 0 ]
  local pid
  pid=$(jq -r '.subjects[1].pid' <<<"$output")
  [ "$(jq -r '.subjects[0].label' <<<"$output")" = host ]
  [ "$(jq -r '.subjects[1].label' <<<"$output")" = web ]
  local k
  for k in $(ls "/proc/$pid/ns"); do
    echo "$k: $(jq -r ".namespaces.$k.web.inode" <<<"$output") vs $(stat -L -c %i "/proc/$pid/ns/$k")"
    [ "$(jq -r ".namespaces.$k.web.inode" <<<"$output")" = "$(stat -L -c %i "/proc/$pid/ns/$k")" ]
    [ "$(jq -r ".namespaces.$k.host.inode" <<<"$output")" = "$(host_ns "$k")" ]
  done
}

@test "ns: subjects are containers, pid:N or N; without any, every running container" {
  hull run -d --name web busybox sleep 100
  hull run -d --name db busybox sleep 100
  local pid
  pid=$(init_pid web)
  run hull ns --format json "pid:$pid" "$pid" db
  [ "$status" -eq 0 ]
  [ "$(jq -c '[.subjects[].label]' <<<"$output")" = "[\"host\",\"pid $pid\",\"db\"]" ]
  run hull ns --format json
  [ "$status" -eq 0 ]
  [ "$(jq -c '[.subjects[].label] | sort' <<<"$output")" = '["db","host","web"]' ]
  [ "$(jq -r '.subjects[0].label' <<<"$output")" = host ]
}

@test "ns: a stopped container, an unknown one and a bad format are errors" {
  hull run -d --name done busybox true
  hull wait done
  run hull ns done
  [ "$status" -eq 125 ]
  [ "$output" = "hull: container done is not running" ]
  run hull ns nosuch
  [ "$status" -eq 125 ]
  [[ "$output" =~ nosuch ]]
  run hull ns --format yaml
  [ "$status" -eq 125 ]
  [[ "$output" =~ yaml ]]
}

@test "logs: stdout and stderr go back to their own streams" {
  hull run -d --name talker busybox sh -c 'echo out; echo err >&2; echo out2'
  hull wait talker
  hull logs talker >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err"
  [ "$(cat "$BATS_TEST_TMPDIR/out")" = "$(printf 'out\nout2')" ]
  [ "$(cat "$BATS_TEST_TMPDIR/err")" = err ]
}

@test "logs: --tail N and --tail all" {
  hull run -d --name talker busybox sh -c 'for i in 1 2 3 4 5; do echo line $i; done'
  hull wait talker
  run hull logs --tail 1 talker
  [ "$status" -eq 0 ]
  [ "$output" = "line 5" ]
  run hull logs -n 2 talker
  [ "$output" = "$(printf 'line 4\nline 5')" ]
  run hull logs --tail all talker
  [ "${#lines[@]}" -eq 5 ]
  run hull logs --tail x talker
  [ "$status" -eq 125 ]
  [[ "$output" =~ "invalid --tail value" ]]
}

@test "logs: -t prefixes each line with its time, as docker" {
  hull run -d --name talker busybox echo hello
  hull wait talker
  run hull logs -t talker
  [ "$status" -eq 0 ]
  echo "$output"
  [[ "$output" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z\ hello$ ]]
}

@test "logs: the log file is docker's json-file format" {
  hull run -d --name talker busybox echo hello
  hull wait talker
  local id
  id=$(ls "$ENGINE_ROOT/containers")
  local log
  log=$(find "$ENGINE_ROOT/containers/$id" -maxdepth 1 -name '*.log' | head -1)
  [ -n "$log" ]
  [ "$(jq -r .log "$log")" = hello ]
  [ "$(jq -r .stream "$log")" = stdout ]
}

@test "logs: -f prints output as it comes and ends when the container exits" {
  hull run -d --name talker busybox sh -c 'echo first; sleep 1; echo second; echo third >&2'
  run timeout 20 "$HULL" --root "$ENGINE_ROOT" --runroot "$ENGINE_RUNROOT" logs -f talker
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'first\nsecond\nthird')" ]
}

@test "logs: an unknown container is an error" {
  run hull logs nosuch
  [ "$status" -eq 125 ]
  [[ "$output" =~ nosuch ]]
}
