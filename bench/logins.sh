#!/bin/bash
# bench/logins.sh - does a burst of logins starve other requests?
#
# argon2id (64 MiB, ~tens of ms per hash) runs on a bounded pool of hashing
# threads, never on the HTTP threads. This measures GET /healthz alone, then the
# same while wrk hammers POST /api/v1/session with a correct password, and prints
# healthz req/s and latency in both runs and their ratio (measured in the same
# run, so the machine's noise affects both).
#   BENCH_DURATION (default 10s), BENCH_CONNECTIONS (default 32), TIAOKUAI_BIN
set -euo pipefail
cd "$(dirname "$0")/.."
bench_name=bench-logins
. bench/lib.sh
wrk_settings 10s 32
command -v wrk >/dev/null || die "wrk is not installed"
bench_begin logins

export BENCH_PASSWORD="Bench-Login-Burst-2026"
"$BIN" init --db "$tmp/b.db" >/dev/null 2>&1
echo "$BENCH_PASSWORD" | "$BIN" user add --db "$tmp/b.db" --role admin --unit 330800 --name 压测 bench \
  --password-stdin >/dev/null 2>&1
start_server "$tmp/server.log" --db "$tmp/b.db"

healthz() { # prints "req/s p50_ms p99_ms"
  wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "http://127.0.0.1:$port/healthz" >"$tmp/h.out"
  local rps p50 p99
  rps=$(awk '/^Requests\/sec/{print $2}' "$tmp/h.out")
  p50=$(awk '$1=="50%"{print $2}' "$tmp/h.out")
  p99=$(awk '$1=="99%"{print $2}' "$tmp/h.out")
  echo "$rps $p50 $p99"
}

echo "== GET /healthz alone ($CONNECTIONS connections, $DURATION)"
read -r alone_rps alone_p50 alone_p99 < <(healthz)
echo "   $alone_rps req/s, p50 $alone_p50, p99 $alone_p99"

echo "== GET /healthz during a login burst ($CONNECTIONS more connections logging in)"
wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/login.lua \
  "http://127.0.0.1:$port/api/v1/session" >"$tmp/l.out" &
burst=$!
read -r during_rps during_p50 during_p99 < <(healthz)
wait "$burst"
logins=$(grep '^BENCH ' "$tmp/l.out" | tail -1)
echo "   $during_rps req/s, p50 $during_p50, p99 $during_p99"
echo "   logins: $logins"
ratio=$(awk -v a="$during_rps" -v b="$alone_rps" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
echo "healthz during burst / alone: $ratio"
