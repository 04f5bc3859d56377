# Helpers for the black-box integration tests of hull-oci (bats).
#
# The runtime under test is $HULL_OCI (default: $HULL_BUILD/hull-oci), so the whole suite also
# runs against runc or crun: `HULL_OCI=runc bats tests/integration`. Each test gets its own
# --root state directory and bundles under $BATS_TEST_TMPDIR; teardown force-deletes what the
# test created and fails the test if any mount, state entry, cgroup or process of it is left.

HULL_SRC=${HULL_SRC:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
HULL_BUILD=${HULL_BUILD:-$HULL_SRC/build}
HULL_OCI=${HULL_OCI:-$HULL_BUILD/hull-oci}
RUNC=${RUNC:-$(command -v runc || echo /usr/sbin/runc)}

# The tests' unprivileged user, for the rootless demonstrations.
HULLTEST_USER=hulltest

# Polling bounds for state transitions: 400 x 25 ms. A bound on tries, not a timed assertion.
POLL_TRIES=400
POLL_SLEEP=0.025

# --- the runtime --------------------------------------------------------------------------

# True when the runtime under test is ours (and not runc/crun in a parity run).
is_hull() { [[ $(basename "$HULL_OCI") == hull-oci* ]]; }

# Skips a check of hull-oci's own behaviour (error wording) when another runtime is tested.
hull_only() {
  is_hull || skip "parity run: $1 is hull-oci's own behaviour; runtime under test is $HULL_OCI"
}

# The runtime with this test's private state root.
oci() { "$HULL_OCI" --root "$STATE_ROOT" "$@"; }

# The namespace types the runtime lists in `features` (hull-oci must support all eight).
runtime_supports_ns() {
  is_hull && return 0
  "$HULL_OCI" features 2>/dev/null | jq -e --arg t "$1" '.linux.namespaces | index($t)' >/dev/null
}

# --- the rootfs ---------------------------------------------------------------------------

# Prints the path of the probe binary, compiling tests/probe/probe.c once per run unless
# $HULL_PROBE names a built one (ctest passes the CMake target's file).
probe_binary() {
  if [ -n "${HULL_PROBE:-}" ]; then
    echo "$HULL_PROBE"
    return
  fi
  local out=$BATS_RUN_TMPDIR/probe
  if [ ! -x "$out" ]; then
    ${CC:-cc} -O2 -static -o "$out.tmp.$$" "$HULL_SRC/tests/probe/probe.c" >&2 || return 1
    mv "$out.tmp.$$" "$out"
  fi
  echo "$out"
}

# Builds the busybox rootfs once per bats run: busybox-static, one symlink per applet, and the
# probe as /bin/probe. Prints its path.
base_rootfs() {
  local dir=$BATS_RUN_TMPDIR/rootfs
  (
    flock 9
    if [ ! -e "$dir/.done" ]; then
      local probe
      probe=$(probe_binary) || exit 1
      rm -rf "$dir"
      mkdir -p "$dir"/{bin,dev,proc,sys,tmp,etc,root}
      chmod 1777 "$dir/tmp"
      cp /bin/busybox "$dir/bin/busybox"
      local applet
      for applet in $(/bin/busybox --list); do
        [ "$applet" = busybox ] || ln -sf busybox "$dir/bin/$applet"
      done
      install -m 0755 "$probe" "$dir/bin/probe"
      echo 'root:x:0:0:root:/root:/bin/sh' >"$dir/etc/passwd"
      echo 'root:x:0:' >"$dir/etc/group"
      touch "$dir/.done"
    fi
  ) 9>"$BATS_RUN_TMPDIR/rootfs.lock" || return 1
  echo "$dir"
}

# --- bundles ------------------------------------------------------------------------------

# make_bundle [DIR]: a bundle with a private copy of the rootfs and the runtime's own
# `spec`, made non-interactive and running `probe exit 0`. Sets BUNDLE.
make_bundle() {
  local dir=${1:-$BATS_TEST_TMPDIR/bundle$((++BUNDLE_SEQ))}
  local rootfs
  rootfs=$(base_rootfs) || return 1
  mkdir -p "$dir"
  cp -a "$rootfs" "$dir/rootfs"
  rm -f "$dir/rootfs/.done"
  "$HULL_OCI" spec --bundle "$dir" || return 1
  BUNDLE=$dir
  cfg '.process.terminal = false | .process.args = ["probe", "exit", "0"]'
}

# cfg FILTER [jq options...]: edits $BUNDLE/config.json in place with jq.
cfg() {
  local filter=$1
  shift
  jq "$filter" "$BUNDLE/config.json" "$@" >"$BUNDLE/config.json.new" &&
    mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
}

# set_args WORD...: the process's argv ("--" keeps jq from reading "-c" as its own flag).
set_args() { cfg '.process.args = $ARGS.positional' --args -- "$@"; }

# The name the OCI spec uses for a /proc/self/ns entry.
spec_ns_name() {
  case $1 in
    net) echo network ;;
    mnt) echo mount ;;
    *) echo "$1" ;;
  esac
}

