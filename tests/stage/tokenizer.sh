# tokenizer.sh: the tokenizer (common/tokenizer_*.c) against the reference,
# tokenizers.js (@huggingface/tokenizers, the JavaScript port of HF tokenizers,
# installed by scripts/install-deps.sh test into tests/reference/js), token for
# token, on a tokenizer.json of each supported kind (tests/reference/
# make_tokenizers.py: GPT-2, OLMo, Qwen2, Llama-3, DeepSeek-V3 byte-level;
# Llama-2 / Mixtral with byte fallback, old and new form; Digits) over the hard
# cases (tests/reference/tokenizers/make_corpus.py); then the reader's text in:
# JSON Lines "text" and text files (per file and per line) give the same ids,
# --append-eos / --prepend-bos add the tokenizer's own ids, --max-tokens cuts.
. "$(dirname "$0")/../lib.sh"
JS=$ROOT/tests/reference/js
if [ ! -d "$JS/node_modules/@huggingface/tokenizers" ]; then
  not_ok "tokenizers.js is installed (scripts/install-deps.sh test runs npm ci in $JS)"
  exit 0
fi
$PY "$ROOT/tests/reference/make_tokenizers.py" "$TMP/toks"
$PY "$ROOT/tests/reference/tokenizers/make_corpus.py" "$TMP/corpus.jsonl"
kinds="gpt2 olmo gpt2_prefix qwen2 llama3 deepseek llama2 metaspace digits"
for k in $kinds; do
  node "$JS/tokenize_ref.mjs" "$TMP/toks/$k.json" "$TMP/corpus.jsonl" >"$TMP/$k.ref" 2>"$TMP/$k.referr"
  "$TOOLS/tokenize" "$TMP/toks/$k.json" "$TMP/corpus.jsonl" >"$TMP/$k.c" 2>"$TMP/$k.cerr"
  check "$k: token for token as tokenizers.js on $(wc -l <"$TMP/corpus.jsonl") texts" \
    $PY - "$TMP/$k.ref" "$TMP/$k.c" <<'PY'
import json, sys
ref = [json.loads(l) for l in open(sys.argv[1])]
mine = [json.loads(l) for l in open(sys.argv[2])]
if len(ref) != len(mine) or not ref:
    sys.exit("%d reference lines, %d ours" % (len(ref), len(mine)))
bad = [i for i, (a, b) in enumerate(zip(ref, mine)) if a != b]
for i in bad[:3]:
    print("text %d: reference %s\n         ours      %s" % (i + 1, ref[i][:40], mine[i][:40]), file=sys.stderr)
print("%d tokens compared" % sum(len(r) for r in ref))
sys.exit(1 if bad else 0)
PY
done

# The reader: JSON Lines "text" (the non-empty texts), with EOS, equals the tool plus EOS.
T=$TMP/toks/qwen2.json
grep -v '{"text": ""}' "$TMP/corpus.jsonl" >"$TMP/texts.jsonl"
"$TOOLS/tokenize" "$T" "$TMP/texts.jsonl" >"$TMP/texts.ids"
check "reader: JSON Lines \"text\" with --append-eos are the tokenizer's ids plus <|endoftext|>" \
  bash -c "'$BIN/reader' --tokenizer '$T' --append-eos --domain d '$TMP/texts.jsonl' | '$BIN/dump' >'$TMP/r.jsonl' &&
  $PY - '$TMP/r.jsonl' '$TMP/texts.ids' '$T' <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])][1:]
ids = [json.loads(l) for l in open(sys.argv[2])]
eos = next(a['id'] for a in json.load(open(sys.argv[3]))['added_tokens'] if a['content'] == '<|endoftext|>')
assert len(recs) == len(ids), (len(recs), len(ids))
for r, i in zip(recs, ids):
    assert r['tokens'] == i + [eos], (r['tokens'][:10], i[:10])
PY"
# a text file per line and the same lines as JSON Lines agree; per file, one document
printf 'first line of text\n\n  second, with 123 digits\nthird: 東京 😀\n' >"$TMP/doc.txt"
printf '{"text": "first line of text"}\n{"text": "  second, with 123 digits"}\n{"text": "third: 東京 😀"}\n' >"$TMP/doc.jsonl"
"$BIN/reader" --tokenizer "$T" --text-unit line "$TMP/doc.txt" | "$BIN/dump" | tail -n +2 | $PY -c 'import json,sys; [print(json.loads(l)["tokens"]) for l in sys.stdin]' >"$TMP/a"
"$BIN/reader" --tokenizer "$T" "$TMP/doc.jsonl" | "$BIN/dump" | tail -n +2 | $PY -c 'import json,sys; [print(json.loads(l)["tokens"]) for l in sys.stdin]' >"$TMP/b"
check "text --text-unit line: three documents" test "$(wc -l <"$TMP/a")" -eq 3
same_file "text by line = the same lines as JSON Lines" "$TMP/a" "$TMP/b"
check_sh "text per file: one document, blank line and all" \
  "'$BIN/reader' --tokenizer '$T' '$TMP/doc.txt' | '$BIN/dump' | tail -n +2 | wc -l | grep -qx 1"
check_sh "--max-tokens cuts tokenized text" \
  "'$BIN/reader' --tokenizer '$T' --max-tokens 3 '$TMP/doc.txt' | '$BIN/dump' | tail -1 | $PY -c 'import json,sys; assert len(json.loads(sys.stdin.read())[\"tokens\"]) == 3'"
# --prepend-bos with the Llama-2 style tokenizer: <s> (id 1) first
check_sh "--prepend-bos: <s> first (Llama-2 style)" \
  "'$BIN/reader' --tokenizer '$TMP/toks/llama2.json' --prepend-bos '$TMP/doc.jsonl' | '$BIN/dump' | tail -n +2 | $PY -c 'import json,sys; assert all(json.loads(l)[\"tokens\"][0] == 1 for l in sys.stdin)'"
# a checkpoint folder holding tokenizer.json
mkdir -p "$TMP/ckpt" && cp "$T" "$TMP/ckpt/tokenizer.json"
check_sh "--tokenizer FOLDER reads FOLDER/tokenizer.json" \
  "cmp <('$BIN/reader' --tokenizer '$TMP/ckpt' '$TMP/doc.jsonl' | '$BIN/dump' | tail -n +2) <('$BIN/reader' --tokenizer '$T' '$TMP/doc.jsonl' | '$BIN/dump' | tail -n +2)"
# invalid UTF-8: replaced on request, the rest unchanged
printf 'ok \xff ok\n' >"$TMP/bad.txt"
printf '{"text": "ok \\ufffd ok\\n"}\n' >"$TMP/fixed.jsonl"
check_sh "--invalid-utf8 replace: the ids of the text with U+FFFD where the bad byte was" \
  "cmp <('$BIN/reader' --tokenizer '$T' --invalid-utf8 replace '$TMP/bad.txt' | '$BIN/dump' | tail -1 | $PY -c 'import json,sys; print(json.loads(sys.stdin.read())[\"tokens\"])') <('$TOOLS/tokenize' '$T' '$TMP/fixed.jsonl' | tr -d ' ' | sed 's/,/, /g')"
