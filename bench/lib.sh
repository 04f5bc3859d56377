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
