/* fuzz_records.h: for the targets that feed a stage's per-record step (a
 * stage_record_fn, as the stage's own loop calls it): a scratch record writer
 * under /dev/shm, dropped after each input, and a record loop capped so that
 * one input cannot run for long. It does not check results; each target does. */
#ifndef GM_FUZZ_RECORDS_H
#define GM_FUZZ_RECORDS_H

#include <stdio.h>
#include <unistd.h>

#include "output.h"
#include "record.h"
#include "stage_io.h"

/* A writer whose bytes nobody reads: drop it with record_writer_abort. */
static inline record_writer *fuzz_scratch_writer(gm_error *err)
{
    char path[96];
    snprintf(path, sizeof path, "/dev/shm/grokmon-fuzz-%d.mpk", (int)getpid());
    gm_output *out = gm_output_open(path, 0, err);
    return out ? record_writer_create(out, err) : NULL;
}

/* fn(ctx, rec, w, err) for the first cap records of the stream at path:
 * 0, or -1 with err. */
static inline int fuzz_each_record(const char *path, int cap, stage_record_fn fn, void *ctx,
                                   record_writer *w, gm_error *err)
{
    record_reader *r = record_reader_open(path, err);
    if (!r)
        return -1;
    const msgpack_object *rec;
    int got = 0, rc = 0;
    for (int n = 0; rc == 0 && n < cap && (got = record_reader_next(r, &rec, err)) == 1; n++)
        rc = fn(ctx, rec, w, err);
    record_reader_close(r);
    return rc || got < 0 ? -1 : 0;
}

#endif
