/* select.c: which instances the reader emits, and in which order: all, a
 * range, an index file, the instances of an OLMo training step (global
 * indices file + batch size), and a seeded uniform sample without replacement
 * of any of those. The sample uses its own PRNG (splitmix64) and Floyd's
 * algorithm, so a seed picks the same instances on every machine. It does
 * not read token data. design.md "reader"; olmoe.md "Checkpoints and data". */
#include "reader.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t selection_count(const selection *s)
{
    return s->list ? s->n_list : (size_t)(s->end - s->begin);
}

int64_t selection_at(const selection *s, size_t i)
{
    return s->list ? s->list[i] : s->begin + (int64_t)i;
}

void selection_free(selection *s)
{
    if (!s)
        return;
    free(s->list);
    memset(s, 0, sizeof *s);
}

void selection_all(selection *s, int64_t n)
{
    memset(s, 0, sizeof *s);
    s->end = n;
}

/* A non-negative decimal integer filling [p, end); -1 if not one. */
static int parse_index(const char *p, const char *end, int64_t *out)
{
    if (p == end)
        return -1;
    int64_t v = 0;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9' || v > (INT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (*p - '0');
    }
    *out = v;
    return 0;
}

int selection_range(selection *s, const char *spec, int64_t n, gm_error *err)
{
    memset(s, 0, sizeof *s);
    const char *colon = strchr(spec, ':');
    const char *end = spec + strlen(spec);
    int64_t a = 0, b = n;
    if (!colon || (colon > spec && parse_index(spec, colon, &a) < 0) ||
        (colon + 1 < end && parse_index(colon + 1, end, &b) < 0))
        return gm_fail(err, GM_EUSAGE, "--range '%s': expected A:B, A: or :B with A <= B "
                       "non-negative instance numbers (B excluded)", spec);
    if (a > b)
        return gm_fail(err, GM_EUSAGE, "--range '%s': start %" PRId64 " is after end %" PRId64,
                       spec, a, b);
    if (b > n)
        return gm_fail(err, GM_EDATA, "--range '%s': index out of range: the data has %" PRId64
                       " instances (0 to %" PRId64 ")", spec, n, n - 1);
    s->begin = a;
    s->end = b;
    return 0;
}

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

/* Fails naming the first repeated value, if any. what: "indices.txt". */
static int check_unique(const int64_t *v, size_t n, const char *what, gm_error *err)
{
    if (n < 2)
        return 0;
    int64_t *sorted = malloc(n * sizeof *sorted);
    if (!sorted)
        return gm_fail(err, GM_ENOMEM, "out of memory");
    memcpy(sorted, v, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_i64);
    for (size_t i = 1; i < n; i++)
        if (sorted[i] == sorted[i - 1]) {
            int64_t dup = sorted[i];
            free(sorted);
            return gm_fail(err, GM_EDATA, "%s: instance %" PRId64 " is selected twice (ids "
                           "would repeat)", what, dup);
        }
    free(sorted);
    return 0;
}

static int list_push(selection *s, size_t *cap, int64_t v, gm_error *err)
{
    if (s->n_list == *cap) {
        size_t c = *cap ? *cap * 2 : 256;
        int64_t *grown = realloc(s->list, c * sizeof *grown);
        if (!grown)
            return gm_fail(err, GM_ENOMEM, "out of memory for %zu indices", c);
        s->list = grown;
        *cap = c;
    }
    s->list[s->n_list++] = v;
    return 0;
}

int selection_indices_file(selection *s, const char *path, int64_t n, gm_error *err)
{
    memset(s, 0, sizeof *s);
    mapped_file f;
    if (mapped_file_open(&f, path, err) < 0)
        return -1;
    size_t at = 0, cap = 0;
    int64_t lineno = 0;
    int rc = 0;
    while (rc == 0 && at < f.size) {
        const char *line = (const char *)f.data + at;
        const char *nl = memchr(line, '\n', f.size - at);
        size_t len = nl ? (size_t)(nl - line) : f.size - at;
        at += len + 1;
        lineno++;
        const char *b = line, *e = line + len;
        while (b < e && (*b == ' ' || *b == '\t'))
            b++;
        while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
            e--;
        if (b == e || *b == '#')
            continue;
        int64_t v;
        if (parse_index(b, e, &v) < 0)
            rc = gm_fail(err, GM_EDATA, "%s:%" PRId64 ": '%.*s' is not an instance number",
                         f.path, lineno, (int)(e - b > 40 ? 40 : e - b), b);
        else if (v >= n)
            rc = gm_fail(err, GM_EDATA, "%s:%" PRId64 ": index %" PRId64 " out of range: the "
                         "data has %" PRId64 " instances", f.path, lineno, v, n);
        else
            rc = list_push(s, &cap, v, err);
    }
    if (rc == 0)
        rc = check_unique(s->list, s->n_list, f.path, err);
    if (rc == 0 && !s->list)
        s->list = malloc(1); /* an explicit empty list, not "all" */
    mapped_file_close(&f);
    if (rc < 0 || !s->list) {
        selection_free(s);
        return rc < 0 ? -1 : gm_fail(err, GM_ENOMEM, "out of memory");
    }
    return 0;
}

