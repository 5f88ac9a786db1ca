-- A page of the caller's own notes (20, newest first): the read an owner
-- policy filters. The session token comes from BENCH_TOKEN.
local token = os.getenv("BENCH_TOKEN")
request = function()
  return wrk.format("GET", "/parse/classes/BenchNote?order=-n&limit=20", { ["X-Parse-Session-Token"] = token, ["X-Parse-Application-Id"] = "bench" })
end
done = function(summary, latency, requests)
  io.write(string.format("p50=%.2fms p99=%.2fms\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
