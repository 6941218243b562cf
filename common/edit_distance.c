/* edit_distance.c: exact Levenshtein distance for pathway strings (method.md,
 * "Pathway distance"; design.md, metric-reduce). Myers 1999 bit-vector
 * algorithm in Hyyro's multi-block form (64 rows per word, all blocks every
 * column: pathway pairs sit far apart, so a band would save little); one
 * query against eight (AVX-512) or four (AVX2) strings at once, picked at run
 * time; the plain O(nm) DP as the reference. No banding, no traceback. */
#include "edit_distance.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define EDIT_X86 1
#define TARGET_AVX512 __attribute__((target("avx512f,avx512vbmi2")))
#define TARGET_AVX2 __attribute__((target("avx2")))
#define ALWAYS_INLINE static inline __attribute__((always_inline))
#endif

/* Symbols below this map through a table, the rest by binary search. */
#define LOW_SYMBOLS 256

/* Query blocks up to this many use stack scratch (8192 symbols). */
#define STACK_BLOCKS 128

struct edit_query {
    size_t n;          /* query length */
    size_t blocks;     /* B = ceil(n / 64) */
    unsigned last_bit; /* row n-1 within the last block */
    edit_kernel kernel; /* chosen when the query was made; never AUTO */
    uint16_t *q;       /* [n] copy, for the DP */
    size_t alpha;      /* A: distinct query symbols; index A = absent symbol */
    uint32_t low[LOW_SYMBOLS]; /* symbol < 256 -> its index in 0..A */
    uint16_t *high;    /* [nhigh] distinct query symbols >= 256, sorted;
                          high[h] has index A - nhigh + h */
    size_t nhigh;
    uint64_t *peq;     /* [A+1][B] match masks (+3 words); row A is all zero */
    uint64_t *peq_t;   /* [B][16] the same, block-major, when A <= 15 */
};

/* ------------------------------------------------------------ kernels ---- */

static const char *const kernel_names[] = {"auto", "avx512", "avx2", "scalar", "dp"};
static edit_kernel kernel_selected = EDIT_KERNEL_AUTO;

const char *edit_kernel_name(edit_kernel k)
{
    return (unsigned)k < sizeof kernel_names / sizeof kernel_names[0] ? kernel_names[k] : "?";
}

int edit_kernel_available(edit_kernel k)
{
    switch (k) {
    case EDIT_KERNEL_AUTO:
    case EDIT_KERNEL_SCALAR:
    case EDIT_KERNEL_DP:
        return 1;
#ifdef EDIT_X86
    case EDIT_KERNEL_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vbmi2");
    case EDIT_KERNEL_AVX2:
        return __builtin_cpu_supports("avx2");
#endif
    default:
        return 0;
    }
}

int edit_kernel_select(edit_kernel k)
{
    if (!edit_kernel_available(k))
        return -1;
    kernel_selected = k;
    return 0;
}

edit_kernel edit_kernel_current(void)
{
    if (kernel_selected != EDIT_KERNEL_AUTO)
        return kernel_selected;
    if (runtime_reference())
        return EDIT_KERNEL_DP;
    if (edit_kernel_available(EDIT_KERNEL_AVX512))
        return EDIT_KERNEL_AVX512;
    if (edit_kernel_available(EDIT_KERNEL_AVX2))
        return EDIT_KERNEL_AVX2;
    return EDIT_KERNEL_SCALAR;
}

/* ---------------------------------------------------------------- DP ---- */

/* D[i][j] = min(D[i-1][j] + 1, D[i][j-1] + 1, D[i-1][j-1] + (a[i-1] != b[j-1])),
 * one row over the shorter string. */
