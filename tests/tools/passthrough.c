/* passthrough: read record streams and write every record unchanged, under a
 * new header. The smallest possible stage: used by the stream tests (unknown
 * records pass through, atomic -o, pipes) and by scripts/bench-io.sh. */
#include "cli.h"
#include "record.h"
#include "stage_io.h"

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

static int copy_record(void *ctx, const msgpack_object *rec, record_writer *w, gm_error *err)
{
    return record_writer_copy(w, rec, err);
}

int main(int argc, char **argv)
{
    int first = cli_parse(&program, argc, argv);
    gm_error err = {0};
    stage_io io = {0};
    if (stage_io_open_inputs(&io, argv + first, (size_t)(argc - first), &err) ||
        stage_io_open_output(&io, &program, out_path, compress_out, &err))
        goto fail;
    if (stage_io_each_record(&io, io.n_in, copy_record, NULL, "records", 0, &err))
        goto fail;
    if (stage_io_close(&io, &err) < 0)
        goto fail;
    return 0;
fail:
    stage_io_abort(&io);
    cli_die(program.name, &err);
}
