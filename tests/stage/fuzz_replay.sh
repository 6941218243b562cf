# fuzz_replay.sh: every fuzz target (tests/fuzz/fuzz_*.c) built with the
# project's compiler and flags and a plain replay main (tests/fuzz/replay.c),
# linked against this build's libgrokmon.a (build/rel, or build/san under
# SANITIZE=1, where the flags add ASan+UBSan too), then run over its seed
# corpus and its crash reproducers (tests/fuzz/regress/<t>/). A target that
# crashes, trips an invariant or a sanitizer fails. `make fuzz` does the
# fuzzing itself (scripts/fuzz.sh).
. "$(dirname "$0")/../lib.sh"
cd "$ROOT"
. tests/fuzz/targets.sh
BUILD=$(dirname "$TOOLS")            # build/rel or build/san
LIB=$BUILD/libgrokmon.a
CC=${CC:-cc}
PKG="msgpack liblz4 openblas jansson libpcre2-8 libutf8proc"
FLAGS=(-std=c11 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter -pthread -D_GNU_SOURCE
       -Icommon -Istages/reader $(pkg-config --cflags $PKG))
case "$BUILD" in
  */san) FLAGS+=(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined) ;;
esac
LIBS=($(pkg-config --libs $PKG) -lm -pthread)
# huge declared sizes: malloc must fail softly under ASan as it does without it
# (ASan then warns "failed to allocate", which is that soft failure, not a bug)
export ASAN_OPTIONS="allocator_may_return_null=1:max_allocation_size_mb=2048:detect_leaks=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"

# the replay binaries go beside the build, not in TMPDIR (which may be mounted noexec)
mkdir -p "$BUILD/fuzz-replay"
for t in $(fuzz_targets); do
  bin=$BUILD/fuzz-replay/fuzz_$t
  # shellcheck disable=SC2046
  if ! $CC "${FLAGS[@]}" tests/fuzz/fuzz_$t.c tests/fuzz/replay.c $(fuzz_extra_sources "$t") \
       "$LIB" "${LIBS[@]}" -o "$bin" 2>"$TMP/build.err"; then
    not_ok "fuzz target $t builds with $CC" "$(head -c 800 "$TMP/build.err")"
    continue
  fi
  dirs=()
  for d in tests/fuzz/corpus/$t tests/fuzz/regress/$t; do [ -d "$d" ] && dirs+=("$d"); done
  if [ ${#dirs[@]} -eq 0 ] || [ -z "$(ls "${dirs[@]}")" ]; then
    not_ok "fuzz target $t has a seed corpus" "tests/fuzz/corpus/$t is empty"
    continue
  fi
  n=$(find "${dirs[@]}" -type f ! -name ".*" | wc -l)
  if timeout 120 "$bin" "${dirs[@]}" >"$TMP/replay.out" 2>"$TMP/replay.err" &&
     ! grep -v 'WARNING: AddressSanitizer failed to allocate' "$TMP/replay.err" |
       grep -qE 'Sanitizer|runtime error:' &&
     grep -qx "replayed $n inputs" "$TMP/replay.out"; then
    ok "fuzz target $t replays its corpus and reproducers ($(cat "$TMP/replay.out"))"
  else
    not_ok "fuzz target $t replays its corpus and reproducers" "$(tail -c 1500 "$TMP/replay.err")"
  fi
done