size_t edit_distance_dp(const uint16_t *a, size_t n, const uint16_t *b, size_t m)
{
    if (m > n) { /* keep the row on the shorter string */
        const uint16_t *ts = a; a = b; b = ts;
        size_t tn = n; n = m; m = tn;
    }
    if (m == 0)
        return n;
    size_t *row = malloc((m + 1) * sizeof *row); /* [m+1] */
    if (!row)
        return SIZE_MAX;
    for (size_t j = 0; j <= m; j++)
        row[j] = j;
    for (size_t i = 1; i <= n; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= m; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    size_t d = row[m];
    free(row);
    return d;
}

/* ------------------------------------------------------------ query ---- */

static int symbol_cmp(const void *a, const void *b)
{
    uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
    return (x > y) - (x < y);
}

/* The alphabet index of symbol c in the query, A if the query lacks it. */
static inline uint32_t query_symbol(const edit_query *qy, uint16_t c)
{
    if (c < LOW_SYMBOLS)
        return qy->low[c];
    size_t lo = 0, hi = qy->nhigh;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (qy->high[mid] < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < qy->nhigh && qy->high[lo] == c)
        return (uint32_t)(qy->alpha - qy->nhigh + lo);
    return (uint32_t)qy->alpha;
}

edit_query *edit_query_create(const uint16_t *q, size_t n)
{
    edit_query *qy = calloc(1, sizeof *qy);
    if (!qy)
        return NULL;
    qy->n = n;
    qy->blocks = (n + 63) / 64;
    qy->last_bit = n ? (unsigned)((n - 1) % 64) : 0;
    qy->kernel = edit_kernel_current();
    qy->q = malloc((n ? n : 1) * sizeof *qy->q);
    qy->high = malloc((n ? n : 1) * sizeof *qy->high);
    if (!qy->q || !qy->high) {
        edit_query_free(qy);
        return NULL;
    }
    if (n)
        memcpy(qy->q, q, n * sizeof *q);
    /* The alphabet: distinct symbols in increasing order, so that index
     * A (alpha) is free for every symbol the query lacks. */
    uint8_t seen[LOW_SYMBOLS] = {0};
    size_t nh = 0;
    for (size_t i = 0; i < n; i++) {
        if (q[i] < LOW_SYMBOLS)
            seen[q[i]] = 1;
        else
            qy->high[nh++] = q[i];
    }
    qsort(qy->high, nh, sizeof *qy->high, symbol_cmp);
    size_t u = 0;
    for (size_t h = 0; h < nh; h++)
        if (u == 0 || qy->high[u - 1] != qy->high[h])
            qy->high[u++] = qy->high[h];
    qy->nhigh = u;
    size_t a = 0;
    for (size_t c = 0; c < LOW_SYMBOLS; c++)
        if (seen[c])
            qy->low[c] = (uint32_t)a++;
    a += u;
    qy->alpha = a;
    for (size_t c = 0; c < LOW_SYMBOLS; c++)
        if (!seen[c])
            qy->low[c] = (uint32_t)a;
    size_t b = qy->blocks;
    /* +3: the AVX2 kernel reads four blocks of a row at a time */
    qy->peq = calloc((a + 1) * (b ? b : 1) + 3, sizeof *qy->peq);
    if (!qy->peq) {
        edit_query_free(qy);
        return NULL;
    }
    /* peq[x][i/64] bit i%64 set where q[i] is symbol x. */
    for (size_t i = 0; i < n; i++)
        qy->peq[(size_t)query_symbol(qy, q[i]) * b + i / 64] |= (uint64_t)1 << (i % 64);
    if (qy->kernel == EDIT_KERNEL_AVX512 && a <= 15 && b > 0) {
        qy->peq_t = aligned_alloc(64, b * 16 * sizeof *qy->peq_t);
        if (!qy->peq_t) {
            edit_query_free(qy);
            return NULL;
        }
        memset(qy->peq_t, 0, b * 16 * sizeof *qy->peq_t);
        for (size_t x = 0; x < a; x++)
            for (size_t k = 0; k < b; k++)
                qy->peq_t[k * 16 + x] = qy->peq[x * b + k];
    }
    return qy;
}

void edit_query_free(edit_query *query)
{
    if (!query)
        return;
    free(query->q);
    free(query->high);
    free(query->peq);
    free(query->peq_t);
    free(query);
}

/* ----------------------------------------------------- scalar kernel ---- */

/* One block step of Hyyro's multi-word Myers, for one column.
 * pv/mv: vertical +1/-1 deltas of the block; hp/hn: the horizontal delta
 * entering from above (+1: hp = 1, -1: hn = 1); returns through hp, hn the
 * delta leaving at bit 63, and through ph_out, mh_out the horizontal deltas
 * before the shift (for reading the score at another row). */
static inline void block_step(uint64_t *pv, uint64_t *mv, uint64_t eq,
                              uint64_t *hp, uint64_t *hn, uint64_t *ph_out,
                              uint64_t *mh_out)
{
    uint64_t Pv = *pv, Mv = *mv;
    uint64_t xv = eq | Mv;
    eq |= *hn;
    uint64_t xh = (((eq & Pv) + Pv) ^ Pv) | eq;
    uint64_t ph = Mv | ~(xh | Pv);
    uint64_t mh = Pv & xh;
    *ph_out = ph;
    *mh_out = mh;
    uint64_t op = ph >> 63, on = mh >> 63;
    ph = (ph << 1) | *hp;
    mh = (mh << 1) | *hn;
    *pv = mh | ~(xv | ph);
    *mv = ph & xv;
    *hp = op;
    *hn = on;
}

/* D[n][m] for query qy (n >= 1) against t[0..m-1]; pv, mv: scratch [B].
 * Two columns go side by side, the second one block behind the first, so
 * that two independent dependency chains fill the pipeline. */
static size_t scalar_distance(const edit_query *qy, const uint16_t *t, size_t m,
                              uint64_t *pv, uint64_t *mv)
{
    size_t nb = qy->blocks;
    for (size_t k = 0; k < nb; k++) {
        pv[k] = ~(uint64_t)0; /* column 0: D[i][0] = i, every vertical delta +1 */
        mv[k] = 0;
    }
    uint64_t last = (uint64_t)1 << qy->last_bit;
    size_t score = qy->n;
    size_t j = 0;
    for (; j + 1 < m; j += 2) {
        const uint64_t *ea = qy->peq + (size_t)query_symbol(qy, t[j]) * nb;
        const uint64_t *eb = qy->peq + (size_t)query_symbol(qy, t[j + 1]) * nb;
        uint64_t hpa = 1, hna = 0, hpb = 1, hnb = 0; /* row 0: D[0][j] = j, delta +1 */
        uint64_t pha = 0, mha = 0, phb = 0, mhb = 0;
        block_step(&pv[0], &mv[0], ea[0], &hpa, &hna, &pha, &mha);
        for (size_t k = 1; k < nb; k++) {
            block_step(&pv[k], &mv[k], ea[k], &hpa, &hna, &pha, &mha);
            block_step(&pv[k - 1], &mv[k - 1], eb[k - 1], &hpb, &hnb, &phb, &mhb);
        }
        block_step(&pv[nb - 1], &mv[nb - 1], eb[nb - 1], &hpb, &hnb, &phb, &mhb);
        score += ((pha & last) != 0) + ((phb & last) != 0);
        score -= ((mha & last) != 0) + ((mhb & last) != 0);
    }
    if (j < m) { /* an odd last column */
        const uint64_t *eq = qy->peq + (size_t)query_symbol(qy, t[j]) * nb;
        uint64_t hp = 1, hn = 0, ph = 0, mh = 0;
        for (size_t k = 0; k < nb; k++)
            block_step(&pv[k], &mv[k], eq[k], &hp, &hn, &ph, &mh);
        score += (ph & last) != 0;
        score -= (mh & last) != 0;
    }
    return score;
}

size_t edit_query_distance(const edit_query *query, const uint16_t *t, size_t m)
{
    if (query->kernel == EDIT_KERNEL_DP)
        return edit_distance_dp(query->q, query->n, t, m);
    if (query->n == 0)
        return m;
    if (m == 0)
        return query->n;
    size_t nb = query->blocks;
    if (nb <= STACK_BLOCKS) {
        uint64_t pv[STACK_BLOCKS], mv[STACK_BLOCKS];
        return scalar_distance(query, t, m, pv, mv);
    }
    uint64_t *pv = malloc(2 * nb * sizeof *pv);
    if (!pv)
        return SIZE_MAX;
    size_t d = scalar_distance(query, t, m, pv, pv + nb);
    free(pv);
    return d;
}

size_t edit_distance(const uint16_t *a, size_t n, const uint16_t *b, size_t m)
{
    if (edit_kernel_current() == EDIT_KERNEL_DP)
        return edit_distance_dp(a, n, b, m);
    if (n == 0)
        return m;
    if (m == 0)
        return n;
    if (n > m) { /* the shorter string as the query: fewer blocks */
        const uint16_t *ts = a; a = b; b = ts;
        size_t tn = n; n = m; m = tn;
    }
    edit_query *q = edit_query_create(a, n);
    if (!q)
        return SIZE_MAX;
    size_t d = edit_query_distance(q, b, m);
    edit_query_free(q);
    return d;
}

/* ------------------------------------------------- AVX-512 kernel ---- */

#ifdef EDIT_X86
/* (x << 1) | (prev >> 63): a block's horizontal deltas shifted down one row,
 * the delta leaving the block above entering at bit 0. */
TARGET_AVX512 ALWAYS_INLINE __m512i lane8_shift_in(__m512i x, __m512i prev)
{
    return _mm512_shldi_epi64(x, prev, 1);
}

/* block_step on eight lanes. *ph, *mh: in, the block above's horizontal
 * deltas before the shift (for block 0, ph = 1 << 63 and mh = 0: row 0's
 * delta is +1); out, this block's. */
TARGET_AVX512 ALWAYS_INLINE void lane8_step(__m512i *pv, __m512i *mv, __m512i eq, __m512i *ph, __m512i *mh)
{
    __m512i Pv = *pv, Mv = *mv;
    __m512i xv = _mm512_or_si512(eq, Mv);
    eq = _mm512_or_si512(eq, _mm512_srli_epi64(*mh, 63)); /* hin = -1: a match at bit 0 */
    __m512i sum = _mm512_add_epi64(_mm512_and_si512(eq, Pv), Pv);
    __m512i xh = _mm512_ternarylogic_epi64(sum, Pv, eq, 0xBE); /* (a ^ b) | c */
    __m512i h_p = _mm512_ternarylogic_epi64(Mv, xh, Pv, 0xF1); /* a | ~(b | c) */
    __m512i h_m = _mm512_and_si512(Pv, xh);
    __m512i phs = lane8_shift_in(h_p, *ph), mhs = lane8_shift_in(h_m, *mh);
    *pv = _mm512_ternarylogic_epi64(mhs, xv, phs, 0xF1);      /* a | ~(b | c) */
    *mv = _mm512_and_si512(phs, xv);
    *ph = h_p;
    *mh = h_m;
}

/* Match masks of block k for eight lanes' symbols (s64: alphabet index per
 * lane; s32: the same scaled by B, for the gather path). */
TARGET_AVX512 ALWAYS_INLINE __m512i lane8_eq(const edit_query *qy, size_t k, __m512i s64, __m256i s32)
{
    if (qy->peq_t) {
        const uint64_t *tab = qy->peq_t + k * 16;
        return _mm512_permutex2var_epi64(_mm512_load_si512(tab), s64, _mm512_load_si512(tab + 8));
    }
    return _mm512_i32gather_epi64(s32, (const void *)(qy->peq + k), 8);
}

/* score += the delta at row n-1 (bit last_bit of the last block) for lanes
 * whose string is longer than column j. */
TARGET_AVX512 ALWAYS_INLINE __m512i lane8_score(__m512i score, __m512i len, size_t j, __m512i last,
                                                __m512i ph, __m512i mh)
{
    const __m512i one = _mm512_set1_epi64(1);
    __mmask8 act = _mm512_cmpgt_epi64_mask(len, _mm512_set1_epi64((int64_t)j));
    score = _mm512_mask_add_epi64(score, _mm512_mask_test_epi64_mask(act, ph, last), score, one);
    return _mm512_mask_sub_epi64(score, _mm512_mask_test_epi64_mask(act, mh, last), score, one);
}

/* The scalar kernel on eight strings at once, one per 64-bit lane; the
 * query (and so every block's match mask table) is shared. Two columns go
 * side by side, the second one block behind, so that two independent
 * dependency chains fill the pipeline.
 * sym: [maxm][8] query-alphabet index of each lane's symbol per column
 * (already multiplied by B on the gather path); m: [8] lane lengths;
 * state: scratch [2B] vectors (64-byte aligned); out: [8] distances. */
TARGET_AVX512 static void lanes8_distance(const edit_query *qy, const uint32_t *sym, size_t maxm,
                                          const int64_t *m, void *state, size_t *out)
{
    size_t nb = qy->blocks;
    __m512i *pv = state, *mv = pv + nb; /* [B] each */
    const __m512i zero = _mm512_setzero_si512();
    const __m512i top = _mm512_set1_epi64(INT64_MIN); /* bit 63: row 0 delta +1 */
    const __m512i last = _mm512_set1_epi64((int64_t)((uint64_t)1 << qy->last_bit));
    for (size_t k = 0; k < nb; k++) {
        pv[k] = _mm512_set1_epi64(-1); /* column 0: D[i][0] = i */
        mv[k] = zero;
    }
    __m512i score = _mm512_set1_epi64((int64_t)qy->n);
    __m512i len = _mm512_loadu_si512(m);
    size_t j = 0;
    for (; j + 1 < maxm; j += 2) { /* column j + 1 works one block behind j */
        __m256i a32 = _mm256_loadu_si256((const __m256i *)(sym + 8 * j));
        __m256i b32 = _mm256_loadu_si256((const __m256i *)(sym + 8 * j + 8));
        __m512i a64 = _mm512_cvtepu32_epi64(a32), b64 = _mm512_cvtepu32_epi64(b32);
        __m512i pha = top, mha = zero, phb = top, mhb = zero;
        lane8_step(&pv[0], &mv[0], lane8_eq(qy, 0, a64, a32), &pha, &mha);
        for (size_t k = 1; k < nb; k++) {
            lane8_step(&pv[k], &mv[k], lane8_eq(qy, k, a64, a32), &pha, &mha);
            lane8_step(&pv[k - 1], &mv[k - 1], lane8_eq(qy, k - 1, b64, b32), &phb, &mhb);
        }
        lane8_step(&pv[nb - 1], &mv[nb - 1], lane8_eq(qy, nb - 1, b64, b32), &phb, &mhb);
        score = lane8_score(score, len, j, last, pha, mha);
        score = lane8_score(score, len, j + 1, last, phb, mhb);
    }
    if (j < maxm) { /* an odd last column */
        __m256i a32 = _mm256_loadu_si256((const __m256i *)(sym + 8 * j));
        __m512i a64 = _mm512_cvtepu32_epi64(a32);
        __m512i pha = top, mha = zero;
        for (size_t k = 0; k < nb; k++)
            lane8_step(&pv[k], &mv[k], lane8_eq(qy, k, a64, a32), &pha, &mha);
        score = lane8_score(score, len, j, last, pha, mha);
    }
    int64_t s[8];
    _mm512_storeu_si512(s, score);
    for (int l = 0; l < 8; l++)
        out[l] = (size_t)s[l];
}

/* ---------------------------------------------------- AVX2 kernel ---- */

/* lane8_step on four lanes, without ternary logic or the double shift. */
TARGET_AVX2 ALWAYS_INLINE void lane4_step(__m256i *pv, __m256i *mv, __m256i eq, __m256i *ph, __m256i *mh)
{
    const __m256i ones = _mm256_set1_epi64x(-1);
    __m256i Pv = *pv, Mv = *mv;
    __m256i xv = _mm256_or_si256(eq, Mv);
    eq = _mm256_or_si256(eq, _mm256_srli_epi64(*mh, 63));
    __m256i sum = _mm256_add_epi64(_mm256_and_si256(eq, Pv), Pv);
    __m256i xh = _mm256_or_si256(_mm256_xor_si256(sum, Pv), eq);
    __m256i h_p = _mm256_or_si256(Mv, _mm256_xor_si256(_mm256_or_si256(xh, Pv), ones));
    __m256i h_m = _mm256_and_si256(Pv, xh);
    __m256i phs = _mm256_or_si256(_mm256_slli_epi64(h_p, 1), _mm256_srli_epi64(*ph, 63));
    __m256i mhs = _mm256_or_si256(_mm256_slli_epi64(h_m, 1), _mm256_srli_epi64(*mh, 63));
    *pv = _mm256_or_si256(mhs, _mm256_xor_si256(_mm256_or_si256(xv, phs), ones));
    *mv = _mm256_and_si256(phs, xv);
    *ph = h_p;
    *mh = h_m;
}

TARGET_AVX2 ALWAYS_INLINE __m256i lane4_score(__m256i score, __m256i len, size_t j, __m128i bit,
                                              __m256i ph, __m256i mh)
{
    const __m256i one = _mm256_set1_epi64x(1);
    __m256i act = _mm256_cmpgt_epi64(len, _mm256_set1_epi64x((int64_t)j));
    __m256i up = _mm256_and_si256(_mm256_and_si256(_mm256_srl_epi64(ph, bit), one), act);
    __m256i down = _mm256_and_si256(_mm256_and_si256(_mm256_srl_epi64(mh, bit), one), act);
    return _mm256_sub_epi64(_mm256_add_epi64(score, up), down);
}

/* eq[k] = {peq[s0 + k], peq[s1 + k], peq[s2 + k], peq[s3 + k]} for k < B:
 * the four lanes' match-mask rows (offsets in s32) turned into per-block
 * vectors, four blocks at a time (a 4 x 4 transpose; cheaper than gathers). */
TARGET_AVX2 ALWAYS_INLINE void lane4_rows(const uint64_t *peq, const uint32_t *s32, size_t nb, __m256i *eq)
{
    const uint64_t *r0 = peq + s32[0], *r1 = peq + s32[1], *r2 = peq + s32[2], *r3 = peq + s32[3];
    for (size_t k = 0; k < nb; k += 4) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(r0 + k));
        __m256i b = _mm256_loadu_si256((const __m256i *)(r1 + k));
        __m256i c = _mm256_loadu_si256((const __m256i *)(r2 + k));
        __m256i d = _mm256_loadu_si256((const __m256i *)(r3 + k));
        __m256i t0 = _mm256_unpacklo_epi64(a, b), t1 = _mm256_unpackhi_epi64(a, b);
        __m256i t2 = _mm256_unpacklo_epi64(c, d), t3 = _mm256_unpackhi_epi64(c, d);
        eq[k] = _mm256_permute2x128_si256(t0, t2, 0x20);
        eq[k + 1] = _mm256_permute2x128_si256(t1, t3, 0x20);
        eq[k + 2] = _mm256_permute2x128_si256(t0, t2, 0x31);
        eq[k + 3] = _mm256_permute2x128_si256(t1, t3, 0x31);
    }
}

