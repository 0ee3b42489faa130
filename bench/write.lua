-- bench/write.lua - wrk script: POST /api/v1/_probe/writes with a unique key per request.
--
-- Keys are "<run>-<thread>-<counter>": <run> comes from BENCH_RUN_ID (bench/run.sh
-- sets it; the current time otherwise), <thread> is the wrk thread number given
-- out in setup(), <counter> counts requests within that thread. Every key is
-- therefore unique across threads and, with a fresh run id, across runs.
--
-- response() counts every status, so done() can report non-2xx responses (wrk's
-- own "Non-2xx or 3xx" line only counts statuses >= 400). done() prints one
-- machine-readable line that bench/run.sh parses:
--   BENCH requests=N seconds=S rps=R p50_ms=A p90_ms=B p99_ms=C max_ms=D ok=N non2xx=N
--         conflict=N socket_errors=N timeouts=N statuses=201:N,409:N
-- and, when most responses were errors, a FAIL line on stderr plus exit status 3.

local run_id = os.getenv("BENCH_RUN_ID") or tostring(os.time())
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

-- Per-thread state (each wrk thread has its own Lua state).
local prefix
local counter = 0
statuses = {}

function init(args)
  prefix = '{"key":"' .. run_id .. "-" .. tostring(tid) .. "-"
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  return wrk.format("POST", nil, nil, prefix .. counter .. '"}')
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

local function ms(us)
  return us / 1000.0
end

function done(summary, latency, requests)
  local merged = {}
  for _, t in ipairs(threads) do
    local s = t:get("statuses") or {}
    for code, n in pairs(s) do
      merged[code] = (merged[code] or 0) + n
    end
  end
  local ok, non2xx, conflict = 0, 0, 0
  local codes = {}
  for code in pairs(merged) do
    table.insert(codes, code)
  end
  table.sort(codes)
  local parts = {}
  for _, code in ipairs(codes) do
    local n = merged[code]
    if code >= 200 and code < 300 then
      ok = ok + n
    else
      non2xx = non2xx + n
    end
    if code == 409 then
      conflict = n
    end
    table.insert(parts, code .. ":" .. n)
  end
  local e = summary.errors
  local socket_errors = e.connect + e.read + e.write
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "BENCH requests=%d seconds=%.2f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f " ..
    "ok=%d non2xx=%d conflict=%d socket_errors=%d timeouts=%d statuses=%s\n",
    summary.requests, seconds, summary.requests / seconds,
    ms(latency:percentile(50)), ms(latency:percentile(90)), ms(latency:percentile(99)),
    ms(latency.max), ok, non2xx, conflict, socket_errors, e.timeout,
    #parts > 0 and table.concat(parts, ",") or "none"))
  local total = ok + non2xx + socket_errors + e.timeout
  if ok == 0 or ok * 2 < total then
    io.stderr:write(string.format(
      "FAIL: most responses were errors (%d ok of %d: %d non-2xx, %d socket errors, %d timeouts)\n",
      ok, total, non2xx, socket_errors, e.timeout))
    io.stdout:flush()
    os.exit(3)
  end
end
