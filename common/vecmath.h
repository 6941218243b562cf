/* vecmath.h: the elementwise loops of the forward pass that dominate once the
 * GEMMs are fast (softmax exponentials over attention rows and the vocabulary,
 * SwiGLU, weighted accumulation), in AVX-512 where the compiler targets it and
 * as plain loops otherwise; the plain loops also serve as the reference
 * (GM_REFERENCE=1, runtime_reference). f32 in, f32 out; no -ffast-math:
 * NaN and Inf propagate. Spec: olmoe.md "Forward pass", style.md 4. */
#ifndef GM_VECMATH_H
#define GM_VECMATH_H

#include <stdint.h>

/* max(x[0..n)); -INFINITY when n == 0; NaN if any x is NaN. */
float vec_max(const float *x, int64_t n);

/* The index of the first NaN or infinity in x[0..n), or -1 when all are
 * finite. */
int64_t vec_first_nonfinite(const float *x, int64_t n);

/* x = exp(x * scale - shift); returns sum(x) in double. */
double vec_exp_sum(float *x, int64_t n, float scale, float shift);

/* x *= a */
void vec_scale(float *x, int64_t n, float a);

/* y += a * x */
void vec_axpy(float *y, const float *x, int64_t n, float a);

/* g = silu(g) * u = g / (1 + exp(-g)) * u */
void vec_silu_mul(float *g, const float *u, int64_t n);

/* exp(x) for one value, the vector kernel's polynomial (for tests). */
float vec_exp1(float x);

#endif
