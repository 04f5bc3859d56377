#!/usr/bin/env bats
# runc parity: the same bundle under runc and under $HULL_OCI, in one test, must give the same
# shape of `state` and `list --format json` (keys and JSON types) and the same exit codes.
# With HULL_OCI=runc this compares runc with itself.

load helpers

setup() {
  hull_setup
  [ -x "$RUNC" ] || skip "runc is not installed ($RUNC)"
  make_bundle
  # annotations are optional in the state document; set one so both runtimes print the key
  cfg '.annotations = {"org.hulltest.parity": "yes"}'
}

# The keys of a JSON object with the type of each value, sorted: "bundle:string" ...
shape() { jq -r 'to_entries[] | "\(.key):\(.value | type)"' | sort; }

# states RUNTIME ROOT: the shape of state and list at each step of a container's life.
states() {
  local rt=$1 root=$2 id
  id=$(new_id)
  track_root "$rt" "$root"
  set_args probe sleep 1000
  use_cgroup_of "$id"
  "$rt" --root "$root" create --bundle "$BUNDLE" "$id" </dev/null >/dev/null 2>&1
  echo "== state, created"
  "$rt" --root "$root" state "$id" | shape
  echo "== list --format json, created"
  "$rt" --root "$root" list --format json | jq -c 'type, length'
  "$rt" --root "$root" list --format json | jq '.[0]' | shape
  "$rt" --root "$root" start "$id"
  echo "== state, running"
  "$rt" --root "$root" state "$id" | shape
  "$rt" --root "$root" kill "$id" KILL
  for ((i = 0; i < POLL_TRIES; i++)); do
    [ "$("$rt" --root "$root" state "$id" | jq -r .status)" = stopped ] && break
    sleep "$POLL_SLEEP"
  done
  echo "== state, stopped"
  "$rt" --root "$root" state "$id" | shape
  echo "== list --format json, stopped"
  "$rt" --root "$root" list --format json | jq '.[0]' | shape
  "$rt" --root "$root" delete "$id"
  echo "== list -q, none"
  "$rt" --root "$root" list -q
}

# exit_codes RUNTIME ROOT: "what: exit code" for the runc behaviours clients rely on.
exit_codes() {
  local rt=$1 root=$2 id
  track_root "$rt" "$root"
  o() { "$rt" --root "$root" "$@" </dev/null >/dev/null 2>&1; echo "$?"; }

  id=$(new_id)
  set_args probe exit 3
  use_cgroup_of "$id"
  echo "run of exit 3: $(o run --bundle "$BUNDLE" "$id")"
  echo "state of an unknown id: $(o state hulltest-nosuch)"
  echo "start of an unknown id: $(o start hulltest-nosuch)"
  echo "kill of an unknown id: $(o kill hulltest-nosuch KILL)"
  echo "delete of an unknown id: $(o delete hulltest-nosuch)"
  echo "delete --force of an unknown id: $(o delete --force hulltest-nosuch)"

  id=$(new_id)
  set_args probe sleep 1000
  use_cgroup_of "$id"
  echo "create: $(o create --bundle "$BUNDLE" "$id")"
  echo "create with a duplicate id: $(o create --bundle "$BUNDLE" "$id")"
  echo "start: $(o start "$id")"
  echo "start of a running container: $(o start "$id")"
  echo "kill with a bad signal: $(o kill "$id" NOSUCHSIG)"
  echo "delete of a running container: $(o delete "$id")"
  echo "delete --force of a running container: $(o delete --force "$id")"
}

@test "parity: state and list JSON have runc's keys and types" {
  states "$RUNC" "$BATS_TEST_TMPDIR/state-runc" >"$BATS_TEST_TMPDIR/runc.txt"
  states "$HULL_OCI" "$BATS_TEST_TMPDIR/state-under-test" >"$BATS_TEST_TMPDIR/test.txt"
  cat "$BATS_TEST_TMPDIR/runc.txt"
  diff -u "$BATS_TEST_TMPDIR/runc.txt" "$BATS_TEST_TMPDIR/test.txt"
}

@test "parity: exit codes match runc's" {
  exit_codes "$RUNC" "$BATS_TEST_TMPDIR/state-runc" >"$BATS_TEST_TMPDIR/runc.txt"
  exit_codes "$HULL_OCI" "$BATS_TEST_TMPDIR/state-under-test" >"$BATS_TEST_TMPDIR/test.txt"
  cat "$BATS_TEST_TMPDIR/runc.txt"
  diff -u "$BATS_TEST_TMPDIR/runc.txt" "$BATS_TEST_TMPDIR/test.txt"
}

# caps_with_runc_spec RUNTIME ROOT: `probe caps` and the exit code in a bundle whose config is
# the one `runc spec` writes (as other tools hand runtimes configs they did not write).
caps_with_runc_spec() {
  local rt=$1 root=$2 id rc=0
  track_root "$rt" "$root"
  id=$(new_id)
  use_cgroup_of "$id"
  "$rt" --root "$root" run --bundle "$BUNDLE" "$id" </dev/null 2>"$BATS_TEST_TMPDIR/$id.err" || rc=$?
  echo "exit code: $rc"
  [ "$rc" -eq 0 ] || head -n1 "$BATS_TEST_TMPDIR/$id.err"
}

@test "parity: both run the bundle that runc spec writes, with the same capabilities" {
  rm "$BUNDLE/config.json"
  (cd "$BUNDLE" && "$RUNC" spec)
  cfg '.process.terminal = false | .process.args = ["probe", "caps"]'
  caps_with_runc_spec "$RUNC" "$BATS_TEST_TMPDIR/state-runc" >"$BATS_TEST_TMPDIR/runc.txt"
  caps_with_runc_spec "$HULL_OCI" "$BATS_TEST_TMPDIR/state-under-test" >"$BATS_TEST_TMPDIR/test.txt"
  cat "$BATS_TEST_TMPDIR/runc.txt"
  diff -u "$BATS_TEST_TMPDIR/runc.txt" "$BATS_TEST_TMPDIR/test.txt"
}
