#!/usr/bin/env bash
# Compares server builds on create and get-by-id, interleaved: every
# binary gets its own server and data folder, seeded alike, and each round
# runs each scenario on every binary in turn (rotating who goes first), so
# that a noisy machine weighs on all of them alike. Prints, per scenario and
# binary, the median requests/s over the rounds, p50/p99 of the median run,
# and the ratio to the first binary. Usage:
#   bench/http/compare.sh OLD_BIN NEW_BIN [MORE_BINS...]
#   ROUNDS=5 DURATION=10s bench/http/compare.sh /tmp/old ./switchboard /tmp/noophook
# Builds to compare: `git worktree add /tmp/old REV && (cd /tmp/old && go
# build -o /tmp/old-bin ./cmd/switchboard)`, and `go build ./bench/noophook`
# for the cost of one no-op trigger. SQLite only (each server its own file).
# The request log stays on (info), as in production. Needs wrk and curl.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-32}
THREADS=${THREADS:-2}
SEED=${SEED:-2000}
PORT=${PORT:-18437}
[ $# -ge 2 ] || { sed -n '2,13p' "$0" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install wrk" >&2; exit 1; }
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
export SWITCHBOARD_APP_ID=bench SWITCHBOARD_MASTER_KEY=benchmaster SWITCHBOARD_LOG_LEVEL=${SWITCHBOARD_LOG_LEVEL:-info}

bins=("$@")
for i in "${!bins[@]}"; do
  port=$((PORT + i))
  mkdir -p "$work/$i"
  cp "${bins[$i]}" "$work/$i/switchboard"
  "$work/$i/switchboard" serve --http "127.0.0.1:$port" --dir "$work/$i/data" >"$work/$i/server.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
  base="http://127.0.0.1:$port/parse"
  curl -fs -H "X-Parse-Application-Id: bench" -H "X-Parse-Master-Key: benchmaster" -H "Content-Type: application/json" \
    -X POST "$base/schemas/BenchItem" \
    -d '{"className":"BenchItem","fields":{"name":{"type":"String"},"score":{"type":"Number"},"tags":{"type":"Array"},"active":{"type":"Boolean"}},"indexes":{"score_1":{"score":1}}}' >/dev/null
  python3 - "$base" "$SEED" "$work/$i/ids.txt" <<'PY'
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
done

# One line per run: scenario binary requests/s p50 p99.
results="$work/results.txt"
for round in $(seq "$ROUNDS"); do
  for scenario in create get; do
    for k in "${!bins[@]}"; do
      i=$(( (k + round) % ${#bins[@]} ))
      out=$(BENCH_IDS="$work/$i/ids.txt" wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$here/$scenario.lua" \
        -H "X-Parse-Application-Id: bench" -H "Content-Type: application/json" "http://127.0.0.1:$((PORT + i))")
      rps=$(echo "$out" | sed -n 's/^Requests\/sec:[[:space:]]*//p')
      lat=$(echo "$out" | grep -o 'p50=[^ ]* p99=[^ ]*')
      echo "$scenario $i $rps $lat" >>"$results"
      echo "round $round $scenario ${bins[$i]}: $rps req/s $lat" >&2
    done
  done
done

python3 - "$results" "${bins[@]}" <<'PY'
import statistics, sys
path, bins = sys.argv[1], sys.argv[2:]
runs = {}
for line in open(path):
    scenario, i, rps, p50, p99 = line.split()
    runs.setdefault((scenario, int(i)), []).append((float(rps), p50, p99))
for scenario in ("create", "get"):
    print(f"== {scenario}")
    first = None
    for i, b in enumerate(bins):
        rs = sorted(runs[(scenario, i)])
        med = rs[len(rs) // 2]
        rps = statistics.median(r[0] for r in rs)
        first = first or rps
        print(f"{b}: median {rps:.0f} req/s ({med[1]} {med[2]}), {rps / first:.3f}x the first; runs: {', '.join('%.0f' % r[0] for r in rs)}")
PY
