# pipelines.sh: every stage in a pipe (issue 7 "Pipelines"; design.md "Command-line
# conventions"): a consumer that stops early (head) or is gone before the first write
# ends the stage quietly (exit 0, nothing on stderr); a full disk is a one-line error
# (exit 1); SIGTERM mid-run leaves no -o file and no temporary; an upstream stage that
# fails mid-stream fails the pipe, and the study driver reports that checkpoint failed.
. "$(dirname "$0")/../lib.sh"
STUDY=$ROOT/scripts/grokmon-study

# ---- material: a tiny checkpoint twice, samples, traces, paths, metrics ----
mkdir -p "$TMP/ck"
"$TOOLS/gen-checkpoint" --preset tiny --seed 3 "$TMP/ck/step1" >/dev/null
"$TOOLS/gen-checkpoint" --preset tiny --seed 4 "$TMP/ck/step2" >/dev/null
$PY -c "
import numpy as np
np.random.default_rng(7).integers(0, 256, 600 * 32).astype('<u2').tofile('$TMP/tok.u16')
np.random.default_rng(8).integers(0, 256, 3_000_000).astype('<u2').tofile('$TMP/big.u16')"
R="$BIN/reader --format raw --dtype u16 --seq-len 32"
$R "$TMP/tok.u16" -o "$TMP/samples.mpk"
$R --range 0:40 "$TMP/tok.u16" -o "$TMP/few.mpk"
$BIN/router-trace -j 1 --model "$TMP/ck/step1" "$TMP/samples.mpk" -o "$TMP/traces.mpk"
$BIN/pathway-encode --model "$TMP/ck/step1" "$TMP/traces.mpk" -o "$TMP/p1.mpk"
$BIN/router-trace -j 1 --model "$TMP/ck/step2" "$TMP/few.mpk" | $BIN/pathway-encode --model "$TMP/ck/step2" -o "$TMP/p2.mpk"
$BIN/router-trace -j 1 --model "$TMP/ck/step1" "$TMP/few.mpk" | $BIN/pathway-encode --model "$TMP/ck/step1" -o "$TMP/p1few.mpk"
$BIN/metric-reduce "$TMP/p1few.mpk" "$TMP/p2.mpk" -o "$TMP/metrics.mpk"
check "the material was made" test -s "$TMP/metrics.mpk"

# ---- a reader downstream that stops early --------------------------------
# quiet NAME 'producer command' 'consumer command': the producer exits 0 with
# nothing on stderr.
quiet() {
  local name="$1" prod="$2" cons="$3"
  timeout 120 bash -c "$prod 2>'$TMP/q.err' | $cons >/dev/null; exit \${PIPESTATUS[0]}"
  local rc=$?
  if [ "$rc" -eq 0 ] && [ ! -s "$TMP/q.err" ]; then ok "$name"
  else not_ok "$name" "exit $rc" "$(head -c 600 "$TMP/q.err")"; fi
}
# Outputs well past the pipe buffer, so the stage is still writing when head exits.
quiet "reader | head: quiet" "$R --seq-len 1 '$TMP/big.u16'" "head -c 100"
quiet "router-trace | head: quiet" "$BIN/router-trace -j 1 --emit-probs --model '$TMP/ck/step1' '$TMP/samples.mpk'" "head -c 100"
quiet "pathway-encode | head: quiet" "$BIN/pathway-encode --model '$TMP/ck/step1' '$TMP/traces.mpk' '$TMP/traces.mpk' '$TMP/traces.mpk'" "head -c 100"
quiet "dump | head -1: quiet" "$BIN/dump '$TMP/traces.mpk'" "head -1"
quiet "metric-reduce | head: quiet" "$BIN/metric-reduce '$TMP/p1few.mpk' '$TMP/p2.mpk'" "head -c 10"
quiet "report | head -1: quiet" "$BIN/report '$TMP/metrics.mpk'" "head -1"
# A consumer gone before the first write: the first write fails with EPIPE.
for s in "reader:$R $TMP/tok.u16" "router-trace:$BIN/router-trace -j 1 --model $TMP/ck/step1 $TMP/few.mpk" \
         "pathway-encode:$BIN/pathway-encode --model $TMP/ck/step1 $TMP/traces.mpk" \
         "dump:$BIN/dump $TMP/few.mpk" "metric-reduce:$BIN/metric-reduce $TMP/p1few.mpk $TMP/p2.mpk" \
         "report:$BIN/report $TMP/metrics.mpk"; do
  quiet "${s%%:*}: downstream closed before the first write: quiet" "(sleep 0.3; exec ${s#*:})" "true"
done

# ---- a full disk: the write error is reported, exit 1 --------------------
for s in "reader:$R $TMP/tok.u16" "router-trace:$BIN/router-trace -j 1 --model $TMP/ck/step1 $TMP/few.mpk" \
         "pathway-encode:$BIN/pathway-encode --model $TMP/ck/step1 $TMP/traces.mpk" \
         "dump:$BIN/dump $TMP/few.mpk" "metric-reduce:$BIN/metric-reduce $TMP/p1few.mpk $TMP/p2.mpk" \
         "report:$BIN/report $TMP/metrics.mpk"; do
  must_fail "${s%%:*} >/dev/full: exit 1, one line" 1 "${s%%:*}: error: stdout: write failed: No space left on device" \
    "${s#*:} >/dev/full"
done

