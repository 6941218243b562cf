#!/usr/bin/python3
"""families_selfcheck.py: checks of families_ref.py and gen_family_checkpoint.py
themselves, before any C is compared with them. Run with /usr/bin/python3
(Debian's torch and numpy); small shapes, a minute or two on one core.

  (a) olmoe: families_ref agrees with olmoe_ref.py `run` on the same checkpoints and
      samples (NLL to 1e-9 in float64, the same experts), several shapes, F32/BF16,
      GQA, norm_topk_prob, clip_qkv, sharded, a rope_parameters config.
  (b) cross-family equivalences where configs make two families the same function:
      mixtral == granitemoe (multipliers 1, attention_multiplier head_dim^-0.5)
      == qwen2_moe (norm_topk_prob, no biases, a shared expert whose down_proj is 0);
      olmoe == qwen3_moe with one head (full-width q/k norm == per-head norm);
      per-expert == fused (v5) tensors for every family that has both;
      rope_parameters map == rope_theta/rope_scaling; deepseek_v3 rope_interleave
      true == false with the rope rows of q_b_proj / kv_a_proj_with_mqa de-interleaved.
      mixtral == olmoe has no such config: OLMoE's q/k RMSNorm cannot be switched off.
  (c) every family on 3 shapes/seeds (F32/BF16, split/fused, sharded, rope_parameters):
      finite outputs, K distinct experts, router_mean rows sum to 1, applied weights sum
      as the family says, routing not degenerate (router logit std ~1); the float32 run
      passes `compare` (the C's check) against float64; compare catches a flipped expert;
      refusals name the key; released configs (OLMoE, Mixtral, Qwen1.5-MoE, Qwen3-MoE,
      DeepSeek-V2-Lite, DeepSeek-V3, Granite 3.0 MoE) parse to the expected plan.
  (d) hand-checked cases: deepseek_v3 group selection with a selection-only bias,
      deepseek_v2 group_limited_greedy, granite top-k-then-softmax, YaRN frequencies and
      softmax scales, the sliding window mask; and a per-token numpy twin (complex-rotation
      rope) of MLA / v2 / v3 / qwen2_moe / granite forward passes.
Prints one line per check and "N passed, M failed"; exit status 1 on any failure.
"""
import contextlib
import io
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import types

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import families_ref as fr  # noqa: E402
import gen_family_checkpoint as gen  # noqa: E402

torch.set_num_threads(1)
PASSED = FAILED = 0
TMP = tempfile.mkdtemp(prefix="famcheck.")


def check(name, ok, detail=""):
    global PASSED, FAILED
    if ok:
        PASSED += 1
        print(f"ok - {name}")
    else:
        FAILED += 1
        print(f"not ok - {name}" + (f": {detail}" if detail else ""))


def mkgen(name, family, *args):
    out = os.path.join(TMP, name)
    gen.main(["--family", family, "--out", out] + [str(x) for x in args])
    return out


def model(folder, fp32=False):
    cfg, t = fr.load_checkpoint(folder)
    return fr.Model(cfg, t, torch.float32 if fp32 else torch.float64)


def samples(name, V, lengths, seed):
    rng = random.Random(seed)
    path = os.path.join(TMP, name + ".jsonl")
    with open(path, "w") as fh:
        for i, T in enumerate(lengths):
            fh.write(json.dumps({"type": "sample", "id": f"s{i}", "domain": f"d{i % 2}", "source": "gen",
                                 "index": i, "tokens": [rng.randrange(V) for _ in range(T)]}) + "\n")
    return path


def read(path):
    return [json.loads(l) for l in open(path) if l.strip()]


def run_all(m, spath):
    return [dict({"id": s["id"]}, **fr.run_sample(m, s["tokens"])[0]) for s in read(spath)]


def same_outputs(a, b, tol=1e-9):
    """(ok, worst NLL difference, first id difference)"""
    worst, why = 0.0, ""
    for x, y in zip(a, b):
        if x["topk_ids"] != y["topk_ids"]:
            why = why or f"{x['id']} experts differ"
        if x["token_nll"]:
            worst = max(worst, float(np.max(np.abs(np.subtract(x["token_nll"], y["token_nll"])))))
        for k in ("router_mean", "topk_mean"):
            worst = max(worst, float(np.max(np.abs(np.subtract(x[k], y[k])))))
    return (not why and worst <= tol and len(a) == len(b)), worst, why


def rewrite(src, dst, cfg_edit=None, tensor_edit=None, dtype="F32"):
    """copy a checkpoint, editing its config dict and {name: array} tensors."""
    cfg, t = fr.load_checkpoint(src)
    t = {k: v.astype(np.float32) for k, v in t.items()}
    if cfg_edit:
        cfg = cfg_edit(cfg)
    if tensor_edit:
        t = tensor_edit(t)
    os.makedirs(dst, exist_ok=True)
    gen.write_safetensors(os.path.join(dst, "model.safetensors"), t, {k: dtype for k in t})
    with open(os.path.join(dst, "config.json"), "w") as fh:
        json.dump(cfg, fh, indent=1)
    return dst


# ------------------------------------------------------------------ (a)

def check_a():
    cases = [
        ("olmoe-default", []),
        ("olmoe-gqa-norm-bf16", ["--kv-heads", 2, "--norm-topk", 1, "--dtype", "bf16", "--seed", 5]),
        ("olmoe-top1-clip-shards", ["--experts", 16, "--top-k", 1, "--clip-qkv", 0.8, "--shards", 3,
                                    "--hidden", 48, "--heads", 3, "--kv-heads", 3, "--seed", 6]),
        ("olmoe-top8-tied", ["--experts", 64, "--top-k", 8, "--tied", 1, "--layers", 2, "--seed", 7]),
    ]
    for name, args in cases:
        d = mkgen(name, "olmoe", *args)
        sp = samples(name, 256, [1, 2, 13, 64], 11)
        got = run_all(model(d), sp)
        proc = subprocess.run([sys.executable, os.path.join(HERE, "olmoe_ref.py"), "run", "--model", d,
                               "--samples", sp, "--threads", "1"], capture_output=True, text=True)
        if proc.returncode:
            check(f"(a) {name}: olmoe_ref ran", False, proc.stderr.strip()[-300:])
            continue
        want = [json.loads(l) for l in proc.stdout.splitlines()]
        ok, worst, why = same_outputs(got, want, 1e-9)
        check(f"(a) {name}: families_ref == olmoe_ref (worst {worst:.1e})", ok, why)
    # rope_parameters: olmoe_ref reads rope_theta only, so compare with the rope_theta twin
    a = mkgen("olmoe-rp", "olmoe", "--rope-parameters", "--theta", 500.0, "--seed", 8)
    b = mkgen("olmoe-rt", "olmoe", "--theta", 500.0, "--seed", 8)
    sp = samples("olmoe-rp", 256, [3, 30], 12)
    ok, worst, why = same_outputs(run_all(model(a), sp), run_all(model(b), sp), 0.0)
    check("(a) olmoe: rope_parameters {rope_theta: 500} == rope_theta 500", ok, why or f"{worst}")


# ------------------------------------------------------------------ (b)

