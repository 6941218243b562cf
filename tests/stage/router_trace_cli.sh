#!/usr/bin/env bash
# router_trace_cli.sh: router-trace as a stage: the trace record's fields
# (docs/records.md), step from the folder name or --step, optional fields,
# pass-through order, atomic -o and -z, determinism, --stats and --blas-core,
# and the errors: usage, a token id >= vocab size naming the sample, bad
# sample records, a broken checkpoint; each one line with the right exit code
# and no output file left behind. Numbers are checked in router_trace_ref.sh.
source "$(dirname "$0")/../lib.sh"
GEN=$TOOLS/gen-checkpoint RT=$BIN/router-trace D=$BIN/dump
CK=$TMP/step245000-tokens1027B
$GEN --hidden 32 --layers 3 --heads 2 --ffn 16 --experts 6 --top-k 2 --vocab 50 --seed 3 "$CK" \
  || echo "not ok - gen-checkpoint failed"
cp -r "$CK" "$TMP/plain"

cat >"$TMP/in.jsonl" <<'J'
{"type":"sample","id":"a:0","domain":"math","source":"a.bin","index":0,"tokens":[1,2,3,4,5,6,7]}
{"type":"mystery","payload":[1,"x"]}
{"type":"sample","id":"a:1","domain":"code","source":"a.bin","index":1,"tokens":[49]}
{"type":"sample","id":"a:2","domain":"code","source":"a.bin","index":2,"tokens":[9,8,7,6,5,4,3,2,1,0,11,12]}
J
$D --from-json "$TMP/in.jsonl" -o "$TMP/in.mpk"

check "runs" $RT --model "$CK" "$TMP/in.mpk" -o "$TMP/out.mpk"
$D "$TMP/out.mpk" >"$TMP/out.jsonl" 2>/dev/null
$PY - "$TMP/out.jsonl" >"$TMP/fields.txt" 2>&1 <<'EOF'
import json, math, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
types = [r["type"] for r in recs]
assert types == ["header", "trace", "mystery", "trace", "trace"], types
h = recs[0]
assert h["stage"] == "router-trace" and h["options"]["model"].endswith("step245000-tokens1027B"), h
assert h["inputs"][0]["stage"] == "dump", h["inputs"]
assert recs[2] == {"type": "mystery", "payload": [1, "x"]}, recs[2]
t0, t1, t2 = recs[1], recs[3], recs[4]
for t, (i, dom, T) in zip((t0, t1, t2), (("a:0", "math", 7), ("a:1", "code", 1), ("a:2", "code", 12))):
    assert t["id"] == i and t["domain"] == dom and t["source"] == "a.bin", t
    assert t["checkpoint"] == "step245000-tokens1027B" and t["step"] == 245000, t
    assert (t["n_tokens"], t["n_layers"], t["n_experts"], t["top_k"]) == (T, 3, 6, 2), t
    assert len(t["token_nll"]) == T - 1 and len(t["router_mean"]) == 18 and len(t["topk_mean"]) == 18
    assert "topk_ids" not in t and "probs" not in t, "optional fields without --emit-*"
    for l in range(3):
        row = t["router_mean"][6 * l:6 * l + 6]
        assert abs(sum(row) - 1) < 1e-5, ("router_mean row sums to", sum(row))
        k = t["topk_mean"][6 * l:6 * l + 6]
        assert 0 < sum(k) < 1 and sum(x > 0 for x in k) >= 2, ("topk_mean", k)
assert t1["loss"] is None and t1["token_nll"] == [], t1
assert abs(t0["loss"] - sum(t0["token_nll"]) / 6) < 1e-6, t0
assert all(x > 0 and math.isfinite(x) for x in t2["token_nll"])
print("fields ok")
EOF
check "trace fields, pass-through order, step from the folder name" \
  bash -c "grep -qx 'fields ok' '$TMP/fields.txt' || { cat '$TMP/fields.txt' >&2; false; }"

$RT --model "$CK" --emit-topk --emit-probs "$TMP/in.mpk" | $D | sed -n 2p >"$TMP/opt.jsonl"
check "--emit-topk and --emit-probs add [T, L, K] and [T, L, E]" $PY -c "
import json; t = json.load(open('$TMP/opt.jsonl'))
assert len(t['topk_ids']) == 7 * 3 * 2 and len(t['topk_weights']) == 7 * 3 * 2 and len(t['probs']) == 7 * 3 * 6
for i in range(0, 42, 2):
    a, b = t['topk_ids'][i:i + 2]
    assert a != b and t['topk_weights'][i] >= t['topk_weights'][i + 1]
