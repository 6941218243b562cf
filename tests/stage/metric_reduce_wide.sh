#!/usr/bin/env bash
# metric_reduce_wide.sh: metric-reduce's wide rows (scopes all and cross) apart from the
# others, on generated pathway records of 5 checkpoints and 3 domains of 40 samples:
# --no-wide writes no all or cross row and leaves every group and domain row as the exact
# run has it; --wide-pairs N samples N pairs for each all and cross row, with a standard
# error, the sampled mean within 4 standard errors of the exact one (and the group and domain
# rows still exact, or as --pairs samples them); N at least the pairs there are gives the
# exact values; the same records whatever the threads, and per checkpoint (--membership) as
# in one run; usage errors.
source "$(dirname "$0")/../lib.sh"
MR=$BIN/metric-reduce DUMP=$BIN/dump
DATA="$PY $ROOT/tests/reference/gen_metric_data.py"

$DATA pathways --layers 4 --experts 16 --n 40 --ckpts 5 --domains code,math,qa --seed 8 \
  --out-dir "$TMP/pw" || echo "not ok - generating pathway records failed"
for f in "$TMP"/pw/*.jsonl; do $DUMP --from-json "$f" >"${f%.jsonl}.mpk"; done
P=$(ls "$TMP"/pw/step*.mpk | tr "\n" " ")
records() { "$MR" "$@" $P | $DUMP | tail -n +2; } # the records, without the header
records --threads 2 >"$TMP/exact.jsonl"
records --threads 2 --no-wide >"$TMP/nowide.jsonl"
records --threads 2 --wide-pairs 300 --seed 4 >"$TMP/wide.jsonl"
records --threads 1 --wide-pairs 300 --seed 4 >"$TMP/wide1.jsonl"
records --threads 2 --wide-pairs 300 --seed 5 >"$TMP/wide5.jsonl"
records --threads 2 --wide-pairs 100000 >"$TMP/widebig.jsonl"
records --threads 2 --pairs 200 --seed 4 >"$TMP/pairs.jsonl"
records --threads 2 --pairs 200 --wide-pairs 300 --seed 4 >"$TMP/pairswide.jsonl"

# split FILE: its metric records by scope into FILE.narrow (group, domain) and FILE.wide
split() {
  grep '"type":"metric"' "$1" | grep -E '"scope":"(group|domain)"' >"$1.narrow"
  grep '"type":"metric"' "$1" | grep -E '"scope":"(all|cross)"' >"$1.wide" || true
}
for f in exact nowide wide wide1 wide5 widebig pairs pairswide; do split "$TMP/$f.jsonl"; done
check "the exact run has all and cross rows (5 checkpoints x (1 + 3))" \
  bash -c "[ \$(wc -l <'$TMP/exact.jsonl.wide') -eq 20 ]"

check "--no-wide: no all or cross row" bash -c "[ ! -s '$TMP/nowide.jsonl.wide' ]"
same_file "--no-wide: the group and domain rows of the exact run" "$TMP/exact.jsonl.narrow" "$TMP/nowide.jsonl.narrow"
same_file "--no-wide: calibration and membership as the exact run" \
  <(grep -v '"type":"metric"' "$TMP/exact.jsonl") <(grep -v '"type":"metric"' "$TMP/nowide.jsonl")

same_file "--wide-pairs: the group and domain rows of the exact run" "$TMP/exact.jsonl.narrow" "$TMP/wide.jsonl.narrow"
check "--wide-pairs 300: every all and cross row samples 300 pairs, its mean within 4 SE of the exact" $PY -c "
import json
ex = {(r['checkpoint'], r['group']): r for r in map(json.loads, open('$TMP/exact.jsonl.wide'))}
rows = [json.loads(l) for l in open('$TMP/wide.jsonl.wide')]
assert len(rows) == len(ex) == 20, (len(rows), len(ex))
off = 0
for r in rows:
    e = ex[(r['checkpoint'], r['group'])]
    assert e['pairs'] > 300 and not e['sampled'], e   # 7140 (all) and 1600 (cross) pairs
    assert r['sampled'] and r['pairs'] == 300 and r['distance_se'] > 0, r
    z = abs(r['distance_mean'] - e['distance_mean']) / r['distance_se']
    assert z <= 4, (r, e['distance_mean'], z)
    off += r['distance_mean'] != e['distance_mean']
    assert all(abs(a - b) < 1.5 for a, b in zip(r['layer_distance'], e['layer_distance'])), r
    for k in ('n', 'c_mean', 's_mean', 'loss_mean', 'loss_ma', 'entropy_mean'):
        assert r[k] == e[k], (k, r, e)
assert off >= 15, off   # a sample, not the exact mean
"
same_file "--wide-pairs: the same records with 1 thread" "$TMP/wide.jsonl" "$TMP/wide1.jsonl"
check_sh "--wide-pairs: another seed draws other pairs" "! cmp -s '$TMP/wide.jsonl.wide' '$TMP/wide5.jsonl.wide'"
check "--wide-pairs beyond the pairs there are: the exact values" $PY -c "
import json
ex = [json.loads(l) for l in open('$TMP/exact.jsonl.wide')]
big = [json.loads(l) for l in open('$TMP/widebig.jsonl.wide')]
assert len(ex) == len(big) == 20
for e, r in zip(ex, big):
    assert not r['sampled'] and r['pairs'] == e['pairs'] and r['distance_se'] is None, r
    assert abs(r['distance_mean'] - e['distance_mean']) < 1e-9, (r, e)
    assert all(abs(a - b) < 1e-9 for a, b in zip(r['layer_distance'], e['layer_distance'])), r
"
same_file "--pairs with --wide-pairs: the group and domain rows as --pairs alone samples them" \
  "$TMP/pairs.jsonl.narrow" "$TMP/pairswide.jsonl.narrow"
same_file "--pairs with --wide-pairs: the all and cross rows as --wide-pairs alone samples them" \
  "$TMP/wide.jsonl.wide" "$TMP/pairswide.jsonl.wide"
check "--pairs alone: the all and cross rows sample --pairs pairs" \
  bash -c "[ \$(grep -c '\"pairs\":200,\"sampled\":true' '$TMP/pairs.jsonl.wide') -eq 20 ]"

# per checkpoint with a membership file, as the study driver runs it: the same records
"$MR" --membership-only -o "$TMP/members.mpk" $P
for f in $P; do "$MR" --membership "$TMP/members.mpk" --wide-pairs 300 --seed 4 "$f"; done \
  | $DUMP | grep '"type":"metric"' | sort >"$TMP/per.jsonl"
check_sh "--wide-pairs per checkpoint (--membership): the one-shot run's metric records" \
  "diff <(grep '\"type\":\"metric\"' '$TMP/wide.jsonl' | sort) '$TMP/per.jsonl'"
for f in $P; do "$MR" --membership "$TMP/members.mpk" --no-wide "$f"; done \
  | $DUMP | grep '"type":"metric"' | sort >"$TMP/per2.jsonl"
check_sh "--no-wide per checkpoint: the one-shot run's metric records" \
  "diff <(grep '\"type\":\"metric\"' '$TMP/nowide.jsonl' | sort) '$TMP/per2.jsonl'"
check_sh "the header records --wide-pairs" \
  "$MR --wide-pairs 300 $P | $DUMP | head -1 | grep -q '\"wide-pairs\":300'"

must_fail "--wide-pairs and --no-wide exclude each other" 2 "--wide-pairs and --no-wide exclude each other" \
  "'$MR' --wide-pairs 10 --no-wide -o '$TMP/out.mpk' $P"
must_fail "--wide-pairs must not be negative" 2 "--wide-pairs must be in [0," "'$MR' --wide-pairs -1 -o '$TMP/out.mpk' $P"
no_file "usage errors leave no output" "$TMP/out.mpk"