def to_fused(src, dst):
    """the same weights in transformers-v5 fused names (conversion_mapping.py)."""
    cfg, _ = fr.load_checkpoint(src)
    fam = cfg["model_type"]

    def edit(t):
        out = {}
        groups = {}
        for k, v in t.items():
            parts = k.split(".")
            if ".experts." in k and parts[-2] in ("gate_proj", "up_proj", "down_proj", "w1", "w2", "w3") \
                    and parts[parts.index("experts") + 1].isdigit():
                i = parts.index("experts")
                pre = ".".join(parts[:i]).replace("block_sparse_moe", "mlp")
                groups.setdefault(pre, {})[(int(parts[i + 1]), parts[i + 2])] = v
            elif fam == "mixtral" and ".block_sparse_moe.gate." in k:
                out[k.replace("block_sparse_moe", "mlp")] = v
            else:
                out[k] = v
        for pre, g in groups.items():
            E = 1 + max(e for e, _ in g)
            gname, uname, dname = ("w1", "w3", "w2") if fam == "mixtral" else ("gate_proj", "up_proj", "down_proj")
            out[pre + ".experts.gate_up_proj"] = np.stack(
                [np.concatenate([g[(e, gname)], g[(e, uname)]], 0) for e in range(E)])
            out[pre + ".experts.down_proj"] = np.stack([g[(e, dname)] for e in range(E)])
        return out
    return rewrite(src, dst, tensor_edit=edit)


def check_b():
    # mixtral == granitemoe == qwen2_moe (shared expert with down_proj 0)
    mx = mkgen("eq-mixtral", "mixtral", "--seed", 21, "--theta", 10000.0, "--eps", 1e-5)
    sp = samples("eq", 256, [1, 5, 40], 21)
    ref = run_all(model(mx), sp)

    def granite_cfg(c):
        c = {k: v for k, v in c.items() if k not in ("sliding_window", "router_jitter_noise")}
        hd = c["hidden_size"] // c["num_attention_heads"]
        c.update(model_type="granitemoe", architectures=["GraniteMoeForCausalLM"], embedding_multiplier=1.0,
                 residual_multiplier=1.0, attention_multiplier=hd ** -0.5, logits_scaling=1.0)
        return c

    def granite_t(t):
        out = {}
        L = 1 + max(int(k.split(".")[2]) for k in t if k.startswith("model.layers."))
        for k, v in t.items():
            if ".block_sparse_moe." not in k:
                out[k] = v
        for l in range(L):
            p = f"model.layers.{l}.block_sparse_moe."
            E = sum(1 for k in t if k.startswith(p + "experts.") and k.endswith(".w1.weight"))
            out[p + "router.layer.weight"] = t[p + "gate.weight"]
            out[p + "input_linear.weight"] = np.stack(
                [np.concatenate([t[f"{p}experts.{e}.w1.weight"], t[f"{p}experts.{e}.w3.weight"]]) for e in range(E)])
            out[p + "output_linear.weight"] = np.stack([t[f"{p}experts.{e}.w2.weight"] for e in range(E)])
        return out
    gr = rewrite(mx, os.path.join(TMP, "eq-granite"), granite_cfg, granite_t)
    ok, worst, why = same_outputs(run_all(model(gr), sp), ref, 1e-12)
    check(f"(b) mixtral == granitemoe (top-k of logits then softmax == renormalized softmax top-k; "
          f"worst {worst:.1e})", ok, why)

    rng = np.random.default_rng(3)

    def qwen_cfg(c):
        E = c["num_local_experts"]
        c = {k: v for k, v in c.items() if k not in ("sliding_window", "router_jitter_noise", "num_local_experts")}
        c.update(model_type="qwen2_moe", architectures=["Qwen2MoeForCausalLM"], num_experts=E,
                 moe_intermediate_size=c["intermediate_size"], shared_expert_intermediate_size=16,
                 norm_topk_prob=True, qkv_bias=False, decoder_sparse_step=1, mlp_only_layers=[],
                 use_sliding_window=False)
        return c

    def qwen_t(t):
        out = {}
        for k, v in t.items():
            if ".block_sparse_moe." not in k:
                out[k] = v
                continue
            k2 = k.replace("block_sparse_moe", "mlp").replace(".w1.", ".gate_proj.").replace(
                ".w3.", ".up_proj.").replace(".w2.", ".down_proj.")
            out[k2] = v
        D = t["model.norm.weight"].shape[0]
        for k in list(out):
            if k.endswith("mlp.gate.weight"):
                p = k[:-len("gate.weight")]
                out[p + "shared_expert.gate_proj.weight"] = rng.standard_normal((16, D)).astype(np.float32)
                out[p + "shared_expert.up_proj.weight"] = rng.standard_normal((16, D)).astype(np.float32)
                out[p + "shared_expert.down_proj.weight"] = np.zeros((D, 16), np.float32)
                out[p + "shared_expert_gate.weight"] = rng.standard_normal((1, D)).astype(np.float32)
        return out
    qw = rewrite(mx, os.path.join(TMP, "eq-qwen2"), qwen_cfg, qwen_t)
    ok, worst, why = same_outputs(run_all(model(qw), sp), ref, 1e-12)
    check(f"(b) mixtral == qwen2_moe with norm_topk_prob, qkv_bias false, zero shared expert "
          f"(worst {worst:.1e})", ok, why)

    # olmoe with one head == qwen3_moe with one head (norm over the full width == over the head)
    ol = mkgen("eq-olmoe1", "olmoe", "--heads", 1, "--kv-heads", 1, "--norm-topk", 1, "--seed", 22)

    def q3_cfg(c):
        c = dict(c)
        c.update(model_type="qwen3_moe", architectures=["Qwen3MoeForCausalLM"],
                 moe_intermediate_size=c["intermediate_size"], head_dim=c["hidden_size"],
                 decoder_sparse_step=1, mlp_only_layers=[], use_sliding_window=False)
        del c["clip_qkv"]
        return c
    q3 = rewrite(ol, os.path.join(TMP, "eq-qwen3"), q3_cfg)
    sp1 = samples("eq1", 256, [2, 33], 22)
    ok, worst, why = same_outputs(run_all(model(q3), sp1), run_all(model(ol), sp1), 1e-12)
    check(f"(b) olmoe (1 head) == qwen3_moe (1 head, head_dim = hidden) (worst {worst:.1e})", ok, why)

    # per-expert == fused for every family with both layouts
    for fam in ("olmoe", "mixtral", "qwen2_moe", "qwen3_moe", "deepseek_v2", "deepseek_v3"):
        s = mkgen(f"split-{fam}", fam, "--seed", 23)
        f = to_fused(s, os.path.join(TMP, f"fused-{fam}"))
        spf = samples(f"sf-{fam}", 256, [1, 17], 23)
        ok, worst, why = same_outputs(run_all(model(f), spf), run_all(model(s), spf), 0.0)
        check(f"(b) {fam}: per-expert tensors == fused mlp.experts.gate_up_proj/down_proj", ok,
              why or f"{worst}")
        # and the generator's own --fused writes what the reference reads
        g = mkgen(f"genfused-{fam}", fam, "--seed", 23, "--fused")
        names = fr.load_checkpoint(g)[1].keys()
        check(f"(b) {fam}: gen --fused writes v5 names", any(n.endswith("experts.gate_up_proj") for n in names)
              and not any(".experts.0." in n for n in names))
        model(g)

    # rope_parameters map == rope_theta + rope_scaling (YaRN)
    for fam in ("deepseek_v2", "deepseek_v3"):
        a = mkgen(f"rp-{fam}", fam, "--seed", 24, "--rope-parameters")
        b = mkgen(f"rs-{fam}", fam, "--seed", 24)
        spr = samples(f"rp-{fam}", 256, [9, 70], 24)
        ok, worst, why = same_outputs(run_all(model(a), spr), run_all(model(b), spr), 0.0)
        check(f"(b) {fam}: rope_parameters map == rope_theta + rope_scaling (yarn)", ok, why or f"{worst}")

    # rope_interleave: true on W == false on W with each head's rope rows de-interleaved
    a = mkgen("ri-true", "deepseek_v3", "--seed", 25, "--q-lora", 32)
    cfg = json.load(open(os.path.join(a, "config.json")))
    H, nope, r, kvl = cfg["num_attention_heads"], cfg["qk_nope_head_dim"], cfg["qk_rope_head_dim"], cfg["kv_lora_rank"]
    perm = list(range(0, r, 2)) + list(range(1, r, 2))

    def deint(t):
        t = dict(t)
        for k in list(t):
            if k.endswith("self_attn.q_b_proj.weight"):
                w = t[k].reshape(H, nope + r, -1).copy()
                w[:, nope:] = w[:, nope:][:, perm]
                t[k] = w.reshape(H * (nope + r), -1)
            if k.endswith("self_attn.kv_a_proj_with_mqa.weight"):
                w = t[k].copy()
                w[kvl:] = w[kvl:][perm]
                t[k] = w
        return t
    b = rewrite(a, os.path.join(TMP, "ri-false"), lambda c: dict(c, rope_interleave=False), deint)
    spi = samples("ri", 256, [3, 50], 25)
    ok, worst, why = same_outputs(run_all(model(b), spi), run_all(model(a), spi), 1e-12)
    check(f"(b) deepseek_v3: rope_interleave true == false on de-interleaved rope rows (worst {worst:.1e})",
          ok, why)


