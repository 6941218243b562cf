#!/usr/bin/env bash
# test_groups.sh: the test-groups stage. t# on hand-made items; test groups and
# the Hungarian pairing against the independent reference (tests/reference/
# test_groups_ref.py: numpy, scipy's linear_sum_assignment run per domain, or
# once over all with --across-domains) on random results and similarities,
# both shapes (more test than training groups, and fewer), a table with only
# within-domain rows; names of any length; the paired CSV read by report
# --accuracy; bad input: one line naming the file and line, exit 1, no -o file.
source "$(dirname "$0")/../lib.sh"
TG=$BIN/test-groups
REF=$ROOT/tests/reference/test_groups_ref.py

# ---- t# by hand: 8 checkpoints (steps 10..80); rule: correct at t#, then mean > 0.8, <= 1 error
cat >"$TMP/hand.csv" <<'EOF'
# item: outcomes at steps 10..80 -> t#
step,domain,item,correct
EOF
hand() { # ITEM OUTCOMES: one row per step
  local i=0 c
  for c in $2; do i=$((i + 1)); echo "$((i * 10)),d,$1,$c"; done >>"$TMP/hand.csv"
}
hand always    "1 1 1 1 1 1 1 1"  # 10: correct throughout
hand late      "0 0 0 0 0 1 1 1"  # 60
hand one-slip  "0 1 1 0 1 1 1 1"  # 20: one error after, 6/7 > 0.8
hand two-slips "0 1 0 1 1 0 1 1"  # 70: from 20, two errors; from 40, 4/5 = 0.8 is not above; from 50, 3/4
hand last      "0 0 0 0 0 0 0 1"  # 80
hand never     "1 0 1 0 1 0 1 0"  # never: from 70 on, 1/2
hand slip-last "1 1 1 1 1 1 1 0"  # 10: the one error allowed may be the last checkpoint
"$TG" "$TMP/hand.csv" -o "$TMP/hand.out" 2>"$TMP/hand.err" || not_ok "hand: runs" "$(cat "$TMP/hand.err")"
check_sh "hand: t# of each item as worked out (groups 10 (2 items), 20, 60, 70, 80, never)" \
  "[ \"\$(awk -F, 'NR > 1 && \$1 == 10 {print \$3 \":\" \$4}' '$TMP/hand.out' | tr '\n' ' ')\" = \
     'test:d@10:2 test:d@20:1 test:d@60:1 test:d@70:1 test:d@80:1 test:d@never:1 ' ]"
