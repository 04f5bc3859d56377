#!/usr/bin/env bats
# Faults: the runtime killed with SIGKILL half-way through create or while `run` waits, commands
# on containers in the wrong state or unknown, values the kernel refuses, seccomp profiles that
# cannot be built, many commands racing on one id, a zombie init, and an ordinary user without
# newuidmap. Each fails cleanly or is cleaned up by `delete --force`, and leaves nothing behind;
# hull-oci also says what is wrong in exactly one line.

load helpers

# Processes a test starts outside any container (a runtime in the background, a hook): killed
# at teardown, whether the test passed or not; recorded with their start time, so that a pid
# reused since is left alone.
kill_at_teardown() {
  local start
  start=$(proc_start_time "$1") && echo "$1 $start" >>"$BATS_TEST_TMPDIR/kill"
  return 0
}

teardown() {
  local pid start now
  # Hooks that block do so while $BATS_TEST_TMPDIR/hold exists: whatever else fails, they end.
  rm -f "$BATS_TEST_TMPDIR/hold" "$BATS_TEST_TMPDIR/ctl/hold"
  if [ -e "$BATS_TEST_TMPDIR/kill" ]; then
    while read -r pid start; do
      now=$(proc_start_time "$pid") && [ "$now" = "$start" ] && kill -KILL "$pid" 2>/dev/null
    done <"$BATS_TEST_TMPDIR/kill"
  fi
  hull_teardown
}

# died_of_signal STATUS: an exit status the shell gives a process killed by a signal (128 + the
# signal; runc's own exit(255) is not one).
died_of_signal() {
  if [ "$1" -gt 128 ] && [ "$1" -le $((128 + 64)) ]; then
    echo "the runtime died of signal $(($1 - 128)) ($(kill -l "$1" 2>/dev/null))" >&2
    return 0
  fi
  return 1
}

# clear_error_line ERR [WORD...]: hull-oci's error: exactly one line (file ERR) that contains
# every WORD, and whose context chain does not say the same thing twice ("cgroup: cgroup: ...").
clear_error_line() {
  local err=$1 word
  shift
  assert_one_error_line "$err"
  for word in "$@"; do
    grep -qF -- "$word" "$err" || { echo "error line does not mention '$word'" >&2; return 1; }
  done
  if grep -qE '(^|: )([^:]+): \2: ' "$err"; then
    echo "error line repeats a context: $(grep -oE '(^|: )([^:]+): \2: ' "$err")" >&2
    return 1
  fi
}

# refused STATUS ERR ID [WORD...]: the command failed (not killed by a signal), left nothing of
# container ID and, for hull-oci, said why in one clear line (see clear_error_line).
refused() {
  local rc=$1 err=$2 id=$3
  shift 3
  echo "exit $rc, stderr: $(cat "$err")"
  [ "$rc" -ne 0 ] || { echo "expected a non-zero exit" >&2; return 1; }
  refute died_of_signal "$rc"
  assert_nothing_left "$id"
  if is_hull; then clear_error_line "$err" "$@"; fi
}

# failed_cleanly STATUS ERR [WORD...]: as refused, for a command on an existing container (which
# stays; the caller checks its state).
failed_cleanly() {
  local rc=$1 err=$2
  shift 2
  echo "exit $rc, stderr: $(cat "$err")"
  [ "$rc" -ne 0 ] || { echo "expected a non-zero exit" >&2; return 1; }
  refute died_of_signal "$rc"
  if is_hull; then clear_error_line "$err" "$@"; fi
}

# wait_gone PID: polls (bounded by count) until PID has exited (a zombie counts as exited).
wait_gone() {
  local i
  for ((i = 0; i < POLL_TRIES; i++)); do
    proc_start_time "$1" >/dev/null || return 0
    sleep "$POLL_SLEEP"
  done
  echo "process $1 is still alive: $(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null)" >&2
  return 1
}

# The runtime in the background, as a plain command so that $! is the runtime itself (a shell
# function would run in a subshell, and $! would be that subshell).
bg_runtime() {
  "$HULL_OCI" --root "$STATE_ROOT" "$@" </dev/null >"$BATS_TEST_TMPDIR/bg.out" \
    2>"$BATS_TEST_TMPDIR/bg.err" &
  BG_PID=$!
  kill_at_teardown "$BG_PID"
}

