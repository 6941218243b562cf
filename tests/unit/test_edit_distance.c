/* test_edit_distance.c: the bit-parallel edit distance (common/edit_distance.c)
 * against the plain O(nm) DP on random and edge cases (method.md, "Pathway
 * distance"), the DP itself against hand-counted values, and the pair helpers
 * against sums of DP distances, with 1, 2 and all threads.
 * The kernel is tested whatever GM_REFERENCE says (it is unset here, then set
 * for the section that checks the switch). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edit_distance.h"
#include "runtime.h"
#include "test.h"

static uint64_t rng_state;
static uint64_t rng_next(void) /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static size_t rng_below(size_t n) { return n ? (size_t)(rng_next() % n) : 0; }

static void fill_random(uint16_t *s, size_t n, unsigned alpha, unsigned base)
{
    for (size_t i = 0; i < n; i++)
        s[i] = (uint16_t)(base + rng_below(alpha));
}

/* b = a with about `edits` random substitutions, insertions and deletions. */
static size_t mutate(const uint16_t *a, size_t n, uint16_t *b, size_t cap,
                     size_t edits, unsigned alpha)
{
    size_t m = 0;
    for (size_t i = 0; i < n && m < cap; i++) {
        size_t r = n ? rng_below(n) : 0;
        if (r >= edits) {
            b[m++] = a[i];
            continue;
        }
        switch (rng_below(3)) {
        case 0: b[m++] = (uint16_t)rng_below(alpha); break;  /* substitute */
        case 1: break;                                       /* delete */
        default:                                             /* insert */
            b[m++] = (uint16_t)rng_below(alpha);
            if (m < cap)
                b[m++] = a[i];
        }
    }
    return m;
}

/* Count disagreements between edit_distance / a query and the DP; remember
 * the first. */
typedef struct tally {
    int pairs, bad;
    char first[200];
} tally;

static void compare(tally *t, const char *what, const uint16_t *a, size_t n,
                    const uint16_t *b, size_t m)
{
    size_t want = edit_distance_dp(a, n, b, m);
    size_t got1 = edit_distance(a, n, b, m);
    size_t got2 = edit_distance(b, m, a, n);
    edit_query *q = edit_query_create(a, n);
    size_t got3 = q ? edit_query_distance(q, b, m) : SIZE_MAX;
    edit_query_free(q);
    t->pairs++;
    if (got1 != want || got2 != want || got3 != want) {
        if (!t->bad++)
            snprintf(t->first, sizeof t->first,
                     "%s n=%zu m=%zu: dp %zu, edit_distance %zu / %zu swapped, query %zu",
                     what, n, m, want, got1, got2, got3);
    }
}

static void report(const tally *t, const char *name)
{
    CHECK(t->bad == 0, "%s: %d pairs agree with the DP%s%s", name, t->pairs,
          t->bad ? "; first disagreement: " : "", t->bad ? t->first : "");
}

static const uint16_t *u16(const char *s, uint16_t *buf)
{
    size_t i = 0;
    for (; s[i]; i++)
        buf[i] = (uint16_t)(unsigned char)s[i];
    return buf;
}

static void test_dp_known(void)
{
    uint16_t a[64], b[64];
    struct { const char *x, *y; size_t d; } k[] = {
        {"", "", 0}, {"", "abc", 3}, {"abc", "", 3}, {"a", "a", 0}, {"a", "b", 1},
        {"kitten", "sitting", 3}, {"flaw", "lawn", 2}, {"intention", "execution", 5},
        {"abc", "xyz", 3}, {"ab", "ba", 2}, {"3,1,5-12,9", "3,5-12,9,1", 4},
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        size_t n = strlen(k[i].x), m = strlen(k[i].y);
        size_t d = edit_distance_dp(u16(k[i].x, a), n, u16(k[i].y, b), m);
        size_t e = edit_distance(a, n, b, m);
        if (d != k[i].d || e != k[i].d) {
            bad++;
            printf("# %s / %s: dp %zu, bit-parallel %zu, by hand %zu\n", k[i].x, k[i].y, d, e, k[i].d);
        }
    }
    CHECK(bad == 0, "DP and bit-parallel match hand-counted distances (kitten/sitting = 3, ...)");
}

