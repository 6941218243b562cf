#!/usr/bin/env bash
# reader_errors.sh: bad inputs and bad command lines, as data: each case is
# the command, the exact exit code (1 data/runtime, 2 usage; a crash never
# passes), a fragment of the one-line message, and no output file left behind.
source "$GM_ROOT/tests/lib.sh"
cd "$TMP"

$PY - <<'PY'
import numpy as np
np.arange(40, dtype="<u2").tofile("ok.bin")                # 5 windows of 8
open("odd.bin", "wb").write(b"\x01\x02\x03")               # not whole u16 tokens
np.save("ok.npy", np.arange(12, dtype="<u2").reshape(3, 4))
raw = open("ok.npy", "rb").read()
open("trunc.npy", "wb").write(raw[:-3])                    # data cut short
open("trunchdr.npy", "wb").write(raw[:40])                 # header cut short
open("trail.npy", "wb").write(raw + b"\0\0")               # bytes after the data
np.save("f4.npy", np.zeros((2, 4), "<f4"))
np.save("u1.npy", np.zeros((2, 4), "u1"))
np.save("be.npy", np.zeros((2, 4), ">u2"))
np.save("u8.npy", np.zeros((2, 4), "<u8"))
np.save("d3.npy", np.zeros((2, 2, 2), "<u2"))
np.save("scalar.npy", np.array(3, "<u2"))
np.save("fort.npy", np.asfortranarray(np.zeros((3, 4), "<u2")))
np.save("neg.npy", np.array([[1, 2], [3, -1]], "<i4"))
np.save("huge.npy", np.array([[1, 2**33]], "<i8"))
np.save("empty_rows.npy", np.zeros((3, 0), "<u2"))
np.save("one_d.npy", np.arange(10, dtype="<u2"))
v4 = bytearray(raw); v4[6] = 4
open("v4.npy", "wb").write(bytes(v4))
np.array([1, 2, 99, 3], "<u4").tofile("gi_bad.u32")       # 99 is past the 5 instances
np.array([1, 2, 1, 3], "<u4").tofile("gi_dup.u32")
open("gi_odd.u32", "wb").write(b"\0" * 6)
np.save("gi_2d.npy", np.zeros((2, 2), "<u4"))
np.save("gi_neg.npy", np.array([0, -4], "<i8"))
np.array([60000, 1, 2, 3] * 10, "<u2").tofile("vocab.bin")
PY
printf '0\n3\n7\n' > idx_range.txt
printf '0\nx1\n' > idx_text.txt
printf '4\n1\n4\n' > idx_dup.txt
printf '{"tokens": [1, 2]}\n{"tokens": [1, 2\n' > bad_json.jsonl
printf '{"text": "hi"}\n' > no_tokens.jsonl
printf '[1, 2, 3]\n' > not_obj.jsonl
printf '{"tokens": [1, -2]}\n' > neg.jsonl
printf '{"tokens": [1, 4294967296]}\n' > big.jsonl
printf '{"tokens": [[1, 2], [3]]}\n' > nested.jsonl
printf '{"tokens": [1.5]}\n' > real.jsonl
printf '{"tokens": []}\n' > empty.jsonl
printf '{"tokens": "1 2"}\n' > str.jsonl
printf '{"tokens": [1], "input_ids": [1]}\n' > both.jsonl
printf '{"tokens": [1], "id": true}\n' > bad_id.jsonl
printf '{"tokens": [1], "domain": 3}\n' > bad_domain.jsonl
printf '{"tokens": [1], "id": "a"}\n{"tokens": [2], "id": "b"}\n{"tokens": [3], "id": "a"}\n' > dup_id.jsonl
printf '{"tokens": [1, 50304]}\n' > vocab.jsonl

R="$BIN/reader"
RAW="--dtype u16 --seq-len 8"
# case NAME CODE FRAGMENT ARGS: must fail so, and leave no -o file
case_() {
  local name="$1" code="$2" frag="$3" args="$4"
  must_fail "$name" "$code" "$frag" "$R $args -o out.mpk"
  no_file "$name: no output file" out.mpk
}

