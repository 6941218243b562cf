#!/usr/bin/env bash
# study_options.sh: scripts/grokmon-study around the data and the phases. --data naming a token
# file (JSON Lines, .npy, raw tokens) instead of a data spec is refused at once: exit 2, one
# line with a hint, no study folder. Checkpoint names with a decimal token count
# (step1500-tokens0.0031B) are ordered by their step. --accuracy-column reaches report.
# --wide-pairs and --no-wide reach both metric-reduce runs: the records of metric-reduce by
# hand, phase 2 redone (phase 1 not) when they change.
. "$(dirname "$0")/../lib.sh"
STUDY=$ROOT/scripts/grokmon-study
D=$BIN/dump

# Three checkpoints whose names sort by name in another order than by step.
names=(step500-tokens0.001B step1500-tokens0.0031B step10000-tokens0.02B)
mkdir -p "$TMP/ck" "$TMP/data"
for i in 0 1 2; do
  "$TOOLS/gen-checkpoint" --preset tiny --std 0.02 --router-std 0.3 --seed 5 "$TMP/ck/${names[$i]}"
  "$TOOLS/gen-series" --position $i --length 3 --set-size 2 "$TMP/ck/${names[$i]}"
done
"$TOOLS/gen-series" --tokens 0 --samples 24 --seq-len 32 --vocab 256 "$TMP/data/a.u16"
"$TOOLS/gen-series" --tokens 1 --samples 24 --seq-len 32 --vocab 256 "$TMP/data/b.u16"
cat >"$TMP/data/data.conf" <<'EOF'
# two domains
--domain math --format raw --dtype u16 --seq-len 32 a.u16
--domain code --format raw --dtype u16 --seq-len 32 --range 0:20 b.u16
EOF
run() { # OUT [options...]: the study into $TMP/OUT, stdout OUT.out, stderr OUT.err
  local o=$1; shift
  (cd "$TMP" && "$STUDY" --bin "$BIN" --checkpoints 'ck/step*' --data data/data.conf --out "$o" "$@" \
     >"$o.out" 2>"$o.err")
}

