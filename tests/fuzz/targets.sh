# targets.sh (sourced by scripts/fuzz.sh and tests/stage/fuzz_replay.sh): the
# fuzz targets and, for each, the stage sources holding its parser, which
# are compiled in beside common/ (stages are not in the library).
fuzz_targets() {
  local f
  for f in "${GM_ROOT:-.}"/tests/fuzz/fuzz_*.c; do f=$(basename "$f" .c); echo "${f#fuzz_}"; done
}
fuzz_extra_sources() { # TARGET
  case "$1" in
    stream) echo stages/dump/json_out.c ;;
    json_in) echo stages/dump/json_in.c stages/dump/json_out.c ;;
    npy|jsonl|indices) ls stages/reader/*.c | grep -v '/main\.c$' | tr '\n' ' ' ;;
    pathway_stream) ls stages/metric-reduce/*.c | grep -v '/main\.c$' | tr '\n' ' ' ;;
    trace_stream) echo stages/pathway-encode/encode.c ;;
    sample_stream) echo stages/router-trace/trace.c ;;
    accuracy_csv|metric_stream) ls stages/report/*.c | grep -v '/main\.c$' | tr '\n' ' ' ;;
    test_results) ls stages/test-groups/*.c | grep -v '/main\.c$' | tr '\n' ' ' ;;
    *) ;;
  esac
}
