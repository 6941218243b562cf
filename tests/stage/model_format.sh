#!/usr/bin/env bash
# model_format.sh: gen-checkpoint writes the real HF format and model_open reads
# it right, both checked by an independent numpy reader
# (tests/reference/safetensors_read.py): config keys, every tensor's name,
# shape and offsets, values read by model-check equal numpy's, BF16/F16 are
# round-to-nearest of the F32 values, sharding and threads change no value,
# seeds are reproducible, and tensor_widen matches numpy on all 65536 halves.
source "$(dirname "$0")/../lib.sh"
GEN=$TOOLS/gen-checkpoint MC=$TOOLS/model-check
export PYTHONPATH=$ROOT/tests/reference
small="--hidden 64 --layers 3 --heads 4 --ffn 48 --experts 6 --top-k 2 --vocab 300 --seed 7"

check "gen f32" $GEN $small --dtype f32 "$TMP/f32"
check "gen bf16 sharded" $GEN $small --dtype bf16 --shards 3 "$TMP/bf16"
check "gen f16 sharded, 2 threads" $GEN $small --dtype f16 --shards 2 --threads 2 "$TMP/f16"
check "gen f32 sharded" $GEN $small --dtype f32 --shards 4 "$TMP/f32s"
check "gen f32 again" $GEN $small --dtype f32 --threads 2 "$TMP/f32b"
check "gen other seed" $GEN $small --seed 8 "$TMP/seed8"
check "gen tied, kv heads, options" $GEN --hidden 32 --heads 4 --kv-heads 2 --layers 2 \
  --experts 4 --top-k 4 --ffn 16 --vocab 50 --tie --norm-topk-prob --rms-eps 1e-6 "$TMP/tied"
same_file "same seed, 1 or 2 threads: identical file" "$TMP/f32/model.safetensors" "$TMP/f32b/model.safetensors"
if cmp -s "$TMP/f32/model.safetensors" "$TMP/seed8/model.safetensors"; then
  not_ok "another seed gives other weights"; else ok "another seed gives other weights"; fi

# the format, checked from the files alone
check "config.json and headers as HF writes them" $PY - "$TMP" <<'EOF'
import json, os, sys
import safetensors_read as st
tmp = sys.argv[1]
for name in ["f32", "bf16", "f16", "f32s", "tied"]:
    d = os.path.join(tmp, name)
    c = json.load(open(os.path.join(d, "config.json")))
    assert c["model_type"] == "olmoe" and c["architectures"] == ["OlmoeForCausalLM"], name
    for k in ["hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
              "num_key_value_heads", "num_experts", "num_experts_per_tok", "vocab_size",
              "max_position_embeddings", "rope_theta", "norm_topk_prob", "tie_word_embeddings"]:
        assert k in c, (name, k)
    assert ("rms_norm_eps" in c) == (name == "tied"), name
    D, L, E, F, V = (c[k] for k in ["hidden_size", "num_hidden_layers", "num_experts",
                                    "intermediate_size", "vocab_size"])
    KV = c["num_key_value_heads"] * D // c["num_attention_heads"]
    want = {"model.embed_tokens.weight": [V, D], "model.norm.weight": [D]}
    if not c["tie_word_embeddings"]:
        want["lm_head.weight"] = [V, D]
    for l in range(L):
        p = f"model.layers.{l}."
        want.update({p + "input_layernorm.weight": [D], p + "post_attention_layernorm.weight": [D],
                     p + "self_attn.q_proj.weight": [D, D], p + "self_attn.k_proj.weight": [KV, D],
                     p + "self_attn.v_proj.weight": [KV, D], p + "self_attn.o_proj.weight": [D, D],
                     p + "self_attn.q_norm.weight": [D], p + "self_attn.k_norm.weight": [KV],
                     p + "mlp.gate.weight": [E, D]})
        for e in range(E):
            q = p + f"mlp.experts.{e}."
            want.update({q + "gate_proj.weight": [F, D], q + "up_proj.weight": [F, D],
                         q + "down_proj.weight": [D, F]})
    files = st.weight_files(d)
    assert set(files) == set(want), (name, set(files) ^ set(want))
    total = 0
    for path in set(files.values()):
        h, start, size = st.header(path)
        assert start % 8 == 0, path
        spans = sorted(tuple(v["data_offsets"]) for v in h.values())
        assert spans[0][0] == 0 and spans[-1][1] == size - start, path
        assert all(a[1] == b[0] for a, b in zip(spans, spans[1:])), path
        for k, v in h.items():
            assert v["shape"] == want[k], (k, v["shape"], want[k])
            assert files[k] == path, k
            total += v["data_offsets"][1] - v["data_offsets"][0]
    ix = os.path.join(d, "model.safetensors.index.json")
    if os.path.exists(ix):
        assert json.load(open(ix))["metadata"]["total_size"] == total
    assert (len(set(files.values())) > 1) == (name in ["bf16", "f16", "f32s"]), name
EOF

# values: model-check (tensor_widen over the mmapped files) against numpy
names="model.embed_tokens.weight model.layers.0.self_attn.q_proj.weight
model.layers.2.self_attn.k_norm.weight model.layers.1.mlp.gate.weight
model.layers.2.mlp.experts.5.down_proj.weight model.norm.weight lm_head.weight"
for d in f32 bf16 f16 f32s; do
  i=0
  for n in $names; do
    $MC --tensor "$n" -o "$TMP/$d.$i.f32" "$TMP/$d" || echo "not ok - model-check $d $n"
    i=$((i + 1))
  done
