#!/usr/bin/env bash
# report.sh: the report stage on generated metric streams (tests/tools/
# gen_metrics.py -> dump --from-json): the text table, Table 1 against scipy
# (by domain and by group, --from-step, --val-loss), ties and constant series,
# --json and --csv against the records that went in, tolerant reading of
# extra fields and other record types, the findings, the --help example.
source "$(dirname "$0")/../lib.sh"
R=$BIN/report
REF=$ROOT/tests/reference/stats_ref.py

$PY "$ROOT/tests/tools/gen_metrics.py" "$TMP/g" --seed 3
"$BIN/dump" --from-json -o "$TMP/m.mpk" "$TMP/g/metrics.jsonl"

# ---- correlation code against scipy, case by case
$PY "$REF" cases "$TOOLS/report_stats"

# ---- the text table
check "table: runs" "$R" "$TMP/m.mpk" -o "$TMP/table.txt"
check_sh "table: every group and checkpoint has a row (8 groups + 2 domains + 1 cross, 10 steps)" \
  "[ \$(grep -cE '^(group|domain|cross) +[^ ]+ +[0-9]+ +[0-9]+ ' '$TMP/table.txt') -eq 110 ]"
check_sh "table: says which consistency is plotted" "grep -q 'S = 1 - C is the one plotted' '$TMP/table.txt'"
check_sh "table: memorization summary with eps per domain and group sizes" \
  "grep -qE '^math +155 +1.5 +0.050 +61.3% +searched' '$TMP/table.txt' &&
   grep -qE '^code +code@365000 +365000 +30$' '$TMP/table.txt'"
check_sh "table: a row holds the record's values (math@125000 at 245000)" \
  "$PY - '$TMP/g/metrics.jsonl' '$TMP/table.txt' <<'PY'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
m = [x for x in r if x['type'] == 'metric' and x['group'] == 'math@125000' and x['step'] == 245000][0]
want = 'group   %-22s %9d %6d %8d %9.2f %8s %8.4f %8.4f %8.4f %8.4f' % (m['group'], m['step'], m['n'], m['pairs'], m['distance_mean'], '-', m['c_mean'], m['s_mean'], m['loss_mean'], m['loss_ma'])
rows = [l.rstrip() for l in open(sys.argv[2])]
sys.exit(0 if want in rows else 1)
PY"
check_sh "table: stdin gives the same table" "'$R' < '$TMP/m.mpk' | cmp - '$TMP/table.txt'"

# ---- Table 1 against scipy
"$R" "$TMP/m.mpk" --accuracy "$TMP/g/acc.csv" --val-loss "$TMP/g/val.csv" --from-step 245000 --json > "$TMP/t1.jsonl"
$PY "$REF" table "$TMP/g/metrics.jsonl" "$TMP/g/acc.csv" "$TMP/g/val.csv" 245000 "$TMP/t1.jsonl"
"$R" "$TMP/m.mpk" --accuracy "$TMP/g/acc_group.csv" --window all --json > "$TMP/t2.jsonl"
$PY "$REF" table "$TMP/g/metrics.jsonl" "$TMP/g/acc_group.csv" - 0 "$TMP/t2.jsonl"
# the paper's window, chosen per row from accuracy (the default)
"$R" "$TMP/m.mpk" --accuracy "$TMP/g/acc.csv" --val-loss "$TMP/g/val.csv" --json > "$TMP/t4.jsonl"
$PY "$REF" table "$TMP/g/metrics.jsonl" "$TMP/g/acc.csv" "$TMP/g/val.csv" auto "$TMP/t4.jsonl"
"$R" "$TMP/m.mpk" --accuracy "$TMP/g/acc_group.csv" --json > "$TMP/t5.jsonl"
$PY "$REF" table "$TMP/g/metrics.jsonl" "$TMP/g/acc_group.csv" - auto "$TMP/t5.jsonl"
must_fail "--window of an unknown kind" 2 "--window some: expected auto or all" \
  "$R $TMP/m.mpk --accuracy $TMP/g/acc.csv --window some"
must_fail "--from-step with --window all" 2 "--from-step and --window all exclude each other" \
  "$R $TMP/m.mpk --accuracy $TMP/g/acc.csv --window all --from-step 5"
