/* route.c: the routers of families.md, one token at a time, in f32 with f64
 * sums:
 *   softmax then top-k (olmoe, mixtral, qwen*, deepseek_v2 greedy): g = softmax;
 *   softmax, groups kept by their largest probability, top-k inside (deepseek_v2
 *     group_limited_greedy): g = softmax;
 *   sigmoid plus a selection-only bias, groups kept by the sum of their top two
 *     biased scores, top-k inside (deepseek_v3): g = sigmoid / its sum; the
 *     weights are the unbiased sigmoids;
 *   top-k of the logits, softmax over those k (granite): g = softmax over all E.
 * Dropped groups' scores are masked with 0.0, not -inf, as HF does. */
#include "route.h"

#include <math.h>
#include <string.h>

/* ids[K] = the K largest of p[E], descending; ties: lower index first. */
static void topk_select(const float *p, int64_t E, int64_t K, int *ids)
{
    for (int64_t k = 0; k < K; k++) {
        int best = -1;
        for (int64_t e = 0; e < E; e++) {
            int taken = 0;
            for (int64_t j = 0; j < k; j++)
                taken |= ids[j] == (int)e;
            if (!taken && (best < 0 || p[e] > p[best]))
                best = (int)e;
        }
        ids[k] = best;
    }
}

/* p = softmax(p) over n, in place. */
static void softmax(float *p, int64_t n)
{
    float mx = -INFINITY;
    for (int64_t e = 0; e < n; e++)
        if (p[e] > mx)
            mx = p[e];
    double sum = 0.0;
    for (int64_t e = 0; e < n; e++) {
        p[e] = expf(p[e] - mx);
        sum += p[e];
    }
    float inv = (float)(1.0 / sum);
    for (int64_t e = 0; e < n; e++)
        p[e] *= inv;
}

/* sel with the scores of all but the topk_group best groups set to 0.0;
 * a group's score is its largest score (top2 = 0) or its two largest summed. */
static void keep_groups(const model_config *c, float *sel, float *gscore, int top2)
{
    int64_t G = c->n_group, n = c->E / G;
    for (int64_t g = 0; g < G; g++) {
        const float *s = sel + g * n;
        float a = -INFINITY, b = -INFINITY; /* the two largest */
        for (int64_t i = 0; i < n; i++) {
            if (s[i] > a) {
                b = a;
                a = s[i];
            } else if (s[i] > b) {
                b = s[i];
            }
        }
        gscore[g] = top2 ? a + b : a;
    }
    int keep[MODEL_GROUPS_MAX], kept_any[MODEL_GROUPS_MAX] = {0}; /* hf_config caps n_group */
    int64_t tg = c->topk_group;
    topk_select(gscore, G, tg, keep);
    for (int64_t i = 0; i < tg; i++)
        kept_any[keep[i]] = 1;
    for (int64_t g = 0; g < G; g++)
        if (!kept_any[g])
            memset(sel + g * n, 0, (size_t)n * sizeof(float));
}

void fw_route_token(const model_config *c, float *p, const float *bias, float *scratch,
                    int *ids, float *w)
{
    int64_t E = c->E, K = c->K;
    float *sel = scratch, *gscore = scratch + 2 * E;
    double wsum = 0.0;
    switch (c->router) {
    case GM_ROUTER_SOFTMAX_TOPK:
        softmax(p, E);
        topk_select(p, E, K, ids);
        for (int64_t k = 0; k < K; k++)
            w[k] = p[ids[k]];
        break;
    case GM_ROUTER_SOFTMAX_GROUP:
        softmax(p, E);
        memcpy(sel, p, (size_t)E * sizeof(float));
        keep_groups(c, sel, gscore, 0);
        topk_select(sel, E, K, ids);
        for (int64_t k = 0; k < K; k++)
            w[k] = p[ids[k]];
        break;
    case GM_ROUTER_SIGMOID_GROUP: {
        double s = 0.0;
        for (int64_t e = 0; e < E; e++) {
            p[e] = 1.0f / (1.0f + expf(-p[e]));
            sel[e] = p[e] + bias[e];
            s += p[e];
        }
        keep_groups(c, sel, gscore, 1);
        topk_select(sel, E, K, ids);
        for (int64_t k = 0; k < K; k++)
            w[k] = p[ids[k]];
        float inv = (float)(1.0 / s);
        for (int64_t e = 0; e < E; e++)
            p[e] *= inv; /* g: the unbiased scores over their sum */
        if (c->norm_topk_prob) {
            for (int64_t k = 0; k < K; k++)
                wsum += w[k];
            for (int64_t k = 0; k < K; k++)
                w[k] = (float)(w[k] / (wsum + 1e-20)); /* HF's guard */
        }
        for (int64_t k = 0; k < K; k++)
            w[k] = (float)(w[k] * c->routed_scale);
        return;
    }
    case GM_ROUTER_TOPK_SOFTMAX: {
        topk_select(p, E, K, ids);
        float *top = sel;
        for (int64_t k = 0; k < K; k++)
            top[k] = p[ids[k]];
        softmax(top, K);
        memcpy(w, top, (size_t)K * sizeof(float));
        softmax(p, E); /* g: softmax keeps the logits' order, so its top-k is the choice */
        return;
    }
    }
    /* the softmax routers: renormalize over the k, then the family's scale */
    if (c->norm_topk_prob) {
        for (int64_t k = 0; k < K; k++)
            wsum += w[k];
        for (int64_t k = 0; k < K; k++)
            w[k] = (float)(w[k] / wsum);
    }
    if (c->routed_scale != 1.0)
        for (int64_t k = 0; k < K; k++)
            w[k] = (float)(w[k] * c->routed_scale);
}
