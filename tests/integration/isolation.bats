#!/usr/bin/env bats
# The demonstrations of namespace isolation: what a process inside sees, and that what it
# does stays inside (PID 1, hostname, IPC objects, mounts, network devices, uid map, clocks).

load helpers

# A bundle with every namespace but user and time new (the runtime's usual set plus cgroup).
isolated_bundle() {
  make_bundle
  add_ns pid net mnt ipc uts cgroup
}

@test "pid: the container's process is PID 1" {
  isolated_bundle
  set_args probe pid
  run ctr_run "$(new_id)"
  [ "$status" -eq 0 ]
  [ "$output" = 1 ]
}

@test "pid: ps inside sees only the container's processes" {
  isolated_bundle
  set_args ps -o pid,comm
  run ctr_run "$(new_id)"
  [ "$status" -eq 0 ]
  [ "$(awk '{ print $1, $2 }' <<<"$output")" = "$(printf 'PID COMMAND\n1 ps')" ]
}

@test "pid: /proc inside lists only the container's pids, the host sees another pid" {
  isolated_bundle
  with_ctl
  set_args sh -c "ls /proc | grep -E '^[0-9]+\$' | sort -n > /ctl/pids; $WAIT_GO"
  id=$(new_id)
  ctr_start_detached "$id"
  wait_file "$BATS_TEST_TMPDIR/ctl/pids" "$id"
  # sh (1) and its children ls, grep, sort: nothing of the host
  cat "$BATS_TEST_TMPDIR/ctl/pids"
  [ "$(head -n1 "$BATS_TEST_TMPDIR/ctl/pids")" = 1 ]
  [ "$(wc -l <"$BATS_TEST_TMPDIR/ctl/pids")" -le 4 ]
  refute grep -qx "$$" "$BATS_TEST_TMPDIR/ctl/pids"
  [ "$(ctr_pid "$id")" -ne 1 ]
  touch "$BATS_TEST_TMPDIR/ctl/go"
  wait_status "$id" stopped
}

@test "uts: the config's hostname and one set inside leave the host's unchanged" {
  before=$(hostname)
  isolated_bundle
  cfg '.hostname = "hulltest-uts"'
  add_caps CAP_SYS_ADMIN
  set_args sh -c 'probe hostname; hostname set-inside; probe hostname'
  run ctr_run "$(new_id)"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'hulltest-uts\nset-inside')" ]
  [ "$(hostname)" = "$before" ]
}

@test "ipc: a message queue made inside is invisible to ipcs on the host" {
  key=$(printf '0x%08x' $((0x48550000 + RANDOM)))
  refute grep -qi "^$key " <(ipcs -q)
  isolated_bundle
  with_ctl
  set_args sh -c "probe msgq $key > /ctl/msqid && $WAIT_GO"
  id=$(new_id)
  ctr_start_detached "$id"
  wait_file "$BATS_TEST_TMPDIR/ctl/msqid" "$id"
  pid=$(ctr_pid "$id")
  # it exists, in the container's IPC namespace...
  nsenter -t "$pid" -i ipcs -q | grep -i "^$key "
  # ...and not in the host's
  run bash -c "ipcs -q | grep -i '^$key '"
  if [ "$status" -eq 0 ]; then
    ipcrm -Q "$key" # leaked into the host: clean it up, then fail
    false
  fi
  touch "$BATS_TEST_TMPDIR/ctl/go"
  wait_status "$id" stopped
}

@test "mnt: a tmpfs from the config is not in the host's mountinfo" {
  isolated_bundle
  add_mount /hulltest-mnt tmpfs hulltest-cfg-tmpfs size=1m
  set_args probe sleep 1000
  id=$(new_id)
  ctr_start_detached "$id"
  pid=$(ctr_pid "$id")
  grep ' /hulltest-mnt ' "/proc/$pid/mountinfo"
  refute grep hulltest-cfg-tmpfs /proc/self/mountinfo
  refute grep "$BUNDLE" /proc/self/mountinfo
}

