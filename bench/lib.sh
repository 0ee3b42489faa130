# bench/lib.sh - what the benchmark scripts share. Sourced after `cd` to the
# repository root, with bench_name set (for messages). BIN is the tiaokuai binary:
# TIAOKUAI_BIN, else build/tiaokuai.

BIN=${TIAOKUAI_BIN:-build/tiaokuai}

die() {
  echo "${bench_name:-bench}: $*" >&2
  exit 1
}

# wrk_settings DURATION CONNECTIONS: an HTTP benchmark's load, from BENCH_DURATION
# (a bare number is seconds) and BENCH_CONNECTIONS with these defaults, BENCH_THREADS
# (2, at most one per connection), and BENCH_SERVER_ARGS as the array SERVER_ARGS.
wrk_settings() {
  DURATION=${BENCH_DURATION:-$1}
  [[ $DURATION =~ ^[0-9]+$ ]] && DURATION="${DURATION}s"
  CONNECTIONS=${BENCH_CONNECTIONS:-$2}
  [[ $CONNECTIONS =~ ^[1-9][0-9]*$ ]] || die "BENCH_CONNECTIONS must be a positive number"
  THREADS=${BENCH_THREADS:-2}
  [ "$THREADS" -le "$CONNECTIONS" ] || THREADS=$CONNECTIONS
  read -r -a SERVER_ARGS <<<"${BENCH_SERVER_ARGS:-}"
}

# bench_begin NAME: the run's $stamp, its output $out = bench/out/NAME-STAMP.txt (all
# printed from here on goes there too) and a scratch folder $tmp. At exit the server
# stops, its logs ($tmp/server*.log) are kept as bench/out/NAME-server-STAMP.log and
# $tmp is removed; a script with more to stop first defines bench_stop_more.
bench_begin() {
  bench_label=$1
  mkdir -p bench/out
  stamp=$(date +%Y%m%d-%H%M%S)
  out=bench/out/$1-$stamp.txt
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/tiaokuai-$1.XXXXXX")
  server_pid=""
  port=""
  trap bench_end EXIT
  trap 'exit 130' INT TERM
  exec > >(tee "$out") 2>&1
}

bench_end() {
  if declare -F bench_stop_more >/dev/null; then
    bench_stop_more
  fi
  stop_server
  cat "$tmp"/server*.log >"bench/out/$bench_label-server-$stamp.log" 2>/dev/null || true
  rm -rf "$tmp"
}

# start_server LOG [ARGS...]: `tiaokuai serve` on a free loopback port (read from
# its log) with ARGS; sets server_pid and port, or dies showing the log.
start_server() {
  local log=$1
  shift
  "$BIN" serve --listen 127.0.0.1:0 --per-ip-connections 1024 "$@" 2>"$log" >/dev/null &
  server_pid=$!
  port=""
  for _ in $(seq 1200); do
    port=$(sed -n 's/.*msg="listening" port=\([0-9]*\).*/\1/p' "$log" | head -1)
    [ -n "$port" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.05
  done
  cat "$log" >&2
  die "the server did not start"
}

# stop_server: SIGTERM, up to 10 s for a clean stop, then SIGKILL.
stop_server() {
  if [ -n "${server_pid:-}" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 100); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}

# http METHOD PATH [BODY [TOKEN]]: one HTTP/1.1 exchange with the server over
# bash's /dev/tcp (no curl needed); prints the whole response, headers included.
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
http_status() { http "$@" | head -1 | awk '{print $2}'; }

# field NAME LINE: the value of NAME=value in a BENCH line of bench/report.lua.
field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }

# CPU jiffies of the server, and "busy total" jiffies of the whole machine.
server_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }
machine_ticks() { awk '/^cpu /{t=0; for (i=2;i<=NF;i++) t+=$i; print t-$5-$6, t}' /proc/stat; }

