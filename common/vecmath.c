/* vecmath.c: vectorized elementwise kernels of the forward pass (vecmath.h)
 * with the plain libm loops beside them. The AVX-512 exp is a degree-7
 * polynomial on r = x - n ln2 (|r| <= ln2/2, truncation < 1e-8 relative)
 * scaled by 2^n with scalef, so underflow, overflow, Inf and NaN come out as
 * libm's would. Nothing here allocates. Spec: style.md 4 (reference beside
 * every optimized kernel). */
#include "vecmath.h"

#include <math.h>

#include "runtime.h"

#ifdef __AVX512F__
#include <immintrin.h>

/* exp(x), 16 lanes; x is clamped to [-104, 89] (beyond: 0 or +Inf anyway). */
static inline __m512 exp16(__m512 x)
{
    const __m512 lo = _mm512_set1_ps(-104.0f), hi = _mm512_set1_ps(89.0f);
    x = _mm512_min_ps(hi, _mm512_max_ps(lo, x)); /* NaN passes through (second operand) */
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428606765330187e-06f), r);
    __m512 p = _mm512_set1_ps(1.0f / 5040.0f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

static inline __mmask16 tail_mask(int64_t left)
{
    return left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1u);
}
#endif

float vec_exp1(float x)
{
#ifdef __AVX512F__
    float out[16];
    _mm512_storeu_ps(out, exp16(_mm512_set1_ps(x)));
    return out[0];
#else
    return expf(x);
#endif
}

float vec_max(const float *x, int64_t n)
{
#ifdef __AVX512F__
    if (!runtime_reference()) {
        __m512 m = _mm512_set1_ps(-INFINITY);
        __mmask16 nan = 0;
        for (int64_t i = 0; i < n; i += 16) {
            __mmask16 k = tail_mask(n - i);
            __m512 v = _mm512_mask_loadu_ps(m, k, x + i); /* masked-off lanes keep m */
            nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
            m = _mm512_max_ps(m, v);
        }
        return nan ? NAN : _mm512_reduce_max_ps(m);
    }
#endif
    float m = -INFINITY;
    int nan = 0;
    for (int64_t i = 0; i < n; i++) {
        nan |= x[i] != x[i];
        m = x[i] > m ? x[i] : m;
    }
    return nan ? NAN : m;
}

int64_t vec_first_nonfinite(const float *x, int64_t n)
{
#ifdef __AVX512F__
    if (!runtime_reference()) {
        /* v - v is 0 for a finite v and NaN for NaN and +-Inf */
        for (int64_t i = 0; i < n; i += 16) {
            __mmask16 k = tail_mask(n - i);
            __m512 v = _mm512_maskz_loadu_ps(k, x + i);
            __mmask16 bad = _mm512_cmp_ps_mask(_mm512_sub_ps(v, v), _mm512_setzero_ps(), _CMP_UNORD_Q);
            if (bad)
                return i + __builtin_ctz(bad);
        }
        return -1;
    }
#endif
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return i;
    return -1;
}

double vec_exp_sum(float *x, int64_t n, float scale, float shift)
{
#ifdef __AVX512F__
    if (!runtime_reference()) {
        __m512 acc = _mm512_setzero_ps(), vs = _mm512_set1_ps(scale), vh = _mm512_set1_ps(shift);
        double total = 0.0;
        int64_t i = 0, since = 0;
        for (; i < n; i += 16) {
            __mmask16 k = tail_mask(n - i);
            __m512 v = _mm512_maskz_loadu_ps(k, x + i);
            v = exp16(_mm512_fmsub_ps(v, vs, vh));
            v = _mm512_maskz_mov_ps(k, v);
            _mm512_mask_storeu_ps(x + i, k, v);
            acc = _mm512_add_ps(acc, v);
            if (++since == 256) { /* fold into double every 4096 values */
                total += (double)_mm512_reduce_add_ps(acc);
                acc = _mm512_setzero_ps();
                since = 0;
            }
        }
        return total + (double)_mm512_reduce_add_ps(acc);
    }
#endif
    double s = 0.0;
    for (int64_t i = 0; i < n; i++) {
        x[i] = expf(x[i] * scale - shift);
        s += x[i];
    }
    return s;
}

void vec_scale(float *x, int64_t n, float a)
{
#ifdef __AVX512F__
    __m512 va = _mm512_set1_ps(a);
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 k = tail_mask(n - i);
        _mm512_mask_storeu_ps(x + i, k, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, x + i), va));
    }
#else
    for (int64_t i = 0; i < n; i++)
        x[i] *= a;
#endif
}

void vec_axpy(float *y, const float *x, int64_t n, float a)
{
#ifdef __AVX512F__
    __m512 va = _mm512_set1_ps(a);
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 k = tail_mask(n - i);
        __m512 vy = _mm512_maskz_loadu_ps(k, y + i);
        /* a * x, then add: the same two roundings as the plain loop */
        vy = _mm512_add_ps(vy, _mm512_mul_ps(va, _mm512_maskz_loadu_ps(k, x + i)));
        _mm512_mask_storeu_ps(y + i, k, vy);
    }
#else
    for (int64_t i = 0; i < n; i++)
        y[i] += a * x[i];
#endif
}

void vec_silu_mul(float *g, const float *u, int64_t n)
{
#ifdef __AVX512F__
    if (!runtime_reference()) {
        const __m512 one = _mm512_set1_ps(1.0f);
        for (int64_t i = 0; i < n; i += 16) {
            __mmask16 k = tail_mask(n - i);
            __m512 vg = _mm512_maskz_loadu_ps(k, g + i);
            __m512 e = exp16(_mm512_sub_ps(_mm512_setzero_ps(), vg));
            __m512 s = _mm512_div_ps(vg, _mm512_add_ps(one, e));
            _mm512_mask_storeu_ps(g + i, k, _mm512_mul_ps(s, _mm512_maskz_loadu_ps(k, u + i)));
        }
        return;
    }
#endif
    for (int64_t i = 0; i < n; i++)
        g[i] = g[i] / (1.0f + expf(-g[i])) * u[i];
}
