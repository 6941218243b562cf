#!/usr/bin/python3
"""gen_metric_data.py: seeded test records, as JSON Lines for bin/dump --from-json,
for the pathway-encode and metric-reduce tests. It computes no metric.

  gen_metric_data.py traces --layers L --experts E --n N --checkpoint NAME --step S [--seed K]
      trace records whose router_mean rows are multiples of 1/4096 summing to exactly 1
      (so float32, JSON and double sums are all exact), with some tied weights and some rows
      whose cumulative weight hits 0.5 exactly; topk_mean keeps the top 2 of each row.
  gen_metric_data.py pathways --layers L --experts E --n N --ckpts T --domains a,b,c
      --out-dir DIR [--seed K]
      one JSON Lines file of pathway records per checkpoint (DIR/stepS.jsonl): losses that
      fall and flatten at a per-sample checkpoint (or never), pathway strings that become
      shared within a group after memorization, random C, S and entropy.
"""
import argparse
import json
import os
import random


def traces(a):
    rnd = random.Random(a.seed)
    L, E = a.layers, a.experts
    for i in range(a.n):
        rows = []
        for l in range(L):
            kind = rnd.random()
            if kind < 0.2:     # ties: equal weights on several experts
                w = [0] * E
                for k in rnd.sample(range(E), 4):
                    w[k] = 1024
            elif kind < 0.35:  # cumulative weight hits exactly 0.5 after two experts
                w = [0] * E
                ks = rnd.sample(range(E), 4)
                w[ks[0]], w[ks[1]], w[ks[2]], w[ks[3]] = 2048, 1024, 512, 512
            else:              # peaked random distribution
                raw = [rnd.random() ** 4 for _ in range(E)]
                tot = sum(raw)
                w = [int(x / tot * 4096) for x in raw]
                w[rnd.randrange(E)] += 4096 - sum(w)
            rows.append(w)
        flat = [x / 4096.0 for w in rows for x in w]
        topk = []
        for w in rows:
            keep = sorted(range(E), key=lambda k: (-w[k], k))[:2]
            topk += [w[k] / 4096.0 if k in keep else 0.0 for k in range(E)]
        print(json.dumps({"type": "trace", "id": "s%03d" % i, "domain": "d%d" % (i % 2),
                          "source": "gen", "index": i, "checkpoint": a.checkpoint, "step": a.step,
                          "n_tokens": 9, "n_layers": L, "n_experts": E, "top_k": 2,
                          "loss": round(rnd.uniform(0.5, 4.0), 6), "router_mean": flat,
                          "topk_mean": topk}))


def random_layer(rnd, E):
    return rnd.sample(range(E), rnd.randint(1, 4))


def pathways(a):
    rnd = random.Random(a.seed)
    L, E, T = a.layers, a.experts, a.ckpts
    domains = a.domains.split(",")
    steps = [1000 * (t + 1) for t in range(T)]
    os.makedirs(a.out_dir, exist_ok=True)
    samples = []
    for d in domains:
        for i in range(a.n):
            m = rnd.randrange(T + 1)        # memorized at checkpoint m (T: never)
            final = rnd.uniform(0.2, 2.5)
            start = final + rnd.uniform(1.0, 4.0)
            samples.append(("%s-%02d" % (d, i), d, m, final, start))
    templates = {}
    for t, step in enumerate(steps):
        with open(os.path.join(a.out_dir, "step%d.jsonl" % step), "w") as f:
            for sid, d, m, final, start in samples:
                if t >= m:
                    loss = final + rnd.uniform(-0.02, 0.02)
                else:
                    loss = start - (start - final) * t / max(1, m) + rnd.uniform(0, 0.3)
                key = (d, m)
                if key not in templates:
                    templates[key] = [random_layer(rnd, E) for _ in range(L)]
                share = 0.0 if t < m else min(1.0, 0.3 + 0.2 * (t - m))
                layers = [templates[key][l] if rnd.random() < share else random_layer(rnd, E)
                          for l in range(L)]
                path = "-".join(",".join(str(k) for k in lay) for lay in layers)
                c = rnd.uniform(0.0, 0.6)
                nil_loss = rnd.random() < 0.03
                f.write(json.dumps({
                    "type": "pathway", "id": sid, "domain": d, "checkpoint": "step%d" % step,
                    "step": step, "loss": None if nil_loss else round(loss, 6), "n_layers": L,
                    "n_experts": E, "threshold": 0.7, "weights": "softmax", "path": path,
                    "layer_counts": [len(lay) for lay in layers],
                    "cosines": [rnd.uniform(-1, 1) for _ in range(L - 1)],
                    "consistency_c": c, "consistency_s": 1.0 - c,
                    "entropy": rnd.uniform(0.5, 3.0)}) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("traces")
    t.add_argument("--checkpoint", required=True)
    t.add_argument("--step", type=int, required=True)
    p = sub.add_parser("pathways")
    p.add_argument("--ckpts", type=int, default=5)
    p.add_argument("--domains", default="code,math,qa")
    p.add_argument("--out-dir", required=True)
    for s in (t, p):
        s.add_argument("--layers", type=int, default=4)
        s.add_argument("--experts", type=int, default=16)
        s.add_argument("--n", type=int, default=12)
        s.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    traces(a) if a.cmd == "traces" else pathways(a)


if __name__ == "__main__":
    main()