/* lanes8_distance on four lanes; sym: [maxm][4], offsets of each lane's
 * match-mask row (index * B); state: scratch [2B + 2 * B4] vectors, B4 = B
 * rounded up to a multiple of 4. */
TARGET_AVX2 static void lanes4_distance(const edit_query *qy, const uint32_t *sym, size_t maxm,
                                        const int64_t *m, void *state, size_t *out)
{
    size_t nb = qy->blocks, nb4 = (nb + 3) & ~(size_t)3;
    __m256i *pv = state, *mv = pv + nb;     /* [B] each */
    __m256i *ea = mv + nb, *eb = ea + nb4;  /* [B4] each: the two columns' masks */
    const __m256i zero = _mm256_setzero_si256();
    const __m256i top = _mm256_set1_epi64x(INT64_MIN);
    const __m128i bit = _mm_cvtsi32_si128((int)qy->last_bit);
    for (size_t k = 0; k < nb; k++) {
        pv[k] = _mm256_set1_epi64x(-1);
        mv[k] = zero;
    }
    __m256i score = _mm256_set1_epi64x((int64_t)qy->n);
    __m256i len = _mm256_loadu_si256((const __m256i *)m);
    size_t j = 0;
    for (; j + 1 < maxm; j += 2) {
        lane4_rows(qy->peq, sym + 4 * j, nb, ea);
        lane4_rows(qy->peq, sym + 4 * j + 4, nb, eb);
        __m256i pha = top, mha = zero, phb = top, mhb = zero;
        lane4_step(&pv[0], &mv[0], ea[0], &pha, &mha);
        for (size_t k = 1; k < nb; k++) {
            lane4_step(&pv[k], &mv[k], ea[k], &pha, &mha);
            lane4_step(&pv[k - 1], &mv[k - 1], eb[k - 1], &phb, &mhb);
        }
        lane4_step(&pv[nb - 1], &mv[nb - 1], eb[nb - 1], &phb, &mhb);
        score = lane4_score(score, len, j, bit, pha, mha);
        score = lane4_score(score, len, j + 1, bit, phb, mhb);
    }
    if (j < maxm) {
        lane4_rows(qy->peq, sym + 4 * j, nb, ea);
        __m256i pha = top, mha = zero;
        for (size_t k = 0; k < nb; k++)
            lane4_step(&pv[k], &mv[k], ea[k], &pha, &mha);
        score = lane4_score(score, len, j, bit, pha, mha);
    }
    int64_t s[4];
    _mm256_storeu_si256((__m256i *)s, score);
    for (int l = 0; l < 4; l++)
        out[l] = (size_t)s[l];
}
#endif

