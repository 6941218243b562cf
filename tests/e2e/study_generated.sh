# study_generated.sh: tests/tools/generated-study.sh (a generated series with the paper's story
# planted; `make demo` runs the trained testbed instead, tests/e2e/study_demo.sh) into a
# temporary folder: it finishes in under 3 minutes, names its checkpoints like the real HF
# branches, prints the summary and writes report.html; and the planted story shows in its own
# metric records: each
# domain's loss falls early then stays flat while its pathway distance falls and S rises over
# the later steps, and every memorized group's pathways keep converging after its loss is flat.
. "$(dirname "$0")/../lib.sh"

t0=$(date +%s)
check "demo runs" env GM_BIN="$BIN" GM_TOOLS="$TOOLS" GM_DEMO_DIR="$TMP/demo" \
  bash -c "'$ROOT/tests/tools/generated-study.sh' >'$TMP/demo.out' 2>'$TMP/demo.err'"
secs=$(($(date +%s) - t0))
if [ $secs -lt 180 ]; then ok "demo under 3 minutes ($secs s)"; else not_ok "demo under 3 minutes" "$secs s"; fi
check "the summary on stdout" grep -q '^Memorization summary' "$TMP/demo.out"
check "demo/report.html with charts" grep -q '<svg' "$TMP/demo/report.html"
check "progress on stderr" grep -q '\[8/8 done\]' "$TMP/demo.err"

$BIN/dump "$TMP/demo/metrics.mpk" >"$TMP/metrics.jsonl"
check "the story, on the demo's own numbers" $PY - "$TMP/demo" "$TMP/metrics.jsonl" <<'PY'
import json, math, os, re, sys
demo, metrics = sys.argv[1], sys.argv[2]
fail = []
def want(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        fail.append(what)

# checkpoints named like the OLMoE branches: step{S}-tokens{B}B, B = floor(S * 1024 * 4096 / 1e9)
names = sorted(os.listdir(os.path.join(demo, "ckpts")))
want(len(names) == 8, f"8 checkpoints ({len(names)})")
for n in names:
    m = re.fullmatch(r"step(\d+)-tokens(\d+)B", n)
    want(bool(m) and int(m[2]) == int(m[1]) * 1024 * 4096 // 10**9, f"{n}: a real branch name")
    want(all(os.path.isfile(os.path.join(demo, "ckpts", n, f)) for f in ("config.json", "model.safetensors")),
         f"{n}: an HF folder")
    cfg = json.load(open(os.path.join(demo, "ckpts", n, "config.json")))
    want(cfg["model_type"] == "olmoe" and cfg["num_hidden_layers"] >= 4, f"{n}: OLMoE config, 4+ layers")

recs = [json.loads(l) for l in open(metrics)]
mets = [r for r in recs if r["type"] == "metric"]
members = [r for r in recs if r["type"] == "membership"]
V = 1024

def series(scope, group):
    rows = sorted((r for r in mets if r["scope"] == scope and r["group"] == group), key=lambda r: r["step"])
    return [r["step"] for r in rows], rows

def slope(y):
    x = list(range(len(y)))
    mx, my = sum(x) / len(x), sum(y) / len(y)
    return sum((a - mx) * (b - my) for a, b in zip(x, y)) / sum((a - mx) ** 2 for a in x)

domains = sorted({r["domain"] for r in members})
want(len(domains) >= 2, f"two or more domains ({domains})")
for d in domains:
    steps, rows = series("domain", d)
    loss = [r["loss_mean"] for r in rows]
    dist = [r["distance_mean"] for r in rows]
    s = [r["s_mean"] for r in rows]
    late = slice(2, None)  # "later steps": from the third checkpoint on
    print(f"{d}: loss {[round(x, 3) for x in loss]}")
    print(f"{d}: distance {[round(x, 2) for x in dist]}")
    print(f"{d}: S {[round(x, 3) for x in s]}")
    want(abs(loss[0] - math.log(V)) < 1e-3, f"{d}: loss at the first checkpoint is ln V (untrained head)")
    drop = loss[0] - loss[2]
    want(drop > 3, f"{d}: loss falls early ({drop:.2f} nats by the third checkpoint)")
    lr = max(loss[late]) - min(loss[late])
    want(lr < 0.25 and lr < 0.05 * drop, f"{d}: then flat (range {lr:.3f} nats over the later steps)")
    want(dist[-1] < 0.5 * dist[2] and slope(dist[late]) < 0,
         f"{d}: pathway distance falls over the later steps ({dist[2]:.2f} -> {dist[-1]:.2f})")
    want(s[-1] > s[2] + 0.1 and slope(s[late]) > 0, f"{d}: S rises over the later steps ({s[2]:.3f} -> {s[-1]:.3f})")
    # the contrast the paper draws: loss moves by a few percent, distance by half or more
    rel = abs(loss[-1] - loss[2]) / loss[2]
    want(rel < 0.15 and (dist[2] - dist[-1]) / dist[2] > 0.5,
         f"{d}: loss moves {100 * rel:.0f} % over the later steps while distance falls by half or more")

groups = sorted({(r["group"], r["mem_step"]) for r in members if r["mem_step"] is not None})
want(len(groups) >= 2 * len(domains), f"two or more memorized groups per domain ({[g for g, _ in groups]})")
sizes = {r["group"]: r["n"] for r in mets if r["scope"] == "group"}
for d in domains:
    big = [g for g, _ in groups if g.startswith(d + "@") and sizes[g] >= 8]
    want(len(big) >= 1, f"{d}: a memorized group of 8 or more samples ({big})")
for g, t in groups:
    if sizes[g] < 8:  # too few pairs for a stable mean distance
        continue
    steps, rows = series("group", g)
    after = [r for r in rows if r["step"] >= t]
    loss = [r["loss_mean"] for r in after]
    dist = [r["distance_mean"] for r in after]
    s = [r["s_mean"] for r in after]
    want(len(after) >= 3, f"{g}: three or more checkpoints after its memorization step")
    want(max(loss) - min(loss) <= 0.1, f"{g}: loss flat after memorization (range {max(loss) - min(loss):.3f})")
    want(dist[-1] < 0.7 * dist[0], f"{g}: distance falls after memorization ({dist[0]:.2f} -> {dist[-1]:.2f})")
    want(s[-1] > s[0], f"{g}: S rises after memorization ({s[0]:.3f} -> {s[-1]:.3f})")
sys.exit(1 if fail else 0)
PY
sed 's/^/    /' "$TMP/.out"

# make demo again resumes: nothing is regenerated or recomputed, the same summary comes out.
check "a second demo run" env GM_BIN="$BIN" GM_TOOLS="$TOOLS" GM_DEMO_DIR="$TMP/demo" \
  bash -c "'$ROOT/tests/tools/generated-study.sh' >'$TMP/demo2.out' 2>'$TMP/demo2.err'"
check "second run: all checkpoints done before" grep -q 'phase 1: all 8 checkpoints done before' "$TMP/demo2.err"
same_file "second run: the same summary" "$TMP/demo.out" "$TMP/demo2.out"
