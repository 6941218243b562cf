/* pathway-encode: `trace` records in, one `pathway` record per trace out
 * (docs/records.md), using the router matrices of the checkpoint given with
 * --model. Options, wiring and the record loop only: the per-record work is in
 * encode.c, the quantities in common/pathway.c. Other record types pass
 * through unchanged. Spec: method.md "Per checkpoint, per sample i". */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "encode.h"
#include "model.h"
#include "pathway.h"
#include "record.h"

#define NAME "pathway-encode"

static const char *model_dir = NULL;
static double tau = 0.7;
static const char *weights = "softmax";
static const char *out_path = NULL;
static int compress = 0;
static int progress = 0;

static cli_option options[] = {
    {"model", 'm', CLI_STRING, &model_dir, "DIR",
     "checkpoint folder whose router matrices W_l give the cosines (required)", 0, 0, 0},
    {"threshold", 't', CLI_DOUBLE, &tau, "TAU",
     "keep a layer's top experts until their cumulative weight exceeds TAU (0 < TAU < 1)", 0, 1, 0},
    {"weights", 'w', CLI_STRING, &weights, "softmax|topk",
     "router mean to use: full softmax (router_mean) or native top-k weights (topk_mean)", 0, 0, 0},
    {"output", 'o', CLI_STRING, &out_path, "FILE",
     "write to FILE (renamed into place on success; a .lz4 name compresses)", 0, 0, 1},
    {"compress", 'z', CLI_FLAG, &compress, NULL, "LZ4-compress the output", 0, 0, 1},
    {"progress", 0, CLI_FLAG, &progress, NULL, "show progress even when stderr is not a terminal", 0, 0, 1},
    {NULL, 0, 0, NULL, NULL, NULL, 0, 0, 0},
};

static const cli_program program = {
    .name = NAME,
    .usage = NAME " --model DIR [options] [FILE...]",
    .summary = "Reads trace records (router-trace) from FILEs or stdin and writes one pathway "
               "record per trace: the pathway string at threshold TAU, experts kept per layer, "
               "the cosines of consecutive routing embeddings e_l = W_l^T g_l, the consistency "
               "C (as the paper prints it) and S = 1 - C, and the mean routing entropy. "
               "Other record types pass through unchanged.",
    .example = "reader --domain math --sample 8 --seed 1 math.npy | router-trace --model ckpt/step5000 \\\n"
               "  | pathway-encode --model ckpt/step5000 --threshold 0.7 -o paths/step5000.mpk.lz4",
    .options = options,
};

int main(int argc, char **argv)
{
    int first = cli_parse(&program, argc, argv);
    if (!model_dir)
        cli_usage_error(NAME, "--model DIR is required");
    if (!(tau > 0.0 && tau < 1.0))
        cli_usage_error(NAME, "--threshold %g is out of range: give 0 < TAU < 1", tau);
    if (strcmp(weights, "softmax") != 0 && strcmp(weights, "topk") != 0)
        cli_usage_error(NAME, "--weights %s: expected softmax or topk", weights);

    gm_error err = {0};
    model *m = NULL;
    pathway_router *router = NULL;
    encoder *enc = NULL;
    record_writer *w = NULL;
    size_t n_in = argc > first ? (size_t)(argc - first) : 1;
    record_reader **in = calloc(n_in, sizeof *in);
    char *ckpt_name = NULL;
    if (!in) {
        gm_fail(&err, GM_ENOMEM, "out of memory");
        goto fail;
    }

    m = model_open(model_dir, &err);
    if (!m)
        goto fail;
    router = pathway_router_load(m, &err);
    ckpt_name = strdup(m->name);
    model_close(m); /* the router is a copy; the rest of the weights are not needed */
    m = NULL;
    if (!router)
        goto fail;
    if (!ckpt_name) {
        gm_fail(&err, GM_ENOMEM, "out of memory");
        goto fail;
    }
    enc = encoder_create(router, ckpt_name, tau, weights, &err);
    if (!enc)
        goto fail;

    for (size_t i = 0; i < n_in; i++) {
        in[i] = record_reader_open(argc > first ? argv[first + (int)i] : NULL, &err);
        if (!in[i])
            goto fail;
    }
    gm_output *out = gm_output_open(out_path, compress ? GM_OUT_LZ4 : 0, &err);
    if (!out)
        goto fail;
    w = record_writer_create(out, &err);
    if (!w)
        goto fail;
    if (record_writer_header(w, NAME, GM_VERSION, cli_pack_options, &program, in, n_in, &err))
        goto fail;

    cli_progress prog;
    cli_progress_start(&prog, "samples", 0, progress);
    uint64_t done = 0;
    for (size_t i = 0; i < n_in; i++) {
        const msgpack_object *rec;
        int got;
        while ((got = record_reader_next(in[i], &rec, &err)) == 1) {
            int rc = record_is_type(rec, "trace") ? encoder_run(enc, rec, w, &err)
                                                  : record_writer_copy(w, rec, &err);
            if (rc) {
                if (err.code != GM_EPIPE)
                    gm_error_where(&err, "%s", record_reader_where(in[i]));
                goto fail;
            }
            cli_progress_update(&prog, ++done);
        }
        if (got < 0)
            goto fail;
    }
    cli_progress_finish(&prog);
    int rc = record_writer_close(w, &err);
    w = NULL;
    if (rc)
        goto fail;
    for (size_t i = 0; i < n_in; i++)
        record_reader_close(in[i]);
    free(in);
    encoder_free(enc);
    pathway_router_free(router);
    free(ckpt_name);
    return 0;

fail:
    record_writer_abort(w);
    for (size_t i = 0; in && i < n_in; i++)
        record_reader_close(in[i]);
    free(in);
    encoder_free(enc);
    pathway_router_free(router);
    model_close(m);
    free(ckpt_name);
    cli_die(NAME, &err);
}
