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
  # A multi-platform index: linux/amd64 and linux/arm64 images (both run: busybox is static
  # amd64) told apart by /plat, the index written by hand and copied with --all.
  local arch
  for arch in amd64 arm64; do
    umoci unpack --image "$lay:base" "$b.$arch" >/dev/null
    echo "$arch" >"$b.$arch/rootfs/plat"
    umoci repack --image "$lay:$arch" "$b.$arch" >/dev/null
    umoci config --image "$lay:$arch" --architecture "$arch" --os linux
  done
  platform_index "$lay" plat amd64 arm64
  skopeo copy -q --all --dest-tls-verify=false "oci:$lay:plat" "docker://$REG/plat:1"

  htpasswd -Bbn user pass >"$tmp/htpasswd"
  export AUTH_REG=127.0.0.1:$(start_registry auth --htpasswd "$tmp/htpasswd")
  skopeo copy -q --dest-tls-verify=false --dest-creds user:pass \
    "docker-archive:$tmp/busybox.tar" "docker://$AUTH_REG/busybox:1"
}

teardown() { registry_teardown dying slowproxy; }

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

# platform_index LAYOUT NAME ARCH...: an OCI index NAME in the layout over the images tagged
# ARCH..., each entry with platform linux/ARCH.
platform_index() {
  local lay=$1 name=$2 arch entries=() index hex
  shift 2
  for arch in "$@"; do
    entries+=("$(jq -c --arg a "$arch" '.manifests[]
      | select(.annotations["org.opencontainers.image.ref.name"] == $a)
      | {mediaType, digest, size, platform: {os: "linux", architecture: $a}}' "$lay/index.json")")
  done
  index=$(printf '%s\n' "${entries[@]}" | jq -cs \
    '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: .}')
  hex=$(printf '%s' "$index" | sha256sum | cut -d' ' -f1)
  printf '%s' "$index" >"$lay/blobs/sha256/$hex"
  jq --arg d "sha256:$hex" --argjson s "${#index}" --arg n "$name" '.manifests += [{
      mediaType: "application/vnd.oci.image.index.v1+json", digest: $d, size: $s,
      annotations: {"org.opencontainers.image.ref.name": $n}}]' "$lay/index.json" \
    >"$lay/index.json.new" && mv "$lay/index.json.new" "$lay/index.json"
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

