#!/usr/bin/env bats
# The image store through `hull`: import with --change, images, inspect, load of archives
# made by skopeo (docker-archive and oci-archive, from a multi-layer layout made by umoci),
# save/load round trips, tag, rmi, and corrupted archives. No container is run here.

load engine_helpers

images_dir() { echo "$ENGINE_ROOT/images"; }

# A two-layer OCI layout: layer 1 adds /a, /b and /d/x; layer 2 deletes /b and replaces /d
# (an opaque directory). Prints the layout's path.
multi_layer_layout() {
  local lay=$BATS_TEST_TMPDIR/layout bundle=$BATS_TEST_TMPDIR/bundle
  umoci init --layout "$lay" >&2
  umoci new --image "$lay:base" >&2
  umoci unpack --image "$lay:base" "$bundle" >&2
  echo a >"$bundle/rootfs/a"
  echo b >"$bundle/rootfs/b"
  mkdir -p "$bundle/rootfs/d" && echo x >"$bundle/rootfs/d/x"
  umoci repack --image "$lay:v1" "$bundle" >&2
  # repack diffs against the image the bundle was unpacked from: unpack v1 for layer 2.
  umoci unpack --image "$lay:v1" "$bundle.2" >&2
  rm "$bundle.2/rootfs/b"
  rm -r "$bundle.2/rootfs/d" && mkdir "$bundle.2/rootfs/d" && echo y >"$bundle.2/rootfs/d/y"
  umoci repack --image "$lay:v2" "$bundle.2" >&2
  umoci config --image "$lay:v2" --config.cmd /bin/true >&2
  echo "$lay"
}

# Nothing but the store's (empty) own directories and the images named.
assert_no_temp_left() {
  local left
  left=$(ls -A "$(images_dir)/tmp")
  [ -z "$left" ] || { echo "left in tmp: $left" >&2; return 1; }
}

@test "images: import with --change, images, inspect shows the config" {
  run hull import -c 'ENTRYPOINT ["/bin/sh", "-c"]' -c 'CMD echo hi' -c 'ENV A=1 B=2' \
    -c 'WORKDIR /srv' -c 'USER 1000:1000' -c 'EXPOSE 80/tcp' -c 'LABEL k=v' \
    -c 'STOPSIGNAL SIGINT' "$(busybox_tarball)" app:1
  [ "$status" -eq 0 ]
  [[ $output =~ ^sha256:[0-9a-f]{64}$ ]]
  id=$output

  run hull images
  [ "$status" -eq 0 ]
  [[ ${lines[0]} =~ ^REPOSITORY\ +TAG\ +IMAGE\ ID\ +CREATED\ +SIZE$ ]]
  grep -Eq "^app +1 +${id:7:12} " <<<"$output"
  grep -Eq "^busybox +latest " <<<"$output"

  run hull images -q
  grep -qx "${id:7:12}" <<<"$output"

  run hull image inspect app:1
  [ "$status" -eq 0 ]
  [ "$(jq -r '.[0].Id' <<<"$output")" = "$id" ]
  [ "$(jq -c '.[0].Config.Entrypoint' <<<"$output")" = '["/bin/sh","-c"]' ]
  [ "$(jq -c '.[0].Config.Cmd' <<<"$output")" = '["/bin/sh","-c","echo hi"]' ]
  [ "$(jq -c '.[0].Config.Env' <<<"$output")" = '["A=1","B=2"]' ]
  [ "$(jq -r '.[0].Config.WorkingDir' <<<"$output")" = /srv ]
  [ "$(jq -r '.[0].Config.User' <<<"$output")" = 1000:1000 ]
  [ "$(jq -c '.[0].Config.ExposedPorts' <<<"$output")" = '{"80/tcp":{}}' ]
  [ "$(jq -r '.[0].Config.Labels.k' <<<"$output")" = v ]
  [ "$(jq -r '.[0].Config.StopSignal' <<<"$output")" = SIGINT ]
  [ "$(jq -r '.[0].RootFS.Type' <<<"$output")" = layers ]
  [ "$(jq -r '.[0].RootFS.Layers | length' <<<"$output")" = 1 ]
  [ "$(jq -r '.[0].Os + "/" + .[0].Architecture' <<<"$output")" = linux/amd64 ]
  [ "$(jq -r '.[0].Size' <<<"$output")" -gt 1000000 ]
  # The layer is the tarball unpacked, at an absolute path.
  layer=$(jq -r '.[0].GraphDriver.Data.LowerDirs[0]' <<<"$output")
  [ -x "$layer/bin/busybox" ]
  [ "$(jq -r '.[0].RootFS.Layers[0]' <<<"$output")" = "sha256:$(sha256sum <"$(busybox_tarball)" | cut -d' ' -f1)" ]

  run hull images --format json
  [ "$(jq -r --arg id "$id" '.[] | select(.Id == $id) | .RepoTags[0]' <<<"$output")" = app:1 ]
  hull rmi app:1
}

