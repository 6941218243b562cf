#!/usr/bin/env bash
# fuzz.sh: what `make fuzz` runs. Builds every libFuzzer target tests/fuzz/fuzz_*.c
# with clang -fsanitize=fuzzer,address,undefined (the library sources compiled
# alongside with coverage, not build/*/libgrokmon.a, which gcc built), then
# runs each for a bounded time on a working copy of its seed corpus
# (tests/fuzz/corpus/<t>, plus tests/fuzz/regress/<t>). Prints one line per
# target: seconds, executions, executions per second, corpus growth, crashes.
# Crash inputs land in build/fuzz/crashes/<t>/; copy each into
# tests/fuzz/regress/<t>/ once fixed, so the suite replays it forever.
#   FUZZ_SECONDS=60 (per target)  FUZZ_TARGETS="stream npy" (default: all)
#   FUZZ_JOBS=1 (parallel fuzzing jobs per target)
# Exit status 1 if any target crashed. Spec: issue 7 "Fuzzing".
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER=${FUZZ_SECONDS:-60}
JOBS=${FUZZ_JOBS:-1}
CLANG=${FUZZ_CC:-clang}
OUT=build/fuzz
command -v "$CLANG" >/dev/null || { echo "fuzz: error: $CLANG not found (scripts/install-deps.sh installs clang and libclang-rt-14-dev)" >&2; exit 1; }

PKG="msgpack liblz4 openblas jansson libpcre2-8 libutf8proc"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
CFLAGS="-std=c11 -O1 -g -march=native -Wall -Wextra -Wno-unused-parameter -pthread -D_GNU_SOURCE \
  -Icommon -Istages/reader $(pkg-config --cflags $PKG)"
LIBS="$(pkg-config --libs $PKG) -lm -pthread"
. tests/fuzz/targets.sh

mkdir -p "$OUT/obj" "$OUT/bin"
echo "fuzz: compiling common/ with coverage ($CLANG)" >&2
objs=()
for src in common/*.c; do
  o="$OUT/obj/$(basename "$src" .c).o"
  if [ ! -e "$o" ] || [ "$src" -nt "$o" ] || [ -n "$(find common -name '*.h' -newer "$o" 2>/dev/null | head -1)" ]; then
    $CLANG $CFLAGS $SAN -fsanitize=fuzzer-no-link -c "$src" -o "$o"
  fi
  objs+=("$o")
done

targets=()
if [ -n "${FUZZ_TARGETS:-}" ]; then
  for t in $FUZZ_TARGETS; do targets+=("$t"); done
else
  for t in $(fuzz_targets); do targets+=("$t"); done
fi

# A stream can declare 2^32 entries; msgpack-c then asks for tens of GB at once.
# Beyond 2 GB, malloc returns NULL (as on a machine without that much memory)
# and the decoder must report it; libFuzzer's own malloc limit is lifted so a
# large but never-touched allocation is not counted as a crash (RSS still is).
ASAN_OPTIONS="allocator_may_return_null=1:max_allocation_size_mb=2048:detect_leaks=1:${ASAN_OPTIONS:-}"
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
export ASAN_OPTIONS UBSAN_OPTIONS

summary=()
crashed=0
for t in "${targets[@]}"; do
  src=tests/fuzz/fuzz_$t.c
  [ -f "$src" ] || { echo "fuzz: error: no target $src" >&2; exit 2; }
  bin="$OUT/bin/fuzz_$t"
  # shellcheck disable=SC2046
  if ! $CLANG $CFLAGS $SAN -fsanitize=fuzzer "$src" $(fuzz_extra_sources "$t") "${objs[@]}" $LIBS -o "$bin" 2>"$OUT/build-$t.log"; then
    echo "fuzz: error: building $t failed:" >&2; head -20 "$OUT/build-$t.log" >&2
    summary+=("$(printf '%-14s build failed' "$t")"); crashed=1; continue
  fi
  work="$OUT/corpus/$t"; crashes="$OUT/crashes/$t"
  mkdir -p "$work" "$crashes"
  seeds=(); [ -d "tests/fuzz/corpus/$t" ] && seeds+=("tests/fuzz/corpus/$t")
  [ -d "tests/fuzz/regress/$t" ] && seeds+=("tests/fuzz/regress/$t")
  dict=(); [ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
  before=$(ls "$crashes" | wc -l)
  log="$OUT/fuzz-$t.log"
  echo "fuzz: $t for ${SECONDS_PER}s (log $log)" >&2
  jobargs=(); [ "$JOBS" -gt 1 ] && jobargs=(-jobs="$JOBS" -workers="$JOBS")
  set +e
  "$bin" -max_total_time="$SECONDS_PER" -timeout=10 -rss_limit_mb=2560 -malloc_limit_mb=1048576 \
    -max_len=16384 -print_final_stats=1 -artifact_prefix="$crashes/" "${jobargs[@]}" \
    "${dict[@]}" "$work" "${seeds[@]}" >"$log" 2>&1
  rc=$?
  set -e
  stats=("$log")
  if [ "$JOBS" -gt 1 ]; then # each job logs to fuzz-N.log in the current folder
    stats=()
    for j in fuzz-*.log; do [ -f "$j" ] && mv "$j" "$OUT/$t-$j" && stats+=("$OUT/$t-$j"); done
  fi
  stat_sum() { grep -ohE "stat::$1:\s*[0-9]+" "${stats[@]}" | awk '{s+=$2} END {print s+0}'; }
  runs=$(stat_sum number_of_executed_units)
  eps=$(stat_sum average_exec_per_sec)
  newu=$(stat_sum new_units_added)
  rss=$(grep -ohE 'stat::peak_rss_mb:\s*[0-9]+' "${stats[@]}" | awk '{if ($2>m) m=$2} END {print m+0}')
  found=$(( $(ls "$crashes" | wc -l) - before ))
  if [ "$rc" -ne 0 ] || [ "$found" -gt 0 ]; then crashed=1; fi
  summary+=("$(printf '%-14s %5ss  %10s execs  %7s/s  +%s units  corpus %s  rss %sMB  crashes %s%s' \
    "$t" "$SECONDS_PER" "$runs" "$eps" "$newu" "$(ls "$work" | wc -l)" "$rss" "$found" \
    "$([ "$rc" -ne 0 ] && echo " (exit $rc: see $log)")")")
done
printf '%s\n' "${summary[@]}"
if [ "$crashed" -ne 0 ]; then
  echo "fuzz: crashes in build/fuzz/crashes/: reproduce with build/fuzz/bin/fuzz_T FILE; once fixed, keep the input in tests/fuzz/regress/T/" >&2
  exit 1
fi