"
check_sh "--step overrides the folder name" \
  "$RT --model '$CK' --step 77 '$TMP/in.mpk' | $D | grep '\"trace\"' | grep -c '\"step\":77,' | grep -qx 3"
check_sh "a folder name without a step gives step null" \
  "$RT --model '$TMP/plain' '$TMP/in.mpk' | $D | sed -n 2p | grep -q '\"checkpoint\":\"plain\",\"step\":null'"
check "same input, same bytes" $RT --model "$CK" "$TMP/in.mpk" -o "$TMP/again.mpk"
same_file "the output is deterministic" "$TMP/out.mpk" "$TMP/again.mpk"
check "-z writes LZ4" bash -c "$RT --model '$CK' -z '$TMP/in.mpk' | head -c4 | od -An -tx1 | grep -q '04 22 4d 18'"
$RT --model "$CK" --batch-tokens 1 <"$TMP/in.mpk" | $D >"$TMP/single.jsonl"
check "stdin works; one sample per batch gives the batched traces (within 1e-5)" $PY -c "
import json
a = [json.loads(l) for l in open('$TMP/single.jsonl')][1:]
b = [json.loads(l) for l in open('$TMP/out.jsonl')][1:]
assert len(a) == len(b) == 4
for x, y in zip(a, b):
    assert x.keys() == y.keys(), (x.keys(), y.keys())
    for k in x:
        if isinstance(x[k], list) and x['type'] == 'trace':
            assert len(x[k]) == len(y[k]) and all(abs(p - q) <= 1e-5 for p, q in zip(x[k], y[k])), k
        elif isinstance(x[k], float):
            assert abs(x[k] - y[k]) <= 1e-5, k
        else:
            assert x[k] == y[k], k
"
check_sh "--stats prints one line with tokens/s, GFLOP/s and peak RSS" \
  "$RT --model '$CK' --stats '$TMP/in.mpk' 2>&1 >/dev/null | grep -E '^router-trace: stats: samples 3 tokens 20 .*tokens_per_s [0-9.]+ .*gflop_per_s [0-9.]+ .*peak_rss_mb [0-9.]+'"
if [ "${GM_REFERENCE:-}" != 1 ]; then
  check_sh "--blas-core picks the OpenBLAS kernel" \
    "$RT --model '$CK' --blas-core Haswell --stats '$TMP/in.mpk' 2>&1 >/dev/null | grep -q ' blas Haswell '"
  # the re-exec that sets OPENBLAS_CORETYPE must see the command line as given
  # (positionals before options, -o last) and leave the input alone
  cp "$TMP/in.mpk" "$TMP/in-copy.mpk"
  check_sh "a re-exec for the kernel keeps the arguments (input before -o)" \
    "env -u OPENBLAS_CORETYPE $RT --model '$CK' '$TMP/in-copy.mpk' --blas-core Haswell --stats \
       -o '$TMP/reexec.mpk' 2>&1 | grep -q ' blas Haswell ' && cmp '$TMP/in.mpk' '$TMP/in-copy.mpk' \
     && OPENBLAS_CORETYPE=Haswell $RT --model '$CK' '$TMP/in.mpk' -o '$TMP/haswell.mpk' \
     && cmp <($D '$TMP/reexec.mpk' | tail -n +2) <($D '$TMP/haswell.mpk' | tail -n +2)"
  if grep -qw avx512f /proc/cpuinfo; then
    check_sh "the default kernel on an AVX-512 CPU is SkylakeX" \
      "env -u OPENBLAS_CORETYPE $RT --model '$CK' '$TMP/in.mpk' --stats 2>&1 >/dev/null | grep -q ' blas SkylakeX '"
  fi
  check_sh "OPENBLAS_CORETYPE set by the user is kept" \
    "OPENBLAS_CORETYPE=Haswell $RT --model '$CK' --stats '$TMP/in.mpk' 2>&1 >/dev/null | grep -q ' blas Haswell '"
fi
check_sh "--help shows an example pipeline" "$RT --help | grep -q 'router-trace --model'"