/* ------------------------------------------------------ batches ---- */

typedef void (*lanes_fn)(const edit_query *qy, const uint32_t *sym, size_t maxm,
                         const int64_t *m, void *state, size_t *out);

int edit_query_distances(const edit_query *query, const uint16_t *const *t,
                         const size_t *m, size_t k, size_t *out, gm_error *err)
{
    size_t nb = query->blocks, width = 0, vec = 0;
    lanes_fn run = NULL;
#ifdef EDIT_X86
    if (query->kernel == EDIT_KERNEL_AVX512)
        run = lanes8_distance, width = 8, vec = 64;
    else if (query->kernel == EDIT_KERNEL_AVX2)
        run = lanes4_distance, width = 4, vec = 32;
#endif
    if (!run || query->n == 0 || k < 2 || (query->alpha + 1) * nb > INT32_MAX) {
        for (size_t i = 0; i < k; i++) {
            out[i] = edit_query_distance(query, t[i], m[i]);
            if (out[i] == SIZE_MAX)
                return gm_fail(err, GM_ENOMEM, "edit distance: out of memory for a %zu-symbol query", query->n);
        }
        return 0;
    }
    size_t maxm = 0;
    for (size_t i = 0; i < k; i++)
        if (m[i] > maxm)
            maxm = m[i];
    uint32_t *sym = malloc((maxm ? maxm : 1) * width * sizeof *sym); /* [maxm][width] */
    /* pv [B], mv [B], and for AVX2 two columns' masks [B4] each */
    void *state = aligned_alloc(64, (2 * nb + 2 * ((nb + 3) & ~(size_t)3)) * vec);
    if (!sym || !state) {
        free(sym);
        free(state);
        return gm_fail(err, GM_ENOMEM, "edit distance: out of memory for %zu strings of up to %zu symbols", k, maxm);
    }
    uint32_t scale = query->peq_t ? 1 : (uint32_t)nb;
    uint32_t absent = (uint32_t)query->alpha * scale;
    for (size_t base = 0; base < k; base += width) {
        size_t used = k - base < width ? k - base : width;
        int64_t len[8] = {0};
        size_t gm = 0, d[8];
        for (size_t l = 0; l < used; l++) {
            len[l] = (int64_t)m[base + l];
            if (m[base + l] > gm)
                gm = m[base + l];
        }
        for (size_t l = 0; l < width; l++) {
            const uint16_t *s = l < used ? t[base + l] : NULL;
            size_t ml = (size_t)len[l], j = 0;
            for (; j < ml; j++)
                sym[width * j + l] = query_symbol(query, s[j]) * scale;
            for (; j < gm; j++)
                sym[width * j + l] = absent;
        }
        run(query, sym, gm, len, state, d);
        for (size_t l = 0; l < used; l++)
            out[base + l] = d[l];
    }
    free(sym);
    free(state);
    return 0;
}

