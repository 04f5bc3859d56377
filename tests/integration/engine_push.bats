#!/usr/bin/env bats
# `hull push` to a real registry on 127.0.0.1 (Debian's docker-registry), checked by pulling
# the image back into an empty store of its own and running it.

load engine_helpers
load registry_helpers

setup_file() {
  engine_setup_file
  ensure_busybox
  export REG=127.0.0.1:$(start_registry pushreg)
  htpasswd -Bbn user pass >"$BATS_FILE_TMPDIR/htpasswd"
  export AUTH_REG=127.0.0.1:$(start_registry pushauth --htpasswd "$BATS_FILE_TMPDIR/htpasswd")
}

teardown() { registry_teardown; }

teardown_file() {
  stop_registries pushreg pushauth
  engine_teardown_file
}

@test "push: busybox to a registry, pulled into another store and run" {
  hull tag busybox "$REG/busybox:1"
  run hull push "$REG/busybox:1"
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  grep -q ': Pushed$' <<<"$output"
  grep -qE "^1: digest: sha256:[0-9a-f]{64} size: [0-9]+$" <<<"$output"
  local pushed
  pushed=$(grep -oE 'sha256:[0-9a-f]{64}' <<<"${lines[-1]}")
  ENGINE_ROOT=$BATS_TEST_TMPDIR/root2
  mkdir -p "$ENGINE_ROOT"
  run hull pull "$REG/busybox:1"
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  grep -qx "Digest: $pushed" <<<"$output"
  run hull run --rm "$REG/busybox:1" echo hi
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  [ "$output" = hi ]
}

@test "push: again, every layer already exists" {
  hull tag busybox "$REG/again:1"
  run hull push "$REG/again:1"
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  run hull push "$REG/again:1"
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  grep -q ': Layer already exists$' <<<"$output"
  ! grep -q ': Pushed$' <<<"$output"
}

@test "push: a blob larger than a chunk goes up in PATCHes with Content-Range, then a PUT" {
  local dir=$BATS_TEST_TMPDIR/big
  mkdir -p "$dir"
  head -c 20000000 /dev/urandom >"$dir/big"  # one uncompressed layer of 20 MB: two chunks
  tar -C "$dir" -cf "$BATS_TEST_TMPDIR/big.tar" big
  hull import "$BATS_TEST_TMPDIR/big.tar" "$REG/big:1" >/dev/null
  run hull push "$REG/big:1"
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  local log=$BATS_FILE_TMPDIR/pushreg/log
  [ "$(grep -c '"PATCH /v2/big/blobs/uploads/' "$log")" -eq 2 ]
  [ "$(grep -c '"PUT /v2/big/blobs/uploads/' "$log")" -eq 2 ]  # the layer's and the config's
  ENGINE_ROOT=$BATS_TEST_TMPDIR/root2
  mkdir -p "$ENGINE_ROOT"
  run hull pull "$REG/big:1"
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  cmp "$dir/big" "$(hull image inspect "$REG/big:1" | jq -r '.[0].GraphDriver.Data.LowerDirs[0]')/big"
}

@test "push: blobs the registry has in another repository of the image are mounted, not sent" {
  ENGINE_ROOT=$BATS_TEST_TMPDIR/root  # busybox here has no names from the other tests
  mkdir -p "$ENGINE_ROOT"
  ensure_busybox
  hull tag busybox "$REG/src:1"
  run hull push "$REG/src:1"
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  hull tag busybox "$REG/dst:1"
  run hull push "$REG/dst:1"
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  [ "$(grep -c ': Mounted from src$' <<<"$output")" -eq 2 ]  # the layer and the config
  local log=$BATS_FILE_TMPDIR/pushreg/log
  grep -q '"POST /v2/dst/blobs/uploads/?mount=sha256:[0-9a-f]*&from=src ' "$log"
  ! grep -qE '"(PATCH|PUT) /v2/dst/blobs/' "$log"
  ENGINE_ROOT=$BATS_TEST_TMPDIR/root2
  mkdir -p "$ENGINE_ROOT"
  run hull run --rm "$REG/dst:1" echo hi
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  [ "$output" = hi ]
}

@test "push: an image the store lacks is one error line" {
  run hull push "$REG/nope:1"
  [ "$status" -eq 125 ]
  [ "${#lines[@]}" -eq 1 ] || { echo "$output"; return 1; }
  grep -q "nope" <<<"$output"
}

@test "login: push, and hull run's pull, use the stored login; auth.json is 0600; logout removes it" {
  hull tag busybox "$AUTH_REG/busybox:1"
  run hull push "$AUTH_REG/busybox:1"
  [ "$status" -eq 125 ]
  grep -q "requires a login" <<<"$output"
  run hull login -u user --password-stdin "$AUTH_REG" <<<pass
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  [ "$(stat -c %a "$ENGINE_ROOT/auth.json")" = 600 ]
  run hull push "$AUTH_REG/busybox:1"
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  local root=$ENGINE_ROOT
  ENGINE_ROOT=$BATS_TEST_TMPDIR/root2
  mkdir -p "$ENGINE_ROOT"
  cp -p "$root/auth.json" "$ENGINE_ROOT/auth.json"
  run hull run --rm "$AUTH_REG/busybox:1" echo hi  # hull run's own pull reads it too
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  [ "$output" = hi ]
  run hull logout "$AUTH_REG"
  [ "$status" -eq 0 ]
  ! grep -q "$AUTH_REG" "$ENGINE_ROOT/auth.json"
  hull rmi "$AUTH_REG/busybox:1"
  run hull pull "$AUTH_REG/busybox:1"
  [ "$status" -eq 125 ]
  ENGINE_ROOT=$root
  run hull logout "$AUTH_REG"
  [ "$status" -eq 0 ]
}
