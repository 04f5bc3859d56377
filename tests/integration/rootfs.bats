#!/usr/bin/env bats
# The container's filesystem as config.json describes it: a read-only root, --no-pivot, masked
# and read-only paths, /dev (defaults and linux.devices), sysctls, domainname, bind mounts and
# their propagation, and the create flags about the root and fds (--preserve-fds, --pid-file);
# with oomScoreAdj and noNewPrivileges, which the init applies beside them.

load helpers

# mount_on_host ARGS...: a mount the test makes on the host (not the runtime), remembered so
# that teardown unmounts it before the leak check, which would count it.
mount_on_host() {
  mount "$@"
  echo "${@: -1}" >>"$BATS_TEST_TMPDIR/host-mounts"
}

teardown() {
  local m
  if [ -e "$BATS_TEST_TMPDIR/host-mounts" ]; then
    for m in $(sort -r "$BATS_TEST_TMPDIR/host-mounts"); do umount "$m" || umount -l "$m" || true; done
  fi
  hull_teardown
}

# A writable root (the runtime's `spec` makes it read-only).
writable_bundle() {
  make_bundle
  cfg '.root.readonly = false'
}

# host_dir NAME: a directory of the host under the test's tmp dir holding the file `hello`.
host_dir() {
  local dir=$BATS_TEST_TMPDIR/$1
  mkdir -p "$dir"
  echo "from the host" >"$dir/hello"
  echo "$dir"
}

@test "rootfs: root.readonly makes / read-only" {
  make_bundle
  cfg '.root.readonly = true'
  set_args sh -c 'touch /x 2>&1; echo "rc=$?"'
  run ctr_run "$(new_id)"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'touch: /x: Read-only file system\nrc=1')" ]
  [ ! -e "$BUNDLE/rootfs/x" ]
}

@test "rootfs: without root.readonly the process writes to the rootfs" {
  writable_bundle
  set_args touch /x
  run ctr_run "$(new_id)"
  echo "$output"
  [ "$status" -eq 0 ]
  [ -f "$BUNDLE/rootfs/x" ]
}

@test "rootfs: --no-pivot runs with the rootfs as the process's root" {
  make_bundle
  set_args sh -c 'stat -c %i /; ls -a /'
  run ctr_run "$(new_id)" --no-pivot
  echo "$output"
  [ "$status" -eq 0 ]
  echo "inside: $(tr '\n' ' ' <<<"$output")"
  [ "${lines[0]}" = "$(stat -c %i "$BUNDLE/rootfs")" ]
  [ "$(tail -n +2 <<<"$output" | LC_ALL=C sort)" = "$(ls -a "$BUNDLE/rootfs" | LC_ALL=C sort)" ]
}

# A file of /proc in the spec's maskedPaths that this kernel has and that reads non-empty on
# the host (/proc/kcore needs CONFIG_PROC_KCORE, for instance).
default_masked_proc_file() {
  local p
  for p in /proc/timer_list /proc/kcore /proc/sched_debug /proc/keys; do
    grep -qx "$p" <(jq -r '.linux.maskedPaths[]' "$BUNDLE/config.json") || continue
    [ -f "$p" ] && [ -n "$(head -c 1 "$p" 2>/dev/null)" ] && { echo "$p"; return; }
  done
}

@test "rootfs: masked paths read empty: a default one of /proc, a file and a directory of ours" {
  make_bundle
  mkdir -p "$BUNDLE/rootfs/secretdir"
  echo secret >"$BUNDLE/rootfs/secretdir/inside"
  echo secret >"$BUNDLE/rootfs/secret.txt"
  proc_file=$(default_masked_proc_file)
  [ -n "$proc_file" ] || skip "none of the spec's masked files of /proc is readable on this kernel"
  script="echo \"proc \$(wc -c <$proc_file)\"; echo \"file \$(cat /secret.txt)\";
          echo \"dir [\$(ls -A /secretdir)]\""
  set_args sh -c "$script"
  # unmasked, each has something to hide...
  cfg '.linux.maskedPaths = []'
  run ctr_run "$(new_id)"
  echo "unmasked: $output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" != "proc 0" ]
  [ "$(tail -n 2 <<<"$output")" = "$(printf 'file secret\ndir [inside]')" ]
  # ...and masked, nothing
  cfg '.linux.maskedPaths = [$p, "/secret.txt", "/secretdir"]' --arg p "$proc_file"
  run ctr_run "$(new_id)"
  echo "masked: $output"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'proc 0\nfile \ndir []')" ]
  # masked inside only
  [ "$(cat "$BUNDLE/rootfs/secret.txt")" = secret ]
}

