/* pathway-encode: `trace` records in, one `pathway` record per trace out
 * (docs/records.md), using the router matrices of the checkpoint given with
 * --model. Options, wiring and the record loop only: the per-record work is in
 * encode.c, the router matrices in router.c, the quantities in
 * common/pathway.c. Other record types pass
 * through unchanged. Spec: method.md "Per checkpoint, per sample i". */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "encode.h"
#include "model.h"
#include "pathway.h"
#include "record.h"
#include "router.h"
#include "runtime.h"
#include "stage_io.h"

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
    CLI_OPT_OUTPUT(&out_path),
    CLI_OPT_COMPRESS(&compress),
    CLI_OPT_PROGRESS(&progress),
    CLI_OPT_END,
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
    gm_error err = {0};
    if (runtime_init(argc, argv, &err)) /* first: argv as given, GM_REFERENCE */
        cli_die(NAME, &err);
    int first = cli_parse(&program, argc, argv);
    if (!model_dir)
        cli_usage_error(NAME, "--model DIR is required");
    if (!(tau > 0.0 && tau < 1.0))
        cli_usage_error(NAME, "--threshold %g is out of range: give 0 < TAU < 1", tau);
    if (strcmp(weights, "softmax") != 0 && strcmp(weights, "topk") != 0)
        cli_usage_error(NAME, "--weights %s: expected softmax or topk", weights);

    model *m = NULL;
    pathway_router *router = NULL;
    encoder *enc = NULL;
    stage_io io = {0};
    char *ckpt_name = NULL;

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

    if (stage_io_open_inputs(&io, argv + first, (size_t)(argc - first), &err) ||
        stage_io_open_output(&io, &program, out_path, compress, &err))
        goto fail;

    if (stage_io_each_record(&io, io.n_in, encoder_record, enc, "samples", progress, &err))
        goto fail;
    if (stage_io_close(&io, &err))
        goto fail;
    encoder_free(enc);
    pathway_router_free(router);
    free(ckpt_name);
    return 0;

fail:
    stage_io_abort(&io);
    encoder_free(enc);
    pathway_router_free(router);
    model_close(m);
    free(ckpt_name);
    cli_die(NAME, &err);
}