@test "pull: a multi-platform index: the host's platform, --platform, an unknown one" {
  local index
  index=$(skopeo inspect --raw --tls-verify=false "docker://$REG/plat:1" | sha256sum | cut -d' ' -f1)
  run hull pull "$REG/plat:1"
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  grep -qx "Digest: sha256:$index" <<<"$output"
  run hull run --rm "$REG/plat:1" cat /plat
  [ "$output" = "$(uname -m | sed 's/x86_64/amd64/; s/aarch64/arm64/')" ]
  run hull pull --platform linux/arm64 "$REG/plat:1"
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  grep -qx "Status: Downloaded newer image for $REG/plat:1" <<<"$output"
  run hull run --rm "$REG/plat:1" cat /plat
  [ "$output" = arm64 ]
  [ "$(hull image inspect "$REG/plat:1" | jq -r '.[0].Architecture')" = arm64 ]
  run hull pull --platform linux/s390x "$REG/plat:1"
  [ "$status" -eq 125 ]
  [ "${#lines[@]}" -eq 2 ] || { echo "$output"; return 1; }  # "Pulling from", the error
  grep -q "$REG/plat:1: no image for linux/s390x (has linux/amd64, linux/arm64)" <<<"$output"
  run hull pull --platform s390x "$REG/plat:1"
  [ "$status" -eq 125 ]
  grep -q 'invalid platform "s390x"' <<<"$output"
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

# staged_bytes HEX: bytes of the blob a running pull is fetching into its staging dir.
staged_bytes() {
  local f
  for f in "$(images_dir)"/tmp/*/blob-"$1"; do
    [ -f "$f" ] && { stat -c %s "$f"; return 0; }
  done
  echo 0
}

@test "pull: the registry killed mid-pull: a clear error, no partial image; the next pull keeps the verified layer" {
  local lay=$BATS_FILE_TMPDIR/layout b=$BATS_TEST_TMPDIR/bundle port proxy small big pid rc i
  # Busybox and a layer of 24 MB of random bytes, behind a proxy that passes answers on
  # slowly until told not to: the small layer completes, the big one is cut by the kill.
  umoci unpack --image "$lay:base" "$b" >/dev/null
  head -c 24000000 /dev/urandom >"$b/rootfs/big"
  umoci repack --image "$lay:big" "$b" >/dev/null
  port=$(start_registry dying)
  skopeo copy -q --dest-tls-verify=false "oci:$lay:big" "docker://127.0.0.1:$port/big:1"
  small=$(skopeo inspect --tls-verify=false "docker://127.0.0.1:$port/big:1" | jq -r '.Layers[0]')
  big=$(skopeo inspect --tls-verify=false "docker://127.0.0.1:$port/big:1" | jq -r '.Layers[1]')
  small=${small#sha256:} big=${big#sha256:}
  proxy=127.0.0.1:$(start_proxy slowproxy "$port")

  hull pull "$proxy/big:1" >"$BATS_TEST_TMPDIR/out" 2>&1 &
  pid=$!
  for ((i = 0; i < 4 * POLL_TRIES; i++)); do
    [ -e "$(images_dir)/downloads/$small" ] && [ "$(staged_bytes "$big")" -gt 0 ] && break
    sleep "$POLL_SLEEP"
  done
  [ -e "$(images_dir)/downloads/$small" ] || { cat "$BATS_TEST_TMPDIR/out"; return 1; }
  kill -STOP "$(cat "$BATS_FILE_TMPDIR/dying/pid")"
  kill_registry dying
  wait "$pid" && rc=0 || rc=$?
  [ "$rc" -eq 125 ] || { cat "$BATS_TEST_TMPDIR/out"; return 1; }
  run cat "$BATS_TEST_TMPDIR/out"
  grep -q "^hull: pull $proxy/big:1: layer sha256:$big: GET http://$proxy/v2/big/blobs/sha256:$big: transfer closed with [0-9]* bytes remaining to read" <<<"$output" ||
    { echo "$output"; return 1; }
  assert_store_clean
  [ "$(ls "$(images_dir)/downloads")" = "$small" ]  # verified, kept; the cut one is gone

  rm "$BATS_FILE_TMPDIR/slowproxy/slow"
  start_registry dying --port "$port" >/dev/null
  run hull pull "$proxy/big:1"
  [ "$status" -eq 0 ] || { echo "$output"; return 1; }
  grep -qx "${small:0:12}: Already exists" <<<"$output"
  grep -q "^${big:0:12}: done " <<<"$output"
  ! grep -q "GET /v2/big/blobs/sha256:$small" "$BATS_FILE_TMPDIR/dying/log"
  [ "$(grep -c "GET /v2/big/blobs/sha256:$big" "$BATS_FILE_TMPDIR/dying/log")" -eq 1 ]
  [ -z "$(ls -A "$(images_dir)/downloads")" ]
  run hull run --rm "$proxy/big:1" stat -c %s /big
  [ "$output" = 24000000 ]
}

@test "pull: two pulls of one image at once both succeed, one image in a consistent store" {
  local a b
  hull pull "$REG/busybox:multi" >"$BATS_TEST_TMPDIR/a" 2>&1 &
  a=$!
  hull pull "$REG/busybox:multi" >"$BATS_TEST_TMPDIR/b" 2>&1 &
  b=$!
  wait "$a" || { cat "$BATS_TEST_TMPDIR/a"; return 1; }
  wait "$b" || { cat "$BATS_TEST_TMPDIR/b"; return 1; }
  [ "$(hull images -q | wc -l)" -eq 1 ]
  local dir
  dir=$(images_dir)
  [ -z "$(ls -A "$dir/tmp")" ]
  [ -z "$(ls -A "$dir/downloads")" ]
  # Three layers: three layer dirs, and their blobs with the config and the manifest.
  [ "$(ls "$dir/layers" | wc -l)" -eq 3 ]
  [ "$(ls "$dir/blobs/sha256" | wc -l)" -eq 5 ]
  run hull run --rm "$REG/busybox:multi" cat /a /d/x
  [ "$output" = "$(printf 'a2\nx')" ]
  hull rmi "$REG/busybox:multi" >/dev/null
  [ -z "$(ls -A "$dir/layers")" ] && [ -z "$(ls -A "$dir/blobs/sha256")" ]
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
