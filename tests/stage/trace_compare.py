#!/usr/bin/python3
"""trace_compare.py: two record streams (router-trace's and router-trace-torch's, or what
pathway-encode and metric-reduce make of both; plain msgpack) record by record: the same record types, keys in the same
order, value types and vector lengths; ids, strings, integers and pathway strings equal; reals
and real vectors within --tol. Top-k ids must be the same sets except near-ties: where they
differ, the float64 reference (tests/reference/families_ref.py, --model, with the tokens from
--samples) must see two selection scores within --tie there (its near_tie). Prints the worst
difference of each field and the ties; exit 1 on any failure.

  trace_compare.py A.mpk B.mpk [--model DIR --samples S.mpk] [--tol 1e-5] [--tie 1e-5] [--rel]
"""
import argparse
import os
import sys

import msgpack
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "reference"))

VEC = {"token_nll": "<f4", "router_mean": "<f4", "topk_mean": "<f4", "topk_weights": "<f4",
       "probs": "<f4", "topk_ids": "<u2", "moe_layers": "<u4", "layer_counts": "<u2",
       "cosines": "<f8", "losses": "<f8", "layer_distance": "<f8", "steps": "<u4"}
EXACT = {"topk_ids", "moe_layers", "layer_counts", "steps"}


def read(path):
    with open(path, "rb") as fh:
        return list(msgpack.Unpacker(fh, raw=False, strict_map_key=False))


class Ties:
    """Near-tie checks on the float64 reference, loaded on the first top-k difference."""

    def __init__(self, model_dir, samples, tie):
        self.dir, self.samples, self.tie, self.model, self.runs = model_dir, samples, tie, None, {}

    def excused(self, sid, l, t, cset):
        if self.dir is None:
            return False
        import torch
        import families_ref as ref
        if self.model is None:
            cfg, tensors = ref.load_checkpoint(self.dir)
            self.model = ref.Model(cfg, tensors, torch.float64)
            self.tokens = {r["id"]: np.frombuffer(r["tokens"], "<u4").tolist()
                           for r in read(self.samples) if r.get("type") == "sample"}
        if sid not in self.runs:
            self.runs = {sid: self.model.forward(self.tokens[sid])}
        return ref.near_tie(self.model, self.runs[sid], l, t, cset, self.tie)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--model")
    ap.add_argument("--samples")
    ap.add_argument("--tol", type=float, default=1e-5)
    ap.add_argument("--tie", type=float, default=1e-5)
    ap.add_argument("--rel", action="store_true",
                    help="reals within tol x max(1, |value|) (derived values such as C, which "
                         "divides by a small max cosine)")
    a = ap.parse_args()
    ra, rb = read(a.a), read(a.b)
    ties = Ties(a.model, a.samples, a.tie)
    problems, worst = [], {}
    n_ties = mismatches = n_traces = 0
    if len(ra) != len(rb):
        problems.append(f"{len(ra)} records against {len(rb)}")

    def see(key, d, where):
        if d > worst.get(key, (-1.0, ""))[0]:
            worst[key] = (d, where)

    for i, (x, y) in enumerate(zip(ra, rb)):
        tx, ty = x.get("type"), y.get("type")
        where = f"record {i + 1} ({tx} {x.get('id', '')})"
        if tx != ty:
            problems.append(f"{where}: type {tx} against {ty}")
            continue
        if tx == "header":
            continue
        if list(x) != list(y):
            problems.append(f"{where}: keys {list(x)} against {list(y)}")
            continue
        tied = False
        if tx == "trace":
            n_traces += 1
            if "topk_ids" in x:
                T, L, K = x["n_tokens"], x["n_layers"], x["top_k"]
                ia = np.frombuffer(x["topk_ids"], "<u2").reshape(T, L, K)
                ib = np.frombuffer(y["topk_ids"], "<u2").reshape(T, L, K)
                oa, ob = np.argsort(ia, -1), np.argsort(ib, -1)
                same = (np.take_along_axis(ia, oa, -1) == np.take_along_axis(ib, ob, -1)).all(-1)
                # weights expert by expert, in whatever order each wrote them
                wa = np.take_along_axis(np.frombuffer(x["topk_weights"], "<f4").reshape(T, L, K), oa, -1)
                wb = np.take_along_axis(np.frombuffer(y["topk_weights"], "<f4").reshape(T, L, K), ob, -1)
                if same.any():
                    d = np.abs(wa[same].astype(np.float64) - wb[same])
                    see("topk_weights", float(d.max()), where)
                for t, l in zip(*np.nonzero(~same)):
                    if ties.excused(x["id"], l, t, set(ia[t, l].tolist())):
                        n_ties += 1
                        tied = True
                    else:
                        mismatches += 1
                        problems.append(f"{where}: token {t} layer {l}: top-k {ia[t, l].tolist()} "
                                        f"against {ib[t, l].tolist()}")
        for k in x:
            u, v = x[k], y[k]
            if type(u) is not type(v):
                problems.append(f"{where}: {k} is {type(u).__name__} against {type(v).__name__}")
            elif isinstance(u, float):
                see(k, abs(u - v) / (max(1.0, abs(u)) if a.rel else 1.0), where)
            elif isinstance(u, bytes) and k in VEC:
                p, q = np.frombuffer(u, VEC[k]), np.frombuffer(v, VEC[k])
                if p.size != q.size:
                    problems.append(f"{where}: {k} has {p.size} values against {q.size}")
                elif k in ("topk_ids", "topk_weights") or (tied and k == "topk_mean"):
                    pass        # compared above, or moved by a near-tie
                elif k in EXACT:
                    if not np.array_equal(p, q):
                        problems.append(f"{where}: {k} differs")
                elif p.size:
                    d = np.abs(p.astype(np.float64) - q)
                    if a.rel:
                        d /= np.maximum(1.0, np.abs(p))
                    see(k, float(d.max()), f"{where} element {int(d.argmax())}")
            elif u != v:
                problems.append(f"{where}: {k} is {u!r} against {v!r}")
    print(f"compared {len(ra)} records ({n_traces} traces)")
    for k, (d, where) in sorted(worst.items()):
        tol = f"tol {a.tol:g}{' relative' if a.rel else ''}"
        print(f"{'ok  ' if d <= a.tol else 'FAIL'} {k:13s} worst {d:.3e} ({tol}) at {where}")
    print(f"top-k ids: {mismatches} mismatches, {n_ties} near-ties within {a.tie:g} excused")
    for p in problems[:10]:
        print("problem:", p)
    return 1 if problems or any(d > a.tol for d, _ in worst.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
