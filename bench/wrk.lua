-- wrk script for the Agent API benchmark: adds the Authorization header, optionally
-- rotates through several paths, and prints a machine-readable summary line.
local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

local paths_env = os.getenv("BENCH_PATHS")
if paths_env and paths_env ~= "" then
  local paths = {}
  for p in string.gmatch(paths_env, "[^|]+") do
    table.insert(paths, p)
  end
  local i = 0
  request = function()
    i = i % #paths + 1
    return wrk.format("GET", paths[i])
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "socket_errors": %d, "non_2xx": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
