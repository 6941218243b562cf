/* passthrough: read record streams and write every record unchanged, under a
 * new header. The smallest possible stage: used by the stream tests (unknown
 * records pass through, atomic -o, pipes) and by scripts/bench-io.sh. */
#include "cli.h"
#include "record.h"

static const char *out_path;
static int compress_out;

static cli_option options[] = {
    CLI_OPT_OUTPUT(&out_path),
    CLI_OPT_COMPRESS(&compress_out),
    CLI_OPT_END,
};

static const cli_program program = {
    .name = "passthrough",
    .usage = "passthrough [-o FILE] [-z] [FILE...]",
    .summary = "Copy every record of the input streams to the output, under one new header.",
    .example = "  passthrough a.mpk b.mpk.lz4 -o both.mpk.lz4",
    .options = options,
};

int main(int argc, char **argv)
{
    int first = cli_parse(&program, argc, argv);
    gm_error err = {0};
    int n = argc - first;
    char *stdin_only[] = {"-"};
    char **files = n ? argv + first : stdin_only;
    if (!n)
        n = 1;
    record_reader *readers[64];
    if (n > 64)
        cli_usage_error(program.name, "at most 64 inputs");
    for (int i = 0; i < n; i++)
        if (!(readers[i] = record_reader_open(files[i], &err)))
            cli_die(program.name, &err);
    gm_output *out = gm_output_open(out_path, compress_out ? GM_OUT_LZ4 : 0, &err);
    record_writer *w = out ? record_writer_create(out, &err) : NULL;
    if (!w || record_writer_header(w, program.name, GM_VERSION, cli_pack_options, &program,
                                   readers, (size_t)n, &err) < 0)
        goto fail;
    for (int i = 0; i < n; i++) {
        const msgpack_object *rec;
        int got;
        while ((got = record_reader_next(readers[i], &rec, &err)) > 0)
            if (record_writer_copy(w, rec, &err) < 0)
                goto fail;
        if (got < 0)
            goto fail;
    }
    if (record_writer_close(w, &err) < 0) {
        w = NULL;
        goto fail;
    }
    for (int i = 0; i < n; i++)
        record_reader_close(readers[i]);
    return 0;
fail:
    record_writer_abort(w);
    cli_die(program.name, &err);
}
