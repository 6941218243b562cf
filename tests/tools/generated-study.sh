#!/usr/bin/env bash
# generated-study.sh: a test fixture (it was `make demo` before the trained testbed): generates
# a small series of OLMoE-architecture checkpoints (8 steps, named like the real HF branches)
# and token samples in two domains whose story is planted to be the paper's (loss flat early,
# pathways shared and smooth later), then runs the whole study with 2 parallel jobs: the
# summary on stdout, GM_DEMO_DIR/report.html. Generation is skipped for what already exists;
# the study resumes. Story: tests/tools/gen-series.c; its test: tests/e2e/study_generated.sh.
#   GM_BIN, GM_TOOLS; GM_DEMO_DIR (default: demo-generated/ in the repo)
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${GM_BIN:-$PWD/bin}
TOOLS=${GM_TOOLS:-$PWD/build/rel/tools}
OUT=${GM_DEMO_DIR:-$PWD/demo-generated}

# The model: D 128, L 4, H 4, F 64, E 16, K 4, V 1024; small attention and expert weights.
SHAPE=(--hidden 128 --layers 4 --heads 4 --ffn 64 --experts 16 --top-k 4 --vocab 1024
       --std 0.02 --router-std 0.25 --seed 11)
STORY=(--seed 7 --domains 2)
N_CKPT=8 SAMPLES=150 SEQ=64
DOMAINS=(math code)

start=$(date +%s)
mkdir -p "$OUT/ckpts" "$OUT/data"
echo "demo: generating $N_CKPT checkpoints and ${#DOMAINS[@]} x $SAMPLES samples in $OUT" >&2
for ((i = 0; i < N_CKPT; i++)); do
  step=$((5000 + 120000 * i))                     # like the paper's 5k, 125k, 245k, ...
  name="step$step-tokens$((step * 1024 * 4096 / 1000000000))B"
  [ -f "$OUT/ckpts/$name/series.json" ] && continue
  tmp="$OUT/ckpts/.$name.tmp"
  rm -rf "$tmp"
  "$TOOLS/gen-checkpoint" "${SHAPE[@]}" "$tmp"
  "$TOOLS/gen-series" "${STORY[@]}" --position "$i" --length "$N_CKPT" "$tmp"
  rm -rf "$OUT/ckpts/$name"
  mv "$tmp" "$OUT/ckpts/$name"
done
conf="$OUT/data/data.conf"
{
  echo "# the demo's data spec: one reader run per domain (paths relative to this file)"
  for d in "${!DOMAINS[@]}"; do
    f="$OUT/data/${DOMAINS[$d]}.u16"
    [ -f "$f" ] || "$TOOLS/gen-series" "${STORY[@]}" --tokens "$d" --samples "$SAMPLES" \
                     --seq-len "$SEQ" --vocab 1024 "$f"
    echo "--domain ${DOMAINS[$d]} --format raw --dtype u16 --seq-len $SEQ ${DOMAINS[$d]}.u16"
  done
} >"$conf.tmp"
mv "$conf.tmp" "$conf"

scripts/grokmon-study --bin "$BIN" --checkpoints "$OUT/ckpts/step*" --data "$conf" \
  --out "$OUT" --jobs 2 --threads 1
echo "demo: done in $(($(date +%s) - start)) s; open $OUT/report.html" >&2