static void test_edges(void)
{
    enum { N = 2100 };
    uint16_t *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
    tally t = {0};
    /* empty against anything */
    fill_random(a, N, 12, 40);
    compare(&t, "empty", a, 0, a, 0);
    compare(&t, "empty", a, 0, a, 1);
    compare(&t, "empty", a, 2000, a, 0);
    /* equal, disjoint, one char */
    size_t lens[] = {1, 2, 63, 64, 65, 127, 128, 129, 191, 192, 193, 2000};
    int bad_exact = 0;
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        size_t n = lens[i];
        fill_random(a, n, 12, 0);
        compare(&t, "equal", a, n, a, n);
        if (edit_distance(a, n, a, n) != 0)
            bad_exact++;
        fill_random(b, n + 7, 12, 100); /* no symbol shared with a */
        compare(&t, "disjoint", a, n, b, n);
        compare(&t, "disjoint", a, n, b, n + 7);
        if (edit_distance(a, n, b, n + 7) != n + 7 || edit_distance(a, n, b, n) != n)
            bad_exact++;
        compare(&t, "one char", a, n, a + n / 2, 1);
        compare(&t, "one char", a, n, b, 1);
        if (edit_distance(a, n, b, 1) != n)
            bad_exact++;
        /* a prefix: the distance is the length difference */
        if (n > 1 && edit_distance(a, n, a, n / 2) != n - n / 2)
            bad_exact++;
        compare(&t, "prefix", a, n, a, n / 2);
        compare(&t, "suffix", a, n, a + n / 3, n - n / 3);
    }
    CHECK(bad_exact == 0, "exact edge values: equal 0, disjoint max(n,m), one char n, prefix n-m");
    /* every length pair around the word boundaries, random and similar */
    size_t near[] = {0, 1, 62, 63, 64, 65, 66, 126, 127, 128, 129, 130};
    size_t nn = sizeof near / sizeof near[0];
    for (size_t i = 0; i < nn; i++)
        for (size_t j = 0; j < nn; j++)
            for (int rep = 0; rep < 4; rep++) {
                fill_random(a, near[i], rep < 2 ? 3 : 12, 0);
                fill_random(b, near[j], rep < 2 ? 3 : 12, 0);
                compare(&t, "boundary random", a, near[i], b, near[j]);
                size_t m = mutate(a, near[i], b, N, 1 + rep * 3, rep < 2 ? 3 : 12);
                compare(&t, "boundary similar", a, near[i], b, m);
            }
    report(&t, "edge cases (empty, equal, disjoint, one char, prefix, lengths 62..130)");
    free(a);
    free(b);
}

