#!/usr/bin/env bats
# linux.resources through the runtime on this machine's cgroup v1: device rules (the devices
# controller) and blkio, memory and hugetlb values. With HULL_OCI=runc the same tests pass,
# except those marked hull-oci's own.

load helpers

# The container's directory in a v1 hierarchy (the suite's cgroupsPath is /hulltest-<id>).
cgroup_dir() { echo "/sys/fs/cgroup/$1/hulltest-$2"; }

# Skips unless a v1 hierarchy of CONTROLLER is mounted at /sys/fs/cgroup/CONTROLLER.
need_v1() {
  awk -v c="$1" '$5 == "/sys/fs/cgroup/" c && / - cgroup cgroup / { found = 1 } END { exit !found }' \
    /proc/self/mountinfo || skip "no cgroup v1 $1 hierarchy at /sys/fs/cgroup/$1"
}

# A container whose shell prints what it could open, run in the foreground. (A redirection
# that fails on `:`, a special built-in, would end the shell: open in a subshell.)
run_shell() {
  set_args sh -c "$1"
  ID=$(new_id)
  run ctr_run "$ID"
}

@test "devices: a rule denying c 1:5 makes /dev/zero EPERM; the defaults keep /dev/null usable" {
  need_v1 devices
  is_hull || skip "runc appends its own allow rules, c 1:5 among them, after the spec's: a spec cannot deny /dev/zero there"
  make_bundle
  cfg '.linux.resources.devices += [{allow: false, type: "c", major: 1, minor: 5, access: "rwm"}]'
  run_shell '[ -c /dev/zero ] && echo zero-is-there; head -c 1 /dev/zero >/dev/null && echo zero-read
             echo x >/dev/null && echo null-ok; head -c 1 /dev/urandom >/dev/null && echo urandom-ok'
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *zero-is-there* ]]
  [[ "$output" == *"/dev/zero: Operation not permitted"* ]]
  [[ "$output" != *zero-read* ]]
  [[ "$output" == *null-ok* ]]
  [[ "$output" == *urandom-ok* ]]
}

@test "devices: the spec's rules apply in order (a bind-mounted /dev/fuse, allowed, then denied)" {
  need_v1 devices
  [ -c /dev/fuse ] || skip "no /dev/fuse on this host"
  make_bundle
  add_mount /dev/fuse bind /dev/fuse bind
  cfg '.linux.resources.devices += [{allow: true, type: "c", major: 10, minor: 229, access: "rwm"}]'
  run_shell '(: </dev/fuse) && echo fuse-ok; echo x >/dev/null && echo null-ok'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'fuse-ok\nnull-ok')" ]

  make_bundle
  add_mount /dev/fuse bind /dev/fuse bind
  cfg '.linux.resources.devices += [{allow: true, type: "c", major: 10, minor: 229, access: "rwm"},
                                    {allow: false, type: "c", major: 10, minor: 229, access: "rw"}]'
  run_shell '(: </dev/fuse) && echo fuse-ok; echo x >/dev/null && echo null-ok'
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"/dev/fuse: Operation not permitted"* ]]
  [[ "$output" != *fuse-ok* ]]
  [[ "$output" == *null-ok* ]]
}

@test "devices: a rule cgroup v1 would silently not apply is refused with one line (hull-oci)" {
  need_v1 devices
  hull_only "refusing a hole in a wider device rule"
  make_bundle
  cfg '.linux.resources.devices += [{allow: true, type: "c", access: "rwm"},
                                    {allow: false, type: "c", major: 1, minor: 3, access: "rw"}]'
  ID=$(new_id)
  run quietly ctr_run "$ID"
  [ "$status" -ne 0 ]
  assert_one_error_line "$BATS_TEST_TMPDIR/err"
  grep -q 'deny c 1:3 rw cannot take effect after allow c \*:\* rwm' "$BATS_TEST_TMPDIR/err"
  assert_nothing_left "$ID"
}

@test "blockIO: weight and a read throttle reach the blkio files" {
  need_v1 blkio
  # Weights belong to the I/O scheduler: blkio.weight was CFQ's (gone since Linux 5.0), BFQ
  # shows blkio.bfq.weight once loaded. Both appear only below the root: look in a probe cgroup.
  local probe=/sys/fs/cgroup/blkio/hulltest-probe-$$ file=
  mkdir "$probe"
  [ -e "$probe/blkio.weight" ] && file=blkio.weight
  [ -z "$file" ] && [ -e "$probe/blkio.bfq.weight" ] && file=blkio.bfq.weight
  rmdir "$probe"
  if [ -z "$file" ]; then
    skip "no blkio weight file here: blkio.weight needs CFQ (before Linux 5.0), blkio.bfq.weight BFQ"
  fi
  local dev
  dev=$(cat /sys/block/loop0/dev 2>/dev/null) || skip "no /dev/loop0 to throttle"
  make_bundle
  cfg '.linux.resources.blockIO = {weight: 500,
         throttleReadBpsDevice: [{major: $ma, minor: $mi, rate: 1048576}]}' \
    --argjson ma "${dev%:*}" --argjson mi "${dev#*:}"
  set_args probe sleep 1000
  ID=$(new_id)
  ctr_start_detached "$ID"
  echo "$file: $(cat "$(cgroup_dir blkio "$ID")/$file")"
  [ "$(cat "$(cgroup_dir blkio "$ID")/$file")" = 500 ]
  [ "$(cat "$(cgroup_dir blkio "$ID")/blkio.throttle.read_bps_device")" = "$dev 1048576" ]
}

@test "memory: swappiness and disableOOMKiller reach memory.swappiness and memory.oom_control" {
  need_v1 memory
  make_bundle
  cfg '.linux.resources.memory = {swappiness: 20, disableOOMKiller: true}'
  set_args probe sleep 1000
  ID=$(new_id)
  ctr_start_detached "$ID"
  [ "$(cat "$(cgroup_dir memory "$ID")/memory.swappiness")" = 20 ]
  grep -qx 'oom_kill_disable 1' "$(cgroup_dir memory "$ID")/memory.oom_control"
}

@test "hugepageLimits without a v1 hugetlb hierarchy: one line naming the controller (hull-oci)" {
  hull_only "the wording of a missing controller"
  if awk '/ - cgroup cgroup .*hugetlb/ { found = 1 } END { exit !found }' /proc/self/mountinfo; then
    skip "this host has a v1 hugetlb hierarchy"
  fi
  [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ] || skip "cgroup v2 host"
  make_bundle
  cfg '.linux.resources.hugepageLimits = [{pageSize: "2MB", limit: 4194304}]'
  ID=$(new_id)
  run quietly ctr_run "$ID"
  [ "$status" -ne 0 ]
  assert_one_error_line "$BATS_TEST_TMPDIR/err"
  grep -q 'hugetlb.2MB.limit_in_bytes: no hugetlb hierarchy is mounted under /sys/fs/cgroup' \
    "$BATS_TEST_TMPDIR/err"
  assert_nothing_left "$ID"
}
