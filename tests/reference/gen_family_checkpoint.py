#!/usr/bin/python3
"""gen_family_checkpoint.py: tiny random HF checkpoints of every MoE family in
families_ref.py, in the family's real HF tensor names, shapes and config.json
keys (from the HF configuration_*.py classes and the checkpoints they describe),
F32 or BF16, per-expert or fused (transformers v5) expert tensors, one file or
sharded with model.safetensors.index.json. numpy only, written from the HF
layouts (not from our C or gen-checkpoint.c).

  gen_family_checkpoint.py --family deepseek_v3 --out DIR [--dtype bf16] [--seed 3]
      [--fused] [--shards 2] [--hidden 64 --layers 3 --experts 16 --top-k 4 ...]

Scales: RMSNorm weights 1 + N(0, 0.1); the router matrix N(0, 1/D), so router
logits of a normalized hidden state spread about 1 (routing neither uniform nor
one-hot); projections N(0, 1/fan_in); embeddings N(0, 1) (N(0, 1/D) when tied to lm_head).
Every knob left out takes the family's default (FAMILY_DEFAULTS below).
"""
import argparse
import json
import os
import struct
import sys

import numpy as np

FAMILIES = ("olmoe", "mixtral", "qwen2_moe", "qwen3_moe", "deepseek_v2", "deepseek_v3",
            "granitemoe", "granitemoeshared")
ARCH = {"olmoe": "OlmoeForCausalLM", "mixtral": "MixtralForCausalLM",
        "qwen2_moe": "Qwen2MoeForCausalLM", "qwen3_moe": "Qwen3MoeForCausalLM",
        "deepseek_v2": "DeepseekV2ForCausalLM", "deepseek_v3": "DeepseekV3ForCausalLM",
        "granitemoe": "GraniteMoeForCausalLM", "granitemoeshared": "GraniteMoeSharedForCausalLM"}

# knob defaults per family (tiny shapes that still show every feature of the family)
BASE = dict(hidden=64, layers=3, heads=4, kv_heads=4, head_dim=0, ffn=32, dense_ffn=96,
            shared_ffn=48, experts=8, top_k=2, vocab=256, rope="default", theta=10000.0,
            window=0, tied=0, norm_topk=0, qkv_bias=0, attn_bias=0, clip_qkv=0.0, sparse_step=1,
            mlp_only="", first_dense=0, n_shared=1, n_group=1, topk_group=1, topk_method="greedy",
            scaling=1.0, q_lora=32, kv_lora=24, qk_nope=16, qk_rope=8, v_head=16, interleave=1,
            yarn_factor=4.0, yarn_omax=64, mscale=0.707, mscale_all_dim=0.707, emb_mult=1.0,
            res_mult=1.0, attn_mult=0.0, logits_scaling=1.0, eps=0.0, bias_scale=0.05)
