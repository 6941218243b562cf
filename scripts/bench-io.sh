#!/usr/bin/env bash
# bench-io.sh: record-stream throughput through a pass-through stage, plain
# and LZ4, beside `cat` and `lz4 -d` on the same bytes, in one run.
# MB/s are of the uncompressed stream. Usage: scripts/bench-io.sh [MB]
set -euo pipefail
cd "$(dirname "$0")/.."
mb=${1:-512}
make -s bin/dump build/rel/tools/passthrough >/dev/null
D=bin/dump P=build/rel/tools/passthrough
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# One ~4 MB stream of trace-like records (4096-float vectors), repeated.
/usr/bin/python3 - >"$tmp/unit.jsonl" <<'PY'
import json, random
random.seed(1)
for i in range(64):
    print(json.dumps({"type": "trace", "id": f"s:{i}", "domain": "math", "loss": 2.5,
                      "token_nll": [round(random.random() * 8, 6) for _ in range(4095)],
                      "router_mean": [random.random() / 64 for _ in range(16 * 64)],
                      "topk_mean": [0.0] * (16 * 64)}))
PY
$D --from-json "$tmp/unit.jsonl" -o "$tmp/unit.mpk"
unit=$(stat -c %s "$tmp/unit.mpk")
reps=$(( mb * 1048576 / unit + 1 ))
for _ in $(seq "$reps"); do echo "$tmp/unit.mpk"; done | xargs cat >"$tmp/in.mpk"
$P "$tmp/in.mpk" -o "$tmp/in.mpk.lz4"
bytes=$(stat -c %s "$tmp/in.mpk")
zbytes=$(stat -c %s "$tmp/in.mpk.lz4")
cat "$tmp/in.mpk" "$tmp/in.mpk.lz4" >/dev/null   # warm the page cache

rate() { # label, command: print MB/s of the uncompressed bytes
  local t0 t1
  t0=$(date +%s.%N); bash -c "$2" >/dev/null; t1=$(date +%s.%N)
  awk -v l="$1" -v b="$bytes" -v a="$t0" -v z="$t1" 'BEGIN { printf "  %-44s %8.0f MB/s\n", l, b / 1048576 / (z - a) }'
}
awk -v b="$bytes" -v z="$zbytes" 'BEGIN { printf "stream: %.0f MB plain, %.0f MB as LZ4 (ratio %.2f)\n", b / 1048576, z / 1048576, b / z }'
rate "cat plain > /dev/null" "cat '$tmp/in.mpk'"
rate "passthrough plain -> plain" "$P '$tmp/in.mpk'"
rate "lz4 -d > /dev/null" "lz4 -dc '$tmp/in.mpk.lz4'"
rate "passthrough lz4 -> plain" "$P '$tmp/in.mpk.lz4'"
rate "lz4 -1 compress (lz4 CLI)" "lz4 -1 -c '$tmp/in.mpk'"
rate "passthrough plain -> lz4 (-z)" "$P -z '$tmp/in.mpk'"
