/* fuzz_pathway_stream: metric-reduce's record consumption on an arbitrary
 * stream, as its main() does it: membership and pathway records joined by
 * sample id (stages/metric-reduce/join.c; membership records first, as
 * main() reads its --membership file first), groups, then every checkpoint's
 * metric rows (pairwise distances in both modes). The first byte picks the
 * options (--allow-missing, --distance experts, --pairs). Every failure must
 * be a one-line error; the output goes to a temporary that is dropped.
 * Spec: method.md "Across checkpoints", "Per checkpoint, per group". */
#include <math.h>
#include <string.h>

#include "../../stages/metric-reduce/groups.h"
#include "../../stages/metric-reduce/rows.h"
#include "../../stages/metric-reduce/panel.h"
#include "fuzz.h"
#include "fuzz_records.h"

/* metric-reduce's two passes, one record at a time (see main.c) */
typedef struct reduce_ctx {
    panel *st;
    int allow_missing;
    size_t unknown;
} reduce_ctx;

static int add_membership(void *ctx, const msgpack_object *rec, record_writer *w, gm_error *err)
{
    reduce_ctx *cx = ctx;
    return record_is_type(rec, "membership") ? panel_add_membership(cx->st, rec, err) : 0;
}

static int add_pathway(void *ctx, const msgpack_object *rec, record_writer *w, gm_error *err)
{
    reduce_ctx *cx = ctx;
    if (record_is_type(rec, "pathway"))
        return panel_add_pathway(cx->st, rec, cx->allow_missing, &cx->unknown, err);
    return record_is_type(rec, "membership") ? 0 : record_writer_copy(w, rec, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int opts = data[0];
    char path[64];
    int fd = fuzz_file(data + 1, size - 1, path, sizeof path);
    if (fd < 0)
        return 0;
    gm_error err = {0};
    panel st;
    panel_init(&st);
    /* as main() does: every membership record first (its --membership file),
     * then the pathway records; here both come from the one stream */
    reduce_ctx cx = {&st, opts & 1, 0};
    record_writer *w = fuzz_scratch_writer(&err);
    if (!w || fuzz_each_record(path, 512, add_membership, &cx, w, &err)
        || fuzz_each_record(path, 512, add_pathway, &cx, w, &err))
        goto fail;
    size_t dropped;
    char first_missing[512];
    if (panel_finish(&st, opts & 1, &dropped, first_missing, sizeof first_missing, &err))
        goto fail;
    if (groups_assign(&st, (opts & 2) ? 1.0 : NAN, NULL, 0, 0.05,
                      (opts & 64) ? MEMORIZE_SEARCH_GRID : MEMORIZE_SEARCH_VALUES, &err) ||
        groups_write(&st, w, &err))
        goto fail;
    rows_opts ro = {.experts = (opts >> 2) & 1, .pairs = (opts & 8) ? 7 : 0, .seed = 1,
                    .threads = 1, .ma_window = 1 + ((opts >> 4) & 3)};
    for (size_t k = 0; k < st.n_ckpts; k++)
        if (rows_write_checkpoint(&st, k, &ro, w, &err))
            goto fail;
    goto done;
fail:
    FUZZ_ASSERT_ERROR(&err);
done:
    record_writer_abort(w);
    panel_free(&st);
    fuzz_file_close(fd);
    return 0;
}