check_sh "hand: a group's accuracy per step is its items' outcomes (test:d@70, test:d@10)" \
  "[ \"\$(awk -F, '\$3 == \"test:d@70\" {printf \"%s \", \$5}' '$TMP/hand.out')\" = '0 1 0 1 1 0 1 1 ' ] &&
   [ \"\$(awk -F, '\$3 == \"test:d@10\" {printf \"%s \", \$5}' '$TMP/hand.out')\" = '1 1 1 1 1 1 1 0.5 ' ]"
check_sh "hand: the reference agrees" "$PY '$REF' groups '$TMP/hand.csv' >'$TMP/hand.ref' && $PY '$REF' compare '$TMP/hand.out' '$TMP/hand.ref'"
"$TG" --min-accuracy 0.5 --max-errors 2 "$TMP/hand.csv" -o "$TMP/hand2.out"
check_sh "hand: --min-accuracy 0.5 --max-errors 2 moves two-slips to 20, as the reference does" \
  "grep -q '^10,d,test:d@20,2,' '$TMP/hand2.out' && $PY '$REF' groups '$TMP/hand.csv' 0.5 2 >'$TMP/hand2.ref' && $PY '$REF' compare '$TMP/hand2.out' '$TMP/hand2.ref'"

# ---- random results in the steps and domains of gen_metrics.py's study, rows shuffled
$PY - "$TMP" <<'EOF'
import csv, random, sys
tmp = sys.argv[1]
r = random.Random(5)
steps = [5000, 125000, 245000, 365000, 485000, 605000, 725000, 845000, 965000, 1100000]
rows = []
for dom in ("math", "code"):
    for i in range(150):
        rise = r.randrange(len(steps) + 3)       # where the item starts to be right
        o = [int(k >= rise) for k in range(len(steps))]
        for k in range(len(steps)):              # noise: some flips
            if r.random() < 0.08:
                o[k] ^= 1
        rows += [(s, dom, "%s-%d" % (dom, i), o[k]) for k, s in enumerate(steps)]
r.shuffle(rows)
with open(tmp + "/results.csv", "w") as f:
    f.write("step,domain,item,correct\n")
    f.writelines("%d,%s,%s,%d\n" % row for row in rows)
EOF
check "random: test-groups runs" "$TG" "$TMP/results.csv" -o "$TMP/groups.csv"
check_sh "random: test groups and accuracies as the reference's" \
  "$PY '$REF' groups '$TMP/results.csv' >'$TMP/groups.ref' && $PY '$REF' compare '$TMP/groups.csv' '$TMP/groups.ref'"

# similarities: the training groups of gen_metrics.py against every test group found
$PY "$ROOT/tests/tools/gen_metrics.py" "$TMP/g" --seed 3
"$BIN/dump" --from-json -o "$TMP/m.mpk" "$TMP/g/metrics.jsonl"
sims() { # OUT SEED TRAIN-GROUP...
  $PY - "$TMP/groups.csv" "$@" <<'EOF'
import csv, random, sys
test = list(dict.fromkeys(r["test_group"] for r in csv.DictReader(open(sys.argv[1]))))
out, seed, train = sys.argv[2], int(sys.argv[3]), sys.argv[4:]
r = random.Random(seed)
with open(out, "w") as f:
    f.write("train_group,test_group,similarity\n")
    for t in train:
        for s in test:
            f.write("%s,%s,%r\n" % (t, s, r.random()))
EOF
}
groups8="math@125000 math@365000 math@605000 math@never code@125000 code@365000 code@605000 code@never"
sims "$TMP/sim.csv" 1 $groups8
check "pairing: runs (8 training groups, more test groups)" "$TG" --similarity "$TMP/sim.csv" "$TMP/results.csv" -o "$TMP/paired.csv"
check_sh "pairing: the same pairs, accuracies and similarities as scipy's linear_sum_assignment" \
  "$PY '$REF' pair '$TMP/results.csv' '$TMP/sim.csv' >'$TMP/paired.ref' 2>/dev/null && $PY '$REF' compare '$TMP/paired.csv' '$TMP/paired.ref'"
check_sh "pairing: one to one (8 distinct test groups)" \
  "[ \$(awk -F, 'NR > 1 {print \$4}' '$TMP/paired.csv' | sort -u | wc -l) -eq 8 ]"
for seed in 2 3 4; do
  sims "$TMP/sim$seed.csv" $seed math@125000 math@365000 code@125000
  "$TG" --similarity "$TMP/sim$seed.csv" "$TMP/results.csv" -o "$TMP/p$seed.csv" 2>/dev/null
  check_sh "pairing (3 training groups, seed $seed): as scipy's" \
    "$PY '$REF' pair '$TMP/results.csv' '$TMP/sim$seed.csv' >'$TMP/p$seed.ref' 2>/dev/null && $PY '$REF' compare '$TMP/p$seed.csv' '$TMP/p$seed.ref'"
done
# cross.py PAIRED-CSV: exit 0 when some row pairs a training group with a test group of another domain
cat >"$TMP/cross.py" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
sys.exit(not any(r["test_group"].rsplit("@", 1)[0] != "test:" + r["group"].rsplit("@", 1)[0] for r in rows))
EOF
check_sh "pairing: within each domain (no math group paired with a code test group)" "! $PY '$TMP/cross.py' '$TMP/paired.csv'"
# only the rows within a domain: the same pairing
$PY - "$TMP/sim.csv" "$TMP/groups.csv" "$TMP/sim-within.csv" <<'EOF'
import csv, sys
dom = {r["test_group"]: r["domain"] for r in csv.DictReader(open(sys.argv[2]))}
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["train_group"].rsplit("@", 1)[0] == dom[r["test_group"]]]
with open(sys.argv[3], "w") as f:
    f.write("train_group,test_group,similarity\n")
    f.writelines("%s,%s,%s\n" % (r["train_group"], r["test_group"], r["similarity"]) for r in rows)
EOF
check_sh "pairing: a table with only within-domain rows gives the same pairs" \
  "$TG --similarity '$TMP/sim-within.csv' '$TMP/results.csv' | cmp - '$TMP/paired.csv'"
