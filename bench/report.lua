-- bench/report.lua - what the wrk scripts of bench/ share: thread numbers, a
-- count of every status (wrk's own "Non-2xx or 3xx" line counts only >= 400), and
-- one machine-readable line from done() that the shell scripts parse:
--   BENCH requests=N seconds=S rps=R p50_ms=A p90_ms=B p99_ms=C max_ms=D ok=N non2xx=N
--         conflict=N socket_errors=N timeouts=N statuses=201:N,409:N
-- When most responses were errors, done() also writes a FAIL line on stderr and
-- exits with status 3. A script uses it with
--   package.path = "bench/?.lua;" .. package.path
--   local report = require("report")
--   setup, response, done = report.setup, report.response, report.done
-- (wrk runs from the repository root). Each thread numbers itself `tid` (1..n).

local M = {}
local threads = {}

statuses = {} -- per thread: each wrk thread has its own Lua state

function M.setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function M.response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

local function ms(us)
  return us / 1000.0
end

-- merged: status -> count, by default the sum of the threads' counts; labels:
-- status -> how to print it, by default the status itself.
function M.done(summary, latency, requests, merged, labels)
  if not merged then
    merged = {}
    for _, t in ipairs(threads) do
      for code, n in pairs(t:get("statuses") or {}) do
        merged[code] = (merged[code] or 0) + n
      end
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
    table.insert(parts, (labels and labels[code] or tostring(code)) .. ":" .. n)
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

return M
