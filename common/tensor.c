/* tensor.c: dtypes and the widening of BF16 / F16 tensor blocks to f32
 * (tensor.h): a vectorized kernel per dtype, with the scalar conversions
 * beside them as the reference (GM_REFERENCE=1). It does not open files or
 * know any checkpoint. Spec: olmoe.md "Files" (dtypes). */
#include "tensor.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#include "runtime.h"

const char *dtype_name(gm_dtype d)
{
    switch (d) {
    case GM_F32: return "F32";
    case GM_BF16: return "BF16";
    case GM_F16: return "F16";
    }
    return "?";
}

size_t dtype_size(gm_dtype d)
{
    return d == GM_F32 ? 4 : 2;
}

gm_tensor tensor_rows(const gm_tensor *t, int64_t block, int64_t rows_per_block, int64_t row0,
                      int64_t rows, int64_t cols)
{
    gm_tensor v = *t;
    int64_t first = (block * rows_per_block + row0) * cols;
    v.data = (const char *)t->data + (size_t)first * dtype_size(t->dtype);
    v.ndim = 2;
    memset(v.shape, 0, sizeof v.shape);
    v.shape[0] = rows;
    v.shape[1] = cols;
    v.numel = rows * cols;
    return v;
}

float bf16_to_f32(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* IEEE half: 1 sign, 5 exponent (bias 15), 10 mantissa bits. */
float f16_to_f32(uint16_t h)
{
    int sign = h >> 15, exp = (h >> 10) & 31, man = h & 1023;
    float v;
    if (exp == 0)
        v = ldexpf((float)man, -24);            /* zero or subnormal */
    else if (exp == 31)
        v = man ? NAN : INFINITY;
    else
        v = ldexpf((float)(man | 1024), exp - 25);
    if (exp == 31 && man) {                     /* keep the payload bits */
        uint32_t u = (uint32_t)sign << 31 | 0x7f800000u | (uint32_t)man << 13;
        memcpy(&v, &u, 4);
        return v;
    }
    return sign ? -v : v;
}

/* Blocks of WIDEN_BLOCK elements with a constant trip count, so that the
 * compiler vectorizes them even at -O2 (GCC's very-cheap cost model). */
#define WIDEN_BLOCK 16

/* out[i] = float(bf16 in[i]): the bits shifted into the upper half. */
static inline void bf16_block(const unsigned char *restrict in, int n, float *restrict out)
{
    for (int i = 0; i < n; i++) {
        uint16_t h;
        memcpy(&h, in + 2 * i, 2);
        uint32_t u = (uint32_t)h << 16;
        memcpy(out + i, &u, 4);
    }
}

/* out[i] = float(f16 in[i]) without branches: move exponent and mantissa into
 * float position and rescale by 2^112 (exact, subnormals included), then
 * patch inf/nan and put the sign back. */
static inline void f16_block(const unsigned char *restrict in, int n, float *restrict out)
{
    for (int i = 0; i < n; i++) {
        uint16_t h;
        memcpy(&h, in + 2 * i, 2);
        uint32_t em = h & 0x7fffu, sign = (uint32_t)(h & 0x8000u) << 16;
        uint32_t u = em << 13;
        float f;
        memcpy(&f, &u, 4);
        f *= 0x1p112f;
        memcpy(&u, &f, 4);
        uint32_t special = (em << 13) | 0x7f800000u;
        u = em >= 0x7c00u ? special : u;
        u |= sign;
        memcpy(out + i, &u, 4);
    }
}

static void widen_bf16(const unsigned char *restrict in, int64_t n, float *restrict out)
{
    int64_t i = 0;
    for (; i + WIDEN_BLOCK <= n; i += WIDEN_BLOCK)
        bf16_block(in + 2 * i, WIDEN_BLOCK, out + i);
    bf16_block(in + 2 * i, (int)(n - i), out + i);
}

static void widen_f16(const unsigned char *restrict in, int64_t n, float *restrict out)
{
    int64_t i = 0;
    for (; i + WIDEN_BLOCK <= n; i += WIDEN_BLOCK)
        f16_block(in + 2 * i, WIDEN_BLOCK, out + i);
    f16_block(in + 2 * i, (int)(n - i), out + i);
}

void tensor_widen(const gm_tensor *t, int64_t first, int64_t n, float *out)
{
    assert(first >= 0 && n >= 0 && first + n <= t->numel);
    int reference = runtime_reference();
    const unsigned char *in = (const unsigned char *)t->data + (size_t)first * dtype_size(t->dtype);
    switch (t->dtype) {
    case GM_F32:
        memcpy(out, in, (size_t)n * 4);
        return;
    case GM_BF16:
        if (reference)
            for (int64_t i = 0; i < n; i++)
                out[i] = bf16_to_f32((uint16_t)(in[2 * i] | in[2 * i + 1] << 8));
        else
            widen_bf16(in, n, out);
        return;
    case GM_F16:
        if (reference)
            for (int64_t i = 0; i < n; i++)
                out[i] = f16_to_f32((uint16_t)(in[2 * i] | in[2 * i + 1] << 8));
        else
            widen_f16(in, n, out);
        return;
    }
}

const float *tensor_as_f32(const gm_tensor *t)
{
    if (t->dtype != GM_F32 || ((uintptr_t)t->data & 3) != 0)
        return NULL;
    return t->data;
}
