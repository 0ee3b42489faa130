#!/bin/bash
# bench/summary.sh - GET /api/v1/stats/summary at scale: does the summary stay cheap
# when the history grows?
#
# For each size in BENCH_SUMMARY_EVENTS (default "10000 1000000") it needs a database
# with that many events over BENCH_SUMMARY_DAYS (365) days ending BENCH_SUMMARY_END
# (2026-11-29T18:00:00+08:00): `tiaokuai demo --events 0` (the city without events),
# then `tiaokuai simulate` (the real domain functions on a manual clock, see
# src/cli/simulate.c). Databases are kept as bench/out/summary-N.db and reused by later
# runs (BENCH_SUMMARY_REBUILD=1 builds them again); building prints how long it took
# (1,000,000 events take most of an hour on a 2-CPU machine).
#
# Then for each: the server on the database, a bearer token for the demo's `leader`
# (the whole city), and wrk at low concurrency (BENCH_SUMMARY_CONNECTIONS, 4, one wrk
# thread, BENCH_DURATION, 10s) on the summary of 柯城区 (330802) for the month before
# the end (bench/get.lua); also one request with source=raw (the same figures
# recomputed from events and timelines, which does grow with history) for contrast.
# Prints p50/p99 per size and the ratio between the largest and the smallest.
# Target: p99 under 20 ms at 1,000,000 events. Output is saved under bench/out/.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${BENCH_SUMMARY_EVENTS:-10000 1000000}
DAYS=${BENCH_SUMMARY_DAYS:-365}
END=${BENCH_SUMMARY_END:-2026-11-29T18:00:00+08:00}
DURATION=${BENCH_DURATION:-10s}
[[ $DURATION =~ ^[0-9]+$ ]] && DURATION="${DURATION}s"
CONNECTIONS=${BENCH_SUMMARY_CONNECTIONS:-4}
TARGET_P99_MS=20
COUNTY=330802

bench_name=bench-summary
. bench/lib.sh
command -v wrk >/dev/null || die "wrk is not installed (apt-get install wrk)"
command -v sqlite3 >/dev/null || die "the sqlite3 CLI is needed (apt-get install sqlite3)"
command -v curl >/dev/null || die "curl is needed"
[ -x "$BIN" ] || die "$BIN is missing; run make build first"

bench_begin summary


# The month before the end's month: from and to days.
end_day=${END:0:10}
read -r from to < <(python3 -c "
import datetime as d
e = d.date.fromisoformat('$end_day')
last = e.replace(day=1) - d.timedelta(days=1)
print(last.replace(day=1).isoformat(), last.isoformat())")

echo "tiaokuai bench summary $stamp"
machine_line
echo "period: $DAYS days ending $END; summary of $COUNTY for $from..$to; wrk -t1 -c$CONNECTIONS -d$DURATION"

declare -A P50 P99 RPS RAW
for n in $SIZES; do
  db=bench/out/summary-$n.db
  if [ ! -f "$db" ] || [ "${BENCH_SUMMARY_REBUILD:-0}" = 1 ]; then
    rm -f "$db" "$db-wal" "$db-shm"
    echo
    echo "== building $db: tiaokuai demo --events 0, then tiaokuai simulate --events $n --days $DAYS --end $END"
    t0=$(date +%s.%N)
    "$BIN" demo --db "$db" --events 0 >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log" >&2; die "demo failed"; }
    t1=$(date +%s.%N)
    "$BIN" simulate --db "$db" --events "$n" --days "$DAYS" --seed 20261129 --end "$END" \
      >"$tmp/sim.out" 2>"$tmp/sim.log" || { tail -5 "$tmp/sim.log" >&2; die "simulate failed"; }
    t2=$(date +%s.%N)
    cat "$tmp/sim.out"
    echo "-- demo $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s, simulation of $n events $(awk -v a="$t1" -v b="$t2" 'BEGIN{printf "%.1f", b-a}') s ($(awk -v a="$t1" -v b="$t2" -v n="$n" 'BEGIN{printf "%.0f", n/(b-a)}') events/s)"
  fi
  events=$(sqlite3 -readonly "$db" "SELECT count(*) FROM events")
  rollups=$(sqlite3 -readonly "$db" "SELECT count(*) FROM stats_daily")
  size=$(du -m "$db" | cut -f1)
  county_id=$(sqlite3 -readonly "$db" "SELECT id FROM units WHERE code = '$COUNTY'")
  echo
  echo "== $n: $db ($size MiB): $events events, $rollups daily rollup rows; 柯城区 is unit $county_id"

  cp "$db" "$tmp/serve.db"
  start_server "$tmp/server.log" --db "$tmp/serve.db"
  token=$(curl -s -X POST "http://127.0.0.1:$port/api/v1/session" -H 'Content-Type: application/json' \
    -d '{"username":"leader","password":"Demo-Leader-2026","bearer":true}' |
    sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
  [ -n "$token" ] || die "could not log in as leader"
  path="/api/v1/stats/summary?unit_id=$county_id&from=$from&to=$to"
  curl -s -H "Authorization: Bearer $token" "http://127.0.0.1:$port$path" >"$tmp/summary.json"
  echo "-- rollup summary: $(head -c 400 "$tmp/summary.json")"
  raw_s=$(curl -s -o "$tmp/raw.json" -w '%{time_total}' -H "Authorization: Bearer $token" \
    "http://127.0.0.1:$port$path&source=raw")
  RAW[$n]=$(awk -v s="$raw_s" 'BEGIN{printf "%.1f", s*1000}')
  same=$(python3 -c "
import json
a = json.load(open('$tmp/summary.json'))['counts']; b = json.load(open('$tmp/raw.json'))['counts']
print('equal' if a == b else 'DIFFERENT: ' + ', '.join(k for k in a if a[k] != b.get(k)))")
  echo "-- source=raw (recomputed from events and timelines): ${RAW[$n]} ms, counts $same"
  BENCH_TOKEN=$token wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/get.lua \
    "http://127.0.0.1:$port$path" >"$tmp/wrk.out" 2>&1 || true
  cat "$tmp/wrk.out"
  line=$(grep '^BENCH ' "$tmp/wrk.out" | tail -1)
  [ -n "$line" ] || die "wrk printed no BENCH line"
  [ "$(field non2xx "$line")" = 0 ] || die "non-2xx answers: $(field statuses "$line")"
  P50[$n]=$(field p50_ms "$line")
  P99[$n]=$(field p99_ms "$line")
  RPS[$n]=$(field rps "$line")
  stop_server
done

echo
echo "== summary: GET /api/v1/stats/summary (柯城区, $from..$to), $CONNECTIONS connections"
printf '%12s %10s %9s %9s %14s\n' events "req/s" "p50 ms" "p99 ms" "raw once ms"
for n in $SIZES; do
  printf '%12s %10.0f %9.3f %9.3f %14s\n' "$n" "${RPS[$n]}" "${P50[$n]}" "${P99[$n]}" "${RAW[$n]}"
done
read -r -a sizes <<<"$SIZES"
small=${sizes[0]}
large=${sizes[${#sizes[@]}-1]}
echo "p99 at $large / p99 at $small: $(awk -v a="${P99[$large]}" -v b="${P99[$small]}" 'BEGIN{printf "%.2f", (b > 0) ? a/b : 0}')"
echo "target: p99 < $TARGET_P99_MS ms at $large events: $(awk -v v="${P99[$large]}" -v t="$TARGET_P99_MS" 'BEGIN{print (v < t) ? "met" : "MISSED"}')"
echo "saved: $out"
