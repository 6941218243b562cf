#!/usr/bin/python3
"""stats_ref.py: the independent reference for report's correlations
(method.md "Validation against test accuracy"), written from the spec with
scipy.stats, not from our C. Two modes, each printing ok / not ok lines:

  stats_ref.py cases TOOL
      random series (ties, constants, n = 2, large offsets) through
      tests/tools/report_stats, compared with pearsonr / spearmanr
  stats_ref.py table METRICS.jsonl ACC.csv VAL.csv|- FROM_STEP|auto REPORT.jsonl
      Table 1 recomputed from the records that fed `dump --from-json` and
      the CSVs, compared with the "correlation" lines of `report --json`;
      "auto" is the paper's window per row (docs/report.md): from the last
      checkpoint at accuracy's base level (within 10 % of its range above
      its minimum) before it stays above half its range; every checkpoint
      when accuracy moves less than 0.1. Each defined Pearson cell's
      permutation p-value is also checked against numpy permutations
      (within Monte Carlo error) and its bootstrap interval must hold r.
A constant series is undefined (scipy: nan) and must come out as undefined.
"""
import csv
import json
import math
import random
import subprocess
import sys
import warnings

import numpy as np
from scipy import stats

TOL = 1e-9


def scipy_pair(x, y):
    """(pearson, spearman) with None for undefined."""
    if len(x) < 2:
        return None, None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = stats.pearsonr(x, y)[0]
        s = stats.spearmanr(x, y)[0]
    p = None if p is None or math.isnan(p) else float(p)
    s = None if s is None or math.isnan(s) else float(s)
    return p, s


def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= TOL


def gen_cases(rng):
    cases = []
    for k in range(400):
        n = rng.choice([2, 3, 4, 5, 7, 10, 16, 30])
        kind = k % 8
        if kind == 0:    # continuous
            x = [rng.gauss(0, 1) for _ in range(n)]
            y = [xi * rng.uniform(-2, 2) + rng.gauss(0, 1) for xi in x]
        elif kind == 1:  # ties in both
            x = [float(rng.randint(0, 3)) for _ in range(n)]
            y = [float(rng.randint(0, 2)) for _ in range(n)]
        elif kind == 2:  # constant x
            x = [0.37] * n
            y = [rng.gauss(0, 1) for _ in range(n)]
        elif kind == 3:  # constant y
            x = [rng.gauss(0, 1) for _ in range(n)]
            y = [5.0] * n
        elif kind == 4:  # large offset, small spread (distances ~ 600)
            x = [600 + rng.gauss(0, 0.01) for _ in range(n)]
            y = [0.5 + rng.gauss(0, 0.001) for _ in range(n)]
        elif kind == 5:  # monotone with ties: Spearman exactly +-1 or close
            x = sorted(float(rng.randint(0, 5)) for _ in range(n))
            y = [xi * 2 + 1 for xi in x]
        elif kind == 6:  # accuracy-like plateaus
            x = [round(rng.uniform(0, 1), 1) for _ in range(n)]
            y = [round(rng.uniform(400, 700), 0) for _ in range(n)]
        else:            # anti-correlated
            x = [rng.uniform(0, 10) for _ in range(n)]
            y = [-xi + rng.gauss(0, 0.5) for xi in x]
        cases.append((x, y))
    return cases


