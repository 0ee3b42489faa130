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
# `perf record -g` during the intake run and print its top symbols), TIAOKUAI_BIN.
# Output is also saved under bench/out/. Exit status 1 when most intake responses were
# errors, the server died or fewer events than 201 responses reached the database;
# missing the target is reported, not a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${TIAOKUAI_BIN:-build/tiaokuai}
DURATION=${BENCH_DURATION:-10s}
[[ $DURATION =~ ^[0-9]+$ ]] && DURATION="${DURATION}s"
CONNECTIONS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
TARGET_EVENTS=10000
read -r -a SERVER_ARGS <<<"${BENCH_SERVER_ARGS:-}"

die() {
  echo "bench-events: $*" >&2
  exit 1
}
command -v wrk >/dev/null || die "wrk is not installed (apt-get install wrk)"
command -v sqlite3 >/dev/null || die "the sqlite3 CLI is needed to read grids and categories (apt-get install sqlite3)"
[ -x "$BIN" ] || die "$BIN is missing; run make build first"
[ "$THREADS" -le "$CONNECTIONS" ] || THREADS=$CONNECTIONS

mkdir -p bench/out
stamp=$(date +%Y%m%d-%H%M%S)
out=bench/out/events-$stamp.txt
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tiaokuai-bench-events.XXXXXX")
db=$tmp/events.db
server_pid=""
perf_pid=""
port=""

cleanup() {
  if [ -n "$perf_pid" ] && kill -0 "$perf_pid" 2>/dev/null; then
    kill -INT "$perf_pid" 2>/dev/null || true
    wait "$perf_pid" 2>/dev/null || true
  fi
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 100); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  [ -f "$tmp/server.log" ] && cp "$tmp/server.log" "bench/out/events-server-$stamp.log"
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

exec > >(tee "$out") 2>&1

# http METHOD PATH [BODY [TOKEN]]: a raw HTTP/1.1 exchange over bash's /dev/tcp.
http() {
  local method=$1 path=$2 body=${3:-} token=${4:-} auth=""
  [ -n "$token" ] && auth="Authorization: Bearer $token"$'\r\n'
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  if [ -n "$body" ]; then
    printf '%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%sContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
      "$method" "$path" "$auth" "$(printf '%s' "$body" | wc -c)" "$body" >&3
  else
    printf '%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s\r\n' "$method" "$path" "$auth" >&3
  fi
  timeout 10 cat <&3 || true
  exec 3<&-
}

