#!/usr/bin/python3
"""families_ref.py: an independent torch reference for router-trace on every MoE
family of ../shared/spec/families.md (olmoe, mixtral, qwen2_moe, qwen3_moe,
deepseek_v2, deepseek_v3, granitemoe, granitemoeshared), written from the HF
transformers modelling files (v4.5x and v5: modeling_*.py / modular_*.py,
configuration_*.py, modeling_rope_utils.py, masking_utils.py,
conversion_mapping.py), never from our C code. Float64 by default (--fp32 for
float32). Where families.md and the HF code disagree the HF code is followed;
the disagreements are listed in DISAGREEMENTS below.

  families_ref.py run     --model DIR --samples S.jsonl          > ref.jsonl
  families_ref.py compare --model DIR --samples S.jsonl --trace T.jsonl [--nll-tol 1e-4]
  families_ref.py config  --model DIR        (parse config.json, print the plan, exit)

S.jsonl / T.jsonl: `dump` output of sample / trace streams (docs/records.md).
`run` prints one JSON line per sample in olmoe_ref.py's shape (id, loss,
token_nll, router_mean [L*E], topk_mean [L*E], topk_ids [T*L*K]) plus
topk_weights [T*L*K], moe_layers (the model layers that route), n_layers,
n_experts, top_k. L counts MoE layers only.

Per MoE layer (families.md "What g_l is"):
  topk_ids    the model's selection, ordered by the score the selection ranks
              (softmax prob, biased sigmoid, or logit), ties to the lower index;
  router_mean the distribution g the selection ranks, normalized over all E:
              softmax over E (olmoe, mixtral, qwen*, deepseek_v2, granite*),
              sigmoid / sum(sigmoid) without the selection bias (deepseek_v3);
  topk_mean   the weights the model applies (renormalized, scaled), per expert,
              averaged over tokens.

Model(cfg, tensors, dtype, device=...) runs on any torch device: router-trace-torch
(stages/router-trace-torch) imports it as its forward pass, on CUDA when there is a GPU.

Config parsing reads rope_theta / rope_scaling and a rope_parameters map, and
refuses (ConfigError naming the key) any key it does not know and any value it
does not implement, instead of falling back to a default.
"""
import argparse
import json
import math
import os
import struct
import sys

import numpy as np
import torch

from olmoe_ref import read_safetensors  # the same independent reader, float64

FAMILIES = ("olmoe", "mixtral", "qwen2_moe", "qwen3_moe", "deepseek_v2", "deepseek_v3",
            "granitemoe", "granitemoeshared")

# Where ../shared/spec/families.md and the HF code disagree (HF followed here).
DISAGREEMENTS = """\
1. deepseek_v2 norm_topk_prob: families.md's v2 row says weights are softmax x routed_scaling_factor
   (no renormalization). HF deepseek_v2 agrees and IGNORES norm_topk_prob entirely ("kept for
   backward compatibility"); deepseek-ai's remote code renormalizes when norm_topk_prob and top_k>1
   and then does NOT scale. Released V2/V2-Lite configs have norm_topk_prob false, so they agree.
2. deepseek_v2 YaRN attention-scale correction: families.md lists it for v3 only. HF deepseek_v2 had
   none (scaling = qk_head_dim^-0.5) until PR #47435 ("Fix yarn mscale_all_dim for DeepSeek v2",
   merged 2026-07-20), which multiplies the scale by yarn_get_mscale(factor, mscale_all_dim)^2 as
   deepseek-ai's V2 remote code always did (1.59 for V2-Lite). Current HF followed;
   --v2-old-hf-scale gives the scale of HF before the fix.
3. deepseek_v3 group selection masks the unkept groups' scores with 0.0 (HF and older remote code),
   not -inf: a biased score below 0 in a kept group can lose to a masked expert. Followed; the
   reference warns on stderr when that happens.
4. deepseek_v3 e_score_correction_bias: families.md says "presence of mlp.gate.e_score_correction_bias"
   signals it; in HF it is a buffer that always exists (zeros if absent from the file) and v3 is chosen
   by model_type alone. This reference requires the tensor in every MoE layer.
5. deepseek_v2 routed weights order: HF topk(sorted=False); families.md says "top-k inside". Order is
   unspecified in HF; this reference orders by the selection score, ties to the lower index.
6. qwen2_moe sliding window: families.md says "optional sliding window" by use_sliding_window /
   max_window_layers. HF versions disagree on WHICH layers slide (v4.4x flash path: layer >=
   max_window_layers; v5 config: i even and i < max_window_layers; eager v4 paths: none). This
   reference honours an explicit layer_types list and refuses use_sliding_window true without one.
7. qwen3_moe sliding window: HF applies config.sliding_window to every layer when
   use_sliding_window (max_window_layers is ignored by HF although released configs carry it).
8. qwen2_moe q/k/v biases: families.md says "q/k/v biases" unconditionally; HF v5 makes them
   config.qkv_bias (default true). Absent key -> true.
9. granitemoe: families.md says attention_multiplier "replaces 1/sqrt(d)": in HF it replaces
   head_dim^-0.5 (the per-head scale), and logits are divided by logits_scaling after lm_head;
   residual_multiplier scales the branch output before both residual adds (not the residual).
10. dense layers: HF deepseek_v2/v3 make layer l MoE iff l >= first_k_dense_replace (moe_layer_freq
   ignored; remote code also needs l % moe_layer_freq == 0): moe_layer_freq != 1 is refused here.
11. Mixtral fused layout: transformers v5 renames block_sparse_moe.* to mlp.* (mlp.gate.weight,
   mlp.experts.gate_up_proj [E,2F,D] = cat(w1,w3), mlp.experts.down_proj [E,D,F]).
12. deepseek_v2 rope: families.md lists rope_interleave under v3 only; HF deepseek_v2 ALWAYS rotates
   interleaved pairs (2i, 2i+1) (view_as_complex), i.e. v2 behaves as rope_interleave true.
13. Not in families.md, in HF: qwen3_moe attention_bias puts biases on q, k, v AND o_proj; deepseek
   attention_bias on q_a_proj, kv_a_proj_with_mqa and o_proj (never q_proj/q_b_proj/kv_b_proj);
   deepseek q_a_layernorm / kv_a_layernorm use eps 1e-6 whatever rms_norm_eps says.
14. rope_scaling and rope_parameters both present: HF v5 takes rope_scaling (`rope_scaling or
   rope_parameters`); refused here when they differ. YaRN factor vs max_position_embeddings /
   original_max_position_embeddings: v4.5x uses the ratio, v5 uses factor; refused when they differ.
"""


class ConfigError(ValueError):
    """A config.json setting this reference does not know or implement; .key names it."""

    def __init__(self, key, msg):
        super().__init__(f"config key {key!r}: {msg}")
        self.key = key


# ---------------------------------------------------------------- loading


def load_checkpoint(folder):
    with open(os.path.join(folder, "config.json")) as fh:
        cfg = json.load(fh)
    index = os.path.join(folder, "model.safetensors.index.json")
    tensors = {}
    if os.path.exists(index):
        with open(index) as fh:
            files = sorted(set(json.load(fh)["weight_map"].values()))
    else:
        files = ["model.safetensors"]
    for f in files:
        tensors.update(read_safetensors(os.path.join(folder, f)))
    return cfg, tensors


