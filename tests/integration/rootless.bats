#!/usr/bin/env bats
# Rootless: an ordinary user (hulltest) runs the runtime with a user namespace that maps only
# its own uid. Inside it is root; on the host it is still that user, and privileged calls fail.

load helpers

setup() {
  command -v runuser >/dev/null || skip "runuser (util-linux) is not installed"
  local max
  max=$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo 0)
  [ "$max" -gt 0 ] || skip "user namespaces are disabled (/proc/sys/user/max_user_namespaces is 0)"
  if [ -r /proc/sys/kernel/unprivileged_userns_clone ] &&
    [ "$(cat /proc/sys/kernel/unprivileged_userns_clone)" != 1 ]; then
    skip "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone=0)"
  fi
  if ! getent passwd "$HULLTEST_USER" >/dev/null; then
    command -v useradd >/dev/null || skip "no user $HULLTEST_USER and no useradd to make one"
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
      "$HULLTEST_USER" 2>/dev/null || getent passwd "$HULLTEST_USER" >/dev/null
  fi
  HT_UID=$(id -u "$HULLTEST_USER")
  HT_GID=$(id -g "$HULLTEST_USER")

  # The usual per-test setup, then a directory the user owns (bats' own is root's, 0700).
  hull_setup
  UDIR=$(mktemp -d /tmp/hulltest-rootless.XXXXXX)
  track_dir "$UDIR"
  mkdir -p "$UDIR/bin" "$UDIR/xdg" "$UDIR/spec"

  # The runtime must be reachable by the user: copy it where it can run it.
  local rt
  rt=$(command -v "$HULL_OCI")
  if ! runuser -u "$HULLTEST_USER" -- test -x "$rt"; then
    cp "$rt" "$UDIR/bin/" && rt=$UDIR/bin/$(basename "$rt")
  fi
  cat >"$UDIR/bin/oci-as-user" <<EOF
#!/bin/sh
exec runuser -u $HULLTEST_USER -- env XDG_RUNTIME_DIR=$UDIR/xdg HOME=$UDIR "$rt" "\$@"
EOF
  chmod 0755 "$UDIR/bin/oci-as-user"
  UOCI=$UDIR/bin/oci-as-user
  track_root "$UOCI" "$UDIR/state"

  # The bundle: the runtime's rootless spec written by the user, so it maps the user's ids.
  local rootfs
  rootfs=$(base_rootfs)
  mkdir -p "$UDIR/bundle"
  cp -a "$rootfs" "$UDIR/bundle/rootfs"
  chown -R "$HULLTEST_USER:" "$UDIR"
  chmod 0755 "$UDIR"
  (cd "$UDIR/bundle" && "$UOCI" spec --rootless)
  BUNDLE=$UDIR/bundle
  cfg '.process.terminal = false
       | .linux.uidMappings = [{containerID: 0, hostID: $u, size: 1}]
       | .linux.gidMappings = [{containerID: 0, hostID: $g, size: 1}]' \
    --argjson u "$HT_UID" --argjson g "$HT_GID"
  chown "$HULLTEST_USER:" "$BUNDLE/config.json"
}

# The user's runtime with the user's state root.
uoci() { "$UOCI" --root "$UDIR/state" "$@"; }

@test "rootless: the spec maps the user's own uid and gid" {
  jq -e '.linux.namespaces | map(.type) | index("user")' "$BUNDLE/config.json"
  "$UOCI" spec --rootless --bundle "$UDIR/spec"
  [ "$(jq -c '.linux.uidMappings' "$UDIR/spec/config.json")" = "[{\"containerID\":0,\"hostID\":$HT_UID,\"size\":1}]" ]
  [ "$(jq -c '.linux.gidMappings' "$UDIR/spec/config.json")" = "[{\"containerID\":0,\"hostID\":$HT_GID,\"size\":1}]" ]
}

@test "rootless: uid 0 inside, the uid map written, and reboot fails" {
  set_args sh -c 'probe ids; probe uidmap; probe gidmap; probe reboot'
  chown "$HULLTEST_USER:" "$BUNDLE/config.json"
  run uoci run --bundle "$BUNDLE" "$(new_id)"
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == "uid=0 gid=0 euid=0 egid=0 "* ]]
  [ "${lines[1]}" = "0 $HT_UID 1" ]
  [ "${lines[2]}" = "0 $HT_GID 1" ]
  [ "${lines[3]}" = EPERM ]
}

@test "rootless: the container's root is the ordinary user on the host" {
  set_args probe sleep 1000
  chown "$HULLTEST_USER:" "$BUNDLE/config.json"
  id=$(new_id)
  uoci create --bundle "$BUNDLE" "$id" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1
  uoci start "$id"
  pid=$(uoci state "$id" | jq -r .pid)
  [ "$pid" -gt 0 ]
  [ "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")" = "$HT_UID $HT_UID $HT_UID $HT_UID" ]
  [ "$(stat -L -c %i "/proc/$pid/ns/user")" != "$(stat -L -c %i /proc/self/ns/user)" ]
  uoci kill "$id" KILL
  for ((i = 0; i < POLL_TRIES; i++)); do
    [ "$(uoci state "$id" | jq -r .status)" = stopped ] && break
    sleep "$POLL_SLEEP"
  done
  uoci delete "$id"
  run uoci state "$id"
  [ "$status" -ne 0 ]
}
