/* reader: token data in, `sample` records out (design.md "reader",
 * docs/records.md "sample"). This file holds the options, the wiring and the
 * loop only: the sources are token_file.c (raw), npy.c, jsonl.c and text.c,
 * the selection select.c; text is tokenized by common/tokenizer.h. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "reader.h"
#include "record.h"
#include "record_map.h"
#include "runtime.h"

static const char *out_path, *format_name, *dtype_name, *domain = "unlabeled", *source_name;
static const char *range_spec, *indices_path, *global_indices_path;
static const char *tokenizer_path, *text_unit = "file", *invalid_utf8 = "error";
static const char *bos_text, *eos_text;
static int compress_out, progress, prepend_bos, append_eos;
static int64_t seq_len, sample_n, seed, step, batch_size, max_tokens, vocab_size;
static cli_list inputs;

static cli_option options[] = {
    {"input", 0, CLI_LIST, &inputs, "FILE", "a token file (same as naming it as an argument; may repeat)", 0, 0, 0},
    {"format", 0, CLI_STRING, &format_name, "F", "raw, npy, jsonl or text (default: by extension: .npy; .jsonl/.json; .txt; else raw)", 0, 0, 0},
    {"dtype", 0, CLI_STRING, &dtype_name, "T", "raw files: u16 or u32 little-endian token ids (OLMo: u16); .npy: must match", 0, 0, 0},
    {"seq-len", 0, CLI_INT, &seq_len, "N", "raw and 1-D .npy: tokens per instance (OLMo: 4096)", 1, 1 << 30, 0},
    {"domain", 0, CLI_STRING, &domain, "NAME", "domain label of every sample (JSON Lines may carry their own)", 0, 0, 0},
    {"source", 0, CLI_STRING, &source_name, "NAME", "source name in records and ids (default: each file's base name)", 0, 0, 0},
    {"range", 0, CLI_STRING, &range_spec, "A:B", "instances A..B-1 (A: or :B also)", 0, 0, 0},
    {"indices", 0, CLI_STRING, &indices_path, "FILE", "instances listed in FILE, one per line, in that order", 0, 0, 0},
    {"step", 0, CLI_INT, &step, "S", "the instances OLMo training step S consumed (with --batch-size, --global-indices)", 1, 9e18, 0},
    {"batch-size", 0, CLI_INT, &batch_size, "B", "instances per training step (OLMoE: 1024)", 1, 1 << 30, 0},
    {"global-indices", 0, CLI_STRING, &global_indices_path, "FILE", "the run's global indices: raw little-endian uint32 or .npy", 0, 0, 0},
    {"sample", 0, CLI_INT, &sample_n, "N", "keep N of the selected instances, uniform without replacement ", 1, 9e18, 0},
    {"seed", 0, CLI_INT, &seed, "S", "seed of --sample (same seed, same picks, on every machine)", 0, 9e18, 0},
    {"tokenizer", 0, CLI_STRING, &tokenizer_path, "PATH", "tokenize text (text files, JSON Lines \"text\") with this tokenizer.json or checkpoint folder's", 0, 0, 0},
    {"text-unit", 0, CLI_STRING, &text_unit, "U", "text files: one document per file or per non-empty line", 0, 0, 0},
    {"prepend-bos", 0, CLI_FLAG, &prepend_bos, NULL, "text: the tokenizer's BOS token before each document", 0, 0, 0},
    {"append-eos", 0, CLI_FLAG, &append_eos, NULL, "text: the tokenizer's EOS token after each document (as OLMo's data)", 0, 0, 0},
    {"bos-token", 0, CLI_STRING, &bos_text, "TEXT", "the BOS token's content (default: <s>, <|begin_of_text|>, ... as the tokenizer has)", 0, 0, 0},
    {"eos-token", 0, CLI_STRING, &eos_text, "TEXT", "the EOS token's content (default: </s>, <|endoftext|>, ... as the tokenizer has)", 0, 0, 0},
    {"invalid-utf8", 0, CLI_STRING, &invalid_utf8, "M", "text with invalid UTF-8: error (naming where) or replace (U+FFFD)", 0, 0, 0},
    {"max-tokens", 0, CLI_INT, &max_tokens, "N", "keep only the first N tokens of each sample", 1, 1 << 30, 0},
    {"vocab-size", 0, CLI_INT, &vocab_size, "V", "reject token ids >= V (OLMoE: 50304)", 1, 4294967296.0, 0},
    CLI_OPT_OUTPUT(&out_path),
    CLI_OPT_COMPRESS(&compress_out),
    CLI_OPT_PROGRESS(&progress),
    CLI_OPT_END,
};

static const cli_program program = {
    .name = "reader",
    .usage = "reader [options] [FILE...]   (no FILE or '-': JSON Lines on stdin)",
    .summary = "Read tokenized training data and write one `sample` record per selected instance:\n"
               "a stable id ({source}:{index}, or a JSON Lines record's own \"id\"), its domain,\n"
               "its tokens (u32) and where it came from. Sources: raw headerless u16/u32 token\n"
               "files cut into --seq-len windows (the OLMo format; several files concatenate),\n"
               ".npy arrays (1-D cut into windows, or 2-D rows), JSON Lines with \"tokens\" or\n"
               "\"input_ids\" (or \"text\"), and text files, tokenized with the checkpoint's own\n"
               "tokenizer.json (--tokenizer). Raw and .npy files are memory-mapped. Select with --range,\n"
               "--indices, --step (OLMo), and/or --sample. OLMo's token files are named .npy but\n"
               "are raw: read them with --format raw.",
    .example = "  reader --domain math --sample 1000 --seed 1 math.npy | router-trace --model CKPT | ...\n"
               "  reader --format raw --dtype u16 --seq-len 4096 --step 245000 --batch-size 1024 \\\n"
               "         --global-indices global_indices.npy part-0-00000.npy part-1-00000.npy -o step.mpk\n"
               "  reader --max-tokens 512 --vocab-size 50304 < samples.jsonl | dump --brief 8\n"
               "  reader --tokenizer CKPT --append-eos --max-tokens 2048 --domain code code.jsonl -o code.mpk",
    .options = options,
};

static void die(record_writer *w, const gm_error *err)
{
    record_writer_abort(w);
    cli_die(program.name, err);
}

/* Every option combination is checked before any file is touched. */
static void check_usage(int n_files, int *format, source_config *cfg)
{
    *format = -1;
    if (format_name && (*format = source_format_parse(format_name)) < 0)
        cli_usage_error(program.name, "--format '%s': expected raw, npy, jsonl or text",
                        format_name);
    if (dtype_name && tok_parse(dtype_name, &cfg->dtype) < 0)
        cli_usage_error(program.name, "--dtype '%s': expected u16 or u32", dtype_name);
    cfg->dtype_given = dtype_name != NULL;
    if (!!range_spec + !!indices_path + !!step > 1)
        cli_usage_error(program.name, "--range, --indices and --step exclude each other");
    if (step && (!batch_size || !global_indices_path))
        cli_usage_error(program.name, "--step needs --batch-size and --global-indices");
    if (!step && (batch_size || global_indices_path))
        cli_usage_error(program.name, "--batch-size and --global-indices go with --step");
    if (seed && !sample_n)
        cli_usage_error(program.name, "--seed goes with --sample");
    if (!domain[0])
        cli_usage_error(program.name, "--domain must not be empty");
    if (source_name && !source_name[0])
        cli_usage_error(program.name, "--source must not be empty");
    int data_stdin = 0;
    for (int i = 0; i < n_files; i++)
        data_stdin |= strcmp(cfg->paths[i], "-") == 0;
    if (data_stdin && indices_path && strcmp(indices_path, "-") == 0)
        cli_usage_error(program.name, "token data and --indices cannot both come from stdin");
    gm_error err = {0};
    if ((*format = source_format_resolve(*format, cfg->paths, (size_t)n_files, &err)) < 0)
        cli_usage_error(program.name, "%s", err.msg);
    if (*format == SOURCE_RAW && (!dtype_name || !seq_len))
        cli_usage_error(program.name, "raw token files need --dtype (u16 or u32) and "
                        "--seq-len (OLMo: --dtype u16 --seq-len 4096)");
    if ((*format == SOURCE_JSONL || *format == SOURCE_TEXT) && (dtype_name || seq_len))
        cli_usage_error(program.name, "--dtype and --seq-len do not apply to %s",
                        *format == SOURCE_TEXT ? "text" : "JSON Lines");
    if (*format == SOURCE_TEXT && !tokenizer_path)
        cli_usage_error(program.name, "text files need the model's tokenizer: --tokenizer "
                        "CHECKPOINT (or its tokenizer.json)");
    if ((*format == SOURCE_RAW || *format == SOURCE_NPY) && tokenizer_path)
        cli_usage_error(program.name, "--tokenizer is for text (text files, JSON Lines "
                        "\"text\"); %s files hold token ids already",
                        *format == SOURCE_NPY ? ".npy" : "raw");
    if (!tokenizer_path && (prepend_bos || append_eos || bos_text || eos_text))
        cli_usage_error(program.name, "--prepend-bos, --append-eos, --bos-token and "
                        "--eos-token go with --tokenizer");
    if (strcmp(text_unit, "file") != 0 && strcmp(text_unit, "line") != 0)
        cli_usage_error(program.name, "--text-unit '%s': expected file or line", text_unit);
    if (strcmp(text_unit, "file") != 0 && *format != SOURCE_TEXT)
        cli_usage_error(program.name, "--text-unit is for text files");
    if (strcmp(invalid_utf8, "error") != 0 && strcmp(invalid_utf8, "replace") != 0)
        cli_usage_error(program.name, "--invalid-utf8 '%s': expected error or replace",
                        invalid_utf8);
    cfg->text_lines = strcmp(text_unit, "line") == 0;
    cfg->utf8_replace = strcmp(invalid_utf8, "replace") == 0;
}

