# study_series.sh: the demo's series generator (tests/tools/gen-series.c) checked against its
# stated design by an independent numpy reader of the safetensors it writes: the frozen part
# stays gen-checkpoint's, embeddings have norm sqrt(D), lm_head is b_t times the rule's
# predecessor embedding (zero at t = 0; the rule a single cycle per domain), routers are
# W_random + a_t * strength * u_d on each domain's expert set; token files follow the rule
# with exactly the stated number of off-rule tokens. Then its refusals.
. "$(dirname "$0")/../lib.sh"

for i in 0 1 2 3; do
  "$TOOLS/gen-checkpoint" --preset tiny --std 0.02 --router-std 0.3 --seed 5 "$TMP/ck$i"
  "$TOOLS/gen-series" --position $i --length 4 --set-size 2 --seed 9 "$TMP/ck$i"
done
"$TOOLS/gen-checkpoint" --preset tiny --std 0.02 --router-std 0.3 --seed 5 "$TMP/raw"
for d in 0 1; do
  "$TOOLS/gen-series" --tokens $d --samples 40 --seq-len 32 --vocab 256 --seed 9 "$TMP/tok$d.u16"
done

check "the series has its stated structure" $PY - "$TMP" <<'PY'
import json, struct, sys
import numpy as np
tmp = sys.argv[1]
fail = []
def want(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        fail.append(what)

def load(folder):
    blob = open(f"{folder}/model.safetensors", "rb").read()
    (n,) = struct.unpack("<Q", blob[:8])
    hdr = json.loads(blob[8:8 + n])
    out = {}
    for k, v in hdr.items():
        if k == "__metadata__":
            continue
        assert v["dtype"] == "F32"
        b, e = v["data_offsets"]
        out[k] = np.frombuffer(blob[8 + n + b:8 + n + e], dtype="<f4").reshape(v["shape"]).astype(np.float64)
    return out

raw = load(f"{tmp}/raw")
cks = [load(f"{tmp}/ck{i}") for i in range(4)]
meta = [json.load(open(f"{tmp}/ck{i}/series.json")) for i in range(4)]
V, D = raw["model.embed_tokens.weight"].shape
E = raw["model.layers.0.mlp.gate.weight"].shape[0]
L, M, FIRST, R = 4, 2, 8, (V - 8) // 2
patched = lambda k: k in ("model.embed_tokens.weight", "lm_head.weight") or k.endswith("mlp.gate.weight")
want(all(np.array_equal(c[k], raw[k]) for c in cks for k in raw if not patched(k)),
     "attention, experts and norms are gen-checkpoint's, in every checkpoint")
emb = cks[0]["model.embed_tokens.weight"]
want(all(np.array_equal(c["model.embed_tokens.weight"], emb) for c in cks), "one embedding for the series")
want(np.allclose(np.linalg.norm(emb, axis=1), np.sqrt(D), rtol=1e-5), "embedding rows have norm sqrt(D)")

# lm_head: b_t = 1.5 (1 - exp(-t)), row w = b_t * emb[pred(w)] / sqrt(D), zero outside the domains
for t, c in enumerate(cks):
    b = 1.5 * (1 - np.exp(-t))
    want(abs(meta[t]["lm_head_scale"] - b) < 1e-12, f"t={t}: series.json says b_t = {b:.4f}")
head = cks[3]["lm_head.weight"] / meta[3]["lm_head_scale"] * np.sqrt(D)
want(not cks[0]["lm_head.weight"].any(), "t=0: lm_head is zero (the loss is ln V)")
want(all(np.allclose(cks[t]["lm_head.weight"], head * meta[t]["lm_head_scale"] / np.sqrt(D), atol=1e-6)
         for t in (1, 2)), "lm_head scales with b_t")
inside = np.zeros(V, bool); inside[FIRST:FIRST + M * R] = True
want(not head[~inside].any(), "zero rows outside the domains")
cos = (head[inside] @ emb.T) / (np.linalg.norm(head[inside], axis=1)[:, None] * np.sqrt(D))
pred = np.full(V, -1); pred[inside] = cos.argmax(axis=1)
want(np.allclose(cos.max(axis=1), 1, atol=1e-5), "every in-domain row is one token's embedding")
want(np.allclose(head[inside], emb[pred[inside]], atol=1e-4), "... exactly, scaled by b_t / sqrt(D)")
succ = {}
for w in np.flatnonzero(inside):
    succ[int(pred[w])] = int(w)
for d in range(M):
    lo = FIRST + d * R
    want(all(lo <= pred[w] < lo + R for w in range(lo, lo + R)), f"domain {d}: the rule stays in the domain")
    v, seen = lo, set()
    while v not in seen:
        seen.add(v); v = succ[v]
    want(len(seen) == R and len(succ) == M * R, f"domain {d}: the rule is one cycle over its {R} tokens")

# routers: W_l(t) - W_random = a_t * strength * u_d on domain d's expert set, zero elsewhere
udir = []
for d in range(M):
    m = emb[FIRST + d * R:FIRST + (d + 1) * R].mean(axis=0)
    udir.append(m / np.linalg.norm(m))
for t, c in enumerate(cks):
    a = 1.6 * t / 3
    want(abs(meta[t]["router_strength"] - a) < 1e-12, f"t={t}: series.json says a_t = {a:.4f}")
    for l in range(L):
        delta = c[f"model.layers.{l}.mlp.gate.weight"] - raw[f"model.layers.{l}.mlp.gate.weight"]
        rows = np.flatnonzero(np.abs(delta).max(axis=1) > 1e-6)
        if t == 0:
            want(len(rows) == 0, f"t=0 layer {l}: the router is W_random")
            continue
        norms = np.linalg.norm(delta[rows], axis=1)
        want(len(rows) == 4, f"t={t} layer {l}: 2 experts per domain changed ({len(rows)})")
        want(np.allclose(sorted(norms), sorted([a, a, 0.6 * a, 0.6 * a]), atol=1e-5),
             f"t={t} layer {l}: strengths a_t x (1, 0.6)")
        best = [max(range(M), key=lambda d: abs(delta[r] @ udir[d]) / np.linalg.norm(delta[r])) for r in rows]
        al = [delta[r] @ udir[d] / np.linalg.norm(delta[r]) for r, d in zip(rows, best)]
        want(min(al) > 0.9 and sorted(best) == [0, 0, 1, 1],
             f"t={t} layer {l}: each set's rows point along its domain's direction (cos >= {min(al):.3f})")
sets = [tuple(np.flatnonzero(np.abs(cks[3][f"model.layers.{l}.mlp.gate.weight"] -
                                    raw[f"model.layers.{l}.mlp.gate.weight"]).max(axis=1) > 1e-6))
        for l in range(L)]
want(len(set(sets)) == L, f"a different expert set in every layer ({sets})")

# token files: in the domain's range; off-rule transitions = the noise level cycled over samples
levels = [0, 1, 2, 4, 7, 11, 16, 24]
for d in range(M):
    tok = np.fromfile(f"{tmp}/tok{d}.u16", dtype="<u2").reshape(40, 32).astype(int)
    lo = FIRST + d * R
    want(((tok >= lo) & (tok < lo + R)).all(), f"domain {d}: tokens in its range")
    breaks = [sum(succ[s[i - 1]] != s[i] for i in range(1, 32)) for s in tok]
    want(breaks == [levels[j % 8] for j in range(40)], f"domain {d}: off-rule tokens per sample as stated")
sys.exit(1 if fail else 0)
PY
sed 's/^/    /' "$TMP/.out"

must_fail "patching twice is refused" 2 "already patched (series.json exists)" \
  "'$TOOLS/gen-series' --position 1 --length 4 --set-size 2 '$TMP/ck1'"
"$TOOLS/gen-checkpoint" --preset tiny --dtype bf16 "$TMP/bf16"
must_fail "a BF16 folder is refused" 1 "gen-series patches F32 checkpoints only" \
  "'$TOOLS/gen-series' --position 0 --length 4 --set-size 2 '$TMP/bf16'"
must_fail "too many experts per domain" 2 "--set-size 5 x --domains 2 exceeds the 8 experts" \
  "'$TOOLS/gen-series' --position 0 --length 4 --set-size 5 '$TMP/raw'"
must_fail "a domain that does not exist" 2 "--tokens 2: there are 2 domains" \
  "'$TOOLS/gen-series' --tokens 2 --vocab 256 '$TMP/t.u16'"
no_file "no token file after a refusal" "$TMP/t.u16"
must_fail "position past the series" 2 "--position 4 is past the series' --length 4" \
  "'$TOOLS/gen-series' --position 4 --length 4 '$TMP/raw'"
must_fail "model mode or tokens mode" 2 "give either --position I (model mode) or --tokens D (tokens mode)" \
  "'$TOOLS/gen-series' '$TMP/raw'"
