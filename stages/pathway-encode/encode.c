/* encode.c: turns one `trace` record into one `pathway` record: checks the
 * trace's L and E against the router, picks router_mean or topk_mean, and
 * packs path, layer_counts, cosines, C, S and entropy (docs/records.md). It does
 * no I/O of its own beyond packing into the writer it is given. A non-finite
 * loss, cosine or C is an error, never a record.
 * Spec: method.md "Per checkpoint, per sample i", steps 2-5. */
#include "encode.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct encoder {
    const pathway_router *r;
    const char *checkpoint;
    double tau;
    int topk;           /* 1: topk_mean, threshold relative to the row sum */
    double *scratch;    /* [2 * D + E] */
    double *cos;        /* [L - 1] */
    uint16_t *counts;   /* [L] */
};

encoder *encoder_create(const pathway_router *r, const char *checkpoint, double tau,
                        const char *weights, gm_error *err)
{
    encoder *enc = calloc(1, sizeof *enc);
    if (!enc)
        return gm_fail(err, GM_ENOMEM, "out of memory"), NULL;
    enc->r = r;
    enc->checkpoint = checkpoint;
    enc->tau = tau;
    enc->topk = strcmp(weights, "topk") == 0;
    enc->scratch = malloc((size_t)(2 * r->D + r->E) * sizeof *enc->scratch);
    enc->cos = malloc((size_t)(r->L > 1 ? r->L - 1 : 1) * sizeof *enc->cos);
    enc->counts = malloc((size_t)r->L * sizeof *enc->counts);
    if (!enc->scratch || !enc->cos || !enc->counts) {
        encoder_free(enc);
        return gm_fail(err, GM_ENOMEM, "out of memory"), NULL;
    }
    return enc;
}

void encoder_free(encoder *enc)
{
    if (!enc)
        return;
    free(enc->scratch);
    free(enc->cos);
    free(enc->counts);
    free(enc);
}

int encoder_run(encoder *enc, const msgpack_object *tr, record_writer *w, gm_error *err)
{
    const pathway_router *r = enc->r;
    int64_t L = r->L, E = r->E;
    char *path = NULL;
    float *g = NULL; /* [L, E] */
    int rc = -1;
    const char *field = trace_fields.fields[enc->topk ? trace_f_topk_mean : trace_f_router_mean].key;
    struct trace_record t;
    rf_want fields = {.read = RF_BIT(trace_f_step) | RF_BIT(trace_f_loss),
                      .value = RF_BIT(trace_f_id) | RF_BIT(trace_f_domain) | RF_BIT(trace_f_checkpoint)
                               | RF_BIT(trace_f_n_layers) | RF_BIT(trace_f_n_experts)};
    if (rf_read(&trace_fields, tr, fields, &t, err))
        return -1;
    if (strcmp(t.checkpoint, enc->checkpoint) != 0) {
        gm_fail(err, GM_EDATA, "sample %s: trace of checkpoint %s, but --model is %s",
                t.id, t.checkpoint, enc->checkpoint);
        goto done;
    }
    if (t.n_layers != L || t.n_experts != E) {
        gm_fail(err, GM_EDATA, "sample %s: trace has %lld layers x %lld experts, the checkpoint's "
                "router has %lld x %lld", t.id, (long long)t.n_layers, (long long)t.n_experts,
                (long long)L, (long long)E);
        goto done;
    }
    if (record_is_nil(tr, field)) {
        gm_fail(err, GM_EDATA, "sample %s: trace has no %s (needed by --weights %s)", t.id, field,
                enc->topk ? "topk" : "softmax");
        goto done;
    }
    if (RF_HAS(t, trace, loss) && !isfinite(t.loss)) {
        gm_fail(err, GM_EDATA, "sample %s: loss is %s, expected a finite number (or nil)", t.id,
                isnan(t.loss) ? "NaN" : t.loss > 0 ? "+Inf" : "-Inf");
        goto done;
    }
    size_t n = 0;
    if (record_get_f32s(tr, field, &g, &n, err))
        goto done;
    if ((int64_t)n != L * E) {
        gm_fail(err, GM_EDATA, "sample %s: %s has %zu values, expected [%lld, %lld] = %lld", t.id,
                field, n, (long long)L, (long long)E, (long long)(L * E));
        goto done;
    }
    if (pathway_check(g, L, E, err)) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        gm_fail(err, GM_EDATA, "sample %s: %s: %s", t.id, field, msg);
        goto done;
    }
    if (pathway_string(g, L, E, enc->tau, enc->topk, &path, enc->counts, err))
        goto done;
    struct pathway_record p = {
        .id = t.id, .domain = t.domain, .checkpoint = t.checkpoint, .n_layers = L, .n_experts = E,
        .threshold = enc->tau, .weights = enc->topk ? "topk" : "softmax", .path = path,
        .layer_counts = {enc->counts, (size_t)L}, .cosines = {enc->cos, (size_t)(L - 1)}};
    if (RF_HAS(t, trace, step))
        RF_SET(p, pathway, step, t.step);
    if (RF_HAS(t, trace, loss))
        RF_SET(p, pathway, loss, t.loss);
    if (L >= 2) {
        pathway_cosines(r, g, enc->cos, enc->scratch);
        /* finite router weights (pathway_router_load) and g (pathway_check) give
         * finite embeddings; this guards the rest (an all-negative max cosine
         * of -1e-8 would divide by zero in C) */
        for (int64_t l = 0; l + 1 < L; l++)
            if (!isfinite(enc->cos[l])) {
                gm_fail(err, GM_EDATA, "sample %s: the cosine of the routing embeddings of layers "
                        "%lld and %lld is not finite (%g)", t.id, (long long)l, (long long)l + 1,
                        enc->cos[l]);
                goto done;
            }
        double c, s;
        pathway_consistency(enc->cos, L, &c, &s);
        if (!isfinite(c) || !isfinite(s)) {
            gm_fail(err, GM_EDATA, "sample %s: the consistency C is not finite (%g): the largest "
                    "cosine is -1e-8", t.id, c);
            goto done;
        }
        RF_SET(p, pathway, consistency_c, c);
        RF_SET(p, pathway, consistency_s, s);
    }
    p.entropy = pathway_entropy(g, L, E);
    rc = rf_write(&pathway_fields, &p, w, err);
done:
    rf_free(&trace_fields, &t);
    free(path);
    free(g);
    return rc;
}

int encoder_record(void *enc, const msgpack_object *rec, record_writer *w, gm_error *err)
{
    return record_is_type(rec, "trace") ? encoder_run(enc, rec, w, err)
                                        : record_writer_copy(w, rec, err);
}
