#!/bin/bash
# bench/durability.sh - the kill -9 test for acknowledged writes.
#
# Starts the server with --probe 1 on a temporary database, drives
# POST /api/v1/_probe/writes at DURABILITY_CONCURRENCY (64) with
# bench/durability-writer.mjs, which prints every key answered 201 to stdout the
# moment the answer arrives (redirected to a file here), kills the server with
# SIGKILL after DURABILITY_SECONDS (3) while the writes are streaming, restarts it
# on the same database and checks that every acknowledged key is there:
#   - through the restarted server: GET /api/v1/_probe/writes/{key} for each key;
#   - directly in the database file with the sqlite3 CLI (when installed).
# Prints "acknowledged N, present N, missing 0" and exits 1 if any key is missing.
# Requests that were in flight when the server died got no answer; they are
# counted and reported (some may have been committed), not treated as errors.
#
# Environment: DURABILITY_SECONDS (3), DURABILITY_CONCURRENCY (64),
# DURABILITY_CLIENT (fetch: Node's built-in fetch, about 1,500 writes/s here; http:
# node:http with keep-alive, about ten times as many writes in flight per second),
# DURABILITY_ROUNDS (1: kill and restart this many times on the same database,
# checking every round's keys after each restart), TIAOKUAI_BIN (build/tiaokuai).
# Output is also saved under bench/out/.
set -euo pipefail
cd "$(dirname "$0")/.."

RUN_SECONDS=${DURABILITY_SECONDS:-3}
CONCURRENCY=${DURABILITY_CONCURRENCY:-64}
ROUNDS=${DURABILITY_ROUNDS:-1}
CLIENT=${DURABILITY_CLIENT:-fetch}

bench_name=durability
. bench/lib.sh
command -v node >/dev/null || die "node is not installed"
[ -x "$BIN" ] || die "$BIN is missing; run make build first"

writer_pid=""
bench_stop_more() {
  if [ -n "$writer_pid" ] && kill -0 "$writer_pid" 2>/dev/null; then
    kill -TERM "$writer_pid" 2>/dev/null || true
    wait "$writer_pid" 2>/dev/null || true
  fi
}
bench_begin durability
db=$tmp/durability.db

# serve LOGNAME: the server on $db with the probe endpoint; sets server_pid and port.
serve() { start_server "$tmp/server-$1.log" --db "$db" --probe 1; }

echo "tiaokuai durability test $stamp: $ROUNDS round(s) of ${RUN_SECONDS}s writes at concurrency $CONCURRENCY (client $CLIENT), then kill -9"
echo "database: $db"
: >"$tmp/all-acked.txt"
serve 0
failed=0

for round in $(seq "$ROUNDS"); do
  acked=$tmp/acked-$round.txt
  echo
  echo "== round $round: server pid $server_pid on port $port"
  node bench/durability-writer.mjs write "http://127.0.0.1:$port" --concurrency "$CONCURRENCY" \
    --client "$CLIENT" --run "$stamp-r$round" --summary "$tmp/summary-$round.json" >"$acked" 2>"$tmp/writer-$round.log" &
  writer_pid=$!
  sleep "$RUN_SECONDS"
  kill -0 "$writer_pid" 2>/dev/null || {
    cat "$tmp/writer-$round.log" >&2
    die "the writer stopped before the kill"
  }
  at_kill=$(wc -l <"$acked")
  [ "$at_kill" -gt 0 ] || die "no write was acknowledged in ${RUN_SECONDS}s"
  kill -KILL "$server_pid"
  wait "$server_pid" 2>/dev/null || true # 137
  echo "killed the server (SIGKILL) with $at_kill writes acknowledged so far"

  # The writer notices the dead server and stops; give it a moment.
  for _ in $(seq 300); do
    kill -0 "$writer_pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$writer_pid" 2>/dev/null; then
    kill -TERM "$writer_pid" 2>/dev/null || true
    sleep 1
  fi
  wait "$writer_pid" || die "the writer failed: $(cat "$tmp/writer-$round.log")"
  writer_pid=""
  cat "$tmp/writer-$round.log"
  n_acked=$(wc -l <"$acked")
  unacked=$(node -e 'const s=require(process.argv[1]); console.log(s.unacknowledged)' "$tmp/summary-$round.json")
  node -e 'const s=require(process.argv[1]); console.log(s.unacknowledged_keys.join("\n"))' \
    "$tmp/summary-$round.json" | sed '/^$/d' >"$tmp/unacked-$round.txt"
  cat "$acked" >>"$tmp/all-acked.txt"

  serve "$round"
  echo "restarted the server on the same database: pid $server_pid, port $port"

  # Check 1: through the restarted server, every key acknowledged so far (all rounds).
  set +e
  http_result=$(node bench/durability-writer.mjs check "http://127.0.0.1:$port" "$tmp/all-acked.txt" \
    --concurrency "$CONCURRENCY" --client "$CLIENT")
  http_status=$?
  set -e
  echo "HTTP check: $http_result"
  http_missing=$(sed -n 's/.*missing \([0-9]*\).*/\1/p' <<<"$http_result")
  http_present=$(sed -n 's/.*present \([0-9]*\).*/\1/p' <<<"$http_result")
  [ -n "$http_missing" ] || http_missing=1

  # Check 2: the database file itself, with the sqlite3 CLI (read-only).
  sql_missing=0
  if command -v sqlite3 >/dev/null; then
    read -r sql_missing unacked_present < <(sqlite3 -readonly -separator ' ' "$db" <<EOF
CREATE TEMP TABLE acked(key TEXT PRIMARY KEY);
CREATE TEMP TABLE unacked(key TEXT PRIMARY KEY);
.import --csv --schema temp $tmp/all-acked.txt acked
.import --csv --schema temp $tmp/unacked-$round.txt unacked
SELECT (SELECT count(*) FROM temp.acked WHERE key NOT IN (SELECT key FROM main.probe_writes)),
       (SELECT count(*) FROM temp.unacked WHERE key IN (SELECT key FROM main.probe_writes));
EOF
    )
    rows=$(sqlite3 -readonly "$db" "SELECT count(*) FROM probe_writes")
    echo "sqlite3 check: $sql_missing acknowledged keys missing from probe_writes ($rows rows in the table)"
    echo "unacknowledged (in flight or refused when the server died): $unacked, of which committed anyway: $unacked_present"
  else
    echo "sqlite3 check: skipped (sqlite3 CLI not installed)"
    echo "unacknowledged (in flight or refused when the server died): $unacked"
  fi
  checked=$(wc -l <"$tmp/all-acked.txt")
  missing=$((http_missing > sql_missing ? http_missing : sql_missing))
  if [ "$http_status" -ne 0 ] && [ "$missing" -eq 0 ]; then
    missing=1 # some keys could not be checked: count the run as failed
  fi
  echo "round $round: acknowledged $n_acked ($at_kill before the kill signal); all rounds so far: acknowledged $checked, present ${http_present:-0}, missing $missing"
  [ "$missing" -eq 0 ] || failed=1
done

echo
echo "acknowledged $checked, present ${http_present:-0}, missing $missing"
echo "in flight/unacknowledged when killed: $unacked (last round; not an error)"
echo "saved: $out"
if [ "$failed" -ne 0 ]; then
  echo "durability: FAILED: acknowledged writes were lost (or could not be checked)" >&2
  exit 1
fi
