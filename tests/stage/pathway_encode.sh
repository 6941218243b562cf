#!/usr/bin/env bash
# pathway_encode.sh: pathway-encode against the independent Python reference
# (tests/reference/metrics_ref.py, from method.md): on generated checkpoints
# (f32 and bf16) and generated traces with ties and exact cumulative sums,
# pathway strings and layer counts identical, cosines, C, S and entropy within
# 1e-6, for softmax and top-k weights at two thresholds, on the OpenBLAS and the
# reference path. Then pass-through, -o/LZ4, and the errors (exit code, one
# located line, no file left behind).
source "$(dirname "$0")/../lib.sh"
GEN=$TOOLS/gen-checkpoint PE=$BIN/pathway-encode DUMP=$BIN/dump
REF="$PY $ROOT/tests/reference/metrics_ref.py" DATA="$PY $ROOT/tests/reference/gen_metric_data.py"
mkdir -p "$TMP/ck"
$GEN --hidden 48 --layers 5 --heads 4 --ffn 16 --experts 16 --top-k 2 --vocab 64 --seed 7 \
  "$TMP/ck/step300-tokens1B" || echo "not ok - gen-checkpoint failed"
$GEN --hidden 48 --layers 5 --heads 4 --ffn 16 --experts 16 --top-k 2 --vocab 64 --seed 8 \
  --dtype bf16 --shards 2 "$TMP/ck/step600" || echo "not ok - gen-checkpoint failed"

