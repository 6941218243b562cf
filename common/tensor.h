/* tensor.h: the bottom of the checkpoint stack: dtypes, a tensor view (a
 * name, a shape and the bytes it points at, never owned), and the widening of
 * BF16 / F16 blocks to f32 just before use. It does not open files (safetensors.h)
 * or know what a model needs (model.h). Spec: olmoe.md "Files". */
#ifndef GM_TENSOR_H
#define GM_TENSOR_H

#include <stddef.h>
#include <stdint.h>

typedef enum { GM_F32 = 0, GM_BF16, GM_F16 } gm_dtype;

typedef struct gm_tensor {
    const char *name;     /* points into the file's tensor table; not owned */
    const void *data;     /* mmapped bytes, row-major, little-endian; not owned */
    gm_dtype dtype;
    int ndim;
    int64_t shape[4];
    int64_t numel;
} gm_tensor;

/* Convert n elements starting at element offset `first` of t to f32.
 * BF16 is a 16-bit left shift; F16 is exact (subnormals, inf, nan kept).
 * Vectorized; GM_REFERENCE=1 (runtime_reference) selects the plain scalar
 * conversion instead (the two are tested against each other). */
void tensor_widen(const gm_tensor *t, int64_t first, int64_t n, float *out);

/* The tensor's data as floats when it is F32 and 4-byte aligned (no copy
 * needed), else NULL. */
const float *tensor_as_f32(const gm_tensor *t);

/* A 2-D view of rows [row0, row0 + rows) of block `block` of t, whose blocks
 * are [rows_per_block, cols] (a fused expert tensor [E, 2F, D] gives expert e's
 * gate as block e, rows 0..F). The name stays t's. */
gm_tensor tensor_rows(const gm_tensor *t, int64_t block, int64_t rows_per_block, int64_t row0,
                      int64_t rows, int64_t cols);

/* "F32", "BF16", "F16"; and bytes per element. */
const char *dtype_name(gm_dtype d);
size_t dtype_size(gm_dtype d);

/* Reference scalar conversions of one value (also used by tests). */
float bf16_to_f32(uint16_t h);
float f16_to_f32(uint16_t h);

#endif
