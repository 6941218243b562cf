/* trace.c: router-trace's batch: keeps copies of `sample` records until the
 * batch holds enough tokens, runs them through forward_run as one batch, and
 * packs one `trace` record per sample, in input order. The forward pass itself
 * is common/forward.c. Spec: docs/records.md `sample`, `trace`. */
#include "trace.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "record_types.h"

typedef struct pending {
    char *id, *domain, *source; /* domain, source: NULL when absent (nil) */
    int64_t index;
    int has_index;
    uint32_t *tokens;           /* [T] */
    size_t T;
} pending;

struct trace_batch {
    forward *fw;
    const model *m;
    int64_t step, max_tokens, tokens;
    int emit_topk, emit_probs;
    pending *p;
    forward_sample *fs;
    size_t n, cap;
    uint32_t *moe_layers;       /* [L_moe] the model layer of each traced layer */
};

trace_batch *trace_batch_create(forward *fw, const model *m, int64_t step, int64_t max_tokens,
                                int emit_topk, int emit_probs, gm_error *err)
{
    trace_batch *b = calloc(1, sizeof *b);
    if (!b) {
        gm_fail(err, GM_ENOMEM, "out of memory");
        return NULL;
    }
    b->fw = fw;
    b->m = m;
    b->step = step;
    b->max_tokens = max_tokens;
    b->emit_topk = emit_topk;
    b->emit_probs = emit_probs;
    b->moe_layers = malloc((size_t)m->cfg.L_moe * sizeof *b->moe_layers);
    if (!b->moe_layers) {
        free(b);
        gm_fail(err, GM_ENOMEM, "out of memory");
        return NULL;
    }
    for (int64_t i = 0; i < m->cfg.L_moe; i++)
        b->moe_layers[i] = (uint32_t)m->cfg.moe_layer[i];
    return b;
}

static void pending_clear(pending *p)
{
    free(p->id); free(p->domain); free(p->source); free(p->tokens);
    memset(p, 0, sizeof *p);
}

static void batch_clear(trace_batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        pending_clear(&b->p[i]);
        forward_sample_clear(&b->fs[i]);
    }
    b->n = 0;
    b->tokens = 0;
}

void trace_batch_free(trace_batch *b)
{
    if (!b)
        return;
    batch_clear(b);
    free(b->p);
    free(b->fs);
    free(b->moe_layers);
    free(b);
}

int trace_batch_full(const trace_batch *b) { return b->tokens >= b->max_tokens; }

int trace_batch_add(trace_batch *b, const msgpack_object *rec, gm_error *err)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 16;
        pending *p = realloc(b->p, cap * sizeof *p);
        if (p)
            b->p = p;
        forward_sample *fs = p ? realloc(b->fs, cap * sizeof *fs) : NULL;
        if (!p || !fs)
            return gm_fail(err, GM_ENOMEM, "out of memory queueing samples");
        b->fs = fs;
        b->cap = cap;
    }
    pending *p = &b->p[b->n];
    memset(p, 0, sizeof *p);
    if (record_get_str(rec, "id", &p->id, err) != 0)
        return -1;
    if (record_get_opt_str(rec, "domain", &p->domain, err) != 0 ||
        record_get_opt_str(rec, "source", &p->source, err) != 0 ||
        record_get_opt_i64(rec, "index", &p->has_index, &p->index, err) != 0)
        goto fail;
    if (record_get_u32s(rec, "tokens", &p->tokens, &p->T, err) != 0)
        goto fail;
    if (p->T == 0) {
        gm_fail(err, GM_EDATA, "sample \"%s\" has no tokens", p->id);
        goto fail;
    }
    if (forward_check_tokens(b->fw, p->tokens, (int64_t)p->T, err) != 0) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        gm_fail(err, GM_EDATA, "sample \"%s\": %s (model %s)", p->id, msg, b->m->name);
        goto fail;
    }
    forward_sample *s = &b->fs[b->n];
    memset(s, 0, sizeof *s);
    s->tokens = p->tokens;
    s->T = (int64_t)p->T;
    s->name = p->id; /* forward_run's messages name the sample */
    b->n++;
    b->tokens += (int64_t)p->T;
    return 0;
fail:
    pending_clear(p);
    return -1;
}

static int write_trace(trace_batch *b, const pending *p, const forward_sample *s,
                       record_writer *w, gm_error *err)
{
    const model_config *c = &b->m->cfg;
    size_t T = p->T, L = (size_t)c->L_moe, E = (size_t)c->E, K = (size_t)c->K;
    struct trace_record t = {
        .id = p->id, .domain = p->domain, .source = p->source, .checkpoint = b->m->name,
        .n_tokens = (int64_t)T, .n_layers = c->L_moe, .n_experts = c->E, .top_k = c->K,
        .token_nll = {s->token_nll, T >= 2 ? T - 1 : 0}, .router_mean = {s->router_mean, L * E},
        .topk_mean = {s->topk_mean, L * E},
        .has = RF_BIT(trace_f_domain) | RF_BIT(trace_f_source)}; /* NULL: nil */
    if (p->has_index)
        RF_SET(t, trace, index, p->index);
    if (c->L_moe < c->L) /* dense layers between: which model layers route */
        RF_SET(t, trace, moe_layers, ((rf_vec){b->moe_layers, L}));
    if (b->step >= 0)
        RF_SET(t, trace, step, b->step);
    if (T >= 2)
        RF_SET(t, trace, loss, s->loss);
    if (b->emit_topk) {
        RF_SET(t, trace, topk_ids, ((rf_vec){s->topk_ids, T * L * K}));
        RF_SET(t, trace, topk_weights, ((rf_vec){s->topk_weights, T * L * K}));
    }
    if (b->emit_probs)
        RF_SET(t, trace, probs, ((rf_vec){s->probs, T * L * E}));
    return rf_write(&trace_fields, &t, w, err);
}

int trace_batch_flush(trace_batch *b, record_writer *w, gm_error *err)
{
    if (b->n == 0)
        return 0;
    int rc = forward_run(b->fw, b->fs, b->n, err);
    for (size_t i = 0; rc == 0 && i < b->n; i++)
        rc = write_trace(b, &b->p[i], &b->fs[i], w, err);
    batch_clear(b);
    return rc;
}

int trace_batch_record(void *batch, const msgpack_object *rec, record_writer *w, gm_error *err)
{
    if (!record_is_type(rec, "sample"))
        return trace_batch_flush(batch, w, err) || record_writer_copy(w, rec, err) ? -1 : 0;
    if (trace_batch_add(batch, rec, err))
        return -1;
    return trace_batch_full(batch) ? trace_batch_flush(batch, w, err) : 0;
}