def mode_cases(tool):
    cases = gen_cases(random.Random(7))
    text = "".join("%d %s %s\n" % (len(x), " ".join(repr(v) for v in x),
                                   " ".join(repr(v) for v in y)) for x, y in cases)
    out = subprocess.run([tool], input=text, capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    if len(lines) != len(cases):
        print("not ok - report_stats answered %d of %d cases" % (len(lines), len(cases)))
        return
    bad = {"pearson": [], "spearman": []}
    worst = {"pearson": 0.0, "spearman": 0.0}
    n_undef = n_ties = 0
    for (x, y), line in zip(cases, lines):
        got = [None if t == "undefined" else float(t) for t in line.split()]
        want = scipy_pair(x, y)
        n_undef += want[0] is None
        n_ties += len(set(x)) < len(x) and want[1] is not None
        for name, g, w in zip(("pearson", "spearman"), got, want):
            if not close(g, w):
                bad[name].append((x, y, g, w))
            elif g is not None:
                worst[name] = max(worst[name], abs(g - w))
    for name in ("pearson", "spearman"):
        if bad[name]:
            x, y, g, w = bad[name][0]
            print("not ok - %s matches scipy on %d cases: %d differ, first x=%s y=%s got %s want %s"
                  % (name, len(cases), len(bad[name]), x, y, g, w))
        else:
            print("ok - %s matches scipy on %d cases (worst |diff| %.2g; %d undefined, %d with ties)"
                  % (name, len(cases), worst[name], n_undef, n_ties))


def read_csv(path):
    with open(path, newline="") as f:
        rows = [r for r in csv.DictReader(f)]
    key = "group" if "group" in rows[0] else "domain"
    col = [c for c in rows[0] if c not in ("step", key)][0]
    return key, {(int(r["step"]), r[key]): float(r[col]) for r in rows}


def auto_from(acc, name):
    pts = sorted((s, v) for (s, k), v in acc.items() if k == name)
    vals = [v for _, v in pts]
    if len(vals) < 3 or max(vals) - min(vals) < 0.1:
        return pts[0][0]
    lo, hi = min(vals), max(vals)
    m = len(vals)
    while m > 0 and vals[m - 1] >= lo + 0.5 * (hi - lo):
        m -= 1
    base = [i for i in range(m) if vals[i] <= lo + 0.1 * (hi - lo)]
    return pts[base[-1] if base else 0][0]


def perm_p(x, y):
    """Two-sided permutation p-value of Pearson's r: 20000 numpy permutations
    of y, r of each by the vectorized formula; p = (1 + hits) / (1 + N)."""
    rng = np.random.default_rng(11)
    r = stats.pearsonr(x, y)[0]
    ys = rng.permuted(np.tile(y, (20000, 1)), axis=1)
    xc = x - x.mean()
    yc = ys - ys.mean(axis=1, keepdims=True)
    rp = (yc @ xc) / (np.sqrt((xc ** 2).sum()) * np.sqrt((yc ** 2).sum(axis=1)))
    return (1 + np.sum(np.abs(rp) >= abs(r) - 1e-12)) / 20001


def mode_table(metrics, acc_path, val_path, from_arg, report_json):
    recs = [json.loads(l) for l in open(metrics) if l.strip()]
    key, acc = read_csv(acc_path)
    val = read_csv(val_path)[1] if val_path != "-" else None
    scope = "group" if key == "group" else "domain"
    series = {}
    for r in recs:
        if r.get("type") == "metric" and r["scope"] == scope:
            series.setdefault(r["group"], {})[r["step"]] = r
    fields = {"distance": "distance_mean", "consistency_s": "s_mean", "consistency_c": "c_mean",
              "train_loss": "loss_mean", "train_loss_ma": "loss_ma"}
    want = {}
    pvals = {}
    for name in sorted({k for (_, k) in acc}):
        rows = series[name]
        from_step = auto_from(acc, name) if from_arg == "auto" else int(from_arg)
        steps = sorted(s for (s, k) in acc if k == name and s >= from_step and s in rows)
        for metric in list(fields) + (["val_loss"] if val is not None else []):
            xs, ys = [], []
            for s in steps:
                if metric == "val_loss":
                    v = val.get((s, rows[s]["domain"] if key == "domain" else name))
                else:
                    v = rows[s].get(fields[metric])
                if v is None:
                    continue
                xs.append(v)
                ys.append(acc[(s, name)])
            want[(name, metric)] = scipy_pair(np.array(xs), np.array(ys)) + (len(xs),)
            if want[(name, metric)][0] is not None and len(xs) >= 4:
                pvals[(name, metric)] = perm_p(np.array(xs), np.array(ys))
    got, extra = {}, {}
    for l in open(report_json):
        o = json.loads(l)
        if o.get("table") == "correlation":
            got[(o["key"], o["metric"])] = (o["pearson"], o["spearman"], o["n"])
            extra[(o["key"], o["metric"])] = o
    if set(got) != set(want):
        print("not ok - Table 1 has the rows scipy has: got %s, want %s"
              % (sorted(got), sorted(want)))
        return
    bad = [(k, got[k], want[k]) for k in sorted(want)
           if not (close(got[k][0], want[k][0]) and close(got[k][1], want[k][1])
                   and got[k][2] == want[k][2])]
    n_undef = sum(1 for k in want if want[k][0] is None or want[k][1] is None)
    if bad:
        print("not ok - Table 1 matches scipy: %d of %d cells differ, first %s got %s want %s"
              % (len(bad), len(want), bad[0][0], bad[0][1], bad[0][2]))
    else:
        print("ok - Table 1 (%d cells, by %s, from step %s, %d undefined) matches scipy within %g"
              % (len(want), key, from_arg, n_undef, TOL))
    # p-values: ours (9999 permutations) and scipy's (20000) are both Monte
    # Carlo estimates of one exact p; allow 4 standard errors of the sum, and
    # an interval that holds r
    worst, bad_p = 0.0, []
    for k, p in pvals.items():
        o = extra.get(k, {})
        q = o.get("p_permutation")
        se = math.sqrt(p * (1 - p) / 20000 + p * (1 - p) / 9999) + 2e-4
        if q is None or abs(q - p) > 4 * se + 1e-4:
            bad_p.append((k, q, p))
        else:
            worst = max(worst, abs(q - p))
        r, lo_, hi_ = o.get("pearson"), o.get("ci_low"), o.get("ci_high")
        if lo_ is not None and not (lo_ - 1e-12 <= r <= hi_ + 1e-12):
            bad_p.append((k, "interval", (lo_, hi_, r)))
    if bad_p:
        print("not ok - permutation p-values match numpy's: %d of %d differ, "
              "first %s" % (len(bad_p), len(pvals), bad_p[0]))
    else:
        print("ok - %d permutation p-values match numpy's (worst |diff| %.3g); "
              "bootstrap intervals hold r" % (len(pvals), worst))


if __name__ == "__main__":
    if sys.argv[1] == "cases":
        mode_cases(sys.argv[2])
    else:
        mode_table(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6])
