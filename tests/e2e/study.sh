# study.sh: scripts/grokmon-study end to end on tiny generated checkpoints, 2 jobs: the same
# records as running every stage by hand (paths, groups, metrics, report); a re-run redoes
# nothing; a corrupted checkpoint is named as failed with its error while the others finish,
# and a re-run after the fix completes to the same outputs; usage and data-spec errors.
. "$(dirname "$0")/../lib.sh"
STUDY=$ROOT/scripts/grokmon-study
D=$BIN/dump

# Four checkpoints of a tiny story series and two domains of samples.
mkdir -p "$TMP/ck" "$TMP/data"
for i in 0 1 2 3; do
  s=$((1000 * (i + 1)))
  "$TOOLS/gen-checkpoint" --preset tiny --std 0.02 --router-std 0.3 --seed 5 "$TMP/ck/step$s-tokens4B"
  "$TOOLS/gen-series" --position $i --length 4 --set-size 2 "$TMP/ck/step$s-tokens4B"
done
"$TOOLS/gen-series" --tokens 0 --samples 24 --seq-len 32 --vocab 256 "$TMP/data/a.u16"
"$TOOLS/gen-series" --tokens 1 --samples 24 --seq-len 32 --vocab 256 "$TMP/data/b.u16"
cat >"$TMP/data/data.conf" <<'EOF'
# two domains
--domain math --format raw --dtype u16 --seq-len 32 a.u16

--domain code --format raw --dtype u16 --seq-len 32 --range 0:20 b.u16
EOF
names=(step1000-tokens4B step2000-tokens4B step3000-tokens4B step4000-tokens4B)

check "driver: 4 checkpoints, 2 jobs" \
  bash -c "cd '$TMP' && '$STUDY' --bin '$BIN' --checkpoints 'ck/step*' --data data/data.conf --out s1 --jobs 2 >s1.out 2>s1.err"
check "driver stderr shows progress" grep -q '\[4/4 done\] .* ETA' "$TMP/s1.err"

# By hand, the same stages: the readers, then per checkpoint trace | encode, then the reduce.
mkdir -p "$TMP/hand/paths"
(cd "$TMP/data" && $BIN/reader --domain math --format raw --dtype u16 --seq-len 32 a.u16 -z -o "$TMP/hand/r0.lz4" &&
  $BIN/reader --domain code --format raw --dtype u16 --seq-len 32 --range 0:20 b.u16 -z -o "$TMP/hand/r1.lz4")
cat "$TMP/hand/r0.lz4" "$TMP/hand/r1.lz4" >"$TMP/hand/samples.mpk.lz4"
same_file "samples: the readers' streams, concatenated" "$TMP/hand/samples.mpk.lz4" "$TMP/s1/samples.mpk.lz4"
for n in "${names[@]}"; do
  $BIN/router-trace --model "$TMP/ck/$n" --threads 1 "$TMP/hand/samples.mpk.lz4" \
    | $BIN/pathway-encode --model "$TMP/ck/$n" --threshold 0.7 --weights softmax -z -o "$TMP/hand/paths/$n.mpk.lz4"
  same_file "paths of $n: the same bytes as by hand" "$TMP/hand/paths/$n.mpk.lz4" "$TMP/s1/paths/$n.mpk.lz4"
done
check_sh "every checkpoint's paths hold all 44 samples" \
  "for n in ${names[*]}; do [ \$($D '$TMP/s1/paths/'\$n.mpk.lz4 | grep -c '\"type\":\"pathway\"') -eq 44 ] || exit 1; done"
check_sh "the checkpoint and its step are in every record" \
  "[ \$($D '$TMP/s1/paths/step3000-tokens4B.mpk.lz4' | grep '\"type\":\"pathway\"' | grep -c '\"checkpoint\":\"step3000-tokens4B\",\"step\":3000') -eq 44 ]"

