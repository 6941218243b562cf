#!/usr/bin/env bash
# reader_sources.sh: every source format of the reader (raw u16/u32 windows,
# several files concatenated; .npy 1-D/2-D, dtypes u2/u4/i4/i8, versions
# 1/2/3; JSON Lines from a file and stdin), output options, the header, and
# the --help examples. Tokens are checked against numpy slicing
# (tests/stage/reader_ref.py), never against values the reader computed.
source "$GM_ROOT/tests/lib.sh"
REF="$ROOT/tests/stage/reader_ref.py"
cd "$TMP"

$PY - <<'PY'
import json
import numpy as np
rng = np.random.default_rng(7)
rng.integers(0, 50304, 5 * 8 + 3).astype("<u2").tofile("a.bin")   # 5 windows + a partial one
rng.integers(0, 50304, 3 * 8).astype("<u2").tofile("b.bin")
big = rng.integers(0, 2**32, 4 * 8, dtype=np.uint64).astype("<u4")
big[5] = 2**32 - 1
big.tofile("c32.bin")
np.lib.format.write_array(open("w1.npy", "wb"), rng.integers(0, 50304, 37).astype("<u2"), version=(1, 0))
np.lib.format.write_array(open("w2.npy", "wb"), rng.integers(0, 2**31, 16).astype("<u4"), version=(2, 0))
np.lib.format.write_array(open("r.npy", "wb"), rng.integers(0, 50304, (5, 6)).astype("<i4"), version=(3, 0))
np.save("r64.npy", rng.integers(0, 50304, (3, 9)).astype("<i8"))
lines = [
    {"tokens": [5, 6, 7], "id": "doc-a", "domain": "math"},
    {"input_ids": [1, 2, 3, 4], "id": 17},
    {"tokens": [9], "domain": "code", "text": "ignored"},
    {"tokens": [4294967295, 0]},
]
with open("d.jsonl", "w") as f:
    f.write(json.dumps(lines[0]) + "\n\n   \n")
    f.write(json.dumps(lines[1]) + "\r\n")
    f.write(json.dumps(lines[2]) + "\n")
    f.write(json.dumps(lines[3]))            # no final newline
with open("e.json", "w") as f:
    f.write(json.dumps({"tokens": [8, 8]}) + "\n")
PY

# matches NAME ARGS... FILES: reader output equals the numpy reference.
matches() {
  local name="$1"; shift
  if ! "$BIN/reader" "$@" >out.mpk 2>err.txt; then
    not_ok "$name" "reader failed: $(cat err.txt)"; return
  fi
  "$BIN/dump" out.mpk >out.jsonl
  local msg
  if msg=$($PY "$REF" check out.jsonl "$@" 2>&1); then ok "$name"; else not_ok "$name" "$msg"; fi
}
# matches_pipe NAME FILE ARGS...: the reader reads FILE through a pipe (named
# FILE's base name by --source), the reference reads FILE itself.
matches_pipe() {
  local name="$1" file="$2"; shift 2
  if ! "$BIN/reader" --source "$file" "$@" <(cat "$file") >out.mpk 2>err.txt; then
    not_ok "$name" "reader failed: $(cat err.txt)"; return
  fi
  "$BIN/dump" out.mpk >out.jsonl
  local msg
  if msg=$($PY "$REF" check out.jsonl "$@" "$file" 2>&1); then ok "$name"; else not_ok "$name" "$msg"; fi
}
samples() { grep -v '"type":"header"'; } # sample lines of dump output
export -f samples

