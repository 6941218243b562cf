/* test_forward_kernels: the optimized kernels of the forward pass against
 * their plain references: OpenBLAS GEMM (both layouts, strides, beta 0 and 1)
 * against the loop GEMM, the AVX-512 exp/softmax/SwiGLU/axpy kernels against
 * libm in double precision, including Inf, NaN and underflow.
 * Spec: style.md 4 (reference beside every optimized kernel). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "runtime.h"
#include "test.h"
#include "vecmath.h"

static uint64_t rng = 88172645463325252ull;
static float frand(void) /* uniform in [-1, 1) */
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (float)((double)(rng >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

static double max_rel_diff(const float *a, const float *b, int64_t n)
{
    double worst = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]) / (1.0 + fabs((double)b[i]));
        if (!(d <= worst))
            worst = d;
    }
    return worst;
}

static void test_gemm(int nt, int64_t M, int64_t N, int64_t K, float beta)
{
    int64_t lda = K + 3, ldb = nt ? K + 5 : N + 2, ldc = N + 1;
    int64_t nb = nt ? N * ldb : K * ldb;
    float *A = malloc((size_t)(M * lda) * sizeof(float)), *B = malloc((size_t)nb * sizeof(float));
    float *C1 = malloc((size_t)(M * ldc) * sizeof(float)), *C2 = malloc((size_t)(M * ldc) * sizeof(float));
    for (int64_t i = 0; i < M * lda; i++) A[i] = frand();
    for (int64_t i = 0; i < nb; i++) B[i] = frand();
    for (int64_t i = 0; i < M * ldc; i++) C1[i] = C2[i] = frand();
    runtime_set_reference(0);
    (nt ? gemm_nt : gemm_nn)(M, N, K, A, lda, B, ldb, beta, C1, ldc);
    runtime_set_reference(1);
    (nt ? gemm_nt : gemm_nn)(M, N, K, A, lda, B, ldb, beta, C2, ldc);
    runtime_set_reference(0);
    double d = max_rel_diff(C1, C2, M * ldc);
    CHECK(d < 2e-5, "gemm_%s %lldx%lldx%lld beta %g: OpenBLAS vs loops max rel diff %.2e",
          nt ? "nt" : "nn", (long long)M, (long long)N, (long long)K, beta, d);
    free(A); free(B); free(C1); free(C2);
}

