"""explore.py: a design-iteration run: train with the given settings and
print, every --every steps, per domain train loss, train/test accuracy, and
the monitored pathway distance and S on a few training samples (probe.py).
Not part of the committed recipe's output; train.py is.
"""
import os

# one thread everywhere, OpenBLAS's pool included (set before torch loads it)
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse
import json
import time

import torch

from olmoe_torch import Shape, init_params, is_norm, forward, token_nll, balance_loss, round_bf16
from probe import evaluate, pathway, mean_distance, consistency_s
from tasks import Layout, Split


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cfg", default="{}")
    a = ap.parse_args()
    c = dict(p=59, domains="add,sub,mul", fracs="0.5,0.4,0.3", d=64, layers=4, heads=4,
             experts=8, top_k=2, ffn=32, lr=1e-3, wd=1.0, batch=512, steps=5000, every=250,
             aux=0.01, seed=1, init=1.0, probe_n=40, warmup=50)
    c.update(json.loads(a.cfg))
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(c["seed"])
    doms = c["domains"].split(",")
    fracs = [float(f) for f in c["fracs"].split(",")]
    lay = Layout(c["p"], doms)
    splits = [Split(lay, d, f, c["seed"] * 100 + i) for i, (d, f) in enumerate(zip(doms, fracs))]
    train = torch.cat([sp.train for sp in splits])
    s = Shape(lay.vocab, c["d"], c["layers"], c["heads"], c["experts"], c["top_k"], c["ffn"])
    gen = torch.Generator().manual_seed(c["seed"])
    p = init_params(s, gen, c["init"])
    for v in p.values():
        v.requires_grad_(True)
    groups = [{"params": [v for k, v in p.items() if not is_norm(k)], "weight_decay": c["wd"]},
              {"params": [v for k, v in p.items() if is_norm(k)], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=c["lr"], betas=(0.9, 0.98))
    print(json.dumps(c), "ntrain", train.shape[0], flush=True)
    t0 = time.time()
    order, pos = torch.randperm(train.shape[0], generator=gen), 0
    for step in range(1, c["steps"] + 1):
        if pos + c["batch"] > train.shape[0]:
            order, pos = torch.randperm(train.shape[0], generator=gen), 0
        x = train[order[pos:pos + c["batch"]]]
        pos += c["batch"]
        for g in opt.param_groups:
            g["lr"] = c["lr"] * min(1.0, step / c["warmup"])
        logits, probs, masks = forward(s, p, x)
        loss = token_nll(logits, x).mean()
        if c["aux"]:
            loss = loss + c["aux"] * balance_loss(s, probs, masks)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % c["every"] == 0:
            report(s, p, splits, step, time.time() - t0, c)


def report(s, p, splits, step, dt, c):
    q = round_bf16({k: v.detach() for k, v in p.items()})
    routers = [q[f"l{l}.router"] for l in range(s.L)]
    parts = []
    for sp in splits:
        tl, tc, tr = evaluate(s, q, sp.train)
        _, vc, _ = evaluate(s, q, sp.test)
        n = c["probe_n"]
        paths = [pathway(r) for r in tr[:n]]
        dist = mean_distance(paths)
        S = sum(consistency_s(r, routers) for r in tr[:n]) / n
        plen = sum(len(x) for x in paths) / n
        parts.append(f"{sp.domain}: L {tl.mean():.4f} tr {tc.float().mean():.2f} "
                     f"te {vc.float().mean():.3f} D {dist:.2f} S {S:.3f} len {plen:.1f}")
    print(f"{step:6d} {dt:6.0f}s | " + " | ".join(parts), flush=True)


if __name__ == "__main__":
    main()
