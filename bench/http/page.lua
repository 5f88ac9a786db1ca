-- A filtered, sorted page on an indexed field: score >= X, newest scores
-- first, 20 per page. X varies so the pages differ.
local i = 0
request = function()
  i = i + 1
  local where = string.format('{"score":{"$gte":%d}}', i % 900)
  local path = "/parse/classes/BenchItem?where=" .. where:gsub('[{}":$]', function(c)
    return string.format("%%%02X", string.byte(c))
  end) .. "&order=-score&limit=20"
  return wrk.format("GET", path)
end
-- Summarise latency percentiles in a form the issue notes can quote.
done = function(summary, latency, requests)
  io.write(string.format("p50=%.2fms p99=%.2fms\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
