# study_resume.sh: kill scripts/grokmon-study mid-run (its whole process group, SIGTERM and
# then SIGKILL), run it again, and get the outputs of an uninterrupted run; while it runs,
# every visible checkpoint output is complete (all its records), at every poll.
. "$(dirname "$0")/../lib.sh"
STUDY=$ROOT/scripts/grokmon-study
D=$BIN/dump
N_SAMPLES=300

mkdir -p "$TMP/ck" "$TMP/data"
for i in 0 1 2 3 4 5; do
  s=$((1000 * (i + 1)))
  "$TOOLS/gen-checkpoint" --preset tiny --std 0.02 --router-std 0.3 --seed 5 "$TMP/ck/step$s"
  "$TOOLS/gen-series" --position $i --length 6 --set-size 2 "$TMP/ck/step$s"
done
"$TOOLS/gen-series" --tokens 0 --samples 150 --seq-len 64 --vocab 256 "$TMP/data/a.u16"
"$TOOLS/gen-series" --tokens 1 --samples 150 --seq-len 64 --vocab 256 "$TMP/data/b.u16"
printf '%s\n' '--domain math --dtype u16 --seq-len 64 a.u16' '--domain code --dtype u16 --seq-len 64 b.u16' \
  >"$TMP/data/data.conf"
run() { # OUT: the study into $TMP/OUT, 2 jobs
  "$STUDY" --bin "$BIN" --checkpoints "$TMP/ck/step*" --data "$TMP/data/data.conf" --out "$TMP/$1" --jobs 2
}
check "an uninterrupted run" bash -c "$(declare -f run); STUDY='$STUDY' BIN='$BIN' TMP='$TMP'; run ref >'$TMP/ref.out' 2>'$TMP/ref.err'"

# Start the driver in its own session (so its process group can be killed whole) and watch
# DIR/paths: every visible file must dump completely, with all the samples. With SIG set,
# kill the group once the first checkpoint is done.
watch_run() { # OUT SIG|-: prints "done_at_kill bad_files"
  local out=$1 sig=$2 pid pgid killed=0 at_kill=-1 bad=0 f
  declare -A seen=()
  setsid bash -c "$(declare -f run); STUDY='$STUDY' BIN='$BIN' TMP='$TMP'; run $out" \
    >"$TMP/$out.out" 2>"$TMP/$out.err" &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    for f in "$TMP/$out/paths/"*.mpk.lz4; do
      [ -e "$f" ] && [ -z "${seen[$f]:-}" ] || continue
      seen[$f]=1
      if [ "$($D "$f" 2>/dev/null | grep -c '"type":"pathway"')" -ne $N_SAMPLES ]; then
        bad=$((bad + 1)); echo "incomplete: $f" >>"$TMP/$out.bad"
      fi
    done
    if [ "$sig" != - ] && [ $killed -eq 0 ] && [ ${#seen[@]} -ge 1 ]; then
      pgid=$(ps -o pgid= -p "$pid" | tr -d ' ')
      at_kill=$(ls "$TMP/$out/paths/" | grep -c '\.mpk\.lz4$')
      [ "$pgid" = "$pid" ] && kill -"$sig" -- "-$pgid"
      killed=1
    fi
    sleep 0.02
  done
  wait "$pid" 2>/dev/null
  echo "$at_kill $bad"
}

for sig in TERM KILL; do
  out=run_$sig
  read -r at_kill bad < <(watch_run "$out" "$sig")
  if [ "$at_kill" -ge 1 ] && [ "$at_kill" -lt 6 ]; then ok "SIG$sig: killed mid-phase-1 ($at_kill of 6 done)"
  else not_ok "SIG$sig: killed mid-phase-1" "$at_kill of 6 done when killed"; fi
  if [ "$bad" -eq 0 ]; then ok "SIG$sig: every visible output complete while running"
  else not_ok "SIG$sig: every visible output complete while running" "$(cat "$TMP/$out.bad")"; fi
  no_file "SIG$sig: no metrics or report from the killed run" "$TMP/$out/metrics.mpk" "$TMP/$out/report.html"
  check "SIG$sig: every output left is complete" bash -c \
    "for f in '$TMP/$out/paths/'*.mpk.lz4; do [ \$($D \"\$f\" | grep -c '\"type\":\"pathway\"') -eq $N_SAMPLES ] || exit 1; done"
  read -r _ bad < <(watch_run "$out" -)
  if [ "$bad" -eq 0 ]; then ok "SIG$sig: resumed run: every visible output complete"
  else not_ok "SIG$sig: resumed run: every visible output complete" "$(cat "$TMP/$out.bad")"; fi
  check "SIG$sig: the resumed run skipped what was done" grep -q "phase 1: 6 checkpoints, [1-5] done before" "$TMP/$out.err"
  for f in "$TMP/ref/paths/"*.mpk.lz4; do
    same_file "SIG$sig: $(basename "$f") as in the uninterrupted run" "$f" "$TMP/$out/paths/$(basename "$f")"
  done
  check "SIG$sig: the same metric records" bash -c \
    "cmp <($D '$TMP/ref/metrics.mpk') <($D '$TMP/$out/metrics.mpk' | sed 's#$TMP/$out/#$TMP/ref/#g')"
  same_file "SIG$sig: the same summary" "$TMP/ref.out" "$TMP/$out.out"
  check "SIG$sig: the same CSV tables" diff -r "$TMP/ref/csv" "$TMP/$out/csv"
  check "SIG$sig: the same report.html" bash -c "sed 's#$TMP/$out/#$TMP/ref/#g' '$TMP/$out/report.html' | cmp - '$TMP/ref/report.html'"
  check "SIG$sig: no temporary left anywhere" bash -c "[ -z \"\$(find '$TMP/$out' -name '.*')\" ]"
done