# add_ns TYPE...: new namespaces of these types (TYPE as in /proc/*/ns: net, mnt...).
add_ns() {
  local types=() t
  for t in "$@"; do types+=("$(spec_ns_name "$t")"); done
  cfg '.linux.namespaces = ([.linux.namespaces[] | select(.type | IN($ARGS.positional[]) | not)]
                            + [$ARGS.positional[] | {type: .}])' --args -- "${types[@]}"
}

# join_ns TYPE PATH: the namespace of TYPE at PATH (e.g. /proc/$$/ns/net: --network=host).
join_ns() {
  cfg '.linux.namespaces = ([.linux.namespaces[] | select(.type != $t)] + [{type: $t, path: $p}])' \
    --arg t "$(spec_ns_name "$1")" --arg p "$2"
}

# del_ns TYPE: share TYPE with the runtime's caller (the host).
del_ns() {
  # A hostname needs a private UTS namespace; runtimes refuse one without it.
  cfg '.linux.namespaces = [.linux.namespaces[] | select(.type != $t)]
       | if $t == "uts" then del(.hostname) else . end' --arg t "$(spec_ns_name "$1")"
}

# A root-owned user namespace: container 0..65535 is host 100000..165535.
add_userns_mapping() {
  cfg '.linux.namespaces = ([.linux.namespaces[] | select(.type != "user")] + [{type: "user"}])
     | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
     | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
}

# add_caps CAP...: adds capabilities to the bounding, effective and permitted sets.
add_caps() {
  cfg '$ARGS.positional as $c
       | .process.capabilities |= (.bounding += $c | .effective += $c | .permitted += $c)' \
    --args -- "$@"
}

# add_mount DEST TYPE SOURCE [OPTION...]
add_mount() {
  local dest=$1 type=$2 source=$3
  shift 3
  cfg '.mounts += [{destination: $d, type: $t, source: $s, options: $ARGS.positional}]' \
    --arg d "$dest" --arg t "$type" --arg s "$source" --args -- "$@"
}

# --- containers ---------------------------------------------------------------------------

# new_id: a container id unique to this test, remembered for teardown. (ht<test>-<n>-<pid>:
# no id is a substring of another, so leak checks can match names that contain an id.)
new_id() {
  local n
  n=$(wc -l <"$BATS_TEST_TMPDIR/ids")
  local id="ht${BATS_SUITE_TEST_NUMBER}-$n-$$"
  echo "$id" >>"$BATS_TEST_TMPDIR/ids"
  echo "$id"
}

# The cgroup every container of the tests is put in, so teardown knows where to look.
# (A config.json that is not JSON is left as it is: the bad-input tests make such.)
use_cgroup_of() {
  cfg '.linux.cgroupsPath = $p' --arg p "/hulltest-$1" 2>/dev/null || rm -f "$BUNDLE/config.json.new"
}

# ctr_run ID [run flags...]: `run` in the foreground; the container's output is ours.
ctr_run() {
  local id=$1
  shift
  use_cgroup_of "$id"
  oci run --bundle "$BUNDLE" "$@" "$id" </dev/null
}

# ctr_create ID [create flags...]: `create`, with the container's stdio on files so that no
# pipe of bats is held by it: $BATS_TEST_TMPDIR/ID.out and ID.err (the runtime's errors too).
ctr_create() {
  local id=$1
  shift
  use_cgroup_of "$id"
  oci create --bundle "$BUNDLE" "$@" "$id" </dev/null >"$BATS_TEST_TMPDIR/$id.out" \
    2>"$BATS_TEST_TMPDIR/$id.err"
  local rc=$?
  record_pid "$id"
  return $rc
}

# ctr_detach ID: `run --detach`, stdio on files as for ctr_create.
ctr_detach() {
  local id=$1
  shift
  use_cgroup_of "$id"
  oci run --detach --bundle "$BUNDLE" "$@" "$id" </dev/null >"$BATS_TEST_TMPDIR/$id.out" \
    2>"$BATS_TEST_TMPDIR/$id.err"
  local rc=$?
  record_pid "$id"
  return $rc
}

# ctr_start_detached ID: create + start; fails the test if either fails.
ctr_start_detached() {
  ctr_create "$1" || { cat "$BATS_TEST_TMPDIR/$1.err" >&2; return 1; }
  oci start "$1"
}

# A top-level field of `state` (sed rather than jq: these run in polling loops).
state_field() {
  oci state "$1" | tr -d '\n' | sed -n "s/.*\"$2\": *\"\{0,1\}\([^\",}]*\).*/\1/p"
}
ctr_status() { state_field "$1" status; }
ctr_pid() { state_field "$1" pid; }

