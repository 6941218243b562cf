#!/usr/bin/env bash
# bench-tokenize.sh [MB]: grokmon's tokenizer (tests/tools/tokenize) beside the
# reference, tokenizers.js (the JavaScript port of HF tokenizers, node), in
# the same run on the same text: MB of mixed text (default 100: English prose,
# code, digits, CJK, emoji; one document per line), per tokenizer kind (GPT-2 /
# OLMo byte-level, Qwen2 byte-level with its split regex, Llama-2-style byte
# fallback). One thread each. Prints MB/s and the ratio; both must give the same
# token count. Needs make test's tools (build/rel/tools) and install-deps test.
set -euo pipefail
cd "$(dirname "$0")/.."
MB=${1:-100}
TOOLS=${GM_TOOLS:-build/rel/tools}
JS=tests/reference/js
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -x "$TOOLS/tokenize" ] || make -s "$TOOLS/tokenize"
/usr/bin/python3 tests/reference/make_tokenizers.py "$tmp/toks"
/usr/bin/python3 - "$tmp/text.txt" "$MB" <<'PY'
import random, sys
rng = random.Random(14)
words = ("the model routes each token to a few experts per layer and the loss stays flat while "
         "generalization arrives much later in training it's they're we've").split()
code = ["def f(x):", "    return [y ** 2 for y in x if y % 2 == 0]", "for (int i = 0; i < n; ++i) {",
        "    sum += a[i] * b[i];", "}", "x = {'key': 42, \"other\": [1, 2, 3]}"]
other = ["東京は日本の首都です", "机器学习模型", "naïve café", "😀 👍🏽 🇩🇪", "2024-06-27 12:34:56", "3.14159 1,000,000"]
target = int(float(sys.argv[2]) * 1e6)
out, size = [], 0
while size < target:
    r = rng.random()
    if r < 0.6:
        line = " ".join(rng.choice(words) for _ in range(rng.randint(5, 40))).capitalize() + "."
    elif r < 0.85:
        line = rng.choice(code)
    else:
        line = " ".join(rng.choice(other) for _ in range(rng.randint(1, 5)))
    out.append(line)
    size += len(line.encode()) + 1
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY
bytes=$(stat -c %s "$tmp/text.txt")
printf 'bench-tokenize: %.1f MB of mixed text, one document per line, 1 thread each\n' "$(echo "$bytes / 1000000" | bc -l)"
printf '%-8s %12s %10s %12s %10s %8s\n' kind tokens "C MB/s" "JS tokens" "JS MB/s" ratio
for k in olmo qwen2 llama2; do
  read -r ct _ _ _ cs _ < <(taskset -c 0 "$TOOLS/tokenize" --count "$tmp/toks/$k.json" "$tmp/text.txt")
  read -r jt _ _ _ js _ < <(taskset -c 0 node --max-old-space-size=8192 "$JS/tokenize_ref.mjs" --count "$tmp/toks/$k.json" "$tmp/text.txt")
  awk -v k="$k" -v b="$bytes" -v ct="$ct" -v cs="$cs" -v jt="$jt" -v js="$js" 'BEGIN {
    printf "%-8s %12d %10.1f %12d %10.2f %7.1fx%s\n", k, ct, b / 1e6 / cs, jt, b / 1e6 / js, js / cs,
      (ct == jt ? "" : "  TOKEN COUNTS DIFFER") }'
done
