#!/usr/bin/env bash
# router_trace_families.sh: router-trace on every MoE family (issue 12) against
# the independent PyTorch reference tests/reference/families_ref.py (float64),
# on tiny random checkpoints in each family's real HF names and layouts from
# tests/reference/gen_family_checkpoint.py: F32 and BF16 (other seeds), a
# second and third shape per family, fused (transformers v5) expert tensors,
# sharded files, rope_parameters maps, dense layers between MoE layers, sliding
# windows shorter than the longest sample, --threads 1 / 2, one sample per
# batch. Samples of 1 to 300 tokens, batched. Tolerances (families_ref compare
# defaults, issue 3): top-k ids identical except near-ties within 1e-5
# (counted and printed); per-token NLL within 1e-4; router means, probabilities
# and applied weights within 1e-5; n_layers counts the MoE layers only.
# Then the refusals: a config.json setting router-trace does not implement is
# refused before any compute with exit 1, one stderr line naming the key, no
# output file left; and the reference (`families_ref.py config`) refuses the
# same config, naming the same key.
# Time on two cores: ~35 s while only olmoe runs in C; ~90 s once every family does (measured
# with a float32 families_ref standing in for router-trace), nearly all of it the reference's
# compare (~1.5 s each, most of it importing torch; run with --threads 1).
# Alone: make test T=router_trace_families, or without make's install and build steps
#   GM_BIN=$PWD/bin GM_TOOLS=$PWD/build/rel/tools GM_UNITS=$PWD/build/rel/tests \
#     tests/run.sh router_trace_families   (bash tests/stage/... with GM_ROOT=$PWD prints every line)
source "$(dirname "$0")/../lib.sh"
RT=$BIN/router-trace D=$BIN/dump
GEN="$ROOT/tests/reference/gen_family_checkpoint.py"
REF="$ROOT/tests/reference/families_ref.py"
FAMILIES="olmoe mixtral qwen2_moe qwen3_moe deepseek_v2 deepseek_v3 granitemoe granitemoeshared"
# the deepseek families default to YaRN with max_position_embeddings = 64 x 4 = 256: 128 x 4
# keeps every sample (up to 300 tokens) within max_position_embeddings
YARN="--yarn-omax 128"

# samples NAME SEED V LEN...: random samples (lib.sh)
samples() { random_samples "$@"; }

# gen NAME FAMILY [generator options]: a checkpoint in $TMP/NAME; fails (with a not ok) when
# the generator does, so a case reads `gen ... && compare ...`
gen() {
  local name=$1 fam=$2; shift 2
  if ! $PY "$GEN" --family "$fam" --out "$TMP/$name" "$@" >"$TMP/$name.gen" 2>&1; then
    not_ok "$name: gen_family_checkpoint.py --family $fam $*" "$(tail -n 3 "$TMP/$name.gen")"
    return 1
  fi
}

# compare NAME MODEL SAMPLES [router-trace options]: run, dump, check against the reference
compare() {
  local name=$1 model=$2 smp=$3; shift 3
  if ! $RT --model "$model" --emit-topk --emit-probs "$@" "$TMP/$smp.mpk" -o "$TMP/$name.mpk" \
      2>"$TMP/$name.err"; then
    not_ok "$name: router-trace ran" "$(head -c 600 "$TMP/$name.err")"
    return 1
  fi
  if ! $D "$TMP/$name.mpk" >"$TMP/$name.jsonl" 2>"$TMP/$name.err"; then
    not_ok "$name: dump read the trace" "$(head -c 600 "$TMP/$name.err")"
    return 1
  fi
  if $PY "$REF" compare --threads 1 --model "$model" --samples "$TMP/$smp.jsonl" \
      --trace "$TMP/$name.jsonl" >"$TMP/$name.cmp" 2>&1; then
    ok "$name matches the reference"
  else
    if grep -q '^Traceback' "$TMP/$name.cmp"; then
      not_ok "$name matches the reference" "families_ref.py failed: $(tail -n 3 "$TMP/$name.cmp")"
    else
      not_ok "$name matches the reference" "$(grep -vE '^ok ' "$TMP/$name.cmp" | head -n 12)"
    fi
  fi
  sed "s/^/    $name: /" "$TMP/$name.cmp" | grep -E 'token_nll|router_mean|top-k ids'
  return 0
}

