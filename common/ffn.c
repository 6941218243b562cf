/* ffn.c: a dense SwiGLU MLP over the whole batch: gate | up as one SGEMM when
 * the widened weights sit side by side, silu(gate) * up, each token's row
 * scaled by its factor (the multiplier, and the sigmoid gate of a gated shared
 * expert) before down_proj, which adds straight into the residual: scaling the
 * input of a linear map scales its output. Spec: families.md. */
#include "ffn.h"

#include <math.h>

#include "gemm.h"
#include "tensor.h"
#include "vecmath.h"

void fw_ffn(forward *f, const model_ffn *w, const gm_tensor *gate_w, float mult)
{
    const model_config *c = &f->m->cfg;
    int64_t T = f->Tall, D = c->D, F = w->gate.shape[0];
    float *g = f->ffn; /* [T, 2F]: gate | up, then silu(gate) * up in the gate half */
    const float *wg = fw_weights(f, &w->gate, 0, F * D, f->wa);
    const float *wu = fw_weights(f, &w->up, 0, F * D, f->wa + F * D);
    if (wu == wg + F * D) {
        gemm_nt(T, 2 * F, D, f->h, D, wg, D, 0.0f, g, 2 * F);
    } else {
        gemm_nt(T, F, D, f->h, D, wg, D, 0.0f, g, 2 * F);
        gemm_nt(T, F, D, f->h, D, wu, D, 0.0f, g + F, 2 * F);
    }
    fw_release(f, &w->gate);
    fw_release(f, &w->up);
    if (gate_w && gate_w->data)
        tensor_widen(gate_w, 0, D, f->norm_w);
    for (int64_t t = 0; t < T; t++) {
        float *row = g + t * 2 * F;
        vec_silu_mul(row, row + F, F);
        double s = mult;
        if (gate_w && gate_w->data) {
            double z = 0.0;
            const float *h = f->h + t * D;
            for (int64_t i = 0; i < D; i++)
                z += (double)f->norm_w[i] * h[i];
            s *= 1.0 / (1.0 + exp(-z));
        }
        if (s != 1.0)
            vec_scale(row, F, (float)s);
    }
    const float *wd = fw_weights(f, &w->down, 0, D * F, f->wb);
    gemm_nt(T, D, F, g, 2 * F, wd, F, 1.0f, f->x, D);
    fw_release(f, &w->down);
}
