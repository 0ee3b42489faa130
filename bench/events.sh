#!/bin/bash
# bench/events.sh - the event intake benchmark (bench/run.sh runs it after its own two runs).
#
# Builds the 衢州 demo into a temporary directory (or copies BENCH_EVENTS_DEMO, a demo
# database built earlier), starts the server on it, logs in as the demo's `hotline`
# account (role integration, source "hotline", may report anywhere) for a bearer token,
# and writes the data file bench/events.lua rotates over: the stored points of every
# 15th grid (about 300) and every active leaf category (read from the database file with
# the sqlite3 CLI). Then, in the same run, each for BENCH_DURATION at BENCH_CONNECTIONS:
#   1. GET /healthz                          (bench/healthz.lua)
#   2. POST /api/v1/events                   (bench/events.lua: located, routed, checked for
#                                            duplicates, numbered, timed, rolled up,
#                                            notified and audited; 201 once durable)
# and prints events/s, p50, p99 and non-2xx counts, the intake/healthz ratio, how the
# CPU was split, and the events that reached the database. Target: 10,000 events/s.
#
# Environment: BENCH_DURATION (10s), BENCH_CONNECTIONS (64), BENCH_THREADS (2),
# BENCH_SERVER_ARGS, BENCH_HEALTHZ_COUNT (see bench/run.sh), BENCH_EVENTS_DEMO (a demo
# database to copy instead of building one), BENCH_PERF=1 (record the server with
# `perf record -g` during the intake run and print its top symbols), BENCH_KEYS=1 (each
# report with its own Idempotency-Key, as the phone sends them), TIAOKUAI_BIN.
# Output is also saved under bench/out/. Exit status 1 when most intake responses were
# errors, the server died or fewer events than 201 responses reached the database;
# missing the target is reported, not a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET_EVENTS=10000

bench_name=bench-events
. bench/lib.sh
wrk_settings 10s 64
command -v wrk >/dev/null || die "wrk is not installed (apt-get install wrk)"
command -v sqlite3 >/dev/null || die "the sqlite3 CLI is needed to read grids and categories (apt-get install sqlite3)"
[ -x "$BIN" ] || die "$BIN is missing; run make build first"

perf_pid=""
bench_stop_more() {
  if [ -n "$perf_pid" ] && kill -0 "$perf_pid" 2>/dev/null; then
    kill -INT "$perf_pid" 2>/dev/null || true
    wait "$perf_pid" 2>/dev/null || true
  fi
}
bench_begin events
db=$tmp/events.db

cores=$(nproc)

echo "tiaokuai bench events $stamp"
machine_line
if [ -n "${BENCH_EVENTS_DEMO:-}" ]; then
  cp "$BENCH_EVENTS_DEMO" "$db"
  echo "database: a copy of $BENCH_EVENTS_DEMO"
else
  t0=$(date +%s.%N)
  "$BIN" demo --db "$db" >"$tmp/demo.log" 2>&1 || { cat "$tmp/demo.log" >&2; die "tiaokuai demo failed"; }
  echo "database: tiaokuai demo ($(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s): $(tail -1 "$tmp/demo.log")"
fi
events_before=$(sqlite3 -readonly "$db" "SELECT count(*) FROM events")

intake_data "$db" "$tmp/events.txt"
npoints=$(grep -c '^P ' "$tmp/events.txt")
ncats=$(grep -c '^C ' "$tmp/events.txt")

start_server "$tmp/server.log" --db "$db" "${SERVER_ARGS[@]}"
echo "server: $BIN serve --per-ip-connections 1024 ${SERVER_ARGS[*]:-} on 127.0.0.1:$port (pid $server_pid)"

token=$(hotline_token)
# One event by hand first: the endpoint answers as the benchmark expects.
probe=$(http POST /api/v1/events '{"category":"0102","lng":118.87,"lat":28.94,"source":"hotline","description":"压测前检查"}' "$token")
head -1 <<<"$probe" | grep -q ' 201 ' || die "POST /api/v1/events answered: $(head -1 <<<"$probe") $(tail -1 <<<"$probe" | head -c 300)"
echo "intake data: $npoints grid points, $ncats leaf categories; events in the database before: $events_before"

