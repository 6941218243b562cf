#!/usr/bin/env bash
# report_html.sh: the --html page: self-contained (no scripts, links, URLs or
# fonts from outside), every inline SVG parsed by xmllint, the charts it must
# have (per domain distance, S, loss with accuracy on a right axis and the
# memorization steps dashed; layerwise; cross-domain), round tick numbers, and
# a headless Chromium render that is not blank (kept in tests/out/report.png).
source "$(dirname "$0")/../lib.sh"
R=$BIN/report
OUT=$ROOT/tests/out
mkdir -p "$OUT"

$PY "$ROOT/tests/tools/gen_metrics.py" "$TMP/g" --seed 5
"$BIN/dump" --from-json -o "$TMP/m.mpk" "$TMP/g/metrics.jsonl"
check "html: written with --accuracy" "$R" "$TMP/m.mpk" --accuracy "$TMP/g/acc.csv" \
  --val-loss "$TMP/g/val.csv" --from-step 245000 --html "$OUT/report.html" -o /dev/null
P=$OUT/report.html

check_sh "html: self-contained (no script, link, src, href, url(), @import; http only as SVG xmlns)" \
  "! grep -qiE '<script|<link|<img|<iframe|src=|href=|url\\(|@import|@font-face' '$P' &&
   [ \$(grep -o 'http[^\"]*' '$P' | grep -vc '^http://www.w3.org/2000/svg\$') -eq 0 ]"
check_sh "html: states which consistency is plotted" \
  "grep -q 'Consistency plotted: S = 1 &#8722; C' '$P' && grep -q 'C (as printed)' '$P'"

# every <svg>...</svg> parses as XML
$PY - "$P" "$TMP/svg" <<'PY'
import os, re, sys
page = open(sys.argv[1]).read()
os.makedirs(sys.argv[2])
for i, s in enumerate(re.findall(r"<svg\b.*?</svg>", page, re.S)):
    open(os.path.join(sys.argv[2], "%02d.svg" % i), "w").write(s)
PY
n_svg=$(ls "$TMP/svg" | wc -l)
check_sh "html: 18 charts (2 domains x distance, S, loss, loss after flattening, entropy, layerwise; memorized fraction; 2 domains x distance and S against accuracy; cross-domain)" "[ $n_svg -eq 18 ]"
check_sh "html: the per-domain charts by title" \
  "for d in math code; do for t in 'pathway distance' 'consistency S = 1 - C' 'training loss' 'after the loss flattened' 'routing entropy control' 'layerwise pathway distance'; do
     grep -q \"<title>\$d: \$t\" '$P' || { echo \"missing \$d: \$t\" >&2; exit 1; }; done; done &&
   grep -q '<title>Samples memorized by each checkpoint' '$P' &&
   grep -q '<title>math: distance against accuracy (r = -0.9' '$P' && grep -q '<title>code: S against accuracy (r = +0.9' '$P'"
check_sh "html: the converging range is shaded on the distance chart" \
  "grep -q 'pathways converge (fall beyond noise, loss flat)' '$P'"
