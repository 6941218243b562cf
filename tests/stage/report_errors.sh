#!/usr/bin/env bash
# report_errors.sh: report's must-fail cases as data: malformed accuracy and
# validation-loss CSVs (one-line error naming file and line, exit 1), bad
# metric records (missing or mistyped required field, duplicates, none at
# all), usage errors (exit 2); a failed run leaves no -o, --html or --csv file.
source "$(dirname "$0")/../lib.sh"
R=$BIN/report

$PY "$ROOT/tests/tools/gen_metrics.py" "$TMP/g" --seed 2
"$BIN/dump" --from-json -o "$TMP/m.mpk" "$TMP/g/metrics.jsonl"
M=$TMP/m.mpk
good=$TMP/g/acc.csv

# CSV cases: name | expected fragment | file body (\n-separated, printf %b)
while IFS='|' read -r name frag body; do
  [ -z "$name" ] && continue
  printf '%b' "$body" > "$TMP/bad.csv"
  must_fail "accuracy CSV: $name" 1 "$frag" "'$R' '$M' --accuracy '$TMP/bad.csv' -o '$TMP/out.txt' --html '$TMP/out.html'"
  no_file "accuracy CSV: $name: no output left" "$TMP/out.txt" "$TMP/out.html"
done <<'CASES'
missing accuracy column|bad.csv:1: missing column 'accuracy'|step,domain,acc\n5000,math,0.3\n
missing key column|bad.csv:2: missing column 'domain (or group)'|# comment\nstep,accuracy\n5000,0.3\n
non-numeric value|bad.csv:4: accuracy 'abc' is not a number|step,domain,accuracy\n5000,math,0.3\n125000,math,0.31\n245000,math,abc\n
non-integer step|bad.csv:3: step '12.5' is not a non-negative integer|step,domain,accuracy\n5000,math,0.3\n12.5,math,0.3\n
unknown step|bad.csv:3: step 130000 is not a checkpoint of the metrics|step,domain,accuracy\n5000,math,0.3\n130000,math,0.4\n
unknown domain|bad.csv:2: domain 'bio' is not in the metrics (domains: math, code)|step,domain,accuracy\n5000,bio,0.3\n
unknown group|bad.csv:3: group 'math@1' is not in the metrics|step,group,accuracy\n5000,math@125000,0.3\n5000,math@1,0.3\n
short line|bad.csv:3: 2 fields, the header has 3|step,domain,accuracy\n5000,math,0.3\n125000,math\n
duplicate|bad.csv:4: second value for step 5000, domain 'math' (the first is on line 2)|step,domain,accuracy\n5000,math,0.3\n125000,math,0.3\n5000,math,0.5\n
unbalanced quote|bad.csv:2: unbalanced quote|step,domain,accuracy\n5000,"math,0.3\n
empty file|bad.csv:1: empty file|
infinite value|bad.csv:2: accuracy 'inf' is not a number|step,domain,accuracy\n5000,math,inf\n
CASES

printf 'step,domain,val_loss\n5000,math,2.1\n125000,math,x\n' > "$TMP/val.csv"
must_fail "validation-loss CSV: names its line" 1 "val.csv:3: val_loss 'x' is not a number" \
  "'$R' '$M' --accuracy '$good' --val-loss '$TMP/val.csv'"
must_fail "missing accuracy file" 1 "nope.csv: cannot open" "'$R' '$M' --accuracy '$TMP/nope.csv'"
check_sh "quoted fields, CRLF, blank lines, comments and extra columns are accepted" \
  "printf 'step,\"domain\",note,accuracy\r\n\r\n# c\r\n5000,\"math\",\"a, b\",0.3\r\n125000,math,x,0.4\r\n245000,math,,0.5\r\n' > '$TMP/ok.csv' &&
   '$R' '$M' --accuracy '$TMP/ok.csv' --json | grep -q '\"key\":\"math\",\"metric\":\"distance\",\"n\":3,'"

# metric records: strict on required fields, located errors
mk() { # name, python expression editing record r (a metric) -> stream $TMP/$name.mpk
  $PY - "$TMP/g/metrics.jsonl" "$2" > "$TMP/$1.jsonl" <<'PY'
import json, sys
done = False
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["type"] == "metric" and not done:
        exec(sys.argv[2])
        done = True
    print(json.dumps(r))
PY
  "$BIN/dump" --from-json -o "$TMP/$1.mpk" "$TMP/$1.jsonl"
}
mk noloss 'del r["loss_mean"]'
must_fail "metric without loss_mean" 1 "metric record lacks required field 'loss_mean' (" "'$R' '$TMP/noloss.mpk'"
must_fail "metric without loss_mean: error names the record" 1 "noloss.mpk: record" "'$R' '$TMP/noloss.mpk'"
mk strstep 'r["step"] = "5k"'
must_fail "metric with a string step" 1 "metric field 'step' is a string, expected an integer" "'$R' '$TMP/strstep.mpk'"
mk badscope 'r["scope"] = "team"'
must_fail "metric with an unknown scope" 1 "metric field 'scope' is 'team'" "'$R' '$TMP/badscope.mpk'"
mk nodist 'del r["distance_mean"]'
must_fail "metric without distance_mean" 1 "lacks required field 'distance_mean'" "'$R' '$TMP/nodist.mpk'"
mk nildist 'r["distance_mean"] = None; r["distance_se"] = None'
check_sh "nil distance (a group with one sample) is shown as '-', not an error" \
  "'$R' '$TMP/nildist.mpk' | grep -E '^group +math@125000 +5000 ' | grep -qE ' 40 +780 +- +-'"
check_sh "duplicate metric record: error names both records" \
  "(cat '$TMP/g/metrics.jsonl'; grep -m1 '\"metric\"' '$TMP/g/metrics.jsonl') | '$BIN/dump' --from-json > '$TMP/dup.mpk' &&
   ! '$R' '$TMP/dup.mpk' 2> '$TMP/dup.err' && [ \$(wc -l < '$TMP/dup.err') -eq 1 ] &&
   grep -q 'second metric record for group .math@125000. at step 5000 (.*dup.mpk: record' '$TMP/dup.err' &&
   grep -q 'the first is .*dup.mpk: record' '$TMP/dup.err'"
grep -v '"metric"' "$TMP/g/metrics.jsonl" | "$BIN/dump" --from-json > "$TMP/nometric.mpk"
must_fail "no metric records" 1 "no metric records in the input" "'$R' '$TMP/nometric.mpk'"
printf 'step,domain,accuracy\n5000,math,0.3\n' > "$TMP/junk.bin"
must_fail "not a record stream" 1 "junk.bin" "'$R' '$TMP/junk.bin'"

# usage errors
must_fail "usage: --val-loss without --accuracy" 2 "--val-loss goes with --accuracy" "'$R' '$M' --val-loss '$good'"
must_fail "usage: --from-step without --accuracy" 2 "--from-step goes with --accuracy" "'$R' '$M' --from-step 5"
must_fail "usage: negative --from-step" 2 "from-step" "'$R' '$M' --accuracy '$good' --from-step -5"
must_fail "usage: unknown option" 2 "--colour" "'$R' '$M' --colour"
printf 'x' > "$TMP/afile"
must_fail "--csv onto a file" 1 "afile: exists and is not a directory" "'$R' '$M' --csv '$TMP/afile'"