# --- SIGKILL of the runtime -----------------------------------------------------------------

# blocked_create KIND: starts `create` of a new container ($ID) in the background ($BG_PID),
# with a KIND hook (createRuntime or createContainer, both run on the host's filesystem) that
# blocks with no timeout (until it is killed, or $BATS_TEST_TMPDIR/hold goes at teardown), and
# waits (bounded) until the hook runs. Sets HOOK_PID (the hook's host pid) and INIT_PID (the
# container's init, recorded for the leak check).
blocked_create() {
  local kind=$1 hook=$BATS_TEST_TMPDIR/blocking-hook.sh d=$BATS_TEST_TMPDIR i
  make_bundle
  set_args probe sleep 1000
  # The state on stdin gives the init's pid as the runtime sees it (createRuntime); the host's
  # /proc/self/stat gives the hook's own pid and its parent's (createContainer: the init).
  cat >"$hook" <<EOF
#!/bin/sh
sed -n 's/.*"pid": *\([0-9][0-9]*\).*/\1/p' >"$d/state.pid"
read -r self </proc/self/stat
set -- \$self
echo "\$4" >"$d/parent.pid"
echo "\$1" >"$d/hook.pid"
touch "$d/hook.entered"
while [ -e "$d/hold" ]; do sleep 0.05; done
EOF
  chmod 0755 "$hook"
  : >"$d/hold"
  cfg '.hooks[$k] = [{path: $p, args: [$p], env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]}]' \
    --arg k "$kind" --arg p "$hook"
  ID=$(new_id)
  use_cgroup_of "$ID"
  bg_runtime create --bundle "$BUNDLE" "$ID"
  for ((i = 0; i < POLL_TRIES; i++)); do
    [ -e "$d/hook.entered" ] && break
    kill -0 "$BG_PID" 2>/dev/null || break
    sleep "$POLL_SLEEP"
  done
  [ -e "$d/hook.entered" ] || { echo "the hook never ran:" >&2; cat "$d/bg.err" >&2; return 1; }
  HOOK_PID=$(cat "$d/hook.pid")
  # (checked before it is ever killed: it must be the hook, not a pid of another namespace)
  [ "$(awk '{ print $4 }' "/proc/$HOOK_PID/stat")" = "$(cat "$d/parent.pid")" ]
  kill_at_teardown "$HOOK_PID"
  if [ "$kind" = createRuntime ]; then
    INIT_PID=$(cat "$d/state.pid")
  else
    INIT_PID=$(cat "$d/parent.pid")
  fi
  [ "$INIT_PID" -gt 1 ] && [ "$INIT_PID" != "$BG_PID" ]
  echo "$INIT_PID $(proc_start_time "$INIT_PID") init" >>"$d/pids"
  echo "runtime $BG_PID, $kind hook $HOOK_PID, init $INIT_PID"
}

# kill_runtime: SIGKILL to the runtime in the background, and reaps it.
kill_runtime() {
  local rc=0
  kill -KILL "$BG_PID"
  wait "$BG_PID" || rc=$?
  [ "$rc" -eq 137 ] || { echo "the runtime exited $rc before it was killed" >&2; return 1; }
}

# remove_leftovers ID: what another runtime's delete --force left of container ID: the processes
# in its cgroup (killed), the cgroup directories and the state entry.
remove_leftovers() {
  local id=$1 cg i
  for cg in $(find /sys/fs/cgroup -maxdepth 3 -type d -name "*$id" 2>/dev/null); do
    xargs -r kill -KILL <"$cg/cgroup.procs" 2>/dev/null || true
  done
  inits_gone || true
  for ((i = 0; i < POLL_TRIES; i++)); do
    find /sys/fs/cgroup -maxdepth 3 -depth -type d -name "*$id" -delete 2>/dev/null && break
    sleep "$POLL_SLEEP"
  done
  find "$STATE_ROOT" -mindepth 1 -maxdepth 1 -name "$id" -exec rm -rf {} +
}