int main(void)
{
    test_gemm(1, 1, 1, 1, 0.0f);
    test_gemm(1, 37, 53, 129, 0.0f);
    test_gemm(1, 130, 17, 64, 1.0f);
    test_gemm(0, 129, 33, 200, 0.0f);
    test_gemm(0, 5, 128, 7, 1.0f);

    /* exp: relative error against double exp over the range softmax sees */
    double worst = 0, at = 0;
    for (int i = 0; i <= 200000; i++) {
        float x = -87.0f + 175.0f * (float)i / 200000.0f;
        double want = exp((double)x), got = vec_exp1(x);
        double e = fabs(got - want) / want;
        if (!(e <= worst))
            worst = e, at = x;
    }
    CHECK(worst < 4e-7, "exp max relative error %.2e at x = %g", worst, at);
    CHECK(vec_exp1(0.0f) == 1.0f, "exp(0) = 1 exactly (%.9g)", vec_exp1(0.0f));
    CHECK(isinf(vec_exp1(INFINITY)) && vec_exp1(100.0f) == INFINITY, "exp overflows to +Inf");
    CHECK(vec_exp1(-INFINITY) < 1e-44f && vec_exp1(-200.0f) < 1e-44f, "exp underflows to ~0");
    CHECK(isnan(vec_exp1(NAN)), "exp(NaN) is NaN");
    CHECK(fabs(vec_exp1(-100.0f) / exp(-100.0) - 1) < 0.02, "exp in the subnormal range");

    /* softmax pieces on a row with a ragged tail, fast vs reference */
    enum { N = 1000 };
    static float a[N], b[N], g1[N], g2[N], u[N], y1[N], y2[N];
    for (int i = 0; i < N; i++) a[i] = b[i] = 8.0f * frand();
    float mx = vec_max(a, N), want = -INFINITY;
    for (int i = 0; i < N - 5; i++) want = a[i] > want ? a[i] : want;
    CHECK(vec_max(a, N - 5) == want, "max over a ragged row %g, plain loop %g", vec_max(a, N - 5), want);
    double s1 = vec_exp_sum(a, N - 3, 0.125f, 0.125f * mx);
    runtime_set_reference(1);
    double s2 = vec_exp_sum(b, N - 3, 0.125f, 0.125f * mx);
    runtime_set_reference(0);
    CHECK(fabs(s1 - s2) / s2 < 1e-6, "exp_sum fast %.9g vs reference %.9g", s1, s2);
    CHECK(max_rel_diff(a, b, N) < 1e-6, "exp_sum values match, tail untouched (%.2e)",
          max_rel_diff(a, b, N));
    a[17] = NAN;
    CHECK(isnan(vec_max(a, N)), "max sees NaN");
    CHECK(isnan(vec_max(a + 10, 8)), "max sees NaN in a tail");
    CHECK(vec_max(a, 0) == -INFINITY, "max of nothing is -Inf");

    /* the first non-finite value, fast vs reference, at every place of a ragged row */
    for (int i = 0; i < N; i++) a[i] = 1e30f * frand();
    a[N - 1] = INFINITY; /* past the n given below: never seen */
    int found_all = 1;
    for (int fast = 1; fast >= 0; fast--) {
        runtime_set_reference(!fast);
        found_all &= vec_first_nonfinite(a, N - 1) == -1 && vec_first_nonfinite(a, 0) == -1;
        float bad[3] = {NAN, INFINITY, -INFINITY};
        for (int at = 0; at < 40; at++)
            for (int k = 0; k < 3; k++) {
                float keep = a[at], keep7 = a[at + 7];
                a[at] = bad[k];
                a[at + 7] = bad[(k + 1) % 3]; /* a later one is not the first */
                found_all &= vec_first_nonfinite(a, N - 1) == at;
                found_all &= vec_first_nonfinite(a + at + 1, 6) == -1; /* a 6-element tail */
                a[at] = keep;
                a[at + 7] = keep7;
            }
    }
    runtime_set_reference(0);
    CHECK(found_all, "first_nonfinite finds the first NaN, +Inf or -Inf (fast and reference), "
                     "none in finite rows and tails");

    for (int i = 0; i < N; i++) { g1[i] = g2[i] = 30.0f * frand(); u[i] = frand(); }
    g1[5] = g2[5] = -120.0f; /* exp(-g) overflows: silu -> -0 */
    vec_silu_mul(g1, u, N - 1);
    runtime_set_reference(1);
    vec_silu_mul(g2, u, N - 1);
    runtime_set_reference(0);
    CHECK(max_rel_diff(g1, g2, N) < 1e-6, "silu(g) * u fast vs reference (%.2e)", max_rel_diff(g1, g2, N));
    CHECK(g1[5] == 0.0f, "silu of a large negative is 0 (%g)", g1[5]);

    for (int i = 0; i < N; i++) { y1[i] = frand(); y2[i] = y1[i]; u[i] = frand(); }
    vec_axpy(y1, u, N - 7, 0.37f);
    for (int i = 0; i < N - 7; i++) y2[i] += 0.37f * u[i];
    CHECK(memcmp(y1, y2, sizeof y1) == 0, "axpy equals the plain loop bit for bit");
    vec_scale(y1, N - 2, 0.5f);
    int same = 1;
    for (int i = 0; i < N; i++) same &= y1[i] == (i < N - 2 ? y2[i] * 0.5f : y2[i]);
    CHECK(same, "scale equals the plain loop and leaves the tail alone");
    return test_status();
}
