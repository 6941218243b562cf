/* forward_ctx.c: the helpers every block of the forward pass uses
 * (forward_ctx.h): f32 views of weights (widened per tensor, timed), dropping
 * a tensor's pages after use, RMSNorm, and the finiteness check with its
 * message. No layer logic here. Spec: olmoe.md "Forward pass". */
#include "forward_ctx.h"

#include <math.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "clock.h"
#include "gemm.h"
#include "tensor.h"
#include "vecmath.h"

/* ---- weights ----------------------------------------------------------- */

const float *fw_weights_timed(const gm_tensor *t, int64_t first, int64_t n, float *buf,
                              double *t_widen)
{
    if (t->dtype == GM_F32) {
        const float *p = (const float *)t->data + first;
        if (((uintptr_t)p & 3u) == 0)
            return p;
    }
    double t0 = clock_now();
    /* one thread: OpenBLAS's workers spin between calls, and a second widening
     * thread measured slower than one on 2 cores */
    tensor_widen(t, first, n, buf);
    *t_widen += clock_now() - t0;
    return buf;
}

const float *fw_weights(forward *f, const gm_tensor *t, int64_t first, int64_t n, float *buf)
{
    return fw_weights_timed(t, first, n, buf, &f->st.t_widen);
}

void fw_release(forward *f, const gm_tensor *t)
{
    /* model.h: tensors are read-only file mappings, so dropping their pages
     * loses nothing (they come back from the page cache on the next touch). */
    if (!f->o.release_weights || !t->data)
        return;
    uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t a = (uintptr_t)t->data;
    uintptr_t b = a + (uintptr_t)t->numel * dtype_size(t->dtype);
    a = (a + pg - 1) & ~(pg - 1);
    b &= ~(pg - 1);
    if (b > a)
        madvise((void *)a, b - a, MADV_DONTNEED);
}

void fw_linear(forward *f, const gm_tensor *w, const gm_tensor *b, const float *x, int64_t ldx,
               float beta, float *y, int64_t ldy)
{
    int64_t out = w->shape[0], in = w->shape[1];
    const float *wf = fw_weights(f, w, 0, out * in, f->wa);
    gemm_nt(f->Tall, out, in, x, ldx, wf, in, beta, y, ldy);
    fw_release(f, w);
    if (b && b->data)
        fw_add_bias(f, b, 1.0f, y, ldy);
}

void fw_add_bias(forward *f, const gm_tensor *b, float mult, float *y, int64_t ldy)
{
    int64_t n = b->shape[0];
    tensor_widen(b, 0, n, f->norm_w);
    for (int64_t t = 0; t < f->Tall; t++)
        vec_axpy(y + t * ldy, f->norm_w, n, mult);
}

void fw_rmsnorm_t(forward *f, const gm_tensor *w, const float *x, int64_t rows, int64_t n,
                  double eps, float *y, int64_t ld)
{
    tensor_widen(w, 0, n, f->norm_w);
    fw_rmsnorm(x, f->norm_w, rows, n, eps, y, ld);
}

void fw_rope(const forward *f, float *x, int64_t ld, int64_t heads, int64_t head_ld,
             int64_t off, int interleave)
{
    int64_t half = f->rope_half;
    for (int64_t t = 0; t < f->Tall; t++) {
        const float *cs = f->rope_cos + f->pos[t] * half, *sn = f->rope_sin + f->pos[t] * half;
        for (int64_t h = 0; h < heads; h++) {
            float *r = x + t * ld + h * head_ld + off;
            if (interleave) { /* (r[2i], r[2i+1]) rotated by angle i */
                for (int64_t i = 0; i < half; i++) {
                    float a = r[2 * i], b = r[2 * i + 1];
                    r[2 * i] = a * cs[i] - b * sn[i];
                    r[2 * i + 1] = b * cs[i] + a * sn[i];
                }
            } else { /* rotate-half: (r[i], r[i + half]) */
                for (int64_t i = 0; i < half; i++) {
                    float a = r[i], b = r[i + half];
                    r[i] = a * cs[i] - b * sn[i];
                    r[i + half] = b * cs[i] + a * sn[i];
                }
            }
        }
    }
}

/* ---- kernels ----------------------------------------------------------- */

/* y = w * x / sqrt(mean(x^2) + eps), row by row; rows of n at stride ld. */
void fw_rmsnorm(const float *x, const float *w, int64_t T, int64_t n, double eps,
                float *y, int64_t ld)
{
    for (int64_t t = 0; t < T; t++) {
        const float *xr = x + t * ld;
        float *yr = y + t * ld;
        double ss = 0.0;
        for (int64_t i = 0; i < n; i++)
            ss += (double)xr[i] * xr[i];
        float r = (float)(1.0 / sqrt(ss / (double)n + eps));
        for (int64_t i = 0; i < n; i++)
            yr[i] = w[i] * (xr[i] * r);
    }
}

/* ---- finiteness ---------------------------------------------------------- */

void fw_sample_label(const forward_sample *s, size_t i, char *buf, size_t cap)
{
    if (s[i].name)
        snprintf(buf, cap, "sample \"%s\"", s[i].name);
    else
        snprintf(buf, cap, "sample %zu of the batch", i);
}

const char *fw_nonfinite_name(double v)
{
    return isnan(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf";
}

int fw_check_finite(const forward *f, const forward_sample *s, const float *x, int64_t t0,
                    int64_t T, int64_t n, int64_t col0, const char *what, const char *col,
                    gm_error *err)
{
    int64_t i = vec_first_nonfinite(x, T * n);
    if (i < 0)
        return 0;
    int64_t t = t0 + i / n;
    size_t sg = (size_t)f->seg_of[t];
    char who[200];
    fw_sample_label(s, sg, who, sizeof who);
    return gm_fail(err, GM_EDATA, "%s, token %lld: %s of %s %lld is %s (model %s: a NaN or Inf "
                   "in its weights, or an overflow)", who, (long long)f->pos[t], what, col,
                   (long long)(col0 + i % n), fw_nonfinite_name(x[i]), f->m->name);
}
