#!/usr/bin/env bash
# report_accuracy_columns.sh: report --accuracy-column reads an accuracy CSV whose columns
# have other names, by domain and by group, to exactly the output the usual names give; a
# column the header lacks is one error line naming the header's columns (exit 1, no output
# left); a malformed --accuracy-column, or one without --accuracy, is a usage error (exit 2).
source "$(dirname "$0")/../lib.sh"
R=$BIN/report

$PY "$ROOT/tests/tools/gen_metrics.py" "$TMP/g" --seed 2
"$BIN/dump" --from-json -o "$TMP/m.mpk" "$TMP/g/metrics.jsonl"
M=$TMP/m.mpk

# The same tables with renamed (and reordered) columns, and an extra one.
$PY - "$TMP/g" <<'PY'
import csv, sys
d = sys.argv[1]
for src, key in (("acc.csv", "domain"), ("acc_group.csv", "group")):
    rows = list(csv.DictReader(open(d + "/" + src)))
    with open(d + "/renamed-" + src, "w") as f:
        f.write("acc,note,global_step,task\n")
        for r in rows:
            f.write("%s,x,%s,%s\n" % (r["accuracy"], r["step"], r[key]))
    with open(d + "/value-only-" + src, "w") as f:
        f.write("step,%s,top1\n" % key)
        for r in rows:
            f.write("%s,%s,%s\n" % (r["step"], r[key], r["accuracy"]))
PY

"$R" "$M" --accuracy "$TMP/g/acc.csv" --json -o "$TMP/domain.jsonl"
"$R" "$M" --accuracy "$TMP/g/acc_group.csv" --json -o "$TMP/group.jsonl"
check "the usual names give Table 1" grep -q '"table":"correlation"' "$TMP/domain.jsonl"
check "NAME: the accuracy column" "$R" "$M" --accuracy "$TMP/g/value-only-acc.csv" \
  --accuracy-column top1 --json -o "$TMP/a.jsonl"
same_file "NAME: the same output as the usual names" "$TMP/domain.jsonl" "$TMP/a.jsonl"
check "NAME by group" "$R" "$M" --accuracy "$TMP/g/value-only-acc_group.csv" \
  --accuracy-column top1 --json -o "$TMP/b.jsonl"
same_file "NAME by group: the same output" "$TMP/group.jsonl" "$TMP/b.jsonl"
check "ROLE=NAME: every column renamed, by domain" "$R" "$M" --accuracy "$TMP/g/renamed-acc.csv" \
  --accuracy-column step=global_step,domain=task,accuracy=acc --json -o "$TMP/c.jsonl"
same_file "ROLE=NAME by domain: the same output" "$TMP/domain.jsonl" "$TMP/c.jsonl"
check "ROLE=NAME: every column renamed, by group" "$R" "$M" --accuracy "$TMP/g/renamed-acc_group.csv" \
  --accuracy-column accuracy=ACC,group=task,step=global_step --json -o "$TMP/d.jsonl"
same_file "ROLE=NAME by group (any order, names case-insensitive): the same output" "$TMP/group.jsonl" "$TMP/d.jsonl"
check "ROLE=NAME: a role left out keeps its name" "$R" "$M" --accuracy "$TMP/g/value-only-acc.csv" \
  --accuracy-column accuracy=top1 --json -o "$TMP/e.jsonl"
same_file "ROLE=NAME partial: the same output" "$TMP/domain.jsonl" "$TMP/e.jsonl"

must_fail "renamed columns without --accuracy-column: the header's columns named" 1 \
  "renamed-acc.csv:1: missing column 'step' (the header has: acc, note, global_step, task; name the columns with --accuracy-column)" \
  "'$R' '$M' --accuracy '$TMP/g/renamed-acc.csv' -o '$TMP/out.txt' --html '$TMP/out.html'"
no_file "a missing column leaves no output" "$TMP/out.txt" "$TMP/out.html"
must_fail "a named column the header lacks" 1 "acc.csv:1: missing column 'top1' (the header has: step, domain, accuracy;" \
  "'$R' '$M' --accuracy '$TMP/g/acc.csv' --accuracy-column top1 -o '$TMP/out.txt'"
must_fail "group= on a CSV by domain" 1 "acc.csv:1: missing column 'task' (the header has: step, domain, accuracy;" \
  "'$R' '$M' --accuracy '$TMP/g/acc.csv' --accuracy-column group=task -o '$TMP/out.txt'"
no_file "no output left" "$TMP/out.txt"

while IFS='|' read -r name spec frag; do
  must_fail "usage: $name" 2 "$frag" "'$R' '$M' --accuracy '$TMP/g/acc.csv' --accuracy-column '$spec' -o '$TMP/out.txt'"
done <<'CASES'
unknown role|key=task|unknown role 'key' (step, domain, group or accuracy)
domain and group|domain=a,group=b|domain and group exclude each other
a role twice|step=a,step=b|step given twice
an empty name|accuracy=|'accuracy=' is not ROLE=NAME
two plain names|a,b|expected NAME (the accuracy column) or ROLE=NAME pairs
empty|| expected NAME (the accuracy column)
CASES
must_fail "usage: --accuracy-column without --accuracy" 2 "--accuracy-column goes with --accuracy" \
  "'$R' '$M' --accuracy-column acc -o '$TMP/out.txt'"
no_file "usage errors leave no output" "$TMP/out.txt"