# forced_delete_cleans ID WHAT: `delete --force` succeeds and leaves nothing of container ID,
# and the container's init is gone (bounded polling: it may notice its parent's death late).
# Another runtime that leaves what delete --force cannot remove is skipped, saying what it left
# (cleaned up here, or teardown would count it against the test); WHAT says after what.
forced_delete_cleans() {
  local id=$1 left
  run quietly oci delete --force "$id"
  echo "delete --force: exit $status, stderr: $(cat "$BATS_TEST_TMPDIR/err")"
  if ! is_hull && { [ "$status" -ne 0 ] || [ -n "$(leaks_of "$id")" ]; }; then
    left=$( (leaks_of "$id"; live_recorded_pids | sed 's/^/process /') | paste -sd ';')
    remove_leftovers "$id"
    skip "$HULL_OCI leaves what delete --force cannot remove after $2 (delete exit $status: $(cat "$BATS_TEST_TMPDIR/err"); left: $left)"
  fi
  [ "$status" -eq 0 ]
  assert_nothing_left "$id"
  inits_gone
  run quietly oci state "$id"
  [ "$status" -ne 0 ]
}

@test "faults: SIGKILL of create inside a createRuntime hook leaves nothing delete --force cannot remove" {
  blocked_create createRuntime
  kill_runtime
  # The hook is the runtime's child, outside the container: nobody but us will end it.
  kill -KILL "$HOOK_PID"
  wait_gone "$HOOK_PID"
  # The init notices that its parent is gone (its end of the channel closes) and exits, or
  # delete --force kills it.
  forced_delete_cleans "$ID" "a SIGKILL in a createRuntime hook"
  wait_gone "$INIT_PID"
}

@test "faults: SIGKILL of create inside a createContainer hook leaves nothing delete --force cannot remove" {
  blocked_create createContainer
  kill_runtime
  # The hook is the init's child, in the container's cgroup: delete --force ends it too.
  forced_delete_cleans "$ID" "a SIGKILL in a createContainer hook"
  wait_gone "$INIT_PID"
  wait_gone "$HOOK_PID"
}

@test "faults: state and list answer while a create is blocked in a hook" {
  blocked_create createRuntime
  d=$BATS_TEST_TMPDIR
  "$HULL_OCI" --root "$STATE_ROOT" state "$ID" </dev/null >"$d/state.out" 2>"$d/state.err" &
  state_pid=$!
  kill_at_teardown "$state_pid"
  "$HULL_OCI" --root "$STATE_ROOT" list --format json </dev/null >"$d/list.out" 2>"$d/list.err" &
  list_pid=$!
  kill_at_teardown "$list_pid"
  for ((i = 0; i < POLL_TRIES; i++)); do
    kill -0 "$state_pid" 2>/dev/null || kill -0 "$list_pid" 2>/dev/null || break
    sleep "$POLL_SLEEP"
  done
  waiting=
  kill -0 "$state_pid" 2>/dev/null && waiting+=" state"
  kill -0 "$list_pid" 2>/dev/null && waiting+=" list"
  if [ -n "$waiting" ]; then
    echo "still waiting for the create to finish:$waiting" >&2
    kill -KILL "$state_pid" "$list_pid" 2>/dev/null || true
  fi
  state_rc=0
  wait "$state_pid" || state_rc=$?
  list_rc=0
  wait "$list_pid" || list_rc=$?
  echo "state: exit $state_rc $(cat "$d/state.out" "$d/state.err")"
  echo "list: exit $list_rc $(cat "$d/list.out" "$d/list.err")"
  [ -z "$waiting" ]
  refute died_of_signal "$state_rc"
  [ "$list_rc" -eq 0 ]
  # runc says the container does not exist yet; the runtime spec's word for it is "creating"
  if is_hull; then
    [ "$state_rc" -eq 0 ]
    [ "$(jq -r .status "$d/state.out")" = creating ]
  fi

  kill_runtime
  kill -KILL "$HOOK_PID"
  oci delete --force "$ID"
  # (runc leaves the cgroup: the SIGKILL test above shows that, and skips)
  is_hull || remove_leftovers "$ID"
}

