#!/usr/bin/env bats
# The container's process as config.json describes it: argv, env, cwd, user and groups, umask,
# rlimits, no_new_privs, capabilities; and nothing of the runtime leaks into it (fds).

load helpers

@test "process: only fds 0, 1 and 2 are open in the container (run)" {
  make_bundle
  set_args probe fds
  run ctr_run "$(new_id)"
  [ "$status" -eq 0 ]
  [ "$output" = "0 1 2" ]
}

@test "process: only fds 0, 1 and 2 are open in the container (create, start)" {
  make_bundle
  set_args probe fds
  id=$(new_id)
  ctr_start_detached "$id"
  wait_status "$id" stopped
  [ "$(cat "$BATS_TEST_TMPDIR/$id.out")" = "0 1 2" ]
}

@test "process: env and cwd from the config" {
  make_bundle
  mkdir -p "$BUNDLE/rootfs/work"
  cfg '.process.env += ["HULLTEST_VAR=some value"] | .process.cwd = "/work"'
  set_args sh -c 'probe env HULLTEST_VAR; probe cwd'
  run ctr_run "$(new_id)"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'some value\n/work')" ]
}

@test "process: uid, gid, additional groups and umask from the config" {
  make_bundle
  cfg '.process.user = {uid: 1234, gid: 5678, additionalGids: [11, 12], umask: 63}'
  set_args sh -c 'probe ids; probe umask'
  run ctr_run "$(new_id)"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "uid=1234 gid=5678 euid=1234 egid=5678 groups=11,12" ]
  [ "${lines[1]}" = 0077 ]
}

@test "process: rlimits and no_new_privs from the config" {
  make_bundle
  cfg '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 777, hard: 888}]
       | .process.noNewPrivileges = true'
  set_args sh -c 'probe rlimit NOFILE; probe nnp'
  run ctr_run "$(new_id)"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf '777 888\n1')" ]
}

@test "process: without noNewPrivileges the flag is clear" {
  make_bundle
  cfg '.process.noNewPrivileges = false'
  set_args probe nnp
  run ctr_run "$(new_id)"
  [ "$status" -eq 0 ]
  [ "$output" = 0 ]
}

@test "process: capabilities from the config, all five sets" {
  make_bundle
  # CAP_CHOWN (0) and CAP_NET_RAW (13) everywhere, inheritable and ambient included
  cfg '.process.capabilities = {bounding: ["CAP_CHOWN", "CAP_NET_RAW"],
                                effective: ["CAP_CHOWN", "CAP_NET_RAW"],
                                permitted: ["CAP_CHOWN", "CAP_NET_RAW"],
                                inheritable: ["CAP_CHOWN", "CAP_NET_RAW"],
                                ambient: ["CAP_CHOWN", "CAP_NET_RAW"]}'
  set_args probe caps
  run ctr_run "$(new_id)"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'CapInh 0000000000002001\nCapPrm 0000000000002001\nCapEff 0000000000002001\nCapBnd 0000000000002001\nCapAmb 0000000000002001')" ]
}

@test "process: the rootfs is the process's root" {
  make_bundle
  set_args ls -a /
  run ctr_run "$(new_id)"
  [ "$status" -eq 0 ]
  echo "inside: $(tr '\n' ' ' <<<"$output")"
  [ "$(LC_ALL=C sort <<<"$output")" = "$(ls -a "$BUNDLE/rootfs" | LC_ALL=C sort)" ]
}