# ------------------------------------------------------------------ (c)

SHAPES = {
    "olmoe": [[], ["--hidden", 48, "--heads", 6, "--kv-heads", 3, "--experts", 12, "--top-k", 3, "--norm-topk", 1],
              ["--clip-qkv", 0.5, "--experts", 16, "--top-k", 4, "--layers", 2]],
    "mixtral": [[], ["--hidden", 48, "--heads", 6, "--kv-heads", 2, "--window", 5, "--experts", 4],
                ["--head-dim", 24, "--kv-heads", 1, "--window", 3, "--top-k", 1]],
    "qwen2_moe": [[], ["--sparse-step", 2, "--mlp-only", "", "--norm-topk", 1, "--window", 4, "--layers", 4],
                  ["--qkv-bias", 0, "--mlp-only", "0,2", "--experts", 16, "--top-k", 4, "--hidden", 32]],
    "qwen3_moe": [[], ["--head-dim", 8, "--attn-bias", 1, "--window", 6, "--norm-topk", 0],
                  ["--heads", 2, "--kv-heads", 1, "--head-dim", 40, "--mlp-only", "", "--top-k", 3]],
    "deepseek_v2": [[], ["--topk-method", "greedy", "--q-lora", 0, "--rope", "default", "--n-shared", 2,
                         "--first-dense", 0],
                    ["--experts", 12, "--n-group", 3, "--topk-group", 1, "--top-k", 3, "--attn-bias", 1,
                     "--yarn-factor", 8.0, "--qk-rope", 16, "--scaling", 16.0]],
    "deepseek_v3": [[], ["--q-lora", 24, "--experts", 32, "--n-group", 8, "--topk-group", 3, "--top-k", 6,
                         "--bias-scale", 0.2],
                    ["--interleave", 0, "--norm-topk", 0, "--n-shared", 0, "--first-dense", 2, "--layers", 3,
                     "--rope", "default", "--mscale-all-dim", 0.0]],
    "granitemoe": [[], ["--attn-bias", 1, "--kv-heads", 2, "--top-k", 3, "--experts", 10],
                   ["--tied", 0, "--emb-mult", 12.0, "--res-mult", 0.22, "--logits-scaling", 6.0]],
    "granitemoeshared": [[], ["--shared-ffn", 0], ["--kv-heads", 1, "--top-k", 1, "--shared-ffn", 20]],
}
VARIANTS = [[], ["--dtype", "bf16", "--fused", "--shards", 2, "--rope-parameters"], ["--dtype", "bf16"]]


def invariants(fam, m, outs, spath):
    s = m.s
    T_of = {x["id"]: len(x["tokens"]) for x in read(spath)}
    why = []
    for o in outs:
        T, L, E, K = T_of[o["id"]], m.L, m.E, m.K
        vals = np.array(o["token_nll"] + o["router_mean"] + o["topk_mean"] + o["topk_weights"])
        if not np.isfinite(vals).all():
            why.append(f"{o['id']}: non-finite")
        ids = np.array(o["topk_ids"]).reshape(T, L, K)
        if ids.size and (ids.min() < 0 or ids.max() >= E or
                         any(len(set(ids[t, l])) != K for t in range(T) for l in range(L))):
            why.append(f"{o['id']}: expert ids not K distinct in range")
        rm = np.array(o["router_mean"]).reshape(L, E)
        if L and np.abs(rm.sum(1) - 1).max() > 1e-9:
            why.append(f"{o['id']}: router_mean rows sum to {rm.sum(1)}")
        w = np.array(o["topk_weights"]).reshape(T, L, K)
        ws = w.sum(-1)
        if s.router == "softmax_topk" and s.norm_topk or s.router == "granite":
            want = np.ones_like(ws)
        elif s.router == "v3" and s.norm_topk:
            want = np.full_like(ws, s.scale)
        else:
            want = None
        if want is not None and ws.size and np.abs(ws - want).max() > 1e-9:
            why.append(f"{o['id']}: applied weights sum to {ws.max()} not {want.flat[0]}")
        if want is None and ws.size and ((w < 0).any() or (s.router == "softmax_topk" and ws.max() > 1 + 1e-12)):
            why.append(f"{o['id']}: applied weights out of range")
        tm = np.array(o["topk_mean"]).reshape(L, E)
        if L and np.abs(tm.sum(1) - ws.mean(0)).max() > 1e-9:
            why.append(f"{o['id']}: topk_mean rows do not sum to the mean weight sum")
    return why


def as_traces(outs, spath, L, E, K):
    """families_ref `run` output as trace records (what router-trace --emit-topk writes)."""
    ss = {x["id"]: x for x in read(spath)}
    recs = []
    for o in outs:
        smp = ss[o["id"]]
        recs.append(dict(type="trace", id=o["id"], domain=smp["domain"], source=smp["source"],
                         index=smp["index"], n_tokens=len(smp["tokens"]), n_layers=L, n_experts=E, top_k=K,
                         loss=o["loss"], token_nll=o["token_nll"], router_mean=o["router_mean"],
                         topk_mean=o["topk_mean"], topk_ids=o["topk_ids"], topk_weights=o["topk_weights"]))
    return recs


