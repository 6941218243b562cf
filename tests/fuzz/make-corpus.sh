#!/usr/bin/env bash
# make-corpus.sh: (re)make the seed corpora tests/fuzz/corpus/<target>/ from
# real files: streams written by the stages themselves (reader, router-trace,
# pathway-encode, dump --from-json), checkpoints from gen-checkpoint, .npy from
# numpy. Run after `make all-test`; commit the result. It never touches
# tests/fuzz/regress/ (crash reproducers are kept by hand, one per bug).
#   tests/fuzz/make-corpus.sh [BUILD_DIR]      (default build/rel, bin)
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${GM_BIN:-$PWD/bin}
TOOLS=${GM_TOOLS:-$PWD/build/rel/tools}
PY=/usr/bin/python3
C=tests/fuzz/corpus
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
for t in stream stream_lz4 safetensors shard_index config npy jsonl indices accuracy_csv pathway_stream trace_stream sample_stream json_in metric_stream test_results; do
  rm -rf "$C/$t"; mkdir -p "$C/$t"
done

# ---- checkpoints: a very small OLMoE shape, F32 / BF16 / F16, sharded ----
small="--hidden 8 --layers 4 --heads 2 --ffn 4 --experts 4 --top-k 2 --vocab 32 --max-pos 64"
"$TOOLS/gen-checkpoint" $small --dtype f32 "$W/ck32" >/dev/null
"$TOOLS/gen-checkpoint" $small --layers 2 --dtype bf16 "$W/ck16" >/dev/null
"$TOOLS/gen-checkpoint" $small --layers 2 --dtype f16 --shards 2 "$W/cksh" >/dev/null
cp "$W/ck16/model.safetensors" "$C/safetensors/bf16.safetensors"
cp "$W/cksh/model-00001-of-00002.safetensors" "$C/safetensors/f16-shard.safetensors"
cp "$W/cksh/model.safetensors.index.json" "$C/shard_index/index.json"
cp "$W/ck32/config.json" "$C/config/tiny.json"
"$TOOLS/gen-checkpoint" --preset olmoe --layers 1 --experts 2 --top-k 1 --vocab 64 --hidden 64 --heads 2 --ffn 8 --rms-eps 1e-6 --tie --norm-topk-prob "$W/ckx" >/dev/null
cp "$W/ckx/config.json" "$C/config/variant.json"
$PY - "$C" <<'PY'
import json, struct, sys
c = sys.argv[1]
# the real OLMoE-1B-7B-0924 config.json keys (olmoe.md "Shape")
json.dump({"architectures": ["OlmoeForCausalLM"], "attention_bias": False, "clip_qkv": None,
           "hidden_act": "silu", "hidden_size": 2048, "intermediate_size": 1024,
           "max_position_embeddings": 4096, "model_type": "olmoe", "norm_topk_prob": False,
           "num_attention_heads": 16, "num_experts": 64, "num_experts_per_tok": 8,
           "num_hidden_layers": 16, "num_key_value_heads": 16, "output_router_logits": False,
           "pad_token_id": 1, "eos_token_id": 50279, "rope_scaling": None, "rope_theta": 10000,
           "tie_word_embeddings": False, "torch_dtype": "bfloat16", "vocab_size": 50304},
          open(f"{c}/config/olmoe.json", "w"), indent=2)
# safetensors edge shapes: empty tensor, scalar, metadata, every dtype name
hdr = {"__metadata__": {"format": "pt"},
       "a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
       "empty": {"dtype": "BF16", "shape": [0, 3], "data_offsets": [16, 16]},
       "s": {"dtype": "F16", "shape": [], "data_offsets": [16, 18]},
       "i": {"dtype": "I64", "shape": [1], "data_offsets": [18, 26]}}
h = json.dumps(hdr).encode()
h += b" " * (-len(h) % 8)
open(f"{c}/safetensors/edge.safetensors", "wb").write(struct.pack("<Q", len(h)) + h + bytes(range(26)))
PY

