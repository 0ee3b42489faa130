-- bench/get.lua - wrk script for an authenticated GET (bench/summary.sh uses it for
-- GET /api/v1/stats/summary): sends "Authorization: Bearer $BENCH_TOKEN", counts every
-- status and prints the same BENCH line as bench/write.lua (see there); exits 3 when
-- most responses were errors.

local token = os.getenv("BENCH_TOKEN") or ""
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

statuses = {}

function init(args)
  wrk.headers["Authorization"] = "Bearer " .. token
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
    for code, n in pairs(t:get("statuses") or {}) do
      merged[code] = (merged[code] or 0) + n
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
    table.insert(parts, code .. ":" .. n)
  end
  local e = summary.errors
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
