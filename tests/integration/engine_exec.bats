#!/usr/bin/env bats
# `hull exec`, `hull attach`, `hull start -a` and terminals: a process run in a container's
# namespaces with its user and environment, --ns with host tools, stdin with and without -i,
# real ptys (script(1) and a private tmux server) for -t, window sizes and detach keys, the
# log of a tty container, and signals forwarded by a foreground `hull run`.

load engine_helpers

setup() {
  engine_setup
  # A private tmux server whose socket lives (and goes) with the test directory.
  TMUX_SOCKET=$BATS_TEST_TMPDIR/tmux
}

teardown() {
  # Our tmux server goes first: what it runs (hull run/attach/exec) is the test's.
  tmux -S "$TMUX_SOCKET" kill-server 2>/dev/null || true
  engine_teardown
}

# The hull binary with this file's roots, as one shell-quoted string (for script -c and tmux,
# which run a command line, not our function).
hull_cmdline() {
  local line
  printf -v line '%q ' env "HULL_TEST_FILE=$BATS_FILE_TMPDIR" "$HULL" --root "$ENGINE_ROOT" \
    --runroot "$ENGINE_RUNROOT" "$@"
  echo "$line"
}

# `hull` bounded by a timeout, for commands that must return by themselves.
hull_bounded() { HULL_TEST_FILE=$BATS_FILE_TMPDIR timeout 30 "$HULL" --root "$ENGINE_ROOT" --runroot "$ENGINE_RUNROOT" "$@"; }

# in_pty ROWS COLS HULL-ARGS...: hull on a pty of that size (script(1)), stdin /dev/null.
in_pty() {
  local rows=$1 cols=$2
  shift 2
  timeout 30 script -qec "stty rows $rows cols $cols; $(hull_cmdline "$@")" /dev/null </dev/null
}

# tmux_run NAME HULL-ARGS...: hull in a 100x30 tmux window of our private server; its exit
# code goes to $BATS_TEST_TMPDIR/NAME.rc when it ends (the window then stays).
tmux_run() {
  local name=$1
  shift
  tmux -S "$TMUX_SOCKET" -f /dev/null new-session -d -x 100 -y 30 -s "$name" \
    "$(hull_cmdline "$@"); echo \$? >$BATS_TEST_TMPDIR/$name.rc; exec sleep 1000"
}

pane() { tmux -S "$TMUX_SOCKET" capture-pane -p -J -t "$1"; }
keys() { tmux -S "$TMUX_SOCKET" send-keys -t "$@"; }

# wait_pane NAME REGEX: polls (bounded) until a line of the window matches.
wait_pane() {
  local i
  for ((i = 0; i < POLL_TRIES; i++)); do
    pane "$1" | grep -qE "$2" && return 0
    sleep "$POLL_SLEEP"
  done
  echo "window $1 never showed /$2/; it shows:" >&2
  pane "$1" >&2
  return 1
}

# wait_rc NAME: polls (bounded) until the command of window NAME ended; prints its code.
wait_rc() {
  local i f=$BATS_TEST_TMPDIR/$1.rc
  for ((i = 0; i < POLL_TRIES; i++)); do
    [ -s "$f" ] && { cat "$f"; return 0; }
    sleep "$POLL_SLEEP"
  done
  echo "the command of window $1 did not end; it shows:" >&2
  pane "$1" >&2
  return 1
}

running() { [ "$(hull inspect "$1" | jq -r '.[0].State.Running')" = true ]; }

# --- exec ---------------------------------------------------------------------------------

@test "exec: the process is in every namespace of the container's init" {
  hull run -d --name web busybox sleep 1000
  run hull exec web probe ns-all
  [ "$status" -eq 0 ]
  local ns
  ns=$(hull inspect web | jq -c '.[0].Namespaces')
  for k in cgroup ipc mnt net pid uts user; do
    echo "$k: exec $(awk -v k=$k '$1 == k {print $2}' <<<"$output") init $(jq -r ".$k" <<<"$ns")"
    [ "$(awk -v k=$k '$1 == k {print $2}' <<<"$output")" = "$(jq -r ".$k" <<<"$ns")" ]
  done
  # …and not in the host's.
  [ "$(hull exec web probe ns net)" != "$(stat -L -c %i /proc/self/ns/net)" ]
}

