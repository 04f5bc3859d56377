#!/usr/bin/env bats
# `hull pull` from real registries on 127.0.0.1 (Debian's docker-registry: one open, one with
# htpasswd basic auth), fed by skopeo from `hull save` of the tests' busybox image and from a
# multi-layer layout made by umoci. Each test pulls into an empty store of its own.

load engine_helpers
load registry_helpers

setup_file() {
  engine_setup_file
  ensure_busybox
  local tmp=$BATS_FILE_TMPDIR lay=$BATS_FILE_TMPDIR/layout b=$BATS_FILE_TMPDIR/bundle
  hull save -o "$tmp/busybox.tar" busybox
  export REG=127.0.0.1:$(start_registry open)
  skopeo copy -q --dest-tls-verify=false "docker-archive:$tmp/busybox.tar" "docker://$REG/busybox:1"
  # Three layers: busybox, then /a and /d/x, then /a changed and a file of random bytes.
  skopeo copy -q "docker-archive:$tmp/busybox.tar" "oci:$lay:base"
  umoci unpack --image "$lay:base" "$b" >/dev/null
  echo a >"$b/rootfs/a" && mkdir -p "$b/rootfs/d" && echo x >"$b/rootfs/d/x"
  umoci repack --image "$lay:v1" "$b" >/dev/null
  umoci unpack --image "$lay:v1" "$b.2" >/dev/null
  echo a2 >"$b.2/rootfs/a" && head -c 3000000 /dev/urandom >"$b.2/rootfs/big"
  umoci repack --image "$lay:v2" "$b.2" >/dev/null
  skopeo copy -q --dest-tls-verify=false "oci:$lay:v2" "docker://$REG/busybox:multi"
  # An image of its own for the tampering test: a layer no other test pulls.
  umoci unpack --image "$lay:base" "$b.3" >/dev/null
  head -c 100000 /dev/urandom >"$b.3/rootfs/tampered"
  umoci repack --image "$lay:t" "$b.3" >/dev/null
  skopeo copy -q --dest-tls-verify=false "oci:$lay:t" "docker://$REG/tamper:1"

  htpasswd -Bbn user pass >"$tmp/htpasswd"
  export AUTH_REG=127.0.0.1:$(start_registry auth "$tmp/htpasswd")
  skopeo copy -q --dest-tls-verify=false --dest-creds user:pass \
    "docker-archive:$tmp/busybox.tar" "docker://$AUTH_REG/busybox:1"
}

teardown_file() {
  stop_registries open auth
  rm -rf "$BATS_FILE_TMPDIR/layout" "$BATS_FILE_TMPDIR"/bundle*
  engine_teardown_file
}

setup() {
  export ENGINE_ROOT=$BATS_TEST_TMPDIR/root
  mkdir -p "$ENGINE_ROOT"
  hull_setup
}

images_dir() { echo "$ENGINE_ROOT/images"; }

assert_store_clean() {
  local left
  left=$(ls -A "$(images_dir)/tmp" 2>/dev/null || true)
  [ -z "$left" ] || { echo "left in tmp: $left" >&2; return 1; }
  run hull images -q
  [ -z "$output" ] || { echo "images left: $output" >&2; return 1; }
}

blob_gets() { grep -c "GET /v2/$1/blobs/" "$BATS_FILE_TMPDIR/open/log" || true; }

@test "pull: single-layer image, then run it" {
  run hull pull "$REG/busybox:1"
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  grep -qx "1: Pulling from busybox" <<<"$output"
  [ "$(grep -c ': done ' <<<"$output")" -eq 1 ]
  grep -q "^Digest: sha256:" <<<"$output"
  grep -qx "Status: Downloaded newer image for $REG/busybox:1" <<<"$output"
  run hull run --rm "$REG/busybox:1" echo hi
  [ "$status" -eq 0 ]
  [ "$output" = hi ]
  [ -z "$(ls -A "$(images_dir)/tmp")" ]
  [ -z "$(ls -A "$(images_dir)/downloads")" ]
}

@test "pull: multi-layer image; again: up to date, no blob fetched" {
  run hull pull "$REG/busybox:multi"
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  [ "$(grep -c ': done ' <<<"$output")" -eq 3 ]
  run hull run --rm "$REG/busybox:multi" cat /a /d/x
  [ "$output" = "$(printf 'a2\nx')" ]
  local before
  before=$(blob_gets busybox)
  run hull pull "$REG/busybox:multi"
  [ "$status" -eq 0 ]
  grep -qx "Status: Image is up to date for $REG/busybox:multi" <<<"$output"
  [ "$(blob_gets busybox)" -eq "$before" ]
  # Another name for the same layers: only its config is fetched.
  run hull pull "$REG/busybox:1"
  [ "$status" -eq 0 ]
  grep -q ': Already exists' <<<"$output"
  ! grep -q ': done ' <<<"$output"
  [ "$(blob_gets busybox)" -eq $((before + 1)) ]
}

@test "pull: a tampered blob is refused, naming the layer; nothing enters the store" {
  local data hex
  # The top layer of tamper:1 is its own (the random file).
  hex=$(skopeo inspect --tls-verify=false "docker://$REG/tamper:1" | jq -r '.Layers[-1]')
  hex=${hex#sha256:}
  data=$BATS_FILE_TMPDIR/open/data/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data
  [ -f "$data" ]
  run hull pull "$REG/tamper:1"
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }  # untampered: fine
  hull rmi "$REG/tamper:1" >/dev/null
  rm -f "$(images_dir)/downloads"/*
  printf 'XXXX' | dd of="$data" bs=1 seek=2000 conv=notrunc status=none
  run hull pull "$REG/tamper:1"
  [ "$status" -eq 125 ]
  echo "$output" | grep -q "layer sha256:$hex: content has digest"
  assert_store_clean
  [ ! -e "$(images_dir)/downloads/$hex" ]
}

@test "pull: a registry that does not answer is a clear error, nothing left" {
  local port
  port=$(free_port)
  run hull pull "127.0.0.1:$port/busybox:1"
  [ "$status" -eq 125 ]
  grep -q "Couldn't connect to server" <<<"$output"
  assert_store_clean
}

@test "pull: unknown tag names the manifest" {
  run hull pull "$REG/busybox:nope"
  [ "$status" -eq 125 ]
  grep -q "manifest $REG/busybox:nope: not found" <<<"$output"
}

@test "pull: basic auth with --creds or HULL_REGISTRY_CREDS" {
  run hull pull "$AUTH_REG/busybox:1"
  [ "$status" -eq 125 ]
  grep -q "requires a login" <<<"$output"
  run hull pull --creds user:wrong "$AUTH_REG/busybox:1"
  [ "$status" -eq 125 ]
  grep -q "HTTP 401" <<<"$output"
  run hull pull --creds user:pass "$AUTH_REG/busybox:1"
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  hull rmi "$AUTH_REG/busybox:1"
  HULL_REGISTRY_CREDS=user:pass run hull pull "$AUTH_REG/busybox:1"
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
}

@test "pull: hull run of a missing image pulls it first" {
  run hull run --rm "$REG/busybox:1" echo hi
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  [ "$output" = hi ]
  hull images | grep -q "^$REG/busybox "
  run hull run --rm "127.0.0.1:$(free_port)/busybox:1" true
  [ "$status" -eq 125 ]
  grep -q "Couldn't connect to server" <<<"$output"
}
