#!/usr/bin/env bats
# `hull run` end to end: the seed's namespace demonstrations (each namespace private, or the
# host's with --network/--pid/--uts/--ipc host, or another container's), PID 1, exit codes
# and stdio, the process flags (-e, -w, -u, --entrypoint, --read-only, -v, --tmpfs), the
# overlay's isolation, docker's secure defaults and the resource limits in the cgroup.

load engine_helpers
bats_require_minimum_version 1.5.0

# The host's namespace inode of KIND (this shell runs in the host's namespaces).
host_ns() { stat -L -c %i "/proc/self/ns/$1"; }

# The init pid of a running container.
init_pid() { hull inspect "$1" | jq -r '.[0].State.Pid'; }

# The cgroup directory of a running container on the v1 hierarchy CONTROLLER.
cgroup_dir() {
  local id
  id=$(hull inspect "$1" | jq -r '.[0].Id')
  echo "/sys/fs/cgroup/$2$HULL_CGROUP_PARENT/$id"
}

# --- namespaces -----------------------------------------------------------------------------

@test "run: mnt, uts, ipc, pid, net and cgroup are new; user and time are the host's" {
  run hull run --rm busybox probe ns-all
  [ "$status" -eq 0 ]
  echo "$output"
  local kind ino
  for kind in mnt uts ipc pid net cgroup; do
    ino=$(awk -v k="$kind" '$1 == k { print $2 }' <<<"$output")
    echo "$kind: container $ino, host $(host_ns "$kind")"
    [ -n "$ino" ]
    [ "$ino" != "$(host_ns "$kind")" ]
  done
  # No user namespace by default, as docker without userns-remap: root in the container is
  # root on the host, held back by capabilities, seccomp and the masked paths instead.
  for kind in user time; do
    [ -e "/proc/self/ns/$kind" ] || continue
    ino=$(awk -v k="$kind" '$1 == k { print $2 }' <<<"$output")
    echo "$kind: container $ino, host $(host_ns "$kind")"
    [ "$ino" = "$(host_ns "$kind")" ]
  done
}

@test "run: --time private gives a new time namespace; --time-offset boottime=1h moves uptime" {
  [ -e /proc/self/ns/time ] || skip "this kernel has no time namespaces"
  run hull run --rm --time private busybox probe ns time
  [ "$status" -eq 0 ]
  [ "$output" != "$(host_ns time)" ]
  run hull run --rm --time private --time-offset boottime=1h busybox probe uptime
  [ "$status" -eq 0 ]
  local host
  host=$(cut -d. -f1 /proc/uptime)
  echo "container uptime $output, host $host"
  # About an hour ahead; the slack covers the container's start.
  [ "$((output - host))" -ge 3590 ]
  [ "$((output - host))" -le 3660 ]
}

@test "run: the command is PID 1 and ps shows only the container's processes" {
  run hull run --rm busybox sh -c 'echo $$'
  [ "$status" -eq 0 ]
  [ "$output" = 1 ]
  # (Once the child has exec'd sleep, which it does at once.)
  run hull run --rm busybox sh -c \
    'sleep 100 & until ps -o args | grep -q "^[{a-z}]* *sleep"; do usleep 10000; done
     ps -o pid,args; kill $!'
  [ "$status" -eq 0 ]
  echo "$output"
  # The header, sh as 1, sleep and ps: nothing of the host's hundreds.
  [ "${#lines[@]}" -eq 4 ]
  [[ "${lines[1]}" =~ ^\ *1\ sh\ -c ]]
  # (busybox runs its applets through /proc/self/exe: ps shows "{exe} sleep 100".)
  [[ "${lines[2]}" =~ ^\ *[0-9]+\ .*sleep\ 100$ ]]
}

@test "run: --hostname sets the name; a name set inside does not reach the host" {
  run hull run --rm --hostname box busybox hostname
  [ "$status" -eq 0 ]
  [ "$output" = box ]
  local before
  before=$(hostname)
  run hull run --rm --hostname box --cap-add SYS_ADMIN busybox sh -c 'hostname other && hostname'
  [ "$status" -eq 0 ]
  [ "$output" = other ]
  [ "$(hostname)" = "$before" ]
}

