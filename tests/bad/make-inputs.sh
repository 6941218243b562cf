#!/usr/bin/env bash
# make-inputs.sh DIR: write the bad inputs of tests/bad/cases.txt into DIR,
# each made from a real, valid file (written by the stages themselves or by
# gen-checkpoint) with one thing broken, so that each case tests exactly the
# check it names. Needs GM_BIN, GM_TOOLS and GM_ROOT (tests/stage/bad_inputs.sh
# sets them). It does not run the cases. Spec: issue 7 "A catalogue of bad inputs".
set -euo pipefail
D=${1:?usage: make-inputs.sh DIR}
BIN=${GM_BIN:?} TOOLS=${GM_TOOLS:?} ROOT=${GM_ROOT:?}
PY=/usr/bin/python3
mkdir -p "$D"
cd "$D"

# ---- valid material ----------------------------------------------------
tiny="--hidden 8 --layers 4 --heads 2 --ffn 4 --experts 4 --top-k 2 --vocab 32 --max-pos 64"
"$TOOLS/gen-checkpoint" $tiny ck >/dev/null
"$TOOLS/gen-checkpoint" $tiny --shards 2 ck-sharded >/dev/null
printf '{"id":"a","domain":"math","tokens":[1,2,3,4,5]}\n{"id":"b","domain":"math","tokens":[6,7,8,9]}\n{"id":"c","domain":"code","tokens":[10,11,12]}\n' >samples.jsonl
"$BIN/reader" samples.jsonl -o samples.mpk
"$BIN/reader" samples.jsonl -o samples.mpk.lz4
"$BIN/router-trace" -j 1 --model ck samples.mpk -o traces.mpk
mkdir -p step1 step2
for s in step1 step2; do cp ck/config.json ck/model.safetensors "$s/"; done
"$BIN/router-trace" -j 1 --model step1 samples.mpk | "$BIN/pathway-encode" --model step1 -o paths1.mpk
"$BIN/router-trace" -j 1 --model step2 samples.mpk | "$BIN/pathway-encode" --model step2 -o paths2.mpk
"$BIN/metric-reduce" paths1.mpk paths2.mpk -o metrics.mpk