# errors: one line, exit code, no output file
must_fail "no --model is a usage error" 2 "--model DIR is required" "$RT '$TMP/in.mpk'"
must_fail "bad --threads is a usage error" 2 "threads" "$RT --model '$CK' --threads -3 '$TMP/in.mpk'"
must_fail "a missing checkpoint folder" 1 "nowhere" "$RT --model '$TMP/nowhere' '$TMP/in.mpk' -o '$TMP/e1.mpk'"
no_file "no output after a failed open" "$TMP/e1.mpk"
echo '{"type":"sample","id":"bad:3","domain":"d","source":"s","index":3,"tokens":[1,2,50,3]}' \
  | $D --from-json -o "$TMP/big.mpk"
cat "$TMP/in.mpk" "$TMP/big.mpk" >"$TMP/late.mpk"
must_fail "a token id >= vocab_size names the sample" 1 \
  'sample "bad:3": token 50 at position 2 is not below vocab_size 50' \
  "$RT --model '$CK' '$TMP/late.mpk' -o '$TMP/e2.mpk'"
no_file "no output after a bad token" "$TMP/e2.mpk"
echo '{"type":"sample","id":"x","domain":"d","source":"s","index":0}' | $D --from-json -o "$TMP/notok.mpk"
must_fail "a sample without tokens" 1 "tokens" "$RT --model '$CK' '$TMP/notok.mpk'"
echo '{"type":"sample","id":"x","domain":"d","source":"s","index":0,"tokens":[]}' | $D --from-json -o "$TMP/empty.mpk"
must_fail "a sample with no tokens" 1 'sample "x" has no tokens' "$RT --model '$CK' '$TMP/empty.mpk'"
cp -r "$CK" "$TMP/trunc"
truncate -s -100 "$TMP/trunc/model.safetensors"
must_fail "a truncated safetensors file" 1 "model.safetensors" \
  "$RT --model '$TMP/trunc' '$TMP/in.mpk' -o '$TMP/e3.mpk'"
no_file "no output after a truncated checkpoint" "$TMP/e3.mpk"

# the --help examples, in a folder with the names they use
mkdir -p "$TMP/ex/ckpt" "$TMP/ex/paths"
cp -r "$CK" "$TMP/ex/ckpt/step5000-tokens20B"
$PY -c "
import numpy as np
np.save('$TMP/ex/math.npy', np.random.default_rng(5).integers(0, 50, (300, 24)).astype(np.uint32))"
check_sh "help example 1 (reader | router-trace | pathway-encode)" \
  "cd '$TMP/ex' && $BIN/reader --domain math --sample 100 --seed 1 math.npy \
    | $RT --model ckpt/step5000-tokens20B \
    | $BIN/pathway-encode --model ckpt/step5000-tokens20B -o paths/step5000.mpk.lz4 \
   && [ \$($D paths/step5000.mpk.lz4 | grep -c '\"type\":\"pathway\"') -eq 100 ]"
cp "$TMP/in.mpk" "$TMP/ex/samples.mpk"
check_sh "help example 2 (--emit-topk --stats | dump --brief 8)" \
  "cd '$TMP/ex' && $RT --model ckpt/step5000-tokens20B --emit-topk --stats samples.mpk 2>/dev/null \
    | $D --brief 8 | grep -c '\"topk_ids\":\[' | grep -qx 3"

# weight pages are dropped after use: peak RSS stays far below the checkpoint
# size, unless --keep-pages (then every page touched stays counted; experts no
# token chose are never touched)
$GEN --hidden 512 --layers 4 --heads 8 --ffn 512 --experts 32 --top-k 4 --vocab 1000 --threads 2 \
  "$TMP/mid" || echo "not ok - gen mid"
echo '{"type":"sample","id":"m","tokens":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80,81,82,83,84,85,86,87,88,89,90,91,92,93,94,95,96,97,98,99,100,101,102,103,104,105,106,107,108,109,110,111,112,113,114,115,116,117,118,119,120,121,122,123,124,125,126,127,128,129,130,131,132,133,134,135,136,137,138,139,140]}' \
  | $D --from-json -o "$TMP/mid.mpk"
mb=$(( $(stat -c %s "$TMP/mid/model.safetensors") / 1048576 ))
rss() { $RT --model "$TMP/mid" --stats "$@" "$TMP/mid.mpk" 2>&1 >/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "peak_rss_mb") print int($(i + 1))}'; }
r1=$(rss) r2=$(rss --keep-pages)
check "peak RSS ${r1} MB with a ${mb} MB F32 checkpoint (pages released after use)" [ "${r1:-99999}" -lt $((mb / 4)) ]
check "peak RSS ${r2} MB with --keep-pages (the pages touched stay mapped)" [ "${r2:-0}" -gt $((mb / 2)) ]