# moe_layers NAME MODEL: the trace of case NAME has n_layers = the model's MoE layers, fewer
# than num_hidden_layers (the model has dense layers), as the reference's plan counts them
moe_layers() {
  local name=$1 model=$2
  [ -s "$TMP/$name.jsonl" ] || return 0     # router-trace failed: reported above
  if ! $PY "$REF" config --model "$model" >"$TMP/$name.plan" 2>&1; then
    not_ok "$name: the reference parses the config" "$(cat "$TMP/$name.plan")"
    return
  fi
  check "$name: n_layers counts the MoE layers only" $PY - "$TMP/$name.plan" "$TMP/$name.jsonl" <<'EOF'
import json, sys
plan = json.load(open(sys.argv[1]))
want, layers = len(plan["moe_layers"]), plan["L"]
recs = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
got = {r.get("n_layers") for r in recs if r.get("type") == "trace"}
if not want < layers or got != {want}:
    sys.exit(f"n_layers {sorted(got, key=str)}, expected {want} (MoE layers {plan['moe_layers']} of {layers})")
EOF
}

samples mix 1 256 1 2 3 17 64 129 300
samples mix2 2 256 1 5 40 100 257

# ---- 1. every family, F32 (seed 11) and BF16 (seed 12), the generator's default shape
for fam in $FAMILIES; do
  extra=()
  case $fam in deepseek*) extra=($YARN) ;; esac
  gen "$fam-f32" "$fam" --seed 11 "${extra[@]}" && compare "$fam-f32" "$TMP/$fam-f32" mix
  gen "$fam-bf16" "$fam" --dtype bf16 --seed 12 "${extra[@]}" && compare "$fam-bf16" "$TMP/$fam-bf16" mix2
done
# dense layers: qwen2_moe's default has mlp_only_layers [1], deepseek_v3's first_k_dense_replace 1
moe_layers qwen2_moe-f32 "$TMP/qwen2_moe-f32"
moe_layers deepseek_v3-bf16 "$TMP/deepseek_v3-bf16"

# ---- 2. threads: any count gives the reference's numbers, a given count the same bits
for fam in qwen2_moe deepseek_v3 mixtral; do
  compare "$fam-f32-1-thread" "$TMP/$fam-f32" mix --threads 1
  compare "$fam-f32-2-threads" "$TMP/$fam-f32" mix --threads 2
done
for fam in qwen2_moe deepseek_v3; do
  [ -s "$TMP/$fam-f32-2-threads.mpk" ] || continue
  $RT --model "$TMP/$fam-f32" --emit-topk --emit-probs --threads 2 "$TMP/mix.mpk" -o "$TMP/again.mpk" \
    2>/dev/null
  same_file "$fam-f32-2-threads: the same bits on a second run" "$TMP/$fam-f32-2-threads.mpk" "$TMP/again.mpk"
done

# ---- 3. one sample per batch (MLA attention and dense layers), and a split batch
compare deepseek_v2-f32-one-per-batch "$TMP/deepseek_v2-f32" mix --batch-tokens 1
compare qwen3_moe-f32-batch-300 "$TMP/qwen3_moe-f32" mix --batch-tokens 300

# ---- 4. fused transformers-v5 expert tensors (mlp.experts.gate_up_proj / down_proj)
gen olmoe-fused olmoe --fused --seed 20 && compare olmoe-fused-f32 "$TMP/olmoe-fused" mix
gen mixtral-fused mixtral --fused --dtype bf16 --seed 21 \
  && compare mixtral-fused-bf16 "$TMP/mixtral-fused" mix
gen qwen3_moe-fused qwen3_moe --fused --seed 22 && compare qwen3_moe-fused-f32 "$TMP/qwen3_moe-fused" mix
gen deepseek_v3-fused deepseek_v3 --fused --dtype bf16 --seed 23 $YARN \
  && compare deepseek_v3-fused-bf16 "$TMP/deepseek_v3-fused" mix2

