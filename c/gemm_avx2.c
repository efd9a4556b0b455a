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

// Transposing copy for the packers: dst[k*ldd + r] = src[r*lds + k] for r < rows (a
// multiple of 8) and k < kc, through 8 x 8 register transposes (the scalar loop is bound
// by one strided store per element).
void gemm_pack_t_avx2(float *dst, int ldd, const float *src, long lds, int rows, int kc) {
    int k = 0;
    for (; k + 8 <= kc; k += 8)
        for (int r = 0; r < rows; r += 8) {
            const float *s = src + (long)r * lds + k;
            __m256 r0 = _mm256_loadu_ps(s), r1 = _mm256_loadu_ps(s + lds),
                   r2 = _mm256_loadu_ps(s + 2 * lds), r3 = _mm256_loadu_ps(s + 3 * lds),
                   r4 = _mm256_loadu_ps(s + 4 * lds), r5 = _mm256_loadu_ps(s + 5 * lds),
                   r6 = _mm256_loadu_ps(s + 6 * lds), r7 = _mm256_loadu_ps(s + 7 * lds);
            __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1),
                   t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3),
                   t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5),
                   t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
            __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE),
                   u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE),
                   u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE),
                   u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
            float *d = dst + (long)k * ldd + r;
            _mm256_storeu_ps(d, _mm256_permute2f128_ps(u0, u4, 0x20));
            _mm256_storeu_ps(d + ldd, _mm256_permute2f128_ps(u1, u5, 0x20));
            _mm256_storeu_ps(d + 2 * ldd, _mm256_permute2f128_ps(u2, u6, 0x20));
            _mm256_storeu_ps(d + 3 * ldd, _mm256_permute2f128_ps(u3, u7, 0x20));
            _mm256_storeu_ps(d + 4 * ldd, _mm256_permute2f128_ps(u0, u4, 0x31));
            _mm256_storeu_ps(d + 5 * ldd, _mm256_permute2f128_ps(u1, u5, 0x31));
            _mm256_storeu_ps(d + 6 * ldd, _mm256_permute2f128_ps(u2, u6, 0x31));
            _mm256_storeu_ps(d + 7 * ldd, _mm256_permute2f128_ps(u3, u7, 0x31));
        }
    for (; k < kc; k++)
        for (int r = 0; r < rows; r++) dst[(long)k * ldd + r] = src[(long)r * lds + k];
}
#else
typedef int gemm_avx2_not_targeted; // ISO C wants a non-empty translation unit
#endif
