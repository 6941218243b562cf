#!/usr/bin/env bash
# reader_select.sh: the reader's selection modes: --range, --indices, the OLMo
# step mapping (--step --batch-size --global-indices, raw u32 and .npy) checked
# against hand-computed instances, --sample (reproducible, checked against a
# Python splitmix64 + Floyd reference, distinct, uniform) and their
# combinations; ids stay the same whatever selection picked a sample.
source "$GM_ROOT/tests/lib.sh"
REF="$ROOT/tests/stage/reader_ref.py"
cd "$TMP"

$PY - <<'PY'
import numpy as np
# 12 instances of 4 tokens: instance n holds n*4 .. n*4+3; 7 in g0.bin, 5 in g1.bin
tok = np.arange(48, dtype="<u2")
tok[:28].tofile("g0.bin")
tok[28:].tofile("g1.bin")
gi = np.array([7, 2, 9, 0, 4, 11, 1, 5, 3, 10, 6, 8], dtype="<u4")
gi.tofile("gi.u32")                       # OLMo: a raw uint32 array (often named .npy)
gi.tofile("gi_raw.npy")
np.save("gi_i8.npy", gi.astype("<i8"))
np.save("gi_u4.npy", gi)
rng = np.random.default_rng(11)
np.save("big.npy", rng.integers(0, 50304, (40, 5)).astype("<u2"))
np.save("gibig.npy", rng.permutation(40).astype("<u4"))
PY