/* --tokenizer: load it, and find BOS / EOS when asked for. */
static void load_tokenizer(source_config *cfg)
{
    cfg->bos = cfg->eos = -1;
    if (!tokenizer_path)
        return;
    gm_error err = {0};
    if (!(cfg->tok = tokenizer_load(tokenizer_path, &err)))
        cli_die(program.name, &err);
    struct { int want; const char *text; int64_t found; int64_t *dest; const char *what; } ends[] = {
        {prepend_bos, bos_text, tokenizer_bos(cfg->tok), &cfg->bos, "BOS"},
        {append_eos, eos_text, tokenizer_eos(cfg->tok), &cfg->eos, "EOS"}};
    for (int i = 0; i < 2; i++) {
        if (!ends[i].want && !ends[i].text)
            continue;
        int64_t id = ends[i].text ? tokenizer_token_id(cfg->tok, ends[i].text) : ends[i].found;
        if (id < 0) {
            if (ends[i].text)
                cli_usage_error(program.name, "%s: the tokenizer has no token \"%s\"",
                                tokenizer_path, ends[i].text);
            cli_usage_error(program.name, "%s: the tokenizer has no %s token we know by name: "
                            "give its content with --%s-token", tokenizer_path, ends[i].what,
                            i ? "eos" : "bos");
        }
        if (ends[i].want)
            *ends[i].dest = id;
    }
}