# ---- 5. three shards with model.safetensors.index.json
gen qwen2_moe-shards qwen2_moe --shards 3 --dtype bf16 --seed 24 \
  && compare qwen2_moe-3-shards-bf16 "$TMP/qwen2_moe-shards" mix

# ---- 6. a rope_parameters map instead of rope_theta / rope_scaling: YaRN and default (theta
# away from 10000, so a rope_parameters map read as "no rope_theta, take 10000" fails)
gen olmoe-rp olmoe --rope-parameters --theta 500.0 --seed 27 \
  && compare olmoe-rope-parameters "$TMP/olmoe-rp" mix
gen deepseek_v3-rp deepseek_v3 --rope-parameters --seed 25 $YARN \
  && compare deepseek_v3-rope-parameters "$TMP/deepseek_v3-rp" mix
gen qwen3_moe-rp qwen3_moe --rope-parameters --theta 5000.0 --seed 26 \
  && compare qwen3_moe-rope-parameters "$TMP/qwen3_moe-rp" mix2

# ---- 7. more shapes per family
# olmoe: top-4 of 16, GQA, norm_topk_prob, clip_qkv, tied embeddings
gen olmoe-2 olmoe --experts 16 --top-k 4 --kv-heads 2 --norm-topk 1 --clip-qkv 0.8 --tied 1 --seed 31 \
  && compare olmoe-top4-gqa-clip-tied "$TMP/olmoe-2" mix
# mixtral: a sliding window of 48 (the longest sample has 300 tokens), 4 experts, top-1,
# head_dim 24 != 64 / 4 with one KV head; and a window of 7 in BF16
gen mixtral-2 mixtral --window 48 --experts 4 --top-k 1 --head-dim 24 --kv-heads 1 --seed 32 \
  && compare mixtral-window48-top1-headdim24 "$TMP/mixtral-2" mix
gen mixtral-3 mixtral --window 7 --hidden 48 --heads 6 --kv-heads 2 --dtype bf16 --seed 33 \
  && compare mixtral-window7-bf16 "$TMP/mixtral-3" mix2
# qwen2_moe: decoder_sparse_step 2 (layers 1 and 3 MoE) with sliding layers (layer_types) of
# window 40; mlp_only_layers [0, 2] with top-4 of 16, no q/k/v biases, norm_topk_prob
gen qwen2_moe-2 qwen2_moe --layers 4 --sparse-step 2 --mlp-only "" --window 40 --seed 34 \
  && compare qwen2_moe-step2-window40 "$TMP/qwen2_moe-2" mix && moe_layers qwen2_moe-step2-window40 "$TMP/qwen2_moe-2"
gen qwen2_moe-3 qwen2_moe --layers 4 --mlp-only 0,2 --experts 16 --top-k 4 --qkv-bias 0 --norm-topk 1 \
  --seed 35 && compare qwen2_moe-mlponly02-top4 "$TMP/qwen2_moe-3" mix
# qwen3_moe: head_dim 8 (64 / 4 = 16), attention_bias, a window of 50, no norm_topk_prob,
# every layer MoE; and 2 heads of 40 over one KV head, top-3
gen qwen3_moe-2 qwen3_moe --head-dim 8 --attn-bias 1 --window 50 --norm-topk 0 --mlp-only "" --seed 36 \
  && compare qwen3_moe-headdim8-bias-window50 "$TMP/qwen3_moe-2" mix
gen qwen3_moe-3 qwen3_moe --heads 2 --kv-heads 1 --head-dim 40 --top-k 3 --layers 4 --mlp-only 1,2 \
  --dtype bf16 --seed 37 && compare qwen3_moe-headdim40-bf16 "$TMP/qwen3_moe-3" mix2
