/* report: metric records in; the study's results out as a text table (or
 * JSON Lines), CSV files, and a self-contained HTML page with SVG charts
 * (design.md "report", method.md "Validation against test accuracy").
 * This file holds the options, the wiring and the read loop only: the logic
 * is study.c, accuracy_csv.c, correlate.c, findings.c; the outputs table.c,
 * json.c, csv.c, html.c (charts in svg_chart.c). It writes no records. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accuracy_csv.h"
#include "cli.h"
#include "record.h"
#include "report.h"
#include "runtime.h"
#include "story.h"

static const char *out_path, *acc_path, *val_path, *html_path, *csv_dir;
static int json_out;
static const char *acc_column;
static const char *from_step_text;
static const char *window_text = "auto";

static cli_option options[] = {
    {"accuracy", 0, CLI_STRING, &acc_path, "CSV", "test accuracy per checkpoint: columns step,domain,accuracy (or step,group,accuracy)", 0, 0, 0},
    {"accuracy-column", 0, CLI_STRING, &acc_column, "NAME", "the accuracy CSV's accuracy column (default accuracy); or ROLE=NAME pairs naming any of its columns, e.g. step=global_step,domain=task,accuracy=acc", 0, 0, 0},
    {"val-loss", 0, CLI_STRING, &val_path, "CSV", "validation loss per checkpoint: columns step,domain,val_loss (or step,group,val_loss)", 0, 0, 0},
    {"window", 0, CLI_STRING, &window_text, "auto|all", "checkpoints Table 1 correlates: auto = the paper's window, from the last checkpoint before accuracy's sustained rise, per row; all = every checkpoint", 0, 0, 0},
    {"from-step", 0, CLI_STRING, &from_step_text, "S", "correlate only checkpoints at step >= S (instead of --window)", 0, 0, 0},
    {"html", 0, CLI_STRING, &html_path, "FILE", "write a self-contained HTML page with SVG charts to FILE", 0, 0, 1},
    {"csv", 0, CLI_STRING, &csv_dir, "DIR", "write the tables as CSV files into DIR (created if missing)", 0, 0, 1},
    {"json", 0, CLI_FLAG, &json_out, NULL, "write JSON Lines (one object per table row) instead of the text table", 0, 0, 0},
    {"output", 'o', CLI_STRING, &out_path, "FILE", "write the table (or JSON Lines) to FILE, atomically, instead of stdout", 0, 0, 1},
    CLI_OPT_END,
};

static const cli_program program = {
    .name = "report",
    .usage = "report [options] [METRICS...]   (no file or '-': the metric stream on stdin)",
    .summary = "Read the metric, membership and calibration records metric-reduce writes and\n"
               "show the study: per group and checkpoint the pathway distance, consistency (C as\n"
               "the paper prints it and S = 1 - C, the one plotted, rising with generalization)\n"
               "and loss; the memorization summary; with --accuracy the paper's Table 1 (Pearson\n"
               "and Spearman across checkpoints of each metric and of the loss baselines with\n"
               "test accuracy) and plain-words findings. Other record types are ignored.",
    .example = "  metric-reduce paths/*.mpk.lz4 | report --accuracy acc.csv --from-step 245000 \\\n"
               "         --html report.html --csv tables/\n"
               "  report metrics.mpk --accuracy acc.csv --json | grep '\"table\":\"correlation\"'",
    .options = options,
};

static void die(const gm_error *err) { cli_die(program.name, err); }

static void study_read_inputs(study *s, int n_paths, char **paths)
{
    gm_error err = {0};
    char *stdin_only[] = {"-"};
    if (n_paths == 0) {
        n_paths = 1;
        paths = stdin_only;
    }
    for (int i = 0; i < n_paths; i++) {
        record_reader *r = record_reader_open(paths[i], &err);
        if (!r || study_add_input(s, r, &err) != 0)
            die(&err);
        const msgpack_object *rec;
        int rc;
        while ((rc = record_reader_next(r, &rec, &err)) == 1)
            if (study_add_record(s, r, rec, &err) != 0)
                die(&err);
        if (rc < 0)
            die(&err);
        record_reader_close(r);
    }
    if (study_finish(s, &err) != 0)
        die(&err);
}

static void value_table_load(value_table *t, const char *path, const char *const *cols,
                             const study *s)
{
    gm_error err = {0};
    if (value_table_read(t, path, cols, &err) != 0 || value_table_check(t, s, &err) != 0)
        die(&err);
}

int main(int argc, char **argv)
{
    gm_error err = {0};
    if (runtime_init(argc, argv, &err)) /* first: argv as given, GM_REFERENCE */
        cli_die(program.name, &err);
    int first = cli_parse(&program, argc, argv);
    gm_error col_err = {0};
    if (acc_column && !acc_path)
        cli_usage_error(program.name, "--accuracy-column goes with --accuracy");
    if (accuracy_columns_check(acc_column, &col_err) != 0)
        cli_usage_error(program.name, "%s", col_err.msg);
    if (val_path && !acc_path)
        cli_usage_error(program.name, "--val-loss goes with --accuracy (it is a Table 1 baseline)");
    int64_t from_step = 0;
    if (from_step_text) {
        char *end;
        errno = 0;
        long long v = strtoll(from_step_text, &end, 10);
        if (errno || end == from_step_text || *end || v < 0)
            cli_usage_error(program.name, "--from-step %s: expected a step >= 0", from_step_text);
        from_step = v;
    }
    if (from_step_text && !acc_path)
        cli_usage_error(program.name, "--from-step goes with --accuracy");
    int window = strcmp(window_text, "all") == 0 ? WINDOW_ALL : WINDOW_AUTO;
    if (strcmp(window_text, "all") != 0 && strcmp(window_text, "auto") != 0)
        cli_usage_error(program.name, "--window %s: expected auto or all", window_text);
    if (from_step_text) {
        if (window == WINDOW_ALL)
            cli_usage_error(program.name, "--from-step and --window all exclude each other");
        window = WINDOW_FROM;
    }
    if (csv_dir && !csv_dir[0])
        cli_usage_error(program.name, "--csv needs a directory name");

    study s = {0};
    study_read_inputs(&s, argc - first, argv + first);

    static const char *const val_cols[] = {"val_loss", "validation_loss", "loss", NULL};
    value_table acc = {0}, val = {0};
    if (acc_path && (accuracy_table_read(&acc, acc_path, acc_column, &err) != 0 ||
                     value_table_check(&acc, &s, &err) != 0))
        die(&err);
    if (val_path)
        value_table_load(&val, val_path, val_cols, &s);

    corr_table corr;
    story st;
    findings find;
    if (corr_table_build(&corr, &s, acc_path ? &acc : NULL, val_path ? &val : NULL, window,
                         from_step, &err) != 0 ||
        story_build(&st, &s, &err) != 0 || findings_build(&find, &s, &st, &corr, &err) != 0)
        die(&err);

    report rp = {&s, &corr, &st, &find, acc_path ? &acc : NULL};
    if (csv_dir && csv_write_dir(&rp, csv_dir, &err) != 0)
        die(&err);
    if (html_path) {
        textbuf page = {0};
        html_write(&page, &rp);
        if (textbuf_write_file(&page, html_path, &err) != 0)
            die(&err);
        textbuf_free(&page);
    }
    textbuf text = {0};
    if (json_out)
        json_write(&text, &rp);
    else
        table_write(&text, &rp);
    if (textbuf_write_file(&text, out_path, &err) != 0)
        die(&err);
    textbuf_free(&text);

    findings_free(&find);
    story_free(&st);
    corr_table_free(&corr);
    value_table_free(&acc);
    value_table_free(&val);
    study_free(&s);
    return 0;
}
