# shellcheck shell=bash
# bench/lib.sh: what the benchmarks share. Sourced; needs $work (the run's temp dir, with
# the timer built from floor.c in it).

# timed COMMAND...: appends COMMAND's wall time in ns to stdout (the caller redirects it).
timed() { "$work/timer" time "$@" </dev/null 2>>"$work/err"; }

# median FILE: the median of a file of ns values, in ms.
median() {
  sort -n "$1" | awk '{ v[NR] = $1 }
    END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f", m / 1e6 }'
}

# ratio A B: A / B to three places.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

# podman with storage of its own under $work, cgroupfs and file events (there is no systemd
# here). pm RUNTIME ARGS... runs it; pm_flags prints the flags for `timed podman`, which
# execs a binary (the paths under /tmp have no spaces).
pm_flags() {
  echo --root "$work/pm-storage" --runroot "$work/pm-run" --tmpdir "$work/pm-tmp" \
    --cgroup-manager cgroupfs --events-backend file
}
# shellcheck disable=SC2046 # pm_flags is split on purpose
pm() { podman $(pm_flags) --runtime "$1" "${@:2}"; }
have_podman() { command -v podman >/dev/null; }

# busybox_rootfs DIR: busybox-static with every applet, and root in /etc/passwd and group.
busybox_rootfs() {
  mkdir -p "$1"/{bin,dev,proc,sys,tmp,etc,root}
  cp /bin/busybox "$1/bin/busybox"
  local a
  for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$1/bin/$a"; done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$1/etc/passwd"
  echo 'root:x:0:' >"$1/etc/group"
}