@test "mnt: a tmpfs mounted by the process inside does not propagate to the host" {
  isolated_bundle
  with_ctl
  add_caps CAP_SYS_ADMIN
  set_args sh -c "mount -t tmpfs hulltest-inside /tmp && touch /ctl/ready && $WAIT_GO"
  id=$(new_id)
  ctr_start_detached "$id"
  wait_file "$BATS_TEST_TMPDIR/ctl/ready" "$id"
  grep hulltest-inside "/proc/$(ctr_pid "$id")/mountinfo"
  refute grep hulltest-inside /proc/self/mountinfo
  touch "$BATS_TEST_TMPDIR/ctl/go"
  wait_status "$id" stopped
}

@test "net: a new network namespace has only lo" {
  isolated_bundle
  set_args probe links
  run ctr_run "$(new_id)"
  [ "$status" -eq 0 ]
  [ "$output" = lo ]
}

@test "net: the host's network namespace joined by path has the host's links" {
  probe=$(probe_binary)
  isolated_bundle
  join_ns net "/proc/$$/ns/net"
  set_args probe links
  run ctr_run "$(new_id)"
  [ "$status" -eq 0 ]
  [ "$output" = "$("$probe" links)" ]
}

@test "cgroup: a new cgroup namespace shows the container's cgroup as /" {
  isolated_bundle
  set_args cat /proc/self/cgroup
  run ctr_run "$(new_id)"
  [ "$status" -eq 0 ]
  [ -n "$output" ]
  refute grep -v ':/$' <<<"$output"
}

@test "cgroup: without a cgroup namespace the container sees its full cgroup path" {
  isolated_bundle
  del_ns cgroup
  set_args cat /proc/self/cgroup
  id=$(new_id)
  run ctr_run "$id"
  [ "$status" -eq 0 ]
  grep ":/hulltest-$id\$" <<<"$output"
}

@test "user: root inside is uid 100000 on the host, with the uid map written" {
  isolated_bundle
  add_userns_mapping
  with_ctl
  set_args sh -c "probe ids > /ctl/ids; probe uidmap > /ctl/uidmap; probe gidmap > /ctl/gidmap; $WAIT_GO"
  id=$(new_id)
  ctr_start_detached "$id"
  wait_file "$BATS_TEST_TMPDIR/ctl/gidmap" "$id"
  [[ "$(cat "$BATS_TEST_TMPDIR/ctl/ids")" == "uid=0 gid=0 euid=0 egid=0 "* ]]
  [ "$(cat "$BATS_TEST_TMPDIR/ctl/uidmap")" = "0 100000 65536" ]
  [ "$(cat "$BATS_TEST_TMPDIR/ctl/gidmap")" = "0 100000 65536" ]
  pid=$(ctr_pid "$id")
  [ "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" = 100000 ]
  [ "$(awk '/^Gid:/ { print $2 }' "/proc/$pid/status")" = 100000 ]
  touch "$BATS_TEST_TMPDIR/ctl/go"
  wait_status "$id" stopped
}

@test "time: a boottime offset shows in /proc/uptime" {
  [ -e /proc/self/ns/time ] || skip "this kernel has no time namespace"
  runtime_supports_ns time || skip "parity run: $HULL_OCI does not list the time namespace"
  offset=$((86400 * 10))
  isolated_bundle
  add_ns time
  cfg '.linux.timeOffsets = {boottime: {secs: $s, nanosec: 0}}' --argjson s "$offset"
  set_args probe uptime
  host_before=$(cut -d. -f1 /proc/uptime)
  run ctr_run "$(new_id)"
  host_after=$(cut -d. -f1 /proc/uptime)
  [ "$status" -eq 0 ]
  echo "host $host_before..$host_after, container $output"
  [ "$output" -ge $((host_before + offset)) ]
  [ "$output" -le $((host_after + offset)) ]
}

@test "capabilities: the default set, and reboot is refused" {
  isolated_bundle
  set_args sh -c 'probe caps; probe reboot'
  run ctr_run "$(new_id)"
  [ "$status" -eq 0 ]
  # CAP_KILL (5), CAP_NET_BIND_SERVICE (10), CAP_AUDIT_WRITE (29): runc's default set
  grep -x 'CapBnd 0000000020000420' <<<"$output"
  grep -x 'CapEff 0000000020000420' <<<"$output"
  [ "$(tail -n1 <<<"$output")" = EPERM ]
}
