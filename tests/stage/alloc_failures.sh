#!/usr/bin/env bash
# alloc_failures.sh: allocation failures are errors, never a wrong answer
# (issue 16; style.md "Break things on purpose"). A preloaded shim makes the
# Nth allocation fail (one-shot, SQLite style) that the program's own code
# asks for (its callers in the executable: common/ and the stage) or that
# msgpack-c asks for on its behalf. For N over the whole run of each command,
# the run must either give the same output (and stderr) as without failures, or exit 1
# with one line on stderr that says "out of memory" and leave no -o file or
# temporary. A crash, another message, or a different output fails.
# Commands: dump and dump --from-json, metric-reduce (all pairs, sampled,
# --membership), test-groups (groups and pairing), and the plain record
# pass-through (common/record.c, stage_io.c) over a concatenated input.
# Not under SANITIZE=1: ASan owns malloc there, and a preloaded shim conflicts.
source "$(dirname "$0")/../lib.sh"
case "$BIN" in */build/san/*) echo "# skipped: the sanitizers replace malloc"; exit 0 ;; esac

SHIM_DIR=$ROOT/build/failmalloc
mkdir -p "$SHIM_DIR"
cat >"$SHIM_DIR/failmalloc.c" <<'EOF'
/* failmalloc: LD_PRELOAD shim. GM_FAIL_ALLOC=N fails the Nth malloc, calloc
 * or realloc called from the executable itself (or from a library whose path
 * holds GM_FAIL_ALLOC_LIBS, e.g. "msgpack"); GM_FAIL_ALLOC_COUNT=FILE writes
 * the number of such calls at exit. Other allocations are never failed.
 * GM_FAIL_ALLOC_IN="OFF+SIZE ..." (hex, the executable's own addresses as nm
 * prints them) counts only the calls made from inside those functions. */
#define _GNU_SOURCE
#include <link.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static struct { uintptr_t lo, hi; } ranges[8], only[8];
static int n_ranges, n_only;
static uintptr_t main_base;
static long fail_at = -1;
static atomic_long count;
static const char *libs;

static int add_object(struct dl_phdr_info *info, size_t size, void *first)
{
    int is_main = *(int *)first;
    *(int *)first = 0;
    if (is_main)
        main_base = info->dlpi_addr;
    if (!is_main && !(libs && *libs && info->dlpi_name && strstr(info->dlpi_name, libs)))
        return 0;
    for (int i = 0; i < info->dlpi_phnum && n_ranges < 8; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
            ranges[n_ranges].lo = info->dlpi_addr + ph->p_vaddr;
            ranges[n_ranges].hi = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
            n_ranges++;
        }
    }
    return 0;
}

__attribute__((constructor)) static void init(void)
{
    libs = getenv("GM_FAIL_ALLOC_LIBS");
    int first = 1;
    dl_iterate_phdr(add_object, &first);
    const char *n = getenv("GM_FAIL_ALLOC");
    fail_at = n ? atol(n) : 0;
    const char *in = getenv("GM_FAIL_ALLOC_IN");
    for (char *end; in && *in && n_only < 8; in = end) {
        unsigned long off = strtoul(in, &end, 16), size = *end == '+' ? strtoul(end + 1, &end, 16) : 0;
        if (end == in)
            break;
        only[n_only].lo = main_base + off;
        only[n_only].hi = main_base + off + size;
        n_only++;
    }
}

__attribute__((destructor)) static void done(void)
{
    const char *path = getenv("GM_FAIL_ALLOC_COUNT");
    FILE *f = path ? fopen(path, "w") : NULL;
    if (f) {
        fprintf(f, "%ld\n", (long)atomic_load(&count));
        fclose(f);
    }
}

static int fail_now(void *caller)
{
    uintptr_t c = (uintptr_t)caller;
    int ours = 0;
    for (int i = 0; i < n_ranges; i++)
        ours |= c >= ranges[i].lo && c < ranges[i].hi;
    if (n_only) {
        ours = 0;
        for (int i = 0; i < n_only; i++)
            ours |= c >= only[i].lo && c < only[i].hi;
    }
    return ours && atomic_fetch_add(&count, 1) + 1 == fail_at;
}

void *malloc(size_t n)
{
    return fail_now(__builtin_return_address(0)) ? NULL : __libc_malloc(n);
}

void *calloc(size_t n, size_t m)
{
    return fail_now(__builtin_return_address(0)) ? NULL : __libc_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
    return fail_now(__builtin_return_address(0)) ? NULL : __libc_realloc(p, n);
}
EOF
if ! cc -O1 -g -shared -fPIC -o "$SHIM_DIR/libfailmalloc.so" "$SHIM_DIR/failmalloc.c" 2>"$TMP/cc.err"; then
  not_ok "the allocation-failure shim builds" "$(head -c 600 "$TMP/cc.err")"
  exit 0
fi
SHIM=$SHIM_DIR/libfailmalloc.so