def compare(m, spath, recs):
    tp = os.path.join(TMP, "trace.jsonl")
    with open(tp, "w") as fh:
        for r in recs:
            fh.write(json.dumps(r) + "\n")
    a = types.SimpleNamespace(samples=spath, trace=tp, nll_tol=1e-4, router_tol=1e-5, tie=1e-5)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = fr.cmd_compare(a, m)
    return rc, buf.getvalue()


def check_c():
    n = 0
    for fam, shapes in SHAPES.items():
        for i, shape in enumerate(shapes):
            var = VARIANTS[i % len(VARIANTS)]
            name = f"{fam}-{i}"
            d = mkgen(name, fam, "--seed", 31 + i, *shape, *var)
            m = model(d)
            sp = samples(name, 256, [1, 2, 9, 40], 31 + i)
            m.logit_std.clear()
            outs = run_all(m, sp)
            why = invariants(fam, m, outs, sp)
            spread = float(np.median(m.logit_std))
            used = {e for o in outs for e in o["topk_ids"]}
            check(f"(c) {fam}-{i}: routing not degenerate (router logit std {spread:.2f}, "
                  f"{len(used)} of {m.E} experts used)", 0.4 < spread < 2.5 and len(used) >= min(m.E, 2 * m.K))
            desc = " ".join(str(x) for x in shape + var) or "defaults"
            check(f"(c) {fam} [{desc}]: finite, K distinct experts, router_mean sums to 1, weights sum right "
                  f"(L={m.L} of {m.s.L} layers MoE)", not why, "; ".join(why[:3]))
            # float32 reference as the "C" side of compare: passes within 1e-4 with ties excused
            m32 = model(d, fp32=True)
            out32 = run_all(m32, sp)
            rc, text = compare(m, sp, as_traces(out32, sp, m.L, m.E, m.K))
            line = [l for l in text.splitlines() if "top-k ids" in l or "token_nll" in l]
            check(f"(c) {fam}-{i}: float32 run passes compare against float64 ({'; '.join(line)})", rc == 0,
                  text[-400:])
            n += 1
            if i == 0:
                recs = as_traces(outs, sp, m.L, m.E, m.K)
                r = recs[-1]
                ids = list(r["topk_ids"])
                # replace token 5's first expert of MoE layer 0 by an expert not chosen there
                K = m.K
                pos = 5 * m.L * K
                chosen = set(ids[pos:pos + K])
                ids[pos] = next(e for e in range(m.E) if e not in chosen)
                r["topk_ids"] = ids
                rc, text = compare(m, sp, recs)
                check(f"(c) {fam}: compare counts a flipped expert", rc == 1 and "1 mismatches" in text,
                      text[-300:])
    return n


REFUSALS = [
    ("olmoe", {"foo_bar": 1}, "foo_bar"),
    ("olmoe", {"quantization_config": {"quant_method": "fp8"}}, "quantization_config"),
    ("olmoe", {"hidden_act": "gelu"}, "hidden_act"),
    ("olmoe", {"rope_scaling": {"type": "dynamic", "factor": 2.0}}, "rope_scaling.rope_type"),
    ("mixtral", {"rope_theta": None}, "rope_theta"),  # olmoe has a default of 10000 in every version
    ("olmoe", {"rope_parameters": {"rope_type": "default", "rope_theta": 500.0}}, "rope_theta"),
    ("olmoe", {"partial_rotary_factor": 0.5}, "partial_rotary_factor"),
    ("mixtral", {"num_key_value_heads": None}, "num_key_value_heads"),
    ("qwen2_moe", {"use_sliding_window": True, "sliding_window": 8}, "use_sliding_window"),
    ("qwen2_moe", {"mlp_only_layers": [0, 1, 2], "intermediate_size": None}, "intermediate_size"),
    ("deepseek_v2", {"topk_method": "noaux_tc"}, "topk_method"),
    ("deepseek_v2", {"scoring_func": "sigmoid"}, "scoring_func"),
    ("deepseek_v2", {"moe_layer_freq": 2}, "moe_layer_freq"),
    ("deepseek_v2", {"n_group": 3}, "n_group"),
    ("deepseek_v2", {"rope_scaling": {"type": "yarn", "factor": 4.0, "low_freq_factor": 1.0,
                                      "original_max_position_embeddings": 64}}, "rope_scaling.low_freq_factor"),
    ("deepseek_v2", {"rope_scaling": {"type": "yarn", "factor": 5.0, "original_max_position_embeddings": 64}},
     "rope_scaling.factor"),
    ("deepseek_v3", {"topk_method": "greedy"}, "topk_method"),
    ("deepseek_v3", {"topk_group": 5}, "topk_group"),
    ("deepseek_v3", {"mlp_bias": True}, "mlp_bias"),
    ("granitemoe", {"num_local_experts": None}, "num_local_experts"),
]


# config.json of released checkpoints (values as published; metadata keys trimmed to a few)
META = {"architectures": ["X"], "torch_dtype": "bfloat16", "transformers_version": "4.46.0", "use_cache": True,
        "bos_token_id": 1, "eos_token_id": 2, "initializer_range": 0.02, "attention_dropout": 0.0,
        "hidden_act": "silu", "tie_word_embeddings": False}
