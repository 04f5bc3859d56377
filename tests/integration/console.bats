#!/usr/bin/env bats
# process.terminal: the pty the runtime makes for the container, handed to a --console-socket
# (received by tests/probe/recvtty, which relays it to a file) or relayed by `run` itself.

load helpers

# The console-socket receiver: $HULL_RECVTTY (ctest passes the CMake target's file), else
# compiled once per run like the probe.
recvtty_binary() {
  if [ -n "${HULL_RECVTTY:-}" ]; then
    echo "$HULL_RECVTTY"
    return
  fi
  local out=$BATS_RUN_TMPDIR/recvtty
  if [ ! -x "$out" ]; then
    ${CC:-cc} -O2 -o "$out.tmp.$$" "$HULL_SRC/tests/probe/recvtty.c" >&2 || return 1
    mv "$out.tmp.$$" "$out"
  fi
  echo "$out"
}

# start_recvtty [--input TEXT]: recvtty in the background on $SOCK, the pty's output on
# $BATS_TEST_TMPDIR/console.out; returns once it listens. Sets SOCK and RECVTTY_PID.
start_recvtty() {
  local bin i
  bin=$(recvtty_binary)
  SOCK=$BATS_TEST_TMPDIR/console.sock
  # 3>&-: bats waits for every holder of its fd 3 before it reports the test
  "$bin" "$SOCK" --once "$@" </dev/null >"$BATS_TEST_TMPDIR/console.out" \
    2>"$BATS_TEST_TMPDIR/console.err" 3>&- &
  RECVTTY_PID=$!
  for ((i = 0; i < POLL_TRIES; i++)); do
    [ -e "$SOCK.ready" ] && return 0
    proc_start_time "$RECVTTY_PID" >/dev/null || break
    sleep "$POLL_SLEEP"
  done
  echo "recvtty did not start listening on $SOCK:" >&2
  cat "$BATS_TEST_TMPDIR/console.err" >&2
  return 1
}

# wait_recvtty: waits (bounded by count) until recvtty has seen the pty close and exited 0;
# then sets CONSOLE to what the pty printed, without the tty's carriage returns.
wait_recvtty() {
  local i rc=0
  for ((i = 0; i < POLL_TRIES; i++)); do
    proc_start_time "$RECVTTY_PID" >/dev/null || break
    sleep "$POLL_SLEEP"
  done
  if proc_start_time "$RECVTTY_PID" >/dev/null; then
    echo "recvtty is still relaying: the pty was not closed" >&2
    return 1
  fi
  wait "$RECVTTY_PID" || rc=$?
  RECVTTY_PID=
  CONSOLE=$(tr -d '\r' <"$BATS_TEST_TMPDIR/console.out")
  echo "console: $CONSOLE"
  [ "$rc" -eq 0 ] || { cat "$BATS_TEST_TMPDIR/console.err" >&2; return 1; }
}

teardown() {
  local rc=0
  hull_teardown || rc=$?
  if [ -n "${RECVTTY_PID:-}" ]; then
    kill "$RECVTTY_PID" 2>/dev/null || true
    wait "$RECVTTY_PID" 2>/dev/null || true
  fi
  return $rc
}

# A bundle whose process has a terminal of 24 rows and 80 columns.
terminal_bundle() {
  make_bundle
  cfg '.process.terminal = true | .process.consoleSize = {height: 24, width: 80}'
}

# console_run ID: create with the console socket, start, and wait until the pty closes.
console_run() {
  ctr_create "$1" --console-socket "$SOCK" || { cat "$BATS_TEST_TMPDIR/$1.err" >&2; return 1; }
  oci start "$1"
  wait_status "$1" stopped
  wait_recvtty
}