# --data with token data: refused before anything is written
printf '{"tokens": [1, 2, 3]}\n{"tokens": [4, 5]}\n' >"$TMP/data/train.jsonl"
printf '\n# a comment first\n  [[1, 2, 3]]\n' >"$TMP/data/train.json"
$PY -c "import numpy; numpy.save('$TMP/data/train.npy', numpy.arange(64, dtype=numpy.uint16).reshape(2, 32))"
cp "$TMP/data/a.u16" "$TMP/data/train.bin"
for f in train.jsonl:"JSON Lines" train.json:"JSON Lines" train.npy:.npy train.bin:"raw tokens"; do
  file=${f%%:*} kind=${f#*:}
  must_fail "--data $file: token data ($kind), refused at once" 2 \
    "--data data/$file is token data ($kind), not a data spec; give reader arguments, e.g. --data '--domain math data/$file', or a file of such lines (docs/study.md)" \
    "cd '$TMP' && '$STUDY' --bin '$BIN' --checkpoints 'ck/step*' --data data/$file --out bad-$file"
  no_file "--data $file: no study folder made" "$TMP/bad-$file"
done
must_fail "token data among several --data: refused" 2 "--data data/train.jsonl is token data" \
  "cd '$TMP' && '$STUDY' --bin '$BIN' --checkpoints 'ck/step*' --data data/data.conf --data data/train.jsonl --out bad-two"
no_file "token data among several --data: no study folder made" "$TMP/bad-two"
check "the JSON Lines file is fine inside a data spec" bash -c "cd '$TMP/data' && '$STUDY' --bin '$BIN' \
  --checkpoints '$TMP/ck/step500*' --data '--domain math train.jsonl' --out '$TMP/jl' --paths-only 2>'$TMP/jl.err'"

# The accuracy CSV with other column names.
printf 'global_step,task,acc\n500,math,0.1\n1500,math,0.4\n10000,math,0.8\n500,code,0.2\n1500,code,0.3\n10000,code,0.7\n' \
  >"$TMP/acc-named.csv"
printf 'step,domain,accuracy\n500,math,0.1\n1500,math,0.4\n10000,math,0.8\n500,code,0.2\n1500,code,0.3\n10000,code,0.7\n' \
  >"$TMP/acc.csv"
check "a study with decimal token counts and --accuracy-column" \
  run s1 --accuracy acc-named.csv --accuracy-column step=global_step,domain=task,accuracy=acc
check "phase 1 ran the 3 checkpoints" bash -c "[ \$(ls '$TMP/s1/paths' | wc -l) -eq 3 ]"
check_sh "metrics.mpk holds the checkpoints by step: 500, 1500, 10000" \
  "[ \"\$($D '$TMP/s1/metrics.mpk' | grep '\"type\":\"metric\"' | grep -o '\"step\":[0-9]*' | uniq | tr '\n' ' ')\" = '\"step\":500 \"step\":1500 \"step\":10000 ' ]"
"$BIN/report" "$TMP/s1/metrics.mpk" --accuracy "$TMP/acc.csv" -o "$TMP/hand-summary.txt"
same_file "--accuracy-column: the summary report gives with the usual names" "$TMP/hand-summary.txt" "$TMP/s1/summary.txt"
check "the summary correlates with accuracy" grep -qi pearson "$TMP/s1.out"

cp -r "$TMP/s1" "$TMP/s2"
if run s2 --accuracy acc-named.csv --accuracy-column top1; then
  not_ok "a column the accuracy CSV lacks: exit 1"
elif grep -q "report failed: report: error: .*acc-named.csv:1: missing column 'step' (the header has: global_step, task, acc;" "$TMP/s2.err"; then
  ok "a column the accuracy CSV lacks: report's error, naming the header's columns"
else not_ok "a column the accuracy CSV lacks: report's error" "$(cat "$TMP/s2.err")"; fi

# --wide-pairs on the finished study: phase 2 again, phase 1 not; metric-reduce's records
check "--wide-pairs 20 on a finished study" run s1 --wide-pairs 20
check "--wide-pairs: phase 1 not redone" grep -q 'phase 1: all 3 checkpoints done before' "$TMP/s1.err"
check "--wide-pairs: every checkpoint's metrics redone" grep -q 'pairwise metrics for 3 of 3 checkpoints' "$TMP/s1.err"
paths=()
for n in "${names[@]}"; do paths+=("$TMP/s1/paths/$n.mpk.lz4"); done
"$BIN/metric-reduce" --wide-pairs 20 "${paths[@]}" 2>/dev/null | $D | grep '"type":"metric"' >"$TMP/hand-wide.jsonl"
check "--wide-pairs: the metric records of metric-reduce --wide-pairs 20" \
  bash -c "$D '$TMP/s1/metrics.mpk' | grep '\"type\":\"metric\"' | cmp - '$TMP/hand-wide.jsonl'"
check_sh "--wide-pairs: every all and cross row samples 20 pairs" \
  "[ \$(grep -E '\"scope\":\"(all|cross)\"' '$TMP/hand-wide.jsonl' | grep -c '\"pairs\":20,\"sampled\":true') -eq 6 ]"
check_sh "--wide-pairs reached the membership run too (its header)" \
  "$D '$TMP/s1/members.mpk' | head -1 | grep -q '\"wide-pairs\":20'"

check "--no-wide" run s1 --no-wide
check "--no-wide: metrics redone" grep -q 'pairwise metrics for 3 of 3 checkpoints' "$TMP/s1.err"
check_sh "--no-wide: no all or cross row" \
  "$D '$TMP/s1/metrics.mpk' | grep -q '\"scope\":\"group\"' && ! $D '$TMP/s1/metrics.mpk' | grep -qE '\"scope\":\"(all|cross)\"'"
check "--no-wide: the report still made" test -s "$TMP/s1/report.html"

must_fail "--wide-pairs with --no-wide" 2 "--wide-pairs and --no-wide exclude each other" \
  "cd '$TMP' && '$STUDY' --bin '$BIN' --checkpoints 'ck/step*' --data data/data.conf --out u1 --wide-pairs 5 --no-wide"
must_fail "--wide-pairs 0" 2 "--wide-pairs wants a positive integer, not '0'" \
  "cd '$TMP' && '$STUDY' --bin '$BIN' --checkpoints 'ck/step*' --data data/data.conf --out u1 --wide-pairs 0"
must_fail "--accuracy-column without --accuracy" 2 "--accuracy-column goes with --accuracy" \
  "cd '$TMP' && '$STUDY' --bin '$BIN' --checkpoints 'ck/step*' --data data/data.conf --out u1 --accuracy-column acc"
no_file "usage errors make no study folder" "$TMP/u1"
