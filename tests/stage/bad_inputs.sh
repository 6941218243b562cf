# bad_inputs.sh: runs the catalogue tests/bad/cases.txt (issue 7): every bad
# input gets exactly its exit code (1 data, 2 usage), exactly one stderr line
# "STAGE: error: ..." naming the problem and where, no -o file or temporary
# left behind, and (under SANITIZE=1) no sanitizer report. Inputs are made
# fresh by tests/bad/make-inputs.sh. Also regression checks for bugs the
# fuzzers found in dump and in error messages.
. "$(dirname "$0")/../lib.sh"
IN=$TMP/in
# A declared size of 2^32 entries makes msgpack-c ask malloc for ~200 GB: in a
# plain build malloc says no and the stage reports it; ASan must do the same.
export ASAN_OPTIONS="allocator_may_return_null=1:${ASAN_OPTIONS:-}"
if ! GM_BIN=$BIN GM_TOOLS=$TOOLS "$ROOT/tests/bad/make-inputs.sh" "$IN" >"$TMP/make.log" 2>&1; then
  not_ok "make the bad inputs" "$(tail -5 "$TMP/make.log")"
  exit 1
fi
ok "make the bad inputs"

n=0
while IFS= read -r line; do
  case "$line" in ''|'#'*) continue ;; esac
  n=$((n + 1))
  cmd=${line%% | *}; rest=${line#* | }
  input=${rest%% | *}; rest=${rest#* | }
  code=${rest%% | *}; frag=${rest#* | }
  stage=${cmd%% *}
  out="$TMP/out/case$n.mpk"
  mkdir -p "$TMP/out"
  read -r -a args <<<"${cmd#"$stage"}"
  name="bad input $n: $stage ${args[*]} $input -> exit $code"
  case "$input" in
    -) (cd "$IN" && "$BIN/$stage" "${args[@]}" -o "$out") >"$TMP/.out" 2>"$TMP/.err" ;;
    '<'*) (cd "$IN" && "$BIN/$stage" "${args[@]}" -o "$out" <"${input#<}") >"$TMP/.out" 2>"$TMP/.err" ;;
    *) read -r -a files <<<"$input"
       (cd "$IN" && "$BIN/$stage" "${args[@]}" "${files[@]}" -o "$out") >"$TMP/.out" 2>"$TMP/.err" ;;
  esac
  rc=$?
  err=$(cat "$TMP/.err")
  lines=$(wc -l <"$TMP/.err")
  if grep -qE 'Sanitizer|runtime error:|==[0-9]+==' "$TMP/.err"; then
    not_ok "$name" "sanitizer report:" "$(head -c 800 "$TMP/.err")"
  elif [ "$rc" -ne "$code" ]; then
    not_ok "$name" "expected exit $code, got $rc" "$(head -c 600 "$TMP/.err")"
  elif [ "$lines" -ne 1 ]; then
    not_ok "$name" "expected one line on stderr, got $lines:" "$(head -c 600 "$TMP/.err")"
  elif [[ "$err" != "$stage: error: "* ]]; then
    not_ok "$name" "the line does not start with '$stage: error: ':" "$err"
  elif [[ "$err" != *"$frag"* ]]; then
    not_ok "$name" "stderr lacks '$frag':" "$err"
  elif [ -e "$out" ] || compgen -G "$TMP/out/.case$n.mpk.tmp*" >/dev/null; then
    not_ok "$name" "$out (or its temporary) was left behind"
  else
    ok "$name"
  fi
done <"$ROOT/tests/bad/cases.txt"
[ "$n" -ge 40 ] && ok "the catalogue has $n cases" || not_ok "the catalogue has $n cases" "expected at least 40"

# ---- regressions for bugs the fuzzers found (tests/fuzz/regress/) --------
# dump printed a map key that is itself a map as escaped JSON text, escaping
# once per nesting level: a 1.5 KB stream printed gigabytes (2^depth). Now a
# container key prints as "$map-key" / "$array-key", so output stays linear.
$PY - "$TMP/nested.jsonl" <<'PY'
import sys
open(sys.argv[1], 'w').write('{"type":"x","v":1}\n')
PY
$BIN/dump --from-json "$TMP/nested.jsonl" -o "$TMP/nested-base.mpk"
$PY - "$TMP/nested-base.mpk" "$TMP/nested.mpk" <<'PY'
import sys
b = open(sys.argv[1], 'rb').read()
# the record {"type":"x","v":1} is the tail: 0x82 a4 'type' a1 'x' a1 'v' 01
rec = b[b.rindex(b'\x82\xa4type'):]
key = b'\x80'                       # {}
for _ in range(28):                 # {{{...}: 1}: 1}... 28 levels deep as keys
    key = b'\x81' + key + b'\x01'
open(sys.argv[2], 'wb').write(b[:len(b) - len(rec)] + b'\x83\xa4type\xa1x\xa1v\x01' + key + b'\x01')
PY
check_sh "dump: a 28-deep map used as a key prints in linear size" \
  "timeout 20 $BIN/dump '$TMP/nested.mpk' | tail -1 | awk '{ exit !(length(\$0) < 200) }'"
check_sh "dump: the container key is shown as \$map-key" \
  "$BIN/dump '$TMP/nested.mpk' | tail -1 | grep -qF '\"\$map-key\":1'"
# Error messages quoted input bytes verbatim: a newline in a .npy header key
# split the one-line error (gm_fail now turns control bytes into '?').
must_fail "control bytes in quoted input stay on one line" 1 "unexpected key 'x?'" \
  "cd '$IN' && $BIN/reader --seq-len 2 newline-key.npy"
# dump --from-json wrote records nested deeper than msgpack-c's unpacker reads
# (32 levels), so its own output failed to read back as "too large or corrupt".
# Now it refuses them (the catalogue has that case); 32 levels round-trip.
$PY -c "print('{\"type\":\"x\",\"v\":' + '[1,' * 31 + '2' + ']' * 31 + '}')" >"$TMP/deep31.jsonl"
check_sh "dump --from-json: 32 nested levels write and read back" \
  "$BIN/dump --from-json '$TMP/deep31.jsonl' | $BIN/dump | tail -1 | cmp - <($BIN/dump --from-json '$TMP/deep31.jsonl' | $BIN/dump | $BIN/dump --from-json | $BIN/dump | tail -1)"
check_sh "dump --from-json: the 32-level record keeps its innermost value" \
  "$BIN/dump --from-json '$TMP/deep31.jsonl' | $BIN/dump | tail -1 | grep -qF '[1,[1,2]]]'"
# msgpack-c gives an empty string a NULL pointer; record.c, dump and report
# passed it to memcpy/strndup (undefined behaviour, caught by clang's UBSan in
# fuzz_json_in). Empty keys and types must print back as they are.
printf '{"type":"","":"","k":{"type":"","":[]}}\n' >"$TMP/empty.jsonl"
check_sh "empty keys and an empty type round-trip through dump" \
  "$BIN/dump --from-json '$TMP/empty.jsonl' | $BIN/dump | tail -1 | cmp - '$TMP/empty.jsonl'"