# ---------------------------------------------------------------- config

# keys that never change the forward pass of one sequence (training, generation, metadata)
IGNORED = {
    "architectures", "model_type", "transformers_version", "torch_dtype", "dtype", "use_cache",
    "bos_token_id", "eos_token_id", "pad_token_id", "initializer_range", "output_router_logits",
    "router_aux_loss_coef", "attention_dropout", "_name_or_path", "auto_map", "tokenizer_class",
    "max_position_embeddings", "output_attentions", "output_hidden_states", "return_dict",
    "is_decoder", "_attn_implementation", "chunk_size_feed_forward", "tie_encoder_decoder",
}
IGNORED_BY_FAMILY = {
    "mixtral": {"router_jitter_noise"},
    "qwen2_moe": set(),
    "qwen3_moe": {"max_window_layers"},           # in released configs, unused by HF qwen3_moe
    "deepseek_v2": {"aux_loss_alpha", "seq_aux"},
    "deepseek_v3": {"aux_loss_alpha", "seq_aux", "num_nextn_predict_layers"},
    "olmoe": set(), "granitemoe": set(), "granitemoeshared": set(),
}

# (required keys, {key: HF config-class default}) per family. Shape and routing keys are
# required; only flags whose HF default is the same in every version default.
COMMON_REQ = ["vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads"]
SCHEMA = {
    "olmoe": (COMMON_REQ + ["intermediate_size", "num_experts", "num_experts_per_tok"],
              {"num_key_value_heads": None, "hidden_act": "silu", "rms_norm_eps": 1e-5,
               "attention_bias": False, "clip_qkv": None, "norm_topk_prob": False,
               "tie_word_embeddings": False, "head_dim": None}),
    "mixtral": (COMMON_REQ + ["intermediate_size", "num_local_experts", "num_experts_per_tok",
                              "num_key_value_heads"],
                {"hidden_act": "silu", "rms_norm_eps": 1e-5, "sliding_window": None,
                 "tie_word_embeddings": False, "head_dim": None}),
    "qwen2_moe": (COMMON_REQ + ["intermediate_size", "moe_intermediate_size",
                                "shared_expert_intermediate_size", "num_experts",
                                "num_experts_per_tok", "num_key_value_heads"],
                  {"hidden_act": "silu", "rms_norm_eps": 1e-6, "tie_word_embeddings": False,
                   "use_sliding_window": False, "sliding_window": None, "max_window_layers": None,
                   "layer_types": None, "decoder_sparse_step": 1, "mlp_only_layers": [],
                   "norm_topk_prob": False, "qkv_bias": True, "head_dim": None}),
    "qwen3_moe": (COMMON_REQ + ["moe_intermediate_size", "num_experts", "num_experts_per_tok",
                                "num_key_value_heads"],
                  {"intermediate_size": None, "hidden_act": "silu", "rms_norm_eps": 1e-6,
                   "tie_word_embeddings": False, "use_sliding_window": False,
                   "sliding_window": None, "decoder_sparse_step": 1, "mlp_only_layers": [],
                   "norm_topk_prob": False, "attention_bias": False, "head_dim": None}),
    "deepseek_v2": (COMMON_REQ + ["intermediate_size", "moe_intermediate_size", "n_routed_experts",
                                  "num_experts_per_tok", "kv_lora_rank", "q_lora_rank",
                                  "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim"],
                    {"num_key_value_heads": None, "hidden_act": "silu", "rms_norm_eps": 1e-6,
                     "tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False,
                     "first_k_dense_replace": 0, "n_shared_experts": 2, "topk_method": "greedy",
                     "n_group": None, "topk_group": None, "routed_scaling_factor": 1.0,
                     "norm_topk_prob": False, "scoring_func": "softmax", "moe_layer_freq": 1,
                     "ep_size": 1, "pretraining_tp": 1, "head_dim": None}),
    "deepseek_v3": (COMMON_REQ + ["intermediate_size", "moe_intermediate_size", "n_routed_experts",
                                  "num_experts_per_tok", "kv_lora_rank", "q_lora_rank",
                                  "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim", "n_group",
                                  "topk_group"],
                    {"num_key_value_heads": None, "hidden_act": "silu", "rms_norm_eps": 1e-6,
                     "tie_word_embeddings": False, "attention_bias": False,
                     "first_k_dense_replace": 3, "n_shared_experts": 1,
                     "routed_scaling_factor": 2.5, "norm_topk_prob": True, "rope_interleave": True,
                     "topk_method": "noaux_tc", "scoring_func": "sigmoid", "moe_layer_freq": 1,
                     "ep_size": 1, "pretraining_tp": 1, "head_dim": None}),
    "granitemoe": (COMMON_REQ + ["intermediate_size", "num_local_experts", "num_experts_per_tok"],
                   {"num_key_value_heads": None, "hidden_act": "silu", "rms_norm_eps": 1e-6,
                    "tie_word_embeddings": False, "attention_bias": False,
                    "embedding_multiplier": 1.0, "residual_multiplier": 1.0,
                    "attention_multiplier": 1.0, "logits_scaling": 1.0, "head_dim": None}),
}
SCHEMA["granitemoeshared"] = (SCHEMA["granitemoe"][0],
                              dict(SCHEMA["granitemoe"][1], shared_intermediate_size=0))
ROPE_KEYS = {"rope_theta", "rope_scaling", "rope_parameters", "partial_rotary_factor"}
YARN_KEYS = {"factor", "original_max_position_embeddings", "attention_factor", "beta_fast",
             "beta_slow", "mscale", "mscale_all_dim", "truncate"}


