#!/usr/bin/env bash
# End-to-end comparison with the DuckDB read_csv peer on one generated file:
# the three peer reports, whole-process wall time and peak RSS, s3logq and
# DuckDB alternating, median of N runs, the file freshly cached first
# and binary (../fresh_cache.py). Needs python3 with duckdb and GNU time.
#   benches/e2e/run.sh LOG [RUNS] [S3LOGQ_BINARY]
set -euo pipefail
log=${1:?usage: run.sh LOG [RUNS] [S3LOGQ_BINARY]}
runs=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
bin=${3:-${CARGO_TARGET_DIR:-$here/../../target}/release/s3logq}
peers=$here/../../../shared/bench/peers
out=$(mktemp -d)
python3 "$here/../fresh_cache.py" "$log" "$bin"

measure() { # name command... -> appends "name wall_s max_rss_kb" to $out/times
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$out/t" "$@" >"$out/$name.out" 2>"$out/$name.err"
  echo "$name $(cat "$out/t")" >>"$out/times"
}

for i in $(seq "$runs"); do
  measure s3logq-report "$bin" report --queries "$here" --only q1-sigv2 --only q2-presigned --only q3-expired --format json "$log"
  measure duckdb-csv python3 "$peers/duckdb_csv.py" "$log"
  for q in q1-sigv2 q2-presigned q3-expired; do
    measure "s3logq-query-$q" "$bin" query --format csv "$(sed '/^--/d' "$here/$q.sql")" "$log"
  done
done

python3 - "$out/times" <<'PY'
import statistics, sys, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    name, wall, rss = line.split()
    rows[name].append((float(wall), int(rss)))
print(f"{'command':28} {'median wall s':>14} {'peak RSS MiB':>13}")
for name, v in rows.items():
    print(f"{name:28} {statistics.median(w for w, _ in v):14.2f} {max(r for _, r in v) / 1024:13.0f}")
PY
echo "outputs in $out"
