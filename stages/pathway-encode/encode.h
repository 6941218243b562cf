/* encode.h: one `trace` record in, one `pathway` record out (docs/records.md).
 * Reads the fields, validates shapes against the checkpoint's router, and
 * packs the result; the quantities themselves come from common/pathway.h.
 * Spec: method.md "Per checkpoint, per sample i", steps 3-5. */
#ifndef GM_ENCODE_H
#define GM_ENCODE_H

#include "pathway.h"
#include "record.h"
#include "record_types.h"

typedef struct encoder encoder;

/* weights: "softmax" (router_mean) or "topk" (topk_mean). checkpoint: the
 * model folder's base name, checked against each trace's checkpoint. */
encoder *encoder_create(const pathway_router *r, const char *checkpoint, double tau,
                        const char *weights, gm_error *err);
/* Encode one trace record and write its pathway record to w. */
int encoder_run(encoder *enc, const msgpack_object *trace, record_writer *w, gm_error *err);
/* One record of pathway-encode's loop (a stage_record_fn; enc is an
 * encoder): a trace becomes a pathway, any other record passes unchanged. */
int encoder_record(void *enc, const msgpack_object *rec, record_writer *w, gm_error *err);
void encoder_free(encoder *enc); /* accepts NULL */

#endif
