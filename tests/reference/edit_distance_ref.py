#!/usr/bin/python3
"""edit_distance_ref.py: the independent reference for common/edit_distance.c
(method.md, "Pathway distance"): Levenshtein distance (unit insert, delete,
substitute) by the textbook DP in numpy, written from the spec, not from the C.
Pathway strings are made as method.md says (router softmax, experts ranked by
weight, ties lower index first, shortest prefix with cumulative weight > tau,
ids joined by ',' and layers by '-').

  edit_distance_ref.py gen OUT.txt SEED   write test strings, one per line
  edit_distance_ref.py check OUT.txt RESULT.txt [--experts]
      compare the C tool's "i j d" lines and its "sum" and "cross" lines with
      the reference; print ok / not ok lines (worst case named).
"""
import sys

import numpy as np


def pathway(g, tau):
    """g: [L, E] router distributions -> pathway string."""
    layers = []
    for gl in g:
        order = sorted(range(len(gl)), key=lambda k: (-gl[k], k))
        kept, cum = [], 0.0
        for k in order:
            kept.append(k)
            cum += gl[k]
            if cum > tau:
                break
        layers.append(",".join(str(k) for k in kept))
    return "-".join(layers)


def levenshtein(a, b):
    """D[i][j] = min(D[i-1][j] + 1, D[i][j-1] + 1, D[i-1][j-1] + (a[i-1] != b[j-1])).
    Row by row; the left-to-right dependency (D[i][j-1] + 1) is resolved with
    a running minimum: D[i][j] = min_k<=j (x[k] + j - k)."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    n, m = len(a), len(b)
    if n == 0 or m == 0:
        return n + m
    prev = np.arange(m + 1, dtype=np.int64)
    j = np.arange(m + 1, dtype=np.int64)
    for i in range(1, n + 1):
        x = np.empty(m + 1, dtype=np.int64)
        x[0] = i
        x[1:] = np.minimum(prev[1:] + 1, prev[:-1] + (b != a[i - 1]))
        prev = np.minimum.accumulate(x - j) + j
    return int(prev[m])


def symbols(line, experts):
    if not experts:
        return [ord(c) for c in line]
    out = []
    for li, layer in enumerate(line.split("-")):
        if li:
            out.append(65535)
        out.extend(int(t) for t in layer.split(",") if t)
    return out


def gen(path, seed):
    rng = np.random.default_rng(seed)
    lines = []
    # OLMoE-like: 16 layers, 64 experts, two groups sharing router logits.
    for i in range(14):
        L, E = (16, 64) if i < 8 else (6, 64)
        base = np.random.default_rng(seed * 100 + i % 2).normal(0, 0.65, (L, E))
        logits = 1.2 * (base + rng.normal(0, 0.65, (L, E)))
        g = np.exp(logits - logits.max(1, keepdims=True))
        g /= g.sum(1, keepdims=True)
        tau = [0.5, 0.6, 0.7, 0.8][i % 4]
        lines.append(pathway(g, tau))
    # edge cases: empty, one char, equal strings, lengths at the word edges
    lines += ["", "7", lines[0], lines[1][:63], lines[1][:64], lines[1][:65],
              lines[2][:128], lines[2][:129], "1,2-3,4"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def check(path, result, experts):
    lines = open(path).read().split("\n")[:-1]
    s = [symbols(x, experts) for x in lines]
    n = len(s)
    got = {}
    sums = {}
    for row in open(result):
        p = row.split()
        if p[0] in ("sum", "cross"):
            sums[p[0]] = int(p[1])
        else:
            got[(int(p[0]), int(p[1]))] = int(p[2])
    mode = "experts" if experts else "chars"
    want = {(i, j): levenshtein(s[i], s[j]) for i in range(n) for j in range(i + 1, n)}
    bad = [(k, got.get(k), v) for k, v in want.items() if got.get(k) != v]
    lens = sorted(len(x) for x in s)
    msg = (f"{len(want)} pairs of {n} strings ({mode}, lengths {lens[0]}..{lens[-1]}) "
           f"match the numpy DP")
    if bad or len(got) != len(want):
        (i, j), g, w = bad[0] if bad else ((-1, -1), None, None)
        print(f"not ok - {msg}: {len(bad)} differ, first pair {i}-{j}: C {g}, numpy {w}; "
              f"{len(got)} pairs printed")
    else:
        print(f"ok - {msg}")
    total = sum(want.values())
    cross = sum(want[(i, j)] for i in range(n // 2) for j in range(n // 2, n))
    ok = sums.get("sum") == total
    print(f"{'ok' if ok else 'not ok'} - edit_pairs_sum ({mode}): C {sums.get('sum')}, numpy {total}")
    ok = sums.get("cross") == cross
    print(f"{'ok' if ok else 'not ok'} - edit_cross_sum ({mode}): C {sums.get('cross')}, numpy {cross}")


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2], int(sys.argv[3]))
    else:
        check(sys.argv[2], sys.argv[3], "--experts" in sys.argv[4:])