RELEASED = {
    "OLMoE-1B-7B-0924": dict(model_type="olmoe", vocab_size=50304, hidden_size=2048, intermediate_size=1024,
                             num_hidden_layers=16, num_attention_heads=16, num_key_value_heads=16,
                             max_position_embeddings=4096, rope_theta=10000.0, rope_scaling=None,
                             attention_bias=False, clip_qkv=None, num_experts_per_tok=8, num_experts=64,
                             output_router_logits=False, router_aux_loss_coef=0.01, norm_topk_prob=False,
                             pad_token_id=1),
    "Mixtral-8x7B-v0.1": dict(model_type="mixtral", vocab_size=32000, hidden_size=4096, intermediate_size=14336,
                              num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=8,
                              max_position_embeddings=32768, rms_norm_eps=1e-5, rope_theta=1e6,
                              sliding_window=None, num_experts_per_tok=2, num_local_experts=8,
                              output_router_logits=False, router_aux_loss_coef=0.02),
    "Qwen1.5-MoE-A2.7B": dict(model_type="qwen2_moe", vocab_size=151936, hidden_size=2048, intermediate_size=5632,
                              num_hidden_layers=24, num_attention_heads=16, num_key_value_heads=16,
                              max_position_embeddings=8192, rms_norm_eps=1e-6, rope_theta=1e6,
                              use_sliding_window=False, sliding_window=32768, max_window_layers=21,
                              decoder_sparse_step=1, moe_intermediate_size=1408,
                              shared_expert_intermediate_size=5632, num_experts_per_tok=4, num_experts=60,
                              norm_topk_prob=False, output_router_logits=False, router_aux_loss_coef=0.001),
    "Qwen3-30B-A3B": dict(model_type="qwen3_moe", vocab_size=151936, hidden_size=2048, intermediate_size=6144,
                          num_hidden_layers=48, num_attention_heads=32, num_key_value_heads=4, head_dim=128,
                          max_position_embeddings=40960, rms_norm_eps=1e-6, rope_theta=1e6, rope_scaling=None,
                          attention_bias=False, use_sliding_window=False, sliding_window=None,
                          max_window_layers=48, decoder_sparse_step=1, moe_intermediate_size=768,
                          num_experts_per_tok=8, num_experts=128, norm_topk_prob=True, mlp_only_layers=[],
                          output_router_logits=False, router_aux_loss_coef=0.001),
    "DeepSeek-V2-Lite": dict(model_type="deepseek_v2", vocab_size=102400, hidden_size=2048, intermediate_size=10944,
                             moe_intermediate_size=1408, num_hidden_layers=27, num_attention_heads=16,
                             num_key_value_heads=16, n_shared_experts=2, n_routed_experts=64,
                             routed_scaling_factor=1.0, kv_lora_rank=512, q_lora_rank=None, qk_rope_head_dim=64,
                             v_head_dim=128, qk_nope_head_dim=128, topk_method="greedy", n_group=1, topk_group=1,
                             num_experts_per_tok=6, moe_layer_freq=1, first_k_dense_replace=1,
                             norm_topk_prob=False, scoring_func="softmax", aux_loss_alpha=0.001, seq_aux=True,
                             max_position_embeddings=163840, rms_norm_eps=1e-6, rope_theta=10000,
                             rope_scaling={"beta_fast": 32, "beta_slow": 1, "factor": 40, "mscale": 0.707,
                                           "mscale_all_dim": 0.707, "original_max_position_embeddings": 4096,
                                           "type": "yarn"},
                             attention_bias=False, pretraining_tp=1, auto_map={}),
    "DeepSeek-V3 (bf16)": dict(model_type="deepseek_v3", vocab_size=129280, hidden_size=7168, intermediate_size=18432,
                               moe_intermediate_size=2048, num_hidden_layers=61, num_nextn_predict_layers=1,
                               num_attention_heads=128, num_key_value_heads=128, n_shared_experts=1,
                               n_routed_experts=256, ep_size=1, routed_scaling_factor=2.5, kv_lora_rank=512,
                               q_lora_rank=1536, qk_rope_head_dim=64, v_head_dim=128, qk_nope_head_dim=128,
                               topk_method="noaux_tc", n_group=8, topk_group=4, num_experts_per_tok=8,
                               moe_layer_freq=1, first_k_dense_replace=3, norm_topk_prob=True,
                               scoring_func="sigmoid", aux_loss_alpha=0.001, seq_aux=True,
                               max_position_embeddings=163840, rms_norm_eps=1e-6, rope_theta=10000,
                               rope_scaling={"beta_fast": 32, "beta_slow": 1, "factor": 40, "mscale": 1.0,
                                             "mscale_all_dim": 1.0, "original_max_position_embeddings": 4096,
                                             "type": "yarn"},
                               attention_bias=False, pretraining_tp=1),
    "granite-3.0-1b-a400m": dict(model_type="granitemoe", vocab_size=49155, hidden_size=1024, intermediate_size=512,
                                 num_hidden_layers=24, num_attention_heads=16, num_key_value_heads=8,
                                 max_position_embeddings=4096, rms_norm_eps=1e-6, rope_theta=10000.0,
                                 rope_scaling=None, attention_bias=False, embedding_multiplier=12.0,
                                 residual_multiplier=0.22, attention_multiplier=0.015625, logits_scaling=6.0,
                                 num_local_experts=32, num_experts_per_tok=8, output_router_logits=False,
                                 router_aux_loss_coef=0.001, tie_word_embeddings=True, pad_token_id=0),
}


def check_released():
    m40 = 0.1 * math.log(40) + 1
    m40v2 = 0.1 * 0.707 * math.log(40) + 1  # V2-Lite's mscale_all_dim 0.707, factor 40
    want = {  # (MoE layers, router, softmax scale)
        "OLMoE-1B-7B-0924": (16, "softmax_topk", 128 ** -0.5),
        "Mixtral-8x7B-v0.1": (32, "softmax_topk", 128 ** -0.5),
        "Qwen1.5-MoE-A2.7B": (24, "softmax_topk", 128 ** -0.5),
        "Qwen3-30B-A3B": (48, "softmax_topk", 128 ** -0.5),
        "DeepSeek-V2-Lite": (26, "v2_greedy", 192 ** -0.5 * m40v2 * m40v2),  # HF PR #47435
        "DeepSeek-V3 (bf16)": (58, "v3", 192 ** -0.5 * m40 * m40),
        "granite-3.0-1b-a400m": (24, "granite", 0.015625),
    }
    for name, c in RELEASED.items():
        cfg = dict(META, **c)
        if name == "OLMoE-1B-7B-0924":
            cfg.pop("tie_word_embeddings")
        try:
            s = fr.Spec(cfg)
            scale = s.attn_scale if s.attn_scale is not None else s.hd ** -0.5
            got = (len(s.moe_layers), s.router, scale)
            w = want[name]
            check(f"(c) released config {name} parses: {got[0]} MoE layers, router {got[1]}, scale {got[2]:.6f}",
                  got[:2] == w[:2] and abs(got[2] - w[2]) < 1e-12, f"expected {w}")
        except fr.ConfigError as e:
            check(f"(c) released config {name} parses", False, str(e))
    cfg = dict(META, **RELEASED["DeepSeek-V3 (bf16)"], quantization_config={"quant_method": "fp8"})
    try:
        fr.Spec(cfg)
        check("(c) DeepSeek-V3 as released (fp8 quantization_config) is refused", False, "accepted")
    except fr.ConfigError as e:
        check("(c) DeepSeek-V3 as released (fp8 quantization_config) is refused", e.key == "quantization_config")


def check_refusals():
    base = {}
    for fam in {f for f, _, _ in REFUSALS}:
        base[fam] = json.load(open(os.path.join(mkgen(f"refuse-{fam}", fam), "config.json")))
    for fam, edit, key in REFUSALS:
        cfg = dict(base[fam])
        for k, v in edit.items():
            if v is None:
                cfg.pop(k, None)
            else:
                cfg[k] = v
        if "rope_parameters" in edit:
            cfg["rope_theta"] = 10000.0
        try:
            fr.Spec(cfg)
            check(f"(c) refuses {fam} {edit}", False, "accepted")
        except fr.ConfigError as e:
            check(f"(c) refuses {fam} {edit} naming {key!r}", e.key == key, str(e))
    # tensors: a stray one and a missing one
    d = mkgen("strict", "qwen3_moe")
    x = rewrite(d, os.path.join(TMP, "strict-extra"),
                tensor_edit=lambda t: dict(t, **{"model.layers.0.mlp.stray.weight": np.zeros(3, np.float32)}))
    try:
        model(x)
        check("(c) refuses a tensor the family does not use", False, "accepted")
    except ValueError as e:
        check("(c) refuses a tensor the family does not use", "stray" in str(e), str(e))
    y = rewrite(d, os.path.join(TMP, "strict-missing"),
                tensor_edit=lambda t: {k: v for k, v in t.items() if "layers.1.self_attn.k_norm" not in k})
    try:
        model(y)
        check("(c) refuses a checkpoint missing a tensor", False, "accepted")
    except KeyError as e:
        check("(c) refuses a checkpoint missing a tensor", "k_norm" in str(e), str(e))


# ------------------------------------------------------------------ (d)

