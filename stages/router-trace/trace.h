/* trace.h: router-trace's batch of pending samples: copies the fields of
 * `sample` records, runs them through the forward pass together, and writes
 * one `trace` record per sample in input order (docs/records.md). It does not
 * read streams or parse options (main.c). Spec: docs/records.md `trace`. */
#ifndef RT_TRACE_H
#define RT_TRACE_H

#include <msgpack.h>
#include <stdint.h>

#include "error.h"
#include "forward.h"
#include "model.h"
#include "record.h"

typedef struct trace_batch trace_batch;

/* step < 0: nil. A batch is full once it holds max_tokens tokens. */
trace_batch *trace_batch_create(forward *fw, const model *m, int64_t step, int64_t max_tokens,
                                int emit_topk, int emit_probs, gm_error *err);
void trace_batch_free(trace_batch *b); /* accepts NULL */

/* Copy a `sample` record into the batch, checking its tokens against V.
 * Errors name the sample id; the caller adds the stream position. */
int trace_batch_add(trace_batch *b, const msgpack_object *rec, gm_error *err);
int trace_batch_full(const trace_batch *b);

/* Run the pending samples and write their traces; empties the batch. */
int trace_batch_flush(trace_batch *b, record_writer *w, gm_error *err);

/* One record of router-trace's loop (a stage_record_fn; batch is a
 * trace_batch): a sample joins the batch, which runs when full; any other
 * record first finishes the batch, to keep the stream's order, then passes. */
int trace_batch_record(void *batch, const msgpack_object *rec, record_writer *w, gm_error *err);

#endif