/* ------------------------------------------------------ pair helpers ---- */

/* One job: rows are query strings; a row's partners are a range of targets.
 * Workers take rows (or pair chunks) from a shared counter. */
typedef struct pairs_job {
    const uint16_t *const *qs; /* [nq] row strings */
    const size_t *qlen;
    size_t nq;
    const uint16_t *const *ts; /* [nt] partner strings */
    const size_t *tlen;
    size_t nt;
    int triangle;              /* row i pairs with ts[i+1..nt) */
    int list;                  /* listed pairs instead of rows */
    const size_t *pi, *pj;     /* listed pairs (edit_pairs_list), else NULL */
    size_t npairs;
    size_t *dist;              /* [npairs] out, listed pairs */
    atomic_size_t next;        /* next row, or next chunk of listed pairs */
    atomic_int failed;
} pairs_job;

typedef struct pairs_worker {
    pairs_job *job;
    uint64_t sum;
    gm_error err;
    int failed;
} pairs_worker;

#define LIST_CHUNK 256

static void worker_fail(pairs_worker *w)
{
    w->failed = 1;
    atomic_store(&w->job->failed, 1);
}

static void rows_run(pairs_worker *w)
{
    pairs_job *job = w->job;
    size_t *out = malloc((job->nt ? job->nt : 1) * sizeof *out);
    if (!out) {
        gm_fail(&w->err, GM_ENOMEM, "edit distance: out of memory for %zu distances", job->nt);
        worker_fail(w);
        return;
    }
    for (;;) {
        if (atomic_load(&job->failed))
            break;
        size_t i = atomic_fetch_add(&job->next, 1);
        if (i >= job->nq)
            break;
        size_t lo = job->triangle ? i + 1 : 0;
        if (lo >= job->nt)
            continue;
        edit_query *q = edit_query_create(job->qs[i], job->qlen[i]);
        if (!q) {
            gm_fail(&w->err, GM_ENOMEM, "edit distance: out of memory for a query of %zu symbols", job->qlen[i]);
            worker_fail(w);
            break;
        }
        int rc = edit_query_distances(q, job->ts + lo, job->tlen + lo, job->nt - lo, out, &w->err);
        edit_query_free(q);
        if (rc < 0) {
            worker_fail(w);
            break;
        }
        for (size_t j = 0; j < job->nt - lo; j++)
            w->sum += out[j];
    }
    free(out);
}

