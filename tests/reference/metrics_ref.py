#!/usr/bin/python3
"""metrics_ref.py: an independent Python implementation of the paper's metrics,
written from ../shared/spec/method.md (not from our C): pathway strings, routing
embedding cosines, consistency C/S, routing entropy, memorization step t*, eps
calibration, groups, mean pairwise Levenshtein distance (plain Python DP),
layerwise distance, the cross-domain control and loss moving average.
It reads and writes JSON Lines (bin/dump's form of records) and compares its
results with the C stages' (`compare`). It does not sample pairs.

  metrics_ref.py pathway TRACES.jsonl CKPT_DIR [--threshold T] [--weights softmax|topk]
  metrics_ref.py metrics PATHWAYS.jsonl [--eps V] [--eps-domain N=V] [--delta D]
                 [--ma-window W] [--distance chars|experts]
  metrics_ref.py compare EXPECTED.jsonl ACTUAL.jsonl [--tol 1e-6]
"""
import argparse
import json
import math
import os
import struct
import sys
from fractions import Fraction

import numpy as np


# ---- checkpoint: config.json + safetensors (read by hand, not with our loader)

def load_routers(ckpt):
    """W_l [E, D] as float64 for every layer l (the file dtype widened exactly)."""
    with open(os.path.join(ckpt, "config.json")) as f:
        cfg = json.load(f)
    L = cfg["num_hidden_layers"]
    files = {}
    index = os.path.join(ckpt, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            wm = json.load(f)["weight_map"]
    else:
        wm = None

    def tensor(name):
        fn = wm[name] if wm else "model.safetensors"
        if fn not in files:
            with open(os.path.join(ckpt, fn), "rb") as f:
                raw = f.read()
            n = struct.unpack("<Q", raw[:8])[0]
            files[fn] = (json.loads(raw[8:8 + n]), raw[8 + n:])
        head, data = files[fn]
        meta = head[name]
        b, e = meta["data_offsets"]
        buf = data[b:e]
        if meta["dtype"] == "F32":
            a = np.frombuffer(buf, dtype="<f4")
        elif meta["dtype"] == "F16":
            a = np.frombuffer(buf, dtype="<f2").astype(np.float32)
        elif meta["dtype"] == "BF16":
            a = (np.frombuffer(buf, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            raise SystemExit("unsupported dtype " + meta["dtype"])
        return a.reshape(meta["shape"]).astype(np.float64)

    if cfg.get("model_type", "olmoe") == "olmoe":
        return [tensor("model.layers.%d.mlp.gate.weight" % l) for l in range(L)]
    # other families: the MoE layers only (dense layers have no router), each
    # router under its family's name (families.md; families_ref.py knows which
    # layers route)
    from families_ref import Spec
    out = []
    for l in Spec(cfg).moe_layers:
        for name in ("mlp.gate.weight", "block_sparse_moe.gate.weight",
                     "block_sparse_moe.router.layer.weight"):
            try:
                out.append(tensor("model.layers.%d.%s" % (l, name)))
                break
            except KeyError:
                continue
        else:
            raise SystemExit("layer %d: no router matrix" % l)
    return out


# ---- per sample (method.md "Per checkpoint, per sample i")

def layer_experts(g, tau, relative):
    """Experts ranked by weight (ties: lower index first), shortest prefix whose
    cumulative weight exceeds tau (of the row's total when relative)."""
    limit = tau
    if relative:
        total = 0.0
        for v in g:
            total += v
        limit = tau * total
    order = sorted(range(len(g)), key=lambda k: (-g[k], k))
    cum = 0.0
    for n, k in enumerate(order):
        cum += g[k]
        if cum > limit:
            return order[:n + 1]
    kept = [k for k in order if g[k] > 0]
    return kept or order[:1]


def pathway_of(trace, routers, tau, weights):
    L, E = trace["n_layers"], trace["n_experts"]
    flat = trace["router_mean" if weights == "softmax" else "topk_mean"]
    g = [[float(np.float32(x)) for x in flat[l * E:(l + 1) * E]] for l in range(L)]
    layers = [layer_experts(g[l], tau, weights == "topk") for l in range(L)]
    path = "-".join(",".join(str(k) for k in ks) for ks in layers)
    emb = [routers[l].T @ np.array(g[l], dtype=np.float64) for l in range(L)]  # e_l [D]
    cos = []
    for l in range(L - 1):
        a, b = emb[l], emb[l + 1]
        na, nb = math.sqrt(float(a @ a)), math.sqrt(float(b @ b))
        cos.append(0.0 if na == 0 or nb == 0 else float(a @ b) / (na * nb))
    c = s = None
    if L >= 2:
        m = max(cos)
        c = 1.0 - sum(x / (m + 1e-8) for x in cos) / (L - 1)
        s = 1.0 - c
    ent = 0.0
    for l in range(L):
        total = sum(g[l])
        ent += -sum((v / total) * math.log(v / total) for v in g[l] if v > 0)
    return {"type": "pathway", "id": trace["id"], "domain": trace["domain"],
            "checkpoint": trace["checkpoint"], "step": trace.get("step"), "loss": trace.get("loss"),
            "n_layers": L, "n_experts": E, "threshold": tau, "weights": weights, "path": path,
            "layer_counts": [len(ks) for ks in layers], "cosines": cos,
            "consistency_c": c, "consistency_s": s, "entropy": ent / L}


# ---- across checkpoints (method.md "memorization groups")

def mem_index(losses, eps, delta):
    """Earliest t with loss(t') <= eps and |loss(t') - loss(T)| <= delta for all t' >= t."""
    T = len(losses)
    for t in range(T):
        if all(x is not None and losses[-1] is not None and x <= eps and abs(x - losses[-1]) <= delta
               for x in losses[t:]):
            return t
    return None


def frac_before_last(rows, eps, delta):
    T = len(rows[0]) if rows else 0
    hits = 0
    for r in rows:
        t = mem_index(r, eps, delta)
        if t is not None and t < T - 1:
            hits += 1
    return hits, len(rows)


def calibrate(rows, delta, search="values"):
    """grid: the paper's eps = 0.1, 0.2, ..., 20.0. values: by brute force, every
    distinct loss value of the domain as a candidate (the fraction can only
    change at one of them), keeping only candidates that memorize someone."""
    lo, hi = Fraction(20, 100), Fraction(25, 100)
    if search == "grid":
        cands = [k / 10.0 for k in range(1, 201)]
    else:
        cands = sorted({x for r in rows for x in r if x is not None and not math.isnan(x)})
    best = None
    for eps in cands:
        hits, n = frac_before_last(rows, eps, delta)
        if search == "values" and hits == 0:
            continue
        f = Fraction(hits, n) if n else Fraction(-1)
        gap = max(lo - f, f - hi, Fraction(0))
        if gap == 0:
            return eps, hits, True
        if best is None or gap < best[0]:
            best = (gap, eps, hits)
    if best is None:  # values: no eps memorizes anyone
        return max(r[-1] for r in rows if r[-1] is not None), 0, False
    return best[1], best[2], False


# ---- per checkpoint, per group

def levenshtein(a, b):
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def symbols(path, experts):
    """Whole-string symbols and per-layer symbols."""
    layers = path.split("-")
    if experts:
        per = [tuple(int(x) for x in lay.split(",")) for lay in layers]
        whole = []
        for l, p in enumerate(per):
            if l:
                whole.append(-1)  # the layer separator
            whole.extend(p)
        return tuple(whole), per
    return path, layers


def mean_std(vals):
    vals = [v for v in vals if v is not None]
    if not vals:
        return None, None
    m = sum(vals) / len(vals)
    return m, math.sqrt(sum((v - m) ** 2 for v in vals) / len(vals))


def metrics(recs, eps_all, eps_dom, delta, window, experts, search="values"):
    paths = [r for r in recs if r.get("type") == "pathway"]
    ckpts = sorted({(r["step"], r["checkpoint"]) for r in paths})
    steps = [s for s, _ in ckpts]
    ids, dom, cell = [], {}, {}
    for r in paths:
        if r["id"] not in dom:
            ids.append(r["id"])
            dom[r["id"]] = r["domain"]
        cell[(r["step"], r["id"])] = r
    domains = sorted(set(dom.values()))
    L = paths[0]["n_layers"]
    loss = {i: [cell[(s, i)]["loss"] for s in steps] for i in ids}
    out, group_of, mem = [], {}, {}
    for d in domains:
        members = [i for i in ids if dom[i] == d]
        rows = [loss[i] for i in members]
        eps = eps_dom.get(d, eps_all)
        if eps is None:
            eps, hits, band = calibrate(rows, delta, search)
            calibrated = True
        else:
            hits, _ = frac_before_last(rows, eps, delta)
            f = Fraction(hits, len(rows))
            band, calibrated = Fraction(20, 100) <= f <= Fraction(25, 100), False
        out.append({"type": "calibration", "domain": d, "eps": eps, "delta": delta, "n": len(rows),
                    "memorized_before_last": hits / len(rows), "calibrated": calibrated,
                    "in_band": band, "search": search if calibrated else "given",
                    "threshold": paths[0]["threshold"], "weights": paths[0]["weights"],
                    "n_layers": L, "n_checkpoints": len(steps)})
        for i in members:
            t = mem_index(loss[i], eps, delta)
            mem[i] = (steps[t] if t is not None else None, eps)
            group_of[i] = "%s@%s" % (d, steps[t] if t is not None else "never")
    for i in ids:
        out.append({"type": "membership", "id": i, "domain": dom[i], "mem_step": mem[i][0],
                    "group": group_of[i], "eps": mem[i][1], "delta": delta})

    cache = {}

    def dist(s, a, b, layer):
        key = (s, a, b, layer) if a < b else (s, b, a, layer)
        if key not in cache:
            sa, la = symbols(cell[(s, a)]["path"], experts)
            sb, lb = symbols(cell[(s, b)]["path"], experts)
            cache[key] = levenshtein(sa, sb) if layer is None else levenshtein(la[layer], lb[layer])
        return cache[key]

    def row(ti, scope, group, domain, mem_step, a, b=None):
        s, name = ckpts[ti]
        pairs = [(a[x], a[y]) for x in range(len(a)) for y in range(x + 1, len(a))] if b is None \
            else [(x, y) for x in a for y in b]
        allm = a + (b or [])
        rec = {"type": "metric", "checkpoint": name, "step": s, "scope": scope, "group": group,
               "domain": domain, "mem_step": mem_step, "n": len(allm), "pairs": len(pairs),
               "sampled": False, "distance_se": None,
               "distance_mode": "experts" if experts else "chars"}
        if pairs:
            rec["distance_mean"] = sum(dist(s, x, y, None) for x, y in pairs) / len(pairs)
            rec["layer_distance"] = [sum(dist(s, x, y, l) for x, y in pairs) / len(pairs)
                                     for l in range(L)]
        else:
            rec["distance_mean"] = rec["layer_distance"] = None
        rec["c_mean"], rec["c_std"] = mean_std([cell[(s, i)]["consistency_c"] for i in allm])
        rec["s_mean"], rec["s_std"] = mean_std([cell[(s, i)]["consistency_s"] for i in allm])
        rec["entropy_mean"], _ = mean_std([cell[(s, i)]["entropy"] for i in allm])
        means = [mean_std([loss[i][t] for i in allm])[0] for t in range(len(steps))]
        rec["loss_mean"] = means[ti]
        rec["loss_ma"], _ = mean_std(means[max(0, ti - window + 1):ti + 1])
        return rec

    for ti in range(len(ckpts)):
        for d in domains:
            gs = sorted({group_of[i] for i in ids if dom[i] == d},
                        key=lambda g: (g.endswith("@never"), int(g.rsplit("@", 1)[1]) if not g.endswith("@never") else 0))
            for g in gs:
                ms = [i for i in ids if group_of[i] == g]
                out.append(row(ti, "group", g, d, mem[ms[0]][0], ms))
        for d in domains:
            out.append(row(ti, "domain", d, d, None, [i for i in ids if dom[i] == d]))
        out.append(row(ti, "all", "all", None, None, list(ids)))
        for x in range(len(domains)):
            for y in range(x + 1, len(domains)):
                out.append(row(ti, "cross", domains[x] + "|" + domains[y], None, None,
                               [i for i in ids if dom[i] == domains[x]],
                               [i for i in ids if dom[i] == domains[y]]))
    return out


# ---- comparison

def record_key(r):
    t = r.get("type")
    if t == "pathway":
        return (t, r["checkpoint"], r["id"])
    if t == "membership":
        return (t, r["id"])
    if t == "calibration":
        return (t, r["domain"])
    if t == "metric":
        return (t, r["checkpoint"], r["scope"], r["group"])
    return None


def compare(expected, actual, tol):
    exp = {record_key(r): r for r in expected if record_key(r)}
    if not exp:
        print("# nothing to compare: the reference produced no records")
        return 1
    act = {}
    for r in actual:
        k = record_key(r)
        if k:
            if k in act:
                print("not ok - duplicate record %s in the C output" % (k,))
                return 1
            act[k] = r
    exact = {"path", "layer_counts", "distance_mean", "layer_distance", "eps", "delta",
             "memorized_before_last", "pairs", "n", "mem_step", "group"}
    fails, worst, checked = [], (0.0, None), 0
    for k in sorted(set(exp) | set(act), key=str):
        if k not in act or k not in exp:
            fails.append("%s: only in %s" % (k, "reference" if k in exp else "C output"))
            continue
        e, a = exp[k], act[k]
        for f, ev in e.items():
            av = a.get(f, "<absent>")
            pairs = list(zip(ev, av)) if isinstance(ev, list) and isinstance(av, list) and len(ev) == len(av) \
                else [(ev, av)]
            for x, y in pairs:
                checked += 1
                if f in exact and isinstance(x, (int, float)) and isinstance(y, (int, float)):
                    if x != y:
                        fails.append("%s.%s: reference %r, C %r (must be identical)" % (k, f, x, y))
                elif isinstance(x, float) and isinstance(y, (int, float)) and not isinstance(y, bool):
                    d = abs(x - y) / max(1.0, abs(x))
                    if d > worst[0]:
                        worst = (d, "%s.%s" % (k, f))
                    if not d <= tol:
                        fails.append("%s.%s: reference %r, C %r" % (k, f, x, y))
                elif not (x == y and type(x) is type(y) or (isinstance(x, int) and isinstance(y, int)
                                                           and not isinstance(x, bool) and x == y)):
                    fails.append("%s.%s: reference %r, C %r" % (k, f, x, y))
            if isinstance(ev, list) and not (isinstance(av, list) and len(ev) == len(av)):
                fails.append("%s.%s: reference %r, C %r" % (k, f, ev, av))
    print("# compared %d records, %d values; worst relative float difference %.3g at %s"
          % (len(exp), checked, worst[0], worst[1]))
    for f in fails[:20]:
        print("# MISMATCH " + f)
    return 1 if fails else 0


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pathway")
    p.add_argument("traces")
    p.add_argument("ckpt")
    p.add_argument("--threshold", type=float, default=0.7)
    p.add_argument("--weights", default="softmax")
    m = sub.add_parser("metrics")
    m.add_argument("pathways")
    m.add_argument("--eps", type=float)
    m.add_argument("--eps-domain", action="append", default=[])
    m.add_argument("--delta", type=float, default=0.05)
    m.add_argument("--ma-window", type=int, default=3)
    m.add_argument("--distance", default="chars")
    m.add_argument("--eps-search", default="values", choices=["values", "grid"])
    c = sub.add_parser("compare")
    c.add_argument("expected")
    c.add_argument("actual")
    c.add_argument("--tol", type=float, default=1e-6)
    a = ap.parse_args()
    if a.cmd == "pathway":
        routers = load_routers(a.ckpt)
        for r in read_jsonl(a.traces):
            if r.get("type") == "trace":
                print(json.dumps(pathway_of(r, routers, a.threshold, a.weights)))
    elif a.cmd == "metrics":
        eps_dom = {}
        for x in a.eps_domain:
            n, v = x.rsplit("=", 1)
            eps_dom[n] = float(v)
        for r in metrics(read_jsonl(a.pathways), a.eps, eps_dom, a.delta, a.ma_window,
                         a.distance == "experts", a.eps_search):
            print(json.dumps(r))
    else:
        sys.exit(compare(read_jsonl(a.expected), read_jsonl(a.actual), a.tol))


if __name__ == "__main__":
    main()