# trace records for each checkpoint, through dump --from-json; the reference
# reads the stream back through dump so both see the same float32 values
for ck in step300-tokens1B step600; do
  step=${ck#step}; step=${step%%-*}
  $DATA traces --layers 5 --experts 16 --n 40 --checkpoint $ck --step $step --seed 3 \
    >"$TMP/$ck.in.jsonl"
  $DUMP --from-json "$TMP/$ck.in.jsonl" >"$TMP/$ck.mpk"
  $DUMP "$TMP/$ck.mpk" >"$TMP/$ck.jsonl"
done

for ck in step300-tokens1B step600; do
  for w in softmax topk; do
    for t in 0.7 0.5; do
      $REF pathway "$TMP/$ck.jsonl" "$TMP/ck/$ck" --threshold $t --weights $w >"$TMP/ref.jsonl"
      check_sh "$ck $w tau $t: same as the Python reference" \
        "$PE --model $TMP/ck/$ck --threshold $t --weights $w $TMP/$ck.mpk | $DUMP >$TMP/c.jsonl \
         && $REF compare $TMP/ref.jsonl $TMP/c.jsonl"
      check_sh "$ck $w tau $t: reference kernels (GM_REFERENCE=1) agree too" \
        "GM_REFERENCE=1 $PE --model $TMP/ck/$ck --threshold $t --weights $w $TMP/$ck.mpk | $DUMP \
         >$TMP/cr.jsonl && $REF compare $TMP/ref.jsonl $TMP/cr.jsonl"
    done
  done
done

# other families: the router of each MoE layer under the family's name, dense layers skipped
# (deepseek_v2's first layer, qwen2_moe's mlp_only_layers), BF16 and fused experts
GENF="$PY $ROOT/tests/reference/gen_family_checkpoint.py"
fam_case() { # NAME FAMILY MOE-LAYERS EXPERTS [generator options]
  local name=$1 fam=$2 L=$3 E=$4; shift 4
  $GENF --family "$fam" --out "$TMP/ck/$name" "$@" >/dev/null || { not_ok "$name: generated"; return; }
  $DATA traces --layers "$L" --experts "$E" --n 20 --checkpoint "$name" --step 100 --seed 5 >"$TMP/$name.in.jsonl"
  $DUMP --from-json "$TMP/$name.in.jsonl" >"$TMP/$name.mpk"
  $DUMP "$TMP/$name.mpk" >"$TMP/$name.jsonl"
  $REF pathway "$TMP/$name.jsonl" "$TMP/ck/$name" >"$TMP/ref.jsonl"
  check_sh "$name ($fam, $L MoE layers): same as the Python reference" \
    "$PE --model $TMP/ck/$name $TMP/$name.mpk | $DUMP >$TMP/c.jsonl && $REF compare $TMP/ref.jsonl $TMP/c.jsonl"
}
fam_case ds2-dense-first deepseek_v2 2 8 --layers 3 --first-dense 1
fam_case qwen2-dense-middle qwen2_moe 3 8 --layers 4 --mlp-only 1 --dtype bf16
fam_case mixtral-fused mixtral 3 8 --fused
fam_case granite-router granitemoe 3 8
# a trace of every model layer does not fit a model with a dense one
$DATA traces --layers 3 --experts 8 --n 2 --checkpoint ds2-dense-first --step 100 --seed 5 | $DUMP --from-json >"$TMP/l3.mpk"
must_fail "a trace with the dense layer counted" 1 "trace has 3 layers x 8 experts, the checkpoint's router has 2 x 8" "$PE --model $TMP/ck/ds2-dense-first $TMP/l3.mpk"

# the comparison itself can fail: one changed expert id is caught
$PE --model "$TMP/ck/step600" "$TMP/step600.mpk" | $DUMP >"$TMP/c.jsonl"
$REF pathway "$TMP/step600.jsonl" "$TMP/ck/step600" >"$TMP/ref.jsonl"
sed '2s/"path":"\([0-9]*\)/"path":"1\1/' "$TMP/c.jsonl" >"$TMP/bad.jsonl"
if $REF compare "$TMP/ref.jsonl" "$TMP/bad.jsonl" >/dev/null; then
  not_ok "the comparison catches a changed pathway string"
else ok "the comparison catches a changed pathway string"; fi

# hand-checked cases: ties go to the lower index, "exceeds" is strict
cat >"$TMP/hand.jsonl" <<'EOF'
{"type":"trace","id":"h1","domain":"x","checkpoint":"step600","step":600,"loss":1.0,"n_layers":5,"n_experts":16,"router_mean":[0,0,0,0,0,0,0,0,0,0,0,0.25,0.25,0,0.25,0.25, 0.5,0,0,0,0,0,0,0,0,0,0,0,0,0,0.25,0.25, 0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1, 0.0625,0.0625,0.0625,0.0625,0.0625,0.0625,0.0625,0.0625,0.0625,0.0625,0.0625,0.0625,0.0625,0.0625,0.0625,0.0625, 0,0,0,0,0,0.75,0.125,0.125,0,0,0,0,0,0,0,0]}
{"type":"note","text":"not a trace: passes through"}
EOF
$DUMP --from-json "$TMP/hand.jsonl" >"$TMP/hand.mpk"
$PE --model "$TMP/ck/step600" --threshold 0.5 "$TMP/hand.mpk" | $DUMP >"$TMP/hand.out"
check "ties lower index first, strictly greater than tau" \
  grep -q '"path":"11,12,14-0,14-15-0,1,2,3,4,5,6,7,8-5"' "$TMP/hand.out"
check "layer counts" grep -q '"layer_counts":\[3,2,1,9,1\]' "$TMP/hand.out"
check "entropy of the hand case" $PY -c "
import json, math
r = [json.loads(l) for l in open('$TMP/hand.out')][1]
want = (math.log(4) + (0.5*math.log(2) + 0.5*math.log(4)) + 0 + math.log(16)
        + -(0.75*math.log(0.75) + 0.25*math.log(0.125))) / 5
assert abs(r['entropy'] - want) < 1e-12, (r['entropy'], want)"
check "other record types pass through unchanged" grep -q '"type":"note","text":"not a trace: passes through"' "$TMP/hand.out"

# output to a file, LZ4, and stdin
check_sh "-o FILE.lz4 writes a compressed stream that reads back the same" \
  "$PE --model $TMP/ck/step600 -o $TMP/o.mpk.lz4 <$TMP/step600.mpk && [ \"\$(head -c 4 $TMP/o.mpk.lz4 | od -An -tx1 | tr -d ' ')\" = 04224d18 ] \
   && $DUMP $TMP/o.mpk.lz4 | tail -n +2 >$TMP/a && $PE --model $TMP/ck/step600 $TMP/step600.mpk | $DUMP | tail -n +2 >$TMP/b && cmp $TMP/a $TMP/b"

# errors: exit code, one line, what and where; no output file left
must_fail "no --model is a usage error" 2 "--model DIR is required" "$PE $TMP/step600.mpk"
must_fail "threshold out of range" 2 "threshold" "$PE --model $TMP/ck/step600 --threshold 1 $TMP/step600.mpk"
must_fail "unknown --weights" 2 "--weights top3" "$PE --model $TMP/ck/step600 --weights top3 $TMP/step600.mpk"
must_fail "a missing checkpoint" 1 "nowhere" "$PE --model $TMP/nowhere $TMP/step600.mpk"
must_fail "trace of another checkpoint" 1 "trace of checkpoint step300-tokens1B, but --model is step600" \
  "$PE --model $TMP/ck/step600 -o $TMP/x.mpk $TMP/step300-tokens1B.mpk"
no_file "no output left after a failure" "$TMP/x.mpk"
mkbad() { # name, python edit of record r -> a one-trace stream
  $PY - "$TMP/step600.jsonl" "$2" >"$TMP/$1.jsonl" <<'EOF'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])][1]
