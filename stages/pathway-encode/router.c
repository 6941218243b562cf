/* router.c: the router matrices of a checkpoint for pathway-encode
 * (router.h): each MoE layer's router (mlp.gate.weight, Mixtral's
 * block_sparse_moe.gate.weight, Granite's block_sparse_moe.router.layer.weight:
 * model_bind.c finds it) widened row by row, checked finite, kept in double
 * for the cosines. Dense layers have none and are not pathway layers. */
#include "router.h"

#include <math.h>
#include <stdlib.h>

#include "tensor.h"
#include "vecmath.h"

pathway_router *pathway_router_load(const model *m, gm_error *err)
{
    int64_t L = m->cfg.L_moe, E = m->cfg.E, D = m->cfg.D; /* MoE layers only */
    if (E < 1 || E > 65535)
        return gm_fail(err, GM_EDATA, "%s: %lld experts; pathway strings support 1..65535",
                       m->dir, (long long)E), NULL;
    pathway_router *r = calloc(1, sizeof *r);
    float *row = malloc((size_t)D * sizeof *row);
    if (r)
        r->w = malloc((size_t)L * (size_t)E * (size_t)D * sizeof *r->w);
    if (!r || !row || !r->w) {
        free(row);
        pathway_router_free(r);
        return gm_fail(err, GM_ENOMEM, "out of memory for the router matrices of %s (%lld x %lld x %lld)",
                       m->dir, (long long)L, (long long)E, (long long)D), NULL;
    }
    r->L = L;
    r->E = E;
    r->D = D;
    for (int64_t l = 0; l < L; l++) {
        const gm_tensor *t = &m->layers[m->cfg.moe_layer[l]].router; /* [E, D], any name */
        for (int64_t k = 0; k < E; k++) {
            tensor_widen(t, k * D, D, row);
            int64_t bad = vec_first_nonfinite(row, D);
            if (bad >= 0) {
                gm_fail(err, GM_EDATA, "%s: tensor %s holds %s at [%lld, %lld]: router weights "
                        "must be finite", m->dir, t->name,
                        isnan(row[bad]) ? "NaN" : row[bad] > 0 ? "+Inf" : "-Inf", (long long)k,
                        (long long)bad);
                free(row);
                pathway_router_free(r);
                return NULL;
            }
            double *dst = r->w + (l * E + k) * D;
            for (int64_t d = 0; d < D; d++)
                dst[d] = (double)row[d];
        }
    }
    free(row);
    return r;
}

void pathway_router_free(pathway_router *r)
{
    if (!r)
        return;
    free(r->w);
    free(r);
}