static void test_random(void)
{
    enum { N = 2200 };
    uint16_t *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
    tally small = {0}, large = {0}, big = {0}, longs = {0};
    for (uint64_t seed = 1; seed <= 300; seed++) {
        rng_state = seed;
        size_t n = rng_below(300), m = rng_below(300);
        unsigned alpha = (unsigned)(1 + rng_below(seed % 3 ? 14 : 4));
        fill_random(a, n, alpha, 0);
        if (seed % 2) {
            fill_random(b, m, alpha, 0);
        } else {
            m = mutate(a, n, b, N, rng_below(n / 4 + 2), alpha);
        }
        compare(&small, "random", a, n, b, m);
        /* large alphabets: expert ids, and the whole uint16 range */
        unsigned big_alpha = seed % 2 ? 65 : 65536;
        fill_random(a, n, big_alpha, 0);
        if (seed % 3)
            m = mutate(a, n, b, N, rng_below(n / 3 + 2), big_alpha);
        else
            fill_random(b, m, big_alpha, 0);
        compare(&big, "large alphabet", a, n, b, m);
    }
    for (uint64_t seed = 1000; seed < 1040; seed++) {
        rng_state = seed;
        size_t n = 1800 + rng_below(201);
        fill_random(a, n, 12, 0);
        size_t m = mutate(a, n, b, N, rng_below(n), 12);
        compare(&longs, "2000 symbols", a, n, b, m);
        fill_random(b, 2000, seed % 2 ? 12 : 70, 0);
        compare(&longs, "2000 symbols random", a, n, b, 2000);
    }
    /* one past the stack scratch (8192 symbols): the allocating path */
    rng_state = 7;
    {
        size_t n = 9000;
        uint16_t *x = malloc(n * sizeof *x), *y = malloc((n + 100) * sizeof *y);
        fill_random(x, n, 12, 0);
        size_t m = mutate(x, n, y, n + 100, 900, 12);
        compare(&large, "9000 symbols", x, n, y, m);
        free(x);
        free(y);
    }
    report(&small, "random strings, alphabets 1..14, 300 seeds");
    report(&big, "random strings, alphabets 65 and 65536, 300 seeds");
    report(&longs, "strings of 1800..2000 symbols, 40 seeds");
    report(&large, "9000-symbol strings (heap scratch)");
    free(a);
    free(b);
}

/* Batch distances: every k around the lane count, mixed lengths (0 too),
 * alphabets on both the permute (<= 15 symbols) and the gather path. */
static void test_batch(const char *kname)
{
    enum { K = 40, N = 700 };
    uint16_t *buf = malloc((size_t)K * N * sizeof *buf), *q = malloc(N * sizeof *q);
    const uint16_t *t[K];
    size_t m[K], out[K];
    int bad = 0, pairs = 0;
    char first[200] = "";
    unsigned alphas[] = {1, 2, 12, 14, 15, 16, 17, 65, 300, 65536};
    for (size_t ai = 0; ai < sizeof alphas / sizeof alphas[0]; ai++) {
        for (size_t k = 1; k <= K; k += (k < 18 ? 1 : 11)) {
            rng_state = 100 * ai + k;
            unsigned alpha = alphas[ai];
            size_t n = 1 + rng_below(N - 1);
            fill_random(q, n, alpha, 0);
            for (size_t i = 0; i < k; i++) {
                uint16_t *s = buf + i * N;
                t[i] = s;
                if (i % 5 == 3)
                    m[i] = 0;
                else if (i % 2)
                    m[i] = mutate(q, n, s, N, rng_below(n / 3 + 1), alpha);
                else {
                    m[i] = rng_below(N);
                    fill_random(s, m[i], alpha + 3, 0);
                }
            }
            edit_query *qy = edit_query_create(q, n);
            gm_error err = {0};
            int rc = qy ? edit_query_distances(qy, t, m, k, out, &err) : -1;
            for (size_t i = 0; i < k; i++) {
                size_t want = edit_distance_dp(q, n, t[i], m[i]);
                pairs++;
                if (rc != 0 || out[i] != want) {
                    if (!bad++)
                        snprintf(first, sizeof first, "alpha %u k %zu lane %zu n %zu m %zu: got %zu, dp %zu (rc %d)",
                                 alpha, k, i, n, m[i], rc ? 0 : out[i], want, rc);
                }
            }
            edit_query_free(qy);
        }
    }
    CHECK(bad == 0, "[%s] edit_query_distances, k = 1..40, alphabets 1..65536: %d pairs agree with the DP%s%s",
          kname, pairs, bad ? "; first: " : "", first);
    free(buf);
    free(q);
}

/* Pathway-like strings (digits, ',' and '-'), the case the project runs. */
static size_t pathway(uint16_t *s, size_t cap, const int *base, int jitter)
{
    size_t n = 0;
    char tmp[16];
    for (int l = 0; l < 16; l++) {
        int count = 3 + (int)rng_below(12);
        for (int e = 0; e < count; e++) {
            int id = rng_below(4) < (size_t)jitter ? (int)rng_below(64) : base[l * 20 + e];
            int len = snprintf(tmp, sizeof tmp, "%s%d", e ? "," : (l ? "-" : ""), id);
            for (int c = 0; c < len && n < cap; c++)
                s[n++] = (uint16_t)tmp[c];
        }
    }
    return n;
}

