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
#include "../../stages/metric-reduce/study.h"
#include "fuzz.h"
#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int opts = data[0];
    char path[64], out_path[96];
    int fd = fuzz_file(data + 1, size - 1, path, sizeof path);
    if (fd < 0)
        return 0;
    snprintf(out_path, sizeof out_path, "/dev/shm/grokmon-fuzz-%d.mpk", (int)getpid());
    gm_error err = {0};
    study st;
    study_init(&st);
    record_writer *w = NULL;
    record_reader *r = record_reader_open(path, &err);
    if (!r)
        goto fail;
    gm_output *out = gm_output_open(out_path, 0, &err);
    if (!out || !(w = record_writer_create(out, &err)))
        goto fail;
    /* as main() does: every membership record first (its --membership file),
     * then the pathway records; here both come from the one stream */
    const msgpack_object *rec;
    int got, n = 0;
    while (n++ < 512 && (got = record_reader_next(r, &rec, &err)) == 1)
        if (record_is_type(rec, "membership") && study_add_membership(&st, rec, &err))
            goto fail;
    if (got < 0)
        goto fail;
    record_reader_close(r);
    if (!(r = record_reader_open(path, &err)))
        goto fail;
    size_t unknown = 0;
    n = 0;
    while (n++ < 512 && (got = record_reader_next(r, &rec, &err)) == 1) {
        int rc = record_is_type(rec, "pathway")
                     ? study_add_pathway(&st, rec, opts & 1, &unknown, &err)
                     : record_is_type(rec, "membership") ? 0 : record_writer_copy(w, rec, &err);
        if (rc)
            goto fail;
    }
    if (got < 0)
        goto fail;
    size_t dropped;
    char first_missing[512];
    if (study_finish(&st, opts & 1, &dropped, first_missing, sizeof first_missing, &err))
        goto fail;
    if (groups_assign(&st, (opts & 2) ? 1.0 : NAN, NULL, 0, 0.05, &err) ||
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
    record_reader_close(r);
    study_free(&st);
    fuzz_file_close(fd);
    return 0;
}
