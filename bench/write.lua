-- bench/write.lua - wrk script: POST /api/v1/_probe/writes with a unique key per request.
--
-- Keys are "<run>-<thread>-<counter>": <run> comes from BENCH_RUN_ID (bench/run.sh
-- sets it; the current time otherwise), <thread> is the wrk thread number given
-- out in setup(), <counter> counts requests within that thread. Every key is
-- therefore unique across threads and, with a fresh run id, across runs.
--
-- Statuses are counted and reported by bench/report.lua (its BENCH line).

package.path = "bench/?.lua;" .. package.path
local report = require("report")
local run_id = os.getenv("BENCH_RUN_ID") or tostring(os.time())

setup, response, done = report.setup, report.response, report.done

-- Per-thread state (each wrk thread has its own Lua state).
local prefix
local counter = 0

function init(args)
  prefix = '{"key":"' .. run_id .. "-" .. tostring(tid) .. "-"
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  return wrk.format("POST", nil, nil, prefix .. counter .. '"}')
end