failed=0
run_wrk "GET /healthz" bench/healthz.lua /healthz
H_RPS=$R_RPS H_P50=$R_P50 H_P99=$R_P99 H_NON2XX=$R_NON2XX H_SOCK=$R_SOCK H_SRV=$R_SRV_CPU H_US=$R_US
[ "$R_STATUS" -eq 0 ] || failed=1

if [ "${BENCH_PERF:-0}" = 1 ] && command -v perf >/dev/null; then
  perf record -g -o "$tmp/perf.data" -p "$server_pid" >/dev/null 2>&1 &
  perf_pid=$!
fi
export BENCH_TOKEN=$token BENCH_EVENTS_DATA=$tmp/events.txt
run_wrk "POST /api/v1/events" bench/events.lua /api/v1/events
E_RPS=$R_RPS E_P50=$R_P50 E_P99=$R_P99 E_NON2XX=$R_NON2XX E_SOCK=$R_SOCK E_SRV=$R_SRV_CPU
E_US=$R_US E_OK=$R_OK E_CODES=$R_CODES E_BUSY=$R_BUSY E_TOP=$R_TOP
[ "$R_STATUS" -eq 0 ] || failed=1
if [ -n "$perf_pid" ]; then
  kill -INT "$perf_pid" 2>/dev/null || true
  wait "$perf_pid" 2>/dev/null || true
  perf_pid=""
  echo
  echo "-- perf: the server's top symbols during the intake run (self time)"
  perf report -i "$tmp/perf.data" --no-children --sort dso,sym --stdio 2>/dev/null |
    grep -E '^ +[0-9]' | head -25 || true
fi

rows=$(sqlite3 -readonly "$db" "SELECT count(*) FROM events WHERE description LIKE '%压测事件%'" 2>/dev/null || echo "?")
echo
echo "-- events written by the intake run: $rows (201 responses counted by wrk: $E_OK)"
if [ "$rows" != "?" ] && [ "$rows" -lt "$E_OK" ]; then
  echo "!! fewer events than 201 responses" >&2
  failed=1
fi

ratio=$(awk -v e="$E_RPS" -v h="$H_RPS" 'BEGIN{printf "%.3f", (h > 0) ? e/h : 0}')
echo
echo "== summary ($DURATION, $CONNECTIONS connections, $THREADS wrk threads, loopback, $cores cores)"
printf '%-22s %9s %8s %8s %8s %8s %11s %12s\n' endpoint "req/s" "p50 ms" "p99 ms" non-2xx "sock err" "server CPU" "µs/request"
printf '%-22s %9.0f %8.2f %8.2f %8d %8d %11s %12s\n' "GET /healthz" "$H_RPS" "$H_P50" "$H_P99" \
  "$H_NON2XX" "$H_SOCK" "$H_SRV" "$H_US"
printf '%-22s %9.0f %8.2f %8.2f %8d %8d %11s %12s\n' "POST /api/v1/events" "$E_RPS" "$E_P50" \
  "$E_P99" "$E_NON2XX" "$E_SOCK" "$E_SRV" "$E_US"
echo "statuses: events $E_CODES; busiest server thread (the writer) during the intake run: $E_TOP cores," \
  "$(awk -v t="$E_TOP" -v r="$E_RPS" 'BEGIN{printf "%.0f", (r > 0) ? t/r*1e6 : 0}') µs per event"
echo "intake/healthz ratio: $ratio (events/s / healthz req/s of this run)"
echo "target: intake >= $TARGET_EVENTS events/s: $(awk -v v="$E_RPS" -v t="$TARGET_EVENTS" 'BEGIN{print (v >= t) ? "met" : "MISSED"}')"
echo "saved: $out"
if [ "$failed" -ne 0 ]; then
  echo "bench-events: FAILED (see the messages above)" >&2
  exit 1
fi