field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }
server_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }
# "tid ticks" for every thread of the server.
thread_ticks() {
  for f in /proc/"$server_pid"/task/*/stat; do
    awk -v f="$f" '{split(f, p, "/"); print p[5], $14 + $15}' "$f" 2>/dev/null || true
  done
}
machine_ticks() { awk '/^cpu /{t=0; for (i=2;i<=NF;i++) t+=$i; print t-$5-$6, t}' /proc/stat; }
hz=$(getconf CLK_TCK)
cores=$(nproc)

# run_wrk NAME SCRIPT PATH: prints wrk's output, sets R_* from its BENCH line.
run_wrk() {
  local name=$1 script=$2 path=$3 status=0 s0 s1 m0 m1 t0 t1
  echo
  echo "== $name: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency -s $script http://127.0.0.1:$port$path"
  s0=$(server_ticks)
  m0=$(machine_ticks)
  thread_ticks >"$tmp/threads0"
  t0=$(date +%s.%N)
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$script" \
    "http://127.0.0.1:$port$path" >"$tmp/wrk.out" 2>"$tmp/wrk.err" || status=$?
  t1=$(date +%s.%N)
  cat "$tmp/wrk.out"
  cat "$tmp/wrk.err" >&2
  kill -0 "$server_pid" 2>/dev/null || die "the server died during the $name run"
  s1=$(server_ticks)
  m1=$(machine_ticks)
  thread_ticks >"$tmp/threads1"
  R_LINE=$(grep '^BENCH ' "$tmp/wrk.out" | tail -1 || true)
  [ -n "$R_LINE" ] || die "wrk printed no BENCH line for $name (status $status)"
  R_STATUS=$status
  R_RPS=$(field rps "$R_LINE")
  R_P50=$(field p50_ms "$R_LINE")
  R_P99=$(field p99_ms "$R_LINE")
  R_OK=$(field ok "$R_LINE")
  R_NON2XX=$(field non2xx "$R_LINE")
  R_SOCK=$(field socket_errors "$R_LINE")
  R_CODES=$(field statuses "$R_LINE")
  R_SECONDS=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}')
  R_SRV_CPU=$(awk -v d="$((s1 - s0))" -v hz="$hz" -v s="$R_SECONDS" 'BEGIN{printf "%.2f", d/hz/s}')
  R_BUSY=$(awk -v a="$m0" -v b="$m1" 'BEGIN{split(a,x," "); split(b,y," "); printf "%.0f", 100*(y[1]-x[1])/(y[2]-x[2])}')
  # Server CPU per answered request, in microseconds: what a request costs the
  # server whatever else the machine was doing.
  R_US=$(awk -v d="$((s1 - s0))" -v hz="$hz" -v n="$(field requests "$R_LINE")" \
    'BEGIN{printf "%.0f", (n > 0) ? d/hz/n*1e6 : 0}')
  # The busiest server thread: under the intake load, the single writer.
  R_TOP=$(awk -v s="$R_SECONDS" -v hz="$hz" 'NR == FNR {t0[$1] = $2; next}
    {d = $2 - t0[$1]; if (d > m) m = d} END {printf "%.2f", m/hz/s}' "$tmp/threads0" "$tmp/threads1")
  echo "-- server CPU ${R_SRV_CPU} cores (${R_US} µs per request; busiest thread ${R_TOP} cores); machine busy ${R_BUSY}% of $cores cores"
}

echo "tiaokuai bench events $stamp"
echo "machine: $cores cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "${BENCH_EVENTS_DEMO:-}" ]; then
  cp "$BENCH_EVENTS_DEMO" "$db"
  echo "database: a copy of $BENCH_EVENTS_DEMO"
else
  t0=$(date +%s.%N)
  "$BIN" demo --db "$db" >"$tmp/demo.log" 2>&1 || { cat "$tmp/demo.log" >&2; die "tiaokuai demo failed"; }
  echo "database: tiaokuai demo ($(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s): $(tail -1 "$tmp/demo.log")"
fi
events_before=$(sqlite3 -readonly "$db" "SELECT count(*) FROM events")

# Points of about 300 grids and every leaf category, for bench/events.lua.
sqlite3 -readonly "$db" "SELECT 'P ' || t.lng || ' ' || t.lat FROM units u JOIN territory t ON t.unit_id = u.id
  WHERE u.kind = 'grid' AND u.active = 1 AND u.id % 15 = 0 AND t.lng IS NOT NULL ORDER BY u.id;
  SELECT 'C ' || c.code FROM categories c WHERE c.active = 1
  AND NOT EXISTS (SELECT 1 FROM categories k WHERE k.parent_id = c.id) ORDER BY c.code" >"$tmp/events.txt"
npoints=$(grep -c '^P ' "$tmp/events.txt")
ncats=$(grep -c '^C ' "$tmp/events.txt")
[ "$npoints" -gt 0 ] && [ "$ncats" -gt 0 ] || die "no grids or categories in the database"

"$BIN" serve --listen 127.0.0.1:0 --db "$db" --per-ip-connections 1024 "${SERVER_ARGS[@]}" \
  2>"$tmp/server.log" >/dev/null &
server_pid=$!
for _ in $(seq 200); do
  port=$(sed -n 's/.*msg="listening" port=\([0-9]*\).*/\1/p' "$tmp/server.log" | head -1)
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.05
done
[ -n "$port" ] || { cat "$tmp/server.log" >&2; die "the server did not start"; }
echo "server: $BIN serve --per-ip-connections 1024 ${SERVER_ARGS[*]:-} on 127.0.0.1:$port (pid $server_pid)"

login=$(http POST /api/v1/session '{"username":"hotline","password":"Demo-Hotline-2026","bearer":true}')
token=$(sed -n 's/.*"token":"\([^"]*\)".*/\1/p' <<<"$login" | head -1)
[ -n "$token" ] || die "could not log in as hotline: $(head -1 <<<"$login")"
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
echo "statuses: events $E_CODES; busiest server thread (the writer) during the intake run: $E_TOP cores"
echo "intake/healthz ratio: $ratio (events/s / healthz req/s of this run)"
echo "target: intake >= $TARGET_EVENTS events/s: $(awk -v v="$E_RPS" -v t="$TARGET_EVENTS" 'BEGIN{print (v >= t) ? "met" : "MISSED"}')"
echo "saved: $out"
if [ "$failed" -ne 0 ]; then
  echo "bench-events: FAILED (see the messages above)" >&2
  exit 1
fi