# ---- record streams, as the stages write them ----
printf '{"id":"q1","domain":"math","tokens":[1,2,3,4,5,6]}\n{"tokens":[7,8,9,10]}\n\n{"id":7,"input_ids":[3,1,4,1,5]}\n' >"$W/s.jsonl"
"$BIN/reader" --domain code "$W/s.jsonl" -o "$W/samples.mpk"
cp "$W/samples.mpk" "$C/stream/samples.mpk"
"$BIN/reader" -z --domain code "$W/s.jsonl" >"$C/stream/samples-z.mpk"
"$BIN/router-trace" -j 1 --model "$W/ck32" --emit-topk "$W/samples.mpk" -o "$W/trace.mpk"
"$BIN/router-trace" -j 1 --model "$W/ck32" "$W/samples.mpk" -o "$W/trace-plain.mpk"
cp "$W/trace.mpk" "$C/stream/trace-topk.mpk"
"$BIN/pathway-encode" --model "$W/ck32" "$W/trace-plain.mpk" -o "$C/stream/pathway.mpk.lz4"
"$BIN/pathway-encode" --model "$W/ck32" "$W/trace-plain.mpk" -o "$W/pathway.mpk"
cat "$W/pathway.mpk" "$W/samples.mpk" >"$C/stream/concatenated.mpk"
cat >"$W/misc.jsonl" <<'J'
{"type":"mystery","nested":{"k":[1,2.5,"s",null,true,-7]},"raw":{"$hex":"00ff10"},"big":-9223372036854775807}
{"type":"metric","checkpoint":"step5","step":5,"scope":"group","group":"math@5","distance_mean":null,"layer_distance":[1.5,2.5],"sampled":false}
J
"$BIN/dump" --from-json "$W/misc.jsonl" -o "$C/stream/misc.mpk"
for f in "$C"/stream/*.mpk; do
  base=$(basename "$f" .mpk)
  [ "$(head -c4 "$f" | od -An -tx1 | tr -d ' ')" = 04224d18 ] && continue
  cp "$f" "$C/stream_lz4/$base.bin.tmp"
done
# stream_lz4's first byte is the harness's option byte; the rest is the stream
for f in "$C"/stream_lz4/*.bin.tmp; do
  { printf '\x21'; cat "$f"; } >"${f%.bin.tmp}"; rm "$f"
done

# sample_stream: the harness's fixed model (tests/fuzz/model) and option byte + samples
rm -rf tests/fuzz/model
"$TOOLS/gen-checkpoint" $small --layers 2 --dtype bf16 --seed 9 tests/fuzz/model >/dev/null
{ printf '\x00'; cat "$W/samples.mpk"; } >"$C/sample_stream/samples"
{ printf '\x0f'; cat "$W/samples.mpk" "$W/trace-plain.mpk"; } >"$C/sample_stream/topk-probs-mixed"
printf '{"id":"long","tokens":[%s]}\n' "$(seq -s, 0 31 | sed 's/$/,&/;s/,$//')" | "$BIN/reader" | { printf '\x03'; cat; } >"$C/sample_stream/long"

# trace_stream: option byte, then traces of ck32 (L 4, E 4, D 8, as the harness's router)
{ printf '\x00'; cat "$W/trace.mpk"; } >"$C/trace_stream/softmax"
{ printf '\x05'; cat "$W/trace-plain.mpk"; } >"$C/trace_stream/topk-half"
{ printf '\x02'; cat "$W/trace-plain.mpk" "$W/samples.mpk"; } >"$C/trace_stream/tau1-mixed"

# pathway_stream: option byte, then pathway records of two checkpoints (and membership)
mkdir -p "$W/step1" "$W/step2"
cp "$W/ck32/config.json" "$W/ck32/model.safetensors" "$W/step1/"
"$TOOLS/gen-checkpoint" $small --dtype f32 --seed 2 "$W/step2" >/dev/null
for s in step1 step2; do
  "$BIN/router-trace" -j 1 --model "$W/$s" "$W/samples.mpk" | "$BIN/pathway-encode" --model "$W/$s" -o "$W/p-$s.mpk"
done
"$BIN/metric-reduce" --membership-only "$W/p-step1.mpk" "$W/p-step2.mpk" -o "$W/members.mpk"
{ printf '\x00'; cat "$W/p-step1.mpk" "$W/p-step2.mpk"; } >"$C/pathway_stream/two-checkpoints"
{ printf '\x0d'; cat "$W/p-step1.mpk" "$W/p-step2.mpk"; } >"$C/pathway_stream/experts-pairs"
{ printf '\x00'; cat "$W/members.mpk" "$W/p-step2.mpk"; } >"$C/pathway_stream/membership"
{ printf '\x01'; cat "$W/p-step1.mpk"; "$BIN/dump" "$W/p-step2.mpk" | grep -v '"id":"q1"' | "$BIN/dump" --from-json; } >"$C/pathway_stream/missing-sample"

# json_in: single records as dump prints them
i=0
for f in "$C"/stream/*.mpk; do
  "$BIN/dump" "$f" | head -3 | while IFS= read -r line; do i=$((i + 1)); printf '%s\n' "$line" >"$C/json_in/$(basename "$f" .mpk)-$i.json"; done
done
cp "$W/misc.jsonl" "$C/json_in/misc.jsonl"

# metric_stream: what metric-reduce writes (one-shot, and membership-only)
"$BIN/metric-reduce" "$W/p-step1.mpk" "$W/p-step2.mpk" -o "$C/metric_stream/metrics.mpk"
"$BIN/metric-reduce" --distance experts --pairs 3 "$W/p-step1.mpk" "$W/p-step2.mpk" -o "$C/metric_stream/experts-pairs.mpk"
cp "$W/members.mpk" "$C/metric_stream/members.mpk"

# ---- reader inputs ----
cp "$W/s.jsonl" "$C/jsonl/samples.jsonl"
printf '{"id":"a","tokens":[1]}\n{"id":"a","tokens":[2]}\n{"tokens":[[1,2]]}\n{"input_ids":[4294967295],"domain":""}\n' >"$C/jsonl/errors.jsonl"
$PY - "$C" <<'PY'
import numpy as np, sys
c = sys.argv[1]
np.save(f"{c}/npy/u16-1d.npy", np.arange(20, dtype="<u2"))
np.save(f"{c}/npy/i32-2d.npy", np.arange(12, dtype="<i4").reshape(3, 4))
np.save(f"{c}/npy/i64-2d.npy", np.array([[1, -1], [2**40, 3]], dtype="<i8"))
np.save(f"{c}/npy/u4-empty.npy", np.zeros((0, 5), dtype="<u4"))
np.save(f"{c}/indices/global.npy", np.array([5, 3, 9, 1, 0, 2, 8], dtype="<u8"))
np.lib.format.write_array(open(f"{c}/npy/v2.npy", "wb"), np.arange(6, dtype="<u4"), version=(2, 0))
np.arange(40, dtype="<u4").tofile(f"{c}/indices/global.u32")
PY
printf '# picked\n3\n1\n\n999\n0\n' >"$C/indices/list.txt"

# ---- accuracy CSV (report --accuracy) ----
printf 'step,domain,accuracy\n5000,math,0.12\n125000,math,0.31\n245000,code,0.5\n' >"$C/accuracy_csv/basic.csv"
printf '# acc\nstep , group,"accuracy",note\r\n5000,math@5000,"0.2","a, ""b"""\r\n\n125000,code@never,1e-3,\n' >"$C/accuracy_csv/quoted.csv"

# ---- test results, then (after a form feed) similarities (test-groups) ----
printf 'step,domain,item,correct\n10,d,a,1\n20,d,a,1\n10,d,b,0\n20,d,b,1\n' >"$C/test_results/basic.csv"
printf 'step,domain,item,correct\n10,d,a,1\n20,d,a,1\n10,d,b,0\n20,d,b,1\n10,e,"x, y",1\n20,e,"x, y",0\n\ftrain_group,test_group,similarity\ng1,test:d@10,0.5\ng1,test:d@20,0.25\ng2,test:d@10,0.75\ng2,test:d@20,0.125\n' >"$C/test_results/paired.csv"

for d in "$C"/*/; do echo "$(basename "$d"): $(ls "$d" | wc -l) seeds, $(du -sh "$d" | cut -f1)"; done
