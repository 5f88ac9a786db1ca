#!/usr/bin/env bash
# HTTP load benchmark: builds the server, starts it on a fresh data folder,
# seeds an indexed class, deploys cloud code, and runs wrk against create
# (plain, and with a beforeSave that sets one field), get-by-id, a trivial
# cloud function, a filtered sorted page and a count. Get, page and count also run, in the
# same run, against bench/bare: the physical limit, a bare handler doing
# only the store call on the same database; each is reported as a ratio to
# it. The update check of app versions and get-by-id run in interleaved
# rounds, reported as the median ratio (the issue's bar: at least 0.8). Usage:
#   bench/http/run.sh                      # SQLite, c=32, 15 s per scenario
#                                          # (3 rounds of 15 s each, server and bare alternating)
#   DURATION=5s ROUNDS=1 CONNS=64 bench/http/run.sh
#   SWITCHBOARD_DATABASE_URL=postgres://... bench/http/run.sh
#   BENCH_BIN=/path/to/binary bench/http/run.sh   # another build (e.g. bench/noophook)
#   SCENARIOS="create get page" bench/http/run.sh  # only these (create, hooked, hookcost, get,
#                                         # updates, function, page, count); updates: get-by-id and
#                                         # the update check in interleaved rounds; hookcost: create
#                                         # and the hooked create in interleaved rounds (the cloud-code
#                                         # bar: at least 0.85)
#   SERVER_ENV="GOGC=200" bench/http/run.sh  # environment for the server only, not the bare limit
#   PROFILE=/tmp/prof bench/http/run.sh   # the server built from bench/pprofserve (or BENCH_BIN, built
#                                         # from it); CPU, allocation and block profiles of each
#                                         # scenario saved there
# Needs wrk (apt-get install wrk) and curl. Prints requests/s, p50/p99 and
# the server's CPU time per request (on PostgreSQL also the database's,
# "db cpu"); against the bare limit, the ratio of
# requests/s and the ratio of CPU per request (bare/ours, 1 is as cheap).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
DURATION=${DURATION:-15s}
ROUNDS=${ROUNDS:-3} # rounds of server and bare limit, alternating (vs_bare)
CONNS=${CONNS:-32}
THREADS=${THREADS:-2}
SEED=${SEED:-10000}
PORT=${PORT:-18337}
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install wrk" >&2; exit 1; }
if [ -n "${PROFILE:-}" ]; then mkdir -p "$PROFILE"; fi
if [ -n "${BENCH_BIN:-}" ]; then
  cp "$BENCH_BIN" "$work/switchboard"
elif [ -n "${PROFILE:-}" ]; then
  (cd "$root" && go build -o "$work/switchboard" ./bench/pprofserve)
else
  (cd "$root" && go build -o "$work/switchboard" ./cmd/switchboard)
fi
# Which scenarios run (SCENARIOS); the setup skips what no chosen scenario
# needs, so that older builds (no cloud code, no app versions) can be
# measured too.
SCENARIOS=" ${SCENARIOS:-create hooked hookcost get updates function page count} "
want() { [[ "$SCENARIOS" == *" $1 "* ]]; }
export PPROF_ADDR=127.0.0.1:$((PORT + 2))
# The default log level: the request log is on, one line a request, as
# deployed (SWITCHBOARD_LOG_LEVEL=error turns it off).
export SWITCHBOARD_APP_ID=bench SWITCHBOARD_MASTER_KEY=benchmaster SWITCHBOARD_LOG_LEVEL=${SWITCHBOARD_LOG_LEVEL:-info}
# wrk comes from one address: the per-IP limit of update checks is off.
if want updates; then export SWITCHBOARD_RELEASES__CHECK_REQUESTS_PER_MINUTE=-1; fi
env ${SERVER_ENV:-} "$work/switchboard" serve --http "127.0.0.1:$PORT" --dir "$work/data" >"$work/server.log" 2>&1 &
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
if want hooked || want hookcost || want function; then
  curl -fs "${H[@]}" -X POST "$base/deployments" -d "{\"files\":{\"main.js\":\"$main_js\"},\"encoding\":\"base64\",\"note\":\"bench\"}" >/dev/null
fi
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
if want updates; then
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
fi