done
check "model-check values equal numpy's, every dtype, single and sharded" $PY - "$TMP" $names <<'EOF'
import os, sys
import numpy as np
import safetensors_read as st
tmp, names = sys.argv[1], sys.argv[2:]
for d in ["f32", "bf16", "f16", "f32s"]:
    for i, n in enumerate(names):
        ours = np.fromfile(os.path.join(tmp, f"{d}.{i}.f32"), dtype="<f4")
        ref = st.load(os.path.join(tmp, d), n).ravel()
        assert ours.shape == ref.shape and np.array_equal(ours, ref), (d, n)
EOF

check "bf16/f16 are round-to-nearest of the f32 weights; sharding changes nothing" $PY - "$TMP" <<'EOF'
import os, sys
import numpy as np
import safetensors_read as st
tmp = sys.argv[1]
f32 = os.path.join(tmp, "f32")
for n in st.weight_files(f32):
    a = st.load(f32, n)
    assert np.array_equal(a, st.load(os.path.join(tmp, "f32s"), n)), n
    u = a.view(np.uint32).astype(np.uint64)
    rne = (((u + 0x7FFF + ((u >> 16) & 1)) >> 16) << 16).astype(np.uint32).view(np.float32)
    assert np.array_equal(st.load(os.path.join(tmp, "bf16"), n), rne), n
    assert np.array_equal(st.load(os.path.join(tmp, "f16"), n),
                          a.astype(np.float16).astype(np.float32)), n
EOF

check "weights look like an init: matrices N(0, 0.02), norms near 1" $PY - "$TMP" <<'EOF'
import os, sys
import numpy as np
import safetensors_read as st
d = os.path.join(sys.argv[1], "f32")
m = np.concatenate([st.load(d, n).ravel() for n in st.weight_files(d) if n.endswith("proj.weight")])
assert abs(m.mean()) < 1e-3 and abs(m.std() - 0.02) < 1e-3, (m.mean(), m.std())
k = np.mean(((m - m.mean()) / m.std()) ** 4)
assert abs(k - 3) < 0.1, k  # normal, not uniform (1.8)
g = np.concatenate([st.load(d, n).ravel() for n in st.weight_files(d) if "norm" in n])
assert abs(g.mean() - 1) < 0.02 and 0.05 < g.std() < 0.15, (g.mean(), g.std())
EOF

# every 16-bit pattern as F16 and as BF16, widened by tensor_widen (fast path, and
# the reference path with GM_REFERENCE=1), against numpy
$PY - "$TMP/all.safetensors" <<'EOF'
import json, struct, sys
import numpy as np
bits = np.arange(65536, dtype="<u2").tobytes()
h = {"f16": {"dtype": "F16", "shape": [65536], "data_offsets": [0, 131072]},
     "bf16": {"dtype": "BF16", "shape": [256, 256], "data_offsets": [131072, 262144]}}
j = json.dumps(h).encode()
j += b" " * (-len(j) % 8)
open(sys.argv[1], "wb").write(struct.pack("<Q", len(j)) + j + bits + bits)
EOF
for r in 0 1; do
  GM_REFERENCE=$r $MC --file --tensor f16 -o "$TMP/f16.$r" "$TMP/all.safetensors"
  GM_REFERENCE=$r $MC --file --tensor bf16 -o "$TMP/bf16.$r" "$TMP/all.safetensors"
done
check "F16 and BF16 widening equal numpy on all 65536 values, fast and reference" $PY - "$TMP" <<'EOF'
import sys
import numpy as np
tmp = sys.argv[1]
b = np.arange(65536, dtype=np.uint16)
f16 = b.view(np.float16).astype(np.float32)
bf16 = (b.astype(np.uint32) << 16).view(np.float32)
for r in "01":
    for name, ref in (("f16", f16), ("bf16", bf16)):
        ours = np.fromfile(f"{tmp}/{name}.{r}", dtype="<f4")
        same = (ours.view(np.uint32) == ref.view(np.uint32)) | (np.isnan(ours) & np.isnan(ref))
        assert same.all(), (name, r, np.flatnonzero(~same)[:5])
        assert np.isnan(ours).sum() == np.isnan(ref).sum() == (2046 if name == "f16" else 254)
EOF

check_sh "summary names the step and shape" \
  "$MC '$TMP/tied' | grep -q 'H_kv 2' && $GEN --layers 2 '$TMP/step1200-tokens5B' && $MC '$TMP/step1200-tokens5B/' | grep -q 'step1200-tokens5B (step 1200)'"
check_sh "tied model: lm_head absent, norm_topk_prob and rms_eps read" \
  "$MC '$TMP/tied' | grep -q 'rms_eps 1e-06, rope_theta 10000, clip_qkv 0, norm_topk_prob true, tied true'"
must_fail "gen: bad dtype is a usage error" 2 "--dtype must be f32, bf16 or f16" "$GEN --dtype f64 '$TMP/x'"
must_fail "gen: top-k > experts" 2 "--top-k 9 exceeds --experts 8" "$GEN --top-k 9 '$TMP/x'"
must_fail "gen: too many shards" 2 "--shards 999 is more than" "$GEN --layers 1 --shards 999 '$TMP/x'"
no_file "gen: a refused run leaves no folder" "$TMP/x"
check_sh "regenerating single-file over sharded removes the stale index" \
  "$GEN $small --dtype f32 '$TMP/bf16' && test ! -e '$TMP/bf16/model.safetensors.index.json' && cmp -s '$TMP/bf16/model.safetensors' '$TMP/f32/model.safetensors'"
