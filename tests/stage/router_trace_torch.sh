#!/usr/bin/env bash
# router_trace_torch.sh: router-trace-torch (stages/router-trace-torch, PyTorch on the CPU here)
# against router-trace on tiny checkpoints: olmoe (gen-checkpoint), qwen2_moe and deepseek_v3
# (gen_family_checkpoint.py; both have a dense layer, so moe_layers is written). Records must
# match field by field (tests/stage/trace_compare.py): the same keys in the same order, value
# types and lengths; NLL, loss and every router value within 1e-5; top-k ids identical except
# near-ties within 1e-5 on the float64 reference (counted and printed). Batched and one sample
# per batch, float32 and float64, -o with .lz4, LZ4 input of several frames with a second
# header, pass-through records, the header, pathway-encode on its output (the same pathway
# strings as on router-trace's), and its errors. Skipped, with an `ok - SKIPPED` line saying
# so, where torch or msgpack cannot be imported.
source "$(dirname "$0")/../lib.sh"
RT=$BIN/router-trace TT=$BIN/router-trace-torch PE=$BIN/pathway-encode D=$BIN/dump
GEN="$ROOT/tests/reference/gen_family_checkpoint.py"
CMP="$ROOT/tests/stage/trace_compare.py"

if ! why=$($PY -c 'import torch, msgpack' 2>&1); then
  echo "ok - SKIPPED: router-trace-torch not tested: $PY cannot import torch or msgpack" \
       "($(tail -n 1 <<<"$why"); scripts/install-deps.sh test installs them)"
  exit 0
fi
check "bin/router-trace-torch is installed and runs" "$TT" --version

# samples NAME SEED V LEN...: random samples (lib.sh), with one `note` record after the second
samples() { NOTE_AFTER=1 random_samples "$@"; }

