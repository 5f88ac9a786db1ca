#!/usr/bin/env bash
# HTTP load benchmark: builds the server, starts it on a fresh data folder,
# seeds an indexed class, deploys cloud code, and runs wrk against create
# (plain, and with a beforeSave that sets one field), get-by-id, a trivial
# cloud function and a filtered sorted page. Get and page also run, in the
# same run, against bench/bare: the physical limit, a bare handler doing
# only the store call on the same database; each is reported as a ratio to
# it. The update check of app versions and get-by-id run in interleaved
# rounds, reported as the median ratio (the issue's bar: at least 0.8). Usage:
#   bench/http/run.sh                      # SQLite, c=32, 15 s per scenario
#   DURATION=5s CONNS=64 bench/http/run.sh
#   SWITCHBOARD_DATABASE_URL=postgres://... bench/http/run.sh
#   BENCH_BIN=/path/to/binary bench/http/run.sh   # another build (e.g. bench/noophook)
#   SCENARIOS=updates bench/http/run.sh    # only get-by-id and the update check
# Needs wrk (apt-get install wrk) and curl. Prints requests/s and p50/p99.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
DURATION=${DURATION:-15s}
CONNS=${CONNS:-32}
THREADS=${THREADS:-2}
SEED=${SEED:-10000}
PORT=${PORT:-18337}
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install wrk" >&2; exit 1; }
if [ -n "${BENCH_BIN:-}" ]; then
  cp "$BENCH_BIN" "$work/switchboard"
else
  (cd "$root" && go build -o "$work/switchboard" ./cmd/switchboard)
fi
export SWITCHBOARD_APP_ID=bench SWITCHBOARD_MASTER_KEY=benchmaster SWITCHBOARD_LOG_LEVEL=${SWITCHBOARD_LOG_LEVEL:-error}
# wrk comes from one address: the per-IP limit of update checks is off.
export SWITCHBOARD_RELEASES__CHECK_REQUESTS_PER_MINUTE=-1
SCENARIOS=${SCENARIOS:-all}
"$work/switchboard" serve --http "127.0.0.1:$PORT" --dir "$work/data" >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
base="http://127.0.0.1:$PORT/parse"
H=(-H "X-Parse-Application-Id: bench" -H "X-Parse-Master-Key: benchmaster" -H "Content-Type: application/json")

# Class with an index on score, then SEED objects in batches of 500.
curl -fs "${H[@]}" -X POST "$base/schemas/BenchItem" \
  -d '{"className":"BenchItem","fields":{"name":{"type":"String"},"score":{"type":"Number"},"tags":{"type":"Array"},"active":{"type":"Boolean"}},"indexes":{"score_1":{"score":1}}}' >/dev/null
# The same class again, with a cloud-code beforeSave that sets one field,
# and a trivial cloud function.
curl -fs "${H[@]}" -X POST "$base/schemas/BenchHooked" \
  -d '{"className":"BenchHooked","fields":{"name":{"type":"String"},"score":{"type":"Number"},"tags":{"type":"Array"},"active":{"type":"Boolean"},"checked":{"type":"Boolean"}},"indexes":{"score_1":{"score":1}}}' >/dev/null
main_js=$(printf '%s\n' "Parse.Cloud.define('hi', () => 'hi');" "Parse.Cloud.beforeSave('BenchHooked', req => { req.object.set('checked', true); });" | base64 -w0)
curl -fs "${H[@]}" -X POST "$base/deployments" -d "{\"files\":{\"main.js\":\"$main_js\"},\"encoding\":\"base64\",\"note\":\"bench\"}" >/dev/null
python3 - "$base" "$SEED" "$work/ids.txt" <<'PY'
import json, sys, urllib.request
base, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ids = []
for start in range(0, n, 500):
    reqs = [{"method": "POST", "path": "/parse/classes/BenchItem",
             "body": {"name": f"seed-{i}", "score": i % 1000, "tags": ["a"], "active": True}}
            for i in range(start, min(n, start + 500))]
    r = urllib.request.Request(base + "/batch", data=json.dumps({"requests": reqs}).encode(),
        headers={"X-Parse-Application-Id": "bench", "X-Parse-Master-Key": "benchmaster", "Content-Type": "application/json"})
    for item in json.load(urllib.request.urlopen(r)):
        ids.append(item["success"]["objectId"])
open(out, "w").write("\n".join(ids) + "\n")
PY

