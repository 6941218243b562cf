#!/usr/bin/env bash
# bench-reduce.sh: phase 2 at study scale with no forward pass (issue 13):
# generated pathway streams of C checkpoints x N samples (16 layers, 64
# experts, realistic pathway strings of ~8 experts per layer), then
#   1. metric-reduce --membership-only over all of them: time and peak RSS
#      (memory must stay flat in the pathways' length: losses and ids only);
#   2. one per-checkpoint run, metric-reduce --membership M one.mpk: time and
#      peak RSS (it holds one checkpoint's pathways at a time).
# Usage: scripts/bench-reduce.sh [--checkpoints C] [--samples N] [--tmp DIR] [--keep]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${GM_BIN:-$PWD/bin}
C=100 N=100000 tmp_base=${TMPDIR:-/tmp} keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --checkpoints) C=$2; shift 2 ;;
    --samples) N=$2; shift 2 ;;
    --tmp) tmp_base=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-reduce: error: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ -x "$BIN/metric-reduce" ] || { echo "bench-reduce: error: $BIN/metric-reduce missing: run make" >&2; exit 1; }
/usr/bin/python3 -c 'import msgpack' 2>/dev/null \
  || { echo "bench-reduce: error: needs python3-msgpack (apt-get install python3-msgpack)" >&2; exit 1; }
work=$(mktemp -d "$tmp_base/bench-reduce.XXXXXX")
[ "$keep" = 1 ] && echo "keeping $work" || trap 'rm -rf "$work"' EXIT

# a header record for every file, made by dump so it is the real thing
echo '{"type":"header","format":"grokmon","schema_version":1,"stage":"bench-reduce","version":"0","options":{},"inputs":[]}' \
  | "$BIN/dump" --from-json -o "$work/header.mpk"
t0=$(date +%s)
/usr/bin/python3 - "$work" "$C" "$N" <<'PY'
import math, random, struct, sys
import msgpack
work, C, N = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
L, E = 16, 64
header = open(work + "/header.mpk", "rb").read()
rng = random.Random(1)
# each sample's pathway drifts over training: a base set of experts per layer,
# one expert swapped every so many checkpoints; losses fall, faster for some
base = [[rng.sample(range(E), 8) for _ in range(L)] for _ in range(N)]
rate = [rng.uniform(0.2, 3.0) for _ in range(N)]
domains = ["math", "code", "web", "qa"]
cos = struct.pack("<%dd" % (L - 1), *[0.5] * (L - 1))
counts = struct.pack("<%dH" % L, *[8] * L)
pk = msgpack.Packer(use_bin_type=True)
for k in range(C):
    step = 1000 * (k + 1)
    name = "step%d" % step
    with open("%s/%s.mpk" % (work, name), "wb") as fh:
        fh.write(header)
        for i in range(N):
            b = base[i]
            if k % 10 == 9:
                b[(i + k) % L][k % 8] = (b[(i + k) % L][k % 8] + 1) % E
            path = "-".join(",".join(map(str, layer)) for layer in b)
            loss = 4.0 * math.exp(-rate[i] * k / C) + 0.1
            fh.write(pk.pack({
                "type": "pathway", "id": "s%d" % i, "domain": domains[i % 4], "checkpoint": name,
                "step": step, "loss": loss, "n_layers": L, "n_experts": E, "threshold": 0.7,
                "weights": "softmax", "path": path, "layer_counts": counts, "cosines": cos,
                "consistency_c": 0.5, "consistency_s": 0.5, "entropy": 2.0}))
PY
bytes=$(du -sb "$work" | cut -f1)
echo "== $C checkpoints x $N samples of generated pathways (16 layers, 64 experts):" \
     "$(awk -v b="$bytes" 'BEGIN{printf "%.1f GB", b / 1e9}') in $(( $(date +%s) - t0 )) s"

# run LABEL CMD...: wall time and peak RSS of one command
run() {
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" 2>"$work/err" >/dev/null \
    || { cat "$work/err" >&2; exit 1; }
  read -r secs kb <"$work/time"
  printf '%-44s %8.1f s  peak RSS %7.0f MB\n' "$label" "$secs" "$(awk -v k="$kb" 'BEGIN{print k / 1024}')"
}
run "metric-reduce --membership-only (all)" "$BIN/metric-reduce" --membership-only "$work"/step*.mpk \
  -o "$work/members.mpk"
first=$(ls "$work"/step*.mpk | head -1)
run "metric-reduce --membership (one checkpoint)" "$BIN/metric-reduce" --membership "$work/members.mpk" \
  --pairs 2000 --no-wide "$first" -o "$work/one.mpk"