check_sh "--from-step limits the checkpoints (8 from 245k, 10 from 0)" \
  "grep -q '\"key\":\"math\",\"metric\":\"distance\",\"n\":8,' '$TMP/t1.jsonl' &&
   '$R' '$TMP/m.mpk' --accuracy '$TMP/g/acc.csv' --window all --json | grep -q '\"key\":\"math\",\"metric\":\"distance\",\"n\":10,'"

# ties and constants: accuracy rounded to one decimal (ties), code held constant (undefined)
awk -F, 'NR == 1 { print; next } $2 == "code" { print $1 ",code,0.5"; next }
         { printf "%s,%s,%.1f\n", $1, $2, $3 }' "$TMP/g/acc.csv" > "$TMP/acc_ties.csv"
"$R" "$TMP/m.mpk" --accuracy "$TMP/acc_ties.csv" --window all --json > "$TMP/t3.jsonl"
$PY "$REF" table "$TMP/g/metrics.jsonl" "$TMP/acc_ties.csv" - 0 "$TMP/t3.jsonl"
check_sh "constant accuracy: undefined (null) in JSON, 'undef' in the table, no NaN anywhere" \
  "grep '\"key\":\"code\"' '$TMP/t3.jsonl' | grep -q '\"pearson\":null,\"spearman\":null' &&
   '$R' '$TMP/m.mpk' --accuracy '$TMP/acc_ties.csv' --window all --html '$TMP/t3.html' > '$TMP/t3.txt' &&
   grep -qE '^code .*undefined +undefined' '$TMP/t3.txt' && grep -q '>undefined<' '$TMP/t3.html' &&
   ! grep -qi 'nan' '$TMP/t3.txt' '$TMP/t3.jsonl' && ! grep -qiw 'nan' '$TMP/t3.html'"

# ---- findings in plain words: tests/stage/report_findings.sh

# ---- --json and --csv hold the records' numbers exactly
check "--csv writes its files" "$R" "$TMP/m.mpk" --accuracy "$TMP/g/acc.csv" --csv "$TMP/csv" -o /dev/null
check_sh "--csv: metrics.csv and layer_distance.csv equal the input records (csv module)" \
  "$PY - '$TMP/g/metrics.jsonl' '$TMP/csv' <<'PY'
import csv, json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
ms = {(r['scope'], r['group'], r['step']): r for r in recs if r['type'] == 'metric'}
rows = list(csv.DictReader(open(sys.argv[2] + '/metrics.csv')))
assert len(rows) == len(ms), (len(rows), len(ms))
for row in rows:
    m = ms[(row['scope'], row['group'], int(row['step']))]
    for k in ('distance_mean', 'c_mean', 's_mean', 'loss_mean', 'loss_ma', 'entropy_mean'):
        assert float(row[k]) == m[k], (k, row[k], m[k])
    assert row['distance_se'] == '' and int(row['n']) == m['n']
    assert row['mem_step'] == ('' if m['mem_step'] is None else str(m['mem_step']))
lay = list(csv.DictReader(open(sys.argv[2] + '/layer_distance.csv')))
assert len(lay) == 16 * len(ms)
for row in lay[:200]:
    assert float(row['distance']) == ms[(row['scope'], row['group'], int(row['step']))]['layer_distance'][int(row['layer'])]
groups = list(csv.DictReader(open(sys.argv[2] + '/groups.csv')))
assert {(g['group'], int(g['n'])) for g in groups} >= {('math@125000', 40), ('code@never', 60)}
corr = list(csv.DictReader(open(sys.argv[2] + '/correlation.csv')))
assert len(corr) == 2 * 5, len(corr)
PY"
check_sh "--json: one metric line per record, values exact" \
  "'$R' '$TMP/m.mpk' --json | $PY -c '
