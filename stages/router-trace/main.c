/* router-trace: `sample` records in, one `trace` record per sample out
 * (docs/records.md): the checkpoint's forward pass over each sample, its loss
 * and per-token NLL, and the router's choices per layer. Options, wiring and
 * the record loop only: batching and packing are in trace.c, the forward pass
 * in common/forward.c. Other record types pass through unchanged, in order.
 * Spec: olmoe.md "Forward pass"; method.md steps 1-2. */
#include <stdio.h>
#include <sys/resource.h>

#include "cli.h"
#include "forward.h"
#include "model.h"
#include "record.h"
#include "runtime.h"
#include "stage_io.h"
#include "trace.h"

#define NAME "router-trace"

static const char *model_dir = NULL;
static const char *out_path = NULL;
static int compress = 0;
static int64_t step = -1;
static int emit_topk = 0;
static int emit_probs = 0;
static int64_t threads = 0;
static int64_t batch_tokens = 4096;
static const char *blas_core = NULL;
static int keep_pages = 0;
static int stats = 0;
static int progress = 0;

static cli_option options[] = {
    {"model", 'm', CLI_STRING, &model_dir, "DIR",
     "HF checkpoint folder (config.json + safetensors) to run (required)", 0, 0, 0},
    CLI_OPT_OUTPUT(&out_path),
    CLI_OPT_COMPRESS(&compress),
    {"step", 0, CLI_INT, &step, "N",
     "training step to record (-1: parse it from the folder name, e.g. step245000-tokens1027B)",
     -1, 1e15, 0},
    {"emit-topk", 0, CLI_FLAG, &emit_topk, NULL,
     "add topk_ids and topk_weights [T, L, K] per token and layer", 0, 0, 0},
    {"emit-probs", 0, CLI_FLAG, &emit_probs, NULL,
     "add probs [T, L, E], the full per-token router softmax", 0, 0, 0},
    CLI_OPT_THREADS(&threads, "threads for OpenBLAS, attention heads and (up to 8) experts; a "
                              "given N and --blas-core repeat the same bits"),
    {"batch-tokens", 0, CLI_INT, &batch_tokens, "N",
     "run samples together, layer by layer, until a batch holds N tokens", 1, 1 << 24, 1},
    {"blas-core", 0, CLI_STRING, &blas_core, "NAME",
     "OpenBLAS kernel (sets OPENBLAS_CORETYPE, re-executes); default SkylakeX on AVX-512 CPUs "
     "unless OPENBLAS_CORETYPE is set; 'auto' keeps OpenBLAS's own choice", 0, 0, 1},
    {"keep-pages", 0, CLI_FLAG, &keep_pages, NULL,
     "keep weight pages mapped after use (faster on many short batches, more RSS)", 0, 0, 1},
    {"stats", 0, CLI_FLAG, &stats, NULL,
     "print one line of timing, tokens/s, GFLOP/s and peak RSS to stderr at the end", 0, 0, 1},
    CLI_OPT_PROGRESS(&progress),
    CLI_OPT_END,
};

static const cli_program program = {
    .name = NAME,
    .usage = NAME " --model DIR [options] [FILE...]",
    .summary = "Run every sample record from FILEs or stdin through the MoE checkpoint in DIR and\n"
               "write one trace record per sample: mean and per-token next-token NLL, the\n"
               "token-averaged router distribution and top-k weights of every MoE layer, and on\n"
               "request the per-token top-k experts and router distribution. Other record types\n"
               "pass through unchanged. model_type olmoe, mixtral, qwen2_moe, qwen3_moe,\n"
               "deepseek_v2, deepseek_v3, granitemoe or granitemoeshared; any setting not\n"
               "implemented is refused before any compute. Weights stay memory-mapped in their\n"
               "file dtype (BF16 is widened per tensor just before use), so the full OLMoE-1B-7B\n"
               "runs in well under 1 GB of RSS.",
    .example = "  reader --domain math --sample 100 --seed 1 math.npy \\\n"
               "    | router-trace --model ckpt/step5000-tokens20B \\\n"
               "    | pathway-encode --model ckpt/step5000-tokens20B -o paths/step5000.mpk.lz4\n"
               "  router-trace --model ckpt/step5000-tokens20B --emit-topk --stats samples.mpk | dump --brief 8",
    .options = options,
};

static void print_stats(const forward *fw, int n_threads)
{
    const forward_stats *s = forward_get_stats(fw);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double t = s->t_total > 0 ? s->t_total : 1e-9;
    fprintf(stderr,
            NAME ": stats: samples %lld tokens %lld seconds %.3f tokens_per_s %.1f gflops %.2f "
            "gflop_per_s %.2f attn_s %.3f router_s %.3f experts_s %.3f lm_head_s %.3f "
            "widen_s %.3f peak_rss_mb %.1f blas %s threads %d\n",
            (long long)s->samples, (long long)s->tokens, s->t_total, (double)s->tokens / t,
            s->flops * 1e-9, s->flops * 1e-9 / t, s->t_attn, s->t_router, s->t_experts,
            s->t_lm_head, s->t_widen, (double)ru.ru_maxrss / 1024.0, runtime_blas_core(),
            n_threads);
}

int main(int argc, char **argv)
{
    gm_error err = {0};
    if (runtime_init(argc, argv, &err)) /* first: argv as given, GM_REFERENCE */
        cli_die(NAME, &err);
    int first = cli_parse(&program, argc, argv);
    if (!model_dir)
        cli_usage_error(NAME, "--model DIR is required");
    /* the OpenBLAS kernel (may re-execute this program) and the thread count */
    int n_threads;
    runtime_opts ro = {.threads = threads, .blas = 1, .blas_core = blas_core};
    if (runtime_start(&ro, &n_threads, &err) != 0)
        cli_die(NAME, &err);

    model *m = NULL;
    forward *fw = NULL;
    trace_batch *batch = NULL;
    stage_io io = {0};
    m = model_open(model_dir, &err);
    if (!m)
        goto fail;
    forward_opts fo = {.emit_topk = emit_topk, .emit_probs = emit_probs,
                       .release_weights = !keep_pages, .threads = n_threads};
    fw = forward_create(m, &fo, &err);
    if (!fw)
        goto fail;
    batch = trace_batch_create(fw, m, step >= 0 ? step : m->step, batch_tokens, emit_topk,
                               emit_probs, &err);
    if (!batch)
        goto fail;

    if (stage_io_open_inputs(&io, argv + first, (size_t)(argc - first), &err) ||
        stage_io_open_output(&io, &program, out_path, compress, &err))
        goto fail;

    if (stage_io_each_record(&io, io.n_in, trace_batch_record, batch, "samples", progress, &err)
        || trace_batch_flush(batch, io.w, &err))
        goto fail;
    if (stage_io_close(&io, &err))
        goto fail;
    if (stats)
        print_stats(fw, n_threads);
    trace_batch_free(batch);
    forward_free(fw);
    model_close(m);
    return 0;

fail:
    stage_io_abort(&io);
    trace_batch_free(batch);
    forward_free(fw);
    model_close(m);
    cli_die(NAME, &err);
}
