#!/usr/bin/env bash
# bench-distance.sh: pairs per second of the pathway edit distance (issue 4):
# grokmon's kernels beside the plain DP and edlib (one edlibAlign call per
# pair), one thread and all threads, on OLMoE-like pathway strings (16 layers,
# 64 experts, tau 0.7, ~1000 chars); characters, then expert-id symbols.
# Arguments go to both runs: scripts/bench-distance.sh --strings 300 --rounds 5
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
make --no-print-directory -s build/rel/tools/bench-distance
bench=build/rel/tools/bench-distance
echo "== characters (the paper's comparison)"
"$bench" "$@"
echo
echo "== expert-id symbols (--experts; layer separators kept)"
"$bench" --experts "$@"