FAMILY_DEFAULTS = {
    "olmoe": dict(),
    "mixtral": dict(kv_heads=2, theta=1e6),
    "qwen2_moe": dict(kv_heads=2, qkv_bias=1, mlp_only="1", theta=1e6),
    "qwen3_moe": dict(kv_heads=2, head_dim=24, norm_topk=1, mlp_only="0", theta=1e6),
    "deepseek_v2": dict(first_dense=1, n_group=4, topk_group=2, topk_method="group_limited_greedy",
                        scaling=2.0, rope="yarn", mscale=0.707, mscale_all_dim=0.707),
    "deepseek_v3": dict(experts=16, top_k=4, first_dense=1, n_group=4, topk_group=2, norm_topk=1,
                        scaling=2.5, rope="yarn", mscale=1.0, mscale_all_dim=1.0, q_lora=0),
    "granitemoe": dict(tied=1, emb_mult=4.0, res_mult=0.5, logits_scaling=2.0),
    "granitemoeshared": dict(tied=1, emb_mult=4.0, res_mult=0.5, logits_scaling=2.0, shared_ffn=48),
}
DEFAULT_EPS = {"olmoe": 1e-5, "mixtral": 1e-5}
HELP = dict(hidden="hidden_size D", layers="num_hidden_layers", heads="num_attention_heads",
            kv_heads="num_key_value_heads (deepseek: = heads)", head_dim="explicit head_dim (0: D / heads)",
            ffn="expert width F (intermediate_size / moe_intermediate_size)",
            dense_ffn="intermediate_size of dense layers (qwen*, deepseek)",
            shared_ffn="shared expert width (qwen2_moe, granitemoeshared; 0: none)", experts="E",
            top_k="num_experts_per_tok K", vocab="vocab_size V", rope="default or yarn", theta="rope_theta",
            window="sliding window (mixtral, qwen*; 0: none)", tied="tie_word_embeddings 0/1",
            norm_topk="norm_topk_prob 0/1", qkv_bias="qwen2_moe qkv_bias 0/1",
            attn_bias="attention_bias 0/1", clip_qkv="olmoe clip_qkv (0: null)",
            sparse_step="decoder_sparse_step", mlp_only="mlp_only_layers, comma-separated",
            first_dense="first_k_dense_replace", n_shared="n_shared_experts (deepseek)",
            n_group="n_group", topk_group="topk_group", topk_method="deepseek_v2 topk_method",
            scaling="routed_scaling_factor", q_lora="q_lora_rank (0: null, q_proj)", kv_lora="kv_lora_rank",
            qk_nope="qk_nope_head_dim", qk_rope="qk_rope_head_dim", v_head="v_head_dim",
            interleave="deepseek_v3 rope_interleave 0/1", yarn_factor="YaRN factor",
            yarn_omax="YaRN original_max_position_embeddings", mscale="YaRN mscale",
            mscale_all_dim="YaRN mscale_all_dim", emb_mult="granite embedding_multiplier",
            res_mult="granite residual_multiplier", attn_mult="granite attention_multiplier (0: 1/head_dim)",
            logits_scaling="granite logits_scaling", eps="rms_norm_eps (0: the family's HF default)",
            bias_scale="deepseek_v3 e_score_correction_bias ~ U(-s, s)")


def bf16_bytes(a):
    """float32 -> bfloat16, round to nearest even (finite inputs: no carry past 32 bits)."""
    u = np.ascontiguousarray(a, dtype="<f4").reshape(-1).view("<u4")
    out = np.empty(u.shape, dtype="<u2")
    for i in range(0, u.size, 1 << 24):           # in blocks: a full-size tensor is GBs
        b = u[i:i + (1 << 24)]
        out[i:i + (1 << 24)] = ((b + np.uint32(0x7FFF) + ((b >> 16) & 1)) >> 16).astype("<u2")
    return out.tobytes()


def tensor_bytes(a, dt):
    if dt == "BF16":
        return bf16_bytes(a)
    return np.ascontiguousarray(a, dtype="<f4").tobytes()


def write_safetensors(path, tensors, dtypes):
    """tensors: name -> array, or Lazy (shape, make()): each made, written and dropped in
    turn, so a full-size checkpoint never sits in memory whole."""
    header, off = {}, 0
    for name, t in tensors.items():
        n = 2 if dtypes[name] == "BF16" else 4
        size = n * int(np.prod(t.shape, dtype=np.int64))
        header[name] = {"dtype": dtypes[name], "shape": list(t.shape), "data_offsets": [off, off + size]}
        off += size
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(h)))
        fh.write(h)
        for name, t in tensors.items():
            fh.write(tensor_bytes(t.make() if isinstance(t, Lazy) else t, dtypes[name]))
    return off


class Lazy:
    """A tensor to be made when written: its shape, and the function that makes it."""

    def __init__(self, shape, make):
        self.shape, self.make = tuple(shape), make


class Gen:
    """Records each tensor as a Lazy; they draw from the seeded generator in the order they
    are declared, which is the order they are written (the same numbers as drawing at once).
    fast_fill: slices of one pool of random numbers, scaled (for speed benchmarks of
    full-size shapes: the numbers repeat across tensors, which no speed depends on)."""

    POOL = 1 << 24

    def __init__(self, a):
        self.a = a
        self.rng = np.random.default_rng(a.seed)
        self.t = {}
        self.pool = None
        if getattr(a, "fast_fill", False):
            self.pool = self.rng.standard_normal(self.POOL + 4096).astype(np.float32)
        self.drawn = 0

    def _draw(self, shape, std):
        if self.pool is None:
            return (self.rng.standard_normal(shape) * std).astype(np.float32)
        n = int(np.prod(shape, dtype=np.int64))
        out = np.empty(n, dtype=np.float32)
        done = 0
        while done < n:
            start = (self.drawn * 7919 + done) % self.POOL
            take = min(n - done, self.POOL - start)
            np.multiply(self.pool[start:start + take], np.float32(std), out=out[done:done + take])
            done += take
        self.drawn += 1
        return out.reshape(shape)

    def normal(self, name, shape, std):
        self.t[name] = Lazy(shape, lambda: self._draw(shape, std))

    def uniform(self, name, n, s):
        self.t[name] = Lazy((n,), lambda: self.rng.uniform(-s, s, n).astype(np.float32))

    def lin(self, name, out, inp, bias=False):
        self.normal(name + ".weight", (out, inp), inp ** -0.5)
        if bias:
            self.normal(name + ".bias", (out,), 0.1)

    def norm(self, name, n):
        self.t[name] = Lazy((n,), lambda: (1.0 + 0.1 * self.rng.standard_normal(n)).astype(np.float32))

    def mlp(self, p, F, D):
        self.lin(p + "gate_proj", F, D)
        self.lin(p + "up_proj", F, D)
        self.lin(p + "down_proj", D, F)