def parse_rope(cfg):
    """{'theta', 'type', ...}: rope settings from rope_theta/rope_scaling or rope_parameters."""
    if cfg.get("partial_rotary_factor", 1.0) != 1.0:
        raise ConfigError("partial_rotary_factor", "only 1.0 is implemented")
    rs, rp, rt = cfg.get("rope_scaling"), cfg.get("rope_parameters"), cfg.get("rope_theta")
    for key, val in (("rope_scaling", rs), ("rope_parameters", rp)):
        if val is not None and not isinstance(val, dict):
            raise ConfigError(key, f"must be a map or null, not {val!r}")
    if rs and rp and {k: v for k, v in rs.items() if k != "rope_theta"} != \
            {k: v for k, v in rp.items() if k != "rope_theta"}:
        raise ConfigError("rope_parameters", "differs from rope_scaling; which one applies depends "
                          "on the transformers version")
    params = dict(rs or {})
    for k, v in (rp or {}).items():
        params.setdefault(k, v)
    if any(isinstance(v, dict) for v in params.values()):
        raise ConfigError("rope_parameters", "per-layer-type rope parameters are not implemented")
    where = "rope_parameters" if rp else "rope_scaling"
    theta = params.pop("rope_theta", None)
    if theta is not None and rt is not None and float(theta) != float(rt):
        raise ConfigError("rope_theta", f"{rt} differs from {where}.rope_theta {theta}")
    theta = theta if theta is not None else rt
    if theta is None and cfg.get("model_type") == "olmoe":
        theta = 10000.0     # OlmoeConfig's default in every transformers version
    if theta is None:
        raise ConfigError("rope_theta", "absent (neither rope_theta nor rope_parameters.rope_theta);"
                          " HF's class default differs between families, so it is not guessed")
    t1, t2 = params.pop("rope_type", None), params.pop("type", None)
    if t1 is not None and t2 is not None and t1 != t2:
        raise ConfigError(f"{where}.type", f"{t2!r} differs from rope_type {t1!r}")
    rtype = t1 or t2 or "default"
    if params.pop("partial_rotary_factor", 1.0) != 1.0:
        raise ConfigError(f"{where}.partial_rotary_factor", "only 1.0 is implemented")
    out = {"theta": float(theta), "type": rtype}
    if rtype == "default":
        if params:
            raise ConfigError(f"{where}.{sorted(params)[0]}", "not a default-rope setting")
        return out
    if rtype != "yarn":
        raise ConfigError(f"{where}.rope_type", f"{rtype!r} is not implemented (default, yarn)")
    for k in params:
        if k not in YARN_KEYS:
            raise ConfigError(f"{where}.{k}", "not a YaRN setting this reference implements")
    omax = params.get("original_max_position_embeddings")
    mpe = cfg.get("max_position_embeddings")
    factor = params.get("factor")
    if omax is None:
        if mpe is None:
            raise ConfigError(f"{where}.original_max_position_embeddings",
                              "absent, and no max_position_embeddings to take it from")
        omax = mpe
    if factor is None:
        if mpe is None:
            raise ConfigError(f"{where}.factor", "absent, and no max_position_embeddings")
        factor = mpe / omax
    elif "original_max_position_embeddings" in params and mpe is not None and \
            abs(float(factor) - mpe / omax) > 1e-9 * float(factor):
        # transformers v4.5x takes max_position_embeddings / original_max_position_embeddings
        # as the factor, v5 takes `factor`: refuse rather than pick a version
        raise ConfigError(f"{where}.factor", f"{factor} != max_position_embeddings / "
                          f"original_max_position_embeddings = {mpe / omax}")
    out.update(factor=float(factor), omax=float(omax),
               attention_factor=params.get("attention_factor"),
               beta_fast=params.get("beta_fast") or 32, beta_slow=params.get("beta_slow") or 1,
               mscale=params.get("mscale"), mscale_all_dim=params.get("mscale_all_dim"),
               truncate=params.get("truncate", True))
    return out


def yarn_get_mscale(scale, mscale=1.0):
    if scale <= 1:
        return 1.0
    return 0.1 * mscale * math.log(scale) + 1.0


