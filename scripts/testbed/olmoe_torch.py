"""olmoe_torch.py: a small trainable OLMoE in PyTorch that computes exactly the
forward pass of /work/shared/spec/olmoe.md (and so grokmon's router-trace):
RMSNorm in fp32; q/k RMSNorm over the full d-wide projection before the head
split and before RoPE; NeoX rotate-half RoPE; causal attention; router softmax
over ALL experts in fp32, top-k by probability with the raw (not renormalized)
softmax values as weights; SwiGLU experts; untied lm_head.

Experts are stored stacked ([E, F, D] etc.) and computed densely, every token
through every expert, then weighted by the top-k mask: weights outside the
top-k are exactly 0, so the output and the gradients are those of the sparse
MoE (an unchosen expert gets no gradient), and there is no scatter/gather
whose order could break determinism. hf_tensors() gives the HF tensor names.
"""
import math

import torch
import torch.nn.functional as F


class Shape:
    """The model's dimensions and the HF config keys that follow from them."""

    def __init__(self, vocab, d=64, layers=4, heads=4, experts=8, top_k=2, ffn=32,
                 max_pos=16, rope_theta=10000.0, eps=1e-5):
        self.V, self.D, self.L, self.H = vocab, d, layers, heads
        self.E, self.K, self.F = experts, top_k, ffn
        self.max_pos, self.theta, self.eps = max_pos, rope_theta, eps
        self.Dh = d // heads

    def hf_config(self, dtype="bfloat16"):
        return {
            "architectures": ["OlmoeForCausalLM"],
            "attention_bias": False,
            "attention_dropout": 0.0,
            "clip_qkv": None,
            "eos_token_id": self.V - 1,
            "hidden_act": "silu",
            "hidden_size": self.D,
            "initializer_range": 0.02,
            "intermediate_size": self.F,
            "max_position_embeddings": self.max_pos,
            "model_type": "olmoe",
            "norm_topk_prob": False,
            "num_attention_heads": self.H,
            "num_experts": self.E,
            "num_experts_per_tok": self.K,
            "num_hidden_layers": self.L,
            "num_key_value_heads": self.H,
            "output_router_logits": False,
            "pad_token_id": self.V - 1,
            "rms_norm_eps": self.eps,
            "rope_scaling": None,
            "rope_theta": self.theta,
            "router_aux_loss_coef": 0.01,
            "tie_word_embeddings": False,
            "torch_dtype": dtype,
            "use_cache": True,
            "vocab_size": self.V,
        }


def init_params(s, gen, scale=1.0):
    """Fresh parameters {name: tensor}; matrices N(0, scale/sqrt(fan_in)),
    embeddings N(0, scale), norms 1. Drawn in a fixed order from gen."""
    def mat(*shape):
        return torch.randn(*shape, generator=gen) * (scale / math.sqrt(shape[-1]))

    p = {"embed": torch.randn(s.V, s.D, generator=gen) * scale}
    for l in range(s.L):
        q = f"l{l}."
        p[q + "ln1"] = torch.ones(s.D)
        for w in ("wq", "wk", "wv", "wo"):
            p[q + w] = mat(s.D, s.D)
        p[q + "qn"] = torch.ones(s.D)
        p[q + "kn"] = torch.ones(s.D)
        p[q + "ln2"] = torch.ones(s.D)
        p[q + "router"] = mat(s.E, s.D)
        p[q + "w_gate"] = mat(s.E, s.F, s.D)
        p[q + "w_up"] = mat(s.E, s.F, s.D)
        p[q + "w_down"] = mat(s.E, s.D, s.F)
    p["norm"] = torch.ones(s.D)
    p["head"] = mat(s.V, s.D)
    return p


def is_norm(name):
    return name.split(".")[-1] in ("ln1", "ln2", "qn", "kn", "norm")


def rmsnorm(x, w, eps):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rope_tables(s, T):
    half = s.Dh // 2
    inv = 1.0 / (s.theta ** (torch.arange(0, half, dtype=torch.float64) * 2.0 / s.Dh))
    ang = torch.arange(T, dtype=torch.float64)[:, None] * inv[None, :]
    cos = torch.cat([ang.cos(), ang.cos()], -1).float()
    sin = torch.cat([ang.sin(), ang.sin()], -1).float()
    return cos, sin  # [T, Dh]


def rope(x, cos, sin):
    """x [B, H, T, Dh], rotate-half: element i pairs with i + Dh/2."""
    half = x.shape[-1] // 2
    rot = torch.cat([-x[..., half:], x[..., :half]], -1)
    return x * cos + rot * sin


def attention(s, p, q_, h, cos, sin):
    B, T, D = h.shape
    q = rmsnorm(h @ p[q_ + "wq"].T, p[q_ + "qn"], s.eps)
    k = rmsnorm(h @ p[q_ + "wk"].T, p[q_ + "kn"], s.eps)
    v = h @ p[q_ + "wv"].T
    q, k, v = (a.view(B, T, s.H, s.Dh).transpose(1, 2) for a in (q, k, v))
    q, k = rope(q, cos, sin), rope(k, cos, sin)
    # T is tiny: broadcast products beat this torch's batched GEMM loop
    sc = (q[:, :, :, None, :] * k[:, :, None, :, :]).sum(-1) / math.sqrt(s.Dh)
    mask = torch.ones(T, T, dtype=torch.bool).triu(1)
    a = torch.softmax(sc.masked_fill(mask, float("-inf")), dim=-1)
    o = (a[..., None] * v[:, :, None, :, :]).sum(-2).transpose(1, 2).reshape(B, T, D)
    return o @ p[q_ + "wo"].T


