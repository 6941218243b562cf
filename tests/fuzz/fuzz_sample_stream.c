/* fuzz_sample_stream: router-trace's record handling (stages/router-trace/
 * trace.c) on an arbitrary stream: sample records copied into batches, token
 * ids checked against the vocabulary, the forward pass of a tiny checkpoint
 * (tests/fuzz/model: D 8, L 2, E 4, K 2, V 32, BF16) and the trace records
 * written. The first byte picks --emit-topk, --emit-probs and the batch size.
 * Every failure must be a one-line error. Spec: docs/records.md "trace". */
#include <string.h>

#include "../../stages/router-trace/trace.h"
#include "fuzz.h"
#include "fuzz_records.h"

static model *m;

static model *model_get(void)
{
    if (!m) {
        const char *dir = getenv("GM_FUZZ_MODEL");
        gm_error err = {0};
        m = model_open(dir ? dir : "tests/fuzz/model", &err);
        if (!m) {
            fprintf(stderr, "fuzz_sample_stream: %s (run from the repository root)\n", err.msg);
            abort();
        }
    }
    return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int opts = data[0];
    model *md = model_get();
    char path[64];
    int fd = fuzz_file(data + 1, size - 1, path, sizeof path);
    if (fd < 0)
        return 0;
    gm_error err = {0};
    record_writer *w = NULL;
    trace_batch *batch = NULL;
    forward_opts fo = {.emit_topk = opts & 1, .emit_probs = (opts >> 1) & 1, .threads = 1};
    forward *fw = forward_create(md, &fo, &err);
    FUZZ_ASSERT(fw);
    batch = trace_batch_create(fw, md, (opts & 4) ? 5 : -1, (opts & 8) ? 64 : 7, opts & 1,
                               (opts >> 1) & 1, &err);
    FUZZ_ASSERT(batch);
    if (!(w = fuzz_scratch_writer(&err))
        || fuzz_each_record(path, 256, trace_batch_record, batch, w, &err)
        || trace_batch_flush(batch, w, &err))
        goto fail;
    goto done;
fail:
    FUZZ_ASSERT_ERROR(&err);
done:
    record_writer_abort(w);
    trace_batch_free(batch);
    forward_free(fw);
    fuzz_file_close(fd);
    return 0;
}