static void list_run(pairs_worker *w)
{
    pairs_job *job = w->job;
    const uint16_t *tp[LIST_CHUNK];
    size_t tl[LIST_CHUNK];
    for (;;) {
        if (atomic_load(&job->failed))
            break;
        size_t c0 = atomic_fetch_add(&job->next, LIST_CHUNK);
        if (c0 >= job->npairs)
            break;
        size_t c1 = job->npairs - c0 < LIST_CHUNK ? job->npairs : c0 + LIST_CHUNK;
        for (size_t r0 = c0; r0 < c1;) { /* a run of equal pi shares a query */
            size_t r1 = r0, a = job->pi[r0];
            while (r1 < c1 && job->pi[r1] == a) {
                tp[r1 - r0] = job->qs[job->pj[r1]];
                tl[r1 - r0] = job->qlen[job->pj[r1]];
                r1++;
            }
            edit_query *q = edit_query_create(job->qs[a], job->qlen[a]);
            if (!q) {
                gm_fail(&w->err, GM_ENOMEM, "edit distance: out of memory for a query of %zu symbols", job->qlen[a]);
                worker_fail(w);
                return;
            }
            int rc = edit_query_distances(q, tp, tl, r1 - r0, job->dist + r0, &w->err);
            edit_query_free(q);
            if (rc < 0) {
                worker_fail(w);
                return;
            }
            r0 = r1;
        }
    }
}