def moe(s, p, q_, h):
    """h [N, D] -> (output [N, D], probs [N, E], top-k mask [N, E])."""
    probs = torch.softmax((h @ p[q_ + "router"].T).float(), dim=-1)
    top = probs.topk(s.K, dim=-1).indices
    mask = torch.zeros_like(probs).scatter(-1, top, 1.0)
    if SPARSE:
        return experts_sparse(s, p, q_, h, top, probs.gather(-1, top)), probs, mask
    wts = probs * mask                                     # raw softmax, not renormalized
    N, E, Fw = h.shape[0], s.E, s.F
    g = (h @ p[q_ + "w_gate"].reshape(E * Fw, s.D).T).view(N, E, Fw)
    u = (h @ p[q_ + "w_up"].reshape(E * Fw, s.D).T).view(N, E, Fw)
    act = (F.silu(g) * u * wts[:, :, None]).reshape(N, E * Fw)
    # sum_e w_e down_e(act_e) as one GEMM: rows e*F+f of the stacked down_e^T
    return act @ p[q_ + "w_down"].transpose(1, 2).reshape(E * Fw, s.D), probs, mask


def experts_sparse(s, p, q_, h, top, wts):
    """Each token through its top-k experts only (tokens grouped by expert),
    weighted by the raw softmax values wts [N, K]."""
    N = h.shape[0]
    flat = top.reshape(-1)
    order = torch.argsort(flat, stable=True)
    rows = order // s.K
    counts = torch.bincount(flat, minlength=s.E).tolist()
    xs = h[rows]
    ys, at = [], 0
    for e, n in enumerate(counts):
        if n:
            x = xs[at:at + n]
            a = F.silu(x @ p[q_ + "w_gate"][e].T) * (x @ p[q_ + "w_up"][e].T)
            ys.append(a @ p[q_ + "w_down"][e].T)
        at += n
    y = torch.cat(ys) * wts.reshape(-1)[order][:, None]
    return torch.zeros(N, s.D, dtype=h.dtype).index_add(0, rows, y)


SPARSE = True


def forward(s, p, ids):
    """ids [B, T] -> (logits [B, T, V], per-layer router probs [L][B*T, E],
    per-layer top-k masks [L][B*T, E])."""
    B, T = ids.shape
    cos, sin = rope_tables(s, T)
    x = p["embed"][ids]
    probs, masks = [], []
    for l in range(s.L):
        q_ = f"l{l}."
        x = x + attention(s, p, q_, rmsnorm(x, p[q_ + "ln1"], s.eps), cos, sin)
        h2 = rmsnorm(x, p[q_ + "ln2"], s.eps).reshape(B * T, s.D)
        y, pr, mk = moe(s, p, q_, h2)
        x = x + y.view(B, T, s.D)
        probs.append(pr)
        masks.append(mk)
    x = rmsnorm(x, p["norm"], s.eps)
    return x @ p["head"].T, probs, masks


def token_nll(logits, ids):
    """Next-token NLL [B, T-1] in nats (logsumexp - target logit)."""
    lg = logits[:, :-1]
    return torch.logsumexp(lg, -1) - lg.gather(-1, ids[:, 1:, None])[..., 0]


def balance_loss(s, probs, masks):
    """OLMoE/Switch load-balancing loss over all layers' tokens:
    E * sum_e (fraction of top-k slots on e) * (mean router prob of e)."""
    pr = torch.cat(probs)
    mk = torch.cat(masks)
    return s.E * (mk.mean(0) / s.K * pr.mean(0)).sum()


def hf_tensors(s, p):
    """[(HF name, tensor)] in the order olmoe.md lists them."""
    out = [("model.embed_tokens.weight", p["embed"])]
    for l in range(s.L):
        q_, hf = f"l{l}.", f"model.layers.{l}."
        out.append((hf + "input_layernorm.weight", p[q_ + "ln1"]))
        for w in ("q", "k", "v", "o"):
            out.append((hf + f"self_attn.{w}_proj.weight", p[q_ + "w" + w]))
        out.append((hf + "self_attn.q_norm.weight", p[q_ + "qn"]))
        out.append((hf + "self_attn.k_norm.weight", p[q_ + "kn"]))
        out.append((hf + "post_attention_layernorm.weight", p[q_ + "ln2"]))
        out.append((hf + "mlp.gate.weight", p[q_ + "router"]))
        for e in range(s.E):
            ex = hf + f"mlp.experts.{e}."
            out.append((ex + "gate_proj.weight", p[q_ + "w_gate"][e]))
            out.append((ex + "up_proj.weight", p[q_ + "w_up"][e]))
            out.append((ex + "down_proj.weight", p[q_ + "w_down"][e]))
    out.append(("model.norm.weight", p["norm"]))
    out.append(("lm_head.weight", p["head"]))
    return out


def round_bf16(p):
    """The parameters as a BF16 file holds them (round to nearest even), in fp32."""
    return {k: v.detach().to(torch.bfloat16).float() for k, v in p.items()}