@test "run: a message queue made in one container is not seen in another nor on the host" {
  local key=0x48554c4c dec=1213549644 dir
  dir=$(ctl)
  hull run -d --name queue -v "$dir:/ctl" busybox \
    sh -c 'probe msgq 0x48554c4c && cat /proc/sysvipc/msg >/ctl/msg && sleep 100'
  wait_for "$dir/msg"
  # The queue exists where it was made ...
  grep -Eq "^ *$dec " "$dir/msg"
  # ... and not on the host, where the key is free as far as we can tell from /proc.
  refute grep -Eq "^ *$dec " /proc/sysvipc/msg
  # Another container can make the same key: its ipc namespace has none.
  run hull run --rm busybox sh -c "grep -c '^ *$dec ' /proc/sysvipc/msg; probe msgq $key"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0 ]
  hull rm -f queue
}

@test "run: a tmpfs mounted inside the container is not in the host's mount table" {
  local dir tag=hulltmp$$
  dir=$(ctl)
  hull run -d --name mounter --cap-add SYS_ADMIN --security-opt seccomp=unconfined -v "$dir:/ctl" \
    busybox sh -c "mkdir -p /mnt && mount -t tmpfs $tag /mnt && cat /proc/self/mountinfo >/ctl/mounts; sleep 100"
  wait_for "$dir/mounts"
  grep -q " /mnt .* $tag " "$dir/mounts"
  refute grep -q " $tag " /proc/self/mountinfo
  refute grep -q " $tag " /proc/1/mountinfo
  hull rm -f mounter
}

@test "run: --network host shares the host's net namespace, none has only lo, the default bridge lo and eth0" {
  run hull run --rm --network host busybox probe ns net
  [ "$status" -eq 0 ]
  [ "$output" = "$(host_ns net)" ]
  run hull run --rm --network none busybox probe links
  [ "$status" -eq 0 ]
  [ "$output" = lo ]
  run hull run --rm busybox ls /sys/class/net
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'eth0\nlo')" ]
}

@test "run: --network container:X joins X's net namespace" {
  hull run -d --name netx busybox sleep 100
  local net
  net=$(stat -L -c %i "/proc/$(init_pid netx)/ns/net")
  [ "$net" != "$(host_ns net)" ]
  run hull run --rm --network container:netx busybox probe ns net
  [ "$status" -eq 0 ]
  [ "$output" = "$net" ]
  # The other namespaces stay its own.
  run hull run --rm --network container:netx busybox probe ns uts
  [ "$output" != "$(stat -L -c %i "/proc/$(init_pid netx)/ns/uts")" ]
  hull rm -f netx
}

@test "run: --pid host sees the host's pid 1; --uts host and --ipc host share theirs" {
  run hull run --rm --pid host busybox sh -c 'probe ns pid; cat /proc/1/stat'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "$(host_ns pid)" ]
  # The same process: its name and start time (its ns links need CAP_SYS_PTRACE to read).
  [ "$(cut -d' ' -f2,22 <<<"${lines[1]}")" = "$(cut -d' ' -f2,22 /proc/1/stat)" ]
  run hull run --rm --uts host busybox sh -c 'probe ns uts; hostname'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "$(host_ns uts)" ]
  [ "${lines[1]}" = "$(hostname)" ]
  run hull run --rm --ipc host busybox probe ns ipc
  [ "$status" -eq 0 ]
  [ "$output" = "$(host_ns ipc)" ]
}

# --- exit codes and stdio -------------------------------------------------------------------

@test "run: the container's exit code is ours" {
  run hull run --rm busybox sh -c 'exit 3'
  [ "$status" -eq 3 ]
  run hull run --rm busybox probe exit 0
  [ "$status" -eq 0 ]
  # A container killed by a signal: 128 + its number.
  hull run --name killed busybox sleep 100 </dev/null &
  local cli=$! i
  for ((i = 0; i < POLL_TRIES; i++)); do
    [ "$(hull inspect killed 2>/dev/null | jq -r '.[0].State.Running')" = true ] && break
    sleep "$POLL_SLEEP"
  done
  hull kill killed
  local rc=0
  wait "$cli" || rc=$?
  [ "$rc" -eq 137 ]
  hull rm killed
}

@test "run: a command not found is 127 and names the command; nothing is left" {
  run -127 hull run --rm busybox nosuchcommand
  echo "$output"
  [ "$status" -eq 127 ]
  [[ "$output" =~ nosuchcommand ]]
  run -127 hull run busybox /bin/nosuch
  echo "$output"
  [ "$status" -eq 127 ]
  [[ "$output" =~ /bin/nosuch ]]
  # As docker, a container whose command was not found is removed (nothing ran).
  [ -z "$(hull ps -aq)" ]
}

