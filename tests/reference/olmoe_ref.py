#!/usr/bin/python3
"""olmoe_ref.py: an independent reference for router-trace: the OLMoE forward
pass in PyTorch (HF transformers semantics as ../shared/spec/olmoe.md gives
them), reading the same HF checkpoint folder (safetensors parsed here with json
+ numpy), and a checker that compares router-trace's traces with it. Written
from the spec, not from our C code. Computes in float64 by default (--fp32 for
float32), so the C's fp32 error is measured against a near-exact answer.

  olmoe_ref.py run     --model DIR --samples S.jsonl          > ref.jsonl
  olmoe_ref.py compare --model DIR --samples S.jsonl --trace T.jsonl [--nll-tol 1e-4]
S.jsonl / T.jsonl: `dump` output of sample / trace streams (docs/records.md).
compare prints the worst case of every quantity and exits 1 when a tolerance fails.
"""
import argparse
import json
import math
import os
import struct
import sys

import numpy as np
import torch

# ---------------------------------------------------------------- loading


def read_safetensors(path):
    """{name: numpy array} for every tensor of one .safetensors file (a copy)."""
    with open(path, "rb") as fh:
        blob = fh.read()
    if len(blob) < 8:
        raise ValueError(f"{path}: shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        raw = blob[base + b:base + e]
        shape = tuple(info["shape"])
        dt = info["dtype"]
        if dt == "F32":
            a = np.frombuffer(raw, dtype="<f4").astype(np.float64)
        elif dt == "F16":
            a = np.frombuffer(raw, dtype="<f2").astype(np.float64)
        elif dt == "BF16":
            u = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            a = u.view(np.float32).astype(np.float64)
        else:
            raise ValueError(f"{path}: tensor {name}: dtype {dt} not handled")
        out[name] = a.reshape(shape)
    return out


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


# ---------------------------------------------------------------- the model


class Olmoe:
    """OLMoE forward over one token sequence; weights as torch tensors."""

    def __init__(self, cfg, tensors, dtype):
        if cfg.get("model_type") != "olmoe":
            raise ValueError(f"model_type {cfg.get('model_type')} is not olmoe")
        self.dtype = dtype
        self.D = cfg["hidden_size"]
        self.L = cfg["num_hidden_layers"]
        self.H = cfg["num_attention_heads"]
        self.Hkv = cfg.get("num_key_value_heads") or self.H
        self.Dh = self.D // self.H
        self.E = cfg["num_experts"]
        self.K = cfg["num_experts_per_tok"]
        self.V = cfg["vocab_size"]
        self.eps = cfg.get("rms_norm_eps", 1e-5)
        self.theta = cfg.get("rope_theta", 10000.0)
        self.clip = cfg.get("clip_qkv")
        self.norm_topk = bool(cfg.get("norm_topk_prob", False))
        self.tied = bool(cfg.get("tie_word_embeddings", False))
        self.w = {k: torch.from_numpy(v).to(dtype) for k, v in tensors.items()}

    def t(self, name):
        return self.w[name]

    def rmsnorm(self, x, weight):
        # y = w * x / sqrt(mean(x^2) + eps)
        var = x.pow(2).mean(-1, keepdim=True)
        return weight * (x * torch.rsqrt(var + self.eps))

    def rope(self, x, T):
        # x [T, heads, Dh]; rotate-half: pair i with i + Dh/2
        half = self.Dh // 2
        inv = 1.0 / (self.theta ** (torch.arange(0, half, dtype=torch.float64) * 2.0 / self.Dh))
        ang = torch.arange(T, dtype=torch.float64)[:, None] * inv[None, :]  # [T, Dh/2]
        cos = torch.cat([ang.cos(), ang.cos()], -1).to(self.dtype)[:, None, :]
        sin = torch.cat([ang.sin(), ang.sin()], -1).to(self.dtype)[:, None, :]
        rot = torch.cat([-x[..., half:], x[..., :half]], -1)
        return x * cos + rot * sin

    def attention(self, l, h):
        p = f"model.layers.{l}.self_attn."
        T = h.shape[0]
        q = h @ self.t(p + "q_proj.weight").T
        k = h @ self.t(p + "k_proj.weight").T
        v = h @ self.t(p + "v_proj.weight").T
        q = self.rmsnorm(q, self.t(p + "q_norm.weight"))
        k = self.rmsnorm(k, self.t(p + "k_norm.weight"))
        if self.clip:
            q, k, v = (a.clamp(-self.clip, self.clip) for a in (q, k, v))
        q = self.rope(q.view(T, self.H, self.Dh), T)
        k = self.rope(k.view(T, self.Hkv, self.Dh), T)
        v = v.view(T, self.Hkv, self.Dh)
        rep = self.H // self.Hkv
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        s = torch.einsum("thd,shd->hts", q, k) / math.sqrt(self.Dh)  # [H, T, T]
        mask = torch.ones(T, T, dtype=torch.bool).triu(1)
        s = s.masked_fill(mask, float("-inf"))
        a = torch.softmax(s, dim=-1)
        o = torch.einsum("hts,shd->thd", a, v).reshape(T, self.D)
        return o @ self.t(p + "o_proj.weight").T

    def moe(self, l, h):
        p = f"model.layers.{l}.mlp."
        logits = h @ self.t(p + "gate.weight").T                 # [T, E]
        probs = torch.softmax(logits, dim=-1)                     # over all experts
        # top-k descending, ties to the lower index: stable sort of -p
        order = torch.sort(-probs, dim=-1, stable=True).indices
        ids = order[:, :self.K]                                   # [T, K]
        wts = probs.gather(1, ids)
        if self.norm_topk:
            wts = wts / wts.sum(-1, keepdim=True)
        out = torch.zeros_like(h)
        for e in range(self.E):
            rows, slot = (ids == e).nonzero(as_tuple=True)
            if rows.numel() == 0:
                continue
            x = h[rows]
            g = x @ self.t(p + f"experts.{e}.gate_proj.weight").T
            u = x @ self.t(p + f"experts.{e}.up_proj.weight").T
            y = (torch.nn.functional.silu(g) * u) @ self.t(p + f"experts.{e}.down_proj.weight").T
            out.index_add_(0, rows, y * wts[rows, slot][:, None])
        return out, probs, ids, wts

    def forward(self, tokens):
        ids = torch.tensor(tokens, dtype=torch.long)
        T = len(tokens)
        x = self.t("model.embed_tokens.weight")[ids]
        probs_l, ids_l, wts_l = [], [], []
        for l in range(self.L):
            p = f"model.layers.{l}."
            x = x + self.attention(l, self.rmsnorm(x, self.t(p + "input_layernorm.weight")))
            y, pr, ii, ww = self.moe(l, self.rmsnorm(x, self.t(p + "post_attention_layernorm.weight")))
            x = x + y
            probs_l.append(pr); ids_l.append(ii); wts_l.append(ww)
        x = self.rmsnorm(x, self.t("model.norm.weight"))
        head = self.t("model.embed_tokens.weight" if self.tied else "lm_head.weight")
        logits = x @ head.T                                        # [T, V]
        lse = torch.logsumexp(logits, dim=-1)
        nll = (lse[:-1] - logits[:-1].gather(1, ids[1:, None])[:, 0]) if T > 1 else lse[:0]
        return {
            "nll": nll.double().numpy(),
            "probs": torch.stack(probs_l).double().numpy(),      # [L, T, E]
            "ids": torch.stack(ids_l).numpy(),                   # [L, T, K]
            "wts": torch.stack(wts_l).double().numpy(),          # [L, T, K]
        }


def summarize(r, L, E, K):
    T = r["probs"].shape[1]
    router_mean = r["probs"].mean(axis=1)                        # [L, E]
    topk_mean = np.zeros((L, E))
    for l in range(L):
        np.add.at(topk_mean[l], r["ids"][l].reshape(-1), r["wts"][l].reshape(-1))
    topk_mean /= T
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


def cmd_run(a, model):
    for s in read_jsonl(a.samples, "sample"):
        r = model.forward(s["tokens"])
        rm, tm = summarize(r, model.L, model.E, model.K)
        nll = r["nll"]
        print(json.dumps({"id": s["id"], "loss": float(nll.mean()) if len(nll) else None,
                          "token_nll": nll.tolist(), "router_mean": rm.reshape(-1).tolist(),
                          "topk_mean": tm.reshape(-1).tolist(),
                          "topk_ids": r["ids"].transpose(1, 0, 2).reshape(-1).tolist()}))
    return 0


class Worst:
    def __init__(self, name, tol):
        self.name, self.tol, self.val, self.where = name, tol, 0.0, "-"

    def see(self, v, where):
        if not (v <= self.val):          # NaN counts as worst
            self.val, self.where = v, where

    def ok(self):
        return self.tol is None or self.val <= self.tol

    def line(self):
        tol = "report only" if self.tol is None else f"tol {self.tol:g}"
        flag = "ok  " if self.ok() else "FAIL"
        return f"{flag} {self.name:13s} worst {self.val:.3e} ({tol}) at {self.where}"


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
    w_tm_tied = Worst("topk_mean*", None)  # samples with an excused near-tie
    w_pr = Worst("probs", a.router_tol)
    w_tw = Worst("topk_weights", a.router_tol)
    ties = mismatches = checked = 0
    max_tokens = 0
    for tr in traces:
        s = samples.get(tr["id"])
        if s is None:
            problems.append(f"trace {tr['id']} has no sample")
            continue
        T = len(s["tokens"])
        max_tokens = max(max_tokens, T)
        for key, want in (("n_tokens", T), ("n_layers", L), ("n_experts", E), ("top_k", K),
                          ("domain", s.get("domain")), ("source", s.get("source")),
                          ("index", s.get("index"))):
            if tr.get(key) != want:
                problems.append(f"{tr['id']}: {key} is {tr.get(key)!r}, expected {want!r}")
        r = model.forward(s["tokens"])
        rm, tm = summarize(r, L, E, K)
        # per-token NLL and loss
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
        # router means; topk_mean only where no near-tie changed a choice
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
        srt = -np.sort(-r["probs"], axis=-1)                      # [L, T, E] descending
        ties_before = ties
        for l in range(L):
            for t in range(T):
                checked += 1
                same = np.array_equal(cid[l, t], r["ids"][l, t])
                if same:
                    d = np.abs(cw[l, t] - r["wts"][l, t]).max()
                    w_tw.see(float(d), f"sample {tr['id']} layer {l} token {t}")
                    continue
                # excused when the ranking is ambiguous: two of the top K+1
                # probabilities within the tie tolerance, at or after the
                # first position where the lists differ
                j = int(np.argmax(cid[l, t] != r["ids"][l, t]))
                top = srt[l, t, :min(K + 1, E)]
                gaps = top[j:-1] - top[j + 1:]
                if gaps.size and gaps.min() <= a.tie:
                    ties += 1
                else:
                    mismatches += 1
                    if mismatches <= 5:
                        problems.append(
                            f"{tr['id']}: layer {l} token {t}: C top-k {cid[l, t].tolist()}, "
                            f"reference {r['ids'][l, t].tolist()} (probs {top.tolist()})")
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
    ap.add_argument("command", choices=["run", "compare"])
    ap.add_argument("--model", required=True)
    ap.add_argument("--samples", required=True)
    ap.add_argument("--trace")
    ap.add_argument("--fp32", action="store_true", help="compute in float32 instead of float64")
    ap.add_argument("--nll-tol", type=float, default=1e-4)
    ap.add_argument("--router-tol", type=float, default=1e-5)
    ap.add_argument("--tie", type=float, default=1e-5)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cfg, tensors = load_checkpoint(a.model)
    model = Olmoe(cfg, tensors, torch.float32 if a.fp32 else torch.float64)
    if a.command == "run":
        return cmd_run(a, model)
    if not a.trace:
        ap.error("compare needs --trace")
    return cmd_compare(a, model)


if __name__ == "__main__":
    sys.exit(main())
