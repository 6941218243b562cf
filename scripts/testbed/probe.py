"""probe.py: quick in-Python versions of the numbers grokmon computes, used
while training to watch a run (and to choose where checkpoints go): per
sample loss and answer accuracy, and the paper's pathway strings (router
softmax averaged over a sample's tokens, experts kept in rank order until the
cumulative weight exceeds tau) with their mean pairwise character edit
distance. grokmon itself is the judge of the committed series; this is a
monitor.
"""
import torch

from olmoe_torch import forward, token_nll


@torch.no_grad()
def evaluate(s, p, ids, chunk=4096):
    """-> (per-sample mean NLL [N], answer-correct [N] bool, router means
    [N, L, E]) for token tensor ids [N, T]; the answer is the last token."""
    losses, correct, routes = [], [], []
    for i in range(0, ids.shape[0], chunk):
        x = ids[i:i + chunk]
        logits, probs, _ = forward(s, p, x)
        losses.append(token_nll(logits, x).mean(-1))
        correct.append(logits[:, -2].argmax(-1) == x[:, -1])
        B, T = x.shape
        routes.append(torch.stack([pr.view(B, T, -1).mean(1) for pr in probs], 1))
    return torch.cat(losses), torch.cat(correct), torch.cat(routes)


def pathway(route, tau=0.7):
    """route [L, E] -> the pathway string ('3,1-0,2-...'); ties: lower index."""
    parts = []
    for g in route.tolist():
        order = sorted(range(len(g)), key=lambda e: (-g[e], e))
        kept, cum = [], 0.0
        for e in order:
            kept.append(str(e))
            cum += g[e]
            if cum > tau:
                break
        parts.append(",".join(kept))
    return "-".join(parts)


def levenshtein(a, b):
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def mean_distance(paths):
    n, tot = len(paths), 0
    for i in range(n):
        for j in range(i + 1, n):
            tot += levenshtein(paths[i], paths[j])
    return tot / max(1, n * (n - 1) // 2)


def consistency_s(route, routers):
    """S = mean_l cos(e_l, e_l+1) / max_l (the paper's C is 1 - S);
    e_l = W_l^T g_l. route [L, E], routers [L][E, D]."""
    e = [routers[l].T @ route[l] for l in range(route.shape[0])]
    c = [float(torch.nn.functional.cosine_similarity(e[l], e[l + 1], dim=0))
         for l in range(len(e) - 1)]
    m = max(c)
    return sum(ci / (m + 1e-8) for ci in c) / len(c)