def rope_inv_freq(rope, dim):
    """(inv_freq float64 [dim/2], attention_factor): HF's default and YaRN initializers."""
    base = rope["theta"]
    idx = torch.arange(0, dim, 2, dtype=torch.float64)
    if rope["type"] == "default":
        return 1.0 / base ** (idx / dim), 1.0
    factor = rope["factor"]
    att = rope["attention_factor"]
    if att is None:
        if rope["mscale"] and rope["mscale_all_dim"]:
            att = yarn_get_mscale(factor, rope["mscale"]) / yarn_get_mscale(factor, rope["mscale_all_dim"])
        else:
            att = yarn_get_mscale(factor)

    def corr_dim(rot):
        return dim * math.log(rope["omax"] / (rot * 2 * math.pi)) / (2 * math.log(base))

    low, high = corr_dim(rope["beta_fast"]), corr_dim(rope["beta_slow"])
    if rope["truncate"]:
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, dim - 1)
    if low == high:
        high += 0.001
    ramp = ((torch.arange(dim // 2, dtype=torch.float64) - low) / (high - low)).clamp(0, 1)
    pos = base ** (idx / dim)
    extra = 1 - ramp                                  # inv_freq_extrapolation_factor
    inv = (1.0 / (factor * pos)) * (1 - extra) + (1.0 / pos) * extra
    return inv, float(att)


class Spec:
    """The parsed config: everything the forward pass needs, nothing defaulted silently."""

    def __init__(self, cfg, v2_old_scale=False):
        fam = cfg.get("model_type")
        if fam not in FAMILIES:
            raise ConfigError("model_type", f"{fam!r} is not one of {', '.join(FAMILIES)}")
        self.family = fam
        req, defaults = SCHEMA[fam]
        known = set(req) | set(defaults) | IGNORED | IGNORED_BY_FAMILY[fam] | ROPE_KEYS
        for k in cfg:
            if k not in known:
                raise ConfigError(k, f"unknown to this reference for {fam}")
        for k in req:
            if cfg.get(k) is None and not (k == "q_lora_rank" and k in cfg):
                raise ConfigError(k, "required")
        c = dict(defaults)
        c.update({k: v for k, v in cfg.items() if k in req or k in defaults})
        self.c = c
        if c["hidden_act"] != "silu":
            raise ConfigError("hidden_act", f"{c['hidden_act']!r}: only silu is implemented")
        for k in ("pretraining_tp", "moe_layer_freq", "ep_size"):
            if k in c and c[k] != 1:
                raise ConfigError(k, f"{c[k]}: only 1 is implemented")
        self.D, self.L = int(c["hidden_size"]), int(c["num_hidden_layers"])
        self.H, self.V = int(c["num_attention_heads"]), int(c["vocab_size"])
        self.Hkv = int(c.get("num_key_value_heads") or self.H)
        self.eps = float(c["rms_norm_eps"])
        self.tied = bool(c["tie_word_embeddings"])
        self.rope = parse_rope(cfg)
        self.mla = fam.startswith("deepseek")
        self.v2_old_scale = v2_old_scale
        {"olmoe": self._parse_olmoe, "mixtral": self._parse_mixtral, "qwen2_moe": self._parse_qwen,
         "qwen3_moe": self._parse_qwen, "deepseek_v2": self._parse_deepseek,
         "deepseek_v3": self._parse_deepseek, "granitemoe": self._parse_granitemoe,
         "granitemoeshared": self._parse_granitemoe}[fam]()
        if self.H % self.Hkv:
            raise ConfigError("num_key_value_heads", f"{self.Hkv} does not divide {self.H} heads")
        self.moe_layers = [l for l in range(self.L) if self.is_moe(l)]
        if len(self.moe_layers) < self.L and not self.dense_ffn:
            raise ConfigError("intermediate_size", "dense layers need it")
        if not 1 <= self.K <= self.E:
            raise ConfigError("num_experts_per_tok", f"{self.K} not in 1..{self.E}")

    # -- per family
    def _head_dim(self, explicit_ok):
        hd = self.c.get("head_dim")
        if hd is None:
            if self.D % self.H:
                raise ConfigError("num_attention_heads", f"does not divide hidden_size {self.D}")
            return self.D // self.H
        if not explicit_ok and hd * self.H != self.D:
            raise ConfigError("head_dim", f"{hd} != hidden_size / num_attention_heads for {self.family}")
        return int(hd)

    def _attn_defaults(self):
        self.qkv_bias = self.o_bias = False
        self.qk_norm = None                      # None, "full" (olmoe), "head" (qwen3)
        self.clip = None
        self.window = None
        self.layer_window = None                 # per layer override list
        self.attn_scale = None                   # None: head_dim^-0.5
        self.emb_mult = self.res_mult = self.logit_div = 1.0
        self.shared = None                       # None, "qwen2" (gated), "deepseek", "granite"
        self.router = "softmax_topk"
        self.norm_topk = False
        self.dense_ffn = None

    def _parse_olmoe(self):
        c = self.c
        self._attn_defaults()
        self.hd = self._head_dim(False)
        self.qkv_bias = self.o_bias = bool(c["attention_bias"])
        self.qk_norm = "full"
        self.clip = c["clip_qkv"]
        self.E, self.K, self.F = int(c["num_experts"]), int(c["num_experts_per_tok"]), int(c["intermediate_size"])
        self.norm_topk = bool(c["norm_topk_prob"])
        self.is_moe = lambda l: True

    def _parse_mixtral(self):
        c = self.c
        self._attn_defaults()
        self.hd = self._head_dim(True)
        self.window = c["sliding_window"]
        self.E, self.K, self.F = int(c["num_local_experts"]), int(c["num_experts_per_tok"]), int(c["intermediate_size"])
        self.norm_topk = True
        self.is_moe = lambda l: True

    def _parse_qwen(self):
        c = self.c
        self._attn_defaults()
        self.hd = self._head_dim(True)
        self.E, self.K, self.F = int(c["num_experts"]), int(c["num_experts_per_tok"]), int(c["moe_intermediate_size"])
        self.norm_topk = bool(c["norm_topk_prob"])
        self.dense_ffn = c.get("intermediate_size")
        step, only = int(c["decoder_sparse_step"]), list(c["mlp_only_layers"] or [])
        if step < 1:
            raise ConfigError("decoder_sparse_step", f"{step} must be >= 1")
        self.is_moe = lambda l: l not in only and self.E > 0 and (l + 1) % step == 0
        if self.family == "qwen2_moe":
            self.qkv_bias = bool(c["qkv_bias"])
            self.shared = "qwen2"
            self.shared_ffn = int(c["shared_expert_intermediate_size"])
            lt = c["layer_types"]
            if lt is not None:
                if len(lt) != self.L or any(t not in ("full_attention", "sliding_attention") for t in lt):
                    raise ConfigError("layer_types", "must list full_attention/sliding_attention per layer")
                if "sliding_attention" in lt and not c["use_sliding_window"]:
                    raise ConfigError("layer_types", "sliding layers with use_sliding_window false")
                if "sliding_attention" in lt and not c["sliding_window"]:
                    raise ConfigError("sliding_window", "sliding layers need a window")
                self.layer_window = [c["sliding_window"] if t == "sliding_attention" else None for t in lt]
            elif c["use_sliding_window"]:
                raise ConfigError("use_sliding_window", "true without an explicit layer_types: HF "
                                  "versions disagree on which qwen2_moe layers slide")
        else:
            self.qkv_bias = self.o_bias = bool(c["attention_bias"])
            self.qk_norm = "head"
            if c["use_sliding_window"]:
                if not c["sliding_window"]:
                    raise ConfigError("sliding_window", "use_sliding_window true needs a window")
                self.window = c["sliding_window"]

    def _parse_deepseek(self):
        c = self.c
        self._attn_defaults()
        v3 = self.family == "deepseek_v3"
        if c.get("mlp_bias"):
            raise ConfigError("mlp_bias", "true is not implemented")
        hd = c.get("head_dim")
        if hd is not None and hd != c["qk_rope_head_dim"]:
            raise ConfigError("head_dim", f"{hd}: HF sets head_dim = qk_rope_head_dim")
        if self.Hkv != self.H:
            raise ConfigError("num_key_value_heads", "must equal num_attention_heads under MLA")
        self.q_lora = c["q_lora_rank"]
        self.kv_lora = int(c["kv_lora_rank"])
        self.nope, self.rdim, self.vdim = int(c["qk_nope_head_dim"]), int(c["qk_rope_head_dim"]), int(c["v_head_dim"])
        self.qk_hd = self.nope + self.rdim
        self.hd = self.rdim
        self.attn_bias = bool(c["attention_bias"])
        self.interleave = bool(c["rope_interleave"]) if v3 else True   # v2: complex pairs
        self.E, self.K = int(c["n_routed_experts"]), int(c["num_experts_per_tok"])
        self.F = int(c["moe_intermediate_size"])
        self.dense_ffn = int(c["intermediate_size"])
        self.scale = float(c["routed_scaling_factor"])
        ns = c["n_shared_experts"]
        if ns is None:
            # HF's forward adds self.shared_experts(x) unconditionally (v2: built only when not
            # None, so None crashes; v3: moe_intermediate_size * None crashes)
            raise ConfigError("n_shared_experts", "null is not a working HF config; 0 means none")
        self.shared = "deepseek" if ns else None
        self.shared_ffn = int(ns) * self.F if ns else 0
        k0 = int(c["first_k_dense_replace"])
        self.is_moe = lambda l: l >= k0
        if v3:
            if c["topk_method"] != "noaux_tc":
                raise ConfigError("topk_method", f"{c['topk_method']!r}: deepseek_v3 implements noaux_tc")
            if c["scoring_func"] != "sigmoid":
                raise ConfigError("scoring_func", f"{c['scoring_func']!r}: deepseek_v3 implements sigmoid")
            self.router = "v3"
            self.norm_topk = bool(c["norm_topk_prob"])
            self.groups(need_two=True)
        else:
            if c["scoring_func"] != "softmax":
                raise ConfigError("scoring_func", f"{c['scoring_func']!r}: deepseek_v2 implements softmax")
            m = c["topk_method"]
            if m == "greedy":
                self.router = "v2_greedy"
            elif m == "group_limited_greedy":
                self.router = "v2_group"
                self.groups(need_two=False)
            else:
                raise ConfigError("topk_method", f"{m!r} is not implemented (greedy, group_limited_greedy)")
        ya = self.rope["type"] == "yarn"
        s = self.qk_hd ** -0.5
        if ya and (v3 or not self.v2_old_scale):
            mad = self.rope["mscale_all_dim"] or 0
            if mad:
                m = yarn_get_mscale(self.rope["factor"], mad)
                s = s * m * m
        self.attn_scale = s

    def groups(self, need_two):
        c = self.c
        ng, tg = c.get("n_group"), c.get("topk_group")
        if not ng or not tg:
            raise ConfigError("n_group", "n_group and topk_group are needed for group selection")
        ng, tg = int(ng), int(tg)
        if self.E % ng:
            raise ConfigError("n_group", f"{ng} does not divide {self.E} experts")
        if tg > ng:
            raise ConfigError("topk_group", f"{tg} > n_group {ng}")
        if need_two and self.E // ng < 2:
            raise ConfigError("n_group", "noaux_tc needs at least 2 experts per group")
        if self.K > tg * (self.E // ng):
            raise ConfigError("num_experts_per_tok", "more than the kept groups hold")
        self.ng, self.tg = ng, tg

    def _parse_granitemoe(self):
        c = self.c
        self._attn_defaults()
        self.hd = self._head_dim(True)
        self.qkv_bias = self.o_bias = bool(c["attention_bias"])
        self.attn_scale = float(c["attention_multiplier"])
        self.emb_mult = float(c["embedding_multiplier"])
        self.res_mult = float(c["residual_multiplier"])
        self.logit_div = float(c["logits_scaling"])
        self.E, self.K, self.F = int(c["num_local_experts"]), int(c["num_experts_per_tok"]), int(c["intermediate_size"])
        self.router = "granite"
        self.is_moe = lambda l: True
        if self.family == "granitemoeshared" and int(c["shared_intermediate_size"]) > 0:
            self.shared = "granite"
            self.shared_ffn = int(c["shared_intermediate_size"])

    def describe(self):
        d = {k: getattr(self, k) for k in ("family", "D", "L", "H", "Hkv", "hd", "V", "E", "K", "F",
                                           "router", "norm_topk", "shared", "qk_norm", "qkv_bias",
                                           "window", "layer_window", "attn_scale", "emb_mult",
                                           "res_mult", "logit_div", "eps", "tied", "rope", "moe_layers")}
        if self.mla:
            d.update(q_lora=self.q_lora, kv_lora=self.kv_lora, nope=self.nope, vdim=self.vdim,
                     interleave=self.interleave, scale=self.scale)
        return d


# ---------------------------------------------------------------- building blocks


def rmsnorm(x, w, eps):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], -1)


def rope_apply(x, cos, sin, interleave):
    """x [T, heads, d]; cos/sin [T, d] (cat(freqs, freqs)). interleave: pairs (2i, 2i+1),
    done as HF does (de-interleave, then rotate-half: the same permutation for q and k)."""
    if interleave:
        T, h, d = x.shape
        x = x.view(T, h, d // 2, 2).transpose(3, 2).reshape(T, h, d)
    return x * cos[:, None, :] + rotate_half(x) * sin[:, None, :]


def attend(q, k, v, scale, window):
    """q [T,H,d], k [T,H,d], v [T,H,dv]: causal softmax(q k^T * scale) v; window: key j seen by
    query i iff i - window < j <= i (HF masking_utils sliding_window_overlay)."""
    T = q.shape[0]
    s = torch.einsum("thd,shd->hts", q, k) * scale
    i = torch.arange(T, device=q.device)[:, None]
    j = torch.arange(T, device=q.device)[None, :]
    masked = j > i
    if window:
        masked = masked | (j <= i - window)
    s = s.masked_fill(masked, float("-inf"))
    return torch.einsum("hts,shd->thd", torch.softmax(s, -1), v)


def swiglu(x, wg, wu, wd):
    return (torch.nn.functional.silu(x @ wg.T) * (x @ wu.T)) @ wd.T


def stable_topk(score, k):
    """indices of the k largest per row, descending, ties to the lower index."""
    return torch.sort(-score, dim=-1, stable=True).indices[:, :k]


# ---------------------------------------------------------------- routers
# Each returns ids [T,K] (ordered by `sel`), wts [T,K] applied weights, g [T,E] the
# distribution router_mean averages, sel [T,E] the scores the final top-k ranks (after
# any group mask), gsel [T,G] group scores or None.


def route_softmax_topk(logits, K, norm):
    p = torch.softmax(logits, -1)
    ids = stable_topk(p, K)
    w = p.gather(1, ids)
    if norm:
        w = w / w.sum(-1, keepdim=True)
    return ids, w, p, p, None


def group_mask(gscore, tg, E):
    T, G = gscore.shape
    keep = torch.zeros(T, G, dtype=torch.bool, device=gscore.device)
    keep.scatter_(1, stable_topk(gscore, tg), True)
    return keep.repeat_interleave(E // G, dim=1)


def route_deepseek_v2(logits, K, method, ng, tg, scale):
    p = torch.softmax(logits, -1)
    gs = None
    sel = p
    if method == "v2_group":
        T, E = p.shape
        gs = p.view(T, ng, E // ng).max(-1).values
        sel = p.masked_fill(~group_mask(gs, tg, E), 0.0)
    ids = stable_topk(sel, K)
    return ids, p.gather(1, ids) * scale, p, sel, gs


def route_deepseek_v3(logits, bias, K, ng, tg, norm, scale):
    s = torch.sigmoid(logits)
    c = s + bias[None, :]
    T, E = c.shape
    gs = c.view(T, ng, E // ng).topk(2, dim=-1).values.sum(-1)
    keep = group_mask(gs, tg, E)
    sel = c.masked_fill(~keep, 0.0)
    ids = stable_topk(sel, K)
    if not bool(keep.gather(1, ids).all()):
        print("families_ref: warning: deepseek_v3 picked an expert of an unkept group "
              "(its 0.0 mask beat a negative biased score), as HF does", file=sys.stderr)
    w = s.gather(1, ids)
    if norm:
        w = w / (w.sum(-1, keepdim=True) + 1e-20)
    return ids, w * scale, s / s.sum(-1, keepdim=True), sel, gs


def route_granite(logits, K):
    ids = stable_topk(logits, K)
    w = torch.softmax(logits.gather(1, ids), -1)
    return ids, w, torch.softmax(logits, -1), logits, None


# ---------------------------------------------------------------- the model


class Model:
    def __init__(self, cfg, tensors, dtype, v2_old_hf_scale=False, device="cpu"):
        self.dtype, self.device = dtype, device
        self.s = s = Spec(cfg, v2_old_hf_scale)
        self.w = {k: torch.from_numpy(v).to(device=device, dtype=dtype) for k, v in tensors.items()}
        self.used = set()
        self.logit_std = []          # spread of every router's logits, for the generator's checks
        self.L, self.E, self.K = len(s.moe_layers), s.E, s.K
        dim = s.rdim if s.mla else s.hd
        inv, self.att_factor = rope_inv_freq(s.rope, dim)
        self.inv_freq = inv.to(device)
        self.layout = {l: self.expert_layout(l) for l in s.moe_layers}
        self.check_tensors()

    # -- tensors
    def has(self, name):
        return name in self.w

    def t(self, name, shape=None):
        if name not in self.w:
            raise KeyError(f"tensor {name} missing from the checkpoint ({self.s.family})")
        a = self.w[name]
        if shape is not None and tuple(a.shape) != tuple(shape):
            raise ValueError(f"tensor {name} has shape {tuple(a.shape)}, expected {tuple(shape)}")
        self.used.add(name)
        return a

    def opt(self, name, on, shape=None):
        return self.t(name, shape) if on else None

    def moe_prefix(self, l):
        fam = self.s.family
        if fam.startswith("granitemoe"):
            return f"model.layers.{l}.block_sparse_moe."
        if fam == "mixtral" and self.has(f"model.layers.{l}.block_sparse_moe.gate.weight"):
            return f"model.layers.{l}.block_sparse_moe."
        return f"model.layers.{l}.mlp."

    def expert_layout(self, l):
        """'fused' (v5 gate_up_proj/down_proj, Granite input_linear/output_linear) or 'split'."""
        p = self.moe_prefix(l)
        fam = self.s.family
        if fam.startswith("granitemoe"):
            return "granite"
        fused = self.has(p + "experts.gate_up_proj")
        split_name = p + ("experts.0.w1.weight" if fam == "mixtral" else "experts.0.gate_proj.weight")
        if fused and self.has(split_name):
            raise ValueError(f"layer {l}: both fused and per-expert expert tensors")
        if not fused and not self.has(split_name):
            raise KeyError(f"layer {l}: no expert tensors ({p}experts.gate_up_proj or {split_name})")
        return "fused" if fused else "split"

    def check_tensors(self):
        """Run every layer's weight lookups once on a dummy token, so a missing, misnamed or
        misshapen tensor fails before any sample, then refuse tensors nobody uses."""
        self.forward([0], probe=True)
        extra = []
        for k in self.w:
            if k in self.used:
                continue
            if self.s.family == "deepseek_v3" and k.startswith("model.layers."):
                if int(k.split(".")[2]) >= self.s.L:       # MTP layers (num_nextn_predict_layers)
                    continue
            if k.endswith("rotary_emb.inv_freq"):
                continue
            if k == "lm_head.weight" and self.s.tied and torch.equal(self.w[k], self.w["model.embed_tokens.weight"]):
                continue                                    # a saved copy of the tied head
            extra.append(k)
        if extra:
            raise ValueError(f"{len(extra)} tensors not used by the {self.s.family} forward pass, "
                             f"first {sorted(extra)[0]}")

    # -- rope
    def cos_sin(self, T):
        ang = torch.arange(T, dtype=torch.float64, device=self.device)[:, None] * self.inv_freq[None, :]
        emb = torch.cat([ang, ang], -1)
        return ((emb.cos() * self.att_factor).to(self.dtype), (emb.sin() * self.att_factor).to(self.dtype))

    # -- attention variants
    def lin(self, x, name, bias, out_in=None):
        w = self.t(name + ".weight", out_in)
        y = x @ w.T
        if bias:
            y = y + self.t(name + ".bias", (w.shape[0],))
        return y

    def attn_standard(self, l, h, cs):
        s = self.s
        p = f"model.layers.{l}.self_attn."
        T = h.shape[0]
        q = self.lin(h, p + "q_proj", s.qkv_bias, (s.H * s.hd, s.D))
        k = self.lin(h, p + "k_proj", s.qkv_bias, (s.Hkv * s.hd, s.D))
        v = self.lin(h, p + "v_proj", s.qkv_bias, (s.Hkv * s.hd, s.D))
        if s.qk_norm == "full":                       # olmoe: over the whole projection
            q = rmsnorm(q, self.t(p + "q_norm.weight", (s.H * s.hd,)), s.eps)
            k = rmsnorm(k, self.t(p + "k_norm.weight", (s.Hkv * s.hd,)), s.eps)
        if s.clip:
            q, k, v = (a.clamp(-s.clip, s.clip) for a in (q, k, v))
        q, k, v = q.view(T, s.H, s.hd), k.view(T, s.Hkv, s.hd), v.view(T, s.Hkv, s.hd)
        if s.qk_norm == "head":                       # qwen3: per head over head_dim
            q = rmsnorm(q, self.t(p + "q_norm.weight", (s.hd,)), s.eps)
            k = rmsnorm(k, self.t(p + "k_norm.weight", (s.hd,)), s.eps)
        q, k = rope_apply(q, *cs, False), rope_apply(k, *cs, False)
        rep = s.H // s.Hkv
        k, v = k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)
        window = s.layer_window[l] if s.layer_window is not None else s.window
        scale = s.attn_scale if s.attn_scale is not None else s.hd ** -0.5
        o = attend(q, k, v, scale, window).reshape(T, s.H * s.hd)
        return self.lin(o, p + "o_proj", s.o_bias, (s.D, s.H * s.hd))

    def attn_mla(self, l, h, cs):
        s = self.s
        p = f"model.layers.{l}.self_attn."
        T = h.shape[0]
        if s.q_lora is None:
            q = self.lin(h, p + "q_proj", False, (s.H * s.qk_hd, s.D))
        else:
            qa = self.lin(h, p + "q_a_proj", s.attn_bias, (s.q_lora, s.D))
            qa = rmsnorm(qa, self.t(p + "q_a_layernorm.weight", (s.q_lora,)), 1e-6)  # HF: eps 1e-6
            q = self.lin(qa, p + "q_b_proj", False, (s.H * s.qk_hd, s.q_lora))
        q = q.view(T, s.H, s.qk_hd)
        q_nope, q_pe = q[..., :s.nope], q[..., s.nope:]
        ckv = self.lin(h, p + "kv_a_proj_with_mqa", s.attn_bias, (s.kv_lora + s.rdim, s.D))
        c, k_pe = ckv[:, :s.kv_lora], ckv[:, s.kv_lora:]
        c = rmsnorm(c, self.t(p + "kv_a_layernorm.weight", (s.kv_lora,)), 1e-6)
        kv = self.lin(c, p + "kv_b_proj", False, (s.H * (s.nope + s.vdim), s.kv_lora)).view(T, s.H, s.nope + s.vdim)
        k_nope, v = kv[..., :s.nope], kv[..., s.nope:]
        q_pe = rope_apply(q_pe, *cs, s.interleave)
        k_pe = rope_apply(k_pe.view(T, 1, s.rdim), *cs, s.interleave).expand(T, s.H, s.rdim)
        qq = torch.cat([q_nope, q_pe], -1)
        kk = torch.cat([k_nope, k_pe], -1)
        o = attend(qq, kk, v, s.attn_scale, None).reshape(T, s.H * s.vdim)
        return self.lin(o, p + "o_proj", s.attn_bias, (s.D, s.H * s.vdim))

    # -- MLP variants
    def dense_mlp(self, l, h):
        s = self.s
        p = f"model.layers.{l}.mlp."
        F = s.dense_ffn
        return swiglu(h, self.t(p + "gate_proj.weight", (F, s.D)), self.t(p + "up_proj.weight", (F, s.D)),
                      self.t(p + "down_proj.weight", (s.D, F)))

    def expert_weights(self, l, e):
        """(gate [F,D], up [F,D], down [D,F]) of routed expert e of layer l."""
        s = self.s
        p = self.moe_prefix(l)
        F, D, E = s.F, s.D, s.E
        lay = self.layout[l]
        if lay == "granite":
            wi = self.t(p + "input_linear.weight", (E, 2 * F, D))[e]
            return wi[:F], wi[F:], self.t(p + "output_linear.weight", (E, D, F))[e]
        if lay == "fused":
            gu = self.t(p + "experts.gate_up_proj", (E, 2 * F, D))[e]   # cat(gate, up) on dim 1
            return gu[:F], gu[F:], self.t(p + "experts.down_proj", (E, D, F))[e]
        if s.family == "mixtral":
            q = f"{p}experts.{e}."
            return (self.t(q + "w1.weight", (F, D)), self.t(q + "w3.weight", (F, D)),
                    self.t(q + "w2.weight", (D, F)))
        q = f"{p}experts.{e}."
        return (self.t(q + "gate_proj.weight", (F, D)), self.t(q + "up_proj.weight", (F, D)),
                self.t(q + "down_proj.weight", (D, F)))

    def router_weight(self, l):
        s = self.s
        p = self.moe_prefix(l)
        name = p + ("router.layer.weight" if s.family.startswith("granitemoe") else "gate.weight")
        return self.t(name, (s.E, s.D))

    def route(self, l, h):
        s = self.s
        logits = h @ self.router_weight(l).T
        self.logit_std.append(float(logits.std()) if logits.numel() > 1 else 0.0)
        if s.router == "softmax_topk":
            return route_softmax_topk(logits, s.K, s.norm_topk)
        if s.router in ("v2_greedy", "v2_group"):
            return route_deepseek_v2(logits, s.K, s.router, getattr(s, "ng", 1), getattr(s, "tg", 1), s.scale)
        if s.router == "v3":
            bias = self.t(self.moe_prefix(l) + "gate.e_score_correction_bias", (s.E,))
            return route_deepseek_v3(logits, bias, s.K, s.ng, s.tg, s.norm_topk, s.scale)
        return route_granite(logits, s.K)

    def routed_experts(self, l, h, ids, wts, probe):
        out = torch.zeros_like(h)
        for e in range(self.s.E):
            rows, slot = (ids == e).nonzero(as_tuple=True)
            if rows.numel() == 0 and not probe:
                continue
            g, u, d = self.expert_weights(l, e)
            if rows.numel() == 0:
                continue
            y = swiglu(h[rows], g, u, d)
            out.index_add_(0, rows, y * wts[rows, slot][:, None])
        return out

    def shared_expert(self, l, h):
        s = self.s
        D, S = s.D, s.shared_ffn
        if s.shared == "qwen2":
            p = f"model.layers.{l}.mlp.shared_expert."
            y = swiglu(h, self.t(p + "gate_proj.weight", (S, D)), self.t(p + "up_proj.weight", (S, D)),
                       self.t(p + "down_proj.weight", (D, S)))
            gate = torch.sigmoid(h @ self.t(f"model.layers.{l}.mlp.shared_expert_gate.weight", (1, D)).T)
            return gate * y
        if s.shared == "deepseek":
            p = f"model.layers.{l}.mlp.shared_experts."
            return swiglu(h, self.t(p + "gate_proj.weight", (S, D)), self.t(p + "up_proj.weight", (S, D)),
                          self.t(p + "down_proj.weight", (D, S)))
        # granite shared_mlp: input_linear [2S, D] = cat(gate, up), output_linear [D, S]
        p = f"model.layers.{l}.shared_mlp."
        wi = self.t(p + "input_linear.weight", (2 * S, D))
        return swiglu(h, wi[:S], wi[S:], self.t(p + "output_linear.weight", (D, S)))

    def moe(self, l, h, probe):
        ids, wts, g, sel, gs = self.route(l, h)
        out = self.routed_experts(l, h, ids, wts, probe)
        if self.s.shared:
            out = out + self.shared_expert(l, h)
        return out, (ids, wts, g, sel, gs)

    # -- whole pass
    def forward(self, tokens, probe=False):
        s = self.s
        ids = torch.tensor(tokens, dtype=torch.long, device=self.device)
        T = len(tokens)
        cs = self.cos_sin(T)
        x = self.t("model.embed_tokens.weight", (s.V, s.D))[ids] * s.emb_mult
        rec = []
        for l in range(s.L):
            p = f"model.layers.{l}."
            h = rmsnorm(x, self.t(p + "input_layernorm.weight", (s.D,)), s.eps)
            a = self.attn_mla(l, h, cs) if s.mla else self.attn_standard(l, h, cs)
            x = x + a * s.res_mult
            h = rmsnorm(x, self.t(p + "post_attention_layernorm.weight", (s.D,)), s.eps)
            if s.is_moe(l):
                y, r = self.moe(l, h, probe)
                rec.append(r)
            else:
                y = self.dense_mlp(l, h)
            x = x + y * s.res_mult
        x = rmsnorm(x, self.t("model.norm.weight", (s.D,)), s.eps)
        head = self.t("model.embed_tokens.weight" if s.tied else "lm_head.weight", (s.V, s.D))
        logits = (x @ head.T) / s.logit_div
        lse = torch.logsumexp(logits, -1)
        nll = (lse[:-1] - logits[:-1].gather(1, ids[1:, None])[:, 0]) if T > 1 else lse[:0]
        st = lambda i: torch.stack([r[i] for r in rec]).double().cpu().numpy() if rec else np.zeros((0, T, 0))
        return {
            "nll": nll.double().cpu().numpy(),
            "probs": st(2),                                  # g per token [L, T, E]
            "ids": torch.stack([r[0] for r in rec]).cpu().numpy() if rec else np.zeros((0, T, 0), int),
            "wts": st(1),                                    # [L, T, K]
            "sel": st(3),                                    # [L, T, E]
            "gsel": [None if r[4] is None else r[4].double().cpu().numpy() for r in rec],
        }


def summarize(r, L, E):
    T = r["probs"].shape[1]
    router_mean = r["probs"].mean(axis=1)
    topk_mean = np.zeros((L, E))
    for l in range(L):
        np.add.at(topk_mean[l], r["ids"][l].reshape(-1), r["wts"][l].reshape(-1))
    topk_mean /= max(T, 1)
    return router_mean, topk_mean


# ---------------------------------------------------------------- I/O


def read_jsonl(path, rtype):
    out = []
    with open(path) as fh:
        for line in fh:
            line = line.strip()
            if line:
                rec = json.loads(line)
                if rec.get("type") == rtype:
                    out.append(rec)
    return out


def run_sample(model, tokens):
    r = model.forward(tokens)
    rm, tm = summarize(r, model.L, model.E)
    nll = r["nll"]
    return {"loss": float(nll.mean()) if len(nll) else None, "token_nll": nll.tolist(),
            "router_mean": rm.reshape(-1).tolist(), "topk_mean": tm.reshape(-1).tolist(),
            "topk_ids": r["ids"].transpose(1, 0, 2).reshape(-1).tolist(),
            "topk_weights": r["wts"].transpose(1, 0, 2).reshape(-1).tolist(),
            "moe_layers": model.s.moe_layers, "n_layers": model.L, "n_experts": model.E,
            "top_k": model.K}, r


def cmd_run(a, model):
    for smp in read_jsonl(a.samples, "sample"):
        out, _ = run_sample(model, smp["tokens"])
        print(json.dumps(dict({"id": smp["id"]}, **out)))
    return 0


class Worst:
    def __init__(self, name, tol):
        self.name, self.tol, self.val, self.where = name, tol, 0.0, "-"

    def see(self, v, where):
        if not (v <= self.val):
            self.val, self.where = v, where

    def ok(self):
        return self.tol is None or self.val <= self.tol

    def line(self):
        tol = "report only" if self.tol is None else f"tol {self.tol:g}"
        flag = "ok  " if self.ok() else "FAIL"
        return f"{flag} {self.name:13s} worst {self.val:.3e} ({tol}) at {self.where}"


def near_tie(model, r, l, t, cset, tie):
    """True when the reference's choice at (layer l, token t) is ambiguous: within the kept
    groups two of the top K+1 selection scores lie within `tie` at or after the first
    position where the sets differ, or (group routers) the kept/dropped group boundary is."""
    K = model.K
    sel = r["sel"][l, t]
    order = np.argsort(-sel, kind="stable")
    ref = list(order[:K])
    j = next((i for i, e in enumerate(ref) if e not in cset), K - 1)
    top = sel[order[:min(K + 1, len(order))]]
    gaps = top[j:-1] - top[j + 1:]
    if gaps.size and gaps.min() <= tie:
        return True
    gs = r["gsel"][l]
    if gs is not None:
        g = np.sort(gs[t])[::-1]
        tg = model.s.tg
        if tg < len(g) and g[tg - 1] - g[tg] <= tie:
            return True
    return False


def cmd_compare(a, model):
    samples = {s["id"]: s for s in read_jsonl(a.samples, "sample")}
    traces = read_jsonl(a.trace, "trace")
    L, E, K = model.L, model.E, model.K
    problems = []
    if len(traces) != len(samples):
        problems.append(f"{len(traces)} traces for {len(samples)} samples")
    w_nll = Worst("token_nll", a.nll_tol)
    w_loss = Worst("loss", a.nll_tol)
    w_rm = Worst("router_mean", a.router_tol)
    w_tm = Worst("topk_mean", a.router_tol)
    w_tm_tied = Worst("topk_mean*", None)
    w_pr = Worst("probs", a.router_tol)
    w_tw = Worst("topk_weights", a.router_tol)
    ties = mismatches = checked = 0
    max_tokens = 0
    for tr in traces:
        smp = samples.get(tr["id"])
        if smp is None:
            problems.append(f"trace {tr['id']} has no sample")
            continue
        T = len(smp["tokens"])
        max_tokens = max(max_tokens, T)
        for key, want in (("n_tokens", T), ("n_layers", L), ("n_experts", E), ("top_k", K),
                          ("domain", smp.get("domain")), ("source", smp.get("source")),
                          ("index", smp.get("index"))):
            if tr.get(key) != want:
                problems.append(f"{tr['id']}: {key} is {tr.get(key)!r}, expected {want!r}")
        # a field missing or of the wrong length (say, n_layers counting dense layers) is a
        # problem to report, not a reshape traceback that hides the summary
        sizes = {"token_nll": max(T - 1, 0), "router_mean": L * E, "topk_mean": L * E,
                 "topk_ids": T * L * K, "topk_weights": T * L * K}
        if "probs" in tr:
            sizes["probs"] = T * L * E
        bad = [f"{k} missing" if k not in tr else f"{k} has {np.size(tr[k])} values, expected {n}"
               for k, n in sizes.items() if k not in tr or np.size(tr[k]) != n]
        if "topk_ids" not in tr:
            bad.append("no topk_ids (run router-trace with --emit-topk)")
        if T > 1 and not isinstance(tr.get("loss"), (int, float)):
            bad.append(f"loss is {tr.get('loss')!r} for a {T}-token sample")
        if bad:
            problems.append(f"{tr['id']}: " + "; ".join(bad))
            continue
        r = model.forward(smp["tokens"])
        rm, tm = summarize(r, L, E)
        c_nll = np.asarray(tr["token_nll"], dtype=np.float64)
        if c_nll.shape != r["nll"].shape:
            problems.append(f"{tr['id']}: token_nll has {c_nll.size} values, expected {r['nll'].size}")
        else:
            d = np.abs(c_nll - r["nll"])
            if d.size:
                i = int(np.nanargmax(d)) if not np.isnan(d).any() else int(np.argmax(np.isnan(d)))
                w_nll.see(float(d[i]), f"sample {tr['id']} token {i + 1} (C {c_nll[i]:.6f}, ref {r['nll'][i]:.6f})")
                w_loss.see(abs(tr["loss"] - float(r["nll"].mean())), f"sample {tr['id']}")
            elif tr.get("loss") is not None:
                problems.append(f"{tr['id']}: loss {tr['loss']} for a 1-token sample, expected nil")

        def see_mean(c, ref, w):
            c = np.asarray(c, dtype=np.float64).reshape(L, E)
            d = np.abs(c - ref)
            l, e = np.unravel_index(int(np.argmax(d)), d.shape)
            w.see(float(d[l, e]), f"sample {tr['id']} layer {l} expert {e}")
        see_mean(tr["router_mean"], rm, w_rm)
        if "probs" in tr:
            c = np.asarray(tr["probs"], dtype=np.float64).reshape(T, L, E).transpose(1, 0, 2)
            d = np.abs(c - r["probs"])
            l, t, e = np.unravel_index(int(np.argmax(d)), d.shape)
            w_pr.see(float(d[l, t, e]), f"sample {tr['id']} layer {l} token {t} expert {e}")
        if "topk_ids" not in tr:
            problems.append(f"{tr['id']}: no topk_ids (run router-trace with --emit-topk)")
            continue
        cid = np.asarray(tr["topk_ids"], dtype=np.int64).reshape(T, L, K).transpose(1, 0, 2)
        cw = np.asarray(tr["topk_weights"], dtype=np.float64).reshape(T, L, K).transpose(1, 0, 2)
        ties_before = ties
        for l in range(L):
            for t in range(T):
                checked += 1
                cset = set(cid[l, t].tolist())
                rid = r["ids"][l, t].tolist()
                if cset == set(rid) and len(cset) == K:
                    # weights compared expert by expert, whatever order C wrote them in
                    cmap = dict(zip(cid[l, t].tolist(), cw[l, t].tolist()))
                    d = max(abs(cmap[e] - w) for e, w in zip(rid, r["wts"][l, t].tolist()))
                    w_tw.see(float(d), f"sample {tr['id']} layer {l} token {t}")
                    continue
                if near_tie(model, r, l, t, cset, a.tie):
                    ties += 1
                else:
                    mismatches += 1
                    if mismatches <= 5:
                        problems.append(f"{tr['id']}: layer {l} token {t}: C top-k {cid[l, t].tolist()}, "
                                        f"reference {rid}")
        see_mean(tr["topk_mean"], tm, w_tm if ties == ties_before else w_tm_tied)
    print(f"compared {len(traces)} samples (up to {max_tokens} tokens), {checked} token-layers")
    for w in (w_nll, w_loss, w_rm, w_tm, w_tm_tied, w_pr, w_tw):
        print(w.line())
    print(f"top-k ids: {mismatches} mismatches, {ties} near-ties within {a.tie:g} excused")
    for p in problems:
        print("problem:", p)
    bad = mismatches or problems or not all(w.ok() for w in (w_nll, w_loss, w_rm, w_tm, w_pr, w_tw))
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("command", choices=["run", "compare", "config", "disagreements"])
    ap.add_argument("--model")
    ap.add_argument("--samples")
    ap.add_argument("--trace")
    ap.add_argument("--fp32", action="store_true", help="compute in float32 instead of float64")
    ap.add_argument("--v2-old-hf-scale", action="store_true",
                    help="deepseek_v2: no YaRN mscale^2 on the softmax scale (HF before PR #47435)")
    ap.add_argument("--nll-tol", type=float, default=1e-4)
    ap.add_argument("--router-tol", type=float, default=1e-5)
    ap.add_argument("--tie", type=float, default=1e-5)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    if a.command == "disagreements":
        print(DISAGREEMENTS, end="")
        return 0
    if not a.model:
        ap.error("--model is needed")
    torch.set_num_threads(a.threads)
    try:
        if a.command == "config":        # config.json only, no tensors read
            with open(os.path.join(a.model, "config.json")) as fh:
                print(json.dumps(Spec(json.load(fh), a.v2_old_hf_scale).describe(), default=str))
            return 0
        cfg, tensors = load_checkpoint(a.model)
        model = Model(cfg, tensors, torch.float32 if a.fp32 else torch.float64, a.v2_old_hf_scale)
    except ConfigError as e:               # a data error (exit 1), as router-trace's refusals
        print(f"families_ref: error: {e}", file=sys.stderr)
        return 1
    except (KeyError, ValueError) as e:     # a tensor missing, misshapen or unused
        print(f"families_ref: error: {e}", file=sys.stderr)
        return 1
    if not a.samples:
        ap.error("--samples is needed")
    if a.command == "run":
        return cmd_run(a, model)
    if not a.trace:
        ap.error("compare needs --trace")
    return cmd_compare(a, model)


if __name__ == "__main__":
    sys.exit(main())
