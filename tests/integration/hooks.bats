#!/usr/bin/env bats
# OCI hooks driven through the runtime: the lifecycle's order (prestart, createRuntime,
# createContainer, startContainer, poststart, poststop), the state each gets on stdin, the
# namespaces each runs in, and what a failing or overrunning hook does to create and start.

load helpers

# write_hook FILE: the recording hook, `FILE KIND DIR`: saves the state it gets on stdin as
# DIR/KIND.json and the namespaces it runs in as DIR/KIND.ns, then appends "$0 KIND" to
# DIR/order. Plain sh: the host's dash runs it, and busybox sh inside the rootfs.
write_hook() {
  mkdir -p "$(dirname "$1")"
  cat >"$1" <<'EOF'
#!/bin/sh
kind=$1 dir=$2
cat >"$dir/$kind.json"
for t in ipc mnt net pid uts; do echo "$t $(readlink "/proc/self/ns/$t")"; done >"$dir/$kind.ns"
echo "$0 $kind" >>"$dir/order"
EOF
  chmod 0755 "$1"
}

# A bundle with a writable rootfs (the startContainer hook writes inside it) running
# `probe sleep 1000`; the hook as $HOOK on the host and as /hooks/hook.sh in the rootfs. Every
# hook records into one log directory, $LOG on the host and /hooklog inside, so that one
# `order` file shows the order across both.
hooks_bundle() {
  make_bundle
  cfg '.root.readonly = false'
  set_args probe sleep 1000
  HOOK=$BATS_TEST_TMPDIR/hook.sh
  write_hook "$HOOK"
  write_hook "$BUNDLE/rootfs/hooks/hook.sh"
  LOG=$BUNDLE/rootfs/hooklog
  mkdir -p "$LOG"
}

# add_hook KIND [PATH [DIR]]: appends to hooks.KIND a hook PATH (default $HOOK)
# called as `PATH KIND DIR` (default $LOG), with a PATH in its environment.
add_hook() {
  local kind=$1 path=${2:-$HOOK} dir=${3:-$LOG}
  cfg '.hooks[$k] += [{path: $p, args: [$p, $k, $d], env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]}]' \
    --arg k "$kind" --arg p "$path" --arg d "$dir"
}

# The startContainer hook: its path and its log directory resolve inside the rootfs.
add_start_container_hook() { add_hook startContainer /hooks/hook.sh /hooklog; }

# All six kinds, host hooks for all but startContainer.
add_all_hooks() {
  add_hook prestart
  add_hook createRuntime
  add_hook createContainer
  add_start_container_hook
  add_hook poststart
  add_hook poststop
}

# The kinds that ran, in order.
hook_order() { awk '{ print $2 }' "$LOG/order" 2>/dev/null | paste -sd ' '; }

# hook_state KIND FIELD: a field of the state KIND got on stdin.
hook_state() { jq -r --arg f "$2" '.[$f] // "absent"' "$LOG/$1.json"; }

# The namespaces of a process, in the hook's format.
ns_of() {
  local t
  for t in ipc mnt net pid uts; do echo "$t $(readlink "/proc/$1/ns/$t")"; done
}

