/* pathway.c: pathway strings, routing-embedding cosines, consistency C/S and
 * routing entropy for one sample (method.md "Per checkpoint, per sample i",
 * steps 3-5). Works on a token-averaged router distribution g [L, E] already in
 * memory; it does not parse records or open checkpoints (pathway-encode's
 * router.c loads the matrices). The embedding product has an OpenBLAS path and
 * a plain-loop reference (GM_REFERENCE=1). */
#include "pathway.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

size_t pathway_layer_rank(const float *g, int64_t E, double limit, uint16_t *order)
{
    /* stable insertion sort, descending: equal weights keep ascending index */
    for (int64_t k = 0; k < E; k++) {
        int64_t j = k;
        while (j > 0 && g[order[j - 1]] < g[k]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = (uint16_t)k;
    }
    double cum = 0.0;
    for (int64_t k = 0; k < E; k++) {
        cum += (double)g[order[k]];
        if (cum > limit)
            return (size_t)k + 1;
    }
    size_t kept = 0; /* never exceeded: every expert with weight > 0 */
    while ((int64_t)kept < E && g[order[kept]] > 0.0f)
        kept++;
    return kept ? kept : 1;
}

int pathway_check(const float *g, int64_t L, int64_t E, gm_error *err)
{
    for (int64_t l = 0; l < L; l++) {
        double sum = 0.0;
        for (int64_t k = 0; k < E; k++) {
            float v = g[l * E + k];
            if (!isfinite(v) || v < 0.0f)
                return gm_fail(err, GM_EDATA, "router weight of layer %lld expert %lld is %g, "
                               "expected a finite value >= 0", (long long)l, (long long)k, (double)v);
            sum += v;
        }
        if (!(sum > 0.0))
            return gm_fail(err, GM_EDATA, "router weights of layer %lld are all zero", (long long)l);
    }
    return 0;
}

int pathway_string(const float *g, int64_t L, int64_t E, double tau, int relative,
                   char **out, uint16_t *counts, gm_error *err)
{
    *out = NULL;
    uint16_t *order = malloc((size_t)E * sizeof *order);
    /* worst case: every expert, up to 5 digits and a separator each */
    size_t cap = (size_t)L * (size_t)E * 6 + 1;
    char *s = malloc(cap);
    if (!order || !s) {
        free(order);
        free(s);
        return gm_fail(err, GM_ENOMEM, "out of memory for a pathway string of %lld layers",
                       (long long)L);
    }
    size_t len = 0;
    for (int64_t l = 0; l < L; l++) {
        const float *gl = g + l * E; /* [E] */
        double limit = tau;
        if (relative) {
            double sum = 0.0;
            for (int64_t k = 0; k < E; k++)
                sum += (double)gl[k];
            limit = tau * sum;
        }
        size_t kept = pathway_layer_rank(gl, E, limit, order);
        counts[l] = (uint16_t)kept;
        if (l > 0)
            s[len++] = '-';
        for (size_t k = 0; k < kept; k++) {
            if (k > 0)
                s[len++] = ',';
            len += (size_t)snprintf(s + len, cap - len, "%u", (unsigned)order[k]);
        }
    }
    s[len] = '\0';
    free(order);
    *out = s;
    return 0;
}

int pathway_symbols(const char *path, int64_t L, int64_t E, int experts, uint16_t *sym,
                    size_t *n, size_t *start, size_t *len, gm_error *err)
{
    size_t out = 0;
    int64_t layer = 0;
    const char *p = path;
    for (;;) { /* one layer: NUM ("," NUM)* */
        if (layer >= L)
            return gm_fail(err, GM_EDATA, "pathway string has more than %lld layers", (long long)L);
        start[layer] = out;
        for (;;) {
            if (*p < '0' || *p > '9')
                return gm_fail(err, GM_EDATA, "pathway string: expected an expert id at character %zu",
                               (size_t)(p - path));
            uint64_t id = 0;
            const char *digits = p;
            while (*p >= '0' && *p <= '9') {
                id = id * 10 + (uint64_t)(*p - '0');
                if (id >= (uint64_t)E)
                    return gm_fail(err, GM_EDATA, "pathway string: expert id at character %zu is not "
                                   "below %lld experts", (size_t)(digits - path), (long long)E);
                p++;
            }
            if (p - digits > 1 && digits[0] == '0')
                return gm_fail(err, GM_EDATA, "pathway string: expert id with a leading zero at "
                               "character %zu", (size_t)(digits - path));
            if (experts) {
                sym[out++] = (uint16_t)id;
            } else {
                for (const char *c = digits; c < p; c++)
                    sym[out++] = (uint16_t)(unsigned char)*c;
            }
            if (*p != ',')
                break;
            if (!experts)
                sym[out++] = ',';
            p++;
        }
        len[layer] = out - start[layer];
        layer++;
        if (*p == '\0')
            break;
        if (*p != '-')
            return gm_fail(err, GM_EDATA, "pathway string: unexpected character '%c' at %zu", *p,
                           (size_t)(p - path));
        sym[out++] = experts ? (uint16_t)PATHWAY_SEP_SYMBOL : (uint16_t)'-';
        p++;
    }
    if (layer != L)
        return gm_fail(err, GM_EDATA, "pathway string has %lld layers, n_layers says %lld",
                       (long long)layer, (long long)L);
    *n = out;
    return 0;
}

double pathway_entropy(const float *g, int64_t L, int64_t E)
{
    double total = 0.0;
    for (int64_t l = 0; l < L; l++) {
        const float *gl = g + l * E; /* [E] */
        double sum = 0.0;
        for (int64_t k = 0; k < E; k++)
            sum += (double)gl[k];
        double h = 0.0; /* H = -sum p log p, p = g / sum(g) */
        for (int64_t k = 0; k < E; k++) {
            double p = (double)gl[k] / sum;
            if (p > 0.0)
                h -= p * log(p);
        }
        total += h;
    }
    return L > 0 ? total / (double)L : 0.0;
}

void pathway_consistency(const double *cos, int64_t L, double *c, double *s)
{
    double m = cos[0], sum = 0.0;
    for (int64_t l = 0; l + 1 < L; l++) {
        if (cos[l] > m)
            m = cos[l];
    }
    for (int64_t l = 0; l + 1 < L; l++)
        sum += cos[l] / (m + 1e-8);
    *c = 1.0 - sum / (double)(L - 1);
    *s = 1.0 - *c;
}

/* e [D] = W_l^T g_l, W_l [E, D], g_l [E] */
static void embedding(const pathway_router *r, int64_t l, const float *gl, double *e, double *gd)
{
    int64_t E = r->E, D = r->D;
    const double *w = r->w + l * E * D; /* [E, D] */
    for (int64_t k = 0; k < E; k++)
        gd[k] = (double)gl[k];
    if (runtime_reference()) {
        for (int64_t d = 0; d < D; d++)
            e[d] = 0.0;
        for (int64_t k = 0; k < E; k++)
            for (int64_t d = 0; d < D; d++)
                e[d] += gd[k] * w[k * D + d];
    } else {
        cblas_dgemv(CblasRowMajor, CblasTrans, (int)E, (int)D, 1.0, w, (int)D, gd, 1, 0.0, e, 1);
    }
}

static double cosine(const double *a, const double *b, int64_t D)
{
    double ab = 0.0, aa = 0.0, bb = 0.0;
    for (int64_t d = 0; d < D; d++) {
        ab += a[d] * b[d];
        aa += a[d] * a[d];
        bb += b[d] * b[d];
    }
    if (aa == 0.0 || bb == 0.0)
        return 0.0;
    return ab / (sqrt(aa) * sqrt(bb));
}

void pathway_cosines(const pathway_router *r, const float *g, double *cos, double *scratch)
{
    int64_t E = r->E, D = r->D;
    double *prev = scratch, *cur = scratch + D; /* [D] each */
    double *gd = scratch + 2 * D;                /* [E] */
    embedding(r, 0, g, prev, gd);
    for (int64_t l = 1; l < r->L; l++) {
        embedding(r, l, g + l * E, cur, gd);
        cos[l - 1] = cosine(prev, cur, D);
        double *t = prev;
        prev = cur;
        cur = t;
    }
}