# compare NAME MODEL SAMPLES [C options] -- [torch options]: both tracers, then trace_compare
compare() {
  local name=$1 model=$2 smp=$3 copts=() topts=(); shift 3
  while [ $# -gt 0 ] && [ "$1" != -- ]; do copts+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  topts=("$@")
  $RT --model "$model" --emit-topk --emit-probs --threads 1 "${copts[@]}" "$TMP/$smp.mpk" \
    -o "$TMP/$name.c.mpk" 2>"$TMP/$name.err" || { not_ok "$name: router-trace ran" "$(cat "$TMP/$name.err")"; return 1; }
  if ! $TT --model "$model" --emit-topk --emit-probs --threads 1 "${topts[@]}" "$TMP/$smp.mpk" \
      -o "$TMP/$name.t.mpk" 2>"$TMP/$name.err"; then
    not_ok "$name: router-trace-torch ran" "$(tail -n 3 "$TMP/$name.err")"; return 1
  fi
  if $PY "$CMP" "$TMP/$name.c.mpk" "$TMP/$name.t.mpk" --model "$model" --samples "$TMP/$smp.mpk" \
      >"$TMP/$name.cmp" 2>&1; then
    ok "$name: router-trace-torch matches router-trace"
  else
    not_ok "$name: router-trace-torch matches router-trace" "$(grep -v '^ok ' "$TMP/$name.cmp" | head -n 12)"
  fi
  sed "s/^/    $name: /" "$TMP/$name.cmp" | grep -E 'token_nll|router_mean|top-k ids'
}

# paths NAME MODEL: pathway-encode takes the torch trace and gives router-trace's pathway strings
paths() {
  local name=$1 model=$2
  if ! $PE --model "$model" "$TMP/$name.t.mpk" -o "$TMP/$name.tp.mpk" 2>"$TMP/$name.pe.err"; then
    not_ok "$name: pathway-encode accepts router-trace-torch's output" "$(cat "$TMP/$name.pe.err")"
    return
  fi
  $PE --model "$model" "$TMP/$name.c.mpk" -o "$TMP/$name.cp.mpk"
  check "$name: the same pathway strings as from router-trace's trace" \
    $PY "$CMP" "$TMP/$name.cp.mpk" "$TMP/$name.tp.mpk"
}

# ---- 1. olmoe, the tiny preset (D 64, L 4, E 8, K 2, V 256), up to 512 tokens
$TOOLS/gen-checkpoint --router-std 0.15 --std 0.08 --seed 11 "$TMP/step40-tokens1B" \
  || echo "not ok - gen-checkpoint tiny"
OL=$TMP/step40-tokens1B
samples mix 1 256 1 2 3 17 64 129 200 512
compare olmoe-batched "$OL" mix && paths olmoe-batched "$OL"
compare olmoe-one-per-batch "$OL" mix --batch-tokens 1 -- --batch-tokens 1
same_file "olmoe: --batch-tokens 1 writes the same records" "$TMP/olmoe-batched.t.mpk" "$TMP/olmoe-one-per-batch.t.mpk"
compare olmoe-float64 "$OL" mix -- --dtype float64
check_sh "the header: stage router-trace-torch over the samples' header, step from the name" \
  "$D '$TMP/olmoe-batched.t.mpk' | head -n 2 | grep -q '\"stage\":\"router-trace-torch\".*\"inputs\":\[{\"type\":\"header\",.*\"stage\":\"dump\"' \
   && $D '$TMP/olmoe-batched.t.mpk' | grep -q '\"type\":\"trace\",.*\"step\":40,'"

# ---- 2. qwen2_moe and deepseek_v3 (a dense layer each, so moe_layers; v3: groups, sigmoid, YaRN)
gen_family() { $PY "$GEN" --family "$1" --out "$TMP/$1" --seed "$2" "${@:3}" >"$TMP/$1.gen" 2>&1 \
  || { not_ok "gen_family_checkpoint.py --family $1" "$(tail -n 3 "$TMP/$1.gen")"; return 1; }; }
samples mix2 2 256 1 5 40 100 257
gen_family qwen2_moe 11 && compare qwen2_moe "$TMP/qwen2_moe" mix2 && paths qwen2_moe "$TMP/qwen2_moe"
gen_family deepseek_v3 12 --dtype bf16 --yarn-omax 128 \
  && compare deepseek_v3-bf16 "$TMP/deepseek_v3" mix2 --batch-tokens 100 \
  && paths deepseek_v3-bf16 "$TMP/deepseek_v3"

# ---- 3. LZ4: -o NAME.lz4, and input of two LZ4 streams concatenated (two headers, 3 frames)
if $PY -c 'import lz4.frame' 2>/dev/null; then
  $TT --model "$OL" --emit-topk --emit-probs --threads 1 "$TMP/mix.mpk" -o "$TMP/out.mpk.lz4"
  check "-o .lz4 writes LZ4 frames" bash -c "head -c 4 '$TMP/out.mpk.lz4' | od -An -tx1 | grep -q '04 22 4d 18'"
  $D "$TMP/out.mpk.lz4" >"$TMP/out-lz4.jsonl"; $D "$TMP/olmoe-batched.t.mpk" >"$TMP/out-plain.jsonl"
  same_file "-o .lz4: the same records as plain" "$TMP/out-lz4.jsonl" "$TMP/out-plain.jsonl"
  $D --from-json "$TMP/mix.jsonl" -z -o "$TMP/a.mpk.lz4"
  head -n 3 "$TMP/mix2.jsonl" | $D --from-json -o "$TMP/b.mpk"
  lz4 -q -c "$TMP/b.mpk" >"$TMP/b.mpk.lz4"
  cat "$TMP/a.mpk.lz4" "$TMP/b.mpk.lz4" "$TMP/b.mpk.lz4" >"$TMP/frames.lz4"
  $RT --model "$OL" --threads 1 "$TMP/frames.lz4" -o "$TMP/frames.c.mpk"
  if $TT --model "$OL" "$TMP/frames.lz4" -o "$TMP/frames.t.mpk" 2>"$TMP/frames.err"; then
    check "LZ4 input, every frame and every header: router-trace's records" \
      $PY "$CMP" "$TMP/frames.c.mpk" "$TMP/frames.t.mpk"
  else not_ok "router-trace-torch reads concatenated LZ4 streams" "$(cat "$TMP/frames.err")"; fi
else
  echo "ok - SKIPPED: router-trace-torch LZ4 cases not tested: $PY cannot import lz4 (python3-lz4)"
fi

# ---- 4. errors: one line, exit 2 for usage and 1 for data, no output file left
must_fail "no --model: usage error" 2 "router-trace-torch: error:" "'$TT' '$TMP/mix.mpk'"
must_fail "--device gpu: usage error" 2 "router-trace-torch: error:" "'$TT' --model '$OL' --device gpu '$TMP/mix.mpk'"
must_fail "a stream without a header" 1 "not a grokmon stream" \
  "printf '\x81\xa4type\xa6sample' | '$TT' --model '$OL' -o '$TMP/bad.mpk'"
no_file "no output file after a bad stream" "$TMP/bad.mpk"
echo '{"type":"sample","id":"big","tokens":[1,256]}' | $D --from-json -o "$TMP/big.mpk"
must_fail "a token id >= vocab_size" 1 "token id 256 >= vocab_size 256" \
  "'$TT' --model '$OL' '$TMP/mix.mpk' '$TMP/big.mpk' -o '$TMP/bad.mpk'"
no_file "no output file after a bad token" "$TMP/bad.mpk"
must_fail "a folder that is no checkpoint" 1 "router-trace-torch: error:" \
  "'$TT' --model '$TMP' '$TMP/mix.mpk' -o '$TMP/bad.mpk'"

# ---- 5. docs/python.md's code runs: reading (every LZ4 frame), vectors, writing, the table
if $PY -c 'import lz4.frame' 2>/dev/null; then
  mkdir -p "$TMP/doc/study/paths"
  cp "$TMP/olmoe-batched.tp.mpk" "$TMP/doc/study/paths/step40.mpk.lz4"
  check "docs/python.md: its examples run and read every frame" bash -c "cd '$TMP/doc' && $PY - '$ROOT/docs/python.md' '$TMP/frames.lz4' <<'PYEOF'
import re, subprocess, sys
g = {}
exec(compile('\n'.join(re.findall(r'\`\`\`python\n(.*?)\`\`\`', open(sys.argv[1]).read(), re.S)), 'python.md', 'exec'), g)
recs = g['read_records'](sys.argv[2])
assert [r['type'] for r in recs].count('header') == 3 and len(recs) == 18, [r['type'] for r in recs]
assert len(g['rows']) == 8 and g['rows'][0]['checkpoint'] == 'step40-tokens1B', g['rows'][:1]
g['write_samples']('w.mpk', [('x', 'd', [1, 2, 3])])
assert g['read_records']('w.mpk')[1]['tokens'] == bytes([1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0])
PYEOF"
fi
