-- bench/events.lua - wrk script for the event intake: authenticated
-- POST /api/v1/events with routing, as the 12345 hotline integration would send.
--
-- bench/events.sh prepares a file (BENCH_EVENTS_DATA) whose lines are
--   P <lng> <lat>        a point inside a demo grid (its stored point)
--   C <code>             a leaf category code
-- and a bearer token (BENCH_TOKEN) of the `hotline` account (role integration,
-- source "hotline", may report anywhere). Each request takes the next point and
-- the next category, each list rotated from a different offset per thread, moves
-- the point by up to ~30 m so duplicate detection sees a realistic spread, and
-- sends source "hotline" with a reporter name and phone. The server locates the
-- grid, routes the category to a responsible body, checks for duplicates and
-- writes the event, its timeline, rollups, notices and audit record.
--
-- With BENCH_KEYS=1 each report also carries its own Idempotency-Key, as the phone
-- and the console send them (the server looks the key up and keeps it).
--
-- Statuses are counted and reported by bench/report.lua (its BENCH line).

package.path = "bench/?.lua;" .. package.path
local report = require("report")
local token = os.getenv("BENCH_TOKEN") or ""
local data = os.getenv("BENCH_EVENTS_DATA") or ""
local keys = os.getenv("BENCH_KEYS") == "1"

setup, response, done = report.setup, report.response, report.done

local points, cats = {}, {}
local pi, ci, counter = 0, 0, 0

local names = { "张", "王", "李", "徐", "毛", "郑", "周", "吴", "祝", "叶" }

function init(args)
  local f = io.open(data, "r")
  if not f then
    io.stderr:write("events.lua: cannot read BENCH_EVENTS_DATA=" .. data .. "\n")
    os.exit(2)
  end
  for line in f:lines() do
    local kind, a, b = line:match("^(%a) (%S+) ?(%S*)$")
    if kind == "P" then
      table.insert(points, { tonumber(a), tonumber(b) })
    elseif kind == "C" then
      table.insert(cats, a)
    end
  end
  f:close()
  if #points == 0 or #cats == 0 then
    io.stderr:write("events.lua: no points or categories in " .. data .. "\n")
    os.exit(2)
  end
  -- Different threads start at different places; categories advance at another
  -- pace than points, so pairs keep changing.
  pi = (tid * 7919) % #points
  ci = (tid * 104729) % #cats
  math.randomseed(tid * 1000003)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. token
end

function request()
  counter = counter + 1
  pi = pi % #points + 1
  if counter % 3 == 0 then
    ci = ci % #cats + 1
  end
  ci = ci % #cats + 1
  local p = points[pi]
  local lng = p[1] + (math.random() - 0.5) * 0.0006
  local lat = p[2] + (math.random() - 0.5) * 0.0005
  local body = string.format(
    '{"category":"%s","lng":%.6f,"lat":%.6f,"source":"hotline",' ..
    '"description":"12345 热线来电反映：压测事件 %d-%d，请核实处置。",' ..
    '"address":"压测地址 %d 号","reporter_name":"%s先生","reporter_phone":"1380000%04d"}',
    cats[ci], lng, lat, tid, counter, counter % 500, names[counter % #names + 1], counter % 10000)
  if keys then
    wrk.headers["Idempotency-Key"] = string.format("bench-%d-%d-%d", os.time(), tid, counter)
  end
  return wrk.format("POST", nil, nil, body)
end