def build(a):
    fam = a.family
    g = Gen(a)
    D, L, H, V, E, F = a.hidden, a.layers, a.heads, a.vocab, a.experts, a.ffn
    Hkv = a.kv_heads
    hd = a.head_dim or D // H
    mla = fam.startswith("deepseek")
    granite = fam.startswith("granitemoe")
    fused = a.fused or granite          # Granite always fuses (input_linear / output_linear)
    only = [int(x) for x in a.mlp_only.split(",") if x != ""]
    if fam in ("qwen2_moe", "qwen3_moe"):
        moe = [l not in only and (l + 1) % a.sparse_step == 0 for l in range(L)]
    elif mla:
        moe = [l >= a.first_dense for l in range(L)]
    else:
        moe = [True] * L
    # tied heads (Granite) read the embedding as lm_head: give it lm_head's scale
    g.normal("model.embed_tokens.weight", (V, D), D ** -0.5 if a.tied else 1.0)
    for l in range(L):
        p = f"model.layers.{l}."
        g.norm(p + "input_layernorm.weight", D)
        g.norm(p + "post_attention_layernorm.weight", D)
        s = p + "self_attn."
        if mla:
            qk = a.qk_nope + a.qk_rope
            if a.q_lora:
                g.lin(s + "q_a_proj", a.q_lora, D, a.attn_bias)
                g.norm(s + "q_a_layernorm.weight", a.q_lora)
                g.lin(s + "q_b_proj", H * qk, a.q_lora)
            else:
                g.lin(s + "q_proj", H * qk, D)
            g.lin(s + "kv_a_proj_with_mqa", a.kv_lora + a.qk_rope, D, a.attn_bias)
            g.norm(s + "kv_a_layernorm.weight", a.kv_lora)
            g.lin(s + "kv_b_proj", H * (a.qk_nope + a.v_head), a.kv_lora)
            g.lin(s + "o_proj", D, H * a.v_head, a.attn_bias)
        else:
            qb = bool(a.qkv_bias if fam == "qwen2_moe" else a.attn_bias)
            ob = bool(a.attn_bias) and fam != "qwen2_moe"
            g.lin(s + "q_proj", H * hd, D, qb)
            g.lin(s + "k_proj", Hkv * hd, D, qb)
            g.lin(s + "v_proj", Hkv * hd, D, qb)
            g.lin(s + "o_proj", D, H * hd, ob)
            if fam == "olmoe":
                g.norm(s + "q_norm.weight", H * hd)
                g.norm(s + "k_norm.weight", Hkv * hd)
            elif fam == "qwen3_moe":
                g.norm(s + "q_norm.weight", hd)
                g.norm(s + "k_norm.weight", hd)
        if not moe[l]:
            g.mlp(p + "mlp.", a.dense_ffn, D)
            continue
        if granite:
            m = p + "block_sparse_moe."
            g.normal(m + "router.layer.weight", (E, D), D ** -0.5)
            g.normal(m + "input_linear.weight", (E, 2 * F, D), D ** -0.5)
            g.normal(m + "output_linear.weight", (E, D, F), F ** -0.5)
            if fam == "granitemoeshared" and a.shared_ffn:
                g.normal(p + "shared_mlp.input_linear.weight", (2 * a.shared_ffn, D), D ** -0.5)
                g.normal(p + "shared_mlp.output_linear.weight", (D, a.shared_ffn), a.shared_ffn ** -0.5)
            continue
        m = p + ("block_sparse_moe." if fam == "mixtral" and not fused else "mlp.")
        g.normal(m + "gate.weight", (E, D), D ** -0.5)
        if fam == "deepseek_v3":
            g.uniform(m + "gate.e_score_correction_bias", E, a.bias_scale)
        if fused:
            g.normal(m + "experts.gate_up_proj", (E, 2 * F, D), D ** -0.5)
            g.normal(m + "experts.down_proj", (E, D, F), F ** -0.5)
        else:
            for e in range(E):
                q = f"{m}experts.{e}."
                if fam == "mixtral":
                    g.lin(q + "w1", F, D)
                    g.lin(q + "w2", D, F)
                    g.lin(q + "w3", F, D)
                else:
                    g.mlp(q, F, D)
        if fam == "qwen2_moe":
            g.mlp(m + "shared_expert.", a.shared_ffn, D)
            g.normal(m + "shared_expert_gate.weight", (1, D), D ** -0.5)
        if mla and a.n_shared:
            g.mlp(m + "shared_experts.", a.n_shared * F, D)
    g.norm("model.norm.weight", D)
    if not a.tied:
        g.normal("lm_head.weight", (V, D), D ** -0.5)
    return g.t


