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

/* The optional-int / optional-real fields copied from trace to pathway. */
static int get_opt_i64(const msgpack_object *m, const char *key, int *present, int64_t *v, gm_error *err)
{
    *present = !record_is_nil(m, key);
    return *present ? record_get_i64(m, key, v, err) : 0;
}

static int get_opt_f64(const msgpack_object *m, const char *key, int *present, double *v, gm_error *err)
{
    *present = !record_is_nil(m, key);
    return *present ? record_get_f64(m, key, v, err) : 0;
}

int encoder_run(encoder *enc, const msgpack_object *tr, record_writer *w, gm_error *err)
{
    const pathway_router *r = enc->r;
    int64_t L = r->L, E = r->E;
    char *id = NULL, *domain = NULL, *ckpt = NULL, *path = NULL;
    float *g = NULL; /* [L, E] */
    size_t n = 0;
    int64_t step = 0, nl = 0, ne = 0;
    double loss = 0.0;
    int has_step, has_loss, rc = -1;
    const char *field = enc->topk ? "topk_mean" : "router_mean";

    if (record_get_str(tr, "id", &id, err) || record_get_str(tr, "domain", &domain, err)
        || record_get_str(tr, "checkpoint", &ckpt, err)
        || get_opt_i64(tr, "step", &has_step, &step, err)
        || get_opt_f64(tr, "loss", &has_loss, &loss, err)
        || record_get_i64(tr, "n_layers", &nl, err) || record_get_i64(tr, "n_experts", &ne, err))
        goto done;
    if (strcmp(ckpt, enc->checkpoint) != 0) {
        gm_fail(err, GM_EDATA, "sample %s: trace of checkpoint %s, but --model is %s",
                id, ckpt, enc->checkpoint);
        goto done;
    }
    if (nl != L || ne != E) {
        gm_fail(err, GM_EDATA, "sample %s: trace has %lld layers x %lld experts, the checkpoint's "
                "router has %lld x %lld", id, (long long)nl, (long long)ne, (long long)L, (long long)E);
        goto done;
    }
    if (record_is_nil(tr, field)) {
        gm_fail(err, GM_EDATA, "sample %s: trace has no %s (needed by --weights %s)", id, field,
                enc->topk ? "topk" : "softmax");
        goto done;
    }
    if (has_loss && !isfinite(loss)) {
        gm_fail(err, GM_EDATA, "sample %s: loss is %s, expected a finite number (or nil)", id,
                isnan(loss) ? "NaN" : loss > 0 ? "+Inf" : "-Inf");
        goto done;
    }
    if (record_get_f32s(tr, field, &g, &n, err))
        goto done;
    if ((int64_t)n != L * E) {
        gm_fail(err, GM_EDATA, "sample %s: %s has %zu values, expected [%lld, %lld] = %lld", id,
                field, n, (long long)L, (long long)E, (long long)(L * E));
        goto done;
    }
    if (pathway_check(g, L, E, err)) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        gm_fail(err, GM_EDATA, "sample %s: %s: %s", id, field, msg);
        goto done;
    }
    if (pathway_string(g, L, E, enc->tau, enc->topk, &path, enc->counts, err))
        goto done;
    double c = 0.0, s = 0.0;
    if (L >= 2) {
        pathway_cosines(r, g, enc->cos, enc->scratch);
        /* finite router weights (pathway_router_load) and g (pathway_check) give
         * finite embeddings; this guards the rest (an all-negative max cosine
         * of -1e-8 would divide by zero in C) */
        for (int64_t l = 0; l + 1 < L; l++)
            if (!isfinite(enc->cos[l])) {
                gm_fail(err, GM_EDATA, "sample %s: the cosine of the routing embeddings of layers "
                        "%lld and %lld is not finite (%g)", id, (long long)l, (long long)l + 1,
                        enc->cos[l]);
                goto done;
            }
        pathway_consistency(enc->cos, L, &c, &s);
        if (!isfinite(c) || !isfinite(s)) {
            gm_fail(err, GM_EDATA, "sample %s: the consistency C is not finite (%g): the largest "
                    "cosine is -1e-8", id, c);
            goto done;
        }
    }
    double h = pathway_entropy(g, L, E);

    msgpack_packer *pk = record_writer_packer(w);
    msgpack_pack_map(pk, 16);
    pack_kv_str(pk, "type", "pathway");
    pack_kv_str(pk, "id", id);
    pack_kv_str(pk, "domain", domain);
    pack_kv_str(pk, "checkpoint", ckpt);
    if (has_step)
        pack_kv_i64(pk, "step", step);
    else
        pack_kv_nil(pk, "step");
    if (has_loss)
        pack_kv_f64(pk, "loss", loss);
    else
        pack_kv_nil(pk, "loss");
    pack_kv_i64(pk, "n_layers", L);
    pack_kv_i64(pk, "n_experts", E);
    pack_kv_f64(pk, "threshold", enc->tau);
    pack_kv_str(pk, "weights", enc->topk ? "topk" : "softmax");
    pack_kv_str(pk, "path", path);
    pack_kv_u16s(pk, "layer_counts", enc->counts, (size_t)L);
    pack_kv_f64s(pk, "cosines", enc->cos, (size_t)(L - 1));
    if (L >= 2) {
        pack_kv_f64(pk, "consistency_c", c);
        pack_kv_f64(pk, "consistency_s", s);
    } else {
        pack_kv_nil(pk, "consistency_c");
        pack_kv_nil(pk, "consistency_s");
    }
    pack_kv_f64(pk, "entropy", h);
    rc = record_writer_end(w, err);
done:
    free(id);
    free(domain);
    free(ckpt);
    free(path);
    free(g);
    return rc;
}

int encoder_record(void *enc, const msgpack_object *rec, record_writer *w, gm_error *err)
{
    return record_is_type(rec, "trace") ? encoder_run(enc, rec, w, err)
                                        : record_writer_copy(w, rec, err);
}