import json, sys
recs = [json.loads(l) for l in open(\"$TMP/g/metrics.jsonl\")]
ms = {(r[\"scope\"], r[\"group\"], r[\"step\"]): r for r in recs if r[\"type\"] == \"metric\"}
got = [json.loads(l) for l in sys.stdin]
mets = [o for o in got if o[\"table\"] == \"metric\"]
assert len(mets) == len(ms)
for o in mets:
    m = ms[(o[\"scope\"], o[\"group\"], o[\"step\"])]
    assert o[\"distance_mean\"] == m[\"distance_mean\"] and o[\"s_mean\"] == m[\"s_mean\"] and o[\"layer_distance\"] == m[\"layer_distance\"]
assert any(o[\"table\"] == \"finding\" for o in got)
'"

# ---- tolerant of extra fields and other record types, strict on required ones
$PY - "$TMP/g/metrics.jsonl" > "$TMP/extra.jsonl" <<'PY'
import json, sys
for i, l in enumerate(open(sys.argv[1])):
    r = json.loads(l)
    r["future_field"] = {"x": [1, 2]}
    print(json.dumps(r))
    if i % 50 == 0:
        print(json.dumps({"type": "pathway", "id": "x", "path": "1,2-3"}))
PY
"$BIN/dump" --from-json -o "$TMP/extra.mpk" "$TMP/extra.jsonl"
check_sh "extra fields and other record types do not change the table" \
  "'$R' '$TMP/extra.mpk' | cmp - '$TMP/table.txt'"
check_sh "concatenated streams read as one" \
  "head -n 200 '$TMP/g/metrics.jsonl' | '$BIN/dump' --from-json > '$TMP/a.mpk' &&
   tail -n +201 '$TMP/g/metrics.jsonl' | '$BIN/dump' --from-json > '$TMP/b.mpk' &&
   cat '$TMP/a.mpk' '$TMP/b.mpk' | '$R' | cmp - '$TMP/table.txt' &&
   '$R' '$TMP/a.mpk' '$TMP/b.mpk' | cmp - '$TMP/table.txt'"
lz4 -q -c "$TMP/m.mpk" > "$TMP/m.mpk.lz4" 2>/dev/null &&
  check_sh "LZ4 input gives the same table" "'$R' '$TMP/m.mpk.lz4' | cmp - '$TMP/table.txt'"

# ---- the example in --help runs
check_sh "--help shows an example pipeline" "'$R' --help | grep -q 'report --accuracy acc.csv --from-step 245000'"
check_sh "--help example: report --accuracy acc.csv --from-step 245000 --html report.html --csv tables/" \
  "cd '$TMP' && cp g/acc.csv acc.csv && '$R' --accuracy acc.csv --from-step 245000 --html report.html --csv tables/ < m.mpk > /dev/null &&
   [ -s report.html ] && [ -s tables/correlation.csv ]"
check_sh "--help example: report metrics.mpk --accuracy acc.csv --json | grep correlation" \
  "cd '$TMP' && cp m.mpk metrics.mpk && '$R' --help | grep -qF \"report metrics.mpk --accuracy acc.csv --json | grep '\\\"table\\\":\\\"correlation\\\"'\" &&
   [ \$('$R' metrics.mpk --accuracy acc.csv --json | grep '\"table\":\"correlation\"' | wc -l) -eq 10 ]"
check_sh "--version" "'$R' --version | grep -q '^report'"

# ---- metric-reduce's own stream (pathways generated by its reference tool)
if $PY "$ROOT/tests/reference/gen_metric_data.py" pathways --layers 4 --experts 16 --n 16 --ckpts 5 \
     --domains code,math,qa --seed 5 --out-dir "$TMP/pw" >/dev/null 2>&1; then
  for f in "$TMP"/pw/*.jsonl; do "$BIN/dump" --from-json "$f" > "${f%.jsonl}.mpk"; done
  "$BIN/metric-reduce" "$TMP"/pw/*.mpk -o "$TMP/mr.mpk"
  check_sh "metric-reduce output: table, JSON and page without NaN; groups as in membership" \
    "'$R' '$TMP/mr.mpk' --html '$TMP/mr.html' > '$TMP/mr.txt' && '$R' '$TMP/mr.mpk' --json > '$TMP/mr.jsonl' &&
     ! grep -qiw nan '$TMP/mr.txt' '$TMP/mr.jsonl' '$TMP/mr.html' &&
     [ \$('$BIN/dump' '$TMP/mr.mpk' | grep '\"type\":\"membership\"' | grep -o '\"group\":\"[^\"]*\"' | sort -u | wc -l) -eq \
       \$(grep -c '\"table\":\"group\"' '$TMP/mr.jsonl') ]"
else
  not_ok "metric-reduce output: generating pathway records failed"
fi
