"""analyze.py: reads a grokmon study of the testbed (the metric records, as
`dump` prints them) next to the testbed's own CSVs and prints, per domain and
checkpoint: test accuracy, grokmon's pathway distance, S and loss, and the
testbed's own training loss; then checks the testbed's claims:

  1. grokmon's domain loss_mean equals train_loss.csv (|diff| <= --loss-tol);
  2. the falling-distance rule names, from the distance series alone, a step
     range that contains the checkpoint where the domain's test accuracy
     first reaches 0.5;
and reports Pearson r of distance and of S with accuracy per domain.

The falling-distance rule (training data only): over the domain's distance
series d_0..d_n, take the pair i < j with the largest drop d_i - d_j; the
range is (step_i, step_j]: the fall starts after checkpoint i and has ended
at j. It counts as a clear fall when the drop is at least --noise-factor
times the typical neighbour-to-neighbour change outside the range (median of
|d_k+1 - d_k| over neighbour pairs not inside [i, j]).

  bin/dump STUDY/metrics.mpk | python3 analyze.py --testbed testbed -
Exit status 1 when a check fails.
"""
import argparse
import csv
import json
import math
import sys


def read_csv(path, key):
    out = {}
    with open(path) as f:
        for r in csv.DictReader(f):
            out[(int(r["step"]), r["domain"])] = float(r[key])
    return out


def read_metrics(fh):
    rows = {}
    for line in fh:
        r = json.loads(line)
        if r.get("type") == "metric" and r.get("scope") == "domain":
            rows[(r["step"], r["domain"])] = r
    return rows


def pearson(x, y):
    n = len(x)
    mx, my = sum(x) / n, sum(y) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sx = math.sqrt(sum((a - mx) ** 2 for a in x))
    sy = math.sqrt(sum((b - my) ** 2 for b in y))
    return sxy / (sx * sy) if sx > 0 and sy > 0 else float("nan")


def falling_range(steps, d, factor):
    """-> (i, j, drop, noise, clear): the largest drop d_i - d_j, i < j."""
    best = (0, 0, 0.0)
    for i in range(len(d)):
        for j in range(i + 1, len(d)):
            if d[i] - d[j] > best[2]:
                best = (i, j, d[i] - d[j])
    i, j, drop = best
    diffs = sorted(abs(d[k + 1] - d[k]) for k in range(len(d) - 1) if not i <= k < j)
    noise = diffs[len(diffs) // 2] if diffs else 0.0
    return i, j, drop, noise, drop > 0 and drop >= factor * noise


def analyze_domain(dom, steps, m, acc, tl, a):
    """Prints one domain's table and checks; -> list of failures."""
    fails = []
    d = [m[(s, dom)]["distance_mean"] for s in steps]
    S = [m[(s, dom)]["s_mean"] for s in steps]
    L = [m[(s, dom)]["loss_mean"] for s in steps]
    ac = [acc[(s, dom)] for s in steps]
    print(f"\n{dom}: step accuracy distance S grokmon_loss train_loss.csv diff")
    worst = 0.0
    for k, s in enumerate(steps):
        diff = L[k] - tl[(s, dom)]
        worst = max(worst, abs(diff))
        print(f"  {s:6d} {ac[k]:.3f} {d[k]:7.3f} {S[k]:.4f} {L[k]:.5f} "
              f"{tl[(s, dom)]:.5f} {diff:+.1e}")
    if worst > a.loss_tol:
        fails.append(f"{dom}: grokmon loss differs from train_loss.csv by {worst:.2e}")
    cross = next((k for k, x in enumerate(ac) if x >= 0.5), None)
    i, j, drop, noise, clear = falling_range(steps, d, a.noise_factor)
    contains = cross is not None and i < cross <= j
    print(f"  accuracy reaches 0.5 at step {steps[cross] if cross is not None else 'never'}; "
          f"falling distance: steps {steps[i]} -> {steps[j]}, {d[i]:.3f} -> {d[j]:.3f} "
          f"(drop {drop:.3f}, {drop / noise if noise else float('inf'):.1f}x the neighbour "
          f"spread {noise:.3f}); contains the crossing: {'yes' if contains else 'NO'}")
    print(f"  Pearson r with accuracy: distance {pearson(d, ac):+.3f}, S {pearson(S, ac):+.3f}, "
          f"loss {pearson(L, ac):+.3f}; loss range over all checkpoints "
          f"{max(L) - min(L):.3f} nats")
    if not clear:
        fails.append(f"{dom}: the distance fall is not clear of the neighbour spread")
    if not contains:
        fails.append(f"{dom}: the falling range does not contain the accuracy crossing")
    return fails


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("metrics", help="dump output of the study's metrics.mpk ('-': stdin)")
    ap.add_argument("--testbed", required=True)
    ap.add_argument("--loss-tol", type=float, default=1e-4)
    ap.add_argument("--noise-factor", type=float, default=3.0)
    a = ap.parse_args()
    fh = sys.stdin if a.metrics == "-" else open(a.metrics)
    m = read_metrics(fh)
    acc = read_csv(a.testbed + "/accuracy.csv", "accuracy")
    tl = read_csv(a.testbed + "/train_loss.csv", "loss")
    domains = sorted({d for _, d in m})
    steps = sorted({s for s, _ in m})
    fails = []
    for dom in domains:
        fails += analyze_domain(dom, steps, m, acc, tl, a)
    print()
    for f in fails:
        print("FAIL", f)
    print("all checks passed" if not fails else f"{len(fails)} check(s) failed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
