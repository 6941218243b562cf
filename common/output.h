/* output.h: where a stage writes its bytes. stdout, or -o FILE written to a
 * temporary name beside FILE and renamed on gm_output_commit, so an
 * interrupted or failed run never leaves a partial FILE (SIGINT/SIGTERM remove
 * the temporary too). Optionally wraps the bytes in an LZ4 frame. A closed
 * downstream pipe is reported as GM_EPIPE, which main() treats as a quiet end. */
#ifndef GM_OUTPUT_H
#define GM_OUTPUT_H

#include <stddef.h>

#include "error.h"

typedef struct gm_output gm_output;

enum gm_output_flags {
    GM_OUT_LZ4 = 1,         /* compress (also implied by a path ending in .lz4) */
    GM_OUT_ALLOW_TTY = 2,   /* text output: writing to a terminal is fine */
};

/* path NULL or "-" means stdout. Binary output to a terminal is refused. */
gm_output *gm_output_open(const char *path, int flags, gm_error *err);
int gm_output_write(gm_output *out, const void *buf, size_t n, gm_error *err);
/* Finish the LZ4 frame, flush, fsync-free close, rename into place, free. */
int gm_output_commit(gm_output *out, gm_error *err);
/* Remove the temporary file (if any) and free. Accepts NULL. */
void gm_output_abort(gm_output *out);

#endif