def rope_entries(a, fam):
    """config keys for the rope: rope_theta (+ rope_scaling) or, with --rope-parameters, a
    transformers-v5 rope_parameters map."""
    if a.rope == "default":
        rp = {"rope_type": "default", "rope_theta": a.theta}
        scaling = None
    else:
        scaling = {"type": "yarn", "factor": a.yarn_factor, "original_max_position_embeddings": a.yarn_omax,
                   "beta_fast": 32, "beta_slow": 1, "mscale": a.mscale, "mscale_all_dim": a.mscale_all_dim}
        rp = dict({"rope_type": "yarn", "rope_theta": a.theta},
                  **{k: v for k, v in scaling.items() if k != "type"})
    if a.rope_parameters:
        return {"rope_parameters": rp}
    return {"rope_theta": a.theta, "rope_scaling": scaling}


def config(a):
    fam = a.family
    D, L, H, V, E, K, F = a.hidden, a.layers, a.heads, a.vocab, a.experts, a.top_k, a.ffn
    mpe = int(a.yarn_omax * a.yarn_factor) if a.rope == "yarn" else 4096
    c = {"architectures": [ARCH[fam]], "model_type": fam, "vocab_size": V, "hidden_size": D,
         "num_hidden_layers": L, "num_attention_heads": H, "hidden_act": "silu",
         "max_position_embeddings": mpe, "initializer_range": 0.02,
         "rms_norm_eps": a.eps or DEFAULT_EPS.get(fam, 1e-6), "use_cache": True,
         "tie_word_embeddings": bool(a.tied), "bos_token_id": None, "eos_token_id": V - 1,
         "pad_token_id": None, "attention_dropout": 0.0,
         "torch_dtype": "bfloat16" if a.dtype == "bf16" else "float32",
         "transformers_version": "4.57.0" if not a.fused else "5.0.0"}
    c.update(rope_entries(a, fam))
    only = [int(x) for x in a.mlp_only.split(",") if x != ""]
    if fam == "olmoe":
        c.update(intermediate_size=F, num_key_value_heads=a.kv_heads, num_experts=E,
                 num_experts_per_tok=K, norm_topk_prob=bool(a.norm_topk), attention_bias=bool(a.attn_bias),
                 clip_qkv=a.clip_qkv or None, output_router_logits=False, router_aux_loss_coef=0.01)
    elif fam == "mixtral":
        c.update(intermediate_size=F, num_key_value_heads=a.kv_heads, num_local_experts=E,
                 num_experts_per_tok=K, sliding_window=a.window or None, router_jitter_noise=0.0,
                 output_router_logits=False, router_aux_loss_coef=0.02)
        if a.head_dim:
            c["head_dim"] = a.head_dim
    elif fam in ("qwen2_moe", "qwen3_moe"):
        c.update(intermediate_size=a.dense_ffn, moe_intermediate_size=F, num_experts=E,
                 num_experts_per_tok=K, num_key_value_heads=a.kv_heads, norm_topk_prob=bool(a.norm_topk),
                 decoder_sparse_step=a.sparse_step, mlp_only_layers=only,
                 use_sliding_window=bool(a.window), sliding_window=a.window or None,
                 output_router_logits=False, router_aux_loss_coef=0.001)
        if fam == "qwen2_moe":
            c.update(shared_expert_intermediate_size=a.shared_ffn, qkv_bias=bool(a.qkv_bias),
                     max_window_layers=L)
            if a.window:   # explicit: HF versions disagree on the default pattern
                c["layer_types"] = ["sliding_attention" if l % 2 == 0 else "full_attention" for l in range(L)]
            if a.head_dim:
                c["head_dim"] = a.head_dim
        else:
            c.update(head_dim=a.head_dim or D // H, attention_bias=bool(a.attn_bias), max_window_layers=L)
    elif fam.startswith("deepseek"):
        c.update(intermediate_size=a.dense_ffn, moe_intermediate_size=F, n_routed_experts=E,
                 n_shared_experts=a.n_shared, num_experts_per_tok=K,
                 num_key_value_heads=H, first_k_dense_replace=a.first_dense,
                 kv_lora_rank=a.kv_lora, q_lora_rank=a.q_lora or None, qk_nope_head_dim=a.qk_nope,
                 qk_rope_head_dim=a.qk_rope, v_head_dim=a.v_head, n_group=a.n_group,
                 topk_group=a.topk_group, routed_scaling_factor=a.scaling,
                 norm_topk_prob=bool(a.norm_topk), attention_bias=bool(a.attn_bias),
                 moe_layer_freq=1, ep_size=1, aux_loss_alpha=0.001, seq_aux=True)
        if fam == "deepseek_v2":
            c.update(topk_method=a.topk_method, scoring_func="softmax")
        else:
            c.update(topk_method="noaux_tc", scoring_func="sigmoid", rope_interleave=bool(a.interleave),
                     num_nextn_predict_layers=0)
    else:
        c.update(intermediate_size=F, num_key_value_heads=a.kv_heads, num_local_experts=E,
                 num_experts_per_tok=K, attention_bias=bool(a.attn_bias),
                 embedding_multiplier=a.emb_mult, residual_multiplier=a.res_mult,
                 attention_multiplier=a.attn_mult or (a.head_dim or D // H) ** -1.0,
                 logits_scaling=a.logits_scaling, output_router_logits=False, router_aux_loss_coef=0.01)
        if fam == "granitemoeshared":
            c["shared_intermediate_size"] = a.shared_ffn
    return c


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--family", required=True, choices=FAMILIES)
    ap.add_argument("--out", required=True, help="checkpoint folder to write")
    ap.add_argument("--dtype", choices=["f32", "bf16"], default="f32")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--fused", action="store_true",
                    help="transformers-v5 fused experts (mlp.experts.gate_up_proj / down_proj)")
    ap.add_argument("--shards", type=int, default=1, help="files; >1 writes model.safetensors.index.json")
    ap.add_argument("--fast-fill", action="store_true",
                    help="weights from one pool of random numbers (speed benchmarks of full-size shapes)")
    ap.add_argument("--rope-parameters", action="store_true",
                    help="write a rope_parameters map instead of rope_theta / rope_scaling")
    for k, v in BASE.items():
        ap.add_argument("--" + k.replace("_", "-"), type=type(v), default=None,
                        help=f"{HELP[k]} (default {FAMILY_DEFAULTS.get('olmoe', {}).get(k, v)}, or the family's)")
    a = ap.parse_args(argv)
    for k, v in BASE.items():
        if getattr(a, k) is None:
            setattr(a, k, FAMILY_DEFAULTS[a.family].get(k, v))
    if a.family.startswith("deepseek"):
        a.kv_heads = a.heads
    tensors = build(a)
    cfg = config(a)
    os.makedirs(a.out, exist_ok=True)
    dtypes = {n: ("F32" if a.dtype == "f32" or n.endswith("e_score_correction_bias") else "BF16")
              for n in tensors}
    names = list(tensors)
    if a.shards <= 1:
        write_safetensors(os.path.join(a.out, "model.safetensors"), tensors, dtypes)
    else:
        n = a.shards
        per = -(-len(names) // n)
        wm, total = {}, 0
        for i in range(n):
            part = names[i * per:(i + 1) * per]
            fn = f"model-{i + 1:05d}-of-{n:05d}.safetensors"
            total += write_safetensors(os.path.join(a.out, fn), {k: tensors[k] for k in part}, dtypes)
            wm.update({k: fn for k in part})
        with open(os.path.join(a.out, "model.safetensors.index.json"), "w") as fh:
            json.dump({"metadata": {"total_size": total}, "weight_map": wm}, fh, indent=2)
    with open(os.path.join(a.out, "config.json"), "w") as fh:
        json.dump(cfg, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