bad=""
for f in "$TMP/svg"/*.svg; do xmllint --noout "$f" 2>>"$TMP/xmllint.err" || bad+=" $(basename "$f")"; done
check_sh "html: xmllint parses every SVG ($n_svg)" "[ -z '$bad' ] || { cat '$TMP/xmllint.err' >&2; false; }"
check_sh "html: each metric chart has accuracy on a right axis and 3 dashed memorization steps" \
  "$PY - '$TMP/svg' <<'PY'
import glob, re, sys
charts = [open(f).read() for f in sorted(glob.glob(sys.argv[1] + '/*.svg'))]
metric = [c for c in charts if re.search(r'<title>(math|code): (pathway distance|consistency S = 1 - C|training loss)</title>', c)]
assert len(metric) == 6, len(metric)
for c in metric:
    assert 'rotate(90)\" text-anchor=\"middle\" font-size=\"12\">test accuracy<' in c
    marks = re.findall(r'<line [^>]*stroke-dasharray=\"5 4\"/>', c)
    assert len(marks) == 3 + 1, len(marks)   # three groups with t*, one legend sample
    assert c.count('>whole domain<') == 1 and c.count('@never<') == 1
    assert 'memorization step t*' in c
PY"
check_sh "html: tick labels are round numbers (1, 2 or 5 x 10^k apart)" \
  "$PY - '$TMP/svg' <<'PY'
import glob, math, re, sys
for f in sorted(glob.glob(sys.argv[1] + '/*.svg')):
    c = open(f).read()
    for anchor in ('end', 'middle'):
        labels = re.findall(r'<text x=\"[0-9.]+\" y=\"[0-9.]+\" text-anchor=\"%s\">([-0-9.]+k?)</text>' % anchor, c)
        vals = [float(l[:-1]) * 1000 if l.endswith('k') else float(l) for l in labels]
        assert len(vals) >= 3, (f, anchor, labels)
        steps = {round(b - a, 9) for a, b in zip(vals, vals[1:])}
        assert len(steps) == 1, (f, labels)
        d = steps.pop()
        m = d / 10 ** math.floor(math.log10(d))
        assert min(abs(m - k) for k in (1, 2, 5)) < 1e-6, (f, labels)
        assert all(abs(v / d - round(v / d)) < 1e-6 for v in vals), (f, labels)
PY"
check_sh "html: Table 1 and the findings are on the page" \
  "grep -q 'Correlation with test accuracy across checkpoints (Table 1)' '$P' &&
   grep -q '<li>math, against test accuracy (window: from step 245k (--from-step); 8 checkpoints' '$P' &&
   grep -q '<li>math: loss flat since step' '$P' && grep -q '<h2>Analysis choices</h2>' '$P'"
check_sh "html: without --accuracy no right axis and still valid SVG" \
  "'$R' '$TMP/m.mpk' --html '$TMP/plain.html' -o /dev/null && ! grep -q 'test accuracy' '$TMP/plain.html' &&
   $PY -c 'import re,sys; [sys.stdout.write(s + \"\\n\") for s in re.findall(r\"<svg\\b.*?</svg>\", open(\"$TMP/plain.html\").read(), re.S)[:1]]' > '$TMP/one.svg' &&
   xmllint --noout '$TMP/one.svg'"

# headless Chromium: the page renders, and the screenshot is not blank
shoot() { # page.html out.png
  local prof; prof=$(mktemp -d -p "$TMP")
  timeout 60 /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$prof" --screenshot="$2" --window-size=1200,3000 "file://$1" >/dev/null 2>&1
}
rm -f "$OUT/report.png"
if shoot "$P" "$OUT/report.png" && [ -s "$OUT/report.png" ]; then
  ok "chromium renders the page to tests/out/report.png"
  $PY "$ROOT/tests/stage/report_png.py" "$OUT/report.png"
else
  not_ok "chromium renders the page to tests/out/report.png"
fi
# the blank check must be able to fail: a white page
printf '<!DOCTYPE html><html><body style="background:#fff"></body></html>' > "$TMP/blank.html"
check_sh "the not-blank check rejects a blank page" \
  "shoot() { prof=\$(mktemp -d -p '$TMP'); timeout 60 /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync --user-data-dir=\$prof --screenshot=\$2 --window-size=400,300 file://\$1 >/dev/null 2>&1; }
   shoot '$TMP/blank.html' '$TMP/blank.png' && $PY '$ROOT/tests/stage/report_png.py' '$TMP/blank.png' | grep -q '^not ok'"

# accuracy per group: each group's accuracy on the right axis, in the group's colour
"$R" "$TMP/m.mpk" --accuracy "$TMP/g/acc_group.csv" --html "$TMP/grp.html" -o /dev/null
check_sh "html, accuracy by group: each metric chart has the 3 groups' accuracy lines" \
  "$PY - '$TMP/grp.html' <<'PY'
import re, sys
page = open(sys.argv[1]).read()
charts = re.findall(r'<svg\b.*?</svg>', page, re.S)
metric = [c for c in charts if re.search(r'<title>(math|code): (pathway distance|consistency S = 1 - C|training loss)</title>', c)]
assert len(metric) == 6
for c in metric:
    dom = re.search(r'<title>(\w+):', c).group(1)
    for t in ('125000', '365000', '605000'):
        assert c.count('>accuracy %s@%s (right axis)<' % (dom, t)) == 1, (dom, t)
PY"

# names that need escaping stay valid XML
$PY "$ROOT/tests/tools/gen_metrics.py" "$TMP/esc" --seed 1 --domains 'r&d,x<y' --layers 4
"$BIN/dump" --from-json -o "$TMP/esc.mpk" "$TMP/esc/metrics.jsonl"
check_sh "html: domain names with & and < are escaped; every SVG still parses" \
  "'$R' '$TMP/esc.mpk' --accuracy '$TMP/esc/acc.csv' --html '$TMP/esc.html' -o /dev/null &&
   grep -q 'Domain: r&amp;d' '$TMP/esc.html' && grep -q 'x&lt;y@125000' '$TMP/esc.html' &&
   $PY -c '
import re, subprocess, sys
for s in re.findall(r\"<svg\\b.*?</svg>\", open(\"$TMP/esc.html\").read(), re.S):
    subprocess.run([\"xmllint\", \"--noout\", \"-\"], input=s.encode(), check=True)'"
