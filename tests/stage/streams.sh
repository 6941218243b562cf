# streams.sh: record streams through real programs (dump, the passthrough
# tool): JSON round trips, LZ4 vs plain, concatenation, corrupt and truncated
# input, unknown records passing through, atomic -o, closed pipes, CLI basics.
. "$(dirname "$0")/../lib.sh"
D=$BIN/dump P=$TOOLS/passthrough

cat >"$TMP/in.jsonl" <<'J'
{"type":"sample","id":"a:0","domain":"math","source":"a","index":0,"tokens":[1,2,3,4000000000]}
{"type":"mystery","nested":{"k":[1,2.5,"s",null,true]},"raw":{"$hex":"00ff10"}}
{"type":"trace","id":"a:0","token_nll":[0.1,2.5,"NaN"],"router_mean":[0.25,0.75]}
J
check "from-json writes a stream" $D --from-json "$TMP/in.jsonl" -o "$TMP/a.mpk"
$D "$TMP/a.mpk" >"$TMP/a.jsonl"
check "dump | from-json | dump round-trips" bash -c "$D --from-json '$TMP/a.jsonl' | $D | cmp - '$TMP/a.jsonl'"
check "records keep their values" grep -q '"tokens":\[1,2,3,4000000000\]' "$TMP/a.jsonl"
check "unknown bin kept as hex" grep -q '"raw":{"\$hex":"00ff10"}' "$TMP/a.jsonl"

$P "$TMP/a.mpk" -o "$TMP/p.mpk"
$P "$TMP/a.mpk" -o "$TMP/p.mpk.lz4"
$P -z "$TMP/a.mpk" >"$TMP/pz.mpk"
check "a .lz4 name compresses" bash -c "head -c4 '$TMP/p.mpk.lz4' | od -An -tx1 | grep -q '04 22 4d 18'"
check "-z compresses" bash -c "head -c4 '$TMP/pz.mpk' | od -An -tx1 | grep -q '04 22 4d 18'"
check "lz4 and plain give identical records" bash -c "cmp <($D '$TMP/p.mpk') <($D '$TMP/p.mpk.lz4')"
check "lz4 -d gives the plain bytes" bash -c "lz4 -dc '$TMP/p.mpk.lz4' | cmp - '$TMP/p.mpk'"
check "unknown records pass through unchanged" bash -c "cmp <($D '$TMP/a.mpk' | tail -n +2) <($D '$TMP/p.mpk' | tail -n +2)"
check "the output header carries the input header" bash -c "$D '$TMP/p.mpk' | head -1 | grep -q '\"inputs\":\[{\"type\":\"header\",\"format\":\"grokmon\",\"schema_version\":1,\"stage\":\"dump\"'"
check "concatenated frames read as one stream" bash -c "[ \$(cat '$TMP/p.mpk.lz4' '$TMP/p.mpk.lz4' | $D | grep -vc '\"type\":\"header\"') -eq 6 ]"
check "concatenated plain streams read as one stream" bash -c "[ \$(cat '$TMP/p.mpk' '$TMP/a.mpk' | $P | $D | grep -vc '\"type\":\"header\"') -eq 6 ]"
check "concatenated streams: a stage writes a header of its own over each input header" \
  bash -c "[ \$(cat '$TMP/p.mpk' '$TMP/a.mpk' | $P | $D | grep -c '^{\"type\":\"header\",\"format\":\"grokmon\",\"schema_version\":1,\"stage\":\"passthrough\"') -eq 2 ]"
check "plain after lz4 reads as one stream" bash -c "[ \$(cat '$TMP/p.mpk.lz4' '$TMP/a.mpk' | $D | grep -vc '\"type\":\"header\"') -eq 6 ]"

size=$(stat -c %s "$TMP/p.mpk")
head -c $((size - 3)) "$TMP/p.mpk" >"$TMP/cut.mpk"
must_fail "truncated stream: exit 1 with record and offset" 1 "truncated record: the stream ends inside it ($TMP/cut.mpk: record 4 at byte" \
  "$P '$TMP/cut.mpk' -o '$TMP/never.mpk'"
