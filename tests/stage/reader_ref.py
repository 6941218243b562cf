"""reader_ref.py: an independent reference for the reader stage's tests, written
from docs/records.md ("sample") and olmoe.md ("Checkpoints and data") with numpy,
not from the C code. It computes which instances a selection picks and their
tokens by numpy slicing, and compares them with `dump` output of the reader.

  reader_ref.py check OUT.jsonl [--format raw|npy|jsonl] [--dtype u16|u32] [--seq-len N]
        [--range A:B | --indices FILE | --step S --batch-size B --global-indices FILE]
        [--sample N --seed S] [--max-tokens N] [--domain D] FILE...
  reader_ref.py sample M N SEED      print the positions a seeded sample picks
Exit 0 and print nothing when everything matches; else print the first mismatch, exit 1.
"""
import argparse
import json
import os
import sys

import numpy as np

M64 = (1 << 64) - 1


def splitmix64(state):
    """One splitmix64 step: returns (new_state, output)."""
    state = (state + 0x9E3779B97F4A7C15) & M64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return state, z ^ (z >> 31)


def below(state, m):
    """Uniform in [0, m): reject draws below 2^64 mod m, then take x mod m."""
    reject = (1 << 64) % m
    while True:
        state, x = splitmix64(state)
        if x >= reject:
            return state, x % m


def floyd_sample(m, k, seed):
    """Floyd's algorithm: k distinct positions of [0, m), returned ascending."""
    state, chosen = seed, set()
    for j in range(m - k, m):
        state, t = below(state, j + 1)
        chosen.add(j if t in chosen else t)
    return sorted(chosen)


def instances(fmt, files, dtype, seq_len):
    """All instances of the concatenated files: list of (file, tokens or record)."""
    out = []
    for f in files:
        base = os.path.basename(f)
        if fmt == "raw":
            arr = np.fromfile(f, dtype={"u16": "<u2", "u32": "<u4"}[dtype])
            n = len(arr) // seq_len
            out += [(base, arr[i * seq_len:(i + 1) * seq_len], None) for i in range(n)]
        elif fmt == "npy":
            arr = np.load(f)
            if arr.ndim == 1:
                n = len(arr) // seq_len
                arr = arr[: n * seq_len].reshape(n, seq_len)
            out += [(base, row, None) for row in arr]
        else:
            with open(f, encoding="utf-8") as fh:
                for line in fh:
                    if line.strip():
                        rec = json.loads(line)
                        toks = rec.get("tokens", rec.get("input_ids"))
                        out.append((base, np.array(toks, dtype=np.int64), rec))
    return out


def selection(a, n):
    if a.range:
        lo, hi = a.range.split(":")
        idx = list(range(int(lo or 0), int(hi) if hi else n))
    elif a.indices:
        with open(a.indices) as fh:
            idx = [int(l) for l in fh if l.strip() and not l.strip().startswith("#")]
    elif a.step:
        with open(a.global_indices, "rb") as fh:
            magic = fh.read(6)
        gi = np.load(a.global_indices) if magic == b"\x93NUMPY" else np.fromfile(a.global_indices, "<u4")
        idx = [int(x) for x in gi[(a.step - 1) * a.batch_size: a.step * a.batch_size]]
    else:
        idx = list(range(n))
    if a.sample:
        idx = [idx[p] for p in floyd_sample(len(idx), a.sample, a.seed)]
    return idx


def check(a):
    fmt = a.format
    if not fmt:
        f0 = a.files[0]
        fmt = "npy" if f0.endswith(".npy") else "jsonl" if f0.endswith((".jsonl", ".json")) else "raw"
    inst = instances(fmt, a.files, a.dtype, a.seq_len)
    want = selection(a, len(inst))
    with open(a.out, encoding="utf-8") as fh:
        got = [json.loads(l) for l in fh if l.strip()]
    got = [r for r in got if r.get("type") == "sample"]
    first = os.path.basename(a.files[0])
    if len(got) != len(want):
        return f"{len(got)} samples, expected {len(want)}"
    for k, (rec, i) in enumerate(zip(got, want)):
        base, toks, jrec = inst[i]
        toks = np.asarray(toks, dtype=np.int64)
        if a.max_tokens:
            toks = toks[: a.max_tokens]
        exp_id = str(jrec["id"]) if jrec and "id" in jrec else f"{first}:{i}"
        exp_dom = jrec["domain"] if jrec and "domain" in jrec else a.domain
        if rec["index"] != i:
            return f"sample {k}: index {rec['index']}, expected {i}"
        if rec["id"] != exp_id:
            return f"sample {k}: id {rec['id']!r}, expected {exp_id!r}"
        if rec["source"] != base:
            return f"sample {k}: source {rec['source']!r}, expected {base!r}"
        if rec["domain"] != exp_dom:
            return f"sample {k}: domain {rec['domain']!r}, expected {exp_dom!r}"
        got_toks = np.array(rec["tokens"], dtype=np.int64)
        if got_toks.shape != toks.shape or not np.array_equal(got_toks, toks):
            return f"sample {k} (instance {i}): tokens {got_toks[:8]}... != numpy {toks[:8]}..."
    return None


def main():
    if sys.argv[1] == "sample":
        m, k, seed = map(int, sys.argv[2:5])
        print(" ".join(map(str, floyd_sample(m, k, seed))))
        return 0
    p = argparse.ArgumentParser()
    p.add_argument("cmd")
    p.add_argument("out")
    p.add_argument("files", nargs="+")
    p.add_argument("--format")
    p.add_argument("--dtype")
    p.add_argument("--seq-len", type=int)
    p.add_argument("--range")
    p.add_argument("--indices")
    p.add_argument("--step", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--global-indices")
    p.add_argument("--sample", type=int)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-tokens", type=int)
    p.add_argument("--domain", default="unlabeled")
    msg = check(p.parse_args())
    if msg:
        print(msg)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