def check_d():
    D = torch.float64
    # deepseek_v3: sigmoid scores s, bias b (selection only); 4 groups of 2, keep 2, top-3.
    s = torch.tensor([[0.9, 0.1, 0.5, 0.6, 0.8, 0.7, 0.2, 0.3]], dtype=D)
    b = torch.tensor([0.0, 0.0, 0.0, 0.0, -0.45, 0.0, 0.4, 0.0], dtype=D)
    logits = torch.log(s / (1 - s))
    # biased c = [.9 .1 .5 .6 .35 .7 .6 .3]; group sums of top-2: g0 1.0, g1 1.1, g2 1.05, g3 0.9
    # keep g1, g2 -> experts 2..5, c there [.5 .6 .35 .7] -> top-3: 5, 3, 2 (expert 0, the best
    # unbiased score, is in a dropped group; expert 6 is lifted by its bias but its group loses)
    # weights: s = .7 .6 .5, sum 1.8 -> /1.8 * 2.5 = .972222 .833333 .694444
    ids, w, g, sel, gs = fr.route_deepseek_v3(logits, b, 3, 4, 2, True, 2.5)
    check("(d) deepseek_v3 groups: experts [5, 3, 2]", ids.tolist() == [[5, 3, 2]], str(ids.tolist()))
    check("(d) deepseek_v3 weights .7/.6/.5 over 1.8 times 2.5",
          torch.allclose(w, torch.tensor([[0.7, 0.6, 0.5]], dtype=D) / 1.8 * 2.5, atol=1e-12), str(w.tolist()))
    check("(d) deepseek_v3 group scores [1.0, 1.1, 1.05, 0.9]",
          torch.allclose(gs, torch.tensor([[1.0, 1.1, 1.05, 0.9]], dtype=D), atol=1e-12), str(gs.tolist()))
    check("(d) deepseek_v3 g = s / sum(s) (no bias), sums to 1",
          torch.allclose(g, s / 4.1, atol=1e-12) and abs(float(g.sum()) - 1) < 1e-12)
    ids, w, *_ = fr.route_deepseek_v3(logits, b, 3, 4, 2, False, 1.0)
    check("(d) deepseek_v3 without norm_topk_prob: raw sigmoid weights",
          torch.allclose(w, torch.tensor([[0.7, 0.6, 0.5]], dtype=D), atol=1e-12), str(w.tolist()))
    ids, *_ = fr.route_deepseek_v3(logits, torch.zeros(8, dtype=D), 3, 1, 1, True, 1.0)
    check("(d) deepseek_v3 one group, no bias: plain top-3 of sigmoid [0, 4, 5]", ids.tolist() == [[0, 4, 5]],
          str(ids.tolist()))
    # deepseek_v2 group_limited_greedy: 3 groups of 2, keep 1 (max score), top-2 inside
    lg = torch.tensor([[2.0, 1.9, 0.0, 2.1, 1.0, -1.0]], dtype=D)
    p = torch.softmax(lg, -1)
    ids, w, g, *_ = fr.route_deepseek_v2(lg, 2, "v2_group", 3, 1, 16.0)
    check("(d) deepseek_v2 group_limited_greedy keeps group {2,3}: experts [3, 2]", ids.tolist() == [[3, 2]],
          str(ids.tolist()))
    check("(d) deepseek_v2 weights = softmax x routed_scaling_factor, not renormalized",
          torch.allclose(w, p[:, [3, 2]] * 16.0, atol=1e-12))
    ids, *_ = fr.route_deepseek_v2(lg, 2, "v2_greedy", 1, 1, 1.0)
    check("(d) deepseek_v2 greedy: experts [3, 0]", ids.tolist() == [[3, 0]], str(ids.tolist()))
    # granite: top-k of the logits, softmax over those k only
    lg = torch.tensor([[1.0, 3.0, 2.0, -1.0]], dtype=D)
    ids, w, g, *_ = fr.route_granite(lg, 2)
    e = math.e
    check("(d) granite top-2 of logits [1, 3, 2, -1]: experts [1, 2]", ids.tolist() == [[1, 2]])
    check("(d) granite weights e/(e+1), 1/(e+1)",
          torch.allclose(w, torch.tensor([[e / (e + 1), 1 / (e + 1)]], dtype=D), atol=1e-12), str(w.tolist()))
    check("(d) granite g = softmax over all 4", torch.allclose(g, torch.softmax(lg, -1), atol=1e-15))
    # softmax top-k: equal probabilities go to the lower index; olmoe weights not renormalized
    lg = torch.tensor([[0.5, 1.0, 1.0, 0.0]], dtype=D)
    ids, w, *_ = fr.route_softmax_topk(lg, 2, False)
    check("(d) softmax top-2 with a tie: experts [1, 2]", ids.tolist() == [[1, 2]])
    check("(d) softmax top-2 raw weights sum < 1", float(w.sum()) < 1)
    # YaRN, dim 8, theta 1e4, factor 4, original 64, beta 32/1: correction range [0, 2] (from
    # -0.497 floored and 1.008 ceiled), ramp [0, .5, 1, 1] -> extrapolation share [1, .5, 0, 0]
    rope = fr.parse_rope({"rope_theta": 10000.0, "max_position_embeddings": 256,
                          "rope_scaling": {"type": "yarn", "factor": 4.0, "original_max_position_embeddings": 64,
                                           "beta_fast": 32, "beta_slow": 1, "mscale": 0.707,
                                           "mscale_all_dim": 0.707}})
    inv, att = fr.rope_inv_freq(rope, 8)
    want = torch.tensor([1.0, 0.5 * 0.1 / 4 + 0.5 * 0.1, 0.01 / 4, 0.001 / 4], dtype=D)
    check("(d) YaRN inv_freq [1, .0625, .0025, .00025], attention factor 1 (mscale == mscale_all_dim)",
          torch.allclose(inv, want, rtol=1e-12) and abs(att - 1) < 1e-15, f"{inv.tolist()} {att}")
    rope["mscale"], rope["mscale_all_dim"] = None, None
    _, att = fr.rope_inv_freq(rope, 8)
    check("(d) YaRN attention factor 0.1 ln 4 + 1 without mscale", abs(att - (0.1 * math.log(4) + 1)) < 1e-15)
    # deepseek_v3 softmax scale: qk_head_dim^-0.5 * (0.1 * mscale_all_dim * ln factor + 1)^2
    cfg = json.load(open(os.path.join(mkgen("scale-v3", "deepseek_v3"), "config.json")))
    sp = fr.Spec(cfg)
    m = 0.1 * 1.0 * math.log(4.0) + 1
    check("(d) deepseek_v3 softmax scale (16+8)^-0.5 * (0.1 ln 4 + 1)^2",
          abs(sp.attn_scale - 24 ** -0.5 * m * m) < 1e-15, str(sp.attn_scale))
    cfg = json.load(open(os.path.join(mkgen("scale-v2", "deepseek_v2"), "config.json")))
    check("(d) deepseek_v2 softmax scale (HF since PR #47435): (16+8)^-0.5 * (0.0707 ln 4 + 1)^2",
          abs(fr.Spec(cfg).attn_scale - 24 ** -0.5 * (0.0707 * math.log(4) + 1) ** 2) < 1e-15)
    check("(d) deepseek_v2 --v2-old-hf-scale: (16+8)^-0.5, no mscale",
          abs(fr.Spec(cfg, True).attn_scale - 24 ** -0.5) < 1e-15)
    # sliding window: with q = k = 0 every allowed key weighs the same, so position i's output
    # is the mean of the one-hot values of keys i-w+1 .. i
    T, w = 6, 3
    v = torch.eye(T, dtype=D)[:, None, :]
    o = fr.attend(torch.zeros(T, 1, 2, dtype=D), torch.zeros(T, 1, 2, dtype=D), v, 1.0, w)[:, 0]
    want = torch.zeros(T, T, dtype=D)
    for i in range(T):
        lo = max(0, i - w + 1)
        want[i, lo:i + 1] = 1.0 / (i + 1 - lo)
    check("(d) sliding window 3: query i attends keys i-2..i (HF kv_idx > q_idx - window)",
          torch.allclose(o, want, atol=1e-15))
    # and a windowed mixtral equals the unwindowed one up to the window, differs after
    a = mkgen("win", "mixtral", "--window", 4, "--seed", 41)
    b = rewrite(a, os.path.join(TMP, "nowin"), lambda c: dict(c, sliding_window=None))
    spw = samples("win", 256, [20], 41)
    ra, rb = run_all(model(a), spw)[0], run_all(model(b), spw)[0]
    na, nb = np.array(ra["token_nll"]), np.array(rb["token_nll"])
    check("(d) mixtral window 4: same NLL as no window for tokens 1..3, different after",
          np.abs(na[:3] - nb[:3]).max() < 1e-12 and np.abs(na[4:] - nb[4:]).min() > 0)


