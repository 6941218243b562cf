#!/usr/bin/env bash
# bench-distance.sh: pairs per second of the pathway edit distance (issue 4,
# "Independent reference"): grokmon's bit-parallel kernel beside the plain DP
# and edlib (libedlib-dev, one edlibAlign call per pair, NW, distance only),
# one thread and all threads, on generated OLMoE-like pathway strings
# (16 layers, 64 experts, tau 0.7, about 1000 characters). Character mode,
# then expert-symbol mode. Extra arguments go to both runs, e.g.
#   scripts/bench-distance.sh --strings 300 --threads 2
# The tool (tests/tools/bench-distance.c) loads edlib with dlopen, so it is
# built like any test tool; it exits 1 if the methods disagree on a distance.
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