matches "raw u16, two files concatenate, partial window dropped" --dtype u16 --seq-len 8 a.bin b.bin
check_sh "raw u16: 5 + 3 instances" "$BIN/reader --dtype u16 --seq-len 8 a.bin b.bin | $BIN/dump | grep -c '\"type\":\"sample\"' | grep -qx 8"
matches "raw u32 (ids up to 2^32-1)" --dtype u32 --seq-len 8 c32.bin
matches "raw, other window length" --dtype u16 --seq-len 5 b.bin a.bin
matches "raw from a path in a folder: source is the base name" --dtype u16 --seq-len 8 "$TMP/a.bin"
matches_pipe "raw through a pipe (not mmappable)" a.bin --format raw --dtype u16 --seq-len 8
matches "npy 1-D <u2 v1.0 in windows" --seq-len 8 w1.npy
matches "npy 1-D <u4 v2.0" --seq-len 4 w2.npy
matches "npy 2-D <i4 v3.0 rows" r.npy
matches "npy 2-D <i4 + <i8 concatenate (rows of 6 and 9)" r.npy r64.npy
matches "npy --dtype matching the file" --dtype u16 --seq-len 8 w1.npy
matches "jsonl: tokens/input_ids, own id/domain, blank lines, CRLF" --domain web d.jsonl
matches "jsonl + .json concatenate" d.jsonl e.json
matches "--max-tokens truncates" --max-tokens 3 --dtype u16 --seq-len 8 a.bin
matches "--max-tokens longer than the sample" --max-tokens 100 r.npy
matches_pipe "--format jsonl through a pipe" d.jsonl --format jsonl --domain x

check_sh "jsonl from stdin, no file argument" "$BIN/reader --domain web < d.jsonl | $BIN/dump | samples > stdin.jsonl"
check_sh "jsonl from stdin: same samples, source 'stdin'" \
  "$BIN/reader --domain web d.jsonl | $BIN/dump | samples | sed 's/d\\.jsonl/stdin/g' | cmp - stdin.jsonl && grep -q '\"id\":\"stdin:3\"' stdin.jsonl"
check_sh "jsonl from stdin via '-'" "$BIN/reader --domain web - < d.jsonl | $BIN/dump | samples | cmp - stdin.jsonl"
check_sh "--source names the samples" \
  "$BIN/reader --source corpus < d.jsonl | $BIN/dump | grep -q '\"id\":\"corpus:3\",\"domain\":\"unlabeled\",\"source\":\"corpus\",\"index\":3'"
check_sh "jsonl from stdin, LZ4-compressed" \
  "lz4 -q -c d.jsonl | $BIN/reader --domain web | $BIN/dump | samples | cmp - stdin.jsonl"

# output options: -o is atomic, -z and a .lz4 name compress; the content is the same
check "-o FILE" "$BIN/reader" --dtype u16 --seq-len 8 -o o.mpk a.bin
check "-z" bash -c "'$BIN/reader' -z --dtype u16 --seq-len 8 a.bin > o.mpk.z"
check "-o FILE.lz4" "$BIN/reader" --dtype u16 --seq-len 8 -o o.mpk.lz4 a.bin
check_sh "-z and .lz4 outputs are LZ4 frames" \
  "head -c 4 o.mpk.z | od -An -tx1 | grep -q '04 22 4d 18' && head -c 4 o.mpk.lz4 | od -An -tx1 | grep -q '04 22 4d 18'"
check_sh "compressed and plain outputs hold the same records" \
  "cmp <($BIN/dump o.mpk) <($BIN/dump o.mpk.z) && cmp <($BIN/dump o.mpk) <($BIN/dump o.mpk.lz4)"
check_sh "same run, same bytes" "$BIN/reader --dtype u16 --seq-len 8 a.bin | cmp - o.mpk"