# Stage headers record the files given (--membership FILE, the report's input), so the
# driver's outputs are compared with the hand-made ones after mapping s1/ to hand/.
same_records() { # NAME A B [FROM TO]: the dumps of A (FROM mapped to TO) and B are identical
  if cmp -s <($D "$2" | sed "s#${4:-$TMP/s1/}#${5:-$TMP/hand/}#g") <($D "$3"); then ok "$1"
  else not_ok "$1" "$2 and $3 hold other records"; fi
}
p=()
for n in "${names[@]}"; do p+=("$TMP/hand/paths/$n.mpk.lz4"); done
$BIN/metric-reduce --membership-only "${p[@]}" -o "$TMP/hand/members.mpk"
same_records "membership: the records made by hand" "$TMP/s1/members.mpk" "$TMP/hand/members.mpk"
mkdir -p "$TMP/hand/metrics"
for n in "${names[@]}"; do
  $BIN/metric-reduce --membership "$TMP/hand/members.mpk" --threads 1 "$TMP/hand/paths/$n.mpk.lz4" \
    -o "$TMP/hand/metrics/$n.mpk"
done
cat "$TMP/hand/members.mpk" "$TMP/hand/metrics/"*.mpk >"$TMP/hand/metrics.mpk"
same_records "metrics: membership + per-checkpoint metrics, as by hand" "$TMP/s1/metrics.mpk" "$TMP/hand/metrics.mpk"
# the two-phase reduce gives the records of the one-shot reduce (headers aside)
$BIN/metric-reduce "${p[@]}" -o "$TMP/hand/oneshot.mpk"
check "metrics: the same records as one-shot metric-reduce" \
  bash -c "cmp <($D '$TMP/hand/oneshot.mpk' | grep -v '\"type\":\"header\"') <($D '$TMP/s1/metrics.mpk' | grep -v '\"type\":\"header\"')"
check_sh "metric records for 4 checkpoints" \
  "[ \$($D '$TMP/s1/metrics.mpk' | grep '\"type\":\"metric\"' | grep -o '\"step\":[0-9]*' | sort -u | wc -l) -eq 4 ]"
$BIN/report "$TMP/hand/metrics.mpk" --html "$TMP/hand/report.html" --csv "$TMP/hand/csv" >"$TMP/hand/summary.txt"
same_file "summary on stdout: report's table" "$TMP/hand/summary.txt" "$TMP/s1.out"
check "report.html as by hand" bash -c "sed 's#$TMP/s1/#$TMP/hand/#g' '$TMP/s1/report.html' | cmp - '$TMP/hand/report.html'"
check "csv/ as by hand" diff -r "$TMP/hand/csv" "$TMP/s1/csv"
check "the summary names the groups" grep -q 'math@' "$TMP/s1.out"

# A re-run finds everything done and changes nothing.
find "$TMP/s1" -type f ! -path '*/logs/*' -exec md5sum {} + | sort >"$TMP/sums1"
touch -d '2001-01-01' "$TMP/s1/paths/"*.mpk.lz4 "$TMP/s1/metrics/"*.mpk
check "re-run" bash -c "cd '$TMP' && '$STUDY' --bin '$BIN' --checkpoints 'ck/step*' --data data/data.conf --out s1 --jobs 2 >s1b.out 2>s1b.err"
check "re-run: phase 1 all done before" grep -q 'phase 1: all 4 checkpoints done before' "$TMP/s1b.err"
check "re-run: no pairwise work redone" bash -c "! grep -q 'pairwise metrics for' '$TMP/s1b.err'"
check "re-run: no checkpoint output rewritten" \
  bash -c "[ -z \"\$(find '$TMP/s1/paths' '$TMP/s1/metrics' -newermt '2002-01-01' -type f)\" ]"
find "$TMP/s1" -type f ! -path '*/logs/*' -exec md5sum {} + | sort >"$TMP/sums1b"
same_file "re-run: every output the same" "$TMP/sums1" "$TMP/sums1b"
same_file "re-run: the same summary" "$TMP/s1.out" "$TMP/s1b.out"

# A corrupted checkpoint: named with its error; the others finish; no output for it.
cp "$TMP/ck/step3000-tokens4B/model.safetensors" "$TMP/good.safetensors"
head -c 5000 "$TMP/good.safetensors" >"$TMP/ck/step3000-tokens4B/model.safetensors"
bash -c "cd '$TMP' && '$STUDY' --bin '$BIN' --checkpoints 'ck/step*' --data data/data.conf --out s2 --jobs 2" \
  >"$TMP/s2.out" 2>"$TMP/s2.err"
rc=$?
if [ $rc -eq 1 ]; then ok "a failed checkpoint: exit 1"; else not_ok "a failed checkpoint: exit 1" "exit $rc"; fi
check "the failure names the checkpoint and the cause" \
  grep -q 'error: checkpoint step3000-tokens4B failed: router-trace: error: .*model.safetensors' "$TMP/s2.err"
