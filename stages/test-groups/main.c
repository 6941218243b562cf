/* test-groups: per-item test results over checkpoints in; the test groups
 * (domain, t#) and their accuracy per checkpoint out as CSV, or, with a
 * similarity table, each training group paired with a test group and that
 * group's accuracy, ready for `report --accuracy`. Options, wiring and the
 * CSV writing only: results.c forms the groups, pairing.c pairs them.
 * Spec: method.md "Validation against test accuracy". */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"
#include "runtime.h"
#include "textbuf.h"
#include "test_groups.h"

#define NAME "test-groups"

static const char *similarity_path = NULL;
static int across_domains = 0;
static double min_accuracy = 0.8;
static int64_t max_errors = 1;
static const char *out_path = NULL;

static cli_option options[] = {
    {"similarity", 0, CLI_STRING, &similarity_path, "FILE",
     "pair training groups with test groups one to one by maximum total similarity "
     "(CSV: train_group,test_group,similarity), within each domain, and write the paired "
     "accuracy", 0, 0, 0},
    {"across-domains", 0, CLI_FLAG, &across_domains, NULL,
     "with --similarity: one assignment over all groups, a training group may pair with "
     "another domain's test group (default: one per domain, as the paper)", 0, 0, 0},
    {"min-accuracy", 0, CLI_DOUBLE, &min_accuracy, "A",
     "t#: mean correctness from t# on must be above A", 0, 1, 0},
    {"max-errors", 0, CLI_INT, &max_errors, "N", "t#: at most N wrong answers from t# on", 0, 1e9,
     0},
    {"output", 'o', CLI_STRING, &out_path, "FILE",
     "write the CSV to FILE, atomically, instead of stdout", 0, 0, 1},
    CLI_OPT_END,
};

static const cli_program program = {
    .name = NAME,
    .usage = NAME " [options] RESULTS.csv",
    .summary = "Reads per-item test results (CSV: step,domain,item,correct with correct 0 or 1, "
               "one row per item and checkpoint) and gives each item its t#: the earliest "
               "checkpoint at which it is correct and from which on its mean correctness is "
               "above --min-accuracy with at most --max-errors wrong answers. Items of a domain "
               "with the same t# form a test group, test:DOMAIN@STEP (test:DOMAIN@never when "
               "there is none). Writes CSV: each test group's accuracy per checkpoint "
               "(step,domain,test_group,n,accuracy); with --similarity, each training group "
               "paired one to one with a test group of its domain (DOMAIN@STEP: the name up to "
               "the last '@') by maximum total similarity, one Hungarian assignment per domain "
               "as in the paper, and that group's accuracy (step,group,accuracy,test_group,"
               "similarity), which report --accuracy reads. The table needs a row for every "
               "training and test group of one domain; rows across domains are used only with "
               "--across-domains (one assignment over all groups).",
    .example = "  test-groups --similarity sim.csv results.csv -o acc.csv\n"
               "  report metrics.mpk --accuracy acc.csv --html report.html",
    .options = options,
};

/* The CSV text, gathered and written in large pieces; fields of any length. */
typedef struct csv_out {
    gm_output *out;
    textbuf text;
} csv_out;

/* Write what is gathered once it is large, or at the end (all). */
static int csv_flush(csv_out *c, int all, gm_error *err)
{
    if (!textbuf_ok(&c->text))
        return gm_fail(err, GM_ENOMEM, "out of memory writing the CSV");
    if (c->text.len == 0 || (!all && c->text.len < (1 << 16)))
        return 0;
    int rc = gm_output_write(c->out, c->text.p, c->text.len, err);
    c->text.len = 0;
    return rc;
}

static int write_groups(csv_out *c, const test_results *r, gm_error *err)
{
    textbuf_printf(&c->text, "step,domain,test_group,n,accuracy\n");
    for (size_t g = 0; g < r->n_groups; g++) {
        const test_group *tg = &r->groups[g];
        for (size_t t = 0; t < r->n_steps; t++) {
            textbuf_printf(&c->text, "%" PRId64 ",", r->steps[t]);
            textbuf_csv(&c->text, tg->domain);
            textbuf_put(&c->text, ",", 1);
            textbuf_csv(&c->text, tg->name);
            textbuf_printf(&c->text, ",%zu,%.10g\n", tg->n, tg->accuracy[t]);
            if (csv_flush(c, 0, err))
                return -1;
        }
    }
    return csv_flush(c, 1, err);
}

static int write_pairs(csv_out *c, const test_results *r, const pairing *p, gm_error *err)
{
    textbuf_printf(&c->text, "step,group,accuracy,test_group,similarity\n");
    for (size_t k = 0; k < p->n_pairs; k++) {
        const group_pair *gp = &p->pairs[k];
        for (size_t t = 0; t < r->n_steps; t++) {
            textbuf_printf(&c->text, "%" PRId64 ",", r->steps[t]);
            textbuf_csv(&c->text, gp->train);
            textbuf_printf(&c->text, ",%.10g,", gp->test->accuracy[t]);
            textbuf_csv(&c->text, gp->test->name);
            textbuf_printf(&c->text, ",%.10g\n", gp->similarity);
            if (csv_flush(c, 0, err))
                return -1;
        }
    }
    return csv_flush(c, 1, err);
}

int main(int argc, char **argv)
{
    gm_error err = {0};
    if (runtime_init(argc, argv, &err)) /* first: argv as given, GM_REFERENCE */
        cli_die(NAME, &err);
    int first = cli_parse(&program, argc, argv);
    if (argc - first != 1)
        cli_usage_error(NAME, "expected one RESULTS.csv, got %d files", argc - first);
    if (across_domains && !similarity_path)
        cli_usage_error(NAME, "--across-domains needs --similarity");
    stable_rule rule = {.min_accuracy = min_accuracy, .max_errors = max_errors};

    test_results res;
    pairing pairs = {0};
    gm_output *out = NULL;
    csv_out csv = {0};
    if (test_results_read(&res, argv[first], &rule, &err))
        cli_die(NAME, &err);
    /* everything is read and checked before the output is opened */
    if (similarity_path && pairing_read(&pairs, similarity_path, &res, across_domains, &err))
        goto fail;
    if (!(out = gm_output_open(out_path, GM_OUT_ALLOW_TTY, &err)))
        goto fail;
    csv.out = out;
    if (similarity_path ? write_pairs(&csv, &res, &pairs, &err) : write_groups(&csv, &res, &err))
        goto fail;
    if (gm_output_commit(out, &err)) {
        out = NULL;
        goto fail;
    }
    textbuf_free(&csv.text);
    if (similarity_path && pairs.n_pairs < pairs.n_train)
        fprintf(stderr, NAME ": warning: %zu training groups, %zu test groups: %zu training "
                "group(s) left unpaired\n", pairs.n_train, pairs.n_test,
                pairs.n_train - pairs.n_pairs);
    pairing_free(&pairs);
    test_results_free(&res);
    return 0;

fail:
    gm_output_abort(out);
    textbuf_free(&csv.text);
    pairing_free(&pairs);
    test_results_free(&res);
    cli_die(NAME, &err);
}