# the header records the data options and the files
"$BIN/reader" --dtype u16 --seq-len 8 --range 1:3 --domain math --vocab-size 50304 a.bin b.bin -o h.mpk
check_sh "header records files and data options" "$BIN/dump h.mpk | head -1 | $PY -c '
import json, sys
h = json.loads(sys.stdin.readline())
o = h[\"options\"]
assert h[\"type\"] == \"header\" and h[\"stage\"] == \"reader\", h
assert o[\"input\"] == [\"a.bin\", \"b.bin\"], o
assert (o[\"dtype\"], o[\"seq-len\"], o[\"range\"], o[\"domain\"], o[\"vocab-size\"]) == (\"u16\", 8, \"1:3\", \"math\", 50304), o
assert \"output\" not in o, o
'"
check_sh "a sample record has exactly the schema's fields" "$BIN/dump h.mpk | sed -n 2p | $PY -c '
import json, sys
r = json.loads(sys.stdin.readline())
assert sorted(r) == sorted([\"type\", \"id\", \"domain\", \"source\", \"index\", \"tokens\"]), r
assert r[\"type\"] == \"sample\" and r[\"id\"] == \"a.bin:1\" and r[\"domain\"] == \"math\", r
'"
check_sh "--help goes to stdout, exit 0" "$BIN/reader --help | grep -q 'Usage: reader'"
check_sh "--version" "$BIN/reader --version | grep -qx 'reader [0-9.]*'"
check_sh "refuses to write records to a terminal" "! script -qec '$BIN/reader d.jsonl' /dev/null >/dev/null 2>&1"

# the --help examples, with generated files of the names they use
$PY - <<'PY'
import json
import numpy as np
rng = np.random.default_rng(3)
np.save("math.npy", rng.integers(0, 50304, (1200, 16)).astype("<u2"))
rng.integers(0, 50304, 6 * 4096).astype("<u2").tofile("part-0-00000.npy")   # OLMo: raw despite .npy
rng.integers(0, 50304, 4 * 4096).astype("<u2").tofile("part-1-00000.npy")
np.save("global_indices.npy", rng.permutation(10).astype("<u4"))
with open("samples.jsonl", "w") as f:
    for i in range(3):
        f.write(json.dumps({"tokens": rng.integers(0, 50304, 600).tolist()}) + "\n")
PY
matches "help example 1 (reader part)" --domain math --sample 1000 --seed 1 math.npy
check_sh "help example 2 (step 245000 needs a longer index file: a clear error)" \
  "! $BIN/reader --format raw --dtype u16 --seq-len 4096 --step 245000 --batch-size 1024 --global-indices global_indices.npy part-0-00000.npy part-1-00000.npy -o step.mpk 2>&1 | grep -q 'steps 1 to 0 at batch size 1024'"
matches "help example 2 at a step the made-up file has" \
  --format raw --dtype u16 --seq-len 4096 --step 2 --batch-size 4 --global-indices global_indices.npy part-0-00000.npy part-1-00000.npy
check_sh "help example 3" "$BIN/reader --max-tokens 512 --vocab-size 50304 < samples.jsonl | $BIN/dump --brief 8 | tail -1 | grep -q '\"index\":2'"
matches "help example 3 tokens" --max-tokens 512 samples.jsonl

# Large files are memory-mapped, not read whole: a sparse 6 GiB raw file (offsets past
# 2^32), an instance near its end, in well under 100 MB of memory.
$PY - <<'PY'
import numpy as np
with open("huge.bin", "wb") as f:
    f.truncate(6 << 30)                       # 6 GiB of zeros, sparse: no disk used
    n = (6 << 30) // (2 * 4096)               # 786432 instances of 4096 u16 tokens
    f.seek((n - 2) * 2 * 4096)
    f.write(np.arange(4096, dtype="<u2").tobytes())
PY
check_sh "6 GiB raw file: the instance near its end, in < 100 MB RSS" "$PY -c '
import json, resource, subprocess
out = subprocess.run([\"$BIN/reader\", \"--dtype\", \"u16\", \"--seq-len\", \"4096\", \"--range\", \"786430:786432\", \"huge.bin\"], capture_output=True, check=True).stdout
rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
lines = subprocess.run([\"$BIN/dump\"], input=out, capture_output=True, check=True).stdout.decode().splitlines()
recs = [json.loads(l) for l in lines[1:]]
assert [r[\"index\"] for r in recs] == [786430, 786431], [r[\"index\"] for r in recs]
assert recs[0][\"tokens\"] == list(range(4096)) and recs[1][\"tokens\"] == [0] * 4096
assert rss_mb < 100, rss_mb
'"
rm -f huge.bin
check_sh "--progress reports on stderr" "$BIN/reader --progress --dtype u16 --seq-len 8 a.bin 2>&1 >/dev/null | grep -q 'samples'"
lz4 -q -f d.jsonl d.jsonl.lz4
check_sh "a .jsonl.lz4 file reads as its text" \
  "cmp <($BIN/reader --domain web d.jsonl.lz4 | $BIN/dump | samples | sed 's/d\\.jsonl\\.lz4/d.jsonl/g') <($BIN/reader --domain web d.jsonl | $BIN/dump | samples)"
