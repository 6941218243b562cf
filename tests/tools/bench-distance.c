/* bench-distance: pairs per second of the pathway edit distance (method.md,
 * "Pathway distance"; issue 4's benchmark): grokmon's kernels (one call per
 * pair; edit_pairs_sum rows) beside the plain DP and edlib (one edlibAlign
 * call per pair, NW, distance only), one thread and all, on generated
 * OLMoE-like pathway strings; exits 1 if any distance disagrees. Not a stage;
 * edlib is loaded with dlopen, so the Makefile needs no -ledlib. */
#include <dlfcn.h>
#include <edlib.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "edit_distance.h"

#define PROG "bench-distance"

/* ---------------------------------------------------- string generator ---- */

static uint64_t rng_state;
static uint64_t rng_next(void) /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static double rng_normal(void) /* Box-Muller */
{
    double u = ((double)(rng_next() >> 11) + 0.5) * 0x1.0p-53;
    double v = ((double)(rng_next() >> 11) + 0.5) * 0x1.0p-53;
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

enum { L = 16, E = 64, CLUSTERS = 4 };

/* One pathway string like OLMoE's at threshold tau: per layer l, router
 * probabilities g = softmax(s_l * (base[c][l] + noise)) (base shared by the
 * sample's cluster c, so pairs share structure), experts ranked by g (ties:
 * lower index), the shortest prefix with cumulative weight > tau, ids in
 * decimal joined by ',', layers by '-'. Returns the length. */
static size_t pathway_make(char *out, size_t cap, const double *base, double tau)
{
    size_t n = 0;
    for (int l = 0; l < L; l++) {
        double s = 2.0 * (0.3 + 0.5 * l / (L - 1)); /* sharper deep layers */
        double g[E], mx = -1e300, tot = 0;          /* g: [E] */
        for (int e = 0; e < E; e++) {
            g[e] = s * (base[l * E + e] + 0.65 * rng_normal());
            mx = g[e] > mx ? g[e] : mx;
        }
        for (int e = 0; e < E; e++)
            tot += (g[e] = exp(g[e] - mx));
        int used[E] = {0};
        double cum = 0;
        for (int r = 0; r < E && cum <= tau * tot; r++) {
            int best = -1;
            for (int e = 0; e < E; e++)
                if (!used[e] && (best < 0 || g[e] > g[best]))
                    best = e;
            used[best] = 1;
            cum += g[best];
            n += (size_t)snprintf(out + n, cap - n, "%s%d", r ? "," : (l ? "-" : ""), best);
        }
    }
    return n;
}

/* The "experts" comparison mode: "3,15-7" -> {3, 15, E, 7}, rewritten in
 * place as bytes (symbol + 1) for edlib; returns the new length. */
static size_t to_experts(char *t, size_t n, uint16_t *s)
{
    size_t m = 0;
    for (size_t k = 0; k < n;) {
        if (t[k] == '-') {
            s[m++] = E;
            k++;
        } else if (t[k] == ',') {
            k++;
        } else {
            unsigned id = 0;
            while (k < n && t[k] >= '0' && t[k] <= '9')
                id = id * 10 + (unsigned)(t[k++] - '0');
            s[m++] = (uint16_t)id;
        }
    }
    for (size_t k = 0; k < m; k++)
        t[k] = (char)(s[k] + 1);
    return m;
}

/* ---------------------------------------------------------- methods ---- */

typedef EdlibAlignResult (*edlib_align_fn)(const char *, int, const char *, int, const EdlibAlignConfig);
typedef void (*edlib_free_fn)(EdlibAlignResult);
static edlib_align_fn edlib_align;
static edlib_free_fn edlib_free;

enum method { M_DP, M_EDLIB, M_QUERY };
static const char *method_name[] = {"plain DP", "edlib (NW, distance, 1 call/pair)",
                                    "grokmon, 1 call/pair"};

typedef struct bench {
    const char *const *text;   /* [N] strings as chars (edlib) */
    const uint16_t *const *sym; /* [N] the same as symbols */
    const size_t *len;
    const size_t *pi, *pj;     /* [P] pairs, row-major */
    size_t npairs;
    size_t *dist;              /* [P] out */
    enum method method;
    atomic_size_t next;
    atomic_int failed;
} bench;

#define CHUNK 32

static void *bench_worker(void *arg)
{
    bench *b = arg;
    edit_query *q = NULL;
    size_t qrow = SIZE_MAX;
    for (;;) {
        size_t c0 = atomic_fetch_add(&b->next, CHUNK);
        if (c0 >= b->npairs)
            break;
        size_t c1 = c0 + CHUNK < b->npairs ? c0 + CHUNK : b->npairs;
        for (size_t k = c0; k < c1; k++) {
            size_t i = b->pi[k], j = b->pj[k];
            switch (b->method) {
            case M_DP:
                b->dist[k] = edit_distance_dp(b->sym[i], b->len[i], b->sym[j], b->len[j]);
                break;
            case M_EDLIB: {
                const EdlibAlignConfig cfg = {.k = -1, .mode = EDLIB_MODE_NW, .task = EDLIB_TASK_DISTANCE};
                EdlibAlignResult r = edlib_align(b->text[i], (int)b->len[i], b->text[j], (int)b->len[j], cfg);
                b->dist[k] = r.status == EDLIB_STATUS_OK && r.editDistance >= 0 ? (size_t)r.editDistance : SIZE_MAX;
                edlib_free(r);
                break;
            }
            case M_QUERY: /* the row's query is made once, reused for its pairs */
                if (qrow != i) {
                    edit_query_free(q);
                    q = edit_query_create(b->sym[i], b->len[i]);
                    qrow = i;
                }
                b->dist[k] = q ? edit_query_distance(q, b->sym[j], b->len[j]) : SIZE_MAX;
                break;
            }
            if (b->dist[k] == SIZE_MAX)
                atomic_store(&b->failed, 1);
        }
    }
    edit_query_free(q);
    return NULL;
}

/* Run method over the pairs with `threads` threads, repeated until at least
 * min_time seconds; returns pairs per second (0 on failure). */
static double bench_run(bench *b, int threads, double min_time)
{
    double t0 = clock_now(), t;
    size_t reps = 0;
    do {
        atomic_store(&b->next, 0);
        pthread_t tid[64];
        int started = 0;
        for (int i = 1; i < threads && i < 64; i++)
            if (pthread_create(&tid[started], NULL, bench_worker, b) == 0)
                started++;
        bench_worker(b);
        for (int i = 0; i < started; i++)
            pthread_join(tid[i], NULL);
        reps++;
        t = clock_now() - t0;
    } while (t < min_time);
    return atomic_load(&b->failed) ? 0 : (double)(reps * b->npairs) / t;
}

/* edit_pairs_sum over all strings; returns pairs per second, *sum set. */
static double batch_run(const uint16_t *const *sym, const size_t *len, size_t n, int threads,
                        double min_time, double *sum, gm_error *err)
{
    double t0 = clock_now(), t;
    size_t reps = 0;
    do {
        if (edit_pairs_sum(sym, len, n, threads, sum, err) != 0)
            return 0;
        reps++;
        t = clock_now() - t0;
    } while (t < min_time);
    return (double)reps * (double)(n * (n - 1) / 2) / t;
}

/* ------------------------------------------------------------- main ---- */

typedef struct row {
    const char *name;
    int threads;
    size_t pairs;
    double rate;
    int kind; /* 0 DP, 1 edlib, 2 grokmon */
} row;

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, PROG ": error: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(GM_EXIT_FAIL);
}

