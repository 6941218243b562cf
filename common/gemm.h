/* gemm.h: the matrix products of the forward pass, through OpenBLAS cblas_sgemm,
 * with a plain loop reference beside each (GM_REFERENCE=1 in the environment,
 * or gemm_use_reference(1), switches every call to the loops). Also the
 * process-wide BLAS set-up: thread count and OpenBLAS kernel choice
 * (OPENBLAS_CORETYPE, which must be in the environment before OpenBLAS
 * initialises, hence a re-exec). Row-major f32 only; no batching, no other dtypes.
 * Spec: olmoe.md "Sizes that matter", design.md (reference kernels). */
#ifndef GM_GEMM_H
#define GM_GEMM_H

#include <stdint.h>

#include "error.h"

/* C[M,N] = beta * C + A[M,K] @ B[N,K]^T   (B in the [out, in] weight layout)
 * lda, ldb, ldc are row strides in elements. */
void gemm_nt(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
             const float *B, int64_t ldb, float beta, float *C, int64_t ldc);

/* C[M,N] = beta * C + A[M,K] @ B[K,N] */
void gemm_nn(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
             const float *B, int64_t ldb, float beta, float *C, int64_t ldc);

/* 1 when the plain loops are in use (GM_REFERENCE=1 or gemm_use_reference(1)). */
int gemm_is_reference(void);
void gemm_use_reference(int on);

/* OpenBLAS threads (n >= 1). */
void gemm_set_threads(int n);
/* The count last set (1 before any call): callers that split work across
 * their own threads use it, with OpenBLAS held to 1 thread meanwhile. */
int gemm_get_threads(void);

/* The OpenBLAS kernel in use, e.g. "SkylakeX" ("reference" on the loop path). */
const char *gemm_core_name(void);

/* Choose the OpenBLAS kernel before anything runs. core is the user's choice:
 * NULL or "" = default (SkylakeX on a CPU with AVX-512 unless OPENBLAS_CORETYPE
 * is already set), "auto" = leave OpenBLAS's own detection, any other name is
 * put in OPENBLAS_CORETYPE. When the environment must change, re-executes
 * /proc/self/exe with argv (once; GM_BLAS_REEXEC guards the loop). Returns 0
 * when nothing needed changing, or -1 with err if the re-exec failed. Call it
 * from main() before reading any input, with argv as the program was given it
 * (a copy taken before cli_parse, which reorders argv). */
int gemm_setup_cpu(const char *core, char **argv, gm_error *err);

#endif
