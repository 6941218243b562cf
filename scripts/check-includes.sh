#!/usr/bin/env bash
# check-includes.sh: fails when the #include "..." graph of a folder's C files
# has a circle, or when a file there includes one from outside the folder
# (common/ never knows a stage). A .c file and its .h are one node (forward.c
# and forward.h are "forward"), so a private header that includes its
# owner's public one, and is included back, counts as a circle too.
# Prints the order, lowest first, or the circle. Run by tests/stage/include_graph.sh.
#   scripts/check-includes.sh [DIR]   (default: common)
set -euo pipefail
dir=${1:-$(dirname "$0")/../common}
cd "$dir"
shopt -s nullglob
files=(*.c *.h)
[ ${#files[@]} -gt 0 ] || { echo "check-includes: error: no C files in $dir" >&2; exit 2; }
# one line per edge: "from to" (node names); a missing header is "from !name"
for f in "${files[@]}"; do
  sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" |
    while read -r inc; do
      if [ -f "$inc" ] && [ "${inc#*/}" = "$inc" ]; then echo "${f%.*} ${inc%.*}"
      else echo "${f%.*} !$inc"; fi
    done
  echo "${f%.*} ${f%.*}" # every node, even one without edges
done | sort -u | awk -v dir="$dir" '
  $2 ~ /^!/ { printf "check-includes: error: %s includes \"%s\", which is not a file of %s\n", $1, substr($2, 2), dir > "/dev/stderr"; bad = 1; next }
  { for (i = 1; i <= 2; i++) if (!($i in node)) { node[$i] = 1; names[++n] = $i }
    if ($1 != $2 && !seen[$1 " " $2]++) { out[$1] = out[$1] " " $2 } }
  # depth-first search; colour 1 = on the current path, 2 = done
  function visit(n,    k, m, list, i, cyc) {
    colour[n] = 1; path[++depth] = n
    m = split(out[n], list, " ")
    for (k = 1; k <= m; k++) {
      if (colour[list[k]] == 1) {
        cyc = list[k]
        for (i = depth; i >= 1 && path[i] != list[k]; i--) cyc = path[i] " -> " cyc
        printf "check-includes: error: include circle: %s -> %s\n", list[k], cyc > "/dev/stderr"
        bad = 1
      } else if (!colour[list[k]]) visit(list[k])
    }
    depth--; colour[n] = 2; order[++n_order] = n
  }
  END {
    if (bad) exit 1
    for (i = 1; i <= n; i++) if (!colour[names[i]]) visit(names[i])
    if (bad) exit 1
    for (i = 1; i <= n_order; i++) line = line (i > 1 ? " " : "") order[i]
    print "no include circle among " n " nodes; lowest first: " line
  }'
