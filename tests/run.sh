#!/usr/bin/env bash
# run.sh: the test suite driver. Runs every unit test binary ($GM_UNITS/test_*)
# and every shell test (tests/stage/*.sh, tests/e2e/*.sh). Each prints
# "ok - NAME" / "not ok - NAME" lines; a test program that exits non-zero
# without reporting a failure counts as one failure (a crash is never a pass).
# Ends with exactly one line "N passed, N failed".
#   tests/run.sh [--unit-only] [PATTERN]
set -u
cd "$(dirname "$0")/.."
unit_only=0
[ "${1:-}" = "--unit-only" ] && { unit_only=1; shift; }
pattern="${1:-}"
export GM_ROOT="$PWD"
# A corrupt stream can declare a huge array; msgpack-c then asks for that much
# memory and we report the failure. Under ASan let the allocation fail the
# same way instead of aborting.
export ASAN_OPTIONS="${ASAN_OPTIONS:-allocator_may_return_null=1}"

passed=0 failed=0
run_one() { # name, command...
  local name="$1"; shift
  local out rc
  out=$("$@" 2>&1); rc=$?
  local p f
  p=$(grep -c '^ok - ' <<<"$out")
  f=$(grep -c '^not ok - ' <<<"$out")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1
    out+=$'\n'"not ok - $name exited with status $rc"
  fi
  passed=$((passed + p)); failed=$((failed + f))
  if [ "$f" -gt 0 ]; then
    echo "FAIL $name"
    grep -v '^ok - ' <<<"$out" | sed 's/^/    /' | tail -n 40
  else
    echo "pass $name ($p)"
    grep '^ok - SKIPPED' <<<"$out" | sed 's/^/    /'   # a skip is said, never silent
  fi
}

for t in "${GM_UNITS:?}"/test_*; do
  [ -x "$t" ] || continue
  case "$(basename "$t")" in *"$pattern"*) ;; *) continue ;; esac
  run_one "$(basename "$t")" "$t"
done
if [ "$unit_only" -eq 0 ]; then
  for t in tests/stage/*.sh tests/e2e/*.sh; do
    [ -f "$t" ] || continue
    case "$(basename "$t")" in *"$pattern"*) ;; *) continue ;; esac
    run_one "$t" bash "$t"
  done
fi
# After the whole suite (many tests write -o /dev/null, as root in CI): still the device.
if [ -c /dev/null ]; then passed=$((passed + 1))
else echo "FAIL /dev/null is no longer a character device after the suite"; failed=$((failed + 1)); fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