# ---- material: pathways of two checkpoints, metrics, test results, similarities
mkdir -p "$TMP/ck"
"$TOOLS/gen-checkpoint" --preset tiny --seed 3 "$TMP/ck/step100" >/dev/null
"$TOOLS/gen-checkpoint" --preset tiny --seed 4 "$TMP/ck/step200" >/dev/null
$PY - "$TMP/samples.jsonl" <<'EOF'
import random, sys
r = random.Random(4)
with open(sys.argv[1], "w") as f:
    for i in range(10):
        f.write('{"id":"s%d","domain":"%s","tokens":[%s]}\n' % (i, ("math", "code")[i % 2],
                ",".join(str(r.randrange(256)) for _ in range(r.randrange(4, 12)))))
EOF
"$BIN/reader" "$TMP/samples.jsonl" -o "$TMP/samples.mpk"
for s in 100 200; do
  "$BIN/router-trace" -j 1 --model "$TMP/ck/step$s" "$TMP/samples.mpk" \
    | "$BIN/pathway-encode" --model "$TMP/ck/step$s" -o "$TMP/p$s.mpk"
done
"$BIN/router-trace" -j 1 --model "$TMP/ck/step100" "$TMP/samples.mpk" -o "$TMP/t100.mpk"
cat "$TMP/p100.mpk" "$TMP/p200.mpk" >"$TMP/pcat.mpk"
MR="$BIN/metric-reduce --threads 1 --eps 9"
$MR "$TMP/p100.mpk" "$TMP/p200.mpk" -o "$TMP/metrics.mpk"
$MR --membership-only "$TMP/p100.mpk" "$TMP/p200.mpk" -o "$TMP/members.mpk"
"$BIN/dump" "$TMP/metrics.mpk" >"$TMP/metrics.jsonl"
$PY - "$TMP/results.csv" "$TMP/sim.csv" <<'EOF'
import random, sys
r = random.Random(6)
with open(sys.argv[1], "w") as f:
    f.write("step,domain,item,correct\n")
    for d in ("math", "code"):
        for i in range(6):
            rise = r.randrange(5)
            for k, s in enumerate((100, 200, 300, 400)):
                f.write("%d,%s,%s%d,%d\n" % (s, d, d, i, int(k >= rise)))
with open(sys.argv[2], "w") as f:
    f.write("train_group,test_group,similarity\n")
    for d in ("math", "code"):
        for g in ("@100", "@200", "@never"):
            for t in ("@100", "@200", "@300", "@400", "@never"):
                f.write("%s%s,test:%s%s,%r\n" % (d, g, d, t, r.random()))
EOF
"$BIN/test-groups" "$TMP/results.csv" -o "$TMP/groups.csv"
# the similarity table names only test groups the results have
$PY - "$TMP/sim.csv" "$TMP/groups.csv" <<'EOF'
import csv, sys
have = {r["test_group"] for r in csv.DictReader(open(sys.argv[2]))}
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["test_group"] in have]
with open(sys.argv[1], "w") as f:
    f.write("train_group,test_group,similarity\n")
    f.writelines("%s,%s,%s\n" % (r["train_group"], r["test_group"], r["similarity"]) for r in rows)
EOF

# inject NAME CMD...: CMD writes -o OUT (appended here); every allocation of the
# run failed in turn (at most 300 runs, spread evenly over the count)
inject() {
  local name=$1; shift
  local out=$TMP/inj.out ref=$TMP/inj.ref
  rm -f "$out" "$ref"
  if ! GM_FAIL_ALLOC_LIBS=msgpack GM_FAIL_ALLOC_COUNT="$TMP/count" LD_PRELOAD=$SHIM \
       "$@" -o "$ref" 2>"$TMP/inj.referr"; then
    not_ok "$name: runs with the shim and no failure" "$(head -c 600 "$TMP/inj.referr")"
    return
  fi
  local total step n bad="" ended=0 failed=0
  total=$(cat "$TMP/count")
  step=$(( total > 300 ? (total + 299) / 300 : 1 ))
  for ((n = 1; n <= total; n += step)); do
    rm -f "$out"
    GM_FAIL_ALLOC=$n GM_FAIL_ALLOC_LIBS=msgpack LD_PRELOAD=$SHIM timeout 60 "$@" -o "$out" \
      >/dev/null 2>"$TMP/inj.err"
    local rc=$? lines
    lines=$(wc -l <"$TMP/inj.err")
    if [ $rc -eq 0 ] && cmp -s "$TMP/inj.err" "$TMP/inj.referr" && cmp -s "$out" "$ref"; then
      ended=$((ended + 1))
    elif [ $rc -eq 1 ] && [ "$lines" -eq 1 ] && grep -q 'out of memory' "$TMP/inj.err" &&
         [ ! -e "$out" ] && ! compgen -G "$TMP/.inj.out.tmp*" >/dev/null; then
      failed=$((failed + 1))
    else
      bad="allocation $n of $total: exit $rc, $lines stderr line(s): $(head -c 300 "$TMP/inj.err")"
      [ $rc -eq 0 ] && ! cmp -s "$out" "$ref" && bad+=" (exit 0 with a different output)"
      [ -e "$out" ] && [ $rc -ne 0 ] && bad+=" (output left)"
      break
    fi
  done
  if [ -n "$bad" ]; then not_ok "$name" "$bad"
  elif [ "$failed" -eq 0 ]; then not_ok "$name" "no injected failure was reported ($total allocations)"
  else ok "$name ($total allocations; $failed runs failed cleanly, $ended recovered)"; fi
}