# wait_status ID STATUS: polls (bounded by count) until the container reaches STATUS.
wait_status() {
  local i s=
  for ((i = 0; i < POLL_TRIES; i++)); do
    s=$(ctr_status "$1" 2>/dev/null)
    [ "$s" = "$2" ] && return 0
    sleep "$POLL_SLEEP"
  done
  echo "container $1 is '$s', expected '$2'" >&2
  return 1
}

# wait_file PATH ID: polls (bounded by count) until PATH exists; gives up early if container
# ID has stopped, showing what it printed.
wait_file() {
  local i
  for ((i = 0; i < POLL_TRIES; i++)); do
    [ -e "$1" ] && return 0
    [ "$(ctr_status "$2" 2>/dev/null)" != stopped ] || break
    sleep "$POLL_SLEEP"
  done
  echo "$1 did not appear; container $2 printed:" >&2
  cat "$BATS_TEST_TMPDIR/$2.out" "$BATS_TEST_TMPDIR/$2.err" >&2
  return 1
}

# with_ctl: bind-mounts $BATS_TEST_TMPDIR/ctl at /ctl, for files the host and container share.
with_ctl() {
  mkdir -p "$BATS_TEST_TMPDIR/ctl"
  chmod 0777 "$BATS_TEST_TMPDIR/ctl"
  mkdir -p "$BUNDLE/rootfs/ctl"
  add_mount /ctl bind "$BATS_TEST_TMPDIR/ctl" rbind rw
}

# A shell line that waits until the host creates /ctl/go.
WAIT_GO='while [ ! -e /ctl/go ]; do usleep 10000; done'

# quietly CMD...: runs CMD with stdout and stderr on $BATS_TEST_TMPDIR/out and err (so that a
# container started by mistake cannot hold a pipe of bats); use as `run quietly oci ...`.
quietly() { "$@" </dev/null >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err"; }

# refute CMD...: fails if CMD succeeds. (A bare `! CMD` never fails a bats test: errexit
# ignores negated commands.)
refute() {
  if "$@"; then
    echo "expected to fail: $*" >&2
    return 1
  fi
}

# The runtime's one-line error for a failed command, as the tests require of hull-oci.
assert_one_error_line() {
  local file=$1 n
  n=$(grep -c . "$file")
  if [ "$n" -ne 1 ]; then
    echo "expected exactly one non-empty line on stderr, got $n:" >&2
    cat "$file" >&2
    return 1
  fi
}

# --- processes ----------------------------------------------------------------------------

# Field 22 (start time) of /proc/PID/stat, or nothing if the process is gone or a zombie.
proc_start_time() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  # shellcheck disable=SC2086
  set -- $stat
  [ "$1" != Z ] && [ "$1" != X ] || return 1
  echo "${20}"
}

# assert_process_gone PID: polls (bounded by count) until PID is gone or a zombie, and fails
# if it is still alive then.
assert_process_gone() {
  local i
  for ((i = 0; i < POLL_TRIES; i++)); do
    proc_start_time "$1" >/dev/null || return 0
    sleep "$POLL_SLEEP"
  done
  echo "process $1 is still alive" >&2
  return 1
}

# record_pid ID: notes the container's init (pid and start time) for the leak check.
record_pid() {
  local pid start
  pid=$(ctr_pid "$1" 2>/dev/null)
  [ -n "$pid" ] && [ "$pid" -gt 0 ] || return 0
  start=$(proc_start_time "$pid") || return 0
  echo "$pid $start $1" >>"$BATS_TEST_TMPDIR/pids"
}

# Host processes still alive (not zombies) among those recorded.
live_recorded_pids() {
  local pid start id now
  [ -e "$BATS_TEST_TMPDIR/pids" ] || return 0
  while read -r pid start id; do
    now=$(proc_start_time "$pid") && [ "$now" = "$start" ] && echo "$pid"
  done <"$BATS_TEST_TMPDIR/pids" | sort -u
}

# inits_gone: polls (bounded by count) until no recorded container init is alive.
inits_gone() {
  local i live
  for ((i = 0; i < POLL_TRIES; i++)); do
    live=$(live_recorded_pids)
    [ -z "$live" ] && return 0
    sleep "$POLL_SLEEP"
  done
  echo "still alive: $live" >&2
  return 1
}

# --- per-test setup and the leak check ----------------------------------------------------

# Host directories outside $BATS_TEST_TMPDIR that a test made (rootless bundles): removed and
# checked for mounts at teardown.
track_dir() { echo "$1" >>"$BATS_TEST_TMPDIR/dirs"; }