# Three Android releases of a small build (release 3 in a 50% rollout);
# check.lua sends the base sha256 of each version.
python3 - "$base" "$work/check_shas.txt" <<'PY'
import hashlib, json, os, sys, urllib.request
base, out = sys.argv[1], sys.argv[2]
H = {"X-Parse-Application-Id": "bench", "X-Parse-Master-Key": "benchmaster"}
def call(method, path, data, ctype="application/json"):
    r = urllib.request.Request(base + path, data=data, method=method, headers=dict(H, **{"Content-Type": ctype}))
    return json.load(urllib.request.urlopen(r))
shas = []
build = bytearray(os.urandom(200_000))
for v in (1, 2, 3):
    build[v * 1000:v * 1000 + 100] = os.urandom(100)
    name = call("POST", "/files/app.apk", bytes(build), "application/octet-stream")["name"]
    call("POST", "/releases", json.dumps({"platform": "android", "versionCode": v, "file": {"__type": "File", "name": name},
        "mandatory": v == 2, "rolloutPercent": 50 if v == 3 else 100}).encode())
    shas.append(hashlib.sha256(build).hexdigest())
open(out, "w").write("\n".join(shas) + "\n")
PY

# The bare limit reads the same database: the SQLite file (WAL lets it
# read beside the server) or the PostgreSQL URL.
(cd "$root" && go build -o "$work/bare" ./bench/bare)
BARE_PORT=$((PORT + 1))
if [ -n "${SWITCHBOARD_DATABASE_URL:-}" ]; then bare_db=$SWITCHBOARD_DATABASE_URL; else bare_db="sqlite:$work/data/data.db"; fi
"$work/bare" -db "$bare_db" -http "127.0.0.1:$BARE_PORT" >"$work/bare.log" 2>&1 &
bare_pid=$!
trap 'kill $pid $bare_pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$BARE_PORT/health" >/dev/null && break; sleep 0.1; done

# wrk_run PORT SCRIPT: requests/s and the percentiles, one line each.
wrk_run() {
  BENCH_IDS="$work/ids.txt" BENCH_SHAS="$work/check_shas.txt" wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$here/$2" \
    -H "X-Parse-Application-Id: bench" -H "Content-Type: application/json" "http://127.0.0.1:$1" \
    | grep -E "Requests/sec|Non-2xx|Socket errors|p50="
}
run() {
  echo "== $1 (c=$CONNS, $DURATION)"
  wrk_run "$PORT" "$2"
}
# vs_bare runs a scenario on the server, then on the bare limit, and prints
# the ratio of their requests/s.
vs_bare() {
  echo "== $1 (c=$CONNS, $DURATION)"
  local ours bare
  ours=$(wrk_run "$PORT" "$2")
  bare=$(wrk_run "$BARE_PORT" "$2")
  echo "$ours" | sed 's/^/switchboard: /'
  echo "$bare" | sed 's/^/bare limit:  /'
  python3 -c 'import re,sys; r=lambda s: float(re.search(r"Requests/sec:\s+([\d.]+)", s).group(1)); print("ratio to the bare limit: %.2fx" % (r(sys.argv[1]) / r(sys.argv[2])))' "$ours" "$bare"
}
# vs_get runs get-by-id and the update check in ROUNDS interleaved rounds
# (default 3), so that load from elsewhere on the machine hits both alike,
# and prints each round and the median of their ratios.
vs_get() {
  echo "== get by id and update check, ${ROUNDS:-3} interleaved rounds (c=$CONNS, $DURATION each)"
  local get check ratios=""
  for round in $(seq "${ROUNDS:-3}"); do
    get=$(wrk_run "$PORT" get.lua)
    check=$(wrk_run "$PORT" check.lua)
    echo "$get" | sed "s/^/round $round get by id:    /"
    echo "$check" | sed "s/^/round $round update check: /"
    ratios="$ratios $(python3 -c 'import re,sys; r=lambda s: float(re.search(r"Requests/sec:\s+([\d.]+)", s).group(1)); print("%.3f" % (r(sys.argv[2]) / r(sys.argv[1])))' "$get" "$check")"
  done
  python3 -c 'import statistics,sys; v=[float(x) for x in sys.argv[1:]]; print("update check / get by id: rounds %s, median %.2fx (bar: >= 0.80)" % (" ".join("%.2f" % x for x in v), statistics.median(v)))' $ratios
}
if [ "$SCENARIOS" = updates ]; then
  vs_get
  exit 0
fi
run "create" create.lua
run "create, beforeSave sets one field" create_hooked.lua
vs_bare "get by id" get.lua
vs_get
run "cloud function () => 'hi'" function.lua
vs_bare "filtered sorted page (indexed)" page.lua
