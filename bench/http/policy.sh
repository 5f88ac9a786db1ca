#!/usr/bin/env bash
# The cost of an owner policy on find: the same server, the same data and
# the same page of a caller's own notes, once without policies and once
# with bench/http/policy/owner.rego, back to back in one run. Without the
# policy the page is the same through a where on owner, so both runs read
# the same rows. Prints requests/s of each and their ratio. Usage:
#   bench/http/policy.sh                   # SQLite, c=32, 15 s per run
#   DURATION=5s SWITCHBOARD_DATABASE_URL=postgres://... bench/http/policy.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
DURATION=${DURATION:-15s}
CONNS=${CONNS:-32}
THREADS=${THREADS:-2}
SEED=${SEED:-20000}
PORT=${PORT:-18338}
work=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"' EXIT
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install wrk" >&2; exit 1; }
(cd "$root" && go build -o "$work/switchboard" ./cmd/switchboard)
export SWITCHBOARD_APP_ID=bench SWITCHBOARD_MASTER_KEY=benchmaster SWITCHBOARD_LOG_LEVEL=${SWITCHBOARD_LOG_LEVEL:-error}
base="http://127.0.0.1:$PORT/parse"
H=(-H "X-Parse-Application-Id: bench" -H "Content-Type: application/json")

start() { # start POLICY_DIR
  SWITCHBOARD_POLICIES__DIR="$1" "$work/switchboard" serve --http "127.0.0.1:$PORT" --dir "$work/data" >>"$work/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 200); do curl -fs "http://127.0.0.1:$PORT/health" >/dev/null && return; sleep 0.1; done
  echo "server did not start:" >&2; tail "$work/server.log" >&2; exit 1
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""; }

# Seed without policies: a class with an indexed owner, SEED notes over 100
# users, one of whom (u0) the benchmark logs in as.
start "$work/none"
curl -fs "${H[@]}" -H "X-Parse-Master-Key: benchmaster" -X POST "$base/schemas/BenchNote" \
  -d '{"className":"BenchNote","fields":{"owner":{"type":"Pointer","targetClass":"_User"},"n":{"type":"Number"}},"indexes":{"owner_1":{"owner":1}}}' >/dev/null
seeded=$(python3 - "$base" "$SEED" <<'PY'
import json, sys, urllib.request
base, n = sys.argv[1], int(sys.argv[2])
def call(method, path, body, extra={}):
    h = {"X-Parse-Application-Id": "bench", "X-Parse-Master-Key": "benchmaster", "Content-Type": "application/json", **extra}
    r = urllib.request.Request(base + path, data=json.dumps(body).encode(), method=method, headers=h)
    return json.load(urllib.request.urlopen(r))
users = []
for i in range(100):
    u = call("POST", "/users", {"username": f"u{i}", "password": "pw"})
    users.append((u["objectId"], u["sessionToken"]))
for start in range(0, n, 500):
    reqs = [{"method": "POST", "path": "/parse/classes/BenchNote",
             "body": {"n": i, "owner": {"__type": "Pointer", "className": "_User", "objectId": users[i % 100][0]}}}
            for i in range(start, min(n, start + 500))]
    call("POST", "/batch", {"requests": reqs})
print(users[0][1], users[0][0])
PY
)
read -r token uid <<<"$seeded"
stop

run() { # name script
  BENCH_TOKEN=$token wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$2" \
    -H "X-Parse-Application-Id: bench" "http://127.0.0.1:$PORT" | grep -E "Requests/sec|Non-2xx|Socket errors|p50=" | sed "s/^/$1: /"
}
# Without the policy the caller asks for its own notes with a where.
cat >"$work/where.lua" <<LUA
local token = os.getenv("BENCH_TOKEN")
local path = "/parse/classes/BenchNote?where=%7B%22owner%22%3A%7B%22__type%22%3A%22Pointer%22%2C%22className%22%3A%22_User%22%2C%22objectId%22%3A%22$uid%22%7D%7D&order=-n&limit=20"
request = function() return wrk.format("GET", path, { ["X-Parse-Session-Token"] = token, ["X-Parse-Application-Id"] = "bench" }) end
done = function(s, latency) io.write(string.format("p50=%.2fms p99=%.2fms\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000)) end
LUA
echo "== owner page (c=$CONNS, $DURATION)"
start "$work/none"
nopolicy=$(run "no policy, where owner" "$work/where.lua")
stop
start "$here/policy"
withpolicy=$(run "owner policy" "$here/owned.lua")
stop
echo "$nopolicy"; echo "$withpolicy"
python3 - "$nopolicy" "$withpolicy" <<'PY'
import re, sys
rate = lambda s: float(re.search(r"Requests/sec:\s+([\d.]+)", s).group(1))
a, b = rate(sys.argv[1]), rate(sys.argv[2])
print(f"owner policy / no policy: {b / a:.2f}x (cost {100 * (1 - b / a):.1f}%)")
PY
