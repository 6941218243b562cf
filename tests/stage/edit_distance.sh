#!/usr/bin/env bash
# edit_distance.sh: common/edit_distance.c against two independent references
# (method.md, "Pathway distance"): a numpy Levenshtein DP written from the
# spec on spec-made pathway strings, characters and expert-id symbols, one
# and two threads (tests/reference/edit_distance_ref.py); and edlib plus our
# plain DP through a short bench-distance run, which exits 1 if any distance
# disagrees. Also: the tools' usage errors.
source "$(dirname "$0")/../lib.sh"
REF=$ROOT/tests/reference/edit_distance_ref.py
ED=$TOOLS/edit-distance BENCH=$TOOLS/bench-distance

check "reference strings generated" $PY "$REF" gen "$TMP/paths.txt" 3
for mode in "" --experts; do
  for th in 1 2; do
    if $ED $mode --threads $th "$TMP/paths.txt" >"$TMP/d.txt" 2>"$TMP/d.err"; then
      $PY "$REF" check "$TMP/paths.txt" "$TMP/d.txt" $mode | sed "s/\$/ [threads $th]/"
    else
      not_ok "edit-distance $mode --threads $th ran" "$(cat "$TMP/d.err")"
    fi
  done
done

# bench-distance checks ours against the plain DP and edlib pair by pair.
check "bench-distance: kernel, DP and edlib agree on 276 pathway pairs (chars)" \
  $BENCH --strings 24 --dp-pairs 276 --min-time 0 --threads 2
check "bench-distance: kernel, DP and edlib agree on 276 pathway pairs (experts)" \
  $BENCH --strings 24 --dp-pairs 276 --min-time 0 --threads 2 --experts --seed 5
$BENCH --strings 10 --min-time 0 --rounds 1 --threads 2 >"$TMP/bench.txt" 2>&1
rows() { grep -c "$1" "$TMP/bench.txt"; }
if [ "$(rows '^plain DP  *[12] ')" = 2 ] && [ "$(rows '^edlib .* [12]  ')" = 2 ] &&
   [ "$(rows '^grokmon, 1 call/pair  *[12] ')" = 2 ] && [ "$(rows '^grokmon, edit_pairs_sum \[')" -ge 2 ]; then
  ok "bench-distance prints DP, edlib and grokmon rows for 1 and 2 threads"
else
  not_ok "bench-distance prints DP, edlib and grokmon rows for 1 and 2 threads" "$(cat "$TMP/bench.txt")"
fi
must_fail "bench-distance refuses --strings 1" 2 "--strings must be in" "$BENCH --strings 1"
must_fail "edit-distance wants a file" 2 "expected one FILE" "$ED"
must_fail "edit-distance names a missing file" 1 "$TMP/none.txt: cannot open" "$ED $TMP/none.txt"
