/* metric-reduce: pathway records of all checkpoints in, memorization groups and
 * per-checkpoint metrics out (calibration, membership and metric records,
 * docs/records.md). Options, wiring and the loop only: the join is join.c,
 * the groups groups.c, the metrics rows.c. Three modes: everything (default),
 * --membership-only, and --membership FILE (metrics of the given checkpoints
 * only, for GNU parallel). Spec: method.md "Across checkpoints", "Per checkpoint". */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "groups.h"
#include "record.h"
#include "rows.h"
#include "panel.h"
#include "runtime.h"
#include "stage_io.h"

#define NAME "metric-reduce"

static const char *eps_text = NULL;
static cli_list eps_domain = {0};
static double delta = 0.05;
static const char *eps_search = "values";
static int64_t ma_window = 3;
static int64_t pairs = 0;
static int64_t wide_pairs = 0;
static int no_wide = 0;
static int64_t seed = 1;
static const char *distance = "chars";
static int64_t threads = 0;
static const char *membership = NULL;
static int membership_only = 0;
static int allow_missing = 0;
static const char *out_path = NULL;
static int compress = 0;
static int progress = 0;

/* One record of the loop: pathways join the panel, anything else passes. */
typedef struct reduce_input {
    panel *st;
    size_t unknown; /* pathway records of samples not in --membership */
} reduce_input;

static int reduce_record(void *ctx, const msgpack_object *rec, record_writer *w, gm_error *err)
{
    reduce_input *in = ctx;
    return record_is_type(rec, "pathway")
               ? panel_add_pathway(in->st, rec, allow_missing, &in->unknown, err)
               : record_writer_copy(w, rec, err);
}

static cli_option options[] = {
    {"eps", 0, CLI_STRING, &eps_text, "V",
     "loss threshold eps for every domain (default: calibrated per domain to 20-25 % memorized)", 0, 0, 0},
    {"eps-domain", 0, CLI_LIST, &eps_domain, "NAME=V", "eps for one domain (repeatable)", 0, 0, 0},
    {"eps-search", 0, CLI_STRING, &eps_search, "values|grid",
     "calibrate eps over the domain's own loss values (reaches the band whenever the losses "
     "allow), or over the paper's grid 0.1, 0.2, ...", 0, 0, 0},
    {"delta", 0, CLI_DOUBLE, &delta, "V", "max |loss(t) - loss(last)| once memorized", 0, 1e9, 0},
    {"ma-window", 0, CLI_INT, &ma_window, "N", "checkpoints in the trailing moving average of loss", 1, 1e6, 0},
    {"pairs", 0, CLI_INT, &pairs, "N",
     "sample N pairs per row uniformly without replacement, with a standard error (0: all pairs)", 0, 1e15, 0},
    {"wide-pairs", 0, CLI_INT, &wide_pairs, "N",
     "the all and cross rows (most of the pairs) sample N pairs each, with a standard error; "
     "the group and domain rows keep --pairs (0: as --pairs)", 0, 1e15, 0},
    {"no-wide", 0, CLI_FLAG, &no_wide, NULL, "write no all and cross rows (nor compute their pairs)", 0, 0, 0},
    {"seed", 0, CLI_INT, &seed, "N", "seed for --pairs and --wide-pairs sampling", 0, 9e15, 0},
    {"distance", 0, CLI_STRING, &distance, "chars|experts",
     "compare pathway strings character by character, or as expert-id symbols", 0, 0, 0},
    CLI_OPT_THREADS(&threads, "threads for the pairwise distances"),
    {"membership", 0, CLI_STRING, &membership, "FILE",
     "take groups and losses from FILE (a --membership-only output); emit only the given "
     "checkpoints' metric records", 0, 0, 0},
    {"membership-only", 0, CLI_FLAG, &membership_only, NULL,
     "emit only calibration and membership records (no pairwise work)", 0, 0, 0},
    {"allow-missing", 0, CLI_FLAG, &allow_missing, NULL,
     "drop samples missing from some checkpoint, with a warning, instead of failing", 0, 0, 0},
    CLI_OPT_OUTPUT(&out_path),
    CLI_OPT_COMPRESS(&compress),
    CLI_OPT_PROGRESS(&progress),
    CLI_OPT_END,
};

static const cli_program program = {
    .name = NAME,
    .usage = NAME " [options] FILE...",
    .summary = "Joins the pathway records of all checkpoints by sample id (a sample missing from a "
               "checkpoint, or seen twice, is an error), finds each sample's memorization step and "
               "group (domain@step), and writes calibration and membership records, then per "
               "checkpoint a metric record for every group, domain, all samples and every pair of "
               "domains (cross): mean pairwise Levenshtein distance of pathway strings (overall "
               "and per layer), consistency C and S, loss and its moving average, routing entropy.",
    .example = NAME " paths/*.mpk.lz4 > metrics.mpk\n"
               "  # or in two phases, the pairwise work spread by GNU parallel:\n"
               NAME " --membership-only paths/*.mpk.lz4 -o members.mpk\n"
               "parallel " NAME " --membership members.mpk {} -o {.}.metrics ::: paths/*.mpk.lz4\n"
               "cat members.mpk paths/*.metrics > metrics-parallel.mpk",
    .options = options,
};

/* Say on stderr when a calibrated domain missed the 20-25 % band: the groups
 * then rest on an eps the method did not ask for. */
