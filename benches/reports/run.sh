#!/usr/bin/env bash
# Cost of running every built-in report together against the dearest one
# alone, on one log file: whole-process wall time and peak RSS of
# `s3logq report --format json`, each report alone (--only NAME) and all of
# them in one run, best of RUNS.
#   benches/reports/run.sh LOG [RUNS] [S3LOGQ_BINARY]
set -euo pipefail
log=${1:?usage: run.sh LOG [RUNS] [S3LOGQ_BINARY]}
runs=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
bin=${3:-${CARGO_TARGET_DIR:-$here/../../target}/release/s3logq}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

best() { # name args... -> "name best_wall_s peak_rss_mib"
  local name=$1; shift
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$out/t" "$bin" report --quiet --format json "$@" "$log" >/dev/null 2>"$out/err" || true
    cat "$out/t"
  done | sort -n | head -1 | awk -v n="$name" '{ printf "%-34s %8.2f %8.0f\n", n, $1, $2 / 1024 }'
}

printf "%-34s %8s %8s\n" report "wall s" "RSS MiB"
for name in $("$bin" reports | awk '{ print $1 }'); do
  best "$name" --only "$name"
done | tee "$out/single"
best "all together" | tee "$out/all"
dearest=$(sort -k2 -n "$out/single" | tail -1)
python3 - "$dearest" "$(cat "$out/all")" <<'PY'
import sys
d, a = sys.argv[1].split(), sys.argv[2].split()
print(f"all together / dearest ({d[0]}): {float(a[-2]) / float(d[1]):.2f}x")
PY