inject "dump: every allocation failure is an error or harmless" "$BIN/dump" "$TMP/metrics.mpk"
inject "dump --from-json: every allocation failure is an error or harmless" \
  "$BIN/dump" --from-json "$TMP/metrics.jsonl"
inject "metric-reduce (all pairs): every allocation failure is an error or harmless" \
  $MR "$TMP/p100.mpk" "$TMP/p200.mpk"
inject "metric-reduce --pairs 4: every allocation failure is an error or harmless" \
  $MR --pairs 4 "$TMP/p100.mpk" "$TMP/p200.mpk"
inject "metric-reduce --membership: every allocation failure is an error or harmless" \
  "$BIN/metric-reduce" --threads 1 --membership "$TMP/members.mpk" "$TMP/p200.mpk"
inject "test-groups: every allocation failure is an error or harmless" \
  "$BIN/test-groups" "$TMP/results.csv"
inject "test-groups --similarity: every allocation failure is an error or harmless" \
  "$BIN/test-groups" --similarity "$TMP/sim.csv" "$TMP/results.csv"
inject "record pass-through of a concatenated stream: every allocation failure is an error or harmless" \
  "$TOOLS/passthrough" "$TMP/pcat.mpk"

# The record writer's own buffer (common/record.c's checked_write, where every
# record's bytes grow the buffer): each of its allocations failed in turn must
# stop the stage with exit 1, one "out of memory" line and no -o file or
# temporary, never a short or corrupt record (issue 11).
inject_writer() { # NAME BINARY CMD...: CMD (running BINARY) writes -o OUT (appended here)
  local name=$1 bin=$2 out=$TMP/wr.out
  local where
  where=$(nm -S --defined-only "$bin" | awk '$4 == "checked_write" { print $1 "+" $2 }')
  if [ -z "$where" ]; then not_ok "$name" "no checked_write symbol in $bin"; return; fi
  shift 2
  if ! GM_FAIL_ALLOC_IN="$where" GM_FAIL_ALLOC_COUNT="$TMP/wcount" LD_PRELOAD=$SHIM \
       "$@" -o "$out" 2>"$TMP/wr.err"; then
    not_ok "$name: runs with the shim and no failure" "$(head -c 600 "$TMP/wr.err")"
    return
  fi
  local total n bad=""
  total=$(cat "$TMP/wcount")
  for ((n = 1; n <= total; n++)); do
    rm -f "$out"
    GM_FAIL_ALLOC=$n GM_FAIL_ALLOC_IN="$where" LD_PRELOAD=$SHIM timeout 60 "$@" -o "$out" \
      >/dev/null 2>"$TMP/wr.err"
    local rc=$? lines
    lines=$(wc -l <"$TMP/wr.err")
    if ! { [ $rc -eq 1 ] && [ "$lines" -eq 1 ] && grep -q 'out of memory' "$TMP/wr.err" &&
           [ ! -e "$out" ] && ! compgen -G "$TMP/.wr.out.tmp*" >/dev/null; }; then
      bad="writer allocation $n of $total: exit $rc, $lines stderr line(s): $(head -c 300 "$TMP/wr.err")"
      [ -e "$out" ] && bad+=" (output left)"
      break
    fi
  done
  if [ -n "$bad" ]; then not_ok "$name" "$bad"
  elif [ "$total" -eq 0 ]; then not_ok "$name" "the record writer allocated nothing"
  else ok "$name (each of its $total allocations: exit 1, no file)"; fi
}

inject_writer "reader: a failed record-writer allocation is exit 1 and no file" \
  "$BIN/reader" "$BIN/reader" "$TMP/samples.jsonl"
inject_writer "router-trace: a failed record-writer allocation is exit 1 and no file" \
  "$BIN/router-trace" "$BIN/router-trace" -j 1 --model "$TMP/ck/step100" "$TMP/samples.mpk"
inject_writer "pathway-encode: a failed record-writer allocation is exit 1 and no file" \
  "$BIN/pathway-encode" "$BIN/pathway-encode" --model "$TMP/ck/step100" "$TMP/t100.mpk"
inject_writer "metric-reduce: a failed record-writer allocation is exit 1 and no file" \
  "$BIN/metric-reduce" $MR "$TMP/p100.mpk" "$TMP/p200.mpk"