@test "faults: SIGKILL of start inside a startContainer hook leaves nothing delete --force cannot remove" {
  make_bundle
  set_args probe sleep 1000
  with_ctl
  # startContainer runs inside the container, after pivot_root: a busybox script in the rootfs
  mkdir -p "$BUNDLE/rootfs/hooks"
  printf '#!/bin/sh\ntouch /ctl/entered\nwhile [ -e /ctl/hold ]; do usleep 50000; done\n' \
    >"$BUNDLE/rootfs/hooks/block.sh"
  chmod 0755 "$BUNDLE/rootfs/hooks/block.sh"
  : >"$BATS_TEST_TMPDIR/ctl/hold"
  cfg '.hooks.startContainer = [{path: "/hooks/block.sh", args: ["block.sh"], env: ["PATH=/bin"]}]'
  id=$(new_id)
  ctr_create "$id"
  bg_runtime start "$id"
  for ((i = 0; i < POLL_TRIES; i++)); do
    [ -e "$BATS_TEST_TMPDIR/ctl/entered" ] && break
    kill -0 "$BG_PID" 2>/dev/null || break
    sleep "$POLL_SLEEP"
  done
  [ -e "$BATS_TEST_TMPDIR/ctl/entered" ] || { cat "$BATS_TEST_TMPDIR/bg.err" >&2; false; }
  kill_runtime
  run quietly oci state "$id"
  cat "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err"
  [ "$status" -eq 0 ]
  # the hook is in the container's cgroup and pid namespace: delete --force ends it
  forced_delete_cleans "$id" "a SIGKILL of start in a startContainer hook"
}

@test "faults: SIGKILL of delete --force inside a poststop hook, then a second delete --force finishes" {
  make_bundle
  set_args probe sleep 1000
  d=$BATS_TEST_TMPDIR
  # blocks the first time only (while $d/hold exists), recording its pid; returns at once after
  hook=$d/poststop.sh
  cat >"$hook" <<EOF
#!/bin/sh
echo run >>"$d/poststop.runs"
[ -e "$d/poststop.entered" ] && exit 0
echo \$\$ >"$d/poststop.pid"
touch "$d/poststop.entered"
while [ -e "$d/hold" ]; do sleep 0.05; done
EOF
  chmod 0755 "$hook"
  : >"$d/hold"
  cfg '.hooks.poststop = [{path: $p, args: [$p], env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]}]' \
    --arg p "$hook"
  id=$(new_id)
  ctr_detach "$id"
  wait_status "$id" running
  bg_runtime delete --force "$id"
  for ((i = 0; i < POLL_TRIES; i++)); do
    [ -e "$d/poststop.entered" ] && break
    kill -0 "$BG_PID" 2>/dev/null || break
    sleep "$POLL_SLEEP"
  done
  [ -e "$d/poststop.entered" ] || { cat "$d/bg.err" >&2; false; }
  hook_pid=$(cat "$d/poststop.pid")
  kill_at_teardown "$hook_pid"
  kill_runtime
  kill -KILL "$hook_pid"
  wait_gone "$hook_pid"
  # the container's processes died before poststop ran
  inits_gone
  forced_delete_cleans "$id" "a SIGKILL of delete in a poststop hook"
  echo "poststop ran $(wc -l <"$d/poststop.runs") times"
}

@test "faults: SIGKILL of run in the foreground, then delete --force cleans everything" {
  make_bundle
  set_args probe sleep 1000
  id=$(new_id)
  use_cgroup_of "$id"
  bg_runtime run --bundle "$BUNDLE" "$id"
  wait_status "$id" running
  record_pid "$id"
  pid=$(ctr_pid "$id")
  [ "$pid" -gt 0 ]

  kill -KILL "$BG_PID"
  rc=0
  wait "$BG_PID" || rc=$?
  [ "$rc" -eq 137 ]
  # Nobody waits for the container now, and it is still known.
  run quietly oci state "$id"
  [ "$status" -eq 0 ]

  oci delete --force "$id"
  assert_nothing_left "$id"
  wait_gone "$pid"
  run quietly oci state "$id"
  [ "$status" -ne 0 ]
}

# --- commands on containers in the wrong state, or unknown -----------------------------------