# ------------------------------------------------------------------ (d) a second forward pass
# Plain numpy, per token and per head, written again from the HF code with different
# formulations: rope as complex rotation (HF deepseek_v2's view_as_complex; rotate-half as
# x[i] + i x[i+d/2]), routing by Python sorting, experts one token at a time. It checks the
# paths no equivalence above reaches: MLA with YaRN (cos/sin factor and softmax mscale), the
# v3 router with bias and shared experts, dense layers, qwen2_moe's sigmoid-gated shared
# expert and q/k/v biases, Granite's multipliers and shared MLP.


def np_forward(folder, tokens):
    cfg, W = fr.load_checkpoint(folder)
    fam = cfg["model_type"]
    D, L, H = cfg["hidden_size"], cfg["num_hidden_layers"], cfg["num_attention_heads"]
    eps = cfg.get("rms_norm_eps", 1e-6)
    T = len(tokens)

    def norm(x, w, e=eps):
        return w * x / np.sqrt((x * x).mean(-1, keepdims=True) + e)

    def silu(x):
        return x / (1 + np.exp(-x))

    def mlp(x, g, u, d):
        return (silu(x @ g.T) * (x @ u.T)) @ d.T

    rs = cfg.get("rope_scaling") or {}
    theta = cfg["rope_theta"]
    mla = fam.startswith("deepseek")
    dim = cfg["qk_rope_head_dim"] if mla else cfg.get("head_dim") or D // H
    j = np.arange(dim // 2)
    inv = theta ** (-2.0 * j / dim)
    att = 1.0
    if rs.get("type") == "yarn":
        f, om = rs["factor"], rs["original_max_position_embeddings"]
        cd = lambda r: dim * math.log(om / (r * 2 * math.pi)) / (2 * math.log(theta))  # noqa: E731
        lo, hi = max(math.floor(cd(rs["beta_fast"])), 0), min(math.ceil(cd(rs["beta_slow"])), dim - 1)
        ramp = np.clip((j - lo) / ((hi - lo) or 0.001), 0, 1)
        inv = inv / f * ramp + inv * (1 - ramp)
        ms = lambda m: 0.1 * m * math.log(f) + 1  # noqa: E731
        att = ms(rs["mscale"]) / ms(rs["mscale_all_dim"])

    def rot(v, pos, interleaved):
        z = v[0::2] + 1j * v[1::2] if interleaved else v[:dim // 2] + 1j * v[dim // 2:]
        z = z * np.exp(1j * pos * inv) * att
        out = np.empty(dim)
        if interleaved:
            out[0::2], out[1::2] = z.real, z.imag
        else:
            out[:dim // 2], out[dim // 2:] = z.real, z.imag
        return out

    def w(n):
        return W[n]

    emb = cfg.get("embedding_multiplier", 1.0)
    res = cfg.get("residual_multiplier", 1.0)
    x = np.stack([w("model.embed_tokens.weight")[t] for t in tokens]) * emb
    for l in range(L):
        p = f"model.layers.{l}."
        h = norm(x, w(p + "input_layernorm.weight"))
        a = p + "self_attn."
        out = np.zeros((T, D))
        if mla:
            nope, r, vd, kvl = cfg["qk_nope_head_dim"], cfg["qk_rope_head_dim"], cfg["v_head_dim"], cfg["kv_lora_rank"]
            qk = nope + r
            ab = cfg.get("attention_bias")
            bias = lambda n: w(a + n + ".bias") if ab else 0.0  # noqa: E731
            q = h @ w(a + "q_proj.weight").T if cfg["q_lora_rank"] is None else \
                norm(h @ w(a + "q_a_proj.weight").T + bias("q_a_proj"), w(a + "q_a_layernorm.weight"),
                     1e-6) @ w(a + "q_b_proj.weight").T
            ckv = h @ w(a + "kv_a_proj_with_mqa.weight").T + bias("kv_a_proj_with_mqa")
            kv = norm(ckv[:, :kvl], w(a + "kv_a_layernorm.weight"), 1e-6) @ w(a + "kv_b_proj.weight").T
            scale = qk ** -0.5
            if fam == "deepseek_v3" and rs.get("mscale_all_dim"):
                scale *= (0.1 * rs["mscale_all_dim"] * math.log(rs["factor"]) + 1) ** 2
            inter = fam == "deepseek_v2" or cfg.get("rope_interleave", True)
            kpe = [rot(ckv[t, kvl:], t, inter) for t in range(T)]
            o = np.zeros((T, H * vd))
            for hh in range(H):
                qs = [np.concatenate([q[t, hh * qk:hh * qk + nope], rot(q[t, hh * qk + nope:(hh + 1) * qk], t, inter)])
                      for t in range(T)]
                ks = [np.concatenate([kv[t, hh * (nope + vd):hh * (nope + vd) + nope], kpe[t]]) for t in range(T)]
                vs = [kv[t, hh * (nope + vd) + nope:(hh + 1) * (nope + vd)] for t in range(T)]
                for t in range(T):
                    s = np.array([qs[t] @ ks[u] * scale for u in range(t + 1)])
                    pr = np.exp(s - s.max())
                    pr /= pr.sum()
                    o[t, hh * vd:(hh + 1) * vd] = sum(pr[u] * vs[u] for u in range(t + 1))
            out = o @ w(a + "o_proj.weight").T + bias("o_proj")
        else:
            hd = cfg.get("head_dim") or D // H
            Hkv = cfg["num_key_value_heads"]
            qb = fam == "qwen2_moe" and cfg.get("qkv_bias", True) or fam.startswith("granite") and cfg["attention_bias"]

            def proj(n):
                y = h @ w(a + n + ".weight").T
                return y + w(a + n + ".bias") if qb else y
            q, k, v = proj("q_proj"), proj("k_proj"), proj("v_proj")
            scale = cfg["attention_multiplier"] if fam.startswith("granite") else hd ** -0.5
            o = np.zeros((T, H * hd))
            for hh in range(H):
                g = hh // (H // Hkv)
                for t in range(T):
                    qt = rot(q[t, hh * hd:(hh + 1) * hd], t, False)
                    s = np.array([qt @ rot(k[u, g * hd:(g + 1) * hd], u, False) * scale for u in range(t + 1)])
                    pr = np.exp(s - s.max())
                    pr /= pr.sum()
                    o[t, hh * hd:(hh + 1) * hd] = sum(pr[u] * v[u, g * hd:(g + 1) * hd] for u in range(t + 1))
            out = o @ w(a + "o_proj.weight").T
            if fam.startswith("granite") and cfg["attention_bias"]:
                out = out + w(a + "o_proj.bias")
        x = x + out * res
        h = norm(x, w(p + "post_attention_layernorm.weight"))
        moe = {"deepseek_v2": l >= cfg.get("first_k_dense_replace", 0),
               "deepseek_v3": l >= cfg.get("first_k_dense_replace", 3),
               "qwen2_moe": l not in cfg.get("mlp_only_layers", []) and (l + 1) % cfg.get("decoder_sparse_step", 1) == 0
               }.get(fam, True)
        if not moe:
            m = p + "mlp."
            x = x + mlp(h, w(m + "gate_proj.weight"), w(m + "up_proj.weight"), w(m + "down_proj.weight")) * res
            continue
        y = np.zeros((T, D))
        K = cfg["num_experts_per_tok"]
        for t in range(T):
            if fam.startswith("granite"):
                m = p + "block_sparse_moe."
                lg = w(m + "router.layer.weight") @ h[t]
                top = sorted(range(len(lg)), key=lambda e: (-lg[e], e))[:K]
                ew = np.exp(lg[top] - lg[top].max())
                ew /= ew.sum()
                F = w(m + "output_linear.weight").shape[2]
                for e, c in zip(top, ew):
                    gu = w(m + "input_linear.weight")[e]
                    y[t] += c * mlp(h[t], gu[:F], gu[F:], w(m + "output_linear.weight")[e])
                if fam == "granitemoeshared" and cfg.get("shared_intermediate_size"):
                    S = cfg["shared_intermediate_size"]
                    wi = w(p + "shared_mlp.input_linear.weight")
                    y[t] += mlp(h[t], wi[:S], wi[S:], w(p + "shared_mlp.output_linear.weight"))
                continue
            m = p + "mlp."
            lg = w(m + "gate.weight") @ h[t]
            E = len(lg)
            if fam == "deepseek_v3":
                s = 1 / (1 + np.exp(-lg))
                c = s + w(m + "gate.e_score_correction_bias")
                ng, tg = cfg["n_group"], cfg["topk_group"]
                per = E // ng
                gsc = [sum(sorted(c[g * per:(g + 1) * per])[-2:]) for g in range(ng)]
                keep = sorted(range(ng), key=lambda g: (-gsc[g], g))[:tg]
                cand = [e for e in range(E) if e // per in keep]
                top = sorted(cand, key=lambda e: (-c[e], e))[:K]
                ew = s[top] / (s[top].sum() + 1e-20 if cfg["norm_topk_prob"] else 1.0) * cfg["routed_scaling_factor"]
            else:
                pr = np.exp(lg - lg.max())
                pr /= pr.sum()
                if fam == "deepseek_v2" and cfg["topk_method"] == "group_limited_greedy":
                    ng, tg = cfg["n_group"], cfg["topk_group"]
                    per = E // ng
                    keep = sorted(range(ng), key=lambda g: (-pr[g * per:(g + 1) * per].max(), g))[:tg]
                    cand = [e for e in range(E) if e // per in keep]
                else:
                    cand = range(E)
                top = sorted(cand, key=lambda e: (-pr[e], e))[:K]
                ew = pr[top]
                if fam == "deepseek_v2":
                    ew = ew * cfg["routed_scaling_factor"]
                elif cfg.get("norm_topk_prob"):
                    ew = ew / ew.sum()
            for e, cw in zip(top, ew):
                if m + "experts.gate_up_proj" in W:
                    gu = w(m + "experts.gate_up_proj")[e]
                    F = gu.shape[0] // 2
                    y[t] += cw * mlp(h[t], gu[:F], gu[F:], w(m + "experts.down_proj")[e])
                else:
                    q = f"{m}experts.{e}."
                    y[t] += cw * mlp(h[t], w(q + "gate_proj.weight"), w(q + "up_proj.weight"), w(q + "down_proj.weight"))
            if fam == "qwen2_moe":
                q = m + "shared_expert."
                gate = 1 / (1 + np.exp(-(w(m + "shared_expert_gate.weight") @ h[t])[0]))
                y[t] += gate * mlp(h[t], w(q + "gate_proj.weight"), w(q + "up_proj.weight"), w(q + "down_proj.weight"))
            if mla and cfg["n_shared_experts"]:
                q = m + "shared_experts."
                y[t] += mlp(h[t], w(q + "gate_proj.weight"), w(q + "up_proj.weight"), w(q + "down_proj.weight"))
        x = x + y * res
    x = norm(x, w("model.norm.weight"))
    head = w("model.embed_tokens.weight") if cfg["tie_word_embeddings"] else w("lm_head.weight")
    lg = (x @ head.T) / cfg.get("logits_scaling", 1.0)
    nll = []
    for t in range(T - 1):
        mx = lg[t].max()
        nll.append(mx + math.log(np.exp(lg[t] - mx).sum()) - lg[t, tokens[t + 1]])
    return np.array(nll)


def check_numpy_twin():
    cases = [("deepseek_v3", ["--q-lora", 24, "--bias-scale", 0.1, "--attn-bias", 1]),
             ("deepseek_v3", ["--interleave", 0, "--norm-topk", 0, "--fused", "--seed", 52]),
             ("deepseek_v2", ["--attn-bias", 1, "--dtype", "bf16"]),
             ("deepseek_v2", ["--topk-method", "greedy", "--q-lora", 0, "--seed", 53]),
             ("qwen2_moe", ["--mlp-only", "1", "--hidden", 32]),
             ("granitemoe", ["--attn-bias", 1, "--kv-heads", 2, "--tied", 0, "--emb-mult", 12.0,
                             "--res-mult", 0.22, "--logits-scaling", 6.0]),
             ("granitemoeshared", ["--shared-ffn", 24, "--seed", 54])]
    for i, (fam, args) in enumerate(cases):
        d = mkgen(f"np-{fam}-{i}", fam, "--seed", 50 + i, *args)
        toks = [random.Random(i).randrange(256) for _ in range(9)]
        want = np_forward(d, toks)
        got = np.array(fr.run_sample(model(d), toks)[0]["token_nll"])
        diff = float(np.abs(got - want).max())
        check(f"(d) {fam} [{' '.join(map(str, args))}]: families_ref == per-token numpy twin "
              f"(complex-rotation rope) to {diff:.1e}", diff < 1e-9)


def main():
    try:
        check_a()
        check_b()
        check_c()
        check_refusals()
        check_released()
        check_d()
        check_numpy_twin()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    print(f"{PASSED} passed, {FAILED} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