# track_root RUNTIME ROOT: another runtime and state root a test uses (parity runs two).
track_root() { printf '%s\t%s\n' "$1" "$2" >>"$BATS_TEST_TMPDIR/roots"; }

setup() { hull_setup; }

hull_setup() {
  if [ ! -x "$HULL_OCI" ] && ! command -v "$HULL_OCI" >/dev/null; then
    echo "runtime not found: $HULL_OCI (build hull-oci or set HULL_OCI)" >&2
    return 1
  fi
  # bats makes its temporary directories 0700; a container's root in a user namespace is
  # not root on the host and must be able to reach its rootfs.
  local dir=$BATS_TEST_TMPDIR
  while [ "${#dir}" -ge "${#BATS_RUN_TMPDIR}" ]; do
    chmod o+x "$dir"
    dir=$(dirname "$dir")
  done
  STATE_ROOT=$BATS_TEST_TMPDIR/state
  BUNDLE_SEQ=0
  : >"$BATS_TEST_TMPDIR/ids"
  : >"$BATS_TEST_TMPDIR/pids"
  : >"$BATS_TEST_TMPDIR/dirs"
  : >"$BATS_TEST_TMPDIR/roots"
  track_root "$HULL_OCI" "$STATE_ROOT"
}

# Mount points of the host's mounts whose line mentions DIR or a path under it (deepest
# first, for umount).
mounts_under() {
  awk -v d="$1" 'index($0 " ", d "/") || index($0 " ", d " ") { print $5 }' /proc/self/mountinfo |
    sort -r
}

teardown() { hull_teardown; }

# leaks_of ID: prints what container ID left on the host (state entry, cgroup, mount of the
# test's directory); nothing when it left nothing.
leaks_of() {
  local id=$1 m
  find "$STATE_ROOT" -mindepth 1 -name "*$id*" 2>/dev/null | sed 's/^/state /'
  find /sys/fs/cgroup -maxdepth 3 -type d -name "*$id" 2>/dev/null | sed 's/^/cgroup /'
  for m in $(mounts_under "$BATS_TEST_TMPDIR"); do echo "mount $m"; done
}

assert_nothing_left() {
  local leaks
  leaks=$(leaks_of "$1")
  [ -z "$leaks" ] || { echo "left behind by $1:" >&2; echo "$leaks" >&2; return 1; }
}

hull_teardown() {
  local id pid rt root dir leaks=() m cg
  local -a ids=() roots=() dirs=()
  [ -e "$BATS_TEST_TMPDIR/roots" ] || return 0 # setup did not get that far
  mapfile -t ids <"$BATS_TEST_TMPDIR/ids"
  mapfile -t dirs <"$BATS_TEST_TMPDIR/dirs"

  # 1. What a user would do: force-delete every container of the test, under every root.
  while IFS=$'\t' read -r -u 3 rt root; do
    roots+=("$root")
    for id in "${ids[@]}"; do
      HULL_OCI=$rt STATE_ROOT=$root record_pid "$id"
      "$rt" --root "$root" delete --force "$id" >/dev/null 2>&1 || true
    done
  done 3<"$BATS_TEST_TMPDIR/roots"

  # 2. Processes: the init of every container must be gone (a zombie counts as gone).
  local i live=
  for ((i = 0; i < POLL_TRIES; i++)); do
    live=$(live_recorded_pids)
    [ -z "$live" ] && break
    sleep "$POLL_SLEEP"
  done
  for pid in $live; do
    leaks+=("process $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null))")
    kill -KILL "$pid" 2>/dev/null || true
  done

  # 3. Mounts: nothing mounted under the test's directories.
  for dir in "$BATS_TEST_TMPDIR" "${dirs[@]}"; do
    for m in $(mounts_under "$dir"); do
      leaks+=("mount $m")
      umount -l "$m" 2>/dev/null || true
    done
  done

  # 4. State: no entry of any container id under any state root.
  for root in "${roots[@]}"; do
    [ -d "$root" ] || continue
    for id in "${ids[@]}"; do
      for m in $(find "$root" -mindepth 1 -name "*$id*" 2>/dev/null); do
        leaks+=("state $m")
        rm -rf "$m"
      done
    done
  done

  # 5. Cgroups: no directory named after a container id (cgroupsPath /hulltest-<id>, or the
  #    id itself where a runtime picks the path) on any hierarchy.
  for id in "${ids[@]}"; do
    for cg in $(find /sys/fs/cgroup -maxdepth 3 -type d -name "*$id" 2>/dev/null | sort -r); do
      leaks+=("cgroup $cg")
      rmdir "$cg" 2>/dev/null || true
    done
  done

  for dir in "${dirs[@]}"; do
    rm -rf "$dir"
  done

  if [ ${#leaks[@]} -gt 0 ]; then
    printf 'leaked: %s\n' "${leaks[@]}" >&2
    return 1
  fi
}