@test "rootfs: read-only paths: /proc/sys and a directory of ours refuse writes" {
  writable_bundle
  mkdir -p "$BUNDLE/rootfs/rodir"
  cfg '.linux.readonlyPaths += ["/rodir"]'
  grep -qx /proc/sys <(jq -r '.linux.readonlyPaths[]' "$BUNDLE/config.json")
  set_args sh -c 'echo x > /proc/sys/kernel/domainname; touch /rodir/f; touch /rwfile && echo rw-ok'
  run ctr_run "$(new_id)"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "sh: can't create /proc/sys/kernel/domainname: Read-only file system" ]
  [ "${lines[1]}" = "touch: /rodir/f: Read-only file system" ]
  [ "${lines[2]}" = rw-ok ]
  [ ! -e "$BUNDLE/rootfs/rodir/f" ]
}

@test "rootfs: linux.devices makes a char device with its mode, and it works" {
  make_bundle
  cfg '.linux.devices = [{path: "/dev/mynull", type: "c", major: 1, minor: 3, fileMode: 384,
                          uid: 0, gid: 0}]'
  set_args sh -c 'ls -l /dev/mynull | cut -c1-10; stat -c "%F %a %t:%T" /dev/mynull;
                  echo data > /dev/mynull && echo written'
  run ctr_run "$(new_id)"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'crw-------\ncharacter special file 600 1:3\nwritten')" ]
}

@test "rootfs: the default /dev: char devices, and fd, stdio and ptmx links" {
  make_bundle
  set_args sh -c 'for d in null zero full random urandom tty; do stat -c "%n %F %t:%T" /dev/$d; done
                  for l in fd stdin stdout stderr ptmx; do echo "$l -> $(readlink /dev/$l)"; done'
  run ctr_run "$(new_id)"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "$(cat <<'EOF'
/dev/null character special file 1:3
/dev/zero character special file 1:5
/dev/full character special file 1:7
/dev/random character special file 1:8
/dev/urandom character special file 1:9
/dev/tty character special file 5:0
fd -> /proc/self/fd
stdin -> /proc/self/fd/0
stdout -> /proc/self/fd/1
stderr -> /proc/self/fd/2
ptmx -> pts/ptmx
EOF
)" ]
}

@test "rootfs: linux.sysctl kernel.shmmax shows inside, the host's is unchanged" {
  before=$(cat /proc/sys/kernel/shmmax)
  value=$((0x48550000 + RANDOM))
  [ "$value" != "$before" ]
  make_bundle
  cfg '.linux.sysctl = {"kernel.shmmax": $v}' --arg v "$value"
  set_args cat /proc/sys/kernel/shmmax
  run ctr_run "$(new_id)"
  echo "$output"
  after=$(cat /proc/sys/kernel/shmmax)
  if [ "$after" != "$before" ]; then
    echo "$before" >/proc/sys/kernel/shmmax # leaked into the host: put it back, then fail
    false
  fi
  [ "$status" -eq 0 ]
  [ "$output" = "$value" ]
}

@test "rootfs: linux.sysctl net.ipv4.ip_forward=1 in a new netns, the host's is unchanged" {
  before=$(cat /proc/sys/net/ipv4/ip_forward)
  make_bundle
  add_ns net
  cfg '.linux.sysctl = {"net.ipv4.ip_forward": "1"}'
  set_args cat /proc/sys/net/ipv4/ip_forward
  run ctr_run "$(new_id)"
  echo "$output"
  after=$(cat /proc/sys/net/ipv4/ip_forward)
  if [ "$after" != "$before" ]; then
    echo "$before" >/proc/sys/net/ipv4/ip_forward
    false
  fi
  [ "$status" -eq 0 ]
  [ "$output" = 1 ]
}

@test "rootfs: domainname from the config, the host's unchanged" {
  is_hull || skip "parity run: runc 1.1 ignores the config's domainname; runtime under test is $HULL_OCI"
  before=$(cat /proc/sys/kernel/domainname)
  make_bundle
  add_ns uts
  cfg '.domainname = "hulltest.example"'
  set_args cat /proc/sys/kernel/domainname
  run ctr_run "$(new_id)"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = hulltest.example ]
  [ "$(cat /proc/sys/kernel/domainname)" = "$before" ]
}

@test "rootfs: a host directory bound read-only: reading works, writing fails" {
  make_bundle
  dir=$(host_dir data)
  add_mount /data bind "$dir" bind ro
  set_args sh -c 'cat /data/hello; touch /data/new 2>&1; echo "rc=$?"'
  run ctr_run "$(new_id)"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'from the host\ntouch: /data/new: Read-only file system\nrc=1')" ]
  [ ! -e "$dir/new" ]
}

@test "rootfs: a host directory bound read-write: a file written inside is on the host" {
  make_bundle
  dir=$(host_dir data)
  add_mount /data bind "$dir" bind rw
  set_args sh -c 'echo from-inside > /data/new'
  run ctr_run "$(new_id)"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(cat "$dir/new")" = from-inside ]
}

