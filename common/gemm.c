/* gemm.c: f32 matrix products via OpenBLAS and the plain reference loops
 * beside them (gemm.h). The loops are for checking and for
 * `make REFERENCE=1 test`, not for speed.
 * Spec: design.md (a plain reference beside every optimized kernel). */
#include "gemm.h"

#include <cblas.h>

#include "runtime.h"

/* C = beta*C + A @ B^T, plain loops: C[i,j] = sum_k A[i,k] * B[j,k]. */
static void ref_nt(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
                   const float *B, int64_t ldb, float beta, float *C, int64_t ldc)
{
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            const float *a = A + i * lda, *b = B + j * ldb;
            float s = 0.0f;
            for (int64_t k = 0; k < K; k++)
                s += a[k] * b[k];
            float *c = C + i * ldc + j;
            *c = (beta == 0.0f ? 0.0f : beta * *c) + s;
        }
}

/* C = beta*C + A @ B, plain loops: C[i,j] = sum_k A[i,k] * B[k,j]. */
static void ref_nn(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
                   const float *B, int64_t ldb, float beta, float *C, int64_t ldc)
{
    for (int64_t i = 0; i < M; i++) {
        float *c = C + i * ldc;
        for (int64_t j = 0; j < N; j++)
            c[j] = beta == 0.0f ? 0.0f : beta * c[j];
        for (int64_t k = 0; k < K; k++) {
            float a = A[i * lda + k];
            const float *b = B + k * ldb;
            for (int64_t j = 0; j < N; j++)
                c[j] += a * b[j];
        }
    }
}

/* C = beta * C + A @ op(B), op = transpose when trans_b: the loop or OpenBLAS. */
static void gemm(int trans_b, int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
                 const float *B, int64_t ldb, float beta, float *C, int64_t ldc)
{
    if (M <= 0 || N <= 0)
        return;
    if (runtime_reference())
        (trans_b ? ref_nt : ref_nn)(M, N, K, A, lda, B, ldb, beta, C, ldc);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
                    (blasint)M, (blasint)N, (blasint)K, 1.0f, A, (blasint)lda, B, (blasint)ldb,
                    beta, C, (blasint)ldc);
}

void gemm_nt(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
             const float *B, int64_t ldb, float beta, float *C, int64_t ldc)
{
    gemm(1, M, N, K, A, lda, B, ldb, beta, C, ldc);
}

void gemm_nn(int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
             const float *B, int64_t ldb, float beta, float *C, int64_t ldc)
{
    gemm(0, M, N, K, A, lda, B, ldb, beta, C, ldc);
}