static void *worker_main(void *arg)
{
    pairs_worker *w = arg;
    if (w->job->list)
        list_run(w);
    else
        rows_run(w);
    return NULL;
}

/* Run the job on `threads` threads (the caller's thread is one of them). */
static int job_run(pairs_job *job, int threads, size_t units, uint64_t *sum, gm_error *err)
{
    if (threads < 0)
        return gm_fail(err, GM_EUSAGE, "edit distance: thread count %d is negative", threads);
    threads = runtime_threads(threads);
    if ((size_t)threads > units)
        threads = units ? (int)units : 1;
    atomic_init(&job->next, 0);
    atomic_init(&job->failed, 0);
    pairs_worker *w = calloc((size_t)threads, sizeof *w);
    pthread_t *tid = calloc((size_t)threads, sizeof *tid);
    if (!w || !tid) {
        free(w);
        free(tid);
        return gm_fail(err, GM_ENOMEM, "edit distance: out of memory for %d threads", threads);
    }
    int started = 1; /* worker 0 runs on this thread; a thread that fails to
                        start leaves its share to the others */
    for (int i = 0; i < threads; i++)
        w[i].job = job;
    for (int i = 1; i < threads; i++) {
        if (pthread_create(&tid[i], NULL, worker_main, &w[i]) != 0)
            break;
        started++;
    }
    worker_main(&w[0]);
    for (int i = 1; i < started; i++)
        pthread_join(tid[i], NULL);
    uint64_t total = 0;
    int rc = 0;
    for (int i = 0; i < started; i++) {
        total += w[i].sum;
        if (w[i].failed && rc == 0) {
            if (err)
                *err = w[i].err;
            rc = -1;
        }
    }
    free(w);
    free(tid);
    if (sum)
        *sum = total;
    return rc;
}