@test "exec: the container's user, environment and working directory are the defaults" {
  hull run -d --name web -u 1000:1000 -e FOO=bar -w /tmp busybox sleep 1000
  run hull exec web probe ids
  [ "$status" -eq 0 ]
  [[ "$output" =~ ^uid=1000\ gid=1000\ euid=1000\ egid=1000 ]]
  [ "$(hull exec web probe env FOO)" = bar ]
  [ "$(hull exec web probe cwd)" = /tmp ]
}

@test "exec: the exit code passes through" {
  hull run -d --name web busybox sleep 1000
  run hull exec web sh -c 'exit 7'
  [ "$status" -eq 7 ]
  run hull exec web probe exit 0
  [ "$status" -eq 0 ]
}

@test "exec: -e, -w and -u override the container's settings" {
  hull run -d --name web -e FOO=bar busybox sleep 1000
  [ "$(hull exec -e FOO=baz -e K=V web sh -c 'echo $FOO $K')" = "baz V" ]
  [ "$(hull exec -w /tmp web probe cwd)" = /tmp ]
  run hull exec -u 1000:1000 web probe ids
  [[ "$output" =~ ^uid=1000\ gid=1000\ euid=1000\ egid=1000 ]]
  run hull exec -u root web probe ids
  [[ "$output" =~ ^uid=0\ gid=0\ euid=0\ egid=0 ]]
}

@test "exec: -u NAME is looked up in the container's /etc/passwd and /etc/group" {
  hull run -d --name web busybox sleep 1000
  hull exec web sh -c 'echo "app:x:1234:2345::/:/bin/sh" >>/etc/passwd
                       echo "app:x:2345:" >>/etc/group; echo "extra:x:3456:app" >>/etc/group'
  run hull exec -u app web probe ids
  [ "$status" -eq 0 ]
  [ "$output" = "uid=1234 gid=2345 euid=1234 egid=2345 groups=3456" ]
  run hull exec -u nosuch web true
  [ "$status" -eq 125 ]
  [ "$output" = 'hull: --user: no user "nosuch" in /etc/passwd' ]
}

@test "exec -d: returns while the process runs on" {
  hull run -d --name web busybox sleep 1000
  # The process waits for /tmp/go, which only a later exec makes: exec -d must not wait.
  run hull_bounded exec -d web sh -c 'while [ ! -e /tmp/go ]; do usleep 10000; done; echo done >/tmp/marker'
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  hull exec web touch /tmp/go
  local i
  for ((i = 0; i < POLL_TRIES; i++)); do
    [ "$(hull exec web cat /tmp/marker 2>/dev/null)" = done ] && break
    sleep "$POLL_SLEEP"
  done
  [ "$(hull exec web cat /tmp/marker)" = done ]
}

@test "exec: -i passes stdin; without it the process reads /dev/null" {
  hull run -d --name web busybox sleep 1000
  run bash -c "echo hi | $(hull_cmdline exec -i web cat)"
  [ "$status" -eq 0 ]
  [ "$output" = hi ]
  run bash -c "echo hi | $(hull_cmdline exec web sh -c 'cat; readlink /proc/self/fd/0')"
  [ "$status" -eq 0 ]
  [ "$output" = /dev/null ]
}

@test "exec --ns net: a host tool in the container's net namespace, the host's mnt" {
  hull run -d --name web busybox sleep 1000
  local net
  net=$(hull inspect web | jq -r '.[0].Namespaces.net')
  run hull exec --ns net web stat -L -c %i /proc/self/ns/net /proc/self/ns/mnt
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "$net" ]
  [ "${lines[1]}" = "$(stat -L -c %i /proc/self/ns/mnt)" ]
  # /usr/bin/stat is the host's: the container (busybox only) has no /usr.
  [ "$(hull exec --ns net web sh -c 'command -v stat')" = "$(command -v stat)" ]
}

@test "exec --ns pid,net: both joined, the rest the host's" {
  hull run -d --name web busybox sleep 1000
  local ns
  ns=$(hull inspect web | jq -c '.[0].Namespaces')
  run hull exec --ns pid,net web stat -L -c %i /proc/self/ns/pid /proc/self/ns/net \
    /proc/self/ns/uts /proc/self/ns/ipc
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "$(jq -r .pid <<<"$ns")" ]
  [ "${lines[1]}" = "$(jq -r .net <<<"$ns")" ]
  [ "${lines[2]}" = "$(stat -L -c %i /proc/self/ns/uts)" ]
  [ "${lines[3]}" = "$(stat -L -c %i /proc/self/ns/ipc)" ]
}