int main(int argc, char **argv)
{
    int64_t nstr = 150, dp_pairs = 300, seed = 1, threads = 0;
    double tau = 0.7, min_time = 0.5;
    int experts = 0;
    int64_t rounds64 = 3;
    cli_option options[] = {
        {"strings", 'n', CLI_INT, &nstr, "N", "pathway strings (all N(N-1)/2 pairs for edlib and grokmon)", 2, 100000, 0},
        {"dp-pairs", 0, CLI_INT, &dp_pairs, "P", "pairs for the plain DP (the first P, row-major)", 1, 1000000000, 0},
        {"seed", 0, CLI_INT, &seed, "S", "generator seed", 0, 1e15, 0},
        {"tau", 0, CLI_DOUBLE, &tau, "X", "pathway threshold", 0.01, 0.99, 0},
        {"threads", 0, CLI_INT, &threads, "N", "threads for the all-threads rows (0: online processors)", 0, 64, 0},
        {"experts", 0, CLI_FLAG, &experts, NULL, "compare expert-id symbols (layer separators kept), not characters", 0, 0, 0},
        {"rounds", 0, CLI_INT, &rounds64, "R", "measure every method R times, interleaved; report the best", 1, 100, 0},
        {"min-time", 0, CLI_DOUBLE, &min_time, "SEC", "repeat each measurement for at least this long", 0, 600, 0},
        CLI_OPT_END,
    };
    cli_program prog = {
        .name = PROG,
        .usage = PROG " [options]",
        .summary = "Pairs per second of the pathway edit distance: the plain DP, edlib and grokmon's "
                   "bit-parallel kernel, one thread and all threads, on generated OLMoE-like pathway "
                   "strings (16 layers, 64 experts). Exits 1 if the methods disagree on any distance.",
        .example = "scripts/bench-distance.sh --strings 300",
        .options = options,
    };
    int first = cli_parse(&prog, argc, argv);
    if (first < argc)
        cli_usage_error(PROG, "unexpected argument '%s'", argv[first]);
    int rounds = (int)rounds64;
    if (threads == 0) {
        long online = sysconf(_SC_NPROCESSORS_ONLN);
        threads = online > 0 ? online : 1;
    }

    void *lib = dlopen("libedlib.so.1", RTLD_NOW);
    if (!lib)
        lib = dlopen("libedlib.so", RTLD_NOW);
    if (!lib)
        die("cannot load edlib (apt-get install libedlib-dev): %s", dlerror());
    edlib_align = (edlib_align_fn)dlsym(lib, "edlibAlign");
    edlib_free = (edlib_free_fn)dlsym(lib, "edlibFreeAlignResult");
    if (!edlib_align || !edlib_free)
        die("edlib library lacks edlibAlign: %s", "libedlib.so.1");

    /* Strings: N samples in CLUSTERS groups sharing base router logits. */
    size_t n = (size_t)nstr, cap = (size_t)L * E * 4;
    char *textbuf = malloc(n * cap);
    uint16_t *symbuf = malloc(n * cap * sizeof *symbuf);
    double *base = malloc((size_t)CLUSTERS * L * E * sizeof *base); /* [C][L][E] */
    const char **text = malloc(n * sizeof *text);
    const uint16_t **sym = malloc(n * sizeof *sym);
    size_t *len = malloc(n * sizeof *len);
    size_t np = n * (n - 1) / 2;
    size_t *pi = malloc(np * sizeof *pi), *pj = malloc(np * sizeof *pj);
    size_t *d_edlib = malloc(np * sizeof(size_t)), *d_query = malloc(np * sizeof(size_t));
    size_t ndp = (size_t)dp_pairs < np ? (size_t)dp_pairs : np;
    size_t *d_dp = malloc(ndp * sizeof(size_t));
    if (!textbuf || !symbuf || !base || !text || !sym || !len || !pi || !pj || !d_edlib || !d_query || !d_dp)
        die("out of memory for %zu strings and their pairs", n);
    rng_state = (uint64_t)seed;
    for (size_t i = 0; i < (size_t)CLUSTERS * L * E; i++)
        base[i] = 0.65 * rng_normal();
    size_t minlen = SIZE_MAX, maxlen = 0, totlen = 0;
    for (size_t i = 0; i < n; i++) {
        char *t = textbuf + i * cap;
        len[i] = pathway_make(t, cap, base + (i % CLUSTERS) * L * E, tau);
        uint16_t *s = symbuf + i * cap;
        if (experts) /* expert ids and a layer separator (E), ',' dropped; edlib gets them as bytes */
            len[i] = to_experts(t, len[i], s);
        else
            for (size_t k = 0; k < len[i]; k++)
                s[k] = (uint16_t)(unsigned char)t[k];
        text[i] = t;
        sym[i] = s;
        totlen += len[i];
        minlen = len[i] < minlen ? len[i] : minlen;
        maxlen = len[i] > maxlen ? len[i] : maxlen;
    }
    for (size_t i = 0, k = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++, k++) {
            pi[k] = i;
            pj[k] = j;
        }

    /* Rounds: every method once per round, best rate kept, so that load
     * from other processes hits all methods alike. */
    row rows[12];
    int nrows = 0;
    int tcounts[2] = {1, (int)threads};
    int nt = threads > 1 ? 2 : 1;
    bench b = {.text = text, .sym = sym, .len = len, .pi = pi, .pj = pj};
    atomic_init(&b.next, 0);
    atomic_init(&b.failed, 0);
    double sum_batch = 0;
    for (int round = 0; round < rounds; round++) {
        nrows = 0;
        for (int ti = 0; ti < nt; ti++) {
            int th = tcounts[ti];
            double rate[3];
            b.method = M_DP; b.npairs = ndp; b.dist = d_dp;
            rate[0] = bench_run(&b, th, min_time);
            b.method = M_EDLIB; b.npairs = np; b.dist = d_edlib;
            rate[1] = bench_run(&b, th, min_time);
            b.method = M_QUERY; b.npairs = np; b.dist = d_query;
            rate[2] = bench_run(&b, th, min_time);
            int nnow = 3;
            row now[6] = {{method_name[M_DP], th, ndp, rate[0], 0},
                          {method_name[M_EDLIB], th, np, rate[1], 1},
                          {method_name[M_QUERY], th, np, rate[2], 2}};
            /* edit_pairs_sum on each vector kernel this CPU runs */
            static const edit_kernel kern[] = {EDIT_KERNEL_AVX512, EDIT_KERNEL_AVX2};
            static const char *const kname[] = {"grokmon, edit_pairs_sum [avx512]",
                                                "grokmon, edit_pairs_sum [avx2]"};
            for (int kk = 0; kk < 2; kk++) {
                if (edit_kernel_select(kern[kk]) != 0)
                    continue;
                gm_error err = {0};
                double sum = 0, r = batch_run(sym, len, n, th, min_time, &sum, &err);
                if (r == 0)
                    die("edit_pairs_sum: %s", err.msg);
                if (nnow > 3 && sum != sum_batch)
                    die("edit_pairs_sum: the avx512 and avx2 kernels disagree (%.0f, %.0f)", sum_batch, sum);
                sum_batch = sum;
                now[nnow++] = (row){kname[kk], th, np, r, 2};
            }
            edit_kernel_select(EDIT_KERNEL_AUTO);
            if (nnow == 3) { /* no vector kernel: the scalar one */
                gm_error err = {0};
                double r = batch_run(sym, len, n, th, min_time, &sum_batch, &err);
                if (r == 0)
                    die("edit_pairs_sum: %s", err.msg);
                now[nnow++] = (row){"grokmon, edit_pairs_sum [scalar]", th, np, r, 2};
            }
            for (int r = 0; r < nnow; r++, nrows++)
                if (round == 0 || now[r].rate > rows[nrows].rate)
                    rows[nrows] = now[r];
        }
    }
    if (atomic_load(&b.failed))
        die("a distance failed (out of memory or edlib error)");

    /* Every method must agree, pair by pair (the sum for edit_pairs_sum). */
    size_t bad = 0, first_bad = 0;
    double sum_edlib = 0;
    for (size_t k = 0; k < np; k++) {
        sum_edlib += (double)d_edlib[k];
        if (d_edlib[k] != d_query[k] || (k < ndp && d_dp[k] != d_edlib[k]))
            if (!bad++)
                first_bad = k;
    }
    if (bad || sum_edlib != sum_batch) {
        fprintf(stderr, PROG ": error: methods disagree on %zu pairs (first: pair %zu-%zu, edlib %zu, grokmon %zu, DP %zu); sums edlib %.0f, edit_pairs_sum %.0f\n",
                bad, pi[first_bad], pj[first_bad], d_edlib[first_bad], d_query[first_bad],
                first_bad < ndp ? d_dp[first_bad] : 0, sum_edlib, sum_batch);
        return GM_EXIT_FAIL;
    }

    printf("bench-distance: %zu pathway strings (16 layers, 64 experts, tau %.2f, seed %lld), "
           "length mean %.0f min %zu max %zu %s, mean distance %.1f over %zu pairs; "
           "all methods agree\n",
           n, tau, (long long)seed, (double)totlen / (double)n, minlen, maxlen, experts ? "expert symbols" : "chars", sum_edlib / (double)np, np);
    double load = -1;
    FILE *la = fopen("/proc/loadavg", "r");
    if (la) {
        if (fscanf(la, "%lf", &load) != 1)
            load = -1;
        fclose(la);
    }
    printf("best of %d rounds, each at least %.2f s; %ld processors, load average %.2f "
           "(other processes share them: best of rounds keeps the least disturbed run)\n",
           rounds, min_time, sysconf(_SC_NPROCESSORS_ONLN), load);
    printf("%-36s %7s %9s %12s %9s %9s\n", "method", "threads", "pairs", "pairs/s", "x DP", "x edlib");
    for (int r = 0; r < nrows; r++) {
        double dp = 0, ed = 0;
        for (int s = 0; s < nrows; s++)
            if (rows[s].threads == rows[r].threads) {
                if (rows[s].kind == 0) dp = rows[s].rate;
                if (rows[s].kind == 1) ed = rows[s].rate;
            }
        printf("%-36s %7d %9zu %12.0f %9.1f %9.2f\n", rows[r].name, rows[r].threads, rows[r].pairs,
               rows[r].rate, rows[r].rate / dp, rows[r].rate / ed);
    }
    free(textbuf); free(symbuf); free(base); free(text); free(sym); free(len);
    free(pi); free(pj); free(d_edlib); free(d_query); free(d_dp);
    dlclose(lib);
    return 0;
}
