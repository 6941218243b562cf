/* fuzz_trace_stream: pathway-encode's record handling (stages/pathway-encode/
 * encode.c) on an arbitrary stream of trace records, against a fixed router of
 * L 4, E 4, D 8 (the shape of the corpus's checkpoint "ck32"): field checks,
 * shapes, NaN and out-of-range weights, the pathway string, cosines. The first
 * byte picks --weights and --threshold. Every failure must be a one-line
 * error. Spec: method.md "Per checkpoint, per sample i", steps 3-5. */
#include <string.h>

#include "../../stages/pathway-encode/encode.h"
#include "fuzz.h"
#include "fuzz_records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const double taus[] = {0.7, 0.5, 1.0, 0.0};
    if (size < 1)
        return 0;
    int opts = data[0];
    char path[64];
    int fd = fuzz_file(data + 1, size - 1, path, sizeof path);
    if (fd < 0)
        return 0;
    double w_l[4 * 4 * 8];
    for (int i = 0; i < 4 * 4 * 8; i++) /* W: a fixed, non-degenerate router */
        w_l[i] = (double)((i * 37 + 11) % 17) / 8.0 - 1.0;
    pathway_router router = {.L = 4, .E = 4, .D = 8, .w = w_l};
    gm_error err = {0};
    encoder *enc = encoder_create(&router, "ck32", taus[opts & 3],
                                  (opts & 4) ? "topk" : "softmax", &err);
    FUZZ_ASSERT(enc);
    record_writer *w = fuzz_scratch_writer(&err);
    if (!w || fuzz_each_record(path, 1024, encoder_record, enc, w, &err))
        goto fail;
    goto done;
fail:
    FUZZ_ASSERT_ERROR(&err);
done:
    record_writer_abort(w);
    encoder_free(enc);
    fuzz_file_close(fd);
    return 0;
}