/* all, --range, --indices or --step; then --sample. */
static void select_instances(selection *sel, int64_t n)
{
    gm_error err = {0};
    int rc = 0;
    if (range_spec)
        rc = selection_range(sel, range_spec, n, &err);
    else if (indices_path)
        rc = selection_indices_file(sel, indices_path, n, &err);
    else if (step)
        rc = selection_olmo_step(sel, global_indices_path, step, batch_size, n, &err);
    else
        selection_all(sel, n);
    if (rc == 0 && sample_n)
        rc = selection_sample(sel, sample_n, (uint64_t)seed, &err);
    if (rc < 0)
        die(NULL, &err);
}

static int write_sample(record_writer *w, const sample_view *v, int64_t index,
                        const char *first_source, gm_error *err)
{
    size_t n = v->n_tokens;
    if (max_tokens && n > (size_t)max_tokens)
        n = (size_t)max_tokens;
    for (size_t t = 0; vocab_size && t < n; t++)
        if (v->tokens[t] >= (uint64_t)vocab_size)
            return gm_fail(err, GM_EDATA, "%s, position %zu: token id %" PRIu32
                           " >= --vocab-size %" PRId64, v->where, t, v->tokens[t], vocab_size);
    char id[512];
    if (!v->id)
        snprintf(id, sizeof id, "%s:%" PRId64, first_source, index);
    record_map m;
    record_map_begin(&m, w, "sample");
    record_map_str(&m, "id", v->id ? v->id : id);
    record_map_str(&m, "domain", v->domain ? v->domain : domain);
    record_map_str(&m, "source", v->source);
    record_map_i64(&m, "index", index);
    record_map_bin(&m, "tokens", v->tokens, n * sizeof *v->tokens);
    return record_map_end(&m, err);
}

