#!/usr/bin/env bats
# Bad input: each is refused with a non-zero exit and leaves nothing behind (no state entry,
# mount, cgroup or process). hull-oci must also say what is wrong in exactly one line.

load helpers

# refused STATUS ERR ID [WORD...]: the command failed, left nothing of container ID and, for
# hull-oci, wrote exactly one line to stderr (file ERR) that contains every WORD.
refused() {
  local rc=$1 err=$2 id=$3
  shift 3
  [ "$rc" -ne 0 ] || { echo "expected a non-zero exit" >&2; return 1; }
  echo "stderr: $(cat "$err")"
  assert_nothing_left "$id"
  if is_hull; then
    assert_one_error_line "$err"
    local word
    for word in "$@"; do
      grep -qF -- "$word" "$err" || { echo "error line does not mention '$word'" >&2; return 1; }
    done
  fi
}

@test "bad input: malformed config.json" {
  make_bundle
  printf '{ "ociVersion": "1.0.2", "process": { "args": [' >"$BUNDLE/config.json"
  id=$(new_id)
  run ctr_create "$id"
  refused "$status" "$BATS_TEST_TMPDIR/$id.err" "$id" config.json
}

@test "bad input: a field of the wrong type names its JSON path" {
  make_bundle
  cfg '.process.user.uid = "zero"'
  id=$(new_id)
  run ctr_create "$id"
  refused "$status" "$BATS_TEST_TMPDIR/$id.err" "$id" process.user.uid
}

@test "bad input: missing rootfs" {
  make_bundle
  rm -rf "$BUNDLE/rootfs"
  id=$(new_id)
  run ctr_create "$id"
  refused "$status" "$BATS_TEST_TMPDIR/$id.err" "$id" rootfs
}

@test "bad input: missing bundle" {
  id=$(new_id)
  run quietly oci create --bundle "$BATS_TEST_TMPDIR/no-such-bundle" "$id"
  refused "$status" "$BATS_TEST_TMPDIR/err" "$id" no-such-bundle
}

@test "bad input: a program that is not in the rootfs" {
  make_bundle
  set_args /bin/no-such-program
  id=$(new_id)
  # runtimes differ on when they look (runc at create, crun at start); either must fail
  if ctr_create "$id"; then
    run quietly oci start "$id"
    [ "$status" -ne 0 ] || wait_status "$id" stopped
    oci delete --force "$id"
    assert_nothing_left "$id"
  else
    refused 1 "$BATS_TEST_TMPDIR/$id.err" "$id" no-such-program
  fi
}

@test "bad input: unknown id for state, start, kill and delete" {
  for cmd in state start kill delete; do
    id=hulltest-no-such-$cmd
    run quietly oci "$cmd" "$id"
    refused "$status" "$BATS_TEST_TMPDIR/err" "$id" "$id"
    [ ! -s "$BATS_TEST_TMPDIR/out" ]
  done
}

@test "bad input: duplicate id, and the first container is untouched" {
  make_bundle
  set_args probe sleep 1000
  id=$(new_id)
  ctr_create "$id"
  pid=$(ctr_pid "$id")
  run quietly oci create --bundle "$BUNDLE" "$id"
  [ "$status" -ne 0 ]
  if is_hull; then
    assert_one_error_line "$BATS_TEST_TMPDIR/err"
    grep -qF -- "$id" "$BATS_TEST_TMPDIR/err"
  fi
  [ "$(ctr_status "$id")" = created ]
  [ "$(ctr_pid "$id")" = "$pid" ]
  oci delete --force "$id"
  assert_nothing_left "$id"
}

@test "bad input: bad signal name" {
  make_bundle
  set_args probe sleep 1000
  id=$(new_id)
  ctr_start_detached "$id"
  run quietly oci kill "$id" SIGNOTASIGNAL
  [ "$status" -ne 0 ]
  if is_hull; then
    assert_one_error_line "$BATS_TEST_TMPDIR/err"
    grep -qF SIGNOTASIGNAL "$BATS_TEST_TMPDIR/err"
  fi
  [ "$(ctr_status "$id")" = running ]
}

# escape_bundle relative|absolute: a mount destination (/escape/x) that goes through a symlink
# in the rootfs pointing out of it, at $ESCAPE on the host, which must never appear.
escape_bundle() {
  ESCAPE=/tmp/hull-escape-$$-$BATS_SUITE_TEST_NUMBER
  [ ! -e "$ESCAPE" ]
  make_bundle
  set_args probe mounts
  if [ "$1" = relative ]; then
    # more ../ than the rootfs is deep: followed on the host, this reaches /tmp/hull-escape-*
    ln -s "../../../../../../../../../../../..$ESCAPE" "$BUNDLE/rootfs/escape"
  else
    ln -s "$ESCAPE" "$BUNDLE/rootfs/escape"
  fi
  add_mount /escape/x tmpfs hulltest-escape size=1m
}

# Whatever the runtime did, nothing may have been created or mounted outside the rootfs; if it
# accepted the mount, the tmpfs is in the container's mount namespace, inside its rootfs.
assert_not_escaped() {
  local leaked=0 pid
  pid=$(ctr_pid "$id" 2>/dev/null)
  if [ -n "$pid" ] && [ "$pid" -gt 0 ]; then
    grep hulltest-escape "/proc/$pid/mountinfo"
  fi
  if [ -e "$ESCAPE" ]; then
    echo "created on the host: $ESCAPE" >&2
    leaked=1
  fi
  if grep -F hulltest-escape /proc/self/mountinfo; then
    echo "mounted on the host" >&2
    umount -l "$ESCAPE/x" 2>/dev/null || true
    leaked=1
  fi
  rm -rf "$ESCAPE"
  [ "$leaked" -eq 0 ]
}

@test "bad input: a relative symlink out of the rootfs never leads a mount onto the host" {
  escape_bundle relative
  id=$(new_id)
  ctr_create "$id" || true
  assert_not_escaped
}

@test "bad input: an absolute symlink out of the rootfs never leads a mount onto the host" {
  escape_bundle absolute
  id=$(new_id)
  ctr_create "$id" || true
  assert_not_escaped
}

@test "bad input: a mount target that is a symlink out of the rootfs is refused (hull-oci)" {
  hull_only "refusing it (runc resolves the symlink inside the rootfs instead)"
  escape_bundle relative
  id=$(new_id)
  run ctr_create "$id"
  assert_not_escaped
  refused "$status" "$BATS_TEST_TMPDIR/$id.err" "$id" /escape
}
