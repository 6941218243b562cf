"""train.py: the testbed's one command. Trains the small OLMoE (olmoe_torch.py)
on the algorithmic domains (tasks.py) with AdamW and strong weight decay, the
classic grokking recipe: each domain memorizes its training pairs early and
generalizes to held-out pairs much later, each at its own step (its own
training fraction). Every --snap steps it keeps a BF16 snapshot and evaluates
it as saved; at the end it picks --keep snapshots (dense around each domain's
accuracy jump) and writes them as HF checkpoints with the data and CSVs
grokmon's study reads (README.md lists them).

  /usr/bin/python3 scripts/testbed/train.py --out testbed
"""
import os

# one thread everywhere, OpenBLAS's pool included (set before torch loads it)
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse
import json
import math
import os
import shutil
import struct
import time

import torch

from olmoe_torch import Shape, init_params, is_norm, forward, token_nll, balance_loss, round_bf16, hf_tensors
from probe import evaluate
from tasks import Layout, Split

DEFAULTS = dict(p=59, domains="add,sub,mul", fracs="0.75,0.6,0.45", d=64, layers=4, heads=4,
                experts=8, top_k=2, ffn=32, lr=3e-3, wd=1.0, batch=512, steps=4600, snap=200,
                keep=16, aux=0.01, seed=1, init=1.0, warmup=50, test_items=150, study_n=300)


