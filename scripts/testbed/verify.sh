#!/bin/bash
# verify.sh: runs grokmon's own study pipeline on the committed testbed and
# checks it with analyze.py: grokmon's per-domain loss against the testbed's
# train_loss.csv, and that each domain's pathway distance falls over a step
# range containing its accuracy jump. Also runs test-groups on the per-item
# results. Needs the built binaries (make).
#   scripts/testbed/verify.sh [STUDY_DIR]     (default /tmp/tb-study)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-/tmp/tb-study}
tb=$root/testbed
rm -rf "$out"
"$root/scripts/grokmon-study" --checkpoints "$tb/step*" --data "$tb/data.conf" --out "$out" \
    --jobs 1 --threads 1 --accuracy "$tb/accuracy.csv" \
    --report-args "--val-loss $tb/val_loss.csv" >"$out.summary.txt"
"$root/bin/test-groups" "$tb/test_results.csv" -o "$out/test-groups.csv"
"$root/bin/dump" "$out/metrics.mpk" | /usr/bin/python3 "$here/analyze.py" --testbed "$tb" -