@test "images: a bad --change is one error line naming it" {
  quietly hull import -c 'FROM scratch' "$(busybox_tarball)" bad || status=$?
  [ "${status:-0}" -eq 125 ]
  assert_one_error_line "$BATS_TEST_TMPDIR/err"
  grep -q 'FROM scratch' "$BATS_TEST_TMPDIR/err"
}

@test "images: load skopeo's docker-archive and oci-archive of a multi-layer umoci image" {
  lay=$(multi_layer_layout)
  skopeo copy "oci:$lay:v2" "docker-archive:$BATS_TEST_TMPDIR/d.tar:multi:docker" >/dev/null
  skopeo copy "oci:$lay:v2" "oci-archive:$BATS_TEST_TMPDIR/o.tar:multi:oci" >/dev/null

  run hull load -i "$BATS_TEST_TMPDIR/d.tar"
  [ "$status" -eq 0 ]
  [ "$output" = "Loaded image: multi:docker" ]
  run hull load -i "$BATS_TEST_TMPDIR/o.tar"
  [ "$status" -eq 0 ]
  [ "$output" = "Loaded image: multi:oci" ]

  run hull image inspect multi:oci
  [ "$(jq -r '.[0].RootFS.Layers | length' <<<"$output")" = 2 ]
  [ "$(jq -c '.[0].Config.Cmd' <<<"$output")" = '["/bin/true"]' ]
  upper=$(jq -r '.[0].GraphDriver.Data.LowerDirs[1]' <<<"$output")
  lower=$(jq -r '.[0].GraphDriver.Data.LowerDirs[0]' <<<"$output")
  # The deleted file is an overlayfs whiteout (char device 0/0) in the upper layer; the
  # replaced directory is opaque.
  [ "$(stat -c '%F %t:%T' "$upper/b")" = "character special file 0:0" ]
  [ ! -e "$upper/.wh.b" ]
  [ "$(getfattr --only-values -n trusted.overlay.opaque "$upper/d" 2>/dev/null)" = y ] ||
    [ -c "$upper/d/x" ]
  [ "$(cat "$lower/b")" = b ]
  # The two archives hold the same layers: unpacked once.
  [ "$(jq -r '.[0].RootFS.Layers[]' <<<"$(hull image inspect multi:docker)")" = \
    "$(jq -r '.[0].RootFS.Layers[]' <<<"$output")" ]
  [ "$(ls "$(images_dir)/layers" | wc -l)" -eq 3 ]  # busybox + 2
  assert_no_temp_left
  hull rmi multi:docker multi:oci
}

@test "images: save then load into a second root keeps ids and digests" {
  hull tag busybox saved:1
  hull save -o "$BATS_TEST_TMPDIR/s.tar" saved:1 busybox
  id=$(jq -r '.[0].Id' <<<"$(hull image inspect busybox)")
  digest=$(jq -r '.[0].Digest' <<<"$(hull image inspect busybox)")

  other=$BATS_TEST_TMPDIR/other
  run "$HULL" --root "$other" load -i "$BATS_TEST_TMPDIR/s.tar"
  [ "$status" -eq 0 ]
  grep -qx 'Loaded image: saved:1' <<<"$output"
  grep -qx 'Loaded image: busybox:latest' <<<"$output"
  run "$HULL" --root "$other" image inspect saved:1
  [ "$(jq -r '.[0].Id' <<<"$output")" = "$id" ]
  [ "$(jq -r '.[0].Digest' <<<"$output")" = "$digest" ]
  [ "$(jq -c '.[0].Config.Cmd' <<<"$output")" = '["sh"]' ]

  # skopeo reads it as a docker archive too, with the same layer digests.
  skopeo copy "docker-archive:$BATS_TEST_TMPDIR/s.tar:saved:1" "oci:$BATS_TEST_TMPDIR/copy:x" >/dev/null
  hull rmi saved:1
}

