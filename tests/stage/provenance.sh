#!/usr/bin/env bash
# provenance.sh: every header of a concatenated input is kept, in order, by
# every stage (docs/records.md "Streams"; issue 16). `cat a.mpk b.mpk | stage`
# writes the stage's header over each part: for the per-record stages the
# output is byte for byte `cat stage(a) stage(b)` (router-trace batches across
# the seam and still keeps each record in its part); metric-reduce names both
# parts before its outputs, and a concatenated --membership file in a last
# part; dump prints every header. The provenance chain is checked by walking
# the headers' inputs.
source "$(dirname "$0")/../lib.sh"
D=$BIN/dump

mkdir -p "$TMP/ck"
"$TOOLS/gen-checkpoint" --preset tiny --seed 3 "$TMP/ck/step100" >/dev/null
"$TOOLS/gen-checkpoint" --preset tiny --seed 4 "$TMP/ck/step200" >/dev/null
for part in a b; do
  $PY - "$TMP/$part.jsonl" "$part" <<'EOF'
import random, sys
r = random.Random(sys.argv[2])
with open(sys.argv[1], "w") as f:
    for i in range(5):
        f.write('{"id":"%s%d","domain":"%s","tokens":[%s]}\n' % (sys.argv[2], i, "math" if i % 2 else "code",
                ",".join(str(r.randrange(256)) for _ in range(r.randrange(6, 20)))))
EOF
  "$BIN/reader" "$TMP/$part.jsonl" -o "$TMP/$part.mpk"
done
ck=$TMP/ck/step100
RT="$BIN/router-trace -j 1 --model $ck"
PE="$BIN/pathway-encode --model $ck"

# headers STREAM: each top-level header as "stage(input,...)", an input as its
# stage and the JSON Lines file at the root of its chain ("router-trace:a.jsonl")
headers() {
  $D "$1" | $PY -c '
import json, sys
def root(h):
    while h["stage"] != "reader":
        h = h["inputs"][0]
    return h["options"]["input"][0].split("/")[-1]
hs = [r for r in map(json.loads, sys.stdin) if r["type"] == "header"]
print(" ".join("%s(%s)" % (h["stage"], ",".join(i["stage"] + ":" + root(i) for i in h["inputs"])) for h in hs))'
}
export -f headers
export D PY

# ---- router-trace: two parts in, two parts out; batches do not cross the seam
$RT "$TMP/a.mpk" -o "$TMP/ta.mpk"
$RT "$TMP/b.mpk" -o "$TMP/tb.mpk"
cat "$TMP/a.mpk" "$TMP/b.mpk" | $RT -o "$TMP/tab.mpk"
check_sh "router-trace: cat a b | router-trace = cat router-trace(a) router-trace(b), byte for byte" \
  "cat '$TMP/ta.mpk' '$TMP/tb.mpk' | cmp - '$TMP/tab.mpk'"
check_sh "router-trace: each reader header kept, in order, under a header of its own" \
  "[ \"\$(headers '$TMP/tab.mpk')\" = 'router-trace(reader:a.jsonl) router-trace(reader:b.jsonl)' ]"
cat "$TMP/a.mpk" "$TMP/b.mpk" | $RT --batch-tokens 100000 -o "$TMP/tab1.mpk"
ids() { $D "$1" | grep -o '^{"type":"[a-z]*"\(,"id":"[a-z0-9]*"\)\?' | tr '\n' ' '; } # types and ids in order
export -f ids
check_sh "router-trace, one batch for all: the same records in the same parts" \
  "[ \"\$(ids '$TMP/tab1.mpk')\" = \"\$(ids '$TMP/tab.mpk')\" ] && [ \$(ids '$TMP/tab.mpk' | wc -w) -eq 12 ]"

