# readme.sh: README.md stays true. Its "Stage options" section is what the
# binaries' --help prints (scripts/stage-help.sh --update rewrites it), the
# files it links exist, and the Makefile has the targets it names.
. "$(dirname "$0")/../lib.sh"
cd "$ROOT"
GM_BIN=$BIN scripts/stage-help.sh >"$TMP/help.md"
awk '/<!-- stage-help:begin -->/ { on = 1 } on { print } /<!-- stage-help:end -->/ { on = 0 }' README.md >"$TMP/readme-help.md"
if cmp -s "$TMP/help.md" "$TMP/readme-help.md"; then ok "README stage options match --help"
else not_ok "README stage options match --help" "run scripts/stage-help.sh --update" "$(diff "$TMP/readme-help.md" "$TMP/help.md" | head -20)"; fi
for f in $(grep -o '](docs/[^)]*)' README.md | tr -d '])(' ); do
  check "README links an existing $f" test -f "$f"
done
for t in demo test fuzz; do
  check "Makefile has the '$t' target README names" grep -q "^$t:" Makefile
done
for s in bench-io.sh bench-router-trace.sh bench-distance.sh grokmon-study install-deps.sh; do
  check "scripts/$s exists and is executable" test -x "scripts/$s"
done