# The bare limit reads the same database: the SQLite file (WAL lets it
# read beside the server) or the PostgreSQL URL.
(cd "$root" && go build -o "$work/bare" ./bench/bare)
BARE_PORT=$((PORT + 1))
if [ -n "${SWITCHBOARD_DATABASE_URL:-}" ]; then bare_db=$SWITCHBOARD_DATABASE_URL; else bare_db="sqlite:$work/data/data.db"; fi
"$work/bare" -db "$bare_db" -http "127.0.0.1:$BARE_PORT" >"$work/bare.log" 2>&1 &
bare_pid=$!
trap 'kill $pid $bare_pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$BARE_PORT/health" >/dev/null && break; sleep 0.1; done

# profile NAME: while a scenario runs on the server, its CPU profile (all
# but the first and last second), then the allocations and blocking since
# the start, into $PROFILE/NAME.{cpu,allocs,block}.pprof.
profile() {
  local secs=$(( ${DURATION%s} - 2 ))
  curl -fs "http://$PPROF_ADDR/debug/pprof/allocs" -o "$PROFILE/$1.allocs0.pprof"
  sleep 1
  curl -fs "http://$PPROF_ADDR/debug/pprof/profile?seconds=$secs" -o "$PROFILE/$1.cpu.pprof"
  curl -fs "http://$PPROF_ADDR/debug/pprof/allocs" -o "$PROFILE/$1.allocs.pprof"
  curl -fs "http://$PPROF_ADDR/debug/pprof/block" -o "$PROFILE/$1.block.pprof"
}

# cpu_ticks PID: the CPU time a process has used, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# db_ticks: the CPU time PostgreSQL's processes have used (their own, and
# that of the backends that exited, which their parent collected); 0 on
# SQLite, which runs inside the server.
db_ticks() {
  if [ -z "${SWITCHBOARD_DATABASE_URL:-}" ]; then echo 0; return; fi
  local p
  for p in $(pgrep -x postgres); do cat "/proc/$p/stat" 2>/dev/null; done | awk '{s += $14 + $15 + $16 + $17} END {print s + 0}'
}