no_file "no output left after a failed run" "$TMP/never.mpk"
$PY - "$TMP/p.mpk.lz4" "$TMP/flip.lz4" <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read()); b[len(b) // 2] ^= 0x5a
open(sys.argv[2], 'wb').write(b)
PY
must_fail "flipped byte in an LZ4 frame: exit 1" 1 "corrupt LZ4 frame" "$D '$TMP/flip.lz4'"
head -c $(( $(stat -c %s "$TMP/p.mpk.lz4") - 6 )) "$TMP/p.mpk.lz4" >"$TMP/cut.lz4"
must_fail "truncated LZ4 frame: exit 1" 1 "truncated LZ4 frame" "$D '$TMP/cut.lz4'"
must_fail "empty input" 1 "empty input: no header record" "$D </dev/null"
must_fail "not msgpack" 1 "not valid msgpack" "printf '\xc1 hello' | $D"
must_fail "not a grokmon stream" 1 "first record is not a header" "$D --from-json '$TMP/in.jsonl' | tail -c +2 | $D"
echo '{"type":"header","format":"grokmon","schema_version":99,"stage":"x","version":"0","options":{},"inputs":[]}' >"$TMP/v99.jsonl"
must_fail "wrong header version" 1 "unsupported schema version 99 (this build reads version 1)" \
  "$D --from-json '$TMP/v99.jsonl' | $P -o '$TMP/v99.mpk'"
no_file "no output for a wrong version" "$TMP/v99.mpk"
must_fail "bad JSON line named" 1 "stdin:2: invalid JSON" "printf '{\"type\":\"a\"}\n{nope\n' | $D --from-json -o '$TMP/j.mpk'"
no_file "no output for bad JSON" "$TMP/j.mpk"
must_fail "vector field with a non-number" 1 "field \"tokens\": element 1 is a string, not a u32" \
  "echo '{\"type\":\"sample\",\"tokens\":[1,\"x\"]}' | $D --from-json -o '$TMP/j.mpk'"

# Atomic -o: a writer killed midway leaves neither the file nor its temporary.
( $D --from-json "$TMP/in.jsonl"; sleep 30 ) | $P -o "$TMP/killed.mpk" &
pid=$!
sleep 0.5
check "the temporary exists while writing" compgen -G "$TMP/.killed.mpk.tmp*"
pkill -TERM -f "passthrough -o $TMP/killed.mpk"
wait $pid 2>/dev/null
no_file "killed writer leaves no file" "$TMP/killed.mpk"
pkill -f "sleep 30" 2>/dev/null

# A closed downstream pipe is a quiet end.
$PY -c "
import json
print(json.dumps({'type':'sample','id':'x','tokens':list(range(2000))}))
" >"$TMP/one.jsonl"
for i in $(seq 1 12); do cat "$TMP/one.jsonl"; done >"$TMP/many.jsonl"
for i in $(seq 1 6); do cat "$TMP/many.jsonl"; done >"$TMP/more.jsonl"
$D --from-json "$TMP/more.jsonl" -o "$TMP/many.mpk"
for i in $(seq 1 40); do echo "$TMP/many.mpk"; done | xargs cat >"$TMP/big.mpk"
bash -c "$P '$TMP/big.mpk' | head -c 100 >/dev/null; exit \${PIPESTATUS[0]}" 2>"$TMP/pipe.err"
rc=$?
if [ $rc -eq 0 ] && [ ! -s "$TMP/pipe.err" ]; then ok "closed pipe: quiet exit 0"; else not_ok "closed pipe: quiet exit 0" "rc=$rc $(cat "$TMP/pipe.err")"; fi

check "--help exits 0 with usage and example" bash -c "$D --help | grep -q '^Example:'"
check "--version" bash -c "$D --version | grep -q '^dump '"
must_fail "unknown option: exit 2" 2 "unknown option '--nope'" "$D --nope"
must_fail "bad integer: exit 2" 2 "--brief wants an integer" "$D --brief x"
must_fail "missing input file" 1 "cannot open" "$D '$TMP/absent.mpk'"