@test "exec --ns: an unknown namespace is one error line" {
  hull run -d --name web busybox sleep 1000
  run hull exec --ns net,bogus web true
  [ "$status" -eq 125 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" =~ ^hull:\ --ns\ \"net,bogus\":\ unknown\ namespace\ \"bogus\" ]]
}

@test "exec: a stopped or unknown container is one error line, exit 125" {
  hull run -d --name done busybox true
  hull wait done
  run hull exec done true
  [ "$status" -eq 125 ]
  [ "$output" = "hull: container done is not running" ]
  run hull exec --ns net done true
  [ "$status" -eq 125 ]
  [ "$output" = "hull: container done is not running" ]
  run hull exec nosuch true
  [ "$status" -eq 125 ]
  [ "$output" = "hull: no such container: nosuch" ]
  run hull exec done
  [ "$status" -eq 125 ]
  [[ "$output" =~ "a container and a command are required" ]]
}

# --- terminals ----------------------------------------------------------------------------

@test "run -t: the process has a pty as stdin and stdout" {
  run in_pty 24 80 run --rm -t busybox sh -c 'tty; test -t 0 && test -t 1 && echo both-ttys'
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" =~ ^/dev/pts/[0-9]+$'\r'*$ ]]
  [[ "${lines[1]}" =~ ^both-ttys$'\r'*$ ]]
}

@test "run -it: an interactive shell in a real terminal, its size, its exit code" {
  tmux_run sh run --rm -it busybox sh
  wait_pane sh '^/ # '
  keys sh 'echo $((6*7)); stty size' Enter
  wait_pane sh '^42$'
  wait_pane sh '^30 100$'
  keys sh 'exit 3' Enter
  [ "$(wait_rc sh)" = 3 ]
}

@test "exec -it: an interactive shell in a running container" {
  hull run -d --name web busybox sleep 1000
  tmux_run sh exec -it web sh
  wait_pane sh '^/ # '
  keys sh 'echo $((6*7)) $PPID; stty size' Enter
  # The shell's parent is outside the container's pid namespace: 0.
  wait_pane sh '^42 0$'
  wait_pane sh '^30 100$'
  keys sh 'exit 4' Enter
  [ "$(wait_rc sh)" = 4 ]
  running web
}

@test "exec -t: the pty has the caller's size from the start" {
  hull run -d --name web busybox sleep 1000
  # (tmux rather than script: exec -t relays our stdin even without -i, and script(1) types
  # an end-of-file character into it when its own stdin ends)
  tmux_run sz exec -t web stty size
  [ "$(wait_rc sz)" = 0 ]
  pane sz
  [ "$(pane sz | grep -c .)" -eq 1 ]
  [ "$(pane sz | grep .)" = "30 100" ]
}

@test "attach: typed input reaches the shell; ctrl-p ctrl-q detaches and the container runs on" {
  hull run -dit --name box busybox sh
  tmux_run att attach box
  keys att 'echo $((6*7)); stty size' Enter
  wait_pane att '^42$'
  wait_pane att '^30 100$'
  keys att C-p C-q
  [ "$(wait_rc att)" = 0 ]
  running box
  [[ "$(hull ps)" =~ box ]]
  # Attached again, the same shell: its variable is still set.
  hull exec box true
  tmux_run again attach box
  keys again 'X=still-here; echo $X' Enter
  wait_pane again '^still-here$'
  keys again 'exit 6' Enter
  [ "$(wait_rc again)" = 6 ]
}

@test "attach --detach-keys: the given keys detach, the default ones are typed" {
  hull run -dit --name box busybox sh
  tmux_run att attach --detach-keys ctrl-x,x box
  keys att 'echo first' Enter
  wait_pane att '^first$'
  keys att C-p C-q
  keys att C-u 'echo second' Enter
  wait_pane att '^second$'
  [ ! -e "$BATS_TEST_TMPDIR/att.rc" ]
  keys att C-x x
  [ "$(wait_rc att)" = 0 ]
  running box
  run hull attach --detach-keys ctrl-é box
  [ "$status" -eq 125 ]
  [[ "$output" =~ "unknown key" ]]
}

@test "attach -i without a tty: stdin to the container, its end ends it" {
  hull run -di --name cat busybox cat
  run bash -c "printf 'one\ntwo\n' | $(hull_cmdline attach cat)"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'one\ntwo')" ]
  [ "$(hull wait cat)" = 0 ]
}

