#!/usr/bin/env bash
# demo.sh: what `make demo` runs: the whole study on the project's trained grokking testbed
# (testbed/, made by scripts/testbed/: a small OLMoE-architecture MoE trained on algorithmic
# domains that memorize their training set early and generalize thousands of steps later),
# with 2 parallel jobs, its test accuracy given for Table 1. Prints what the report says
# (warnings, findings, analysis choices, Table 1) and writes demo/report.html; the whole text
# summary is demo/summary.txt. A second run resumes (nothing recomputed). Guide: docs/study.md.
#   GM_BIN (set by make); GM_DEMO_DIR (default: demo/ in the repo); GM_TESTBED (default: testbed/)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${GM_BIN:-$PWD/bin}
OUT=${GM_DEMO_DIR:-$PWD/demo}
TB=${GM_TESTBED:-$PWD/testbed}

start=$(date +%s)
[ -f "$TB/data.conf" ] || { echo "demo: error: no testbed in $TB (scripts/testbed/README.md makes it)" >&2; exit 1; }
echo "demo: the trained testbed: $(ls -d "$TB"/step* | wc -l) checkpoints, $(grep -vc '^#' "$TB/data.conf") domains ($TB)" >&2
mkdir -p "$OUT"
scripts/grokmon-study --bin "$BIN" --checkpoints "$TB/step*" --data "$TB/data.conf" \
  --out "$OUT" --jobs 2 --threads 1 --accuracy "$TB/accuracy.csv" \
  --report-args "--val-loss $TB/val_loss.csv" >"$OUT/.demo.out"
# what the report says comes first in the summary; the tables follow in summary.txt
sed '/^Memorization summary/,$d' "$OUT/.demo.out"
rm -f "$OUT/.demo.out"
echo "demo: done in $(($(date +%s) - start)) s; the whole summary: $OUT/summary.txt; open $OUT/report.html" >&2