exec(sys.argv[2])
print(json.dumps(r))
EOF
  $DUMP --from-json "$TMP/$1.jsonl" >"$TMP/$1.mpk"
}
mkbad experts "r['n_experts'] = 8; r['router_mean'] = r['router_mean'][:40]"
must_fail "expert count differs from the router" 1 "trace has 5 layers x 8 experts, the checkpoint's router has 5 x 16" \
  "$PE --model $TMP/ck/step600 $TMP/experts.mpk"
mkbad short "r['router_mean'] = r['router_mean'][:-1]"
must_fail "router_mean of the wrong length" 1 "router_mean has 79 values, expected [5, 16] = 80" \
  "$PE --model $TMP/ck/step600 $TMP/short.mpk"
mkbad neg "r['router_mean'][17] = -0.5"
must_fail "a negative router weight, located" 1 "layer 1 expert 1 is -0.5" \
  "$PE --model $TMP/ck/step600 -o $TMP/y.mpk $TMP/neg.mpk"
no_file "no output left after a bad record" "$TMP/y.mpk"
must_fail "the error names the record" 1 "neg.mpk: record 2 at byte" "$PE --model $TMP/ck/step600 $TMP/neg.mpk"
mkbad notopk "del r['topk_mean']"
must_fail "--weights topk without topk_mean" 1 "no topk_mean" \
  "$PE --model $TMP/ck/step600 --weights topk $TMP/notopk.mpk"

# the --help example, run as printed, on a generated checkpoint and token rows;
# the trace router-trace made goes through the reference too
mkdir -p "$TMP/ex/ckpt" "$TMP/ex/paths"
$GEN --hidden 48 --layers 4 --heads 4 --ffn 16 --experts 16 --top-k 2 --vocab 64 --seed 9 \
  "$TMP/ex/ckpt/step5000" || echo "not ok - gen-checkpoint failed"
$PY -c "import numpy as np; np.save('$TMP/ex/math.npy', np.random.default_rng(1).integers(0, 64, (12, 10)).astype(np.uint32))"
example=$($PE --help | sed -n '/^Example:/,/^$/p' | sed '1d;/^$/d')
check_sh "the --help example runs as printed" "cd $TMP/ex && PATH=$BIN:\$PATH && $example"
check_sh "it wrote 8 pathway records" "[ \$($DUMP $TMP/ex/paths/step5000.mpk.lz4 | grep -c '\"type\":\"pathway\"') = 8 ]"
(cd "$TMP/ex" && PATH=$BIN:$PATH && $BIN/reader --domain math --sample 8 --seed 1 math.npy \
  | $BIN/router-trace --model ckpt/step5000 | $DUMP >tr.jsonl)
$REF pathway "$TMP/ex/tr.jsonl" "$TMP/ex/ckpt/step5000" >"$TMP/ex/ref.jsonl"
$DUMP "$TMP/ex/paths/step5000.mpk.lz4" >"$TMP/ex/c.jsonl"
check "router-trace's traces: pathway-encode matches the reference" $REF compare "$TMP/ex/ref.jsonl" "$TMP/ex/c.jsonl"