@test "faults: exec into a stopped container is refused" {
  make_bundle
  id=$(new_id)
  ctr_start_detached "$id"
  wait_status "$id" stopped
  run quietly oci exec "$id" probe exit 0
  failed_cleanly "$status" "$BATS_TEST_TMPDIR/err" "$id" stopped
  [ ! -s "$BATS_TEST_TMPDIR/out" ]
  [ "$(ctr_status "$id")" = stopped ]
  oci delete "$id"
  assert_nothing_left "$id"
}

@test "faults: update, pause, resume and exec of an unknown id are refused" {
  # (hull-oci says it as for state, start, kill and delete: container "ID" does not exist)
  for cmd in "update --pids-limit 100" pause resume exec; do
    id=hulltest-no-such-${cmd%% *}
    args=("$id")
    [ "$cmd" = exec ] && args+=(probe exit 0)
    # shellcheck disable=SC2086
    run quietly oci $cmd "${args[@]}"
    refused "$status" "$BATS_TEST_TMPDIR/err" "$id" "\"$id\" does not exist"
    [ ! -s "$BATS_TEST_TMPDIR/out" ]
  done
}

@test "faults: start twice: the second start is refused and the container keeps running" {
  make_bundle
  set_args probe sleep 1000
  id=$(new_id)
  ctr_start_detached "$id"
  wait_status "$id" running
  pid=$(ctr_pid "$id")
  run quietly oci start "$id"
  failed_cleanly "$status" "$BATS_TEST_TMPDIR/err" "$id" running
  [ "$(ctr_status "$id")" = running ]
  [ "$(ctr_pid "$id")" = "$pid" ]
  oci delete --force "$id"
  assert_nothing_left "$id"
}

@test "faults: kill of a stopped container is refused" {
  make_bundle
  id=$(new_id)
  ctr_start_detached "$id"
  wait_status "$id" stopped
  run quietly oci kill "$id" KILL
  failed_cleanly "$status" "$BATS_TEST_TMPDIR/err" "$id"
  [ "$(ctr_status "$id")" = stopped ]
  oci delete "$id"
  assert_nothing_left "$id"
}

# --- values the kernel refuses --------------------------------------------------------------

@test "faults: a cpuset the kernel refuses fails create, naming cpuset.cpus and the value" {
  make_bundle
  set_args probe sleep 1000
  # No machine here has a cpu 999: the kernel refuses the write (ERANGE on this kernel).
  cfg '.linux.resources.cpu.cpus = "999"'
  id=$(new_id)
  run ctr_create "$id"
  refused "$status" "$BATS_TEST_TMPDIR/$id.err" "$id" cpuset.cpus 999
}

@test "faults: a cpu quota below the kernel's 1 ms minimum fails create, naming the file and value" {
  make_bundle
  set_args probe sleep 1000
  # The kernel refuses a CFS quota under 1000 us (EINVAL); on v1 the file is cpu.cfs_quota_us,
  # on v2 cpu.max.
  cfg '.linux.resources.cpu.quota = 500 | .linux.resources.cpu.period = 100000'
  id=$(new_id)
  run ctr_create "$id"
  file=cpu.cfs_quota_us
  grep -q ' - cgroup2 ' /proc/self/mountinfo && ! grep -q ' - cgroup .*cpu' /proc/self/mountinfo &&
    file=cpu.max
  refused "$status" "$BATS_TEST_TMPDIR/$id.err" "$id" "$file" 500
}

# --- seccomp --------------------------------------------------------------------------------

# seccomp_profile SYSCALLS: a profile allowing everything but the given rules (a jq array).
seccomp_profile() {
  cfg ".linux.seccomp = {defaultAction: \"SCMP_ACT_ALLOW\", syscalls: $1}"
}

# nothing_created ID: not even the container's state entry; for hull-oci, not even --root.
nothing_created() {
  [ ! -e "$STATE_ROOT/$1" ] || { echo "created: $STATE_ROOT/$1" >&2; return 1; }
  if is_hull; then
    [ ! -e "$STATE_ROOT" ] || { echo "created: $STATE_ROOT" >&2; return 1; }
  fi
}

