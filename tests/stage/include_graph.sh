#!/usr/bin/env bash
# include_graph.sh: common/ has no #include circle (a .c and its .h are one
# node) and includes nothing from outside itself (issue 11): scripts/check-includes.sh
# on the tree, and on small folders with a circle and a stage include planted,
# which it must refuse.
source "$(dirname "$0")/../lib.sh"

check "common/ has no include circle and includes only its own files" \
  bash "$ROOT/scripts/check-includes.sh" "$ROOT/common"

mkdir -p "$TMP/circle" "$TMP/outside" "$TMP/private"
printf '#include "b.h"\n' >"$TMP/circle/a.h"
printf '#include "a.h"\n' >"$TMP/circle/a.c"
printf '#include "c.h"\n' >"$TMP/circle/b.h"
printf '#include "a.h"\n' >"$TMP/circle/c.h"
must_fail "a circle through three headers is found" 1 "include circle: a -> b -> c -> a" \
  "bash '$ROOT/scripts/check-includes.sh' '$TMP/circle'"
# a private header that includes its owner's header and is included back
printf '#include "x_impl.h"\n' >"$TMP/private/x.c"
printf '#include "x.h"\n' >"$TMP/private/x_impl.h"
printf 'int x;\n' >"$TMP/private/x.h"
must_fail "a private header included back by its owner is a circle" 1 "include circle" \
  "bash '$ROOT/scripts/check-includes.sh' '$TMP/private'"
printf '#include "../stages/router-trace/trace.h"\n' >"$TMP/outside/a.c"
must_fail "an include from outside the folder is refused" 1 "not a file of" \
  "bash '$ROOT/scripts/check-includes.sh' '$TMP/outside'"
