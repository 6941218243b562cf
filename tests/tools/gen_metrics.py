#!/usr/bin/python3
"""gen_metrics.py: a realistic metric-reduce output for testing `report`
(docs/records.md: metric, membership, calibration records as JSON Lines for
`dump --from-json`) plus the accuracy and validation-loss CSVs a researcher
would pass. The curves follow what method.md says the paper shows: a group's
pathway distance rises while it is memorized and falls after its loss is
flat; S rises; shallow layers converge first; cross-domain distance stays
flat; accuracy rises from about 245k. It does not run any model.

  gen_metrics.py OUTDIR [--seed N] [--domains math,code] [--layers 16]
writes OUTDIR/metrics.jsonl, acc.csv (by domain), acc_group.csv (by group), val.csv.
"""
import argparse
import json
import math
import os
import random

STEPS = [5000 + 120000 * i for i in range(9)] + [1100000]


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


def group_curves(rng, mem_step, base, layers):
    """Per step: distance, layer distances, S, loss for one group."""
    out = []
    peak = base + 60 + rng.uniform(0, 20)
    final_loss = rng.uniform(0.8, 1.6)
    for t in STEPS:
        if mem_step is None:  # never memorized: keeps drifting, loss keeps moving
            d = base + 40 * (t / STEPS[-1]) + rng.gauss(0, 2)
            s = 0.30 + 0.05 * (t / STEPS[-1]) + rng.gauss(0, 0.004)
            loss = 2.2 + 0.1 * math.sin(t / 90000.0) + rng.gauss(0, 0.03)
        elif t <= mem_step:  # being memorized: distance rises, loss falls
            f = t / mem_step
            d = base + (peak - base) * f + rng.gauss(0, 2)
            s = 0.30 + 0.03 * f + rng.gauss(0, 0.004)
            loss = final_loss + (3.2 - final_loss) * (1 - f) ** 2 + rng.gauss(0, 0.005)
        else:  # memorized: loss flat, pathways keep converging
            g = (t - mem_step) / (STEPS[-1] - mem_step + 1)
            d = peak - 150 * (1 - math.exp(-3 * g)) + rng.gauss(0, 2)
            s = 0.33 + 0.25 * (1 - math.exp(-3 * g)) + rng.gauss(0, 0.004)
            loss = final_loss + rng.gauss(0, 0.004)
        # layerwise: shallow layers shorter and converge earlier; last layer diversifies
        ld = []
        for l in range(layers):
            share = d / layers
            w = 0.6 + 0.8 * l / max(layers - 1, 1)
            ld.append(max(share * w + rng.gauss(0, 0.5), 0.0))
        out.append((d, ld, s, loss))
    return out