# ---- pathway-encode
$PE "$TMP/ta.mpk" -o "$TMP/pa.mpk"
$PE "$TMP/tb.mpk" -o "$TMP/pb.mpk"
$PE "$TMP/tab.mpk" -o "$TMP/pab.mpk"
check_sh "pathway-encode: cat a b | pathway-encode = cat of the two, byte for byte" \
  "cat '$TMP/pa.mpk' '$TMP/pb.mpk' | cmp - '$TMP/pab.mpk'"
check_sh "pathway-encode: the whole chain, in order" \
  "[ \"\$(headers '$TMP/pab.mpk')\" = 'pathway-encode(router-trace:a.jsonl) pathway-encode(router-trace:b.jsonl)' ]"
check_sh "a second file argument after a concatenated one: the headers in the order met" \
  "$PE '$TMP/tab.mpk' '$TMP/tb.mpk' -o '$TMP/p3.mpk' &&
   [ \"\$(headers '$TMP/p3.mpk')\" = 'pathway-encode(router-trace:a.jsonl,router-trace:b.jsonl) pathway-encode(router-trace:b.jsonl)' ]"

# ---- metric-reduce: the second checkpoint's paths, made from the same two parts
cat "$TMP/a.mpk" "$TMP/b.mpk" | $BIN/router-trace -j 1 --model "$TMP/ck/step200" \
  | $BIN/pathway-encode --model "$TMP/ck/step200" -o "$TMP/p200.mpk"
cat "$TMP/pab.mpk" "$TMP/p200.mpk" >"$TMP/all.mpk"
$BIN/metric-reduce --eps 9 - <"$TMP/all.mpk" -o "$TMP/m.mpk"
check_sh "metric-reduce: all four input headers kept, in order, before its outputs" \
  "[ \"\$(headers '$TMP/m.mpk')\" = 'metric-reduce(pathway-encode:a.jsonl) metric-reduce(pathway-encode:b.jsonl) metric-reduce(pathway-encode:a.jsonl) metric-reduce(pathway-encode:b.jsonl)' ] &&
   $D '$TMP/m.mpk' | sed -n 5p | grep -q '\"type\":\"calibration\"'"
check_sh "metric-reduce: the outputs are those of the files given apart" \
  "$BIN/metric-reduce --eps 9 '$TMP/pab.mpk' '$TMP/p200.mpk' | $D | grep -v '\"type\":\"header\"' | cmp - <($D '$TMP/m.mpk' | grep -v '\"type\":\"header\"')"
# a --membership file of several parts (mem.mpk has one per part of all.mpk,
# then a part with a header only): the later headers in a last part
$BIN/metric-reduce --membership-only --eps 9 "$TMP/all.mpk" -o "$TMP/mem.mpk"
$D "$TMP/mem.mpk" | head -1 | $D --from-json -o "$TMP/mem-header.mpk" # a part with a header only
cat "$TMP/mem.mpk" "$TMP/mem-header.mpk" >"$TMP/mem2.mpk"
$BIN/metric-reduce --membership "$TMP/mem2.mpk" "$TMP/p200.mpk" -o "$TMP/m200.mpk" 2>"$TMP/m200.err"
check_sh "metric-reduce --membership (a concatenated file): its later headers named in a last part" \
  "$D '$TMP/m200.mpk' | $PY -c '
import json, sys
recs = [json.loads(l) for l in sys.stdin]
hdr = [i for i, r in enumerate(recs) if r[\"type\"] == \"header\"]
assert len(hdr) == 3 and hdr[-1] == len(recs) - 1, hdr
stages = [[i[\"stage\"] for i in recs[h][\"inputs\"]] for h in hdr]
assert stages == [[\"pathway-encode\", \"metric-reduce\"], [\"pathway-encode\"], [\"metric-reduce\"] * 4], stages'"

# ---- dump prints every header, in place (5 traces of a, then 5 of b)
check_sh "dump: every header, in place" \
  "[ \"\$($D '$TMP/tab.mpk' | grep -n '\"type\":\"header\"' | cut -d: -f1 | tr '\n' ' ')\" = '1 7 ' ]"
