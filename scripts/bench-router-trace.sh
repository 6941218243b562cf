#!/usr/bin/env bash
# bench-router-trace.sh: router-trace speed on this machine, in one run:
#   1. OpenBLAS SGEMM GFLOP/s (tests/tools/sgemm-peak: 4096^3, same threads,
#      for each OpenBLAS kernel measured), the yardstick;
#   2. router-trace tokens/s and achieved GFLOP/s (the model's real FLOPs:
#      q/k/v/o, causal attention, router, K experts per token, lm_head) at 512,
#      2048 and 4096 tokens on an OLMoE-width BF16 model (D 2048, E 64, K 8,
#      F 1024, H 16, V 50304, --layers L);
#   3. tokens/s and peak RSS (/usr/bin/time -v) on the full-size OLMoE-1B-7B
#      shape in BF16 (13.8 GB, generated into a temporary folder, deleted after).
# Run it when the machine is quiet. Needs `make` and the test tools built
# (make all-test). Usage:
#   scripts/bench-router-trace.sh [--threads N] [--layers L] [--cores "SkylakeX Haswell"]
#                                 [--full-tokens N] [--no-full] [--tmp DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${GM_BIN:-$PWD/bin} TOOLS=${GM_TOOLS:-$PWD/build/rel/tools}
threads=$(nproc) layers=4 full=1 full_tokens=4096 tmp_base=${TMPDIR:-/tmp}
cores=""
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads=$2; shift 2 ;;
    --layers) layers=$2; shift 2 ;;
    --cores) cores=$2; shift 2 ;;
    --full-tokens) full_tokens=$2; shift 2 ;;
    --no-full) full=0; shift ;;
    --tmp) tmp_base=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-router-trace: error: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
for f in "$BIN/router-trace" "$BIN/dump" "$TOOLS/sgemm-peak" "$TOOLS/gen-checkpoint"; do
  [ -x "$f" ] || { echo "bench-router-trace: error: $f is missing: run 'make all-test' first" >&2; exit 1; }
done
if [ -z "$cores" ]; then
  # router-trace's own default on an AVX-512 CPU is SkylakeX; measure the
  # AVX2 kernel beside it to show what the choice is worth
  if grep -qw avx512f /proc/cpuinfo; then cores="SkylakeX Haswell"; else cores="auto"; fi
