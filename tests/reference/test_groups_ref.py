#!/usr/bin/python3
"""test_groups_ref.py: an independent reading of method.md's test groups and
pairing, for comparison with the test-groups stage. Written from the spec,
not from our C:

  Test@t#: the earliest checkpoint from which a test item stays correct: it is
  correct there, and from there on its mean accuracy is > 0.8 with at most one
  error. Items of a domain with the same t# form a test group.
  Pairing: training groups to test groups one to one by maximum total
  similarity, the Hungarian assignment (scipy's linear_sum_assignment), run
  once per domain as the paper pairs them (a training group DOMAIN@STEP,
  a test group of DOMAIN); pair-across: once over all groups.

  test_groups_ref.py groups RESULTS.csv [MIN_ACC MAX_ERR]   -> CSV as test-groups writes
  test_groups_ref.py pair RESULTS.csv SIM.csv [MIN_ACC MAX_ERR]
  test_groups_ref.py pair-across RESULTS.csv SIM.csv [MIN_ACC MAX_ERR]
  test_groups_ref.py compare A.csv B.csv                    -> exit 1 unless the same
"""
import csv
import sys

import numpy as np
from scipy.optimize import linear_sum_assignment


def table(path):
    """CSV rows as dicts; '#' comments and blank lines skipped."""
    return list(csv.DictReader(l for l in open(path) if l.strip() and not l.lstrip().startswith("#")))


def read_results(path):
    rows = table(path)
    steps = sorted({int(r["step"]) for r in rows})
    items = {}
    for r in rows:
        items.setdefault((r["domain"], r["item"]), {})[int(r["step"])] = int(float(r["correct"]))
    return steps, items


def t_sharp(outcomes, min_acc, max_err):
    """outcomes: list of 0/1 per checkpoint; index of t#, or None."""
    for t in range(len(outcomes)):
        after = outcomes[t:]
        errors = after.count(0)
        if outcomes[t] == 1 and errors <= max_err and sum(after) / len(after) > min_acc:
            return t
    return None


def test_groups(path, min_acc=0.8, max_err=1):
    steps, items = read_results(path)
    groups = {}
    for (dom, item), by_step in items.items():
        o = [by_step[s] for s in steps]
        t = t_sharp(o, min_acc, max_err)
        key = (dom, t if t is not None else len(steps))
        groups.setdefault(key, []).append(o)
    out = []
    for (dom, t) in sorted(groups):
        name = "test:%s@%s" % (dom, steps[t] if t < len(steps) else "never")
        acc = np.mean(np.array(groups[(dom, t)], dtype=float), axis=0)
        out.append((name, dom, len(groups[(dom, t)]), acc))
    return steps, out


def main():
    cmd = sys.argv[1]
    if cmd == "compare":
        a = list(csv.DictReader(open(sys.argv[2])))
        b = list(csv.DictReader(open(sys.argv[3])))
        if len(a) != len(b):
            sys.exit("rows: %d against %d" % (len(a), len(b)))
        worst = 0.0
        for i, (x, y) in enumerate(zip(a, b)):
            if x.keys() != y.keys():
                sys.exit("columns differ: %s against %s" % (list(x), list(y)))
            for k in x:
                try:
                    d = abs(float(x[k]) - float(y[k]))
                    worst = max(worst, d)
                    ok = d <= 1e-9
                except ValueError:
                    ok = x[k] == y[k]
                if not ok:
                    sys.exit("row %d, %s: %r against %r" % (i + 2, k, x[k], y[k]))
        print("same %d rows, worst difference %.3g" % (len(a), worst))
        return
    pairing = cmd in ("pair", "pair-across")
    extra = [float(a) for a in sys.argv[3 + pairing:]]
    min_acc, max_err = (extra + [0.8, 1])[:2] if extra else (0.8, 1)
    steps, groups = test_groups(sys.argv[2], min_acc, int(max_err))
    w = csv.writer(sys.stdout, lineterminator="\n")
    if cmd == "groups":
        w.writerow(["step", "domain", "test_group", "n", "accuracy"])
        for name, dom, n, acc in groups:
            for s, a in zip(steps, acc):
                w.writerow([s, dom, name, n, repr(float(a))])
        return
    sims = table(sys.argv[3])
    train = list(dict.fromkeys(r["train_group"] for r in sims))
    test = list(dict.fromkeys(r["test_group"] for r in sims))
    sim = {(r["train_group"], r["test_group"]): float(r["similarity"]) for r in sims}
    test_domain = {name: dom for name, dom, _, _ in groups}
    if cmd == "pair-across":
        blocks = [(train, test)]
    else:  # one block per domain: DOMAIN@STEP with the test groups of DOMAIN
        domain = lambda g: g.rsplit("@", 1)[0]
        blocks = [([t for t in train if domain(t) == d], [g for g in test if test_domain[g] == d])
                  for d in dict.fromkeys(domain(t) for t in train)]
    pairs, total = [], 0.0
    for rows_, cols_ in blocks:
        if not rows_ or not cols_:
            continue
        m = np.array([[sim[(t, g)] for g in cols_] for t in rows_])
        rows, cols = linear_sum_assignment(m, maximize=True)
        pairs += [(train.index(rows_[i]), rows_[i], cols_[j], m[i, j]) for i, j in zip(rows, cols)]
        total += m[rows, cols].sum()
    acc = {name: a for name, _, _, a in groups}
    w.writerow(["step", "group", "accuracy", "test_group", "similarity"])
    for _, t, g, v in sorted(pairs):
        for s, a in zip(steps, acc[g]):
            w.writerow([s, t, repr(float(a)), g, repr(float(v))])
    print("total %.17g" % total, file=sys.stderr)


if __name__ == "__main__":
    main()
