#!/usr/bin/env bash
# Reading log objects from a local S3-compatible server: objects per second,
# MB/s and peak RSS of `s3logq query` over OBJECTS objects of about SIZE
# bytes each, cut from one file of ../shared/bench/gen_s3_logs.py.
#   benches/s3/run.sh OBJECTS SIZE [S3LOGQ_BINARY]      e.g. run.sh 5000 20000
# SERVER=s3s-fs (default; Rust, serves a directory, checks SigV4: install with
# `cargo install s3s-fs@0.14.1 --features binary --locked`, found through
# S3LOGQ_S3S_FS or PATH) or SERVER=moto (S3LOGQ_MOTO_SERVER or PATH; Python,
# so it is itself the bottleneck at a few hundred objects/s). GZIP=1 stores
# each object gzipped (`-6`), as archived logs are; sizes and MB/s are of the
# log text. Needs GNU time.
set -euo pipefail
objects=${1:?usage: run.sh OBJECTS SIZE [BINARY]}
size=${2:?usage: run.sh OBJECTS SIZE [BINARY]}
here=$(cd "$(dirname "$0")" && pwd)
bin=${3:-${CARGO_TARGET_DIR:-$here/../../target}/release/s3logq}
server=${SERVER:-s3s-fs}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT

# Objects keyed as S3 delivers them: logs/YYYY-mm-DD-HH-MM-SS-UniqueString.
python3 "$here/../../../shared/bench/gen_s3_logs.py" --seed 3 --bytes "$((objects * size))" -o "$work/all.log"
python3 - "$work/all.log" "$objects" "$work/objects" "${GZIP:-0}" <<'PY'
import gzip, os, sys
path, objects, out, compress = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"
lines = open(path, "rb").read().splitlines(keepends=True)
per = max(1, len(lines) // objects)
os.makedirs(out)
for i in range(objects):
    body = b"".join(lines[i * per:(i + 1) * per if i < objects - 1 else len(lines)])
    name = f"2026-11-20-{i // 3600 % 24:02d}-{i // 60 % 60:02d}-{i % 60:02d}-{i:016X}"
    with open(os.path.join(out, name), "wb") as f:
        f.write(gzip.compress(body, 6) if compress else body)
PY

case $server in
  s3s-fs)
    mkdir -p "$work/root/bench" && mv "$work/objects" "$work/root/bench/logs"
    "${S3LOGQ_S3S_FS:-s3s-fs}" --host 127.0.0.1 --port "$port" --access-key test --secret-key test "$work/root" \
      >"$work/server.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done ;;
  moto)
    moto=${S3LOGQ_MOTO_SERVER:-$(command -v moto_server)}
    "$moto" -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.2; done
    curl -fsS -X PUT "http://127.0.0.1:$port/bench" >/dev/null
    "$(dirname "$moto")/python" - "$work/objects" "$port" <<'PY'
import os, sys, boto3, concurrent.futures as cf
folder, port = sys.argv[1], sys.argv[2]
s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", aws_access_key_id="test",
                  aws_secret_access_key="test", region_name="us-east-1")
def put(name):
    s3.put_object(Bucket="bench", Key=f"logs/{name}", Body=open(os.path.join(folder, name), "rb").read())
with cf.ThreadPoolExecutor(16) as pool:
    list(pool.map(put, sorted(os.listdir(folder))))
PY
    ;;
  *) echo "SERVER must be s3s-fs or moto" >&2; exit 2 ;;
esac

bytes=$(stat -c %s "$work/all.log")
echo "server $server: $objects objects, $((bytes / 1000000)) MB of text$([ "${GZIP:-0}" = 1 ] && echo ', gzipped')"
for run in 1 2 3; do
  /usr/bin/time -f "%e %M %P" -o "$work/t" env AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 \
    "$bin" query --quiet --format csv --endpoint-url "http://127.0.0.1:$port" \
    "SELECT count(*) AS records FROM logs" s3://bench/logs/ >"$work/out" 2>"$work/err"
  read -r wall rss cpu <"$work/t"
  python3 -c "import sys; o,b,w,r=int(sys.argv[1]),int(sys.argv[2]),float(sys.argv[3]),int(sys.argv[4]); print(f'run {sys.argv[5]}: {o} objects, {b/1e6:.0f} MB in {w:.2f} s: {o/w:.0f} objects/s, {b/1e6/w:.0f} MB/s, peak RSS {r/1024:.0f} MiB, s3logq CPU {sys.argv[6]}')" \
    "$objects" "$bytes" "$wall" "$rss" "$run" "$cpu"
done
cat "$work/out" "$work/err"
