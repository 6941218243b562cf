/* attend.h: causal softmax attention over queries, keys and values already
 * projected, normed and rotated, for every (sample, head) of the batch, shared
 * out among the forward's threads (attend.c). The helper both attention
 * blocks use (attention.c, mla.c); it knows no weights. */
#ifndef GM_ATTEND_H
#define GM_ATTEND_H

#include <stdint.h>

#include "forward_ctx.h"

typedef struct fw_attend_args {
    const float *q, *k, *v; /* [T, ...] rows at strides ldq, ldk, ldv; head h of q at h*Dqk,
                             * its key/value head (h / group) at that times Dqk / Dv */
    float *out;             /* [T, ...] head h's output at h*Dv, rows at stride ldo */
    int64_t ldq, ldk, ldv, ldo;
    int64_t H, group;       /* query heads; query heads per key/value head */
    int64_t Dqk, Dv;        /* head widths of q.k and of v */
    double scale;           /* multiplies q.k before the softmax */
    int64_t window;         /* key j is seen by query i iff i - window < j <= i; 0: j <= i */
} fw_attend_args;

/* out[i, head] = sum_j softmax_j(scale q_i.k_j) v_j within each sample. */
void fw_attend(forward *f, const fw_attend_args *a);

#endif
