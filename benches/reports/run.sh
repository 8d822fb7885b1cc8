#!/usr/bin/env bash
# Cost of running every built-in report together against the dearest one
# alone, on one log file: whole-process wall time, CPU time (user + system)
# and peak RSS of `s3logq report --format json`, each report alone
# (--only NAME) and all of them in one run, in RUNS interleaved rounds. The
# ratio is given three ways: best wall times, best CPU times, and the median
# over rounds of each round's own ratio (a slow spell of a shared machine
# moves a whole round, not one run in it). The file is freshly cached first
# (../fresh_cache.py), and so is the binary.
# With WITHOUT_EACH=1 every round also runs all reports but one, for each
# report, and prints what each adds to all of them together (all ten less
# the nine without it): the cost of its own filtering and grouping, and of
# any column that only it reads.
# Every round also runs the shared parse alone: a report that counts every
# column of `logs` the built-in reports read and groups nothing. What all of
# them together cost beyond it is the reports' own filtering and grouping,
# which is set against what 1.5x the dearest would leave for it.
#   [WITHOUT_EACH=1] benches/reports/run.sh LOG [RUNS] [S3LOGQ_BINARY]
set -euo pipefail
log=${1:?usage: run.sh LOG [RUNS] [S3LOGQ_BINARY]}
runs=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
bin=${3:-${CARGO_TARGET_DIR:-$here/../../target}/release/s3logq}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
python3 "$here/../fresh_cache.py" "$log" "$bin"

measure() { # name args... -> appends "round name wall_s peak_rss_kb user_s sys_s" to $out/times
  local name=$1; shift
  /usr/bin/time -f "%e %M %U %S" -o "$out/t" "$bin" report --quiet --format json "$@" "$log" >/dev/null 2>"$out/err" || true
  echo "$round $name $(cat "$out/t")" >>"$out/times"
}

# The shared parse alone, as a report of its own: the columns of `logs`
# named in the built-in reports' SQL, each counted.
mkdir "$out/parse"
columns=$("$bin" query --format csv 'SELECT * FROM logs LIMIT 1' "$log" 2>/dev/null | head -1)
python3 - "$columns" "$here/../../queries" >"$out/parse/shared-parse.sql" <<'PY'
import pathlib, re, sys
sql = " ".join(p.read_text() for p in sorted(pathlib.Path(sys.argv[2]).glob("*.sql")))
words = set(re.findall(r"[a-z_]+", re.sub(r"--[^\n]*", "", sql)))
read = [c for c in sys.argv[1].split(",") if c in words]
print("-- title: The shared parse alone\n-- severity: info\n-- description: Counts every column the reports read.")
print("SELECT count(*) AS requests, " + ", ".join(f"count({c}) AS {c}" for c in read) + " FROM logs")
PY

# Rounds interleave every configuration, so that a slow spell of a shared
# machine hits them all alike; each keeps its best round.
names=$("$bin" reports | awk '{ print $1 }')
for round in $(seq "$runs"); do
  for name in $names; do
    measure "$name" --only "$name"
  done
  measure "all-together"
  measure "shared-parse" --queries "$out/parse" --only shared-parse
  if [ "${WITHOUT_EACH:-}" = 1 ]; then
    for name in $names; do
      others=()
      for other in $names; do [ "$other" = "$name" ] || others+=(--only "$other"); done
      measure "without:$name" "${others[@]}"
    done
  fi
done

python3 - "$out/times" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(dict)  # round -> name -> (wall, cpu, rss)
for line in open(sys.argv[1]):
    rnd, name, wall, rss, user, system = line.split()
    runs[rnd][name] = (float(wall), float(user) + float(system), int(rss))
names = list(next(iter(runs.values())))
best = {n: tuple(min(r[n][k] for r in runs.values()) for k in (0, 1)) + (max(r[n][2] for r in runs.values()),) for n in names}
print(f"{'report':<42} {'wall s':>8} {'CPU s':>8} {'RSS MiB':>8}")
for name, (wall, cpu, rss) in best.items():
    print(f"{name:<42} {wall:8.2f} {cpu:8.2f} {rss / 1024:8.0f}")
alone = [n for n in names if n not in ("all-together", "shared-parse") and not n.startswith("without:")]
for label, k in (("wall", 0), ("CPU", 1)):
    dearest = max(alone, key=lambda n: best[n][k])
    print(f"all together / dearest, best {label} times ({dearest}): {best['all-together'][k] / best[dearest][k]:.2f}x")
per_round = [r["all-together"][0] / max(r[n][0] for n in alone) for r in runs.values()]
print(f"all together / dearest, median of each round's wall ratio: {statistics.median(per_round):.2f}x "
      f"(rounds: {', '.join(f'{x:.2f}' for x in per_round)})")
own = [tuple(r["all-together"][k] - r["shared-parse"][k] for k in (0, 1)) for r in runs.values()]
room = [1.5 * max(r[n][0] for n in alone) - r["shared-parse"][0] for r in runs.values()]
print(f"the reports' own work, all together less the shared parse (median over rounds): "
      f"{statistics.median(o[0] for o in own):.2f} s, {statistics.median(o[1] for o in own):.2f} CPU-s; "
      f"1.5x the dearest leaves it {statistics.median(room):.2f} s")
if any(n.startswith("without:") for n in names):
    print(f"{'what each adds to all together':<42} {'wall s':>8} {'CPU s':>8}  (median over rounds)")
    for name in alone:
        adds = [tuple(r["all-together"][k] - r["without:" + name][k] for k in (0, 1)) for r in runs.values()]
        wall, cpu = (statistics.median(a[k] for a in adds) for k in (0, 1))
        print(f"{name:<42} {wall:8.2f} {cpu:8.2f}")
PY
