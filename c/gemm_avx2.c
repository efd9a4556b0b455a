// gemm_avx2.c - AVX2+FMA micro-kernel of gemm() (see gemm_kernels.h): a 6 x 16 tile of C in
// 12 ymm accumulators; per k, two 8-wide loads of packed B, six broadcasts of packed A,
// twelve FMAs. Compiled with -mavx2 -mfma and chosen at run time; empty when the compiler
// does not target AVX2 (e.g. WebAssembly).
#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#include "gemm_kernels.h"

#define ROW(i)                                                        \
    {                                                                 \
        __m256 ai = _mm256_broadcast_ss(a + (i));                     \
        c##i##0 = _mm256_fmadd_ps(ai, b0, c##i##0);                   \
        c##i##1 = _mm256_fmadd_ps(ai, b1, c##i##1);                   \
    }
#define STORE(i)                                                                          \
    {                                                                                     \
        float *ci = c + (i) * ldc;                                                        \
        if (load_c) {                                                                     \
            c##i##0 = _mm256_add_ps(_mm256_loadu_ps(ci), c##i##0);                        \
            c##i##1 = _mm256_add_ps(_mm256_loadu_ps(ci + 8), c##i##1);                    \
        }                                                                                 \
        _mm256_storeu_ps(ci, c##i##0);                                                    \
        _mm256_storeu_ps(ci + 8, c##i##1);                                                \
    }

void gemm_micro_avx2_6x16(int kc, const float *a, const float *b, float *c, long ldc,
                          int load_c) {
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
           c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    for (int k = 0; k < kc; k++) {
        __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
        ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5)
        a += 6;
        b += 16;
    }
    STORE(0) STORE(1) STORE(2) STORE(3) STORE(4) STORE(5)
}
#else
typedef int gemm_avx2_not_targeted; // ISO C wants a non-empty translation unit
#endif
