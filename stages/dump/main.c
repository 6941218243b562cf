/* dump: print any grokmon record stream (plain or LZ4) as JSON Lines, or with
 * --from-json turn JSON Lines back into a stream. How users and tests look
 * inside streams and hand-make them (docs/records.md "JSON Lines"). Headers
 * are printed too, so `dump | dump --from-json` gives back the same bytes. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "input.h"
#include "json_in.h"
#include "json_out.h"
#include "record.h"
#include "runtime.h"

static const char *out_path;
static int compress_out, from_json;
static int64_t brief;

static cli_option options[] = {
    {"from-json", 0, CLI_FLAG, &from_json, NULL, "read JSON Lines, write a record stream", 0, 0, 0},
    {"brief", 0, CLI_INT, &brief, "N", "show at most N elements of each vector (0: all)", 0, 1e9, 1},
    CLI_OPT_OUTPUT(&out_path),
    CLI_OPT_COMPRESS(&compress_out),
    CLI_OPT_END,
};

static const cli_program program = {
    .name = "dump",
    .usage = "dump [options] [FILE...]   |   dump --from-json [options] [FILE...]",
    .summary = "Print grokmon record streams (plain or LZ4; FILE or stdin) as one JSON object per\n"
               "line, vectors as arrays of numbers, reals always as reals. With --from-json, read\n"
               "such lines and write a record stream (a header is added when the first line is not\n"
               "one); vector fields must be arrays of their element type. String bytes that are\n"
               "not UTF-8 print as \\udc80..\\udcff (PEP 383) and non-finite reals as\n"
               "{\"$float\":\"NaN\"}, so dump | dump --from-json gives back the same bytes\n"
               "(docs/records.md, \"JSON Lines\").",
    .example = "  reader --domain math data.npy | dump --brief 8 | head\n"
               "  dump paths.mpk.lz4 | jq -c 'select(.type==\"pathway\") | .path'\n"
               "  dump --from-json -o made.mpk < made.jsonl",
    .options = options,
};

static int write_text(gm_output *out, textbuf *s, gm_error *err)
{
    if (s->oom)
        return gm_fail(err, GM_ENOMEM, "out of memory formatting JSON");
    int rc = s->len ? gm_output_write(out, s->p, s->len, err) : 0;
    s->len = 0;
    return rc;
}

/* Print every header the reader holds from index *shown on. */
static int print_new_headers(record_reader *r, size_t *shown, textbuf *s, gm_error *err)
{
    for (; *shown < record_reader_header_count(r); (*shown)++) {
        const char *bytes;
        size_t len, off = 0;
        record_reader_header_bytes(r, *shown, &bytes, &len);
        msgpack_unpacked u;
        msgpack_unpacked_init(&u);
        int ok = msgpack_unpack_next(&u, bytes, len, &off) == MSGPACK_UNPACK_SUCCESS;
        if (ok) /* the reader packed these bytes itself: only memory can fail */
            json_out_record(s, &u.data, (size_t)brief);
        msgpack_unpacked_destroy(&u);
        if (!ok)
            return gm_fail(err, GM_ENOMEM, "out of memory printing a header");
    }
    return 0;
}

static int dump_stream(const char *path, gm_output *out, gm_error *err)
{
    record_reader *r = record_reader_open(path, err);
    if (!r)
        return -1;
    textbuf s = {0};
    size_t shown = 0;
    const msgpack_object *rec;
    int got = print_new_headers(r, &shown, &s, err) < 0 ? -1 : 0;
    while (got == 0 && (got = record_reader_next(r, &rec, err)) > 0) {
        got = print_new_headers(r, &shown, &s, err);
        if (got == 0)
            json_out_record(&s, rec, (size_t)brief);
        if (got == 0 && s.len >= (1 << 18))
            got = write_text(out, &s, err);
    }
    if (got == 0)
        got = print_new_headers(r, &shown, &s, err);
    if (got == 0)
        got = write_text(out, &s, err);
    textbuf_free(&s);
    record_reader_close(r);
    return got;
}

static int from_json_stream(const char *path, record_writer *w, int *wrote_any, gm_error *err)
{
    /* a named file must be a regular file (gm_file_open): a FIFO would wait forever */
    FILE *f = (!path || strcmp(path, "-") == 0) ? stdin : gm_file_fopen(path, err);
    const char *name = f == stdin ? "stdin" : path;
    if (!f)
        return -1;
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t n;
    int rc = 0;
    while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (strspn(line, " \t\r\n") == (size_t)n)
            continue;
        json_error_t jerr;
        json_t *obj = json_in_parse(line, (size_t)n, &jerr, err);
        if (!obj) {
            if (err->code == GM_EDATA)
                gm_fail(err, GM_EDATA, "%s:%zu: invalid JSON: %s", name, lineno, jerr.text);
            rc = -1;
            break;
        }
        json_t *type = json_object_get(obj, "type");
        if (!*wrote_any && !(json_is_string(type) && strcmp(json_string_value(type), "header") == 0))
            rc = record_writer_header(w, "dump", GM_VERSION, cli_pack_options, &program, NULL, 0, err);
        *wrote_any = 1;
        if (rc == 0 && json_in_record(record_writer_packer(w), obj, err) < 0) {
            gm_error_where(err, "%s:%zu", name, lineno);
            rc = -1;
        }
        if (rc == 0)
            rc = record_writer_end(w, err);
        json_decref(obj);
    }
    if (rc == 0 && ferror(f))
        rc = gm_fail(err, GM_EIO, "%s: read failed", name);
    free(line);
    if (f != stdin)
        fclose(f);
    return rc;
}

int main(int argc, char **argv)
{
    gm_error err = {0};
    if (runtime_init(argc, argv, &err)) /* first: argv as given, GM_REFERENCE */
        cli_die(program.name, &err);
    int first = cli_parse(&program, argc, argv);
    int n_files = argc - first;
    char *stdin_only[] = {"-"};
    char **files = n_files ? argv + first : stdin_only;
    if (!n_files)
        n_files = 1;

    int flags = (compress_out ? GM_OUT_LZ4 : 0) | (from_json ? 0 : GM_OUT_ALLOW_TTY);
    gm_output *out = gm_output_open(out_path, flags, &err);
    if (!out)
        cli_die(program.name, &err);

    if (from_json) {
        record_writer *w = record_writer_create(out, &err);
        int wrote_any = 0;
        for (int i = 0; w && i < n_files; i++)
            if (from_json_stream(files[i], w, &wrote_any, &err) < 0) {
                record_writer_abort(w);
                cli_die(program.name, &err);
            }
        if (!w || record_writer_close(w, &err) < 0)
            cli_die(program.name, &err);
        return 0;
    }
    for (int i = 0; i < n_files; i++)
        if (dump_stream(files[i], out, &err) < 0) {
            gm_output_abort(out);
            cli_die(program.name, &err);
        }
    if (gm_output_commit(out, &err) < 0)
        cli_die(program.name, &err);
    return 0;
}
