#!/usr/bin/env bash
# Runs bench/http/run.sh RUNS times on each store (SQLite, then PostgreSQL
# on a fresh database per run) and prints, per store and scenario, the
# median requests/s, p50 and p99 of the server and of the bare limit, and
# the median of the per-run ratios (each ratio comes from one run: the
# machine's load changes between runs, not within one). Usage:
#   bench/http/repeat.sh                               # 3 runs: create, get, page and count,
#                                                      # 5 s a scenario, 3 rounds against the bare limit
#   RUNS=2 DURATION=10s BENCH_BIN=/path/to/binary bench/http/repeat.sh
#   STORES=sqlite bench/http/repeat.sh
# PostgreSQL is 127.0.0.1:5432 as user postgres unless PGURL says otherwise
# (a URL without the database name); each run gets a database of its own,
# dropped afterwards.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
RUNS=${RUNS:-3}
STORES=${STORES:-sqlite postgres}
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
export SCENARIOS=${SCENARIOS:-create get page count}
# Each scenario against the bare limit: 3 rounds of 5 s each, alternating.
export DURATION=${DURATION:-5s} ROUNDS=${ROUNDS:-3}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for i in $(seq "$RUNS"); do
  for store in $STORES; do
    echo "-- run $i, $store" >&2
    if [ "$store" = postgres ]; then
      db="sb_bench_$$_$i"
      psql "$PGURL/postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
      SWITCHBOARD_DATABASE_URL="$PGURL/$db" "$here/run.sh" | tee "$out/$store.$i" >&2
      psql "$PGURL/postgres" -qc "DROP DATABASE IF EXISTS $db" || true
    else
      env -u SWITCHBOARD_DATABASE_URL "$here/run.sh" | tee "$out/$store.$i" >&2
    fi
  done
done
python3 - "$out" $STORES <<'PY'
import glob, re, statistics, sys
out, stores = sys.argv[1], sys.argv[2:]
def parse(text):
    res, name = {}, None
    for line in text.splitlines():
        m = re.match(r"== (.*?) \(c=", line)
        if m:
            name = m.group(1); res[name] = {}; continue
        who = "bare" if line.startswith("bare limit:") else "ours"
        m = re.search(r"Requests/sec:\s+([\d.]+)", line)
        if m: res[name][who + "_rps"] = float(m.group(1))
        m = re.search(r"p50=([\d.]+)ms p99=([\d.]+)ms", line)
        if m: res[name][who + "_p50"], res[name][who + "_p99"] = float(m.group(1)), float(m.group(2))
        m = re.search(r"(?<!db )cpu=([\d.]+)us/req", line)
        if m: res[name][who + "_cpu"] = float(m.group(1))
        m = re.search(r"db cpu=([\d.]+)us/req", line)
        if m: res[name][who + "_db"] = float(m.group(1))
        m = re.search(r"ratio to the bare limit: ([\d.]+)x", line)
        if m: res[name]["ratio"] = float(m.group(1))
        m = re.search(r"cpu ratio .*: ([\d.]+)x", line)
        if m: res[name]["cpu_ratio"] = float(m.group(1))
    return res
med = lambda xs: statistics.median(xs) if xs else float("nan")
print("| store | scenario | switchboard req/s | p50 / p99 ms | CPU µs/req | bare req/s | bare p50 / p99 ms | bare CPU µs/req | ratio (median; each run) | CPU ratio (median) |")
print("|---|---|---|---|---|---|---|---|---|---|")
for store in stores:
    runs = [parse(open(f).read()) for f in sorted(glob.glob(f"{out}/{store}.*"))]
    for name in runs[0]:
        get = lambda k: [r[name][k] for r in runs if k in r.get(name, {})]
        cpu = "%.0f" % med(get("ours_cpu"))
        if get("ours_db"):
            cpu += " + db %.0f" % med(get("ours_db"))
        row = [store, name, "%.0f" % med(get("ours_rps")), "%.2f / %.2f" % (med(get("ours_p50")), med(get("ours_p99"))), cpu]
        if get("bare_rps"):
            row += ["%.0f" % med(get("bare_rps")), "%.2f / %.2f" % (med(get("bare_p50")), med(get("bare_p99"))),
                    "%.0f" % med(get("bare_cpu")) + (" + db %.0f" % med(get("bare_db")) if get("bare_db") else ""),
                    "**%.2f×** (%s)" % (med(get("ratio")), ", ".join("%.2f" % x for x in get("ratio"))),
                    "%.2f×" % med(get("cpu_ratio"))]
        else:
            row += ["", "", "", "", ""]
        print("| " + " | ".join(row) + " |")
PY