# machine_line: one line naming the machine and its load.
machine_line() {
  echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

# "tid ticks" for every thread of the server.
thread_ticks() {
  for f in /proc/"$server_pid"/task/*/stat; do
    awk -v f="$f" '{split(f, p, "/"); print p[5], $14 + $15}' "$f" 2>/dev/null || true
  done
}

# run_wrk NAME SCRIPT PATH: wrk with THREADS, CONNECTIONS and DURATION against the
# server ($tmp is scratch space); prints wrk's output and how the CPU was split, and
# sets R_* from the BENCH line of bench/report.lua and the CPU counters:
#   R_RPS R_P50 R_P99 R_OK R_NON2XX R_SOCK R_TIMEOUTS R_CODES R_STATUS (wrk's exit)
#   R_SRV_CPU R_WRK_CPU R_OTHER (cores), R_BUSY (% of the machine), R_US (server CPU
#   µs per request: what a request costs the server whatever else ran), R_TOP (cores
#   of the busiest server thread: under writes, the single writer).
run_wrk() {
  local name=$1 script=$2 path=$3 status=0 s0 s1 m0 m1 t0 t1 wrk_cpu hz cores
  hz=$(getconf CLK_TCK)
  cores=$(nproc)
  echo
  echo "== $name: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency -s $script http://127.0.0.1:$port$path"
  s0=$(server_ticks)
  m0=$(machine_ticks)
  thread_ticks >"$tmp/threads0"
  t0=$(date +%s.%N)
  # bash's `time` reports wrk's own user+sys CPU seconds.
  {
    TIMEFORMAT='%U %S'
    time BENCH_RUN_ID="${stamp:-run}-$RANDOM" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" \
      --latency -s "$script" "http://127.0.0.1:$port$path" >"$tmp/wrk.out" 2>"$tmp/wrk.err"
  } 2>"$tmp/wrk.time" || status=$?
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
  R_TIMEOUTS=$(field timeouts "$R_LINE")
  R_CODES=$(field statuses "$R_LINE")
  wrk_cpu=$(tail -1 "$tmp/wrk.time")
  R_SECONDS=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}')
  R_SRV_CPU=$(awk -v d="$((s1 - s0))" -v hz="$hz" -v s="$R_SECONDS" 'BEGIN{printf "%.2f", d/hz/s}')
  R_WRK_CPU=$(awk -v u="${wrk_cpu% *}" -v y="${wrk_cpu#* }" -v s="$R_SECONDS" 'BEGIN{printf "%.2f", (u+y)/s}')
  R_BUSY=$(awk -v a="$m0" -v b="$m1" 'BEGIN{split(a,x," "); split(b,y," "); printf "%.0f", 100*(y[1]-x[1])/(y[2]-x[2])}')
  # CPU the machine spent on anything but the server and wrk (other processes,
  # interrupts): a noisy neighbour makes the figures of this run unreliable.
  R_OTHER=$(awk -v b="$R_BUSY" -v c="$cores" -v s="$R_SRV_CPU" -v w="$R_WRK_CPU" \
    'BEGIN{o=b*c/100-s-w; printf "%.2f", (o < 0) ? 0 : o}')
  R_US=$(awk -v d="$((s1 - s0))" -v hz="$hz" -v n="$(field requests "$R_LINE")" \
    'BEGIN{printf "%.0f", (n > 0) ? d/hz/n*1e6 : 0}')
  R_TOP=$(awk -v s="$R_SECONDS" -v hz="$hz" 'NR == FNR {t0[$1] = $2; next}
    {d = $2 - t0[$1]; if (d > m) m = d} END {printf "%.2f", m/hz/s}' "$tmp/threads0" "$tmp/threads1")
  echo "-- server CPU ${R_SRV_CPU} cores (${R_US} µs per request; busiest thread ${R_TOP} cores), wrk CPU ${R_WRK_CPU} cores, other ${R_OTHER} cores; machine busy ${R_BUSY}% of $cores cores"
  if [ "$status" -ne 0 ]; then
    echo "!! $name: wrk exited with status $status (most responses were errors?)" >&2
  fi
}

# intake_data DB OUT: the file bench/events.lua rotates over, read from a demo
# database: the stored points of every 15th active grid (about 300) and every active
# leaf category. Dies if either is missing.
intake_data() {
  sqlite3 -readonly "$1" "SELECT 'P ' || t.lng || ' ' || t.lat FROM units u JOIN territory t ON t.unit_id = u.id
    WHERE u.kind = 'grid' AND u.active = 1 AND u.id % 15 = 0 AND t.lng IS NOT NULL ORDER BY u.id;
    SELECT 'C ' || c.code FROM categories c WHERE c.active = 1
    AND NOT EXISTS (SELECT 1 FROM categories k WHERE k.parent_id = c.id) ORDER BY c.code" >"$2"
  grep -q '^P ' "$2" && grep -q '^C ' "$2" || die "no grids or categories in $1"
}

# hotline_token: a bearer token of the demo's `hotline` account (role integration,
# source "hotline", may report anywhere) from the running server.
hotline_token() {
  local login token
  login=$(http POST /api/v1/session '{"username":"hotline","password":"Demo-Hotline-2026","bearer":true}')
  token=$(sed -n 's/.*"token":"\([^"]*\)".*/\1/p' <<<"$login" | head -1)
  [ -n "$token" ] || die "could not log in as hotline: $(head -1 <<<"$login")"
  echo "$token"
}