# ---- record streams ------------------------------------------------------
: >empty.mpk
printf '\xc1 hello' >not-msgpack.mpk
size=$(stat -c %s samples.mpk)
head -c $((size - 3)) samples.mpk >truncated.mpk
"$BIN/dump" samples.mpk | sed '1s/"schema_version":1/"schema_version":99/' | "$BIN/dump" --from-json -o version99.mpk
"$BIN/dump" samples.mpk | sed '1s/"format":"grokmon"/"format":"other"/' | "$BIN/dump" --from-json -o other-format.mpk
# the header is the stream's first msgpack object; the first sample map starts
# one byte (its fixmap marker) before its "type" key
hdr=$($PY -c "print(open('samples.mpk','rb').read().index(b'\xa4type\xa6sample') - 1)")
tail -c +$((hdr + 1)) samples.mpk >no-header.mpk
# a header, then a record that declares 2^32-1 map entries and ends
{ head -c "$hdr" samples.mpk; printf '\xdf\xff\xff\xff\xff\xa4type'; } >huge-map.mpk
$PY - <<'PY'
b = bytearray(open('samples.mpk.lz4', 'rb').read())
b[len(b) // 2] ^= 0x5a
open('flipped.mpk.lz4', 'wb').write(b)
PY
size=$(stat -c %s samples.mpk.lz4)
head -c $((size - 6)) samples.mpk.lz4 >truncated.mpk.lz4
# a record nested 33 deep (the record's map, then 32 arrays): msgpack-c reads 32
$PY -c "print('{\"type\":\"x\",\"v\":1}'); print('{\"type\":\"x\",\"v\":' + '[' * 32 + ']' * 32 + '}')" >too-deep.jsonl
# vector fields that are not arrays of their element type (dump --from-json, issue 16)
printf '{"type":"x"}\n{"type":"sample","id":"a","tokens":{"0":1}}\n' >vector-object.jsonl
printf '{"type":"x"}\n{"type":"trace","router_mean":null}\n' >vector-null.jsonl
printf '{"type":"x"}\n{"type":"sample","tokens":[1,-2]}\n' >vector-negative.jsonl
# a pathway record whose weights are neither softmax nor topk
"$BIN/dump" paths1.mpk | sed '2s/"weights":"softmax"/"weights":"mean"/' | "$BIN/dump" --from-json -o paths-bad-weights.mpk
# a sample record without tokens, and one with a token id past the vocabulary (32)
"$BIN/dump" samples.mpk | sed '2s/,"tokens":\[[0-9,]*\]//' | "$BIN/dump" --from-json -o no-tokens.mpk
"$BIN/dump" samples.mpk | sed '3s/"tokens":\[6,7,8,9\]/"tokens":[6,7,32,9]/' | "$BIN/dump" --from-json -o token-past-vocab.mpk
# a trace whose router_mean has one value too few for L x E
"$BIN/dump" traces.mpk | $PY -c "
import json, sys
for i, line in enumerate(sys.stdin):
    r = json.loads(line)
    if r.get('type') == 'trace' and i == 1:
        r['router_mean'] = r['router_mean'][:-1]
    print(json.dumps(r))" | "$BIN/dump" --from-json -o short-router-mean.mpk
# checkpoint 2 lacks sample c
"$BIN/dump" paths2.mpk | grep -v '"id":"c"' | "$BIN/dump" --from-json -o paths2-missing.mpk
# tokenizers (common/tokenizer_*.c): a valid small one, then one thing broken in each copy
$PY "$ROOT/tests/reference/make_tokenizers.py" toks >/dev/null
cp toks/olmo.json tok-ok.json
mkdir -p tok-folder && cp toks/qwen2.json tok-folder/tokenizer.json
tokedit() { # tokedit OUT 'python statement on t'
  $PY - "$1" "$2" <<'PY'
import json, sys
t = json.load(open("toks/olmo.json"))
exec(sys.argv[2])
json.dump(t, open(sys.argv[1], "w"))
PY
}
tokedit tok-wordpiece.json 't["model"]["type"] = "WordPiece"'
tokedit tok-lowercase.json 't["normalizer"] = {"type": "Lowercase"}'
tokedit tok-whitespace.json 't["pre_tokenizer"] = {"type": "Whitespace"}'
tokedit tok-bad-merge.json 't["model"]["merges"].append(["Ġth", "nosuchtoken"])'
tokedit tok-dropout.json 't["model"]["dropout"] = 0.1'
tokedit tok-single-word.json 't["added_tokens"][0]["single_word"] = True'
tokedit tok-invert.json 't["pre_tokenizer"] = {"type": "Split", "pattern": {"Regex": " "}, "behavior": "Isolated", "invert": True}'
tokedit tok-bad-regex.json 't["pre_tokenizer"] = {"type": "Split", "pattern": {"Regex": "(unclosed"}, "behavior": "Isolated", "invert": False}'
tokedit tok-dup-id.json 't["model"]["vocab"]["zzz"] = 5'
printf '{"model": ' >tok-truncated.json
printf 'fine text\nbad \xff byte here\n' >bad-utf8.txt
printf '{"text": "fine"}\n{"text": 42}\n' >text-not-string.jsonl
printf '{"text": "fine"}\n{"text": ""}\n' >text-empty.jsonl
# JSON Lines and .npy token data
printf '{"id":"a","tokens":[1,2]}\n{"id":"b","tokens":[1,"x"]}\n' >bad-token.jsonl
printf '{"id":"a","tokens":[1,2]}\n{"id":"a","tokens":[3]}\n' >repeated-id.jsonl
printf '{"id":"a","tokens":[1,2,99]}\n' >past-vocab.jsonl
$PY - <<'PY'
import numpy as np, struct
np.save('fortran.npy', np.asfortranarray(np.arange(6, dtype='<u2').reshape(2, 3)))
np.save('float.npy', np.zeros(4, dtype='<f4'))
b = open('float.npy', 'rb').read()
# a header key holding a newline: the message must still be one line
h = b"{'descr': '<u2', 'fortran_order': False, 'shape': (4,), 'x\n': 1, }"
h += b' ' * (-(10 + len(h) + 1) % 64) + b'\n'
open('newline-key.npy', 'wb').write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(h)) + h + bytes(8))
b = bytearray(open('fortran.npy', 'rb').read()); b[8] = 0xff; b[9] = 0x7f
open('npy-header-past-file.npy', 'wb').write(b)
np.arange(20, dtype='<u2').tofile('tokens.u16')
np.array([3, 1, 4, 1, 5, 9, 99, 6], dtype='<u4').tofile('global-indices.u32')
PY