int main(int argc, char **argv)
{
    gm_error err = {0};
    if (runtime_init(argc, argv, &err)) /* first: argv as given, GM_REFERENCE */
        cli_die(program.name, &err);
    int first = cli_parse(&program, argc, argv);
    for (int i = first; i < argc; i++) { /* positionals join --input, so the header records them */
        const char **grown = realloc(inputs.items, (size_t)(inputs.n + 1) * sizeof *grown);
        if (!grown)
            cli_usage_error(program.name, "out of memory");
        inputs.items = grown;
        inputs.items[inputs.n++] = argv[i];
    }
    const char *stdin_only[] = {"-"};
    source_config cfg = {
        .paths = inputs.n ? inputs.items : stdin_only,
        .n_paths = inputs.n ? (size_t)inputs.n : 1,
        .seq_len = seq_len,
        .source_name = source_name,
    };
    int format;
    check_usage((int)cfg.n_paths, &format, &cfg);
    load_tokenizer(&cfg);

    token_source src;
    if (token_source_open(format, &cfg, &src, &err) < 0)
        die(NULL, &err);
    const char *first_source = source_name ? source_name : path_base(cfg.paths[0]);
    selection sel;
    select_instances(&sel, src.n_instances);

    gm_output *out = gm_output_open(out_path, compress_out ? GM_OUT_LZ4 : 0, &err);
    if (!out)
        die(NULL, &err);
    record_writer *w = record_writer_create(out, &err);
    if (!w || record_writer_header(w, program.name, GM_VERSION, cli_pack_options, &program,
                                   NULL, 0, &err) < 0)
        die(w, &err);

    size_t n = selection_count(&sel);
    cli_progress prog;
    cli_progress_start(&prog, "samples", n, progress);
    for (size_t i = 0; i < n; i++) {
        int64_t index = selection_at(&sel, i);
        sample_view v;
        if (token_source_get(&src, index, &v, &err) < 0 ||
            write_sample(w, &v, index, first_source, &err) < 0)
            die(w, &err);
        cli_progress_update(&prog, i + 1);
    }
    cli_progress_finish(&prog);
    if (record_writer_close(w, &err) < 0)
        die(NULL, &err);
    selection_free(&sel);
    token_source_close(&src);
    tokenizer_free(cfg.tok);
    free(inputs.items);
    return 0;
}