int selection_olmo_step(selection *s, const char *path, int64_t step, int64_t batch,
                        int64_t n, gm_error *err)
{
    memset(s, 0, sizeof *s);
    mapped_file f;
    if (mapped_file_open(&f, path, err) < 0)
        return -1;
    const uint8_t *data = f.data;
    tok_dtype dt = TOK_U32;
    uint64_t count;
    int rc = 0;
    if (f.size >= 6 && memcmp(f.data, "\x93NUMPY", 6) == 0) {
        npy_header h;
        if (npy_header_parse(f.data, f.size, &h, err) < 0) {
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "%s", err->msg);
            rc = gm_fail(err, GM_EDATA, "%s: %s", f.path, msg);
            goto done;
        }
        if (h.ndim != 1) {
            rc = gm_fail(err, GM_EDATA, "%s: global indices must be a 1-D array, this one is "
                         "2-D", f.path);
            goto done;
        }
        data = f.data + h.data_offset;
        dt = h.dtype;
        count = (uint64_t)h.shape[0];
    } else {
        if (f.size % 4 != 0) {
            rc = gm_fail(err, GM_EDATA, "%s: size %zu is not a whole number of uint32 indices "
                         "(raw global indices are little-endian uint32)", f.path, f.size);
            goto done;
        }
        count = f.size / 4;
    }
    if (step > INT64_MAX / batch) {
        rc = gm_fail(err, GM_EUSAGE, "--step %" PRId64 " times --batch-size %" PRId64
                     " overflows", step, batch);
        goto done;
    }
    /* the step's instances: global_indices[(step-1)*batch : step*batch] */
    uint64_t begin = (uint64_t)(step - 1) * (uint64_t)batch, end = begin + (uint64_t)batch;
    if (end > count) {
        rc = gm_fail(err, GM_EDATA, "%s: step %" PRId64 " needs global indices [%" PRIu64
                     ", %" PRIu64 "), the file has %" PRIu64 " (steps 1 to %" PRIu64
                     " at batch size %" PRId64 ")", f.path, step, begin, end, count,
                     count / (uint64_t)batch, batch);
        goto done;
    }
    if (!(s->list = malloc((size_t)batch * sizeof *s->list))) {
        rc = gm_fail(err, GM_ENOMEM, "out of memory for %" PRId64 " indices", batch);
        goto done;
    }
    for (int64_t i = 0; i < batch; i++) {
        int64_t v = tok_load(data, dt, (int64_t)begin + i);
        if (v < 0 || v >= n) {
            rc = gm_fail(err, GM_EDATA, "%s: global index %" PRIu64 " is %" PRId64
                         ", out of range: the data has %" PRId64 " instances", f.path,
                         begin + (uint64_t)i, v, n);
            goto done;
        }
        s->list[i] = v;
    }
    s->n_list = (size_t)batch;
    rc = check_unique(s->list, s->n_list, f.path, err);
done:
    mapped_file_close(&f);
    if (rc < 0)
        selection_free(s);
    return rc;
}

/* ---- seeded uniform sample ------------------------------------------------ */

/* Uniform in [0, m), m > 0, without modulo bias: draw x, reject while
 * x < 2^64 mod m, return x mod m. */
uint64_t splitmix64_below(uint64_t *state, uint64_t m)
{
    uint64_t reject_below = (0 - m) % m; /* 2^64 mod m */
    for (;;) {
        uint64_t x = splitmix64_next(state);
        if (x >= reject_below)
            return x % m;
    }
}

/* An open-addressing set of non-negative int64 (-1 = empty slot). */
typedef struct pos_set {
    int64_t *slot;
    size_t mask;
} pos_set;

static int pos_set_insert(pos_set *set, int64_t v) /* 1 if added, 0 if present */
{
    size_t i = (size_t)((uint64_t)v * 0x9E3779B97F4A7C15ull >> 17) & set->mask;
    while (set->slot[i] >= 0) {
        if (set->slot[i] == v)
            return 0;
        i = (i + 1) & set->mask;
    }
    set->slot[i] = v;
    return 1;
}

int selection_sample(selection *s, int64_t k, uint64_t seed, gm_error *err)
{
    uint64_t m = selection_count(s);
    if ((uint64_t)k > m)
        return gm_fail(err, GM_EDATA, "--sample %" PRId64 ": only %" PRIu64
                       " instances are selected", k, m);
    size_t cap = 16;
    while (cap < 2 * (size_t)k)
        cap *= 2;
    pos_set set = { malloc(cap * sizeof(int64_t)), cap - 1 };
    int64_t *picked = malloc(((size_t)k ? (size_t)k : 1) * sizeof *picked);
    if (!set.slot || !picked) {
        free(set.slot);
        free(picked);
        return gm_fail(err, GM_ENOMEM, "out of memory sampling %" PRId64, k);
    }
    memset(set.slot, 0xff, cap * sizeof(int64_t));
    /* Floyd: for j = m-k .. m-1, t = uniform [0, j]; take t, or j if t was taken. */
    uint64_t state = seed;
    size_t n = 0;
    for (uint64_t j = m - (uint64_t)k; j < m; j++) {
        int64_t t = (int64_t)splitmix64_below(&state, j + 1);
        if (!pos_set_insert(&set, t)) {
            t = (int64_t)j;
            pos_set_insert(&set, t);
        }
        picked[n++] = t;
    }
    free(set.slot);
    qsort(picked, n, sizeof *picked, cmp_i64); /* keep the selection's order */
    for (size_t i = 0; i < n; i++)
        picked[i] = selection_at(s, (size_t)picked[i]);
    free(s->list);
    s->list = picked;
    s->n_list = n;
    return 0;
}