# ---- checkpoints: one thing wrong in each ------------------------------
ck_copy() { rm -rf "$1"; mkdir -p "$1"; cp ck/config.json ck/model.safetensors "$1/"; }
# rewrite the safetensors JSON header with a Python function of the dict
st_edit() { # DIR 'python statements on h (the header dict)' [data bytes to drop]
  $PY - "$1/model.safetensors" "$2" "${3:-0}" <<'PY'
import json, struct, sys
path, code, drop = sys.argv[1], sys.argv[2], int(sys.argv[3])
b = open(path, 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
h = json.loads(b[8:8 + n])
data = b[8 + n:]
exec(code)
t = json.dumps(h).encode()
t += b' ' * (-len(t) % 8)
open(path, 'wb').write(struct.pack('<Q', len(t)) + t + data[:len(data) - drop])
PY
}
ck_copy ck-header-past-end
$PY - ck-header-past-end/model.safetensors <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
b[:8] = struct.pack('<Q', len(b) + 100)
open(sys.argv[1], 'wb').write(b)
PY
ck_copy ck-overlap
st_edit ck-overlap "
a, b = 'model.layers.0.input_layernorm.weight', 'model.layers.0.post_attention_layernorm.weight'
h[b]['data_offsets'] = [h[a]['data_offsets'][0] + 4, h[a]['data_offsets'][1] + 4]"
ck_copy ck-out-of-range
st_edit ck-out-of-range "pass" 4
ck_copy ck-dtype
st_edit ck-dtype "h['model.norm.weight']['dtype'] = 'Q4_K'"
ck_copy ck-int-dtype
st_edit ck-int-dtype "t = h['model.norm.weight']; t['dtype'] = 'I32'"
ck_copy ck-shape
st_edit ck-shape "
t = h['model.layers.2.mlp.gate.weight']; t['shape'] = [8, 4]"
ck_copy ck-missing-tensor
st_edit ck-missing-tensor "
t = h.pop('model.layers.3.self_attn.k_norm.weight'); h['model.layers.3.self_attn.k_nrm.weight'] = t"
ck_copy ck-config-missing
$PY -c "
import json; p = 'ck-config-missing/config.json'; c = json.load(open(p)); del c['num_experts']; json.dump(c, open(p, 'w'))"
ck_copy ck-config-negative
$PY -c "
import json; p = 'ck-config-negative/config.json'; c = json.load(open(p)); c['hidden_size'] = -8; json.dump(c, open(p, 'w'))"
ck_copy ck-config-topk
$PY -c "
import json; p = 'ck-config-topk/config.json'; c = json.load(open(p)); c['num_experts_per_tok'] = 9; json.dump(c, open(p, 'w'))"
ck_copy ck-config-json
printf '{"model_type": "olmoe", "hidden_size": 8,\n  "num_hidden_layers": 4 "heads": 2}\n' >ck-config-json/config.json
ck_copy ck-config-scaling
$PY -c "
import json; p = 'ck-config-scaling/config.json'; c = json.load(open(p)); c['rope_scaling'] = {'type': 'linear', 'factor': 2.0}; json.dump(c, open(p, 'w'))"
# the other families: tiny checkpoints (vocab 32, as ck's samples need), then one setting each
GENF="$PY $GM_ROOT/tests/reference/gen_family_checkpoint.py"
fam() { # NAME FAMILY CONFIG-EDIT [generator options]
  local name=$1 family=$2 edit=$3; shift 3
  rm -rf "$name"
  $GENF --family "$family" --out "$name" --vocab 32 --layers 2 "$@" >/dev/null
  $PY -c "
import json, sys; p = sys.argv[1] + '/config.json'; c = json.load(open(p))
$edit
json.dump(c, open(p, 'w'))" "$name"
}
fam fam-unknown-type olmoe "c['model_type'] = 'dbrx'"
fam fam-mixtral-no-kv mixtral "del c['num_key_value_heads']"
fam fam-mixtral-both-layouts mixtral "pass" --fused
$PY - fam-mixtral-both-layouts/model.safetensors <<'PY'
import json, struct, sys
p = sys.argv[1]; b = open(p, 'rb').read(); (n,) = struct.unpack('<Q', b[:8]); h = json.loads(b[8:8 + n])
end = len(b) - 8 - n  # a per-expert tensor too, its bytes appended
h['model.layers.0.mlp.experts.0.gate_proj.weight'] = {'dtype': 'F32', 'shape': [32, 64],
                                                      'data_offsets': [end, end + 32 * 64 * 4]}
j = json.dumps(h).encode(); j += b' ' * (-len(j) % 8)
open(p, 'wb').write(struct.pack('<Q', len(j)) + j + b[8 + n:] + bytes(32 * 64 * 4))
PY
fam fam-qwen2-sliding qwen2_moe "c['use_sliding_window'] = True; c['sliding_window'] = 8"
fam fam-qwen3-no-window qwen3_moe "c['use_sliding_window'] = True; c['sliding_window'] = None"
fam fam-v2-topk-method deepseek_v2 "c['topk_method'] = 'noaux_tc_unknown'"
fam fam-v2-layer-freq deepseek_v2 "c['moe_layer_freq'] = 2"
fam fam-v3-scoring deepseek_v3 "c['scoring_func'] = 'softmax'"
fam fam-v3-groups deepseek_v3 "c['n_group'] = 3"
fam fam-v3-no-bias deepseek_v3 "pass"
$PY - fam-v3-no-bias/model.safetensors <<'PY'
import json, struct, sys
p = sys.argv[1]; b = open(p, 'rb').read(); (n,) = struct.unpack('<Q', b[:8]); h = json.loads(b[8:8 + n])
del h['model.layers.1.mlp.gate.e_score_correction_bias']
j = json.dumps(h).encode(); j += b' ' * (-len(j) % 8)
open(p, 'wb').write(struct.pack('<Q', len(j)) + j + b[8 + n:])
PY
fam fam-granite-gelu granitemoe "c['hidden_act'] = 'gelu'"
fam fam-granite-unused granitemoeshared "c['shared_intermediate_size'] = 0"
fam fam-olmoe-unknown-key olmoe "c['sliding_window'] = 16"
fam fam-rope-theta olmoe "c['rope_parameters'] = {'rope_type': 'default', 'rope_theta': 500000.0}"
fam fam-rope-partial olmoe "c['partial_rotary_factor'] = 0.5"
fam fam-yarn-factor deepseek_v2 "c['rope_scaling']['factor'] = 8.0" --yarn-factor 4 --yarn-omax 64
rm -rf ck-no-weights; mkdir ck-no-weights; cp ck/config.json ck-no-weights/
rm -rf ck-index-escape; cp -r ck-sharded ck-index-escape
$PY -c "
import json; p = 'ck-index-escape/model.safetensors.index.json'; x = json.load(open(p))
x['weight_map']['model.norm.weight'] = '../ck/model.safetensors'; json.dump(x, open(p, 'w'))"
rm -rf ck-index-missing-shard; cp -r ck-sharded ck-index-missing-shard
rm ck-index-missing-shard/model-00002-of-00002.safetensors

# ---- non-finite weights (issue 16): one NaN or Inf in an F32 tensor
st_set() { # DIR TENSOR INDEX VALUE: element INDEX (row-major) of TENSOR becomes VALUE
  $PY - "$1/model.safetensors" "$2" "$3" "$4" <<'PY'
import json, struct, sys
path, name, i, v = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
b = bytearray(open(path, 'rb').read())
n = struct.unpack('<Q', b[:8])[0]
t = json.loads(b[8:8 + n])[name]
assert t['dtype'] == 'F32'
at = 8 + n + t['data_offsets'][0] + 4 * i
b[at:at + 4] = struct.pack('<f', v)
open(path, 'wb').write(b)
PY
}
ck_copy ck-nan-router; st_set ck-nan-router model.layers.1.mlp.gate.weight 13 nan    # [1, 5]
ck_copy ck-inf-router; st_set ck-inf-router model.layers.2.mlp.gate.weight 5 inf     # [0, 5]
ck_copy ck-nan-embed; st_set ck-nan-embed model.embed_tokens.weight $((6 * 8 + 3)) nan # token 6 (sample b)
ck_copy ck-inf-lm-head; st_set ck-inf-lm-head lm_head.weight $((17 * 8 + 1)) -inf     # token id 17
# a trace whose loss is NaN (a producer other than router-trace)
$PY - <<'PY'
import struct
b = open('traces.mpk', 'rb').read()
at = b.index(b'\xa4loss\xcb') + 6
open('trace-nan-loss.mpk', 'wb').write(b[:at] + struct.pack('>d', float('nan')) + b[at + 8:])
PY
# a step of 2^63 + 5 (msgpack uint64), past int64: in a trace, a pathway and a metric record
$PY - <<'PY'
import struct
big = b'\xa4step\xcf' + struct.pack('>Q', 2**63 + 5)
for src, dst, kind, old in (('traces.mpk', 'trace-big-step.mpk', b'\xa5trace', b'\xa4step\xc0'),
                            ('paths1.mpk', 'paths-big-step.mpk', b'\xa7pathway', b'\xa4step\x01'),
                            ('metrics.mpk', 'metrics-big-step.mpk', b'\xa6metric', b'\xa4step\x01')):
    b = open(src, 'rb').read()
    at = b.index(old, b.index(kind))
    open(dst, 'wb').write(b[:at] + big + b[at + len(old):])
PY
# config.json a directory; an accuracy CSV that is a directory
ck_copy ck-config-dir; rm ck-config-dir/config.json; mkdir ck-config-dir/config.json
mkdir -p acc-dir

# ---- found by fuzzing (tests/fuzz/regress/) -------------------------------
# a header whose options map has non-string keys (an array among them): report
# printed it with msgpack-c into a 2 KB line left unterminated, and read past it
head -c 2350 "$ROOT/tests/fuzz/regress/metric_stream/long-header-options" >odd-header-options.mpk

# ---- accuracy CSVs -----------------------------------------------------
printf 'step,accuracy\n1,0.5\n2,0.7\n' >acc-no-domain.csv
printf 'step,domain,accuracy\n1,math,0.5\n2,math,"0.7\n' >acc-quote.csv
printf 'step,domain,accuracy\n1,math,0.5\n2,math\n' >acc-short-row.csv
printf 'step,domain,accuracy\n1,math,0.5\n7,math,0.7\n' >acc-unknown-step.csv

# ---- test results and similarities (test-groups) ----------------------------
printf 'step,domain,item,correct\n1,d,a,1\n2,d,a,1\n1,d,b,0\n2,d,b,1\n' >results.csv
printf 'step,domain,item,correct\n1,d,a,1\n2,d,a,1\n1,d,b,0\n' >results-missing.csv
printf 'step,domain,item,correct\n1,d,a,1\n2,d,a,yes\n' >results-not-binary.csv
printf 'train_group,test_group,similarity\nd@1,test:d@9,0.5\n' >sim-unknown-group.csv
printf 'train_group,test_group,similarity\nd@1,test:d@1,0.5\nd@1,test:d@2,0.2\nd@2,test:d@1,0.4\n' >sim-missing-pair.csv
# training groups of a domain no test group has (within-domain pairing), and a table with only
# within-domain rows paired --across-domains
printf 'train_group,test_group,similarity\ne@1,test:d@1,0.5\ne@2,test:d@2,0.2\n' >sim-no-domain.csv
printf 'step,domain,item,correct\n1,d,a,1\n2,d,a,1\n1,e,b,0\n2,e,b,1\n' >results-two-domains.csv
printf 'train_group,test_group,similarity\nd@1,test:d@1,0.5\ne@1,test:e@2,0.2\n' >sim-within-only.csv
