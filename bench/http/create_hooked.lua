-- POST /classes/BenchHooked: create's body, on a class whose cloud-code
-- beforeSave sets one field (run.sh deploys it).
local n = 0
request = function()
  n = n + 1
  local body = string.format('{"name":"item-%d","score":%d,"tags":["a","b"],"active":true}', n, n % 1000)
  return wrk.format("POST", "/parse/classes/BenchHooked", nil, body)
end
done = function(summary, latency, requests)
  io.write(string.format("p50=%.2fms p99=%.2fms\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
