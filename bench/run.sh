#!/bin/bash
# bench/run.sh - what `make bench` runs (after building build/tiaokuai).
#
# Starts the server on a temporary database and a free loopback port, then runs
# wrk twice against it, each for BENCH_DURATION at BENCH_CONNECTIONS connections:
#   1. GET /healthz                       (bench/healthz.lua)
#   2. POST /api/v1/_probe/writes         (bench/write.lua: a unique key per request;
#                                          201 only once the row is durable)
# and prints req/s, p50, p99 and non-2xx counts for each, the write/read ratio
# (write req/s / healthz req/s of this run), the group-commit batch sizes from
# GET /metrics and how the CPU was split between wrk and the server.
# Everything printed is also saved under bench/out/ (gitignored).
# Then it runs bench/events.sh, the event intake benchmark (BENCH_EVENTS=0 skips it;
# bench/summary.sh, the statistics summary at 1,000,000 events, is run on its own).
#
# Environment:
#   BENCH_DURATION      wrk duration per endpoint (default 10s; a bare number is seconds)
#   BENCH_CONNECTIONS   open connections (default 64)
#   BENCH_THREADS       wrk threads (default 2)
#   BENCH_SERVER_ARGS   extra arguments for `tiaokuai serve` (e.g. "--threads 4")
#   BENCH_HEALTHZ_COUNT "wrk" to count /healthz statuses from wrk's summary instead of
#                       a Lua response() callback (see bench/healthz.lua)
#   TIAOKUAI_BIN        the binary (default build/tiaokuai)
#
# Exit status: 0 when both runs mostly succeeded, 1 when most responses of a run were
# errors, the server died, or fewer rows than 201 responses reached the database.
# Missing the performance targets is reported, not treated as a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET_HEALTHZ=50000
TARGET_WRITES=20000

bench_name=bench
. bench/lib.sh
wrk_settings 10s 64
command -v wrk >/dev/null || die "wrk is not installed (apt-get install wrk, or scripts/bootstrap.sh check)"
[ -x "$BIN" ] || die "$BIN is missing; run make build first"

# Everything from here on goes to the terminal and to $out.
bench_begin bench
db=$tmp/bench.db

cores=$(nproc)

# --- run ---------------------------------------------------------------------

echo "tiaokuai bench $stamp"
machine_line
echo "server: $BIN serve --probe 1 --per-ip-connections 1024 ${SERVER_ARGS[*]:-} (db $db)"
start_server "$tmp/server.log" --db "$db" --probe 1 "${SERVER_ARGS[@]}"
echo "listening on 127.0.0.1:$port (pid $server_pid)"

# Sanity checks before loading: the endpoints answer as the benchmark expects.
st=$(http_status GET /healthz)
[ "$st" = 200 ] || die "GET /healthz answered $st, expected 200"
st=$(http_status POST /api/v1/_probe/writes "{\"key\":\"bench-sanity-$stamp\"}")
[ "$st" = 201 ] || die "POST /api/v1/_probe/writes answered $st, expected 201 (is --probe honoured?)"
# keepalive_closes PATH: true when the server answers a plain HTTP/1.1 request (which
# asks for keep-alive by default) with "Connection: close".
keepalive_closes() {
  local line closes
  exec 4<>"/dev/tcp/127.0.0.1/$port"
  printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' "$1" >&4
  closes=0
  while IFS= read -r -t 5 line <&4; do
    line=${line%$'\r'}
    [ -n "$line" ] || break # end of the headers
    if [[ ${line,,} =~ ^connection:[[:space:]]*close ]]; then
      closes=1
      break
    fi
  done
  exec 4<&-
  [ "$closes" -eq 1 ]
}
keepalive_note=""
if keepalive_closes /healthz; then
  keepalive_note="GET /healthz answers 'Connection: close' even to an HTTP/1.1 keep-alive request, so wrk opens a new TCP connection for every /healthz request"
  echo "note: $keepalive_note"
fi

failed=0
run_wrk "GET /healthz" bench/healthz.lua /healthz
H_RPS=$R_RPS H_P50=$R_P50 H_P99=$R_P99 H_NON2XX=$R_NON2XX H_SOCK=$R_SOCK H_TO=$R_TIMEOUTS
H_CODES=$R_CODES H_SRV=$R_SRV_CPU H_WRK=$R_WRK_CPU H_BUSY=$R_BUSY H_OTHER=$R_OTHER
[ "$R_STATUS" -eq 0 ] || failed=1