# deepseek_v2 (the default is group_limited_greedy, q_lora_rank 32, YaRN): greedy with
# q_lora_rank null, default rope, 2 shared experts, no dense layer; group_limited_greedy with
# 3 groups of 4 keeping 1, top-3, attention_bias, YaRN factor 8, rope dim 16, scaling 16
gen deepseek_v2-2 deepseek_v2 --topk-method greedy --q-lora 0 --rope default --n-shared 2 --first-dense 0 \
  --seed 38 && compare deepseek_v2-greedy-qlora-null "$TMP/deepseek_v2-2" mix
gen deepseek_v2-3 deepseek_v2 --experts 12 --n-group 3 --topk-group 1 --top-k 3 --attn-bias 1 \
  --yarn-factor 8.0 --yarn-omax 64 --qk-rope 16 --scaling 16.0 --dtype bf16 --seed 39 \
  && compare deepseek_v2-group3-yarn8-bf16 "$TMP/deepseek_v2-3" mix2
# deepseek_v3 (the default has q_lora_rank null): q_lora_rank 24, top-6 of 32 in 8 groups
# keeping 3, a larger selection bias; and rope_interleave false, no norm_topk_prob, no shared
# expert, 2 dense layers of 4, default rope
gen deepseek_v3-2 deepseek_v3 --q-lora 24 --experts 32 --n-group 8 --topk-group 3 --top-k 6 \
  --bias-scale 0.2 --seed 40 $YARN && compare deepseek_v3-qlora24-top6of32 "$TMP/deepseek_v3-2" mix
gen deepseek_v3-3 deepseek_v3 --interleave 0 --norm-topk 0 --n-shared 0 --first-dense 2 --layers 4 \
  --rope default --seed 41 && compare deepseek_v3-nointerleave-dense2 "$TMP/deepseek_v3-3" mix \
  && moe_layers deepseek_v3-nointerleave-dense2 "$TMP/deepseek_v3-3"
# granitemoe: biases, GQA, top-3 of 10, untied head, the released multipliers
gen granitemoe-2 granitemoe --attn-bias 1 --kv-heads 2 --top-k 3 --experts 10 --tied 0 --emb-mult 12.0 \
  --res-mult 0.22 --logits-scaling 6.0 --seed 42 && compare granitemoe-bias-top3-multipliers "$TMP/granitemoe-2" mix
# granitemoeshared without the shared MLP, and with a narrow one over one KV head, top-1
gen granitemoeshared-2 granitemoeshared --shared-ffn 0 --seed 43 \
  && compare granitemoeshared-no-shared-mlp "$TMP/granitemoeshared-2" mix
gen granitemoeshared-3 granitemoeshared --shared-ffn 20 --kv-heads 1 --top-k 1 --dtype bf16 --seed 44 \
  && compare granitemoeshared-shared20-top1-bf16 "$TMP/granitemoeshared-3" mix2

