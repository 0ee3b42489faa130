#!/bin/bash
# bench/compare.sh - two builds' event intake, run after run, on one machine.
#
#   bench/compare.sh BIN_A BIN_B        e.g. a build of main against a build of a change
#
# On a shared and noisy machine two runs minutes apart can differ by a third, more
# than most changes do: this script alternates the builds, A then B, for
# COMPARE_ROUNDS rounds, so that both see the same weather, and reports every pair,
# the medians and in how many pairs B was ahead. Each build gets a demo database
# built by itself (the schemas may differ) and every run a fresh copy of it; each
# run is bench/events.lua (authenticated POST /api/v1/events as the demo's hotline
# account) for BENCH_DURATION at BENCH_CONNECTIONS, and records events/s, p99, the
# server's CPU per event and the busiest server thread's (the writer's) CPU per
# event.
#
# Environment: COMPARE_ROUNDS (6), BENCH_DURATION (7s), BENCH_CONNECTIONS (64),
# BENCH_THREADS (2). Output is also saved under bench/out/.
set -euo pipefail
cd "$(dirname "$0")/.."

[ $# -eq 2 ] || {
  echo "usage: bench/compare.sh BIN_A BIN_B" >&2
  exit 64
}
BIN_A=$1
BIN_B=$2
ROUNDS=${COMPARE_ROUNDS:-6}

bench_name=bench-compare
. bench/lib.sh
wrk_settings 7s 64
command -v wrk >/dev/null || die "wrk is not installed (apt-get install wrk)"
command -v sqlite3 >/dev/null || die "the sqlite3 CLI is needed (apt-get install sqlite3)"
for b in "$BIN_A" "$BIN_B"; do
  [ -x "$b" ] || die "$b is not an executable"
done
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "COMPARE_ROUNDS must be a positive number"
bench_begin compare

echo "tiaokuai bench compare $stamp: A=$BIN_A B=$BIN_B, $ROUNDS rounds of $DURATION"
machine_line
for x in A B; do
  bin_var=BIN_$x
  "${!bin_var}" demo --db "$tmp/$x.db" >"$tmp/demo-$x.log" 2>&1 ||
    { cat "$tmp/demo-$x.log" >&2; die "the demo of $x failed"; }
  intake_data "$tmp/$x.db" "$tmp/$x.txt"
done

# one_run X: one intake run of build X on a fresh copy of its demo; appends
# "X rps p99 us_server us_writer" to $tmp/runs.
one_run() {
  local x=$1 bin_var=BIN_$1
  BIN=${!bin_var}
  rm -f "$tmp/run.db" "$tmp/run.db-wal" "$tmp/run.db-shm"
  cp "$tmp/$x.db" "$tmp/run.db"
  start_server "$tmp/server-$x.log" --db "$tmp/run.db"
  BENCH_TOKEN=$(hotline_token)
  export BENCH_TOKEN BENCH_EVENTS_DATA=$tmp/$x.txt
  run_wrk "round $round, $x" bench/events.lua /api/v1/events >"$tmp/run.out"
  stop_server
  [ "$R_STATUS" -eq 0 ] && [ "${R_NON2XX:-1}" -eq 0 ] || {
    cat "$tmp/run.out" >&2
    die "$x: the intake run failed"
  }
  echo "$x $R_RPS $R_P99 $R_US $(awk -v t="$R_TOP" -v r="$R_RPS" 'BEGIN{printf "%.0f", (r > 0) ? t/r*1e6 : 0}')" >>"$tmp/runs"
}

: >"$tmp/runs"
printf '\n%-6s %9s %9s %7s %9s %9s %13s %13s\n' round "A ev/s" "B ev/s" "B/A" "A p99 ms" "B p99 ms" "A µs srv/wr" "B µs srv/wr"
for round in $(seq "$ROUNDS"); do
  one_run A
  one_run B
  tail -2 "$tmp/runs" | awk -v r="$round" '{x[NR]=$0} END{split(x[1],a," "); split(x[2],b," ");
    printf "%-6s %9.0f %9.0f %7.3f %9.1f %9.1f %13s %13s\n", r, a[2], b[2], b[2]/a[2], a[3], b[3],
      a[4] "/" a[5], b[4] "/" b[5]}'
done

median() { sort -n | awk '{v[NR]=$1} END{printf "%.0f", (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
echo
for x in A B; do
  rps=$(awk -v x="$x" '$1 == x {print $2}' "$tmp/runs" | median)
  srv=$(awk -v x="$x" '$1 == x {print $4}' "$tmp/runs" | median)
  wr=$(awk -v x="$x" '$1 == x {print $5}' "$tmp/runs" | median)
  printf '%s: median %s events/s, server %s µs per event, writer %s µs per event\n' "$x" "$rps" "$srv" "$wr"
  declare "M_$x=$rps"
done
ahead=$(paste -d' ' <(awk '$1 == "A" {print $2}' "$tmp/runs") <(awk '$1 == "B" {print $2}' "$tmp/runs") |
  awk '$2 > $1 {n++} END{print n + 0}')
echo "B/A of the medians: $(awk -v a="$M_A" -v b="$M_B" 'BEGIN{printf "%.3f", b/a}'); B ahead in $ahead of $ROUNDS pairs"
echo "saved: $out"
