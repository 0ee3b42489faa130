-- bench/healthz.lua - wrk script for GET /healthz: counts statuses and prints the
-- same BENCH line as bench/write.lua (see there for the format).
--
-- Counting in response() costs wrk some CPU per response (it hands headers and
-- body to Lua). Set BENCH_HEALTHZ_COUNT=wrk to skip it and count from wrk's own
-- summary instead (statuses >= 400 only), which leaves more CPU to the server on
-- a small machine; bench/run.sh passes the variable through.

local threads = {}
local count_in_lua = os.getenv("BENCH_HEALTHZ_COUNT") ~= "wrk"

function setup(thread)
  table.insert(threads, thread)
end

statuses = {}

if count_in_lua then
  function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
  end
end

local function ms(us)
  return us / 1000.0
end

function done(summary, latency, requests)
  local e = summary.errors
  local merged = {}
  if count_in_lua then
    for _, t in ipairs(threads) do
      for code, n in pairs(t:get("statuses") or {}) do
        merged[code] = (merged[code] or 0) + n
      end
    end
  else
    -- wrk counts statuses > 399 in errors.status; everything else answered.
    local answered = summary.requests
    if e.status > 0 then
      merged[400] = e.status
    end
    if answered - e.status > 0 then
      merged[200] = answered - e.status
    end
  end
  local ok, non2xx = 0, 0
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
    table.insert(parts, (count_in_lua and tostring(code) or (code == 200 and "2xx" or ">=400")) .. ":" .. n)
  end
  local socket_errors = e.connect + e.read + e.write
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "BENCH requests=%d seconds=%.2f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f " ..
    "ok=%d non2xx=%d conflict=0 socket_errors=%d timeouts=%d statuses=%s\n",
    summary.requests, seconds, summary.requests / seconds,
    ms(latency:percentile(50)), ms(latency:percentile(90)), ms(latency:percentile(99)),
    ms(latency.max), ok, non2xx, socket_errors, e.timeout,
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