fi
work=$(mktemp -d "$tmp_base/bench-rt.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "== machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs," \
     "load $(cut -d' ' -f1-3 /proc/loadavg), threads $threads"

# 1. the yardstick
declare -A peak peakc
for c in $cores; do
  line=$("$TOOLS/sgemm-peak" --threads "$threads" --blas-core "$c")
  peak[$c]=$(awk '{print $NF}' <<<"$line")
  peakc[$c]=$(awk '{print $(NF - 2)}' <<<"$line")
  echo "sgemm: $line"
done

# samples: one random sample per length
mk_sample() { # LEN V FILE
  /usr/bin/python3 -c "
import json, random, sys
r = random.Random(int(sys.argv[1]))
print(json.dumps({'type': 'sample', 'id': 'bench:' + sys.argv[1], 'domain': 'bench', 'source': 'bench',
                  'index': 0, 'tokens': [r.randrange(int(sys.argv[2])) for _ in range(int(sys.argv[1]))]}))
" "$1" "$2" | "$BIN/dump" --from-json -o "$3"
}
for T in 512 2048 4096 "$full_tokens"; do
  [ -f "$work/s$T.mpk" ] || mk_sample "$T" 50304 "$work/s$T.mpk"
done

# field VALUE-NAME STATS-LINE
field() { awk -v k="$1" '{for (i = 1; i < NF; i++) if ($i == k) print $(i + 1)}' <<<"$2"; }

# 2. OLMoE width, fewer layers
wide="$work/olmoe-width-L$layers"
t0=$(date +%s)
"$TOOLS/gen-checkpoint" --preset olmoe --layers "$layers" --dtype bf16 --threads "$threads" "$wide"
echo "== OLMoE-width model: D 2048, H 16, E 64, K 8, F 1024, V 50304, L $layers, BF16," \
     "$(du -sh "$wide" | cut -f1) (generated in $(( $(date +%s) - t0 )) s)"
# GFLOP/s per CPU: FLOPs over (user + sys) / threads, which another process
# competing for the cores does not lower (OpenBLAS's spinning counts as use)
printf '%-9s %6s %9s %9s %8s %8s %14s  %s\n' core tokens seconds tokens/s GFLOP/s of-peak \
  "GF/cpu-s (pk)" "phases (s): attn router experts lm_head widen; peak RSS MB"
for c in $cores; do
  "$BIN/router-trace" --model "$wide" --threads "$threads" --blas-core "$c" "$work/s512.mpk" >/dev/null # warm the page cache
  for T in 512 2048 4096; do
    out=$(/usr/bin/time -f "cpu %U %S" "$BIN/router-trace" --model "$wide" --threads "$threads" \
        --blas-core "$c" --stats "$work/s$T.mpk" 2>&1 >/dev/null)
    s=$(grep 'stats:' <<<"$out")
    cpu=$(awk '/^cpu / {print $2 + $3}' <<<"$out")
    g=$(field gflop_per_s "$s")
    printf '%-9s %6s %9s %9s %8s %7.0f%% %14s  %s %s %s %s %s; %s\n' "$c" "$T" "$(field seconds "$s")" \
      "$(field tokens_per_s "$s")" "$g" "$(awk -v a="$g" -v b="${peak[$c]}" 'BEGIN{print 100 * a / b}')" \
      "$(awk -v f="$(field gflops "$s")" -v c="$cpu" -v t="$threads" -v p="${peakc[$c]}" \
           'BEGIN{printf "%.1f (%.0f%%)", f / (c / t), 100 * f / (c / t) / p}')" \
      "$(field attn_s "$s")" "$(field router_s "$s")" "$(field experts_s "$s")" \
      "$(field lm_head_s "$s")" "$(field widen_s "$s")" "$(field peak_rss_mb "$s")"
  done
done
rm -rf "$wide"

# 3. the full OLMoE-1B-7B shape in BF16
[ "$full" = 1 ] || exit 0
big="$work/olmoe-1b-7b"
t0=$(date +%s)
"$TOOLS/gen-checkpoint" --preset olmoe --dtype bf16 --threads "$threads" "$big"
echo "== full OLMoE-1B-7B shape, BF16, $(du -sh "$big" | cut -f1) (generated in $(( $(date +%s) - t0 )) s)"
c=${cores%% *}
/usr/bin/time -v "$BIN/router-trace" --model "$big" --threads "$threads" --blas-core "$c" --stats \
  "$work/s$full_tokens.mpk" >/dev/null 2>"$work/full.err" || { cat "$work/full.err" >&2; exit 1; }
s=$(grep 'stats:' "$work/full.err")
rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/full.err")
cpu=$(awk -F': ' '/User time|System time/ {c += $2} END {print c}' "$work/full.err")
echo "full model, $full_tokens tokens, core $c: $(field seconds "$s") s, $(field tokens_per_s "$s") tokens/s," \
     "$(field gflop_per_s "$s") GFLOP/s" \
     "($(awk -v f="$(field gflops "$s")" -v c="$cpu" -v t="$threads" 'BEGIN{printf "%.1f", f / (c / t)}') per CPU)," \
     "peak RSS $(awk -v k="$rss" 'BEGIN{printf "%.2f GB", k / 1048576}')" \
     "(phases: attn $(field attn_s "$s") router $(field router_s "$s") experts $(field experts_s "$s")" \
     "lm_head $(field lm_head_s "$s") widen $(field widen_s "$s"))"