# files
case_ "missing file" 1 "reader: error: nope.bin: cannot open: No such file" "$RAW nope.bin"
case_ "missing second file" 1 "nope.npy: cannot open" "ok.npy nope.npy"
case_ "a directory" 1 "is a directory" "$RAW ."
case_ "raw size not whole tokens" 1 "odd.bin: size 3 is not a whole number of u16 tokens" "$RAW odd.bin"
case_ "truncated .npy data" 1 "trunc.npy: truncated .npy: shape (3, 4) of <u2 needs 24 data bytes, the file has 21" "trunc.npy"
case_ "truncated .npy header" 1 "trunchdr.npy: truncated .npy header" "trunchdr.npy"
case_ ".npy with trailing bytes" 1 "trail.npy: .npy has 2 bytes after the data" "trail.npy"
case_ ".npy <f4" 1 "f4.npy: .npy dtype '<f4' is not a token dtype" "f4.npy"
case_ ".npy |u1" 1 "dtype '|u1' is not a token dtype" "u1.npy"
case_ ".npy big-endian" 1 "dtype '>u2' is not a token dtype" "be.npy"
case_ ".npy <u8 tokens" 1 "u8.npy: .npy dtype '<u8' is not a token dtype" "u8.npy"
case_ ".npy 3-D" 1 "more than 2 dimensions" "d3.npy"
case_ ".npy scalar" 1 "is a scalar" "scalar.npy"
case_ ".npy Fortran order" 1 "fort.npy: .npy array is in Fortran order" "fort.npy"
case_ ".npy version 4" 1 "v4.npy: .npy format version 4.0 not supported" "v4.npy"
case_ "raw file named .npy" 1 "ok.bin: not a .npy file" "--format npy ok.bin"
case_ "raw file named .npy: hint" 1 "use --format raw" "--format npy ok.bin"
case_ ".npy negative token" 1 "neg.npy: row 1, position 1: value -1 is not a token id" "neg.npy"
case_ ".npy token above 2^32-1" 1 "huge.npy: row 0, position 1: value 8589934592 is not a token id" "huge.npy"
case_ ".npy rows without tokens" 1 "have no tokens" "empty_rows.npy"
case_ ".npy --dtype mismatch" 1 "ok.npy: array dtype is u16, --dtype says u32" "--dtype u32 ok.npy"
case_ ".npy 2-D --seq-len mismatch" 1 "ok.npy: rows have 4 tokens, --seq-len says 8" "--seq-len 8 ok.npy"
case_ "1-D .npy without --seq-len" 2 "one_d.npy: a 1-D array needs --seq-len" "one_d.npy"

# --vocab-size
case_ "raw token >= --vocab-size" 1 "vocab.bin: instance 0, position 0: token id 60000 >= --vocab-size 50304" "$RAW --vocab-size 50304 vocab.bin"
case_ "jsonl token >= --vocab-size" 1 "vocab.jsonl:1, position 1: token id 50304 >= --vocab-size 50304" "--vocab-size 50304 vocab.jsonl"
check "a token just below --vocab-size passes" "$R" --vocab-size 50305 vocab.jsonl
check "--vocab-size checks only the kept tokens" "$R" --vocab-size 50304 --max-tokens 1 vocab.jsonl

# JSON Lines
case_ "invalid JSON" 1 "bad_json.jsonl:2: invalid JSON" "bad_json.jsonl"
case_ "text without a tokenizer" 1 "no_tokens.jsonl:1: text but no token ids: tokenize it with --tokenizer" "no_tokens.jsonl"
case_ "not an object" 1 "not_obj.jsonl:1: not a JSON object" "not_obj.jsonl"
case_ "negative token" 1 "neg.jsonl:1: tokens[1] = -2 is not a token id" "neg.jsonl"
case_ "token above 2^32-1" 1 "big.jsonl:1: tokens[1] = 4294967296 is not a token id" "big.jsonl"
case_ "nested token arrays" 1 "nested.jsonl:1: tokens[0] is not an integer token id (a nested array" "nested.jsonl"
case_ "real token" 1 "real.jsonl:1: tokens[0] is not an integer" "real.jsonl"
case_ "empty tokens" 1 "empty.jsonl:1: \"tokens\" is empty" "empty.jsonl"
case_ "tokens a string" 1 "str.jsonl:1: \"tokens\" is not an array" "str.jsonl"
case_ "tokens and input_ids" 1 "both.jsonl:1: has both" "both.jsonl"
case_ "id neither string nor int" 1 "bad_id.jsonl:1: \"id\" is neither" "bad_id.jsonl"
case_ "domain not a string" 1 "bad_domain.jsonl:1: \"domain\" is not a non-empty string" "bad_domain.jsonl"
case_ "repeated id" 1 "dup_id.jsonl:3: id \"a\" repeats the id of line 1" "dup_id.jsonl"
check "a bad line that is not selected is not read" "$R" --range 0:1 bad_json.jsonl
must_fail "invalid JSON on stdin names stdin" 1 "stdin:2: invalid JSON" "$R < bad_json.jsonl"