# ---- 8. refusals: a setting not implemented is refused before any compute, by both
# cfg DIR 'python statements on dict c': edit config.json
cfg() {
  $PY - "$1/config.json" "$2" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
exec(sys.argv[2])
json.dump(c, open(sys.argv[1], "w"), indent=1)
EOF
}
# refuse FAMILY KEY LABEL 'edit': copy FAMILY's F32 checkpoint (which section 1 ran, so the
# unedited config is accepted), edit its config.json; router-trace exits 1 with one line
# "router-trace: error: ..." naming KEY and leaves no output; the reference's `config` exits 1
# naming KEY too
n=0
refuse() {
  local fam=$1 key=$2 label=$3 edit=$4
  n=$((n + 1))
  local d=$TMP/refuse$n out=$TMP/out/refuse$n.mpk name="refuses $fam with $label" rc lines
  if [ ! -d "$TMP/$fam-f32" ]; then
    not_ok "$name" "no generated $fam checkpoint to start from"
    return
  fi
  rm -rf "$d"; cp -r "$TMP/$fam-f32" "$d"; mkdir -p "$TMP/out"
  if ! cfg "$d" "$edit" 2>"$TMP/.err"; then
    not_ok "$name: edit config.json" "$(cat "$TMP/.err")"
    return
  fi
  $RT --model "$d" --emit-topk --emit-probs "$TMP/mix.mpk" -o "$out" >"$TMP/.out" 2>"$TMP/.err"
  rc=$?
  lines=$(wc -l <"$TMP/.err")
  if [ "$rc" -ne 1 ]; then
    not_ok "$name" "expected exit 1, got $rc; stderr: $(head -c 600 "$TMP/.err")"
  elif [ "$lines" -ne 1 ]; then
    not_ok "$name" "expected one line on stderr, got $lines:" "$(head -c 600 "$TMP/.err")"
  elif ! grep -q '^router-trace: error: ' "$TMP/.err"; then
    not_ok "$name" "the line does not start with 'router-trace: error: ':" "$(cat "$TMP/.err")"
  elif ! grep -qF -- "$key" "$TMP/.err"; then
    not_ok "$name" "stderr lacks '$key':" "$(cat "$TMP/.err")"
  elif [ -e "$out" ] || compgen -G "$(dirname "$out")/.$(basename "$out").tmp*" >/dev/null; then
    not_ok "$name" "$out (or its temporary) was left behind"
  else
    ok "$name"
  fi
  rm -f "$out"
  $PY "$REF" config --model "$d" >"$TMP/.out" 2>"$TMP/.err"
  rc=$?
  if [ "$rc" -ne 1 ]; then
    not_ok "the reference refuses $fam with $label" "expected exit 1, got $rc; stderr: $(head -c 400 "$TMP/.err")"
  elif ! grep -qF -- "$key" "$TMP/.err"; then
    not_ok "the reference refuses $fam with $label" "stderr lacks '$key':" "$(cat "$TMP/.err")"
  else
    ok "the reference refuses $fam with $label, naming $key"
  fi
}
E1='c["num_experts_per_tok"] = 1 + next(c[k] for k in ("num_experts", "num_local_experts", "n_routed_experts") if k in c)'
ROPE2='c["rope_parameters"] = {"rope_type": "default", "rope_theta": 2 * c["rope_theta"]}'
LINEAR='c["rope_scaling"] = {"rope_type": "linear", "factor": 2.0}'
refuse mixtral model_type 'model_type "dbrx"' 'c["model_type"] = "dbrx"'
refuse deepseek_v2 topk_method 'topk_method "noaux_tc_unknown"' 'c["topk_method"] = "noaux_tc_unknown"'
refuse deepseek_v3 scoring_func 'scoring_func "softmax"' 'c["scoring_func"] = "softmax"'
refuse olmoe rope_scaling 'linear rope_scaling' "$LINEAR"
refuse qwen3_moe rope_scaling 'linear rope_scaling' "$LINEAR"
refuse olmoe hidden_act 'hidden_act "gelu"' 'c["hidden_act"] = "gelu"'
refuse mixtral hidden_act 'hidden_act "gelu"' 'c["hidden_act"] = "gelu"'
refuse qwen2_moe use_sliding_window 'use_sliding_window true, no layer_types' \
  'c.update(use_sliding_window=True, sliding_window=8); c.pop("layer_types", None)'
refuse deepseek_v2 moe_layer_freq 'moe_layer_freq 2' 'c["moe_layer_freq"] = 2'
refuse olmoe partial_rotary_factor 'partial_rotary_factor 0.5' 'c["partial_rotary_factor"] = 0.5'
refuse granitemoe partial_rotary_factor 'partial_rotary_factor 0.5' 'c["partial_rotary_factor"] = 0.5'
refuse olmoe rope_theta 'rope_parameters.rope_theta 2 x rope_theta' "$ROPE2"
refuse qwen2_moe rope_theta 'rope_parameters.rope_theta 2 x rope_theta' "$ROPE2"
refuse deepseek_v2 mlp_bias 'mlp_bias true' 'c["mlp_bias"] = True'
refuse olmoe num_experts_per_tok 'num_experts_per_tok E + 1' "$E1"
refuse granitemoeshared num_experts_per_tok 'num_experts_per_tok E + 1' "$E1"
refuse deepseek_v3 n_group 'n_group 3 of 16 experts' 'c["n_group"] = 3'
refuse deepseek_v2 n_group 'n_group 3 of 8 experts' 'c["n_group"] = 3'
