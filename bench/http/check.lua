-- POST /parse/updates/check: Android clients at versions 1-3 with their
-- base sha256 (seeded by run.sh in check_shas.txt, one per version), each
-- request a different device id, so that rollout hashes are computed
-- fresh; release 3 is in a 50% staged rollout.
local shas = {}
for line in io.lines(os.getenv("BENCH_SHAS") or "check_shas.txt") do shas[#shas + 1] = line end
local i = 0
request = function()
  i = i + 1
  local v = (i % #shas) + 1
  local body = string.format('{"platform":"android","versionCode":%d,"versionName":"1.%d","channel":"production","deviceId":"bench-device-%d","baseSha256":"%s"}', v, v, i, shas[v])
  return wrk.format("POST", "/parse/updates/check", nil, body)
end
done = function(summary, latency, requests)
  io.write(string.format("p50=%.2fms p99=%.2fms\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
