/* record_types.h: the field lists of the records one stage writes and
 * another reads (docs/records.md; tests/unit/test_record_types.c checks that
 * the document names exactly these fields). A new field goes here, in the
 * order it is written, and into records.md: the writer's key, the reader's
 * struct member and dump's vector type all come from this line.
 * Flags: RF_NIL may be nil, RF_OPT written only on request (record_fields.h). */
#ifndef GM_RECORD_TYPES_H
#define GM_RECORD_TYPES_H

#include "record_fields.h"

/* trace: router-trace -> pathway-encode */
#define TRACE_FIELDS(X, P)                                                                       \
    X(P, id, STR, 0)                                                                             \
    X(P, domain, STR, RF_NIL)                                                                    \
    X(P, source, STR, RF_NIL)                                                                    \
    X(P, index, I64, RF_NIL)                                                                     \
    X(P, checkpoint, STR, 0)                                                                     \
    X(P, step, I64, RF_NIL)                                                                      \
    X(P, n_tokens, I64, 0)                                                                       \
    X(P, n_layers, I64, 0)                                                                       \
    X(P, n_experts, I64, 0)                                                                      \
    X(P, top_k, I64, 0)                                                                          \
    X(P, moe_layers, U32S, RF_OPT)                                                               \
    X(P, loss, F64, RF_NIL)                                                                      \
    X(P, token_nll, F32S, 0)                                                                     \
    X(P, router_mean, F32S, 0)                                                                   \
    X(P, topk_mean, F32S, 0)                                                                     \
    X(P, topk_ids, U16S, RF_OPT)                                                                 \
    X(P, topk_weights, F32S, RF_OPT)                                                             \
    X(P, probs, F32S, RF_OPT)
RF_DECLARE(trace, TRACE_FIELDS);

/* pathway: pathway-encode -> metric-reduce */
#define PATHWAY_FIELDS(X, P)                                                                     \
    X(P, id, STR, 0)                                                                             \
    X(P, domain, STR, 0)                                                                         \
    X(P, checkpoint, STR, 0)                                                                     \
    X(P, step, I64, RF_NIL)                                                                      \
    X(P, loss, F64, RF_NIL)                                                                      \
    X(P, n_layers, I64, 0)                                                                       \
    X(P, n_experts, I64, 0)                                                                      \
    X(P, threshold, F64, 0)                                                                      \
    X(P, weights, STR, 0)                                                                        \
    X(P, path, STR, 0)                                                                           \
    X(P, layer_counts, U16S, 0)                                                                  \
    X(P, cosines, F64S, 0)                                                                       \
    X(P, consistency_c, F64, RF_NIL)                                                             \
    X(P, consistency_s, F64, RF_NIL)                                                             \
    X(P, entropy, F64, 0)
RF_DECLARE(pathway, PATHWAY_FIELDS);

/* membership: metric-reduce --membership-only -> metric-reduce --membership, report */
#define MEMBERSHIP_FIELDS(X, P)                                                                  \
    X(P, id, STR, 0)                                                                             \
    X(P, domain, STR, 0)                                                                         \
    X(P, mem_step, I64, RF_NIL)                                                                  \
    X(P, group, STR, 0)                                                                          \
    X(P, eps, F64, 0)                                                                            \
    X(P, delta, F64, 0)                                                                          \
    X(P, steps, U32S, 0)                                                                         \
    X(P, losses, F64S, 0)
RF_DECLARE(membership, MEMBERSHIP_FIELDS);

/* calibration: metric-reduce -> report */
#define CALIBRATION_FIELDS(X, P)                                                                 \
    X(P, domain, STR, 0)                                                                         \
    X(P, eps, F64, 0)                                                                            \
    X(P, delta, F64, 0)                                                                          \
    X(P, n, I64, 0)                                                                              \
    X(P, memorized_before_last, F64, RF_NIL)                                                     \
    X(P, calibrated, BOOL, 0)                                                                    \
    X(P, in_band, BOOL, 0)                                                                       \
    X(P, search, STR, 0)                                                                         \
    X(P, threshold, F64, 0)                                                                      \
    X(P, weights, STR, 0)                                                                        \
    X(P, n_layers, I64, 0)                                                                       \
    X(P, n_checkpoints, I64, 0)
RF_DECLARE(calibration, CALIBRATION_FIELDS);

/* metric: metric-reduce -> report */
#define METRIC_FIELDS(X, P)                                                                      \
    X(P, checkpoint, STR, 0)                                                                     \
    X(P, step, I64, 0)                                                                           \
    X(P, scope, STR, 0)                                                                          \
    X(P, group, STR, 0)                                                                          \
    X(P, domain, STR, RF_NIL)                                                                    \
    X(P, mem_step, I64, RF_NIL)                                                                  \
    X(P, n, I64, 0)                                                                              \
    X(P, pairs, I64, 0)                                                                          \
    X(P, sampled, BOOL, 0)                                                                       \
    X(P, distance_mean, F64, RF_NIL)                                                             \
    X(P, distance_se, F64, RF_NIL)                                                               \
    X(P, distance_mode, STR, 0)                                                                  \
    X(P, layer_distance, F64S, RF_NIL)                                                           \
    X(P, c_mean, F64, RF_NIL)                                                                    \
    X(P, c_std, F64, RF_NIL)                                                                     \
    X(P, s_mean, F64, RF_NIL)                                                                    \
    X(P, s_std, F64, RF_NIL)                                                                     \
    X(P, loss_mean, F64, RF_NIL)                                                                 \
    X(P, loss_ma, F64, RF_NIL)                                                                   \
    X(P, entropy_mean, F64, RF_NIL)
RF_DECLARE(metric, METRIC_FIELDS);

/* All of them, for dump's vector types and the test against records.md. */
extern const rf_type *const record_types[];
extern const size_t record_types_count;

#endif
