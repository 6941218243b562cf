#!/usr/bin/env bash
# threads_tsan.sh: the programs that run threads of their own (router-trace:
# attention heads and experts; metric-reduce: pairwise distances) built with
# clang's ThreadSanitizer and run with several threads. GM_REFERENCE=1 swaps
# every OpenBLAS call for the plain loops: OpenBLAS's own worker threads are
# not instrumented, and their hand-offs would read as races that are not ours.
# Binaries go under build/tsan (TMPDIR may be noexec).
. "$(dirname "$0")/../lib.sh"
cd "$ROOT"
CLANG=${FUZZ_CC:-clang}
PKG="msgpack liblz4 openblas jansson libpcre2-8 libutf8proc"
OUT=build/tsan
mkdir -p "$OUT"
FLAGS=(-std=c11 -O1 -g -fsanitize=thread -Wall -Wextra -Werror -Wno-unused-parameter -pthread
       -D_GNU_SOURCE -Icommon $(pkg-config --cflags $PKG))
LIBS=($(pkg-config --libs $PKG) -lm -pthread)
export TSAN_OPTIONS="halt_on_error=0:exitcode=66"

built=1
for s in router-trace metric-reduce; do
  # shellcheck disable=SC2046
  if ! $CLANG "${FLAGS[@]}" common/*.c stages/$s/*.c "${LIBS[@]}" -o "$OUT/$s" 2>"$TMP/build.err"; then
    not_ok "$s builds with ThreadSanitizer ($CLANG)" "$(head -c 800 "$TMP/build.err")"
    built=0
  fi
done
[ "$built" = 1 ] || exit 0

# no_race NAME CMD...: CMD exits 0 and ThreadSanitizer reports nothing
no_race() {
  local name=$1; shift
  if GM_REFERENCE=1 "$@" 2>"$TMP/tsan.err" && ! grep -q 'ThreadSanitizer' "$TMP/tsan.err"; then
    ok "$name"
  else
    not_ok "$name" "$(grep -m1 -A12 'WARNING: ThreadSanitizer' "$TMP/tsan.err" || head -c 800 "$TMP/tsan.err")"
  fi
}

# two small checkpoints (top-2 of 8 experts, GQA) and samples of uneven lengths
for step in 100 200; do
  "$TOOLS/gen-checkpoint" --hidden 64 --layers 3 --heads 4 --kv-heads 2 --experts 8 --top-k 2 \
    --vocab 256 --seed $step "$TMP/step$step" >/dev/null || not_ok "gen step$step"
done
$PY - >"$TMP/s.jsonl" <<'EOF'
import json, random
r = random.Random(7)
for i in range(24):
    print(json.dumps({"type": "sample", "id": f"s{i}", "domain": "ab"[i % 2], "source": "gen",
                      "index": i, "tokens": [r.randrange(256) for _ in range(r.randrange(2, 300))]}))
EOF
"$BIN/dump" --from-json "$TMP/s.jsonl" -o "$TMP/s.mpk"

for step in 100 200; do
  no_race "router-trace, 3 threads, batches of several samples (step$step)" \
    "$OUT/router-trace" --model "$TMP/step$step" --threads 3 --batch-tokens 2000 "$TMP/s.mpk" \
      -o "$TMP/t$step.mpk"
  "$BIN/pathway-encode" --model "$TMP/step$step" "$TMP/t$step.mpk" -o "$TMP/p$step.mpk"
done
no_race "router-trace, 5 threads, one sample per batch" \
  "$OUT/router-trace" --model "$TMP/step100" --threads 5 --batch-tokens 1 "$TMP/s.mpk" -o "$TMP/t.mpk"
no_race "metric-reduce, 3 threads" \
  "$OUT/metric-reduce" --threads 3 --eps 5.5 "$TMP/p100.mpk" "$TMP/p200.mpk" -o "$TMP/m.mpk"
no_race "metric-reduce, 3 threads, --wide-pairs (a binned pass per domain, sampled wide rows)" \
  "$OUT/metric-reduce" --threads 3 --eps 5.5 --wide-pairs 50 "$TMP/p100.mpk" "$TMP/p200.mpk" -o "$TMP/m2.mpk"