# ids_of ARGS...: the reader's sample ids, one per line
ids_of() { "$BIN/reader" "$@" | "$BIN/dump" | $PY -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    if r["type"] == "sample":
        print(r["id"], r["source"], r["index"], " ".join(map(str, r["tokens"])))'; }
export -f ids_of
export BIN PY
# expect NAME 'expected lines' ARGS...
expect() {
  local name="$1" want="$2"; shift 2
  local got
  got=$(ids_of "$@" 2>&1)
  if [ "$got" = "$want" ]; then ok "$name"; else not_ok "$name" "got:" "$got" "expected:" "$want"; fi
}
matches() {
  local name="$1"; shift
  if ! "$BIN/reader" "$@" >out.mpk 2>err.txt; then not_ok "$name" "reader failed: $(cat err.txt)"; return; fi
  "$BIN/dump" out.mpk >out.jsonl
  local msg
  if msg=$($PY "$REF" check out.jsonl "$@" 2>&1); then ok "$name"; else not_ok "$name" "$msg"; fi
}
RAW="--dtype u16 --seq-len 4"

# --range
expect "--range 5:8 (crosses into the second file)" "g0.bin:5 g0.bin 5 20 21 22 23
g0.bin:6 g0.bin 6 24 25 26 27
g0.bin:7 g1.bin 7 28 29 30 31" $RAW --range 5:8 g0.bin g1.bin
expect "--range 10: (to the end)" "g0.bin:10 g1.bin 10 40 41 42 43
g0.bin:11 g1.bin 11 44 45 46 47" $RAW --range 10: g0.bin g1.bin
expect "--range :2" "g0.bin:0 g0.bin 0 0 1 2 3
g0.bin:1 g0.bin 1 4 5 6 7" $RAW --range :2 g0.bin g1.bin
expect "--range 3:3 selects nothing" "" $RAW --range 3:3 g0.bin g1.bin
matches "--range on .npy matches numpy" --range 7:31 big.npy

# --indices: order kept; comments, blank lines, spaces, CRLF
printf '11\n# a comment\n\n 0 \r\n7\n' > idx.txt
expect "--indices keeps the file's order" "g0.bin:11 g1.bin 11 44 45 46 47
g0.bin:0 g0.bin 0 0 1 2 3
g0.bin:7 g1.bin 7 28 29 30 31" $RAW --indices idx.txt g0.bin g1.bin
$PY -c 'import random; r = random.Random(5); print("\n".join(map(str, r.sample(range(40), 17))))' > idx40.txt
matches "--indices matches numpy" --indices idx40.txt big.npy

# OLMo step: global_indices = [7 2 9 0 | 4 11 1 5 | 3 10 6 8], batch 4.
# Step 2 trains on global_indices[4:8] = instances 4, 11, 1, 5 (worked out by hand).
STEP2="g0.bin:4 g0.bin 4 16 17 18 19
g0.bin:11 g1.bin 11 44 45 46 47
g0.bin:1 g0.bin 1 4 5 6 7
g0.bin:5 g0.bin 5 20 21 22 23"
expect "--step 2 --batch-size 4, raw uint32 indices" "$STEP2" $RAW --step 2 --batch-size 4 --global-indices gi.u32 g0.bin g1.bin
expect "--step 2, raw indices named .npy (as OLMo names them)" "$STEP2" $RAW --step 2 --batch-size 4 --global-indices gi_raw.npy g0.bin g1.bin
expect "--step 2, .npy <i8 indices" "$STEP2" $RAW --step 2 --batch-size 4 --global-indices gi_i8.npy g0.bin g1.bin
expect "--step 2, .npy <u4 indices" "$STEP2" $RAW --step 2 --batch-size 4 --global-indices gi_u4.npy g0.bin g1.bin
expect "--step 1 (steps are 1-based)" "g0.bin:7 g1.bin 7 28 29 30 31
g0.bin:2 g0.bin 2 8 9 10 11
g0.bin:9 g1.bin 9 36 37 38 39
g0.bin:0 g0.bin 0 0 1 2 3" $RAW --step 1 --batch-size 4 --global-indices gi.u32 g0.bin g1.bin
expect "--step 3 --batch-size 4: the last whole step" "g0.bin:3 g0.bin 3 12 13 14 15
g0.bin:10 g1.bin 10 40 41 42 43
g0.bin:6 g0.bin 6 24 25 26 27
g0.bin:8 g1.bin 8 32 33 34 35" $RAW --step 3 --batch-size 4 --global-indices gi.u32 g0.bin g1.bin
expect "--step 4 --batch-size 3: global_indices[9:12]" "g0.bin:10 g1.bin 10 40 41 42 43
g0.bin:6 g0.bin 6 24 25 26 27
g0.bin:8 g1.bin 8 32 33 34 35" $RAW --step 4 --batch-size 3 --global-indices gi.u32 g0.bin g1.bin
for s in 1 3 5 8; do
  matches "--step $s --batch-size 5 matches numpy" --step $s --batch-size 5 --global-indices gibig.npy big.npy
done

# --sample: the documented algorithm (splitmix64 + Floyd), reproduced in Python
for spec in "12 5 0" "12 12 3" "40 1 9" "40 39 123456789" "40 17 18446744073709551"; do
  set -- $spec
  matches "--sample $2 of $1 --seed $3 = Python splitmix64+Floyd" --sample "$2" --seed "$3" --range 0:"$1" big.npy
done
matches "--sample from a --range" --range 10:30 --sample 6 --seed 4 big.npy
matches "--sample from an --indices list" --indices idx40.txt --sample 6 --seed 4 big.npy
matches "--sample from a --step" --step 2 --batch-size 10 --global-indices gibig.npy --sample 4 --seed 2 big.npy
check_sh "same seed, same bytes" "cmp <($BIN/reader --sample 9 --seed 5 big.npy) <($BIN/reader --sample 9 --seed 5 big.npy)"
check_sh "no --seed is seed 0" "cmp <($BIN/reader --sample 9 big.npy | $BIN/dump | grep -v header) <($BIN/reader --sample 9 --seed 0 big.npy | $BIN/dump | grep -v header)"
check_sh "another seed, other picks" "! cmp -s <(ids_of --sample 9 --seed 5 big.npy) <(ids_of --sample 9 --seed 6 big.npy)"
check_sh "a sample is distinct instances, in order" "ids_of --sample 30 --seed 8 big.npy | awk '{print \$3}' | sort -n -c -u"
check_sh "a sample id names the same tokens as a range does" \
  "ids_of --sample 5 --seed 1 big.npy | while read -r id src i toks; do ids_of --range \$i:\$((i+1)) big.npy | grep -qxF \"\$id \$src \$i \$toks\" || exit 1; done"
# uniformity: 200 seeds x 10 of 40; each instance is picked 50 times on average (sd ~6.1)
for s in $(seq 1 200); do ids_of --sample 10 --seed "$s" big.npy; done | awk '{print $3}' > picks.txt
check_sh "--sample is uniform (200 seeds, chi-square)" "$PY -c '
import numpy as np
from scipy.stats import chisquare
c = np.bincount(np.loadtxt(\"picks.txt\", dtype=int), minlength=40)
assert c.sum() == 2000 and len(c) == 40, c
p = chisquare(c).pvalue
assert p > 1e-4 and c.min() > 25 and c.max() < 75, (p, c.min(), c.max())
'"