check "only that checkpoint is reported failed" bash -c "[ \$(grep -c 'error: checkpoint .* failed' '$TMP/s2.err') -eq 1 ]"
check "the others finished" bash -c "ls '$TMP/s2/paths/'{step1000,step2000,step4000}-tokens4B.mpk.lz4"
for n in step1000-tokens4B step2000-tokens4B step4000-tokens4B; do
  same_file "the others' paths are complete: $n" "$TMP/s1/paths/$n.mpk.lz4" "$TMP/s2/paths/$n.mpk.lz4"
done
no_file "no output for the failed checkpoint" "$TMP/s2/paths/step3000-tokens4B.mpk.lz4"
check "no hidden leftover for it either" bash -c "[ -z \"\$(ls -A '$TMP/s2/paths' | grep step3000)\" ]"
no_file "phases 2 and 3 skipped" "$TMP/s2/metrics.mpk" "$TMP/s2/report.html"
check "nothing on stdout" bash -c "[ ! -s '$TMP/s2.out' ]"
cp "$TMP/good.safetensors" "$TMP/ck/step3000-tokens4B/model.safetensors"
check "after the fix, a re-run completes" \
  bash -c "cd '$TMP' && '$STUDY' --bin '$BIN' --checkpoints 'ck/step*' --data data/data.conf --out s2 --jobs 2 >s2b.out 2>s2b.err"
check "it ran only the failed checkpoint" grep -q 'phase 1: 4 checkpoints, 3 done before, 1 to run' "$TMP/s2b.err"
same_records "then the same metrics as an unbroken run" "$TMP/s2/metrics.mpk" "$TMP/s1/metrics.mpk" "$TMP/s2/" "$TMP/s1/"
same_file "and the same summary" "$TMP/s1.out" "$TMP/s2b.out"

# Data spec on the command line (one --data per reader run) gives the same samples.
check "--data given inline, twice" \
  bash -c "cd '$TMP/data' && '$STUDY' --bin '$BIN' --checkpoints '$TMP/ck/step1000*' --paths-only --out '$TMP/s3' \
           --data '--domain math --format raw --dtype u16 --seq-len 32 a.u16' \
           --data \"--domain code --format raw --dtype u16 --seq-len 32 --range '0:20' b.u16\" 2>'$TMP/s3.err'"
same_file "inline spec: the same samples as the config file" "$TMP/s1/samples.mpk.lz4" "$TMP/s3/samples.mpk.lz4"
check "--paths-only stops after phase 1" bash -c "[ -f '$TMP/s3/paths/step1000-tokens4B.mpk.lz4' ] && [ ! -e '$TMP/s3/members.mpk' ]"

# Errors.
must_fail "no --checkpoints: usage error" 2 "--checkpoints is required" "'$STUDY' --bin '$BIN' --data x --out '$TMP/e'"
must_fail "a glob that matches nothing" 2 "--checkpoints '$TMP/none*' matches no folder" \
  "'$STUDY' --bin '$BIN' --checkpoints '$TMP/none*' --data x --out '$TMP/e'"
must_fail "unknown option" 2 "unknown argument '--nope'" "'$STUDY' --nope"
must_fail "bad --jobs" 2 "--jobs wants a positive integer, not '0'" \
  "'$STUDY' --bin '$BIN' --checkpoints '$TMP/ck/step*' --data x --out '$TMP/e' --jobs 0"
must_fail "another data spec in the same folder is refused" 2 "was made with another data spec" \
  "cd '$TMP' && '$STUDY' --bin '$BIN' --checkpoints 'ck/step*' --data '--domain math --seq-len 32 --dtype u16 data/a.u16' --out s1"
bash -c "cd '$TMP' && '$STUDY' --bin '$BIN' --checkpoints 'ck/step*' --data '--domain x --dtype u16 --seq-len 32 absent.u16' --out s4" \
  >/dev/null 2>"$TMP/s4.err"
rc=$?
if [ $rc -eq 1 ] && [ "$(grep -c 'error' "$TMP/s4.err")" -eq 1 ] &&
   grep -q "^grokmon-study: error: data spec --domain x --dtype u16 --seq-len 32 absent.u16: reader: error: absent.u16: cannot open" "$TMP/s4.err"; then
  ok "a data spec the reader rejects: exit 1, one error line naming the spec"
