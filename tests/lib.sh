# lib.sh: helpers for shell tests (sourced). Each check prints one
# "ok - NAME" or "not ok - NAME" line; tests/run.sh counts them.
# Environment: GM_BIN (stage binaries), GM_TOOLS (test tools), GM_ROOT.
set -u
BIN=${GM_BIN:?run through make test}
TOOLS=${GM_TOOLS:?run through make test}
ROOT=${GM_ROOT:?run through make test}
PY=/usr/bin/python3
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1"; shift; for l in "$@"; do echo "    $l"; done; }

# check NAME CMD...: passes when CMD exits 0.
check() {
  local name="$1"; shift
  if "$@" >"$TMP/.out" 2>"$TMP/.err"; then ok "$name"
  else not_ok "$name" "exit $?: $(head -c 600 "$TMP/.err")"; fi
}

# check_sh NAME 'shell pipeline': like check, for pipelines (pipefail on).
check_sh() {
  local name="$1"; shift
  if bash -o pipefail -c "$1" >"$TMP/.out" 2>"$TMP/.err"; then ok "$name"
  else not_ok "$name" "exit $?: $(head -c 600 "$TMP/.err")"; fi
}

# must_fail NAME CODE FRAGMENT 'shell command': the command must exit with
# exactly CODE (a crash or signal never matches), print exactly one line on
# stderr, and that line must contain FRAGMENT.
must_fail() {
  local name="$1" code="$2" frag="$3" cmd="$4"
  bash -c "$cmd" >"$TMP/.out" 2>"$TMP/.err"
  local rc=$? lines
  lines=$(wc -l <"$TMP/.err")
  if [ "$rc" -ne "$code" ]; then
    not_ok "$name" "expected exit $code, got $rc" "$(head -c 600 "$TMP/.err")"
  elif [ "$lines" -ne 1 ]; then
    not_ok "$name" "expected one line on stderr, got $lines:" "$(head -c 600 "$TMP/.err")"
  elif ! grep -qF -- "$frag" "$TMP/.err"; then
    not_ok "$name" "stderr lacks '$frag':" "$(cat "$TMP/.err")"
  else ok "$name"; fi
}

# same_file NAME A B: byte-identical.
same_file() {
  if cmp -s "$2" "$3"; then ok "$1"; else not_ok "$1" "$2 and $3 differ"; fi
}

# no_file NAME PATH...: none of the paths (or temporaries beside them) exist.
no_file() {
  local name="$1"; shift
  local p
  for p in "$@"; do
    if [ -e "$p" ] || compgen -G "$(dirname "$p")/.$(basename "$p").tmp*" >/dev/null; then
      not_ok "$name" "$p (or its temporary) exists"; return
    fi
  done
  ok "$name"
}

# random_samples NAME SEED V LEN...: $TMP/NAME.jsonl and $TMP/NAME.mpk, one `sample` record per
# LEN with LEN random token ids below V (ids s0, s1, ...; domains d0, d1 in turn; source gen).
# NOTE_AFTER=i adds a `note` record after sample i (a record that must pass through).
random_samples() {
  local name=$1 seed=$2 V=$3; shift 3
  $PY - "$seed" "$V" "${NOTE_AFTER:--1}" "$@" >"$TMP/$name.jsonl" <<'PYEOF'
import json, random, sys
rng = random.Random(int(sys.argv[1])); V = int(sys.argv[2]); note = int(sys.argv[3])
for i, T in enumerate(int(a) for a in sys.argv[4:]):
    print(json.dumps({"type": "sample", "id": f"s{i}", "domain": "d%d" % (i % 2),
                      "source": "gen", "index": i, "tokens": [rng.randrange(V) for _ in range(T)]}))
    if i == note:
        print(json.dumps({"type": "note", "text": "passed through", "n": 3}))
PYEOF
  "$BIN/dump" --from-json "$TMP/$name.jsonl" -o "$TMP/$name.mpk" \
    || echo "not ok - samples $name: dump --from-json"
}
