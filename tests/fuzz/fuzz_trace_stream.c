/* fuzz_trace_stream: pathway-encode's record handling (stages/pathway-encode/
 * encode.c) on an arbitrary stream of trace records, against a fixed router of
 * L 4, E 4, D 8 (the shape of the corpus's checkpoint "ck32"): field checks,
 * shapes, NaN and out-of-range weights, the pathway string, cosines. The first
 * byte picks --weights and --threshold. Every failure must be a one-line
 * error. Spec: method.md "Per checkpoint, per sample i", steps 3-5. */
#include <string.h>

#include "../../stages/pathway-encode/encode.h"
#include "fuzz.h"
#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const double taus[] = {0.7, 0.5, 1.0, 0.0};
    if (size < 1)
        return 0;
    int opts = data[0];
    char path[64], out_path[96];
    int fd = fuzz_file(data + 1, size - 1, path, sizeof path);
    if (fd < 0)
        return 0;
    snprintf(out_path, sizeof out_path, "/dev/shm/grokmon-fuzz-%d.mpk", (int)getpid());
    double w_l[4 * 4 * 8];
    for (int i = 0; i < 4 * 4 * 8; i++) /* W: a fixed, non-degenerate router */
        w_l[i] = (double)((i * 37 + 11) % 17) / 8.0 - 1.0;
    pathway_router router = {.L = 4, .E = 4, .D = 8, .w = w_l};
    gm_error err = {0};
    record_writer *w = NULL;
    encoder *enc = encoder_create(&router, "ck32", taus[opts & 3],
                                  (opts & 4) ? "topk" : "softmax", &err);
    FUZZ_ASSERT(enc);
    record_reader *r = record_reader_open(path, &err);
    if (!r)
        goto fail;
    gm_output *out = gm_output_open(out_path, 0, &err);
    if (!out || !(w = record_writer_create(out, &err)))
        goto fail;
    const msgpack_object *rec;
    int got, n = 0;
    while (n++ < 1024 && (got = record_reader_next(r, &rec, &err)) == 1)
        if (encoder_record(enc, rec, w, &err))
            goto fail;
    if (got < 0)
        goto fail;
    goto done;
fail:
    FUZZ_ASSERT_ERROR(&err);
done:
    record_writer_abort(w);
    record_reader_close(r);
    encoder_free(enc);
    fuzz_file_close(fd);
    return 0;
}