@test "console: the process's tty is a /dev/pts pty of consoleSize, sent to --console-socket" {
  terminal_bundle
  set_args sh -c 'tty; stty size'
  start_recvtty
  console_run "$(new_id)"
  [ "$(wc -l <<<"$CONSOLE")" -eq 2 ]
  [[ "$(head -n1 <<<"$CONSOLE")" =~ ^/dev/pts/[0-9]+$ ]]
  [ "$(tail -n1 <<<"$CONSOLE")" = "24 80" ]
}

@test "console: with a terminal, /dev/console is the process's pty" {
  terminal_bundle
  set_args sh -c '[ -c /dev/console ] && echo console-is-char-device;
                  [ "$(stat -c %t:%T /dev/console)" = "$(stat -c %t:%T "$(tty)")" ] && echo same-pty'
  start_recvtty
  console_run "$(new_id)"
  [ "$CONSOLE" = "$(printf 'console-is-char-device\nsame-pty')" ]
}

@test "console: text written to the pty master reaches the process, and its echo comes back" {
  terminal_bundle
  set_args sh -c 'read -r line; echo "got:$line"'
  start_recvtty --input $'hello\n'
  console_run "$(new_id)"
  # the line discipline echoes the input, then the process answers
  [ "$CONSOLE" = "$(printf 'hello\ngot:hello')" ]
}

@test "console: create with a terminal and no --console-socket fails and leaves nothing" {
  terminal_bundle
  id=$(new_id)
  run ctr_create "$id"
  [ "$status" -ne 0 ]
  echo "stderr: $(cat "$BATS_TEST_TMPDIR/$id.err")"
  assert_nothing_left "$id"
  if is_hull; then
    assert_one_error_line "$BATS_TEST_TMPDIR/$id.err"
    grep -qF -- --console-socket "$BATS_TEST_TMPDIR/$id.err"
  fi
}

@test "console: a --console-socket nobody listens on fails create and leaves nothing" {
  terminal_bundle
  id=$(new_id)
  run ctr_create "$id" --console-socket "$BATS_TEST_TMPDIR/nobody.sock"
  [ "$status" -ne 0 ]
  echo "stderr: $(cat "$BATS_TEST_TMPDIR/$id.err")"
  assert_nothing_left "$id"
  if is_hull; then
    assert_one_error_line "$BATS_TEST_TMPDIR/$id.err"
    grep -qF nobody.sock "$BATS_TEST_TMPDIR/$id.err"
  fi
}

@test "console: run in the foreground relays the pty through the runtime (stdin not a tty)" {
  # runc's run with a terminal needs one of its own: "open /dev/tty: no such device or address"
  hull_only "relaying a terminal without a terminal on stdin"
  terminal_bundle
  set_args sh -c 'tty; echo relayed; exit 3'
  run ctr_run "$(new_id)"
  [ "$status" -eq 3 ]
  output=$(tr -d '\r' <<<"$output")
  [[ "$(head -n1 <<<"$output")" =~ ^/dev/pts/[0-9]+$ ]]
  [ "$(tail -n1 <<<"$output")" = relayed ]
}

@test "console: run in the foreground under a terminal (script) relays both ways" {
  command -v script >/dev/null || skip "script (bsdutils) is not installed"
  terminal_bundle
  set_args sh -c 'read -r line; echo "got:$line"; tty; exit 3'
  id=$(new_id)
  use_cgroup_of "$id"
  cmd=$(printf '%q ' "$HULL_OCI" --root "$STATE_ROOT" run --bundle "$BUNDLE" "$id")
  # script gives the runtime a pty of its own on stdin and stdout; -e passes the exit code on
  run bash -c 'printf "hello\n" | script -qec "$1" /dev/null >"$2" 2>&1' _ "$cmd" \
    "$BATS_TEST_TMPDIR/script.out"
  output=$(tr -d '\r\0' <"$BATS_TEST_TMPDIR/script.out")
  echo "$output"
  [ "$status" -eq 3 ]
  grep -qx 'got:hello' <<<"$output"
  grep -qx '/dev/pts/[0-9]*' <<<"$output"
}
