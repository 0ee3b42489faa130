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
-- response() counts every status; done() prints the same BENCH line as
-- bench/write.lua (see there), which bench/events.sh parses, and exits 3 when
-- most responses were errors.

local token = os.getenv("BENCH_TOKEN") or ""
local data = os.getenv("BENCH_EVENTS_DATA") or ""
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

local points, cats = {}, {}
local pi, ci, counter = 0, 0, 0
statuses = {}

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
  return wrk.format("POST", nil, nil, body)
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
