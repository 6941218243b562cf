#!/usr/bin/env bash
# router_trace_ref.sh: router-trace against the independent PyTorch reference
# (tests/reference/olmoe_ref.py, float64) on several small random checkpoints
# from gen-checkpoint: different shapes, top-1 / top-2 / top-8, F32, BF16 and
# F16, GQA, norm_topk_prob, tied embeddings, sharded files, samples of 1 to
# 512 tokens, batched and one sample at a time. Tolerances (issue 3): top-k ids
# identical except near-ties within 1e-5 (counted and printed); per-token NLL
# within 1e-4; router means and probabilities within 1e-5. Prints the worst case.
source "$(dirname "$0")/../lib.sh"
GEN=$TOOLS/gen-checkpoint RT=$BIN/router-trace D=$BIN/dump
REF="$ROOT/tests/reference/olmoe_ref.py"

# samples NAME SEED V LEN...: random samples (lib.sh)
samples() { random_samples "$@"; }

# compare NAME MODEL SAMPLES [router-trace options]: run, dump, check
compare() {
  local name=$1 model=$2 smp=$3; shift 3
  if ! $RT --model "$model" --emit-topk --emit-probs "$@" "$TMP/$smp.mpk" -o "$TMP/$name.mpk" \
      2>"$TMP/$name.err"; then
    not_ok "$name: router-trace ran" "$(cat "$TMP/$name.err")"
    return
  fi
  $D "$TMP/$name.mpk" >"$TMP/$name.jsonl"
  if $PY "$REF" compare --model "$model" --samples "$TMP/$smp.jsonl" --trace "$TMP/$name.jsonl" \
      >"$TMP/$name.cmp" 2>&1; then
    ok "$name matches the reference"
  else
    not_ok "$name matches the reference" "$(cat "$TMP/$name.cmp")"
  fi
  sed "s/^/    $name: /" "$TMP/$name.cmp" | grep -E 'token_nll|router_mean|top-k ids'
}

# 1. the tiny preset (D 64, L 4, H 4, E 8, K 2, F 32, V 256), F32, up to 512 tokens
$GEN --router-std 0.15 --std 0.08 --seed 11 "$TMP/tiny" || echo "not ok - gen tiny"
samples mix 1 256 1 2 3 17 64 129 200 512
compare tiny-f32 "$TMP/tiny" mix
compare tiny-f32-one-per-batch "$TMP/tiny" mix --batch-tokens 1
# attention pairs and experts are shared out among --threads threads: any count gives the
# reference's numbers, and a given count gives the same bits every run
compare tiny-f32-1-thread "$TMP/tiny" mix --threads 1
compare tiny-f32-3-threads "$TMP/tiny" mix --threads 3
$RT --model "$TMP/tiny" --emit-topk --emit-probs --threads 3 "$TMP/mix.mpk" -o "$TMP/again.mpk"
same_file "tiny-f32-3-threads: the same bits on a second run" "$TMP/tiny-f32-3-threads.mpk" "$TMP/again.mpk"

# 2. top-1 of 16 experts, 6 heads of 16, 3 layers, F32
$GEN --hidden 96 --layers 3 --heads 6 --ffn 48 --experts 16 --top-k 1 --vocab 500 \
  --router-std 0.12 --std 0.06 --seed 12 "$TMP/top1" || echo "not ok - gen top1"
samples s500 2 500 5 100 333 512
compare top1-f32 "$TMP/top1" s500

# 3. top-8 of 64 experts (OLMoE's routing), BF16, 4 layers
$GEN --hidden 128 --layers 4 --heads 4 --ffn 64 --experts 64 --top-k 8 --vocab 1000 \
  --dtype bf16 --router-std 0.1 --std 0.05 --seed 13 "$TMP/top8" || echo "not ok - gen top8"
samples s1000 3 1000 2 50 257 512
compare top8-bf16 "$TMP/top8" s1000
compare top8-bf16-5-threads "$TMP/top8" s1000 --threads 5
compare top8-bf16-9-threads "$TMP/top8" s1000 --threads 9 # above FW_EXPERT_THREADS_MAX

# both OpenBLAS kernels a user may get on this CPU (the suite's environment may pin one)
if grep -qw avx512f /proc/cpuinfo; then
  compare top8-bf16-skylakex "$TMP/top8" s1000 --blas-core SkylakeX
  compare top8-bf16-haswell "$TMP/top8" s1000 --blas-core Haswell
fi

# 4. the same shape in F32, one 512-token sample split with other lengths
$GEN --hidden 128 --layers 4 --heads 4 --ffn 64 --experts 64 --top-k 8 --vocab 1000 \
  --router-std 0.1 --std 0.05 --seed 14 "$TMP/top8f" || echo "not ok - gen top8 f32"
compare top8-f32 "$TMP/top8f" s1000 --batch-tokens 300

# 5. grouped-query attention, norm_topk_prob, tied embeddings, F16 in 3 shards
$GEN --hidden 64 --layers 4 --heads 8 --kv-heads 2 --ffn 40 --experts 12 --top-k 3 --vocab 300 \
  --dtype f16 --norm-topk-prob --tie --shards 3 --rms-eps 1e-6 --rope-theta 500 \
  --router-std 0.15 --std 0.08 --seed 15 "$TMP/gqa" || echo "not ok - gen gqa"
samples s300 4 300 1 31 140 512
compare gqa-f16-normtopk-tied "$TMP/gqa" s300
