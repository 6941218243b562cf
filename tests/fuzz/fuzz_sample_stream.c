/* fuzz_sample_stream: router-trace's record handling (stages/router-trace/
 * trace.c) on an arbitrary stream: sample records copied into batches, token
 * ids checked against the vocabulary, the forward pass of a tiny checkpoint
 * (tests/fuzz/model: D 8, L 2, E 4, K 2, V 32, BF16) and the trace records
 * written. The first byte picks --emit-topk, --emit-probs and the batch size.
 * Every failure must be a one-line error. Spec: docs/records.md "trace". */
#include <string.h>

#include "../../stages/router-trace/trace.h"
#include "fuzz.h"
#include "record.h"

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
    char path[64], out_path[96];
    int fd = fuzz_file(data + 1, size - 1, path, sizeof path);
    if (fd < 0)
        return 0;
    snprintf(out_path, sizeof out_path, "/dev/shm/grokmon-fuzz-%d.mpk", (int)getpid());
    gm_error err = {0};
    record_writer *w = NULL;
    record_reader *r = NULL;
    trace_batch *batch = NULL;
    forward_opts fo = {.emit_topk = opts & 1, .emit_probs = (opts >> 1) & 1};
    forward *fw = forward_create(md, &fo, &err);
    FUZZ_ASSERT(fw);
    batch = trace_batch_create(fw, md, (opts & 4) ? 5 : -1, (opts & 8) ? 64 : 7, opts & 1,
                               (opts >> 1) & 1, &err);
    FUZZ_ASSERT(batch);
    if (!(r = record_reader_open(path, &err)))
        goto fail;
    gm_output *out = gm_output_open(out_path, 0, &err);
    if (!out || !(w = record_writer_create(out, &err)))
        goto fail;
    const msgpack_object *rec;
    int got, n = 0;
    while (n++ < 256 && (got = record_reader_next(r, &rec, &err)) == 1)
        if (trace_batch_record(batch, rec, w, &err))
            goto fail;
    if (got < 0 || trace_batch_flush(batch, w, &err))
        goto fail;
    goto done;
fail:
    FUZZ_ASSERT_ERROR(&err);
done:
    record_writer_abort(w);
    record_reader_close(r);
    trace_batch_free(batch);
    forward_free(fw);
    fuzz_file_close(fd);
    return 0;
}
