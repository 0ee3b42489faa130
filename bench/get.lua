-- bench/get.lua - wrk script for an authenticated GET (bench/summary.sh uses it for
-- GET /api/v1/stats/summary): sends "Authorization: Bearer $BENCH_TOKEN", counts every
-- status and prints the BENCH line of bench/report.lua.

package.path = "bench/?.lua;" .. package.path
local report = require("report")
local token = os.getenv("BENCH_TOKEN") or ""

setup, response, done = report.setup, report.response, report.done

function init(args)
  wrk.headers["Authorization"] = "Bearer " .. token
end
