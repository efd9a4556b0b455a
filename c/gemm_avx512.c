// gemm_avx512.c - AVX-512 micro-kernel of gemm() (see gemm_kernels.h): an 8 x 32 tile of C
// in 16 zmm accumulators; per k, two 16-wide loads of packed B, eight broadcasts of packed
// A, sixteen FMAs. Compiled with -mavx512f -mavx512dq -mfma and chosen at run time; empty
// when the compiler does not target AVX-512 (e.g. WebAssembly).
#if defined(__AVX512F__) && defined(__FMA__)
#include <immintrin.h>
#include "gemm_kernels.h"

#define ROW(i)                                                        \
    {                                                                 \
        __m512 ai = _mm512_set1_ps(a[i]);                             \
        c##i##0 = _mm512_fmadd_ps(ai, b0, c##i##0);                   \
        c##i##1 = _mm512_fmadd_ps(ai, b1, c##i##1);                   \
    }
#define STORE(i)                                                                          \
    {                                                                                     \
        float *ci = c + (i) * ldc;                                                        \
        if (load_c) {                                                                     \
            c##i##0 = _mm512_add_ps(_mm512_loadu_ps(ci), c##i##0);                        \
            c##i##1 = _mm512_add_ps(_mm512_loadu_ps(ci + 16), c##i##1);                   \
        }                                                                                 \
        _mm512_storeu_ps(ci, c##i##0);                                                    \
        _mm512_storeu_ps(ci + 16, c##i##1);                                               \
    }

void gemm_micro_avx512_8x32(int kc, const float *a, const float *b, float *c, long ldc,
                            int load_c) {
    __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
           c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00,
           c61 = c00, c70 = c00, c71 = c00;
    for (int k = 0; k < kc; k++) {
        __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
        ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7)
        a += 8;
        b += 32;
    }
    STORE(0) STORE(1) STORE(2) STORE(3) STORE(4) STORE(5) STORE(6) STORE(7)
}
#else
typedef int gemm_avx512_not_targeted; // ISO C wants a non-empty translation unit
#endif