else not_ok "a data spec the reader rejects: exit 1, one error line naming the spec" "exit $rc" "$(cat "$TMP/s4.err")"; fi
no_file "no samples file after a reader error" "$TMP/s4/samples.mpk.lz4"
check "--help has an example" bash -c "'$STUDY' --help | grep -q '^Example:'"
check "--version" bash -c "'$STUDY' --version | grep -q '^grokmon-study '"

# --sshlogin / --sshloginfile go to GNU parallel: through a stand-in ssh that runs the command
# here (the workers share the filesystem), every machine gets jobs and the records are the same.
cat >"$TMP/fakessh" <<FAKE
#!/bin/bash
# ssh stand-in: [options] HOST [--] COMMAND...; logs the host, runs COMMAND here.
# sshd always gives the remote command a SHELL (GNU parallel's remote worker needs one);
# CI may run us without it, so set it as sshd would.
# It also starts the command in another folder, as ssh starts it in the login's home.
export SHELL=/bin/bash
cd /
while [ \$# -gt 0 ]; do case "\$1" in -o|-p|-l) shift 2 ;; -*) shift ;; *) break ;; esac; done
echo "\$1" >>"$TMP/ssh.log"; shift
[ "\${1:-}" = "--" ] && shift
exec bash -c "\$*"
FAKE
chmod +x "$TMP/fakessh"
printf '1/nodeC\n1/nodeD\n' >"$TMP/nodes.txt"
check "--sshlogin: two machines" bash -c "cd '$TMP' && PARALLEL_SSH='bash $TMP/fakessh' '$STUDY' --bin '$BIN' --checkpoints 'ck/step*' \
  --data data/data.conf --out s5 -S 1/nodeA -S 1/nodeB >s5.out 2>s5.err || { cat s5.err >&2; exit 1; }"
check "--sshlogin: both machines ran jobs" bash -c "grep -qx nodeA '$TMP/ssh.log' && grep -qx nodeB '$TMP/ssh.log'"
for n in "${names[@]}"; do
  same_file "--sshlogin: paths of $n as by hand" "$TMP/hand/paths/$n.mpk.lz4" "$TMP/s5/paths/$n.mpk.lz4"
done
same_file "--sshlogin: the same summary" "$TMP/s1.out" "$TMP/s5.out"
: >"$TMP/ssh.log"
check "--sshloginfile" bash -c "cd '$TMP' && PARALLEL_SSH='bash $TMP/fakessh' '$STUDY' --bin '$BIN' --checkpoints 'ck/step*' \
  --data data/data.conf --out s6 --sshloginfile nodes.txt >s6.out 2>s6.err || { cat s6.err >&2; exit 1; }"
check "--sshloginfile: its machines ran the jobs" bash -c "grep -qx nodeC '$TMP/ssh.log' && grep -qx nodeD '$TMP/ssh.log' && ! grep -q nodeA '$TMP/ssh.log'"
same_file "--sshloginfile: the same summary" "$TMP/s1.out" "$TMP/s6.out"

# Phase 2/3 options on a finished study: the groups change, so every checkpoint's metrics are
# redone (phase 1 is not); thresholds go only to the membership run.
cp -r "$TMP/s1" "$TMP/s7"
printf 'step,domain,accuracy\n1000,math,0.1\n2000,math,0.3\n3000,math,0.6\n4000,math,0.8\n' >"$TMP/acc.csv"
check "--reduce-args and --accuracy on a finished study" bash -c "cd '$TMP' && '$STUDY' --bin '$BIN' --checkpoints 'ck/step*' \
  --data data/data.conf --out s7 --reduce-args \"--eps 5.5 --eps-domain 'code=5.6' --pairs 30 --seed 2\" --accuracy acc.csv >s7.out 2>s7.err"
check "phase 1 not redone" grep -q 'phase 1: all 4 checkpoints done before' "$TMP/s7.err"
check "new groups: every checkpoint's metrics redone" grep -q 'pairwise metrics for 4 of 4 checkpoints' "$TMP/s7.err"
check "the given eps per domain" bash -c "$D '$TMP/s7/members.mpk' | grep '\"type\":\"calibration\"' | grep -q '\"domain\":\"code\",\"eps\":5.5999'"
check "sampled pairs" bash -c "$D '$TMP/s7/metrics.mpk' | grep '\"type\":\"metric\"' | grep -q '\"pairs\":30,\"sampled\":true'"
check "the accuracy correlations in the summary" grep -qi 'pearson' "$TMP/s7.out"
check "back to the defaults" bash -c "cd '$TMP' && '$STUDY' --bin '$BIN' --checkpoints 'ck/step*' --data data/data.conf --out s7 >s7b.out 2>s7b.err"
same_records "back to the defaults: the first run's metrics" "$TMP/s7/metrics.mpk" "$TMP/s1/metrics.mpk" "$TMP/s7/" "$TMP/s1/"
same_file "back to the defaults: the first run's summary" "$TMP/s1.out" "$TMP/s7b.out"

# --test-results and --similarity: test-groups pairs the training groups with test groups and
# the report correlates each group with its partner's accuracy, as running the two by hand does.
$D "$TMP/s1/metrics.mpk" | $PY -c "
import json, random, sys
groups = sorted({r['group'] for r in map(json.loads, sys.stdin) if r.get('scope') == 'group'})
rng = random.Random(3)
with open('$TMP/results.csv', 'w') as f:
    f.write('step,domain,item,correct\n')
    for d in ('math', 'code'):
        for i in range(12):
            rise = rng.randrange(5)
            for k, s in enumerate((1000, 2000, 3000, 4000)):
                f.write('%d,%s,q%d,%d\n' % (s, d, i, int(k >= rise)))
with open('$TMP/groups.txt', 'w') as f:
    f.write('\n'.join(groups) + '\n')
"
$BIN/test-groups "$TMP/results.csv" -o "$TMP/test-groups.csv"
$PY - "$TMP" <<'PY'
import csv, random, sys
tmp = sys.argv[1]
train = open(tmp + "/groups.txt").read().split()
test = list(dict.fromkeys(r["test_group"] for r in csv.DictReader(open(tmp + "/test-groups.csv"))))
rng = random.Random(4)
with open(tmp + "/sim.csv", "w") as f:
    f.write("train_group,test_group,similarity\n")
    f.writelines("%s,%s,%r\n" % (a, b, rng.random()) for a in train for b in test)
PY
cp -r "$TMP/s1" "$TMP/s10"
check "--test-results --similarity" bash -c "cd '$TMP' && '$STUDY' --bin '$BIN' --checkpoints 'ck/step*' \
  --data data/data.conf --out s10 --test-results results.csv --similarity sim.csv >s10.out 2>s10.err"
$BIN/test-groups --similarity "$TMP/sim.csv" "$TMP/results.csv" -o "$TMP/hand/acc-by-group.csv"
same_file "--test-results: the pairing test-groups makes by hand" "$TMP/hand/acc-by-group.csv" "$TMP/s10/accuracy-by-group.csv"
$BIN/report "$TMP/s10/metrics.mpk" --accuracy "$TMP/hand/acc-by-group.csv" -o "$TMP/hand/s10-summary.txt"
same_file "--test-results: the summary report gives by hand" "$TMP/hand/s10-summary.txt" "$TMP/s10.out"
check "--test-results: correlations by group in the summary" grep -qE '^(math|code)@[0-9]+ .*/' "$TMP/s10.out"
# --across-domains goes through to test-groups (one assignment over all domains' groups)
rm -rf "$TMP/s11"; cp -r "$TMP/s1" "$TMP/s11"
check "--test-results --across-domains" bash -c "cd '$TMP' && '$STUDY' --bin '$BIN' --checkpoints 'ck/step*' \
  --data data/data.conf --out s11 --test-results results.csv --similarity sim.csv --across-domains >s11.out 2>s11.err"
$BIN/test-groups --similarity "$TMP/sim.csv" --across-domains "$TMP/results.csv" -o "$TMP/hand/acc-across.csv"
same_file "--across-domains: the pairing test-groups --across-domains makes by hand" "$TMP/hand/acc-across.csv" \
  "$TMP/s11/accuracy-by-group.csv"
must_fail "--across-domains without --test-results is a usage error" 2 "--across-domains goes with --test-results" \
  "cd '$TMP' && '$STUDY' --bin '$BIN' --checkpoints 'ck/step*' --data data/data.conf --out s11 --across-domains"
must_fail "--test-results without --similarity is a usage error" 2 "--test-results needs --similarity" \
  "cd '$TMP' && '$STUDY' --bin '$BIN' --checkpoints 'ck/step*' --data data/data.conf --out s10 --test-results results.csv"
must_fail "--test-results with --accuracy is a usage error" 2 "choose one" \
  "cd '$TMP' && '$STUDY' --bin '$BIN' --checkpoints 'ck/step*' --data data/data.conf --out s10 --test-results results.csv --similarity sim.csv --accuracy acc.csv"

# Spaces in every path, and --trace-args reaching router-trace (recorded in the header).
mkdir -p "$TMP/with space"
cp -r "$TMP/ck" "$TMP/with space/ck dir"
check "paths with spaces, --trace-args" bash -c "cd '$TMP/data' && '$STUDY' --bin '$BIN' --checkpoints '$TMP/with space/ck dir/step*' \
  --data data.conf --out '$TMP/with space/out dir' --trace-args '--emit-topk --batch-tokens 256' >'$TMP/s8.out' 2>'$TMP/s8.err'"
check "4 checkpoints done" bash -c "[ \$(ls '$TMP/with space/out dir/paths/' | wc -l) -eq 4 ]"
check "--trace-args reached router-trace" bash -c "$D '$TMP/with space/out dir/paths/step1000-tokens4B.mpk.lz4' | head -1 | grep -q '\"emit-topk\":true'"
same_file "the same summary" "$TMP/s1.out" "$TMP/s8.out"

# The job-array recipe: one --paths-only task per checkpoint, all at once into one folder,
# then the whole command: it finds phase 1 done and gives the first run's records.
for n in "${names[@]}"; do
  (cd "$TMP" && "$STUDY" --bin "$BIN" --checkpoints "ck/$n" --data data/data.conf --out s9 --paths-only --jobs 1 \
     >/dev/null 2>"$TMP/s9.$n.err"; echo $? >"$TMP/s9.$n.rc") &
done
wait
check "job array: every task exit 0" bash -c "[ \"\$(cat '$TMP'/s9.*.rc | sort -u)\" = 0 ]"
check "job array: then the whole command" bash -c "cd '$TMP' && '$STUDY' --bin '$BIN' --checkpoints 'ck/step*' --data data/data.conf --out s9 >s9.out 2>s9.err"
check "job array: phase 1 was done" grep -q 'phase 1: all 4 checkpoints done before' "$TMP/s9.err"
same_records "job array: the first run's metrics" "$TMP/s9/metrics.mpk" "$TMP/s1/metrics.mpk" "$TMP/s9/" "$TMP/s1/"
check "job array: no temporary left" bash -c "[ -z \"\$(find '$TMP/s9' -name '.*')\" ]"

# --tracer: phase 1 with another tracer. torch (router-trace-torch) gives the default run's
# pathway strings and, within 1e-5 (relative to values above 1: C divides by a small maximum
# cosine on these random models), its pathway and metric records (tests/stage/router_trace_torch.sh
# compares the traces themselves); a command ('CMD') is run with router-trace's options.
check "--tracer CMD: router-trace named as a command" bash -c "cd '$TMP' && '$STUDY' --bin '$BIN' --checkpoints 'ck/step*' \
  --data data/data.conf --out s12 --tracer '$BIN/router-trace' >s12.out 2>s12.err"
for n in "${names[@]}"; do
  same_file "--tracer CMD: paths of $n as the default run's" "$TMP/s1/paths/$n.mpk.lz4" "$TMP/s12/paths/$n.mpk.lz4"
done
must_fail "--tracer: a command that does not exist" 2 "--tracer: no-such-tracer is not an executable" \
  "cd '$TMP' && '$STUDY' --bin '$BIN' --checkpoints 'ck/step*' --data data/data.conf --out s13 --tracer 'no-such-tracer -x'"
must_fail "--tracer torch in a folder made with router-trace is refused" 2 "was made with another data spec or phase-1 options" \
  "cd '$TMP' && '$STUDY' --bin '$BIN' --checkpoints 'ck/step*' --data data/data.conf --out s1 --tracer torch"
if $PY -c 'import torch, msgpack' 2>/dev/null; then
  check "--tracer torch" bash -c "cd '$TMP' && '$STUDY' --bin '$BIN' --checkpoints 'ck/step*' \
    --data data/data.conf --out s14 --tracer torch >s14.out 2>s14.err"
  check "--tracer torch: router-trace-torch made the traces" \
    bash -c "$D '$TMP/s14/paths/step1000-tokens4B.mpk.lz4' | head -n 1 | grep -q '\"stage\":\"router-trace-torch\"'"
  for n in "${names[@]}"; do
    lz4 -dcq "$TMP/s1/paths/$n.mpk.lz4" >"$TMP/s1-$n.mpk"; lz4 -dcq "$TMP/s14/paths/$n.mpk.lz4" >"$TMP/s14-$n.mpk"
    check "--tracer torch: $n has the default run's pathway strings" \
      $PY "$ROOT/tests/stage/trace_compare.py" --rel "$TMP/s1-$n.mpk" "$TMP/s14-$n.mpk"
  done
  check "--tracer torch: the default run's metric records, within 1e-5 (relative)" \
    $PY "$ROOT/tests/stage/trace_compare.py" --rel "$TMP/s1/metrics.mpk" "$TMP/s14/metrics.mpk"
else
  echo "ok - SKIPPED: grokmon-study --tracer torch not tested: $PY cannot import torch or msgpack"
fi

# Steps: known and distinct for every checkpoint before any forward pass (exit 2 naming the
# checkpoint, no study folder made); --step-regex for other naming schemes (OLMo 2's
# stage1-step...), --steps FILE for any names; the steps reach the records.
mkdir -p "$TMP/ck2"
for i in 0 1 2 3; do
  s=$((1000 * (i + 1)))
  cp -r "$TMP/ck/step$s-tokens4B" "$TMP/ck2/stage1-step$s-tokens4B"
done
must_fail "steps: a name without a step is refused before phase 1" 2 \
  "checkpoint stage1-step1000-tokens4B has no step: its name does not match --step-regex" \
  "cd '$TMP' && '$STUDY' --bin '$BIN' --checkpoints 'ck2/*' --data data/data.conf --out s15"
check "steps: the refusal made no study folder" test ! -e "$TMP/s15"
check "steps: --step-regex reads OLMo 2's names" bash -c "cd '$TMP' && '$STUDY' --bin '$BIN' \
  --checkpoints 'ck2/*' --data data/data.conf --out s15 --step-regex 'step([0-9]+)' >s15.out 2>s15.err"
check_sh "steps: --step-regex: the steps are in the pathway records" \
  "[ \$($D '$TMP/s15/paths/stage1-step3000-tokens4B.mpk.lz4' | grep '\"type\":\"pathway\"' | grep -c '\"checkpoint\":\"stage1-step3000-tokens4B\",\"step\":3000') -eq 44 ]"
for n in "${names[@]}"; do
  lz4 -dcq "$TMP/s1/paths/$n.mpk.lz4" | $D | grep '"type":"pathway"' | sed 's/"checkpoint":"[^"]*"//' >"$TMP/a.jsonl"
  lz4 -dcq "$TMP/s15/paths/stage1-$n.mpk.lz4" | $D | grep '"type":"pathway"' | sed 's/"checkpoint":"[^"]*"//' >"$TMP/b.jsonl"
  same_file "steps: $n renamed gives the same pathway records" "$TMP/a.jsonl" "$TMP/b.jsonl"
done
printf '# name step\nstage1-step1000-tokens4B 10\nstage1-step2000-tokens4B,20\nstage1-step3000-tokens4B 30\nstage1-step4000-tokens4B 40\n' \
  >"$TMP/steps.txt"
check "steps: --steps FILE" bash -c "cd '$TMP' && '$STUDY' --bin '$BIN' --checkpoints 'ck2/*' \
  --data data/data.conf --out s16 --steps steps.txt >s16.out 2>s16.err"
check_sh "steps: --steps: the file's steps are in the records" \
  "[ \$($D '$TMP/s16/paths/stage1-step2000-tokens4B.mpk.lz4' | grep '\"type\":\"pathway\"' | grep -c '\"step\":20,') -eq 44 ]"
printf 'stage1-step1000-tokens4B 10\nstage1-step2000-tokens4B 10\n' >"$TMP/steps-dup.txt"
must_fail "steps: two checkpoints with one step are refused" 2 "both have step 10: steps must be distinct" \
  "cd '$TMP' && '$STUDY' --bin '$BIN' --checkpoints 'ck2/*' --data data/data.conf --out s17 \
   --steps steps-dup.txt --step-regex 'step([0-9]+)'"
must_fail "steps: --trace-args --step is refused" 2 "--step is set per checkpoint" \
  "cd '$TMP' && '$STUDY' --bin '$BIN' --checkpoints 'ck/step*' --data data/data.conf --out s17 --trace-args '--step 5'"
must_fail "steps: a bad --steps line" 2 "steps-bad.txt:1: expected 'NAME STEP'" \
  "cd '$TMP' && printf 'x y z\n' >steps-bad.txt && '$STUDY' --bin '$BIN' --checkpoints 'ck2/*' --data data/data.conf --out s17 --steps steps-bad.txt"

# --keep-traces and --sweep: the traces kept (LZ4), pathways encoded from them as from the pipe;
# a sweep over 4 thresholds makes a study per value and one page, running each checkpoint's
# forward pass once (a counting tracer counts them), and its threshold=0.7 study is the plain one.
cat >"$TMP/count-tracer" <<EOF2
#!/bin/bash
echo run >>"$TMP/tracer-runs"
exec "$BIN/router-trace" "\$@"
EOF2
chmod +x "$TMP/count-tracer"
rm -f "$TMP/tracer-runs"
check "--sweep threshold=0.5,0.6,0.7,0.8" bash -c "cd '$TMP' && '$STUDY' --bin '$BIN' --checkpoints 'ck/step*' \
  --data data/data.conf --out s18 --tracer '$TMP/count-tracer' --sweep 'threshold=0.5,0.6,0.7,0.8' >s18.out 2>s18.err"
check_sh "--sweep: the forward pass ran once per checkpoint (4 runs for 4 thresholds)" \
  "[ \$(wc -l <'$TMP/tracer-runs') -eq 4 ]"
for n in "${names[@]}"; do
  check "--keep-traces: $n's trace kept, LZ4" bash -c "lz4 -dcq '$TMP/s18/traces/$n.mpk.lz4' | $D --brief 1 | grep -q '\"type\":\"trace\"'"
  same_file "--keep-traces: $n's paths as from the pipe" "$TMP/s1/paths/$n.mpk.lz4" "$TMP/s18/paths/$n.mpk.lz4"
  same_file "--sweep threshold=0.7: $n's paths are the study's own" "$TMP/s18/paths/$n.mpk.lz4" \
    "$TMP/s18/sweep/threshold=0.7/paths/$n.mpk.lz4"
done
same_records "--sweep threshold=0.7: the study's metric records" "$TMP/s18/sweep/threshold=0.7/metrics.mpk" \
  "$TMP/s18/metrics.mpk" "$TMP/s18/sweep/threshold=0.7/" "$TMP/s18/"
lz4 -dcq "$TMP/s18/sweep/threshold=0.5/paths/step1000-tokens4B.mpk.lz4" | $D >"$TMP/t05.jsonl"
check_sh "--sweep threshold=0.5: the pathways have threshold 0.5" \
  "[ \$(grep '\"type\":\"pathway\"' '$TMP/t05.jsonl' | grep -c '\"threshold\":0.5,') -eq 44 ]"
check "--sweep: the comparison page links every report" bash -c \
  "for v in 0.5 0.6 0.7 0.8; do grep -q \"threshold=\$v/report.html\" '$TMP/s18/sweep/index.html' || exit 1; done"
check "--sweep: every value's summary in sweep/summary.txt" bash -c \
  "[ \$(grep -c '^==== threshold=' '$TMP/s18/sweep/summary.txt') -eq 4 ]"
rm -f "$TMP/tracer-runs"
check "--sweep eps: reuses the paths, no forward pass" bash -c "cd '$TMP' && '$STUDY' --bin '$BIN' --checkpoints 'ck/step*' \
  --data data/data.conf --out s18 --tracer '$TMP/count-tracer' --sweep 'eps=1.5,3' >s19.out 2>s19.err"
check "--sweep eps: no tracer run" test ! -e "$TMP/tracer-runs"
check "--sweep eps: two studies" test -f "$TMP/s18/sweep/eps=3/report.html" -a -f "$TMP/s18/sweep/eps=1.5/report.html"
must_fail "--sweep: an unknown key" 2 "expected KEY=V1,V2,... with KEY threshold, weights, eps or delta" \
  "cd '$TMP' && '$STUDY' --bin '$BIN' --checkpoints 'ck/step*' --data data/data.conf --out s20 --sweep 'tau=1,2'"
