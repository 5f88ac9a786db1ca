-- POST /functions/hi: a trivial cloud function (() => 'hi', deployed by run.sh).
request = function()
  return wrk.format("POST", "/parse/functions/hi", nil, "{}")
end
done = function(summary, latency, requests)
  io.write(string.format("p50=%.2fms p99=%.2fms\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