def metric(step, scope, group, domain, mem_step, n, d, se, ld, s, loss, loss_ma, rng):
    pairs = n * (n - 1) // 2
    return {
        "type": "metric", "checkpoint": "step%d-tokens%dB" % (step, step * 4 // 1000),
        "step": step, "scope": scope, "group": group, "domain": domain,
        "mem_step": mem_step, "n": n, "pairs": pairs, "sampled": False,
        "distance_mean": d, "distance_se": None, "distance_mode": "chars",
        "layer_distance": ld, "c_mean": 1 - s, "c_std": 0.05 + rng.uniform(0, 0.01),
        "s_mean": s, "s_std": 0.05, "loss_mean": loss, "loss_ma": loss_ma,
        "entropy_mean": 2.5 - 0.3 * s,
    }


def moving_average(xs, w=3):
    return [sum(xs[max(0, i - w + 1):i + 1]) / len(xs[max(0, i - w + 1):i + 1])
            for i in range(len(xs))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--domains", default="math,code")
    ap.add_argument("--layers", type=int, default=16)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    os.makedirs(a.outdir, exist_ok=True)
    domains = a.domains.split(",")
    recs, acc, accg, val = [], [], [], []
    dom_dist = {}
    for di, dom in enumerate(domains):
        n_dom = 0
        groups = [(125000, 40), (365000, 30), (605000, 25), (None, 60)]
        curves = {}
        for mem, n in groups:
            name = "%s@%s" % (dom, mem if mem is not None else "never")
            curves[name] = (mem, n, group_curves(rng, mem, 560 + 10 * di, a.layers))
            n_dom += n
            for i in range(n):
                recs.append({"type": "membership", "id": "%s:%s:%d" % (dom, name, i),
                             "domain": dom, "mem_step": mem, "group": name,
                             "eps": 1.5 + 0.2 * di, "delta": 0.05})
        memorized = sum(n for mem, n in groups if mem is not None and mem < STEPS[-1])
        recs.append({"type": "calibration", "domain": dom, "eps": 1.5 + 0.2 * di,
                     "delta": 0.05, "n": n_dom, "memorized_before_last": memorized / n_dom,
                     "calibrated": True})
        for name, (mem, n, cv) in curves.items():
            ma = moving_average([c[3] for c in cv])
            for k, t in enumerate(STEPS):
                d, ld, s, loss = cv[k]
                recs.append(metric(t, "group", name, dom, mem, n, d, None, ld, s, loss, ma[k], rng))
        # the whole domain: sample-weighted means of the groups (a fair stand-in)
        dd, dl, ds = [], [], []
        for k, t in enumerate(STEPS):
            w = sum(n for mem, n, cv in curves.values())
            d = sum(n * cv[k][0] for mem, n, cv in curves.values()) / w + 15
            ld = [sum(n * cv[k][1][l] for mem, n, cv in curves.values()) / w
                  for l in range(a.layers)]
            s = sum(n * cv[k][2] for mem, n, cv in curves.values()) / w
            loss = sum(n * cv[k][3] for mem, n, cv in curves.values()) / w
            dd.append((d, ld, s))
            dl.append(loss)
        ma = moving_average(dl)
        dom_dist[dom] = [x[0] for x in dd]
        for k, t in enumerate(STEPS):
            d, ld, s = dd[k]
            recs.append(metric(t, "domain", dom, dom, None, n_dom, d, None, ld, s, dl[k], ma[k], rng))
            # accuracy rises from ~245k; validation loss falls and flattens
            acc_v = 0.25 + 0.5 * sigmoid((t - 500000) / 150000) + rng.gauss(0, 0.01)
            acc.append((t, dom, round(acc_v, 4)))
            val.append((t, dom, round(2.4 - 0.5 * (1 - math.exp(-t / 300000)) + rng.gauss(0, 0.01), 4)))
            for name, (mem, n, cv) in curves.items():
                if mem is not None:
                    ga = 0.2 + 0.6 * sigmoid((t - mem - 240000) / 120000) + rng.gauss(0, 0.01)
                    accg.append((t, name, round(ga, 4)))
    # the cross-domain control: distance between samples of two domains, flat
    for i in range(len(domains)):
        for j in range(i + 1, len(domains)):
            name = "%s|%s" % (domains[i], domains[j])
            for t in STEPS:
                recs.append(metric(t, "cross", name, None, None, 100, 690 + rng.gauss(0, 3),
                                   None, [43.0 + rng.gauss(0, 0.5)] * a.layers, 0.3, 2.0, 2.0, rng))
    with open(os.path.join(a.outdir, "metrics.jsonl"), "w") as f:
        for r in recs:
            f.write(json.dumps(r) + "\n")
    for fname, rows, key, col in (("acc.csv", acc, "domain", "accuracy"),
                                  ("acc_group.csv", accg, "group", "accuracy"),
                                  ("val.csv", val, "domain", "val_loss")):
        with open(os.path.join(a.outdir, fname), "w") as f:
            f.write("step,%s,%s\n" % (key, col))
            for t, k, v in rows:
                f.write("%d,%s,%r\n" % (t, k, v))


if __name__ == "__main__":
    main()
