/* gemm.h: the matrix products of the forward pass, through OpenBLAS cblas_sgemm,
 * with a plain loop reference beside each (runtime_reference(), that is
 * GM_REFERENCE=1, switches every call to the loops). Row-major f32 only; no
 * batching, no other dtypes. OpenBLAS's kernel and thread count are set up by
 * runtime.h, not here. Spec: olmoe.md "Sizes that matter", design.md
 * (reference kernels). */
#ifndef GM_GEMM_H
#define GM_GEMM_H

#include <stdint.h>

/* C[M,N] = beta * C + A[M,K] @ B[N,K]^T   (B in the [out, in] weight layout)
 * lda, ldb, ldc are row strides in elements. */
void gemm_nt(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
             const float *B, int64_t ldb, float beta, float *C, int64_t ldc);

/* C[M,N] = beta * C + A[M,K] @ B[K,N] */
void gemm_nn(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
             const float *B, int64_t ldb, float beta, float *C, int64_t ldc);

#endif