@test "attach: a stopped or unknown container is an error" {
  hull run -d --name done busybox true
  hull wait done
  run hull attach done
  [ "$status" -eq 125 ]
  [ "$output" = "hull: container done is not running" ]
  run hull attach nosuch
  [ "$status" -eq 125 ]
  [ "$output" = "hull: no such container: nosuch" ]
}

@test "attach: a client slower than the output still gets all of it" {
  hull run -d --name big busybox sh -c 'while [ ! -e /tmp/go ]; do echo waiting; usleep 20000; done
                                         head -c 3000000 /dev/zero; echo; echo end'
  local out=$BATS_TEST_TMPDIR/out
  # Once attached, the reader takes nothing for a while: the monitor must wait for it
  # rather than drop it.
  hull_bounded attach big | { read -r; touch "$BATS_TEST_TMPDIR/attached"; sleep 2; cat; } >"$out" &
  local pid=$! i
  for ((i = 0; i < POLL_TRIES; i++)); do
    [ -e "$BATS_TEST_TMPDIR/attached" ] && break
    sleep "$POLL_SLEEP"
  done
  hull exec big touch /tmp/go
  wait "$pid"
  [ "$(tr -cd '\0' <"$out" | wc -c)" -eq 3000000 ]
  [ "$(tail -n 1 "$out")" = end ]
  [ "$(hull wait big)" = 0 ]
}

@test "start -a: streams the output of a created container and returns its exit code" {
  hull create --name job busybox sh -c 'echo to-out; echo to-err >&2; exit 4'
  run bash -c "$(hull_cmdline start -a job) 2>$BATS_TEST_TMPDIR/err"
  [ "$status" -eq 4 ]
  [ "$output" = to-out ]
  [ "$(cat "$BATS_TEST_TMPDIR/err")" = to-err ]
  [ "$(hull inspect job | jq -r '.[0].State.ExitCode')" = 4 ]
}

@test "logs: a -t container's output is logged as stdout" {
  run in_pty 24 80 run --name talker -t busybox sh -c 'echo to-out; echo to-err >&2'
  [ "$status" -eq 0 ]
  hull logs talker >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err"
  [ "$(tr -d '\r' <"$BATS_TEST_TMPDIR/out")" = "$(printf 'to-out\nto-err')" ]
  [ ! -s "$BATS_TEST_TMPDIR/err" ]
}

# --- stdin and signals without a tty -----------------------------------------------------

@test "run -i: stdin arrives whole, and a process that does not read it cannot stall its output" {
  head -c 3000000 /dev/urandom >"$BATS_TEST_TMPDIR/data"
  run bash -c "$(hull_cmdline run --rm -i busybox md5sum) <$BATS_TEST_TMPDIR/data"
  [ "$status" -eq 0 ]
  [ "${output%% *}" = "$(md5sum <"$BATS_TEST_TMPDIR/data" | cut -d' ' -f1)" ]
  # Endless input the process never reads, while it writes more than a pipe holds.
  run bash -c "yes | timeout 30 $(hull_cmdline run --rm -i busybox sh -c 'head -c 1000000 /dev/zero; echo end') | tail -c 4"
  [ "$status" -eq 0 ]
  [ "$output" = end ]
}

# sigterm_passes CODE HULL-ARGS...: runs `hull HULL-ARGS... sh -c SCRIPT` in the background,
# SCRIPT printing ready and, on SIGTERM, got before exiting CODE; once it is ready, SIGTERMs
# hull and checks that hull exits CODE with exactly that output.
sigterm_passes() {
  local code=$1 out=$BATS_TEST_TMPDIR/out
  shift
  HULL_TEST_FILE=$BATS_FILE_TMPDIR "$HULL" --root "$ENGINE_ROOT" --runroot "$ENGINE_RUNROOT" \
    "$@" sh -c "trap 'echo got; exit $code' TERM; echo ready; while :; do usleep 100000; done" \
    >"$out" </dev/null &
  local pid=$! i
  for ((i = 0; i < POLL_TRIES; i++)); do
    grep -q ready "$out" && break
    sleep "$POLL_SLEEP"
  done
  kill -TERM "$pid"
  local rc=0
  wait "$pid" || rc=$?
  [ "$rc" -eq "$code" ]
  [ "$(cat "$out")" = "$(printf 'ready\ngot')" ]
}

@test "run without -t: SIGTERM to hull reaches the container, and hull exits with its code" {
  sigterm_passes 5 run --rm busybox
}

@test "exec without -t: SIGTERM to hull reaches the process" {
  hull run -d --name web busybox sleep 1000
  sigterm_passes 6 exec web
}