@test "images: tag, rmi untags then deletes, and unused layers go" {
  hull tag busybox first:1
  hull tag first:1 localhost:5000/second:2
  id=$(jq -r '.[0].Id' <<<"$(hull image inspect busybox)")
  [ "$(jq -r '.[0].Id' <<<"$(hull image inspect localhost:5000/second:2)")" = "$id" ]

  run hull rmi first:1
  [ "$output" = "Untagged: first:1" ]
  run hull image rm localhost:5000/second:2
  [ "$output" = "Untagged: localhost:5000/second:2" ]

  layers_before=$(ls "$(images_dir)/layers" | wc -l)
  mkdir "$BATS_TEST_TMPDIR/r" && echo 1 >"$BATS_TEST_TMPDIR/r/f"
  tar -C "$BATS_TEST_TMPDIR/r" -cf "$BATS_TEST_TMPDIR/small.tar" .
  sid=$(hull import "$BATS_TEST_TMPDIR/small.tar" small)
  [ "$(ls "$(images_dir)/layers" | wc -l)" -eq $((layers_before + 1)) ]
  run hull rmi "${sid:7:8}"
  [ "$status" -eq 0 ]
  grep -qx "Untagged: small:latest" <<<"$output"
  grep -qx "Deleted: $sid" <<<"$output"
  [ "$(ls "$(images_dir)/layers" | wc -l)" -eq "$layers_before" ]
  [ ! -e "$(images_dir)/blobs/sha256/${sid:7}" ]

  quietly hull rmi nothere || status=$?
  [ "${status:-0}" -eq 125 ]
  assert_one_error_line "$BATS_TEST_TMPDIR/err"
  grep -q 'nothere' "$BATS_TEST_TMPDIR/err"
}

@test "images: prune removes untagged images; -a every unused one" {
  mkdir "$BATS_TEST_TMPDIR/r" && echo 2 >"$BATS_TEST_TMPDIR/r/g"
  tar -C "$BATS_TEST_TMPDIR/r" -cf "$BATS_TEST_TMPDIR/p.tar" .
  pid=$(hull import "$BATS_TEST_TMPDIR/p.tar")
  run hull image prune
  [ "$status" -eq 0 ]
  grep -qx "Deleted: $pid" <<<"$output"
  hull image inspect busybox >/dev/null
}

@test "images: a corrupted archive is one error line and leaves nothing in the store" {
  lay=$(multi_layer_layout)
  skopeo copy "oci:$lay:v2" "docker-archive:$BATS_TEST_TMPDIR/d.tar:bad:1" >/dev/null
  before=$(find "$(images_dir)" -path "$(images_dir)/index.lock" -prune -o -print | sort)

  # A layer whose content no longer matches the config's diff_id.
  mkdir "$BATS_TEST_TMPDIR/x"
  tar -C "$BATS_TEST_TMPDIR/x" -xf "$BATS_TEST_TMPDIR/d.tar"
  layer=$(jq -r '.[0].Layers[1]' "$BATS_TEST_TMPDIR/x/manifest.json")
  layer=$(readlink -f "$BATS_TEST_TMPDIR/x/$layer")
  printf 'garbage' >>"$layer"
  tar -C "$BATS_TEST_TMPDIR/x" -cf "$BATS_TEST_TMPDIR/bad.tar" .
  quietly hull load -i "$BATS_TEST_TMPDIR/bad.tar" || status=$?
  [ "${status:-0}" -eq 125 ]
  assert_one_error_line "$BATS_TEST_TMPDIR/err"
  grep -q "$(basename "$layer")" "$BATS_TEST_TMPDIR/err"

  # A truncated archive.
  head -c 3000 "$BATS_TEST_TMPDIR/d.tar" >"$BATS_TEST_TMPDIR/cut.tar"
  quietly hull load -i "$BATS_TEST_TMPDIR/cut.tar" || status=$?
  [ "${status:-0}" -eq 125 ]
  assert_one_error_line "$BATS_TEST_TMPDIR/err"

  # Not an archive at all.
  echo hello >"$BATS_TEST_TMPDIR/hello.tar"
  quietly hull load -i "$BATS_TEST_TMPDIR/hello.tar" || status=$?
  [ "${status:-0}" -eq 125 ]
  assert_one_error_line "$BATS_TEST_TMPDIR/err"

  after=$(find "$(images_dir)" -path "$(images_dir)/index.lock" -prune -o -print | sort)
  [ "$before" = "$after" ]
  assert_no_temp_left
  refute hull image inspect bad:1
}
