/* test-groups: per-item test results over checkpoints in; the test groups
 * (domain, t#) and their accuracy per checkpoint out as CSV, or, with a
 * similarity table, each training group paired with a test group and that
 * group's accuracy, ready for `report --accuracy`. Options, wiring and the
 * CSV writing only: results.c forms the groups, pairing.c pairs them.
 * Spec: method.md "Validation against test accuracy". */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "output.h"
#include "test_groups.h"

#define NAME "test-groups"

static const char *similarity_path = NULL;
static double min_accuracy = 0.8;
static int64_t max_errors = 1;
static const char *out_path = NULL;

static cli_option options[] = {
    {"similarity", 0, CLI_STRING, &similarity_path, "FILE",
     "pair training groups with test groups one to one by maximum total similarity "
     "(CSV: train_group,test_group,similarity) and write the paired accuracy", 0, 0, 0},
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
               "paired one to one with a test group by maximum total similarity (Hungarian "
               "assignment) and that group's accuracy (step,group,accuracy,test_group,"
               "similarity), which report --accuracy reads.",
    .example = "  test-groups --similarity sim.csv results.csv -o acc.csv\n"
               "  report metrics.mpk --accuracy acc.csv --html report.html",
    .options = options,
};

/* printf into out; the line must fit in 1 KB (names are checked to fit). */
static int put(gm_output *out, gm_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int put(gm_output *out, gm_error *err, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line)
        return gm_fail(err, GM_EDATA, "a CSV line over %zu bytes (a group name too long?)",
                       sizeof line);
    return gm_output_write(out, line, (size_t)n, err);
}

/* A name as one CSV field: quoted when it holds a comma, a quote or a space. */
static const char *field(const char *s, char *buf, size_t cap)
{
    if (!strpbrk(s, ",\" \t") || cap < 3)
        return s;
    size_t w = 0;
    buf[w++] = '"';
    for (; *s && w + 3 < cap; s++) {
        if (*s == '"')
            buf[w++] = '"';
        buf[w++] = *s;
    }
    buf[w++] = '"';
    buf[w] = 0;
    return buf;
}

static int write_groups(gm_output *out, const test_results *r, gm_error *err)
{
    char b1[300], b2[300];
    if (put(out, err, "step,domain,test_group,n,accuracy\n"))
        return -1;
    for (size_t g = 0; g < r->n_groups; g++) {
        const test_group *tg = &r->groups[g];
        for (size_t t = 0; t < r->n_steps; t++)
            if (put(out, err, "%" PRId64 ",%s,%s,%zu,%.10g\n", r->steps[t],
                    field(tg->domain, b1, sizeof b1), field(tg->name, b2, sizeof b2), tg->n,
                    tg->accuracy[t]))
                return -1;
    }
    return 0;
}

static int write_pairs(gm_output *out, const test_results *r, const pairing *p, gm_error *err)
{
    char b1[300], b2[300];
    if (put(out, err, "step,group,accuracy,test_group,similarity\n"))
        return -1;
    for (size_t k = 0; k < p->n_pairs; k++) {
        const group_pair *gp = &p->pairs[k];
        for (size_t t = 0; t < r->n_steps; t++)
            if (put(out, err, "%" PRId64 ",%s,%.10g,%s,%.10g\n", r->steps[t],
                    field(gp->train, b1, sizeof b1), gp->test->accuracy[t],
                    field(gp->test->name, b2, sizeof b2), gp->similarity))
                return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int first = cli_parse(&program, argc, argv);
    if (argc - first != 1)
        cli_usage_error(NAME, "expected one RESULTS.csv, got %d files", argc - first);
    stable_rule rule = {.min_accuracy = min_accuracy, .max_errors = max_errors};

    gm_error err = {0};
    test_results res;
    pairing pairs = {0};
    gm_output *out = NULL;
    if (test_results_read(&res, argv[first], &rule, &err))
        cli_die(NAME, &err);
    /* everything is read and checked before the output is opened */
    if (similarity_path && pairing_read(&pairs, similarity_path, &res, &err))
        goto fail;
    if (!(out = gm_output_open(out_path, GM_OUT_ALLOW_TTY, &err)))
        goto fail;
    if (similarity_path ? write_pairs(out, &res, &pairs, &err) : write_groups(out, &res, &err))
        goto fail;
    if (gm_output_commit(out, &err)) {
        out = NULL;
        goto fail;
    }
    if (similarity_path && pairs.n_pairs < pairs.n_train)
        fprintf(stderr, NAME ": warning: %zu training groups, %zu test groups: %zu training "
                "group(s) left unpaired\n", pairs.n_train, pairs.n_test,
                pairs.n_train - pairs.n_pairs);
    pairing_free(&pairs);
    test_results_free(&res);
    return 0;

fail:
    gm_output_abort(out);
    pairing_free(&pairs);
    test_results_free(&res);
    cli_die(NAME, &err);
}
