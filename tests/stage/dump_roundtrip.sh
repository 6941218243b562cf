#!/usr/bin/env bash
# dump_roundtrip.sh: `dump | dump --from-json` gives back every stage's output
# byte for byte (issue 16): sample, trace (with --emit-topk and --emit-probs),
# pathway, calibration, membership and metric records (all pairs, sampled,
# --no-wide, --membership-only), their headers with nested inputs, and dump's
# own; names with bytes that are not UTF-8 (escaped as \udcXX, docs/records.md
# "JSON Lines"), reals that are whole numbers (2.0 stays a float), NaN losses
# and nil values. Then what --from-json refuses: a vector field that is not an
# array of its element type (one line naming the field and the line, exit 1,
# no -o file).
source "$(dirname "$0")/../lib.sh"
D=$BIN/dump

# ---- material: two tiny checkpoints, samples in two domains whose names and
# source are not UTF-8, one sample of a single token (no loss: nil, NaN)
mkdir -p "$TMP/ck"
"$TOOLS/gen-checkpoint" --preset tiny --seed 3 "$TMP/ck/step100" >/dev/null
"$TOOLS/gen-checkpoint" --preset tiny --seed 4 "$TMP/ck/step200" >/dev/null
$PY - "$TMP/samples.jsonl" <<'EOF'
import random, sys
r = random.Random(2)
with open(sys.argv[1], "w") as f:
    for i in range(12):
        dom = "math" if i % 2 else "codeXFF"  # XFF, XE9: the bytes 0xff, 0xe9, put in below
        n = 1 if i == 5 else r.randrange(4, 20)
        f.write('{"id":"s%dXE9","domain":"%s","tokens":[%s]}\n'
                % (i, dom, ",".join(str(r.randrange(256)) for _ in range(n))))
EOF
# JSON Lines ids and domains are text: put the bytes in through dump's escape
"$BIN/reader" --source "$(printf 'src\xfe')" "$TMP/samples.jsonl" -o "$TMP/plain-samples.mpk" 2>"$TMP/r.err" \
  || not_ok "reader makes samples" "$(cat "$TMP/r.err")"
$D "$TMP/plain-samples.mpk" | sed 's/XFF/\\udcff/g; s/XE9/\\udce9/g' | $D --from-json -o "$TMP/samples.mpk"
check_sh "material: a sample's id and domain hold bytes that are not UTF-8" \
  "$D '$TMP/samples.mpk' | grep -q '\"id\":\"s0\\\\udce9\",\"domain\":\"code\\\\udcff\"'"
for s in 100 200; do
  "$BIN/router-trace" -j 1 --emit-topk --emit-probs --model "$TMP/ck/step$s" "$TMP/samples.mpk" -o "$TMP/traces$s.mpk"
  "$BIN/pathway-encode" --model "$TMP/ck/step$s" "$TMP/traces$s.mpk" -o "$TMP/paths$s.mpk"
done
MR=$BIN/metric-reduce
$MR "$TMP/paths100.mpk" "$TMP/paths200.mpk" -o "$TMP/metrics.mpk" 2>/dev/null
$MR --pairs 3 --seed 2 "$TMP/paths100.mpk" "$TMP/paths200.mpk" -o "$TMP/metrics-sampled.mpk" 2>/dev/null
$MR --no-wide --distance experts "$TMP/paths100.mpk" "$TMP/paths200.mpk" -o "$TMP/metrics-nowide.mpk" 2>/dev/null
$MR --membership-only --eps 3 "$TMP/paths100.mpk" "$TMP/paths200.mpk" -o "$TMP/members.mpk" 2>/dev/null
$MR --membership "$TMP/members.mpk" "$TMP/paths200.mpk" -o "$TMP/metrics200.mpk" 2>/dev/null
printf '{"type":"note","text":"hand-made","n":2.0,"m":2,"v":[1,2.5]}\n' | $D --from-json -o "$TMP/made.mpk"

check_sh "material: float64 2.0 prints as 2.0, not 2" \
  "$D '$TMP/made.mpk' | tail -1 | grep -qF '\"n\":2.0,\"m\":2,'"
check_sh "material: a NaN loss and a nil layer_distance are there" \
  "$D '$TMP/members.mpk' | grep -q '\"losses\":\[\"NaN\",\"NaN\"\]' &&
   $D '$TMP/paths100.mpk' | grep -q '\"loss\":null'"

# ---- the round trip, byte for byte
for f in plain-samples samples traces100 traces200 paths100 paths200 metrics metrics-sampled \
         metrics-nowide members metrics200 made; do
  check_sh "round trip: $f.mpk" "$D '$TMP/$f.mpk' | $D --from-json | cmp - '$TMP/$f.mpk'"
done
check_sh "round trip: the record types covered" \
  "for f in '$TMP'/*.mpk; do $D \"\$f\"; done | grep -o '^{\"type\":\"[a-z]*\"' | sort -u | tr -d '\n' |
   grep -qx '{\"type\":\"calibration\"{\"type\":\"header\"{\"type\":\"membership\"{\"type\":\"metric\"{\"type\":\"note\"{\"type\":\"pathway\"{\"type\":\"sample\"{\"type\":\"trace\"'"
