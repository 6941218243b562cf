/* stage_io.c: open inputs, output and header for a stage; run the record
 * loop (later headers of concatenated inputs included, so that they are
 * kept in place: docs/records.md "Streams"); commit or abort. */
#include "stage_io.h"

#include <stdlib.h>

record_reader *stage_io_add_input(stage_io *io, const char *path, gm_error *err)
{
    record_reader **grown = realloc(io->in, (io->n_in + 1) * sizeof *grown);
    if (!grown) {
        gm_fail(err, GM_ENOMEM, "out of memory opening inputs");
        return NULL;
    }
    io->in = grown;
    record_reader *r = record_reader_open(path, err);
    if (r)
        io->in[io->n_in++] = r;
    return r;
}

int stage_io_open_inputs(stage_io *io, char *const *files, size_t n, gm_error *err)
{
    if (n == 0)
        return stage_io_add_input(io, NULL, err) ? 0 : -1;
    for (size_t i = 0; i < n; i++)
        if (!stage_io_add_input(io, files[i], err))
            return -1;
    return 0;
}

int stage_io_open_output(stage_io *io, const cli_program *prog, const char *out_path,
                         int compress, gm_error *err)
{
    gm_output *out = gm_output_open(out_path, compress ? GM_OUT_LZ4 : 0, err);
    if (!out)
        return -1;
    io->w = record_writer_create(out, err);
    if (!io->w)
        return -1;
    return record_writer_header(io->w, prog->name, GM_VERSION, cli_pack_options, prog, io->in,
                                io->n_in, err);
}

static void close_inputs(stage_io *io)
{
    for (size_t i = 0; i < io->n_in; i++)
        record_reader_close(io->in[i]);
    free(io->in);
    io->in = NULL;
    io->n_in = 0;
}

int stage_io_close(stage_io *io, gm_error *err)
{
    int rc = 0;
    for (size_t i = 0; io->w && rc == 0 && i < io->n_in; i++)
        rc = record_writer_part(io->w, io->in[i], err);
    if (rc) {
        stage_io_abort(io);
        return -1;
    }
    rc = io->w ? record_writer_close(io->w, err) : 0;
    io->w = NULL;
    close_inputs(io);
    return rc;
}

void stage_io_abort(stage_io *io)
{
    record_writer_abort(io->w);
    io->w = NULL;
    close_inputs(io);
}

int stage_io_each_record(stage_io *io, size_t n_in, stage_record_fn fn, void *ctx,
                         const char *what, int force_progress, gm_error *err)
{
    cli_progress prog;
    cli_progress_start(&prog, what, 0, force_progress);
    uint64_t done = 0;
    for (size_t i = 0; i < n_in; i++) {
        const msgpack_object *rec;
        int got;
        record_reader_pass_headers(io->in[i], 1);
        while ((got = record_reader_next(io->in[i], &rec, err)) == 1) {
            if (fn(ctx, rec, io->w, err)) {
                if (err->code != GM_EPIPE)
                    gm_error_where(err, "%s", record_reader_where(io->in[i]));
                return -1;
            }
            if (!record_is_type(rec, "header"))
                cli_progress_update(&prog, ++done);
        }
        if (got < 0)
            return -1;
    }
    cli_progress_finish(&prog);
    return 0;
}
