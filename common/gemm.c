/* gemm.c: f32 matrix products via OpenBLAS, the plain reference loops beside
 * them, and the OpenBLAS thread / kernel set-up (gemm.h). The loops are for
 * checking and for `make REFERENCE=1 test`, not for speed.
 * Spec: design.md (a plain reference beside every optimized kernel). */
#include "gemm.h"

#include <cblas.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Declared by OpenBLAS (openblas_config.h / cblas.h), repeated for clarity. */
char *openblas_get_corename(void);
void openblas_set_num_threads(int num_threads);

static int use_reference = -1; /* -1: not yet read from GM_REFERENCE */

int gemm_is_reference(void)
{
    if (use_reference < 0) {
        const char *s = getenv("GM_REFERENCE");
        use_reference = s && s[0] && strcmp(s, "0") != 0;
    }
    return use_reference;
}

void gemm_use_reference(int on) { use_reference = on ? 1 : 0; }

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
    if (gemm_is_reference())
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

static int blas_threads = 1;

void gemm_set_threads(int n)
{
    if (n >= 1) {
        openblas_set_num_threads(n);
        blas_threads = n;
    }
}

int gemm_get_threads(void) { return blas_threads; }

const char *gemm_core_name(void)
{
    return gemm_is_reference() ? "reference" : openblas_get_corename();
}

int gemm_setup_cpu(const char *core, char **argv, gm_error *err)
{
    if (getenv("GM_BLAS_REEXEC")) { /* we are the re-executed process */
        unsetenv("GM_BLAS_REEXEC");
        return 0;
    }
    const char *have = getenv("OPENBLAS_CORETYPE");
    const char *want = NULL;
    if (!core || !core[0]) {
        __builtin_cpu_init();
        if (!have && __builtin_cpu_supports("avx512f"))
            want = "SkylakeX";
    } else if (strcmp(core, "auto") != 0) {
        want = core;
    }
    if (!want || (have && strcmp(have, want) == 0))
        return 0;
    if (setenv("OPENBLAS_CORETYPE", want, 1) != 0 || setenv("GM_BLAS_REEXEC", "1", 1) != 0)
        return gm_fail(err, GM_ENOMEM, "cannot set OPENBLAS_CORETYPE=%s", want);
    execv("/proc/self/exe", argv);
    return gm_fail(err, GM_EIO,
                   "cannot re-execute to set OPENBLAS_CORETYPE=%s: %s (set it in the "
                   "environment, or pass --blas-core auto)",
                   want, strerror(errno));
}