int edit_pairs_sum(const uint16_t *const *s, const size_t *len, size_t n,
                   int threads, double *sum, gm_error *err)
{
    pairs_job job = {.qs = s, .qlen = len, .nq = n, .ts = s, .tlen = len, .nt = n, .triangle = 1};
    uint64_t total = 0;
    int rc = job_run(&job, threads, n > 1 ? n - 1 : 0, &total, err);
    *sum = (double)total;
    return rc;
}

int edit_cross_sum(const uint16_t *const *a, const size_t *alen, size_t na,
                   const uint16_t *const *b, const size_t *blen, size_t nb,
                   int threads, double *sum, gm_error *err)
{
    pairs_job job = {.qs = a, .qlen = alen, .nq = na, .ts = b, .tlen = blen, .nt = nb};
    uint64_t total = 0;
    int rc = job_run(&job, threads, nb ? na : 0, &total, err);
    *sum = (double)total;
    return rc;
}

int edit_pairs_list(const uint16_t *const *s, const size_t *len,
                    const size_t *pi, const size_t *pj, size_t npairs,
                    int threads, size_t *dist, gm_error *err)
{
    pairs_job job = {.qs = s, .qlen = len, .list = 1, .pi = pi, .pj = pj, .npairs = npairs, .dist = dist};
    return job_run(&job, threads, (npairs + LIST_CHUNK - 1) / LIST_CHUNK, NULL, err);
}