# --across-domains: one assignment over all groups (the behaviour before issue 16)
check "--across-domains: runs" "$TG" --across-domains --similarity "$TMP/sim.csv" "$TMP/results.csv" -o "$TMP/across.csv"
check_sh "--across-domains: as scipy's linear_sum_assignment over all groups" \
  "$PY '$REF' pair-across '$TMP/results.csv' '$TMP/sim.csv' >'$TMP/across.ref' 2>/dev/null && $PY '$REF' compare '$TMP/across.csv' '$TMP/across.ref'"
check_sh "--across-domains: some training group is paired with another domain's test group" \
  "$PY '$TMP/cross.py' '$TMP/across.csv'"
must_fail "--across-domains on a table with only within-domain rows: a missing similarity" 1 \
  "sim-within.csv: no similarity for math@125000 and test:code@" \
  "$TG --across-domains --similarity '$TMP/sim-within.csv' '$TMP/results.csv' -o '$TMP/x.csv'"
no_file "--across-domains, a missing similarity: no output file" "$TMP/x.csv"
must_fail "--across-domains without --similarity is a usage error" 2 "--across-domains needs --similarity" \
  "$TG --across-domains '$TMP/results.csv'"

# fewer test groups than training groups: keep two test groups only
$PY - "$TMP/sim.csv" "$TMP/sim-few.csv" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
keep = list(dict.fromkeys(r["test_group"] for r in rows))[:2]
with open(sys.argv[2], "w") as f:
    f.write("train_group,test_group,similarity\n")
    f.writelines("%s,%s,%s\n" % (r["train_group"], r["test_group"], r["similarity"]) for r in rows if r["test_group"] in keep)
EOF
"$TG" --similarity "$TMP/sim-few.csv" "$TMP/results.csv" -o "$TMP/few.csv" 2>"$TMP/few.err"
check_sh "pairing (8 training groups, 2 test groups of one domain): as scipy's" \
  "$PY '$REF' pair '$TMP/results.csv' '$TMP/sim-few.csv' >'$TMP/few.ref' 2>/dev/null && $PY '$REF' compare '$TMP/few.csv' '$TMP/few.ref'"
check_sh "pairing: warns that 6 training groups are left unpaired" \
  "grep -q '^test-groups: warning: 8 training groups, 2 test groups: 6 training group(s) left unpaired$' '$TMP/few.err'"

# ---- names of any length, with commas and quotes: written whole, quoted
$PY - "$TMP/long.csv" "$TMP/longsim.csv" <<'EOF'
import sys
dom = 'd,"' + "x" * 5000
q = lambda s: '"' + s.replace('"', '""') + '"'
with open(sys.argv[1], "w") as f:
    f.write("step,domain,item,correct\n")
    for step in (1, 2):
        f.write("%d,%s,a,1\n%d,%s,b,%d\n" % (step, q(dom), step, q(dom), step - 1))
with open(sys.argv[2], "w") as f:
    f.write("train_group,test_group,similarity\n")
    for g in ("1", "2"):
        for t in ("1", "2"):
            f.write("%s,%s,0.%d\n" % (q(dom + "@" + g), q("test:" + dom + "@" + t), len(g + t)))
EOF
cat >"$TMP/long-check.py" <<'EOF'
import csv, sys
dom = 'd,"' + "x" * 5000
rows = list(csv.DictReader(sys.stdin))
assert len(rows) == 4 and all(r["domain"] == dom for r in rows), len(rows)
assert {r["test_group"] for r in rows} == {"test:" + dom + "@1", "test:" + dom + "@2"}, "names cut"
EOF
check_sh "a 5000-byte domain name with a comma and a quote: the groups CSV holds it whole" \
  "$TG '$TMP/long.csv' | $PY '$TMP/long-check.py'"
check_sh "a 5000-byte group name: paired and written whole, as the reference" \
  "$TG --similarity '$TMP/longsim.csv' '$TMP/long.csv' -o '$TMP/long.out' &&
   $PY '$REF' pair '$TMP/long.csv' '$TMP/longsim.csv' >'$TMP/long.ref' 2>/dev/null && $PY '$REF' compare '$TMP/long.out' '$TMP/long.ref'"