@test "run: an unknown image is exit 125 with one error line naming it" {
  run quietly hull run --rm nosuchimage true
  [ "$status" -eq 125 ]
  cat "$BATS_TEST_TMPDIR/err"
  assert_one_error_line "$BATS_TEST_TMPDIR/err"
  grep -q nosuchimage "$BATS_TEST_TMPDIR/err"
  [ ! -s "$BATS_TEST_TMPDIR/out" ]
}

@test "run: stdout and stderr of a foreground run stay apart; -i passes stdin" {
  hull run --rm busybox sh -c 'echo out; echo err >&2' >"$BATS_TEST_TMPDIR/o" 2>"$BATS_TEST_TMPDIR/e"
  [ "$(cat "$BATS_TEST_TMPDIR/o")" = out ]
  [ "$(cat "$BATS_TEST_TMPDIR/e")" = err ]
  [ "$(echo hi | hull run --rm -i busybox cat)" = hi ]
  # Without -i the container's stdin is empty.
  [ -z "$(echo hi | hull run --rm busybox cat)" ]
}

# --- process flags --------------------------------------------------------------------------

@test "run: -e, --env-file, -w and --entrypoint" {
  printf 'FROMFILE=yes\n# a comment\nSECOND=2\n' >"$BATS_TEST_TMPDIR/env"
  run hull run --rm -e A=1 --env-file "$BATS_TEST_TMPDIR/env" busybox \
    sh -c 'echo $A $FROMFILE $SECOND'
  [ "$status" -eq 0 ]
  [ "$output" = "1 yes 2" ]
  run hull run --rm -w /etc busybox probe cwd
  [ "$status" -eq 0 ]
  [ "$output" = /etc ]
  run hull run --rm --entrypoint /bin/echo busybox a b
  [ "$status" -eq 0 ]
  [ "$output" = "a b" ]
}

@test "run: -u 1000:1000 runs as that user, without capabilities" {
  run hull run --rm -u 1000:1000 busybox probe ids
  [ "$status" -eq 0 ]
  [[ "$output" =~ ^uid=1000\ gid=1000\ euid=1000\ egid=1000 ]]
  run hull run --rm -u 1000:1000 busybox sh -c 'grep CapEff /proc/self/status'
  [[ "$output" =~ 0000000000000000 ]]
}

@test "run: --read-only refuses writes to / and /tmp unless --tmpfs makes one" {
  run hull run --rm --read-only busybox touch /file
  [ "$status" -ne 0 ]
  [[ "$output" =~ Read-only ]]
  # As docker, --read-only covers /tmp too.
  run hull run --rm --read-only busybox touch /tmp/file
  [ "$status" -ne 0 ]
  run hull run --rm --read-only --tmpfs /tmp busybox sh -c 'touch /tmp/file && echo ok'
  [ "$status" -eq 0 ]
  [ "$output" = ok ]
  run hull run --rm --tmpfs /scratch busybox sh -c 'grep " /scratch " /proc/self/mountinfo'
  [ "$status" -eq 0 ]
  [[ "$output" =~ tmpfs ]]
}

@test "run: -v binds a host directory; :ro refuses writes" {
  local dir=$BATS_TEST_TMPDIR/vol
  mkdir -p "$dir"
  hull run --rm -v "$dir:/data" busybox sh -c 'echo from-inside >/data/file'
  [ "$(cat "$dir/file")" = from-inside ]
  run hull run --rm -v "$dir:/data:ro" busybox sh -c 'cat /data/file && echo x >/data/other'
  [ "$status" -ne 0 ]
  [ "${lines[0]}" = from-inside ]
  [[ "$output" =~ Read-only ]]
  [ ! -e "$dir/other" ]
}

# --- the overlay ----------------------------------------------------------------------------

@test "run: a file written in one container is seen by no other, nor in the image's layers" {
  local dir
  dir=$(ctl)
  hull run -d --name alpha -v "$dir:/ctl" busybox sh -c 'echo x >/etc/marker && touch /ctl/a; sleep 100'
  hull run -d --name beta busybox sleep 100
  wait_for "$dir/a"
  # beta is running from the same image, now.
  run hull run --rm busybox cat /etc/marker
  [ "$status" -ne 0 ]
  [ "$(cat "/proc/$(init_pid alpha)/root/etc/marker")" = x ]
  [ ! -e "/proc/$(init_pid beta)/root/etc/marker" ]
  # The write went to alpha's upper dir, and to no layer of the image.
  local upper lower layers
  upper=$(hull inspect alpha | jq -r '.[0].GraphDriver.Data.UpperDir')
  [ "$(cat "$upper/etc/marker")" = x ]
  lower=$(hull inspect alpha | jq -r '.[0].GraphDriver.Data.LowerDir')
  [ -n "$lower" ]
  IFS=: read -ra layers <<<"$lower"
  for l in "${layers[@]}"; do
    [ -d "$l/bin" ]
    [ ! -e "$l/etc/marker" ]
  done
  [ -z "$(find "$ENGINE_ROOT/images" -name marker)" ]
  hull rm -f alpha beta
}

