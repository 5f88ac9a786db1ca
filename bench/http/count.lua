-- A count on an indexed field: score >= X, no rows (limit=0, count=1), the
-- SDKs' query.count(). X varies so the counts differ.
local i = 0
request = function()
  i = i + 1
  local where = string.format('{"score":{"$gte":%d}}', i % 900)
  local path = "/parse/classes/BenchItem?where=" .. where:gsub('[{}":$]', function(c)
    return string.format("%%%02X", string.byte(c))
  end) .. "&count=1&limit=0"
  return wrk.format("GET", path)
end
done = function(summary, latency, requests)
  io.write(string.format("p50=%.2fms p99=%.2fms\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