static void calibration_warn(const panel *st)
{
    for (size_t d = 0; d < st->n_domains; d++) {
        const panel_domain *dom = &st->domains[d];
        if (dom->calibrated && !dom->in_band && dom->n)
            fprintf(stderr, "%s: warning: domain %s: no eps memorizes 20-25 %% of its samples "
                    "before the last checkpoint; eps %g memorizes %.1f %% (search: %s)\n", NAME,
                    dom->name, dom->eps, 100.0 * (double)dom->before_last / (double)dom->n,
                    dom->search);
    }
}

int main(int argc, char **argv)
{
    gm_error err = {0};
    if (runtime_init(argc, argv, &err)) /* first: argv as given, GM_REFERENCE */
        cli_die(NAME, &err);
    int first = cli_parse(&program, argc, argv);
    double eps_all = NAN;
    if (eps_text) {
        char *end;
        errno = 0;
        eps_all = strtod(eps_text, &end);
        if (errno || *end || end == eps_text || !(eps_all > 0.0) || !isfinite(eps_all))
            cli_usage_error(NAME, "--eps %s: expected a positive number", eps_text);
    }
    int grid = strcmp(eps_search, "grid") == 0;
    if (!grid && strcmp(eps_search, "values") != 0)
        cli_usage_error(NAME, "--eps-search %s: expected values or grid", eps_search);
    int experts = strcmp(distance, "experts") == 0;
    if (!experts && strcmp(distance, "chars") != 0)
        cli_usage_error(NAME, "--distance %s: expected chars or experts", distance);
    if (wide_pairs && no_wide)
        cli_usage_error(NAME, "--wide-pairs and --no-wide exclude each other");
    if (membership && membership_only)
        cli_usage_error(NAME, "--membership and --membership-only exclude each other");
    if (membership && (eps_text || eps_domain.n))
        cli_usage_error(NAME, "--eps and --eps-domain do not apply with --membership (the file fixes the groups)");
    if (argc <= first)
        cli_usage_error(NAME, "no input: give the pathway files (use - for stdin)");
    int n_threads;
    runtime_opts rto = {.threads = threads};
    if (runtime_start(&rto, &n_threads, &err) != 0)
        cli_die(NAME, &err);

    panel st;
    panel_init(&st);
    st.losses_only = membership_only; /* groups need the losses alone */
    stage_io io = {0};
    record_reader *mem = NULL;
    size_t n_in = (size_t)(argc - first); /* the paths files; membership comes after them */
    if (stage_io_open_inputs(&io, argv + first, n_in, &err))
        goto fail;
    if (membership && !(mem = stage_io_add_input(&io, membership, &err)))
        goto fail;
    if (stage_io_open_output(&io, &program, out_path, compress, &err))
        goto fail;
    record_writer *w = io.w;

    /* the membership file first: it defines the samples and groups */
    const msgpack_object *rec;
    int got;
    while (mem && (got = record_reader_next(mem, &rec, &err)) == 1) {
        /* calibration and other types are not passed on: every parallel job
         * reads this file, so passing them would repeat them */
        if (record_is_type(rec, "membership") && panel_add_membership(&st, rec, &err)) {
            gm_error_where(&err, "%s", record_reader_where(mem));
            goto fail;
        }
    }
    if (mem && got < 0)
        goto fail;
    if (mem && st.n_samples == 0) {
        gm_fail(&err, GM_EDATA, "%s: no membership records (make it with --membership-only)", membership);
        goto fail;
    }

    reduce_input in = {.st = &st, .unknown = 0};
    if (stage_io_each_record(&io, n_in, reduce_record, &in, "pathway records", progress, &err))
        goto fail;

    size_t dropped;
    char first_missing[512];
    if (panel_finish(&st, allow_missing, &dropped, first_missing, sizeof first_missing, &err))
        goto fail;
    if (dropped)
        fprintf(stderr, "%s: warning: dropped %zu sample(s) missing from some checkpoint, first %s\n",
                NAME, dropped, first_missing);
    if (in.unknown)
        fprintf(stderr, "%s: warning: dropped %zu pathway record(s) of samples not in %s\n", NAME,
                in.unknown, membership);

    if (!membership) {
        if (groups_assign(&st, eps_all, eps_domain.items, eps_domain.n, delta,
                          grid ? MEMORIZE_SEARCH_GRID : MEMORIZE_SEARCH_VALUES, &err)
            || groups_write(&st, w, &err))
            goto fail;
        calibration_warn(&st);
    }
    if (!membership_only) {
        rows_opts ro = {.experts = experts, .pairs = (uint64_t)pairs, .seed = (uint64_t)seed,
                        .wide_pairs = (uint64_t)wide_pairs, .no_wide = no_wide,
                        .threads = n_threads, .ma_window = ma_window};
        cli_progress prog;
        cli_progress_start(&prog, "checkpoints", st.n_ckpts, progress);
        for (size_t k = 0; k < st.n_ckpts; k++) {
            if (rows_write_checkpoint(&st, k, &ro, w, &err))
                goto fail;
            cli_progress_update(&prog, k + 1);
        }
        cli_progress_finish(&prog);
    }
    if (stage_io_close(&io, &err))
        goto fail;
    panel_free(&st);
    return 0;

fail:
    stage_io_abort(&io);
    panel_free(&st);
    cli_die(NAME, &err);
}