@test "faults: a seccomp argument index past the sixth is a validation error naming its path" {
  make_bundle
  seccomp_profile '[{names: ["personality"], action: "SCMP_ACT_ERRNO",
                     args: [{index: 9, value: 1, op: "SCMP_CMP_EQ"}]}]'
  id=$(new_id)
  run ctr_create "$id"
  refused "$status" "$BATS_TEST_TMPDIR/$id.err" "$id" 'linux.seccomp.syscalls[0].args[0].index'
  nothing_created "$id"
}

@test "faults: an unknown seccomp action is a validation error naming its path" {
  make_bundle
  seccomp_profile '[{names: ["personality"], action: "SCMP_ACT_NO_SUCH_ACTION"}]'
  id=$(new_id)
  run ctr_create "$id"
  refused "$status" "$BATS_TEST_TMPDIR/$id.err" "$id" 'linux.seccomp.syscalls[0].action' \
    SCMP_ACT_NO_SUCH_ACTION
  nothing_created "$id"
}

@test "faults: an unknown seccomp syscall name is skipped, and the other rules apply" {
  make_bundle
  # reboot would fail with EPERM anyway (no CAP_SYS_BOOT): the rule's EBUSY shows it applied
  seccomp_profile '[{names: ["hulltest_no_such_syscall", "reboot"], action: "SCMP_ACT_ERRNO",
                     errnoRet: 16}]'
  set_args probe reboot
  id=$(new_id)
  run ctr_run "$id"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = EBUSY ]
  assert_nothing_left "$id"
}

@test "faults: an unknown seccomp syscall name is logged with --debug, also from the cache" {
  hull_only "the debug line of a skipped syscall"
  make_bundle
  seccomp_profile '[{names: ["hulltest_no_such_syscall"], action: "SCMP_ACT_ERRNO"}]'
  for round in compiled cached; do
    id=$(new_id)
    use_cgroup_of "$id"
    run quietly oci --debug run --bundle "$BUNDLE" "$id"
    echo "$round: exit $status, stderr: $(cat "$BATS_TEST_TMPDIR/err")"
    [ "$status" -eq 0 ]
    grep -F hulltest_no_such_syscall "$BATS_TEST_TMPDIR/err" | grep -q skipped
    assert_nothing_left "$id"
  done
}

# --- concurrency ----------------------------------------------------------------------------

