-- bench/healthz.lua - wrk script for GET /healthz: counts statuses and prints the
-- BENCH line of bench/report.lua.
--
-- Counting in response() costs wrk some CPU per response (it hands headers and
-- body to Lua). Set BENCH_HEALTHZ_COUNT=wrk to skip it and count from wrk's own
-- summary instead (statuses >= 400 only), which leaves more CPU to the server on
-- a small machine; bench/run.sh passes the variable through.

package.path = "bench/?.lua;" .. package.path
local report = require("report")
local count_in_lua = os.getenv("BENCH_HEALTHZ_COUNT") ~= "wrk"

setup = report.setup
if count_in_lua then
  response = report.response
end

function done(summary, latency, requests)
  if count_in_lua then
    return report.done(summary, latency, requests)
  end
  -- wrk counts statuses > 399 in errors.status; everything else answered.
  local e, merged = summary.errors, {}
  if e.status > 0 then
    merged[400] = e.status
  end
  if summary.requests - e.status > 0 then
    merged[200] = summary.requests - e.status
  end
  report.done(summary, latency, requests, merged, { [200] = "2xx", [400] = ">=400" })
end
