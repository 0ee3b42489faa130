-- wrk script: POST /api/v1/session with the bench account, counting statuses.
-- The password hash runs on the server's bounded pool, never on an HTTP thread.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"username":"bench","password":"' .. (os.getenv("BENCH_PASSWORD") or "") .. '","bearer":true}'

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  created, busy, other = 0, 0, 0
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
  elseif status == 503 then
    busy = busy + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local c, b, o = 0, 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("created")
    b = b + t:get("busy")
    o = o + t:get("other")
  end
  io.write(string.format("BENCH logins=%d busy=%d other=%d p50_ms=%.1f p99_ms=%.1f\n", c, b, o,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
