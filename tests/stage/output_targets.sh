#!/usr/bin/env bash
# output_targets.sh: -o onto what is not a plain file (issue "robustness, round 2": run as root,
# renaming the temporary over /dev/null replaced the device with a regular file). A device or
# FIFO is written in place, a symbolic link through to its target (the link kept), a directory
# refused; a plain file is still written atomically.
source "$(dirname "$0")/../lib.sh"
$PY "$ROOT/tests/tools/gen_metrics.py" "$TMP/g" --seed 2 >/dev/null
"$BIN/dump" --from-json -o "$TMP/m.mpk" "$TMP/g/metrics.jsonl"
"$BIN/report" "$TMP/m.mpk" -o "$TMP/want.txt"

check "-o /dev/null: runs" "$BIN/report" "$TMP/m.mpk" -o /dev/null
check "-o /dev/null: /dev/null is still a character device" test -c /dev/null
check "-o /dev/null for records (dump --from-json)" "$BIN/dump" --from-json -o /dev/null "$TMP/g/metrics.jsonl"
check "... still a character device" test -c /dev/null

mkfifo "$TMP/fifo"
cat "$TMP/fifo" > "$TMP/from-fifo.txt" &
reader_pid=$!
check "-o FIFO: written in place" "$BIN/report" "$TMP/m.mpk" -o "$TMP/fifo"
wait "$reader_pid"
same_file "-o FIFO: the reader got the whole table" "$TMP/want.txt" "$TMP/from-fifo.txt"
check "-o FIFO: still a FIFO" test -p "$TMP/fifo"

mkdir "$TMP/real"
echo old > "$TMP/real/target.txt"
ln -s real/target.txt "$TMP/link.txt"
check "-o LINK: runs" "$BIN/report" "$TMP/m.mpk" -o "$TMP/link.txt"
check "-o LINK: the link is kept" test -L "$TMP/link.txt"
same_file "-o LINK: its target holds the output" "$TMP/want.txt" "$TMP/real/target.txt"
check_sh "-o LINK: no temporary left beside the link or the target" \
  "! ls -A '$TMP' '$TMP/real' | grep -q '\\.tmp\\.'"

must_fail "-o DIRECTORY: refused" 1 "is a directory" "'$BIN/report' '$TMP/m.mpk' -o '$TMP/real'"