cat "$TMP/samples.mpk" "$TMP/metrics.mpk" >"$TMP/cat.mpk"
check_sh "round trip: a concatenation of streams (two headers)" "$D '$TMP/cat.mpk' | $D --from-json | cmp - '$TMP/cat.mpk'"
check_sh "round trip: LZ4 in and out" \
  "$D '$TMP/metrics.mpk' | $D --from-json -z -o '$TMP/m.mpk.lz4' && $D '$TMP/m.mpk.lz4' | $D --from-json | cmp - '$TMP/metrics.mpk'"
check_sh "the escape is Python's surrogateescape: the id's bytes come back" \
  "$D '$TMP/samples.mpk' | sed -n 2p | $PY -c \"import json, sys; r = json.loads(sys.stdin.read()); assert r['id'].encode('utf-8', 'surrogateescape') == b's0\\\\xe9', r\""

# ---- strings: every byte value, and the escape's own edge cases
$PY - "$TMP/bytes.mpk" "$TMP/made.mpk" <<'EOF'
import sys
hdr = open(sys.argv[2], "rb").read()
hdr = hdr[:hdr.index(b"\xa4type\xa4note") - 1]  # the header, up to the note record's fixmap
def s(b): return (bytes([0xa0 | len(b)]) if len(b) < 32 else b"\xd9" + bytes([len(b)])) + b
recs = [bytes(range(256)),                                 # every byte
        "\U0010FFFF".encode() + b"\xf4\x8f\xbf",           # U+10FFFF, then it cut short
        "\U0001F480".encode() + b"\xed\xb3\x80",           # a pair's code point; a surrogate's bytes
        b"\x00\\udc80", b"\xc0\x80\xe0\x80\x80\xf5\x80"]   # NUL, a backslash-u text; overlong forms
out = hdr
for b in recs:
    body = (b"\xda" + len(b).to_bytes(2, "big") + b) if len(b) > 255 else s(b)  # str16, as msgpack-c
    out += b"\x83" + s(b"type") + s(b"str") + s(b"v") + body + s(b"k\xff\x00") + b"\xc3"
open(sys.argv[1], "wb").write(out)
EOF
check_sh "strings: every byte value, U+10FFFF, surrogates, NUL in keys round-trip" \
  "$D '$TMP/bytes.mpk' | $D --from-json | cmp - '$TMP/bytes.mpk'"
check_sh "strings: the JSON is valid UTF-8 that Python reads" \
  "$D '$TMP/bytes.mpk' | $PY -c 'import json, sys; [json.loads(l) for l in sys.stdin.buffer.read().decode().splitlines()]'"
check_sh "strings: a JSON pair \\ud83d\\udc80 is one character, not an escaped byte" \
  "printf '{\"type\":\"x\",\"v\":\"\\\\ud83d\\\\udc80\"}\n' | $D --from-json | $D | tail -1 | grep -q \"\$(printf '\\xf0\\x9f\\x92\\x80')\""

# ---- --from-json refuses what is not a vector where the schema has one
bad() { # NAME FRAGMENT JSON-LINE
  printf '%s\n' '{"type":"x"}' "$3" >"$TMP/bad.jsonl"
  must_fail "--from-json: $1" 1 "$2" "$D --from-json '$TMP/bad.jsonl' -o '$TMP/bad.mpk'"
  no_file "--from-json: $1: no output file" "$TMP/bad.mpk"
}
bad "an object as a vector" 'field "tokens" of a sample record must be an array of u32, not an object (' '{"type":"sample","tokens":{"a":1}}'
bad "a string as a vector" 'field "router_mean" of a trace record must be an array of f32, not a string (' '{"type":"trace","router_mean":"0.5"}'
bad "a number as a vector" 'field "cosines" of a pathway record must be an array of f64, not a real (' '{"type":"pathway","cosines":0.5}'
bad "null as a vector that may not be nil" 'field "layer_counts" of a pathway record must be an array of u16, not null (' '{"type":"pathway","layer_counts":null}'
bad "a bool as a vector" 'field "steps" of a membership record must be an array of u32, not a boolean (' '{"type":"membership","steps":true}'
bad "a real in an integer vector" 'field "tokens": element 1 is a real, not a u32 (' '{"type":"sample","tokens":[1,2.5]}'
bad "a u16 out of range" 'field "topk_ids": element 0 (65536) is out of u16 range (' '{"type":"trace","topk_ids":[65536]}'
bad "an f32 out of range" 'field "probs": element 0 (1e+39) is out of f32 range (' '{"type":"trace","probs":[1e39]}'
bad "null in a vector" 'field "losses": element 0 is null, not a number (f64) (' '{"type":"membership","losses":[null]}'
bad "the line is named" 'bad.jsonl:2)' '{"type":"sample","tokens":"x"}'
bad "a bad \$float" '$float must be "NaN", "Infinity" or "-Infinity"' '{"type":"x","v":{"$float":"nan"}}'
bad "a duplicate key" 'duplicate object key' '{"type":"x","v":1,"v":2}'
check_sh "--from-json: nil where the schema allows it (metric layer_distance)" \
  "printf '{\"type\":\"metric\",\"layer_distance\":null}\n' | $D --from-json | $D | tail -1 | grep -qF '\"layer_distance\":null'"