@test "rootfs: rbind carries the mounts under the source, bind does not" {
  make_bundle
  dir=$(host_dir data)
  mkdir -p "$dir/sub"
  mount_on_host -t tmpfs hulltest-sub "$dir/sub"
  echo "on the submount" >"$dir/sub/file"
  add_mount /rbound bind "$dir" rbind ro
  add_mount /bound bind "$dir" bind ro
  set_args sh -c 'echo "rbind [$(cat /rbound/sub/file)]"; echo "bind [$(ls -A /bound/sub)]"'
  run ctr_run "$(new_id)"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'rbind [on the submount]\nbind []')" ]
}

@test "rootfs: a host file bound onto a file" {
  make_bundle
  echo "host config" >"$BATS_TEST_TMPDIR/hulltest.conf"
  echo "image config" >"$BUNDLE/rootfs/etc/hulltest.conf"
  add_mount /etc/hulltest.conf bind "$BATS_TEST_TMPDIR/hulltest.conf" bind ro
  set_args cat /etc/hulltest.conf
  run ctr_run "$(new_id)"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "host config" ]
  [ "$(cat "$BUNDLE/rootfs/etc/hulltest.conf")" = "image config" ]
}

@test "rootfs: default propagation: a mount made inside a shared host bind stays inside" {
  make_bundle
  with_ctl
  dir=$(host_dir shared)
  mkdir -p "$dir/sub"
  # a shared mount on the host: were the container's copy shared too, a mount made under it
  # inside would appear here
  mount_on_host --bind "$dir" "$dir"
  mount --make-shared "$dir"
  add_mount /data bind "$dir" rbind rw
  add_caps CAP_SYS_ADMIN
  set_args sh -c "mount -t tmpfs hulltest-inside /data/sub && touch /data/sub/made-inside &&
                  touch /ctl/ready && $WAIT_GO"
  id=$(new_id)
  ctr_start_detached "$id"
  wait_file "$BATS_TEST_TMPDIR/ctl/ready" "$id"
  grep hulltest-inside "/proc/$(ctr_pid "$id")/mountinfo"
  refute grep hulltest-inside /proc/self/mountinfo
  [ ! -e "$dir/sub/made-inside" ]
  touch "$BATS_TEST_TMPDIR/ctl/go"
  wait_status "$id" stopped
}

@test "rootfs: --preserve-fds 1 passes fd 3 and nothing else" {
  make_bundle
  echo "passed in fd 3" >"$BATS_TEST_TMPDIR/fd3"
  set_args probe fds
  run ctr_run "$(new_id)" --preserve-fds 1 3<"$BATS_TEST_TMPDIR/fd3"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "0 1 2 3" ]
  set_args cat /proc/self/fd/3
  run ctr_run "$(new_id)" --preserve-fds 1 3<"$BATS_TEST_TMPDIR/fd3"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "passed in fd 3" ]
}

@test "rootfs: a relative --pid-file is resolved against the caller's cwd" {
  make_bundle
  set_args probe sleep 1000
  mkdir -p "$BATS_TEST_TMPDIR/cwd"
  id=$(new_id)
  (cd "$BATS_TEST_TMPDIR/cwd" && ctr_create "$id" --pid-file init.pid)
  [ -s "$BATS_TEST_TMPDIR/cwd/init.pid" ]
  [ "$(cat "$BATS_TEST_TMPDIR/cwd/init.pid")" -eq "$(ctr_pid "$id")" ]
  [ ! -e "$BUNDLE/init.pid" ]
}

@test "rootfs: oomScoreAdj shows in /proc/self/oom_score_adj" {
  make_bundle
  cfg '.process.oomScoreAdj = 500'
  set_args cat /proc/self/oom_score_adj
  run ctr_run "$(new_id)"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = 500 ]
}

@test "rootfs: noNewPrivileges keeps a setuid-root program from raising the uid" {
  make_bundle
  install -m 4755 -o 0 -g 0 "$BUNDLE/rootfs/bin/probe" "$BUNDLE/rootfs/bin/suid-probe"
  cfg '.process.user = {uid: 1000, gid: 1000}'
  set_args suid-probe ids
  cfg '.process.noNewPrivileges = false'
  run ctr_run "$(new_id)"
  echo "$output"
  [ "$status" -eq 0 ]
  # without the flag the setuid bit works: the rootfs is not nosuid, the test means something
  [ "$output" = "uid=1000 gid=1000 euid=0 egid=1000 groups=" ]
  cfg '.process.noNewPrivileges = true'
  run ctr_run "$(new_id)"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "uid=1000 gid=1000 euid=1000 egid=1000 groups=" ]
}
