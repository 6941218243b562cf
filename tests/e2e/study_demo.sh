# study_demo.sh: `make demo`'s study (scripts/demo.sh) on the trained testbed (testbed/, made
# by scripts/testbed/) into a temporary folder: for each domain the findings without accuracy
# say since when the loss is flat and name a converging range that holds the checkpoint where
# the testbed's test accuracy, which they never see, first reaches 0.5; with accuracy, Table 1 per domain has consistency defined and
# correlated; grokmon's loss equals the training script's; the page renders in headless
# Chromium (tests/out/demo.png); a second run resumes.
. "$(dirname "$0")/../lib.sh"
TB=$ROOT/testbed
OUT=$ROOT/tests/out
mkdir -p "$OUT"

t0=$(date +%s)
check "demo runs on the testbed" env GM_BIN="$BIN" GM_DEMO_DIR="$TMP/demo" \
  bash -c "'$ROOT/scripts/demo.sh' >'$TMP/demo.out' 2>'$TMP/demo.err'"
secs=$(($(date +%s) - t0))
if [ $secs -lt 180 ]; then ok "demo under 3 minutes ($secs s)"; else not_ok "demo under 3 minutes" "$secs s"; fi
check "demo prints the findings and Table 1" \
  bash -c "grep -q '^Findings' '$TMP/demo.out' && grep -q '^Correlation with test accuracy' '$TMP/demo.out'"
check "demo writes report.html and summary.txt" \
  bash -c "grep -q '<svg' '$TMP/demo/report.html' && grep -q '^Memorization summary' '$TMP/demo/summary.txt'"

# Without accuracy: the findings alone, checked against the accuracy they did not see.
"$BIN/report" "$TMP/demo/metrics.mpk" --json > "$TMP/plain.jsonl"
check "without accuracy: each domain's converging range holds its accuracy's 0.5 crossing" \
  $PY - "$TMP/plain.jsonl" "$TB/accuracy.csv" <<'PY'
import csv, json, re, sys
find = [json.loads(l) for l in open(sys.argv[1])]
texts = [o["text"] for o in find if o.get("table") == "finding"]
acc = {}
for r in csv.DictReader(open(sys.argv[2])):
    acc.setdefault(r["domain"], []).append((int(r["step"]), float(r["accuracy"])))
def step(t):
    return int(float(t[:-1]) * 1000) if t.endswith("k") else int(float(t[:-1]) * 1e6) if t.endswith("M") else int(t)
bad = []
for d, pts in sorted(acc.items()):
    pts.sort()
    cross = next(s for s, a in pts if a >= 0.5)
    line = next((t for t in texts if t.startswith(d + ": ")), None)
    f = line and re.search(r"loss flat since step (\S+) ", line)
    m = line and re.search(r"Pathways converge from step (\S+) to (\S+?):", line)
    if not f or not (m or "does not fall beyond its noise" in line):
        bad.append("%s: no flat loss or no verdict on the pathways in %r" % (d, line))
        continue
    where = "converge %d..%d" % (step(m[1]), step(m[2])) if m else "no fall beyond noise"
    print("%s: loss flat since %d, %s; accuracy first >= 0.5 at %d" % (d, step(f[1]), where, cross))
    if not m or not step(m[1]) <= cross <= step(m[2]):
        bad.append("%s: the range does not hold %d" % (d, cross))
if bad:
    print("\n".join(bad), file=sys.stderr)
    sys.exit(1)
PY
sed 's/^/    /' "$TMP/.out"

# With accuracy: Table 1 per domain, consistency defined and correlated.
"$BIN/report" "$TMP/demo/metrics.mpk" --accuracy "$TB/accuracy.csv" --val-loss "$TB/val_loss.csv" \
  --json > "$TMP/acc.jsonl"
check "with accuracy: Table 1 has every domain, distance and S defined and correlated" \
  $PY - "$TMP/acc.jsonl" "$TB/accuracy.csv" <<'PY'
import csv, json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
cor = {(o["key"], o["metric"]): o for o in rows if o.get("table") == "correlation"}
doms = sorted({r["domain"] for r in csv.DictReader(open(sys.argv[2]))})
bad = []
for d in doms:
    for m in ("distance", "consistency_s", "train_loss", "val_loss"):
        o = cor.get((d, m))
        if not o or (m in ("distance", "consistency_s") and (o["pearson"] is None or o["verdict"] == "undefined")):
            bad.append((d, m, o))
            continue
        print("%s %-14s n %2d  r %s  [%s, %s]  p %s  %s" % (d, m, o["n"], o["pearson"], o["ci_low"],
              o["ci_high"], o["p_permutation"], o["verdict"]))
if bad:
    print(bad, file=sys.stderr)
    sys.exit(1)
PY
sed 's/^/    /' "$TMP/.out"

# grokmon's loss per domain equals the training script's own (same samples, weights as saved).
"$BIN/dump" "$TMP/demo/metrics.mpk" > "$TMP/metrics.jsonl"
check "grokmon's per-domain training loss equals the testbed's train_loss.csv (1e-4)" \
  $PY - "$TMP/metrics.jsonl" "$TB/train_loss.csv" <<'PY'
import csv, json, sys
mine = {(r["step"], r["group"]): r["loss_mean"] for r in map(json.loads, open(sys.argv[1]))
        if r.get("type") == "metric" and r["scope"] == "domain"}
worst = 0.0
for r in csv.DictReader(open(sys.argv[2])):
    k = (int(r["step"]), r["domain"])
    worst = max(worst, abs(mine[k] - float(r["loss"])))
print("worst |difference| %.2g nats over %d checkpoint-domains" % (worst, len(mine)))
sys.exit(0 if worst <= 1e-4 else 1)
PY
sed 's/^/    /' "$TMP/.out"

# The page, as a person sees it.
prof=$(mktemp -d -p "$TMP")
rm -f "$OUT/demo.png"
cp "$TMP/demo/report.html" "$OUT/demo.html"
timeout 90 /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$prof" --screenshot="$OUT/demo.png" --window-size=1320,5200 \
  "file://$OUT/demo.html" >/dev/null 2>&1
if [ -s "$OUT/demo.png" ]; then
  ok "chromium renders the demo's page to tests/out/demo.png"
  $PY "$ROOT/tests/stage/report_png.py" "$OUT/demo.png"
else
  not_ok "chromium renders the demo's page to tests/out/demo.png"
fi

# A second run resumes: nothing recomputed, the same words.
check "a second demo run" env GM_BIN="$BIN" GM_DEMO_DIR="$TMP/demo" \
  bash -c "'$ROOT/scripts/demo.sh' >'$TMP/demo2.out' 2>'$TMP/demo2.err'"
check "second run: all checkpoints done before" grep -q 'phase 1: all [0-9]* checkpoints done before' "$TMP/demo2.err"
same_file "second run: the same summary" "$TMP/demo.out" "$TMP/demo2.out"