def write_safetensors(path, tensors):
    """tensors: [(name, fp32 tensor)] -> BF16 safetensors (header, then bytes)."""
    header, blobs, off = {}, [], 0
    for name, t in tensors:
        b = t.detach().to(torch.bfloat16).contiguous().view(torch.int16).numpy().tobytes()
        header[name] = {"dtype": "BF16", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def train(c, splits, s, log):
    torch.manual_seed(c["seed"])
    gen = torch.Generator().manual_seed(c["seed"])
    p = init_params(s, gen, c["init"])
    for v in p.values():
        v.requires_grad_(True)
    groups = [{"params": [v for k, v in p.items() if not is_norm(k)], "weight_decay": c["wd"]},
              {"params": [v for k, v in p.items() if is_norm(k)], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=c["lr"], betas=(0.9, 0.98))
    train_ids = torch.cat([sp.train for sp in splits])
    order, pos = torch.randperm(train_ids.shape[0], generator=gen), 0
    snaps = []
    t0 = time.time()
    for step in range(1, c["steps"] + 1):
        if pos + c["batch"] > train_ids.shape[0]:
            order, pos = torch.randperm(train_ids.shape[0], generator=gen), 0
        x = train_ids[order[pos:pos + c["batch"]]]
        pos += c["batch"]
        for g in opt.param_groups:
            g["lr"] = c["lr"] * min(1.0, step / c["warmup"])
        logits, probs, masks = forward(s, p, x)
        loss = token_nll(logits, x).mean() + c["aux"] * balance_loss(s, probs, masks)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % c["snap"] == 0:
            q = round_bf16({k: v.detach() for k, v in p.items()})
            ev = {}
            for sp in splits:
                tl, tc, _ = evaluate(s, q, sp.train)
                vl, vc, _ = evaluate(s, q, sp.test)
                ev[sp.domain] = dict(train_loss=tl.mean().item(), train_acc=tc.float().mean().item(),
                                     val_loss=vl.mean().item(), acc=vc.float().mean().item())
            snaps.append((step, q, ev))
            log("%6d %5.0fs " % (step, time.time() - t0) + " | ".join(
                "%s L %.4f tr %.2f te %.3f" % (d, e["train_loss"], e["train_acc"], e["acc"])
                for d, e in ev.items()))
    return snaps


def choose(snaps, domains, keep):
    """Indices of the snapshots to keep: around each domain's accuracy jump
    (the last below 0.5, the first at or above, and their neighbours), the
    first and the last, then evenly spaced ones up to `keep`."""
    n = len(snaps)
    pick = {0, n - 1}
    for d in domains:
        first = next((i for i, (_, _, ev) in enumerate(snaps) if ev[d]["acc"] >= 0.5), None)
        if first is None:
            continue
        for i in (first - 2, first - 1, first, first + 1, first + 3):
            if 0 <= i < n:
                pick.add(i)
    while len(pick) < min(keep, n):
        gaps = sorted(pick)
        a, b = max(zip(gaps, gaps[1:]), key=lambda ab: ab[1] - ab[0])
        pick.add((a + b) // 2)
    return sorted(pick)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--cfg", default="{}", help="JSON overrides of the settings")
    a = ap.parse_args()
    c = dict(DEFAULTS)
    c.update(json.loads(a.cfg))
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    doms = c["domains"].split(",")
    fracs = [float(f) for f in c["fracs"].split(",")]
    lay = Layout(c["p"], doms)
    splits = [Split(lay, d, f, c["seed"] * 100 + i) for i, (d, f) in enumerate(zip(doms, fracs))]
    s = Shape(lay.vocab, c["d"], c["layers"], c["heads"], c["experts"], c["top_k"], c["ffn"])
    t0 = time.time()
    snaps = train(c, splits, s, lambda m: print(m, flush=True))
    keep = choose(snaps, doms, c["keep"])
    out = a.out
    tmp = out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    tokens_per_step = c["batch"] * 5
    rows = {"accuracy": [], "val_loss": [], "train_loss": []}
    results = []
    gen = torch.Generator().manual_seed(c["seed"] + 7)
    # the study's samples: a seeded study_n of each domain's training pairs
    study = {sp.domain: torch.randperm(sp.train.shape[0], generator=gen)[:c["study_n"]].sort().values
             for sp in splits}
    items = {sp.domain: torch.randperm(sp.test.shape[0], generator=gen)[:c["test_items"]].sort().values
             for sp in splits}
    for i in keep:
        step, q, ev = snaps[i]
        name = "step%d-tokens%sB" % (step, ("%.6f" % (step * tokens_per_step / 1e9)).rstrip("0").rstrip("."))
        os.makedirs(os.path.join(tmp, name))
        with open(os.path.join(tmp, name, "config.json"), "w") as f:
            json.dump(s.hf_config(), f, indent=2)
        write_safetensors(os.path.join(tmp, name, "model.safetensors"), hf_tensors(s, q))
        for sp in splits:
            e = ev[sp.domain]
            rows["accuracy"].append("%d,%s,%.6f" % (step, sp.domain, e["acc"]))
            rows["val_loss"].append("%d,%s,%.6f" % (step, sp.domain, e["val_loss"]))
            sl, _, _ = evaluate(s, q, sp.train[study[sp.domain]])
            rows["train_loss"].append("%d,%s,%.7f" % (step, sp.domain, sl.mean().item()))
            _, vc, _ = evaluate(s, q, sp.test[items[sp.domain]])
            for k, j in enumerate(items[sp.domain].tolist()):
                pair = sp.test_pairs[j]
                results.append("%d,%s,%s:%d,%d" % (step, sp.domain, sp.domain, pair, int(vc[k])))
    heads = {"accuracy": "step,domain,accuracy", "val_loss": "step,domain,val_loss",
             "train_loss": "step,domain,loss"}
    for k, lines in rows.items():
        with open(os.path.join(tmp, k + ".csv"), "w") as f:
            f.write(heads[k] + "\n" + "\n".join(lines) + "\n")
    with open(os.path.join(tmp, "test_results.csv"), "w") as f:
        f.write("step,domain,item,correct\n" + "\n".join(results) + "\n")
    conf = ["# the testbed's training samples, one reader run per domain (grokmon-study --data)"]
    for sp in splits:
        with open(os.path.join(tmp, sp.domain + ".jsonl"), "w") as f:
            for j in study[sp.domain].tolist():
                pair, toks = sp.train_pairs[j], sp.train[j].tolist()
                f.write(json.dumps({"id": "%s:%d" % (sp.domain, pair), "domain": sp.domain,
                                    "tokens": toks}) + "\n")
        conf.append("--domain %s %s.jsonl" % (sp.domain, sp.domain))
    with open(os.path.join(tmp, "data.conf"), "w") as f:
        f.write("\n".join(conf) + "\n")
    run = dict(c, torch=torch.__version__, wall_seconds=round(time.time() - t0, 1),
               snapshots=[[st, ev] for st, _, ev in snaps], kept=[snaps[i][0] for i in keep],
               train_samples={sp.domain: sp.train.shape[0] for sp in splits})
    with open(os.path.join(tmp, "run.json"), "w") as f:
        json.dump(run, f, indent=1)
    shutil.rmtree(out, ignore_errors=True)
    os.rename(tmp, out)
    print("wrote %s: %d checkpoints in %.0f s" % (out, len(keep), time.time() - t0), flush=True)


if __name__ == "__main__":
    main()