# ---- SIGTERM in the middle of a run ----------------------------------------
# term_fifo NAME OUT INPUT STAGE ARGS...: the stage reads /dev/stdin (its
# last argument), a FIFO fed with INPUT's bytes and then held open, so it
# waits mid-stream; once its -o temporary exists (or after 0.5 s, for a stage
# that writes only at the end), SIGTERM; then no OUT and no temporary. (A FIFO
# named as an input is refused: input_kinds.sh.)
term_fifo() {
  local name="$1" out="$2" input="$3"; shift 3
  local fifo="$TMP/fifo.$RANDOM"
  mkfifo "$fifo"
  "$@" /dev/stdin -o "$out" <"$fifo" 2>"$TMP/t.err" &
  local pid=$!
  exec 3>"$fifo"
  cat "$input" >&3
  local i=0
  [ "$name" = report ] && i=500 # it writes only at the end: no temporary while reading
  while [ $i -lt 500 ] && ! compgen -G "$(dirname "$out")/.$(basename "$out").tmp*" >/dev/null; do
    sleep 0.01; i=$((i + 1))
  done
  [ $i -eq 500 ] && [ "$name" != report ] && not_ok "$name: SIGTERM mid-run (the temporary appeared)" "no temporary after 5 s"
  sleep 0.3
  kill -TERM "$pid"
  wait "$pid"
  local rc=$?
  exec 3>&-
  rm -f "$fifo"
  if [ "$rc" -ne 143 ]; then not_ok "$name: SIGTERM mid-run ends it (exit 143)" "exit $rc: $(head -c 400 "$TMP/t.err")"
  else ok "$name: SIGTERM mid-run ends it (exit 143)"; fi
  no_file "$name: SIGTERM leaves no -o file and no temporary" "$out"
}
term_fifo router-trace "$TMP/k1.mpk" "$TMP/few.mpk" $BIN/router-trace -j 1 --model "$TMP/ck/step1"
term_fifo pathway-encode "$TMP/k2.mpk.lz4" "$TMP/traces.mpk" $BIN/pathway-encode --model "$TMP/ck/step1"
term_fifo dump "$TMP/k3.jsonl" "$TMP/few.mpk" $BIN/dump
term_fifo dump-from-json "$TMP/k4.mpk" <($BIN/dump "$TMP/few.mpk") $BIN/dump --from-json
term_fifo metric-reduce "$TMP/k5.mpk" "$TMP/p2.mpk" $BIN/metric-reduce "$TMP/p1few.mpk"
term_fifo report "$TMP/k6.txt" "$TMP/metrics.mpk" $BIN/report
# The reader maps its files, so it never waits on input: kill it while it writes
# three million samples.
$R --seq-len 1 -z "$TMP/big.u16" -o "$TMP/k7.mpk" 2>"$TMP/t.err" &
pid=$!
i=0
while [ $i -lt 1000 ] && ! compgen -G "$TMP/.k7.mpk.tmp*" >/dev/null; do sleep 0.005; i=$((i + 1)); done
kill -TERM $pid
wait $pid
rc=$?
if [ $rc -eq 143 ]; then ok "reader: SIGTERM mid-run ends it (exit 143)"; else not_ok "reader: SIGTERM mid-run ends it (exit 143)" "exit $rc (it finished before the signal?)"; fi
no_file "reader: SIGTERM leaves no -o file and no temporary" "$TMP/k7.mpk"

# ---- an upstream stage failing mid-stream -----------------------------------
# router-trace meets a token past the vocabulary at sample 30 of 40, after it has
# written traces for the first ones: pathway-encode sees a stream that simply
# ends. The pipeline as a whole must fail and leave no output.
$PY -c "
import numpy as np
t = np.random.default_rng(9).integers(0, 256, 40 * 32).astype('<u2'); t[30 * 32 + 5] = 300
t.tofile('$TMP/late-bad.u16')"
must_fail "trace | encode, upstream fails at sample 31: the pipe fails with its error" 1 \
  "sample \"late-bad.u16:30\": token 300 at position 5 is not below vocab_size 256" \
  "set -o pipefail; $R '$TMP/late-bad.u16' | $BIN/router-trace -j 1 --model '$TMP/ck/step1' | $BIN/pathway-encode --model '$TMP/ck/step1' -o '$TMP/late.mpk' 2>/dev/null"
# The study driver: step2 has a smaller vocabulary, so only its router-trace fails,
# midway. It must be named failed, step1 done, and no paths file for step2.
if [ -x "$STUDY" ]; then
  mkdir -p "$TMP/st/ck"
  cp -r "$TMP/ck/step1" "$TMP/st/ck/step1"
  "$TOOLS/gen-checkpoint" --preset tiny --vocab 200 --seed 4 "$TMP/st/ck/step2" >/dev/null
  $PY -c "
import numpy as np
t = np.random.default_rng(10).integers(0, 200, 40 * 32).astype('<u2'); t[35 * 32] = 250
t.tofile('$TMP/st/d.u16')"
  (cd "$TMP/st" && "$STUDY" --bin "$BIN" --checkpoints 'ck/step*' \
     --data '--domain math --format raw --dtype u16 --seq-len 32 d.u16' --out s --jobs 1 >s.out 2>s.err)
  rc=$?
  if [ $rc -eq 1 ]; then ok "study: a checkpoint failing mid-stream: exit 1"; else not_ok "study: a checkpoint failing mid-stream: exit 1" "exit $rc: $(tail -3 "$TMP/st/s.err")"; fi
  check "study: step2 is reported failed with router-trace's error" \
    grep -q "error: checkpoint step2 failed: router-trace: error: .*token 250 at position 0 is not below vocab_size 200" "$TMP/st/s.err"
  check "study: step1 is done" test -s "$TMP/st/s/paths/step1.mpk.lz4"
  no_file "study: no paths file for the failed checkpoint" "$TMP/st/s/paths/step2.mpk.lz4"
fi