static void test_pairs(const char *kname)
{
    enum { S = 37, N = 600 };
    uint16_t *buf = malloc((size_t)S * N * sizeof *buf);
    const uint16_t *s[S];
    size_t len[S];
    int base[16 * 20];
    rng_state = 4242;
    for (int i = 0; i < 16 * 20; i++)
        base[i] = (int)rng_below(64);
    for (size_t i = 0; i < S; i++) {
        s[i] = buf + i * N;
        len[i] = pathway(buf + i * N, N, base, (int)(i % 4));
    }
    len[5] = 0; /* an empty pathway in the set */
    double want = 0;
    for (size_t i = 0; i < S; i++)
        for (size_t j = i + 1; j < S; j++)
            want += (double)edit_distance_dp(s[i], len[i], s[j], len[j]);
    int threads[] = {1, 2, 0, 64};
    for (size_t ti = 0; ti < 4; ti++) {
        double got = -1;
        gm_error err = {0};
        int rc = edit_pairs_sum(s, len, S, threads[ti], &got, &err);
        CHECK(rc == 0 && got == want, "[%s] edit_pairs_sum, %d threads: %.0f, DP %.0f", kname, threads[ti], got, want);
    }
    double zero = -1;
    CHECK(edit_pairs_sum(s, len, 1, 2, &zero, NULL) == 0 && zero == 0, "edit_pairs_sum of one string is 0");
    CHECK(edit_pairs_sum(s, len, 0, 2, &zero, NULL) == 0 && zero == 0, "edit_pairs_sum of no string is 0");
    gm_error err = {0};
    CHECK(edit_pairs_sum(s, len, S, -1, &zero, &err) == -1 && err.code == GM_EUSAGE,
          "edit_pairs_sum refuses -1 threads: %s", err.msg);

    /* cross-set: first 12 strings against the other 25 */
    double cwant = 0, cgot = -1;
    for (size_t i = 0; i < 12; i++)
        for (size_t j = 12; j < S; j++)
            cwant += (double)edit_distance_dp(s[i], len[i], s[j], len[j]);
    CHECK(edit_cross_sum(s, len, 12, s + 12, len + 12, S - 12, 2, &cgot, NULL) == 0 && cgot == cwant,
          "[%s] edit_cross_sum 12 x 25, 2 threads: %.0f, DP %.0f", kname, cgot, cwant);

    /* listed pairs: 700 random pairs, runs of equal first index and not */
    enum { P = 700 };
    size_t pi[P], pj[P], dist[P];
    for (size_t k = 0; k < P; k++) {
        pi[k] = k < 400 ? k / 13 % S : rng_below(S);
        pj[k] = rng_below(S);
    }
    int bad = 0;
    for (int th = 1; th <= 2; th++) {
        memset(dist, 0xff, sizeof dist);
        int rc = edit_pairs_list(s, len, pi, pj, P, th, dist, NULL);
        for (size_t k = 0; k < P; k++)
            if (rc != 0 || dist[k] != edit_distance_dp(s[pi[k]], len[pi[k]], s[pj[k]], len[pj[k]]))
                bad++;
    }
    CHECK(bad == 0, "[%s] edit_pairs_list, 700 pairs, 1 and 2 threads: %d disagree with the DP", kname, bad);
    free(buf);
}

/* One query shared by two threads at once (the header says it may be). */
typedef struct shared_arg {
    const edit_query *q;
    const uint16_t *const *t;
    const size_t *m;
    size_t k;
    size_t out[24];
    int rc;
} shared_arg;

static void *shared_worker(void *p)
{
    shared_arg *a = p;
    for (int rep = 0; rep < 20 && a->rc == 0; rep++)
        a->rc = edit_query_distances(a->q, a->t, a->m, a->k, a->out, NULL);
    return NULL;
}

