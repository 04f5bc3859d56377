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
  export AUTH_REG=127.0.0.1:$(start_registry pushauth "$BATS_FILE_TMPDIR/htpasswd")
}

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

@test "push: an image the store lacks is one error line" {
  run hull push "$REG/nope:1"
  [ "$status" -eq 125 ]
  [ "${#lines[@]}" -eq 1 ] || { echo "$output"; return 1; }
  grep -q "nope" <<<"$output"
}

@test "login: push and pull use the stored login; auth.json is 0600; logout removes it" {
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
  run hull pull "$AUTH_REG/busybox:1"
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
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
