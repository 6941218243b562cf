#!/usr/bin/python3
"""trend_check.py: judges the report's "falls beyond its noise" rule
(stages/report/trend.c, through tests/tools/report_trend) on generated series
of shapes other than the demo's, 8 to 20 checkpoints each, as a study has:

  - pure noise (Gaussian and heavy-tailed): a fall may be claimed in at most
    5 % of series (the rule's false-alarm rate, measured);
  - a step drop of 8 to 20 noise units at a random checkpoint: found in at least
    95 %, and the reported range contains the drop;
  - a sigmoid (grokking-like) fall over a few checkpoints: found, and the range
    holds the checkpoint where the curve crosses its midpoint;
  - a slow linear decline of 10 noise units in all: found;
  - autocorrelated noise (AR(1), phi 0.5: checkpoints close in time wander
    together): a fall claimed in at most 20 % (rate printed; the rule assumes
    independent noise, so this is where it is weakest);
  - rise then fall (memorization, then generalization), as a trained run
    shows: the fall is found and its range holds the checkpoint where it is
    halfway down;
  - a rise, with noise: never reported as a fall;
  - constant up to float32 rounding (S with 2 layers): constant.
Prints ok / not ok lines with the measured rates.

  trend_check.py TOOL
"""
import subprocess
import sys

import numpy as np

rng = np.random.default_rng(2506)


def run(tool, series):
    inp = "".join("%d %s\n" % (len(s), " ".join("%.17g" % v for v in s)) for s in series)
    out = subprocess.run([tool], input=inp.encode(), capture_output=True, check=True).stdout.decode()
    lines = out.split("\n")
    res = []
    for i in range(len(series)):
        fall, rise, const = lines[3 * i].split(), lines[3 * i + 1].split(), lines[3 * i + 2].split()
        res.append({"fall": int(fall[1]), "fa": int(fall[2]), "fb": int(fall[3]),
                    "rise": int(rise[1]), "const": int(const[1])})
    return res


def width(r, lengths):
    w = [(x["fb"] - x["fa"]) / (n - 1) for x, n in zip(r, lengths) if x["fall"]]
    return "mean range %.0f %% of the series" % (100 * np.mean(w)) if w else "no range"


def report(name, ok, detail):
    print("%s - %s (%s)" % ("ok" if ok else "not ok", name, detail))


def main(tool):
    N = 400
    lengths = rng.integers(8, 21, size=N)

    noise = [500 + rng.normal(0, 3, n) for n in lengths]
    r = run(tool, noise)
    rate = np.mean([x["fall"] for x in r])
    report("pure Gaussian noise: a fall claimed in at most 5 % of series", rate <= 0.05,
           "%.1f %% of %d" % (100 * rate, N))

    heavy = [500 + 3 * rng.standard_t(3, n) for n in lengths]
    r = run(tool, heavy)
    rate = np.mean([x["fall"] for x in r])
    report("heavy-tailed noise (t, 3 dof): a fall claimed in at most 5 % of series", rate <= 0.05,
           "%.1f %% of %d" % (100 * rate, N))

    ar = []
    for n in lengths:
        e = rng.normal(0, 3 * np.sqrt(1 - 0.25), n)
        for k in range(1, n):
            e[k] += 0.5 * e[k - 1]
        ar.append(500 + e)
    r = run(tool, ar)
    rate = np.mean([x["fall"] for x in r])
    report("AR(1) noise, phi 0.5: a fall claimed in at most 20 % of series", rate <= 0.20,
           "%.1f %% of %d" % (100 * rate, N))

    steps, where = [], []
    for n in lengths:
        k = int(rng.integers(2, n - 1))       # first checkpoint after the drop
        s = 500 + rng.normal(0, 3, n)
        s[k:] -= rng.uniform(10, 20) * 3
        steps.append(s)
        where.append(k)
    r = run(tool, steps)
    found = np.mean([x["fall"] for x in r])
    holds = np.mean([x["fall"] and x["fa"] <= k - 1 and x["fb"] >= k for x, k in zip(r, where)])
    report("step drop of 10-20 noise units: found in at least 95 %", found >= 0.95,
           "%.1f %%" % (100 * found))
    report("step drop: the range holds the drop in at least 95 %", holds >= 0.95,
           "%.1f %%, %s" % (100 * holds, width(r, lengths)))

    sig, mid = [], []
    for n in lengths:
        c = rng.uniform(2, n - 3)
        t = np.arange(n)
        s = 500 - 60 / (1 + np.exp(-(t - c) / rng.uniform(0.4, 1.2))) + rng.normal(0, 3, n)
        sig.append(s)
        mid.append(c)
    r = run(tool, sig)
    found = np.mean([x["fall"] for x in r])
    holds = np.mean([x["fall"] and x["fa"] <= c <= x["fb"] for x, c in zip(r, mid)])
    report("sigmoid fall of 20 noise units: found in at least 95 %", found >= 0.95,
           "%.1f %%" % (100 * found))
    report("sigmoid fall: the range holds the midpoint in at least 95 %", holds >= 0.95,
           "%.1f %%, %s" % (100 * holds, width(r, lengths)))

    hump, half = [], []
    for n in lengths:
        t = np.arange(n)
        top = rng.uniform(1, n / 3)                 # memorized by here
        c = rng.uniform(top + 2, n - 2)             # halfway down here
        up = 30 * np.minimum(t / top, 1)
        down = 40 / (1 + np.exp(-(t - c) / rng.uniform(0.5, 2.0)))
        hump.append(500 + up - down + rng.normal(0, 3, n))
        half.append(c)
    r = run(tool, hump)
    found = np.mean([x["fall"] for x in r])
    holds = np.mean([x["fall"] and x["fa"] <= c <= x["fb"] for x, c in zip(r, half)])
    report("rise then fall (13 noise units down): found in at least 95 %", found >= 0.95,
           "%.1f %%" % (100 * found))
    report("rise then fall: the range holds the halfway point in at least 95 %", holds >= 0.95,
           "%.1f %%, %s" % (100 * holds, width(r, lengths)))

    lin = [500 - np.linspace(0, 30, n) + rng.normal(0, 3, n) for n in lengths]
    r = run(tool, lin)
    found = np.mean([x["fall"] for x in r])
    report("slow linear decline of 10 noise units: found in at least 90 %", found >= 0.90,
           "%.1f %%" % (100 * found))

    rises = [500 + np.linspace(0, 60, n) + rng.normal(0, 3, n) for n in lengths]
    r = run(tool, rises)
    wrong = np.mean([x["fall"] for x in r])
    seen = np.mean([x["rise"] for x in r])
    report("a rise is not a fall (and is seen as a rise)", wrong <= 0.05 and seen >= 0.95,
           "fall claimed %.1f %%, rise found %.1f %%" % (100 * wrong, 100 * seen))

    flat = [1 - np.abs(rng.normal(0, 1e-7, n)).astype(np.float32).astype(float) for n in lengths]
    r = run(tool, flat)
    const = np.mean([x["const"] for x in r])
    report("S with 2 layers (1 up to float32 rounding) is constant", const == 1.0,
           "%.1f %%" % (100 * const))
    moving = [0.5 + np.linspace(0, 0.01, n) for n in lengths]
    r = run(tool, moving)
    report("a series moving by 1 % is not constant", not any(x["const"] for x in r), "")


if __name__ == "__main__":
    main(sys.argv[1])
