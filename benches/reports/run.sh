#!/usr/bin/env bash
# Cost of running every built-in report together against the dearest one
# alone, on one log file: whole-process wall time and peak RSS of
# `s3logq report --format json`, each report alone (--only NAME) and all of
# them in one run, best of RUNS interleaved rounds.
#   benches/reports/run.sh LOG [RUNS] [S3LOGQ_BINARY]
set -euo pipefail
log=${1:?usage: run.sh LOG [RUNS] [S3LOGQ_BINARY]}
runs=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
bin=${3:-${CARGO_TARGET_DIR:-$here/../../target}/release/s3logq}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

measure() { # name args... -> appends "name wall_s peak_rss_kb" to $out/times
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$out/t" "$bin" report --quiet --format json "$@" "$log" >/dev/null 2>"$out/err" || true
  echo "$name $(cat "$out/t")" >>"$out/times"
}

# Rounds interleave every configuration, so that a slow spell of a shared
# machine hits them all alike; each keeps its best round.
names=$("$bin" reports | awk '{ print $1 }')
for _ in $(seq "$runs"); do
  for name in $names; do
    measure "$name" --only "$name"
  done
  measure "all-together"
done

python3 - "$out/times" <<'PY'
import collections, sys
best = collections.defaultdict(lambda: (float("inf"), 0))
for line in open(sys.argv[1]):
    name, wall, rss = line.split()
    best[name] = min(best[name], (float(wall), int(rss)))
print(f"{'report':<34} {'wall s':>8} {'RSS MiB':>8}")
for name, (wall, rss) in best.items():
    print(f"{name:<34} {wall:8.2f} {rss / 1024:8.0f}")
alone = {n: w for n, (w, _) in best.items() if n != "all-together"}
dearest = max(alone, key=alone.get)
print(f"all together / dearest ({dearest}): {best['all-together'][0] / alone[dearest]:.2f}x")
PY
