/* pathway.h: the per-sample pathway quantities of method.md "Per checkpoint, per
 * sample i", steps 3-5: the pathway string, per-layer expert counts, the routing
 * embeddings e_l = W_l^T g_l and their consecutive-layer cosines, the
 * consistency C and S = 1 - C, and the mean routing entropy.
 * It does not read records or checkpoints: the router matrices come in as a
 * pathway_router, which pathway-encode loads (stages/pathway-encode/router.h).
 * Nothing here prints or exits. */
#ifndef GM_PATHWAY_H
#define GM_PATHWAY_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Rank the experts of one layer by weight g [E], descending, ties: lower
 * index first; order [E] receives the ranked expert ids. Returns how many are
 * kept: the shortest prefix whose cumulative weight (summed in double, in rank
 * order) is strictly greater than limit; when no prefix exceeds it (rounding,
 * limit >= sum), all experts with weight > 0 (at least one). */
size_t pathway_layer_rank(const float *g, int64_t E, double limit, uint16_t *order);

/* The pathway string of g [L, E] at threshold tau (0 < tau < 1): per layer
 * the kept experts in rank order joined by ",", layers joined by "-".
 * relative = 0: a layer keeps experts until the cumulative weight exceeds tau
 * (the router softmax, rows sum to 1); relative = 1: until it exceeds
 * tau * sum(g_l) (top-k weights, whose rows sum to less than 1).
 * *out is malloc'd (caller frees); counts [L] gets the kept count per layer.
 * g must hold finite, non-negative values with a positive sum per layer
 * (pathway_check). -1 with err only on allocation failure. */
int pathway_string(const float *g, int64_t L, int64_t E, double tau, int relative,
                   char **out, uint16_t *counts, gm_error *err);

/* Validate g [L, E]: finite, >= 0, each layer's sum > 0. -1 with err naming
 * the layer and expert otherwise. */
int pathway_check(const float *g, int64_t L, int64_t E, gm_error *err);

/* Mean over layers of the entropy (nats) of g_l / sum(g_l); 0 log 0 = 0. */
double pathway_entropy(const float *g, int64_t L, int64_t E);

/* C = 1 - (1/(L-1)) * sum_l c_l / (max_l c_l + 1e-8) over cos [L-1]
 * (L >= 2); S = 1 - C. */
void pathway_consistency(const double *cos, int64_t L, double *c, double *s);

/* The separator symbol between layers in expert-id mode. */
#define PATHWAY_SEP_SYMBOL 0xFFFFu

/* Parse and validate a pathway string of L layers over E experts (E <= 65535)
 * into symbols: experts = 0, its characters (digits, ",", "-"); experts = 1,
 * its expert ids with PATHWAY_SEP_SYMBOL between layers. sym needs
 * strlen(path) entries; *n gets the symbol count; layer l is
 * sym[start[l] .. start[l] + len[l]) without separators (start, len: [L]).
 * -1 with err (GM_EDATA) when the string is malformed, has another number of
 * layers, or names an expert >= E. */
int pathway_symbols(const char *path, int64_t L, int64_t E, int experts, uint16_t *sym,
                    size_t *n, size_t *start, size_t *len, gm_error *err);

/* The router matrices of a checkpoint, widened to double once (finite). */
typedef struct pathway_router {
    int64_t L, E, D;
    double *w;          /* [L, E, D]  W_l = mlp.gate.weight of layer l */
} pathway_router;

/* cos [L-1]: c_l = cos(e_l, e_{l+1}), e_l = W_l^T g_l  (e: [D] per layer),
 * e = torch.einsum("le,led->ld", g, W). A zero-norm embedding gives c_l = 0.
 * scratch holds 2 * D + E doubles. OpenBLAS dgemv, or the plain loop when
 * GM_REFERENCE=1 (runtime_reference). */
void pathway_cosines(const pathway_router *r, const float *g, double *cos, double *scratch);

#endif