# wrk_run PORT SCRIPT: requests/s, the percentiles, and the CPU time the
# process serving PORT used per request (its own, not wrk's: steadier than
# requests/s on a machine other work shares), one line each.
wrk_run() {
  local target=$pid out t0 t1
  if [ "$1" = "$BARE_PORT" ]; then target=$bare_pid; fi
  if [ -n "${PROFILE:-}" ] && [ "$1" = "$PORT" ]; then profile "${2%.lua}" & fi
  t0=$(cpu_ticks "$target") d0=$(db_ticks)
  out=$(BENCH_IDS="$work/ids.txt" BENCH_SHAS="$work/check_shas.txt" wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$here/$2" \
    -H "X-Parse-Application-Id: bench" -H "Content-Type: application/json" "http://127.0.0.1:$1")
  t1=$(cpu_ticks "$target") d1=$(db_ticks)
  echo "$out" | grep -E "Requests/sec|Non-2xx|Socket errors|p50="
  echo "$out" | awk -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" '/requests in/ { printf "cpu=%.1fus/req\n", d * 1e6 / hz / $1 }'
  if [ -n "${SWITCHBOARD_DATABASE_URL:-}" ]; then
    echo "$out" | awk -v d=$((d1 - d0)) -v hz="$(getconf CLK_TCK)" '/requests in/ { printf "db cpu=%.1fus/req\n", d * 1e6 / hz / $1 }'
  fi
}
run() {
  echo "== $1 (c=$CONNS, $DURATION)"
  wrk_run "$PORT" "$2"
}
# vs_bare runs a scenario on the server and on the bare limit, ROUNDS
# times each, alternating, so that both see the same load from whatever
# else runs on the machine. It prints the mean requests/s of each over its
# rounds, the median of the rounds' p50 and p99, and the ratio of the means.
vs_bare() {
  echo "== $1 (c=$CONNS, $ROUNDS × $DURATION each, alternating)"
  local ours="" bare=""
  for _ in $(seq "$ROUNDS"); do
    ours+=$(wrk_run "$PORT" "$2")$'\n'
    bare+=$(wrk_run "$BARE_PORT" "$2")$'\n'
  done
  python3 - "$ours" "$bare" <<'PY'
import re, statistics, sys
def summary(text):
    rps = [float(x) for x in re.findall(r"Requests/sec:\s+([\d.]+)", text)]
    p50 = [float(x) for x in re.findall(r"p50=([\d.]+)ms", text)]
    p99 = [float(x) for x in re.findall(r"p99=([\d.]+)ms", text)]
    cpu = [float(x) for x in re.findall(r"(?<!db )cpu=([\d.]+)us/req", text)]
    db = [float(x) for x in re.findall(r"db cpu=([\d.]+)us/req", text)]
    extra = [l for l in text.splitlines() if "Non-2xx" in l or "Socket errors" in l]
    return statistics.mean(rps), statistics.median(p50), statistics.median(p99), statistics.mean(cpu), extra, db
ours, bare = summary(sys.argv[1]), summary(sys.argv[2])
for who, (rps, p50, p99, cpu, extra, db) in (("switchboard:", ours), ("bare limit: ", bare)):
    print("%s Requests/sec: %10.2f" % (who, rps))
    print("%s p50=%.2fms p99=%.2fms" % (who, p50, p99))
    print("%s cpu=%.1fus/req" % (who, cpu))
    if db:
        print("%s db cpu=%.1fus/req" % (who, statistics.mean(db)))
    for l in extra:
        print(who, l.strip())
print("ratio to the bare limit: %.2fx" % (ours[0] / bare[0]))
print("cpu ratio (bare's CPU per request / ours): %.2fx" % (bare[3] / ours[3]))
PY
}
# vs_pair NAME A.lua B.lua LABEL BAR runs scenarios A and B in ROUNDS
# interleaved rounds (default 3), so that load from elsewhere on the machine
# hits both alike, and prints each round, the median of the rounds' B/A
# requests/s ratios against BAR, and the median extra server CPU of B.
vs_pair() {
  echo "== $1, ${ROUNDS:-3} interleaved rounds (c=$CONNS, $DURATION each)"
  local a b ratios="" extra=""
  for round in $(seq "${ROUNDS:-3}"); do
    a=$(wrk_run "$PORT" "$2")
    b=$(wrk_run "$PORT" "$3")
    echo "$a" | sed "s/^/round $round ${2%.lua}: /"
    echo "$b" | sed "s/^/round $round ${3%.lua}: /"
    ratios="$ratios $(python3 -c 'import re,sys; r=lambda s: float(re.search(r"Requests/sec:\s+([\d.]+)", s).group(1)); print("%.3f" % (r(sys.argv[2]) / r(sys.argv[1])))' "$a" "$b")"
    extra="$extra $(python3 -c 'import re,sys; c=lambda s: float(re.search(r"(?<!db )cpu=([\d.]+)us/req", s).group(1)); print("%.1f" % (c(sys.argv[2]) - c(sys.argv[1])))' "$a" "$b")"
  done
  python3 -c 'import statistics,sys; label, bar, n = sys.argv[1], sys.argv[2], int(sys.argv[3]); v=[float(x) for x in sys.argv[4:4+n]]; e=[float(x) for x in sys.argv[4+n:]]; print("%s: rounds %s, median %.2fx (bar: >= %s); extra server cpu %s us/req, median %.1f" % (label, " ".join("%.2f" % x for x in v), statistics.median(v), bar, " ".join("%.1f" % x for x in e), statistics.median(e)))' "$4" "$5" "${ROUNDS:-3}" $ratios $extra
}
if want create; then run "create" create.lua; fi
if want hooked; then run "create, beforeSave sets one field" create_hooked.lua; fi
if want get; then vs_bare "get by id" get.lua; fi
if want updates; then vs_pair "get by id and update check" get.lua check.lua "update check / get by id" 0.80; fi
if want hookcost; then vs_pair "create without and with the beforeSave" create.lua create_hooked.lua "beforeSave create / create" 0.85; fi
if want function; then run "cloud function () => 'hi'" function.lua; fi
if want page; then vs_bare "filtered sorted page (indexed)" page.lua; fi
if want count; then vs_bare "count (indexed)" count.lua; fi
