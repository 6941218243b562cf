#!/usr/bin/env bash
# stage-help.sh: the --help of every stage, as README.md's "Stage options"
# section shows it. `scripts/stage-help.sh --update` rewrites that section of
# README.md in place; without it, the section is printed on stdout (the
# readme test compares the two).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${GM_BIN:-bin}
section() {
  echo "<!-- stage-help:begin -->"
  for s in reader router-trace pathway-encode metric-reduce report test-groups dump; do
    [ -x "$bin/$s" ] || { echo "stage-help: $bin/$s is not built" >&2; exit 1; }
    printf '\n### %s\n\n```\n' "$s"
    "$bin/$s" --help
    printf '```\n'
  done
  echo "<!-- stage-help:end -->"
}
if [ "${1:-}" = "--update" ]; then
  section >README.stage-help.tmp
  awk 'BEGIN { while ((getline l < "README.stage-help.tmp") > 0) s = s l "\n" }
       /<!-- stage-help:begin -->/ { printf "%s", s; skip = 1; next }
       /<!-- stage-help:end -->/ { skip = 0; next }
       !skip { print }' README.md >README.md.tmp
  mv README.md.tmp README.md
  rm -f README.stage-help.tmp
else
  section
fi