# --- secure defaults ------------------------------------------------------------------------

@test "run: the bounding set is docker's default; --privileged gives more" {
  run hull run --rm busybox sh -c 'grep CapBnd /proc/self/status'
  [ "$status" -eq 0 ]
  [[ "$output" =~ 00000000a80425fb$ ]]
  run hull run --rm --privileged busybox sh -c 'grep CapBnd /proc/self/status'
  [ "$status" -eq 0 ]
  [[ ! "$output" =~ 00000000a80425fb$ ]]
  [ "$(awk '$1 == "CapBnd:" {print $2}' <<<"$output")" = "$(awk '$1 == "CapBnd:" {print $2}' /proc/self/status)" ]
}

@test "run: seccomp is on by default and off with seccomp=unconfined" {
  run hull run --rm busybox grep Seccomp: /proc/self/status
  [ "$status" -eq 0 ]
  [[ "$output" =~ Seccomp:.2$ ]]
  run hull run --rm --security-opt seccomp=unconfined busybox grep Seccomp: /proc/self/status
  [ "$status" -eq 0 ]
  [[ "$output" =~ Seccomp:.0$ ]]
  # The default profile refuses a user namespace to a process without CAP_SYS_ADMIN, which
  # the kernel alone would allow.
  run hull run --rm busybox unshare -U true
  [ "$status" -ne 0 ]
  [[ "$output" =~ "Operation not permitted" ]]
  run hull run --rm --security-opt seccomp=unconfined busybox unshare -U true
  [ "$status" -eq 0 ]
}

@test "run: /proc/kcore, /proc/keys and /proc/timer_list are masked; /proc/sys is read-only" {
  local f n=0
  for f in /proc/kcore /proc/keys /proc/timer_list; do
    [ -e "$f" ] || continue # (this kernel may not have /proc/kcore)
    run hull run --rm busybox sh -c "wc -c <$f; grep -c ' $f ' /proc/self/mountinfo"
    echo "$f: $output"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 0 ]
    [ "${lines[1]}" = 1 ]
    n=$((n + 1))
  done
  [ "$n" -ge 2 ]
  run hull run --rm busybox sh -c 'echo 1 >/proc/sys/kernel/ns_last_pid'
  [ "$status" -ne 0 ]
  [[ "$output" =~ Read-only ]]
}

# --- resources ------------------------------------------------------------------------------

@test "run: --memory, --pids-limit, --cpus, --cpu-shares and --cpuset-cpus reach the cgroup" {
  [ -d /sys/fs/cgroup/memory ] || skip "this host has no cgroup v1 memory hierarchy"
  hull run -d --name limits --memory 64m --pids-limit 50 --cpus 0.5 --cpu-shares 512 \
    --cpuset-cpus 0 busybox sleep 100
  [ "$(cat "$(cgroup_dir limits memory)/memory.limit_in_bytes")" = 67108864 ]
  [ "$(cat "$(cgroup_dir limits pids)/pids.max")" = 50 ]
  [ "$(cat "$(cgroup_dir limits cpu)/cpu.cfs_quota_us")" = 50000 ]
  [ "$(cat "$(cgroup_dir limits cpu)/cpu.cfs_period_us")" = 100000 ]
  [ "$(cat "$(cgroup_dir limits cpu)/cpu.shares")" = 512 ]
  [ "$(cat "$(cgroup_dir limits cpuset)/cpuset.cpus")" = 0 ]
  # The container's init is in them.
  grep -qx "$(init_pid limits)" "$(cgroup_dir limits memory)/cgroup.procs"
  # And the container sees its own cgroup as the root of its cgroup namespace.
  run hull run --rm busybox cat /proc/self/cgroup
  [ "$status" -eq 0 ]
  grep -qx '[0-9]*:memory:/' <<<"$output"
  hull rm -f limits
}

@test "run: a container at its pids limit cannot fork" {
  # PID 1 exits at once; the sleeps that did start die with its pid namespace.
  run hull run --rm --pids-limit 5 busybox sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 100 & done'
  echo "$output"
  [[ "$output" =~ "can't fork" ]]
}
