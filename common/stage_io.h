/* stage_io.h: the plumbing every record-to-record stage shares: open its
 * inputs (FILE arguments, or stdin when there are none), open its output
 * (-o FILE or stdout, LZ4 on request), write its header carrying the inputs'
 * headers (provenance), run the record loop over the inputs, and at the
 * end commit the output or remove it. */
#ifndef GM_STAGE_IO_H
#define GM_STAGE_IO_H

#include <stddef.h>

#include "cli.h"
#include "error.h"
#include "record.h"

typedef struct stage_io {
    record_reader **in; /* [n_in], in the order given */
    size_t n_in;
    record_writer *w;   /* NULL until stage_io_open_output */
} stage_io;

/* Open files[0..n) as record streams; n == 0 opens stdin. io starts zeroed. */
int stage_io_open_inputs(stage_io *io, char *const *files, size_t n, gm_error *err);
/* Open one more input (e.g. a side file); NULL on error. */
record_reader *stage_io_add_input(stage_io *io, const char *path, gm_error *err);
/* Open the output and write prog's header over every input opened so far. */
int stage_io_open_output(stage_io *io, const cli_program *prog, const char *out_path,
                         int compress, gm_error *err);
/* The record loop: calls fn(ctx, rec, io->w, err) for every record of
 * in[0..n_in) in order (n_in may leave out side inputs opened last), showing
 * them as progress ("N what") on a terminal or with force_progress. fn decides
 * what each record becomes, passing unknown types on with record_writer_copy.
 * That includes the header of a concatenated input's next part (cat a.mpk
 * b.mpk | stage): passed on, it starts a new part of the output with the
 * stage's own header over it, so provenance keeps every header in order; a
 * stage that holds records back (a batch) must write them out first, as for
 * any other passed-on record. An error from fn gets the input's place (name,
 * record, offset) appended, except a closed downstream pipe. */
typedef int (*stage_record_fn)(void *ctx, const msgpack_object *rec, record_writer *w,
                               gm_error *err);
int stage_io_each_record(stage_io *io, size_t n_in, stage_record_fn fn, void *ctx,
                         const char *what, int force_progress, gm_error *err);
/* Commit the output (rename into place) and close the inputs. Headers that
 * side inputs met after the output header (a concatenated --membership file,
 * say) are named first, in a last part of the output (record_writer_part). */
int stage_io_close(stage_io *io, gm_error *err);
/* Drop the output (no file is left) and close the inputs. */
void stage_io_abort(stage_io *io);

#endif