# selections out of range
case_ "--range past the end" 1 "--range '2:9': index out of range: the data has 5 instances" "$RAW --range 2:9 ok.bin"
case_ "--indices out of range" 1 "idx_range.txt:3: index 7 out of range: the data has 5 instances" "$RAW --indices idx_range.txt ok.bin"
case_ "--indices not a number" 1 "idx_text.txt:2: 'x1' is not an instance number" "$RAW --indices idx_text.txt ok.bin"
case_ "--indices repeats" 1 "idx_dup.txt: instance 4 is selected twice" "$RAW --indices idx_dup.txt ok.bin"
case_ "--indices missing" 1 "nope.txt: cannot open" "$RAW --indices nope.txt ok.bin"
case_ "--step past the indices file" 1 "gi_bad.u32: step 3 needs global indices [4, 6), the file has 4 (steps 1 to 2 at batch size 2)" "$RAW --step 3 --batch-size 2 --global-indices gi_bad.u32 ok.bin"
case_ "global index out of range" 1 "gi_bad.u32: global index 2 is 99, out of range: the data has 5 instances" "$RAW --step 2 --batch-size 2 --global-indices gi_bad.u32 ok.bin"
check "the step before the bad global index is fine" "$R" $RAW --step 1 --batch-size 2 --global-indices gi_bad.u32 ok.bin
case_ "global indices repeat within a step" 1 "gi_dup.u32: instance 1 is selected twice" "$RAW --step 1 --batch-size 4 --global-indices gi_dup.u32 ok.bin"
case_ "raw global indices of odd size" 1 "gi_odd.u32: size 6 is not a whole number of uint32 indices" "$RAW --step 1 --batch-size 1 --global-indices gi_odd.u32 ok.bin"
case_ "2-D global indices" 1 "gi_2d.npy: global indices must be a 1-D array" "$RAW --step 1 --batch-size 1 --global-indices gi_2d.npy ok.bin"
case_ "negative global index" 1 "gi_neg.npy: global index 1 is -4, out of range" "$RAW --step 1 --batch-size 2 --global-indices gi_neg.npy ok.bin"
case_ "--sample more than selected" 1 "--sample 6: only 5 instances are selected" "$RAW --sample 6 ok.bin"
case_ "--sample more than the range" 1 "--sample 3: only 2 instances are selected" "$RAW --range 1:3 --sample 3 ok.bin"

# usage errors (exit 2)
case_ "--range backwards" 2 "--range '5:3': start 5 is after end 3" "$RAW --range 5:3 ok.bin"
case_ "--range not numbers" 2 "--range 'a:b': expected A:B" "$RAW --range a:b ok.bin"
case_ "--range without a colon" 2 "--range '4': expected A:B" "$RAW --range 4 ok.bin"
case_ "--range negative" 2 "--range '-1:3': expected A:B" "$RAW --range -1:3 ok.bin"
case_ "--range and --indices" 2 "--range, --indices and --step exclude each other" "$RAW --range 0:1 --indices idx_range.txt ok.bin"
case_ "--step without --batch-size" 2 "--step needs --batch-size and --global-indices" "$RAW --step 1 --global-indices gi_bad.u32 ok.bin"
case_ "--batch-size without --step" 2 "--batch-size and --global-indices go with --step" "$RAW --batch-size 4 ok.bin"
case_ "--step 0" 2 "--step must be in" "$RAW --step 0 --batch-size 2 --global-indices gi_bad.u32 ok.bin"
case_ "--seed without --sample" 2 "--seed goes with --sample" "$RAW --seed 3 ok.bin"
case_ "--sample 0" 2 "--sample must be in" "$RAW --sample 0 ok.bin"
case_ "--vocab-size 0" 2 "--vocab-size must be in" "$RAW --vocab-size 0 ok.bin"
case_ "--seq-len not a number" 2 "--seq-len wants an integer, got 'x'" "--dtype u16 --seq-len x ok.bin"
case_ "raw without --dtype" 2 "raw token files need --dtype (u16 or u32) and --seq-len" "--seq-len 8 ok.bin"
case_ "raw without --seq-len" 2 "raw token files need --dtype" "--dtype u16 ok.bin"
case_ "--dtype unknown" 2 "--dtype 'u8': expected u16 or u32" "--dtype u8 --seq-len 8 ok.bin"
case_ "--format unknown" 2 "--format 'csv': expected raw, npy, jsonl or text" "--format csv ok.bin"
case_ "raw from stdin" 2 "raw token data cannot come from stdin" "--format raw $RAW - < ok.bin"
case_ ".npy from stdin" 2 ".npy token data cannot come from stdin" "--format npy - < ok.npy"
case_ "mixed formats" 2 "ok.npy and d.jsonl are of different formats" "ok.npy d.jsonl"
case_ "--indices from stdin with data from stdin" 2 "cannot both come from stdin" "--indices - < neg.jsonl"
case_ "unknown option" 2 "unknown option '--rang'" "--rang 1:2 ok.npy"
case_ "empty --domain" 2 "--domain must not be empty" "--domain '' ok.npy"
must_fail "a bad file fails the same without -o" 1 "f4.npy: .npy dtype" "$R f4.npy"
check_sh "empty JSON Lines input: a header and no samples" "$R < /dev/null | $BIN/dump | wc -l | grep -qx 1"
check_sh "downstream closing the pipe is a quiet end" \
  "$PY -c 'import numpy as np; np.save(\"many.npy\", np.zeros((200000, 8), \"<u2\"))' && $R many.npy | head -c 100 > /dev/null"
case_ "--seq-len with JSON Lines" 2 "--dtype and --seq-len do not apply to JSON Lines" "--seq-len 4 neg.jsonl"
case_ "--dtype with JSON Lines from stdin" 2 "--dtype and --seq-len do not apply to JSON Lines" "--dtype u16 < neg.jsonl"
