#!/usr/bin/env bash
# input_kinds.sh: every input a stage opens by name must be a regular file
# (common/input.c gm_file_open, issue 16). A FIFO (which would wait forever
# for a writer), a character device, a socket or a directory where a record
# stream, config.json, model.safetensors, the shard index or a shard, a token
# file, an indices file or a CSV is expected: exit 1 within 10 s, one line
# naming the file and what it is, no -o file or temporary. The descriptor
# names /dev/stdin and /dev/fd/N (a shell's <(...)) still read like '-'.
source "$(dirname "$0")/../lib.sh"
cd "$TMP" || exit 1
tiny="--hidden 8 --layers 2 --heads 2 --ffn 4 --experts 4 --top-k 2 --vocab 32 --max-pos 64"
"$TOOLS/gen-checkpoint" $tiny ck >/dev/null
"$TOOLS/gen-checkpoint" $tiny --shards 2 cks >/dev/null
printf '{"id":"a","domain":"math","tokens":[1,2,3,4,5]}\n{"id":"b","domain":"code","tokens":[6,7,8]}\n' >s.jsonl
"$BIN/reader" s.jsonl -o s.mpk
"$BIN/router-trace" -j 1 --model ck s.mpk -o t.mpk
mkdir -p step1 step2
for d in step1 step2; do cp ck/* "$d/"; "$BIN/router-trace" -j 1 --model "$d" s.mpk | "$BIN/pathway-encode" --model "$d" -o "p-$d.mpk"; done
"$BIN/metric-reduce" p-step1.mpk p-step2.mpk -o m.mpk
printf 'step,domain,item,correct\n1,d,x,1\n2,d,x,1\n' >results.csv
$PY -c "import numpy as np; np.arange(20, dtype='<u2').tofile('tok.u16')"
printf 'step,domain,accuracy\n1,math,0.1\n2,math,0.2\n1,code,0.1\n2,code,0.3\n' >acc.csv

mkfifo fifo
$PY -c "import socket; socket.socket(socket.AF_UNIX).bind('sock')"
mkdir dir
# refused NAME 'STAGE ARGS' FRAGMENT: exit 1 in time, one line with FRAGMENT, no -o file
refused() {
  must_fail "$1" 1 "$3" "cd '$TMP' && timeout 10 $BIN/$2 -o out.x"
  no_file "$1: no -o file" "$TMP/out.x"
}
for k in "fifo:a FIFO (named pipe)" "/dev/null:a character device" "sock:a socket" "dir:a directory"; do
  f=${k%%:*} what="${k#*:}, not a regular file"
  refused "router-trace reads $what as a record stream" "router-trace -j 1 --model ck $f" "$f: is $what"
  refused "pathway-encode: $what as a record stream" "pathway-encode --model ck $f" "$f: is $what"
  refused "metric-reduce: $what as a record stream" "metric-reduce p-step1.mpk $f" "$f: is $what"
  refused "report: $what as a record stream" "report $f" "$f: is $what"
  refused "dump: $what as a record stream" "dump $f" "$f: is $what"
  refused "dump --from-json: $what" "dump --from-json $f" "$f: is $what"
  refused "reader: $what as a token file" "reader --format raw --dtype u16 --seq-len 2 $f" "$f: is $what"
  refused "reader: $what as a JSON Lines file" "reader --format jsonl $f" "$f: is $what"
  refused "reader: $what as --indices" "reader --dtype u16 --seq-len 2 --indices $f tok.u16" "$f: is $what"
  refused "reader: $what as --global-indices" \
    "reader --dtype u16 --seq-len 2 --step 1 --batch-size 2 --global-indices $f tok.u16" "$f: is $what"
  refused "report: $what as --accuracy" "report --accuracy $f m.mpk" "$f: is $what"
  refused "report: $what as --val-loss" "report --accuracy acc.csv --val-loss $f m.mpk" "$f: is $what"
  refused "test-groups: $what as RESULTS.csv" "test-groups $f" "$f: is $what"
  refused "test-groups: $what as --similarity" "test-groups --similarity $f results.csv" "$f: is $what"
done

# The checkpoint's files: config.json, model.safetensors, the index, a shard.
# kind DIR FILE KIND: DIR is a copy of a good checkpoint with FILE replaced by KIND
kind() {
  rm -rf "$1"; cp -r "$4" "$1"; rm "$1/$2"
  case "$3" in
    fifo) mkfifo "$1/$2" ;; dir) mkdir "$1/$2" ;; dev) ln -s /dev/zero "$1/$2" ;;
    sock) $PY -c "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$1/$2" ;;
  esac
}
shard=$(cd cks && ls model-0000*.safetensors | tail -1)
for k in "fifo:a FIFO (named pipe)" "dev:a character device" "sock:a socket" "dir:a directory"; do
  f=${k%%:*} what="${k#*:}, not a regular file"
  for file in config.json model.safetensors; do
    kind "ck-$f" "$file" "$f" ck
    refused "router-trace: $file is $what" "router-trace -j 1 --model ck-$f s.mpk" "ck-$f/$file: is $what"
    refused "pathway-encode: $file is $what" "pathway-encode --model ck-$f t.mpk" "ck-$f/$file: is $what"
  done
  for file in model.safetensors.index.json "$shard"; do
    kind "cks-$f" "$file" "$f" cks
    refused "router-trace: $file is $what" "router-trace -j 1 --model cks-$f s.mpk" "cks-$f/$file: is $what"
    refused "pathway-encode: $file is $what" "pathway-encode --model cks-$f t.mpk" "cks-$f/$file: is $what"
  done
done

# Descriptor names read like '-': /dev/stdin, and /dev/fd/N from <(...).
"$BIN/dump" s.mpk >want.jsonl
check_sh "dump /dev/stdin reads stdin" "$BIN/dump /dev/stdin <s.mpk | cmp - want.jsonl"
check_sh "dump <(...) reads the pipe" "$BIN/dump <(cat s.mpk) | cmp - want.jsonl"
check_sh "pathway-encode reads /dev/stdin from a pipe" \
  "cat t.mpk | $BIN/pathway-encode --model ck /dev/stdin | $BIN/dump | grep -c '\"type\":\"pathway\"' | grep -qx 2"
check_sh "metric-reduce reads a file and <(...)" "$BIN/metric-reduce p-step1.mpk <(cat p-step2.mpk) | $BIN/dump | grep -q '\"type\":\"metric\"'"
check_sh "reader reads <(...) JSON Lines" "$BIN/reader --format jsonl <(cat s.jsonl) | $BIN/dump | grep -c '\"type\":\"sample\"' | grep -qx 2"
check_sh "report --accuracy reads <(...)" \
  "$BIN/report m.mpk --accuracy <(cat acc.csv) >/dev/null"
must_fail "an unopened /dev/fd/N: cannot open, exit 1" 1 "/dev/fd/9: cannot open: Bad file descriptor" \
  "cd '$TMP' && timeout 10 $BIN/dump /dev/fd/9"