static void test_shared_query(void)
{
    enum { K = 24, N = 300 };
    uint16_t q[N], buf[K][N];
    const uint16_t *t[K];
    size_t m[K];
    rng_state = 31337;
    fill_random(q, N, 12, 0);
    for (size_t i = 0; i < K; i++) {
        m[i] = mutate(q, N, buf[i], N, 5 + i * 4, 12);
        t[i] = buf[i];
    }
    edit_query *qy = edit_query_create(q, N);
    shared_arg a[2] = {{qy, t, m, K, {0}, 0}, {qy, t, m, K, {0}, 0}};
    pthread_t tid;
    int started = qy && pthread_create(&tid, NULL, shared_worker, &a[1]) == 0;
    shared_worker(&a[0]);
    if (started)
        pthread_join(tid, NULL);
    int bad = !started;
    for (size_t i = 0; i < K; i++) {
        size_t want = edit_distance_dp(q, N, t[i], m[i]);
        bad += a[0].rc != 0 || a[1].rc != 0 || a[0].out[i] != want || a[1].out[i] != want;
    }
    CHECK(bad == 0, "one query used by two threads at once: %d of %d distances wrong", bad, 2 * K);
    edit_query_free(qy);
}

/* GM_REFERENCE=1: the same answers through the DP (queries read it when made;
 * the process reads GM_REFERENCE once, so the test flips the switch it sets). */
static void test_reference_switch(void)
{
    runtime_set_reference(1);
    CHECK(edit_kernel_current() == EDIT_KERNEL_DP, "GM_REFERENCE=1 makes the DP the current kernel (%s)",
          edit_kernel_name(edit_kernel_current()));
    uint16_t a[300], b[300];
    rng_state = 99;
    tally t = {0};
    for (int i = 0; i < 50; i++) {
        size_t n = rng_below(300), m = rng_below(300);
        fill_random(a, n, 12, 0);
        fill_random(b, m, 12, 0);
        compare(&t, "reference", a, n, b, m);
    }
    const uint16_t *s[3] = {a, b, a};
    size_t len[3] = {100, 200, 0};
    double got = -1, want = (double)(edit_distance_dp(a, 100, b, 200) + 100 + 200);
    CHECK(edit_pairs_sum(s, len, 3, 2, &got, NULL) == 0 && got == want,
          "GM_REFERENCE=1: edit_pairs_sum %.0f, expected %.0f", got, want);
    report(&t, "GM_REFERENCE=1 path");
    runtime_set_reference(0);
}

int main(void)
{
    runtime_set_reference(0);
    test_dp_known();
    test_edges();
    test_random();
    /* the batch paths on every kernel this CPU runs */
    edit_kernel kernels[] = {EDIT_KERNEL_AVX512, EDIT_KERNEL_AVX2, EDIT_KERNEL_SCALAR, EDIT_KERNEL_DP};
    for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; i++) {
        if (edit_kernel_select(kernels[i]) != 0) {
            printf("# kernel %s: not available on this CPU, not tested\n", edit_kernel_name(kernels[i]));
            continue;
        }
        CHECK(edit_kernel_current() == kernels[i], "kernel %s selected", edit_kernel_name(kernels[i]));
        test_batch(edit_kernel_name(kernels[i]));
        test_pairs(edit_kernel_name(kernels[i]));
    }
    CHECK(edit_kernel_select((edit_kernel)99) == -1, "an unknown kernel is refused");
    CHECK(edit_kernel_select(EDIT_KERNEL_AUTO) == 0 && edit_kernel_current() != EDIT_KERNEL_AUTO &&
          edit_kernel_current() != EDIT_KERNEL_DP,
          "auto picks a bit-parallel kernel without GM_REFERENCE (%s)", edit_kernel_name(edit_kernel_current()));
    test_shared_query();
    test_reference_switch();
    return test_status();
}