# ---- report reads the paired accuracy by group
check "report --accuracy reads the paired CSV" "$BIN/report" "$TMP/m.mpk" --accuracy "$TMP/paired.csv" -o "$TMP/report.txt"
check_sh "report: Table 1 has a row per paired training group, naming its test group" \
  "[ \$(grep -cE '^(math|code)@[0-9a-z]+ +[0-9]+ [0-9-]+ +test:(math|code)@[0-9a-z]+ ' '$TMP/report.txt') -eq 8 ]"
check "report --html: the page names the paired test groups" bash -c \
  "'$BIN/report' '$TMP/m.mpk' --accuracy '$TMP/paired.csv' --html '$TMP/paired.html' -o /dev/null &&
   grep -q '<th class=\"l\" rowspan=\"2\">paired test group</th>' '$TMP/paired.html' &&
   [ \$(grep -o '<td class=\"l\">test:[a-z]*@[0-9a-z]*</td>' '$TMP/paired.html' | wc -l) -eq 8 ]"

# ---- the --help example runs
cp "$TMP/m.mpk" "$TMP/metrics.mpk"
check "--help example" bash -c "cd '$TMP' && $TG --similarity sim.csv results.csv -o acc.csv &&
  $BIN/report metrics.mpk --accuracy acc.csv --html report.html >/dev/null"

# ---- bad input: one line, exit 1, no output file
bad() { # NAME FRAGMENT CONTENT [SIM-CONTENT]
  printf "$3" >"$TMP/bad.csv"
  local sim=()
  if [ $# -ge 4 ]; then printf "$4" >"$TMP/badsim.csv"; sim=(--similarity "$TMP/badsim.csv"); fi
  must_fail "bad input: $1" 1 "$2" "$TG ${sim[*]} '$TMP/bad.csv' -o '$TMP/bad.out'"
  no_file "bad input: $1: no output file" "$TMP/bad.out"
}
ok3='step,domain,item,correct\n1,d,a,1\n2,d,a,1\n1,d,b,0\n2,d,b,1\n'
bad "empty file" "bad.csv:1: empty file" ''
bad "missing column" "bad.csv:1: missing column 'correct'" 'step,domain,item\n1,d,a\n'
bad "correct not 0 or 1" "bad.csv:3: correct '0.5' must be 0 or 1" 'step,domain,item,correct\n1,d,a,1\n2,d,a,0.5\n'
bad "non-numeric step" "bad.csv:2: step 'x' is not a non-negative integer" 'step,domain,item,correct\nx,d,a,1\n'
bad "a missing result" "item 'b' (domain d) has no result at step 2" 'step,domain,item,correct\n1,d,a,1\n2,d,a,1\n1,d,b,0\n'
bad "a repeated result" "bad.csv:4: second result for item 'a' (domain d) at step 1 (the first is on line 2)" 'step,domain,item,correct\n1,d,a,1\n2,d,a,1\n1,d,a,0\n'
bad "short row" "bad.csv:3: 3 fields, the header has 4" 'step,domain,item,correct\n1,d,a,1\n2,d,a\n'
bad "unknown test group" "badsim.csv:2: test group 'test:d@9' is not in the results" "$ok3" 'train_group,test_group,similarity\ng,test:d@9,0.5\n'
bad "a missing similarity" "badsim.csv: no similarity for d@h and test:d@2 (every pair of groups of one domain" "$ok3" 'train_group,test_group,similarity\nd@g,test:d@1,0.5\nd@g,test:d@2,0.1\nd@h,test:d@1,0.3\n'
bad "no training group of a test group's domain" "badsim.csv: no training group shares a domain with a test group" "$ok3" 'train_group,test_group,similarity\ng,test:d@1,0.5\n'
bad "a repeated similarity" "badsim.csv:3: second similarity for g and test:d@1 (the first is on line 2)" "$ok3" 'train_group,test_group,similarity\ng,test:d@1,0.5\ng,test:d@1,0.1\n'
bad "non-numeric similarity" "badsim.csv:2: similarity 'high' is not a number" "$ok3" 'train_group,test_group,similarity\ng,test:d@1,high\n'
must_fail "no results file is a usage error" 2 "expected one RESULTS.csv" "$TG"
must_fail "an out-of-range --min-accuracy is a usage error" 2 "min-accuracy" "$TG --min-accuracy 2 '$TMP/hand.csv'"