jobs0=$(http GET /metrics | sed -n 's/^tiaokuai_write_batch_size_sum //p')
run_wrk "POST /api/v1/_probe/writes" bench/write.lua /api/v1/_probe/writes
W_RPS=$R_RPS W_P50=$R_P50 W_P99=$R_P99 W_NON2XX=$R_NON2XX W_SOCK=$R_SOCK W_TO=$R_TIMEOUTS
W_CODES=$R_CODES W_SRV=$R_SRV_CPU W_WRK=$R_WRK_CPU W_BUSY=$R_BUSY W_OTHER=$R_OTHER W_OK=$R_OK
[ "$R_STATUS" -eq 0 ] || failed=1

# Group commit: the batch-size histogram (cumulative buckets) from /metrics.
metrics=$(http GET /metrics)
batches=$(sed -n 's/^tiaokuai_write_batch_size_count //p' <<<"$metrics")
jobs=$(sed -n 's/^tiaokuai_write_batch_size_sum //p' <<<"$metrics")
hist=$(sed -n 's/^tiaokuai_write_batch_size_bucket{le="\([^"]*\)"} \([0-9]*\)/\1 \2/p' <<<"$metrics" |
  awk '{n=$2-prev; prev=$2; if (n>0) printf "%s<=%s:%d", sep, $1, n; if (n>0) sep=" "}')
echo
echo "-- group commit since start: $jobs jobs in $batches commits (mean batch $(awk -v j="$jobs" -v b="$batches" 'BEGIN{printf "%.1f", (b > 0) ? j/b : 0}'))"
echo "-- batch sizes (commits per size bucket): $hist"

# Every 201 must be a row: rows >= 201s (wrk stops counting at the deadline while
# the server still commits the requests in flight, so rows may be a few more).
if command -v sqlite3 >/dev/null; then
  rows=$(sqlite3 -readonly "$db" "SELECT count(*) FROM probe_writes WHERE key LIKE '$stamp-%'" 2>/dev/null || echo "?")
  echo "-- rows written by the write run: $rows (201 responses counted by wrk: $W_OK; jobs committed: $((jobs - jobs0)))"
  if [ "$rows" != "?" ] && [ "$rows" -lt "$W_OK" ]; then
    echo "!! fewer rows than 201 responses" >&2
    failed=1
  fi
fi

ratio=$(awk -v w="$W_RPS" -v h="$H_RPS" 'BEGIN{printf "%.2f", (h > 0) ? w/h : 0}')
verdict() { awk -v v="$1" -v t="$2" 'BEGIN{print (v >= t) ? "met" : "MISSED"}'; }

echo
echo "== summary ($DURATION, $CONNECTIONS connections, $THREADS wrk threads, loopback, $cores cores)"
printf '%-28s %9s %8s %8s %8s %8s %11s %8s %6s %5s\n' endpoint "req/s" "p50 ms" "p99 ms" non-2xx "sock err" "server CPU" "wrk CPU" other busy
printf '%-28s %9.0f %8.2f %8.2f %8d %8d %11s %8s %6s %4s%%\n' "GET /healthz" "$H_RPS" "$H_P50" "$H_P99" \
  "$H_NON2XX" "$H_SOCK" "$H_SRV" "$H_WRK" "$H_OTHER" "$H_BUSY"
printf '%-28s %9.0f %8.2f %8.2f %8d %8d %11s %8s %6s %4s%%\n' "POST /api/v1/_probe/writes" "$W_RPS" "$W_P50" \
  "$W_P99" "$W_NON2XX" "$W_SOCK" "$W_SRV" "$W_WRK" "$W_OTHER" "$W_BUSY"
echo "(CPU columns in cores; 'other' is CPU used by anything else on the machine: if it is"
echo " well above zero, another process competed with the benchmark and the run should be repeated)"
echo "statuses: healthz $H_CODES; writes $W_CODES (timeouts: healthz $H_TO, writes $W_TO)"
echo "write/read ratio: $ratio (write req/s / healthz req/s)"
echo "targets: healthz >= $TARGET_HEALTHZ req/s: $(verdict "$H_RPS" "$TARGET_HEALTHZ"); durable writes >= $TARGET_WRITES/s: $(verdict "$W_RPS" "$TARGET_WRITES")"
[ -z "$keepalive_note" ] || echo "note: $keepalive_note"
echo "saved: $out"

# The event intake beside /healthz: bench/events.sh (its own server on a fresh demo
# database, same BENCH_* settings). BENCH_EVENTS=0 skips it.
if [ "${BENCH_EVENTS:-1}" != 0 ]; then
  echo
  echo "== bench/events.sh: POST /api/v1/events (intake with routing) beside GET /healthz"
  bench/events.sh || failed=1
fi
if [ "$failed" -ne 0 ]; then
  echo "bench: FAILED (see the messages above)" >&2
  exit 1
fi