# A host hook that fails with status 3 (silently: its stderr is the runtime's) after recording
# the container's init (pid and start time, from the state on stdin) for the leak check.
write_failing_hook() {
  cat >"$1" <<EOF
#!/bin/sh
pid=\$(sed -n 's/.*"pid": *\([0-9][0-9]*\).*/\1/p')
stat=\$(cat "/proc/\$pid/stat")
stat=\${stat##*") "}
set -- \$stat
echo "\$pid \${20} \$0" >>"$BATS_TEST_TMPDIR/pids"
exit 3
EOF
  chmod 0755 "$1"
}

# recorded_init_gone: the container's init recorded by a failing hook is no longer alive
# (bounded polling: a runtime may reap it just after it returns).
recorded_init_gone() {
  [ -s "$BATS_TEST_TMPDIR/pids" ] || { echo "the hook recorded no pid" >&2; return 1; }
  inits_gone
}

@test "hooks: each kind runs once, in the lifecycle's order" {
  hooks_bundle
  add_all_hooks
  id=$(new_id)
  ctr_start_detached "$id"
  wait_status "$id" running
  [ "$(hook_order)" != "" ]
  echo "before delete: $(hook_order)"
  # poststop only at delete
  refute grep -q poststop "$LOG/order"
  oci delete --force "$id"
  order=$(hook_order)
  echo "order: $order"
  # runc 1.1 runs poststart at create (before startContainer): the two are compared as a pair
  # here, and in order in the poststart test
  read -r -a k <<<"$order"
  [ "${#k[@]}" -eq 6 ]
  [ "${k[*]:0:3}" = "prestart createRuntime createContainer" ]
  [ "$(printf '%s\n' "${k[3]}" "${k[4]}" | sort | paste -sd ' ')" = "poststart startContainer" ]
  [ "${k[5]}" = poststop ]
  # the startContainer hook was the script inside the rootfs, the others the host's
  grep -qx "/hooks/hook.sh startContainer" "$LOG/order"
  [ "$(grep -c "^$HOOK " "$LOG/order")" -eq 5 ]
}

@test "hooks: prestart, createRuntime and createContainer get the state: creating, id, bundle" {
  hooks_bundle
  add_hook prestart
  add_hook createRuntime
  add_hook createContainer
  id=$(new_id)
  ctr_create "$id"
  pid=$(ctr_pid "$id")
  for kind in prestart createRuntime createContainer; do
    echo "$kind: $(cat "$LOG/$kind.json")"
    [ "$(hook_state "$kind" status)" = creating ]
    [ "$(hook_state "$kind" id)" = "$id" ]
    [ "$(hook_state "$kind" bundle)" = "$BUNDLE" ]
    [ "$(hook_state "$kind" ociVersion)" != absent ]
  done
  # runtime-namespace hooks: the pid as the runtime sees it
  [ "$(hook_state prestart pid)" = "$pid" ]
  [ "$(hook_state createRuntime pid)" = "$pid" ]
}

@test "hooks: prestart and createRuntime run in the runtime's namespaces, createContainer in the container's" {
  hooks_bundle
  add_hook prestart
  add_hook createRuntime
  add_hook createContainer
  id=$(new_id)
  ctr_create "$id"
  pid=$(ctr_pid "$id")
  cat "$LOG"/*.ns
  [ "$(cat "$LOG/prestart.ns")" = "$(ns_of self)" ]
  [ "$(cat "$LOG/createRuntime.ns")" = "$(ns_of self)" ]
  [ "$(cat "$LOG/createContainer.ns")" = "$(ns_of "$pid")" ]
  [ "$(ns_of "$pid")" != "$(ns_of self)" ]
}

@test "hooks: startContainer runs inside the container after pivot_root, with status created" {
  hooks_bundle
  add_start_container_hook
  # the hook's path exists only in the rootfs: found at all, it was resolved after the pivot
  [ ! -e /hooks/hook.sh ]
  id=$(new_id)
  ctr_create "$id"
  pid=$(ctr_pid "$id")
  [ ! -e "$LOG/order" ]
  oci start "$id"
  wait_status "$id" running
  cat "$LOG/order" "$LOG/startContainer.json" "$LOG/startContainer.ns"
  [ "$(cat "$LOG/order")" = "/hooks/hook.sh startContainer" ]
  [ "$(hook_state startContainer status)" = created ]
  [ "$(hook_state startContainer id)" = "$id" ]
  [ "$(hook_state startContainer bundle)" = "$BUNDLE" ]
  [ "$(cat "$LOG/startContainer.ns")" = "$(ns_of "$pid")" ]
}

@test "hooks: createContainer and startContainer get the pid as the container sees it" {
  # runtime-spec, state: "For hooks executed in the container namespace, it is the pid as seen
  # by the container." The container's process is PID 1 of its new pid namespace.
  hooks_bundle
  add_hook createContainer
  add_start_container_hook
  id=$(new_id)
  ctr_start_detached "$id"
  wait_status "$id" running
  cat "$LOG/createContainer.json" "$LOG/startContainer.json"
  [ "$(hook_state createContainer pid)" = 1 ]
  [ "$(hook_state startContainer pid)" = 1 ]
}

@test "hooks: poststart runs after startContainer and the user program, with status running" {
  # runc 1.1 runs poststart hooks inside `create` (status "created", before the program runs)
  hull_only "poststart after the start of the user program"
  hooks_bundle
  add_start_container_hook
  add_hook poststart
  cat >>"$HOOK" <<'EOF'
pid=$(sed -n 's/.*"pid": *\([0-9][0-9]*\).*/\1/p' "$dir/$kind.json")
tr '\0' ' ' <"/proc/$pid/cmdline" >"$dir/$kind.cmdline"
EOF
  id=$(new_id)
  ctr_create "$id"
  [ ! -e "$LOG/order" ]
  oci start "$id"
  cat "$LOG/order"
  [ "$(hook_order)" = "startContainer poststart" ]
  [ "$(hook_state poststart status)" = running ]
  [ "$(hook_state poststart pid)" = "$(ctr_pid "$id")" ]
  # the container's process was already the user program when the hook ran
  [ "$(cat "$LOG/poststart.cmdline")" = "probe sleep 1000 " ]
}

@test "hooks: poststop runs at delete, with status stopped" {
  hooks_bundle
  add_hook poststop
  set_args probe exit 0
  id=$(new_id)
  ctr_start_detached "$id"
  wait_status "$id" stopped
  [ ! -e "$LOG/order" ]
  oci delete "$id"
  cat "$LOG/poststop.json"
  [ "$(hook_order)" = poststop ]
  [ "$(hook_state poststop status)" = stopped ]
  [ "$(hook_state poststop id)" = "$id" ]
  [ "$(hook_state poststop bundle)" = "$BUNDLE" ]
}

@test "hooks: a failing createRuntime hook fails create, names the hook, and leaves nothing" {
  hooks_bundle
  add_hook prestart
  write_failing_hook "$BATS_TEST_TMPDIR/fail.sh"
  cfg '.hooks.createRuntime = [{path: $p}]' --arg p "$BATS_TEST_TMPDIR/fail.sh"
  add_hook createContainer
  id=$(new_id)
  run ctr_create "$id"
  echo "stderr: $(cat "$BATS_TEST_TMPDIR/$id.err")"
  [ "$status" -ne 0 ]
  assert_nothing_left "$id"
  recorded_init_gone
  # the steps after it never ran
  [ "$(hook_order)" = prestart ]
  refute oci state "$id"
  if is_hull; then
    assert_one_error_line "$BATS_TEST_TMPDIR/$id.err"
    grep -F "createRuntime hook 0 ($BATS_TEST_TMPDIR/fail.sh)" "$BATS_TEST_TMPDIR/$id.err"
    grep -F "status 3" "$BATS_TEST_TMPDIR/$id.err"
  fi
}

@test "hooks: a failing createRuntime hook still runs the poststop hooks" {
  # runtime-spec lifecycle, step 4: a failing createRuntime hook stops the container and
  # continues at step 12 (destroy); step 13 runs the poststop hooks.
  hooks_bundle
  write_failing_hook "$BATS_TEST_TMPDIR/fail.sh"
  cfg '.hooks.createRuntime = [{path: $p}]' --arg p "$BATS_TEST_TMPDIR/fail.sh"
  add_hook poststop
  id=$(new_id)
  run ctr_create "$id"
  [ "$status" -ne 0 ]
  assert_nothing_left "$id"
  recorded_init_gone
  [ "$(hook_order)" = poststop ]
  [ "$(hook_state poststop id)" = "$id" ]
  [ "$(hook_state poststop status)" = stopped ]
}

@test "hooks: a hook that overruns its timeout fails create with a timeout error" {
  hooks_bundle
  # a copy of sleep, so that a hook left running is found by its executable
  sleeper=$BATS_TEST_TMPDIR/hulltest-sleeper
  cp "$(command -v sleep)" "$sleeper"
  cfg '.hooks.createRuntime = [{path: $p, args: [$p, "30"], timeout: 1}]' --arg p "$sleeper"
  id=$(new_id)
  run ctr_create "$id"
  echo "stderr: $(cat "$BATS_TEST_TMPDIR/$id.err")"
  [ "$status" -ne 0 ]
  assert_nothing_left "$id"
  # the hook was killed, not left behind
  left=()
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/exe" 2>/dev/null)" = "$sleeper" ] && left+=("${p#/proc/}")
  done
  if [ ${#left[@]} -gt 0 ]; then
    kill -KILL "${left[@]}" 2>/dev/null || true
    echo "hook still running: ${left[*]}" >&2
    false
  fi
  if is_hull; then
    assert_one_error_line "$BATS_TEST_TMPDIR/$id.err"
    grep -F "createRuntime hook 0 ($sleeper): timed out" "$BATS_TEST_TMPDIR/$id.err"
  else
    grep -i timeout "$BATS_TEST_TMPDIR/$id.err"
  fi
}

@test "hooks: a failing poststart hook only warns; create and start succeed" {
  # runtime-spec lifecycle, step 9: "the runtime MUST log a warning, but the remaining hooks
  # and lifecycle continue". runc 1.1 runs poststart inside create and fails create instead.
  hull_only "a poststart failure as a warning"
  hooks_bundle
  write_failing_hook "$BATS_TEST_TMPDIR/fail.sh"
  cfg '.hooks.poststart = [{path: $p}]' --arg p "$BATS_TEST_TMPDIR/fail.sh"
  id=$(new_id)
  ctr_create "$id"
  run quietly oci start "$id"
  echo "stderr: $(cat "$BATS_TEST_TMPDIR/err")"
  [ "$status" -eq 0 ]
  assert_one_error_line "$BATS_TEST_TMPDIR/err"
  grep -qF "poststart hook 0 ($BATS_TEST_TMPDIR/fail.sh)" "$BATS_TEST_TMPDIR/err"
  grep -qi warning "$BATS_TEST_TMPDIR/err"
  [ "$(ctr_status "$id")" = running ]
}

@test "hooks: a failing poststop hook only warns; delete succeeds and leaves nothing" {
  # runtime-spec lifecycle, step 13: as for poststart, a warning and the lifecycle continues
  hooks_bundle
  printf '#!/bin/sh\nexit 3\n' >"$BATS_TEST_TMPDIR/fail.sh"
  chmod 0755 "$BATS_TEST_TMPDIR/fail.sh"
  cfg '.hooks.poststop = [{path: $p}]' --arg p "$BATS_TEST_TMPDIR/fail.sh"
  set_args probe exit 0
  id=$(new_id)
  ctr_start_detached "$id"
  wait_status "$id" stopped
  run quietly oci delete "$id"
  echo "stderr: $(cat "$BATS_TEST_TMPDIR/err")"
  [ "$status" -eq 0 ]
  assert_nothing_left "$id"
  if is_hull; then
    assert_one_error_line "$BATS_TEST_TMPDIR/err"
    grep -qF "poststop hook 0 ($BATS_TEST_TMPDIR/fail.sh)" "$BATS_TEST_TMPDIR/err"
    grep -qi warning "$BATS_TEST_TMPDIR/err"
  fi
}

@test "hooks: after a failing poststart or poststop hook the remaining ones still run" {
  # "the remaining hooks and lifecycle continue as if the hook had succeeded" (steps 9, 13);
  # runc 1.1 fails create on poststart and stops at the first failing poststop hook
  hull_only "running the hooks after a failed poststart or poststop hook"
  hooks_bundle
  printf '#!/bin/sh\nexit 3\n' >"$BATS_TEST_TMPDIR/fail.sh"
  chmod 0755 "$BATS_TEST_TMPDIR/fail.sh"
  cfg '.hooks.poststart = [{path: $p}] | .hooks.poststop = [{path: $p}]' \
    --arg p "$BATS_TEST_TMPDIR/fail.sh"
  add_hook poststart
  add_hook poststop
  id=$(new_id)
  ctr_create "$id"
  run quietly oci start "$id"
  echo "start: $(cat "$BATS_TEST_TMPDIR/err")"
  [ "$status" -eq 0 ]
  run quietly oci delete --force "$id"
  echo "delete: $(cat "$BATS_TEST_TMPDIR/err")"
  [ "$status" -eq 0 ]
  echo "order: $(hook_order)"
  [ "$(hook_order)" = "poststart poststop" ]
  [ "$(hook_state poststart status)" = running ]
  [ "$(hook_state poststop status)" = stopped ]
}

@test "hooks: a failing startContainer hook fails start and the program never runs" {
  hooks_bundle
  cat >"$BUNDLE/rootfs/hooks/fail.sh" <<'EOF'
#!/bin/sh
exit 3
EOF
  chmod 0755 "$BUNDLE/rootfs/hooks/fail.sh"
  cfg '.hooks.startContainer = [{path: "/hooks/fail.sh"}]'
  set_args sh -c 'touch /ran'
  id=$(new_id)
  ctr_create "$id"
  run quietly oci start "$id"
  echo "stderr: $(cat "$BATS_TEST_TMPDIR/err")"
  wait_status "$id" stopped
  [ ! -e "$BUNDLE/rootfs/ran" ]
  # runc 1.1's start returns 0 once the exec fifo is opened; its init logs the hook's error
  if is_hull; then
    [ "$status" -ne 0 ]
    assert_one_error_line "$BATS_TEST_TMPDIR/err"
    grep -F "startContainer hook 0 (/hooks/fail.sh)" "$BATS_TEST_TMPDIR/err"
  fi
}