# race DIR COMMAND...: runs each COMMAND (a string of words: the runtime's arguments after
# --root) at once, each in its own process held until all are forked; then checks that each
# ended cleanly: not killed by a signal, no crash or corrupt-state message. Leaves DIR/N.rc,
# .out, .err for the Nth command.
race() {
  local dir=$1 n rc p
  shift
  local -a pids=() cmd
  mkdir -p "$dir"
  for ((n = 0; n < $#; n++)); do
    read -r -a cmd <<<"${*:n+1:1}"
    echo "${cmd[*]}" >"$dir/$n.cmd"
    # (errexit holds in the subshell: a failing command must not skip writing its status)
    (
      for ((i = 0; i < POLL_TRIES * 10; i++)); do
        [ -e "$dir/go" ] && break
        sleep 0.0025
      done
      rc=0
      "$HULL_OCI" --root "$STATE_ROOT" "${cmd[@]}" </dev/null >"$dir/$n.out" 2>"$dir/$n.err" ||
        rc=$?
      echo "$rc" >"$dir/$n.rc"
    ) &
    pids+=($!)
  done
  touch "$dir/go"
  for p in "${pids[@]}"; do wait "$p"; done
  for ((n = 0; n < $#; n++)); do
    rc=$(cat "$dir/$n.rc")
    echo "$(cat "$dir/$n.cmd"): exit $rc $(head -c 300 "$dir/$n.err")"
    refute died_of_signal "$rc"
    refute grep -qi -e corrupt -e panic -e 'terminate called' -e 'segmentation' "$dir/$n.err"
    if is_hull && [ "$rc" -ne 0 ]; then assert_one_error_line "$dir/$n.err"; fi
  done
}

@test "faults: state, kill, exec and two delete --force racing on one id all end cleanly" {
  make_bundle
  set_args probe sleep 1000
  for round in 1 2 3 4 5; do
    id=$(new_id)
    ctr_start_detached "$id"
    wait_status "$id" running
    pid=$(ctr_pid "$id")
    cmds=("delete --force $id")
    for n in 1 2 3 4 5; do cmds+=("kill $id SIGCONT"); done
    for n in 1 2 3 4 5 6 7 8 9 10; do cmds+=("state $id"); done
    cmds+=("delete --force $id")
    # detached: the exit status is the runtime's own, not that of a process delete killed
    for n in 1 2 3; do cmds+=("exec --detach $id probe sleep 1000"); done
    race "$BATS_TEST_TMPDIR/race$round" "${cmds[@]}"
    dir=$BATS_TEST_TMPDIR/race$round
    # a state that answered saw the container whole
    for n in 6 7 8 9 10 11 12 13 14 15; do
      if [ "$(cat "$dir/$n.rc")" -eq 0 ]; then
        jq -e '.status | IN("running", "stopped")' "$dir/$n.out" >/dev/null
      fi
    done
    # delete --force of a container that is gone is no error (as runc)
    [ "$(cat "$dir/0.rc")" -eq 0 ]
    [ "$(cat "$dir/16.rc")" -eq 0 ]
    run quietly oci state "$id"
    [ "$status" -ne 0 ]
    assert_nothing_left "$id"
    wait_gone "$pid"
  done
}

@test "faults: creates of one id racing: exactly one wins, the others leave it alone" {
  make_bundle
  set_args probe sleep 1000
  for round in 1 2 3; do
    id=$(new_id)
    use_cgroup_of "$id"
    cmds=()
    for n in 1 2 3 4 5 6; do cmds+=("create --bundle $BUNDLE $id"); done
    race "$BATS_TEST_TMPDIR/race$round" "${cmds[@]}"
    record_pid "$id"
    dir=$BATS_TEST_TMPDIR/race$round
    won=0
    for n in 0 1 2 3 4 5; do
      if [ "$(cat "$dir/$n.rc")" -eq 0 ]; then
        won=$((won + 1))
      elif is_hull; then
        clear_error_line "$dir/$n.err" "$id" exists
      fi
    done
    status_now=$(ctr_status "$id" 2>/dev/null)
    if ! is_hull && { [ "$won" -ne 1 ] || [ "$status_now" != created ]; }; then
      left=$( (leaks_of "$id"; live_recorded_pids | sed 's/^/process /') | paste -sd ';')
      remove_leftovers "$id"
      skip "$HULL_OCI: $won of 6 creates of one id at once succeeded and the container is now '$status_now' (its check for the id and its claim of it are not one step; left: $left)"
    fi
    [ "$won" -eq 1 ]
    # the losers took nothing of the winner's away: it starts and runs in its cgroup
    [ "$status_now" = created ]
    oci start "$id"
    wait_status "$id" running
    pid=$(ctr_pid "$id")
    grep -q "hulltest-$id" "/proc/$pid/cgroup"
    oci delete --force "$id"
    assert_nothing_left "$id"
    wait_gone "$pid"
  done
}

# --- a zombie init --------------------------------------------------------------------------

# A program that makes itself a child subreaper, runs its arguments as a child and waits for
# that child alone: an orphan reparented to it stays a zombie until the child is done. Then it
# reaps whatever is left and exits with the child's status.
subreaper_binary() {
  local src=$BATS_TEST_TMPDIR/subreaper.c out=$BATS_TEST_TMPDIR/subreaper
  cat >"$src" <<'EOF'
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char** argv) {
  if (argc < 2 || prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) return 125;
  pid_t child = fork();
  if (child < 0) return 125;
  if (child == 0) {
    execvp(argv[1], argv + 1);
    _exit(127);
  }
  int status;
  if (waitpid(child, &status, 0) != child) return 125;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
EOF
  ${CC:-cc} -O2 -o "$out" "$src" >&2 || return 1
  echo "$out"
}

@test "faults: an init that is an unreaped zombie counts as stopped" {
  make_bundle
  id=$(new_id)
  use_cgroup_of "$id"
  reaper=$(subreaper_binary)
  d=$BATS_TEST_TMPDIR
  # Under the subreaper: create (the runtime exits, so the init is reparented to the
  # subreaper), start, wait until the init is a zombie, then state and delete while it is one.
  cat >"$d/zombie.sh" <<EOF
#!/bin/bash
oci() { "$HULL_OCI" --root "$STATE_ROOT" "\$@"; }
oci create --bundle "$BUNDLE" "$id" </dev/null >"$d/create.out" 2>"$d/create.err" || exit 10
oci state "$id" >"$d/created.json" || exit 11
pid=\$(jq -r .pid "$d/created.json")
oci start "$id" || exit 12
for ((i = 0; i < $POLL_TRIES; i++)); do
  s=\$(sed 's/.*) //' "/proc/\$pid/stat" | cut -d' ' -f1)
  [ "\$s" = Z ] && break
  sleep $POLL_SLEEP
done
echo "\$s" >"$d/proc-state"
awk '/^PPid:/ { print \$2 }' "/proc/\$pid/status" >"$d/ppid"
oci state "$id" >"$d/zombie.json" || exit 13
sed 's/.*) //' "/proc/\$pid/stat" | cut -d' ' -f1 >"$d/proc-state-after"
oci delete "$id" 2>"$d/delete.err" || exit 14
EOF
  chmod 0755 "$d/zombie.sh"
  run "$reaper" "$d/zombie.sh"
  echo "exit $status; $(cat "$d"/*.err 2>/dev/null)"
  cat "$d/created.json" "$d/zombie.json" || true
  [ "$status" -eq 0 ]
  # the init was a zombie, a child of the subreaper, before and after `state` looked at it
  [ "$(cat "$d/proc-state")" = Z ]
  [ "$(cat "$d/proc-state-after")" = Z ]
  [ "$(cat "$d/ppid")" != 1 ]
  [ "$(jq -r .status "$d/zombie.json")" = stopped ]
  assert_nothing_left "$id"
}

# --- rootless without newuidmap -------------------------------------------------------------

@test "faults: rootless, mapping 65536 ids without newuidmap fails naming it, with a hint" {
  command -v runuser >/dev/null || skip "runuser (util-linux) is not installed"
  [ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo 0)" -gt 0 ] ||
    skip "user namespaces are disabled (/proc/sys/user/max_user_namespaces is 0)"
  if ! getent passwd "$HULLTEST_USER" >/dev/null; then
    command -v useradd >/dev/null || skip "no user $HULLTEST_USER and no useradd to make one"
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
      "$HULLTEST_USER" 2>/dev/null || getent passwd "$HULLTEST_USER" >/dev/null
  fi
  udir=$(mktemp -d /tmp/hulltest-faults.XXXXXX)
  track_dir "$udir"
  # A PATH with no newuidmap/newgidmap in it: the mapping helper is "not installed".
  mkdir -p "$udir/bin" "$udir/nohelpers" "$udir/xdg"
  rt=$(command -v "$HULL_OCI")
  if ! runuser -u "$HULLTEST_USER" -- test -x "$rt"; then
    cp "$rt" "$udir/bin/" && rt=$udir/bin/$(basename "$rt")
  fi
  cat >"$udir/bin/oci-as-user" <<EOF
#!/bin/sh
exec runuser -u $HULLTEST_USER -- env PATH=$udir/nohelpers XDG_RUNTIME_DIR=$udir/xdg HOME=$udir "$rt" "\$@"
EOF
  chmod 0755 "$udir/bin/oci-as-user"
  uoci=$udir/bin/oci-as-user
  track_root "$uoci" "$udir/state"
  mkdir -p "$udir/bundle"
  cp -a "$(base_rootfs)" "$udir/bundle/rootfs"
  chown -R "$HULLTEST_USER:" "$udir"
  chmod 0755 "$udir"
  (cd "$udir/bundle" && "$uoci" spec --rootless)
  BUNDLE=$udir/bundle
  cfg '.process.terminal = false | .process.args = ["probe", "exit", "0"]
       | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
       | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
  chown "$HULLTEST_USER:" "$BUNDLE/config.json"
  id=$(new_id)
  run quietly "$uoci" --root "$udir/state" run --bundle "$BUNDLE" "$id"
  STATE_ROOT=$udir/state refused "$status" "$BATS_TEST_TMPDIR/err" "$id" newuidmap \
    linux.uidMappings uidmap
  [ ! -s "$BATS_TEST_TMPDIR/out" ]
  [ ! -e "$udir/state/$id" ]
}
