// gemm_wasm.c - WebAssembly SIMD128 micro-kernel of gemm() (see gemm_kernels.h), XNNPACK's
// 4 x 8 shape: 8 f32x4 accumulators; per k, two 4-wide loads of packed B, four splat loads
// of packed A, then multiply and add (SIMD128 has no FMA, so each sum is rounded exactly
// as the scalar reference rounds it). Empty unless compiled with -msimd128.
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#include "gemm_kernels.h"

#define ROW(i)                                                                  \
    {                                                                           \
        v128_t ai = wasm_v128_load32_splat(a + (i));                            \
        c##i##0 = wasm_f32x4_add(c##i##0, wasm_f32x4_mul(ai, b0));              \
        c##i##1 = wasm_f32x4_add(c##i##1, wasm_f32x4_mul(ai, b1));              \
    }
#define STORE(i)                                                                \
    {                                                                           \
        float *ci = c + (i) * ldc;                                              \
        if (load_c) {                                                           \
            c##i##0 = wasm_f32x4_add(wasm_v128_load(ci), c##i##0);              \
            c##i##1 = wasm_f32x4_add(wasm_v128_load(ci + 4), c##i##1);          \
        }                                                                       \
        wasm_v128_store(ci, c##i##0);                                           \
        wasm_v128_store(ci + 4, c##i##1);                                       \
    }

void gemm_micro_wasm_4x8(int kc, const float *a, const float *b, float *c, long ldc,
                         int load_c) {
    v128_t c00 = wasm_f32x4_splat(0.0f), c01 = c00, c10 = c00, c11 = c00, c20 = c00,
           c21 = c00, c30 = c00, c31 = c00;
    for (int k = 0; k < kc; k++) {
        v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4);
        ROW(0) ROW(1) ROW(2) ROW(3)
        a += 4;
        b += 8;
    }
    STORE(0) STORE(1) STORE(2) STORE(3)
}

// Transposing copy for the packers (see gemm_kernels.h), through 4 x 4 register
// transposes; rows is a multiple of 4.
void gemm_pack_t_wasm(float *dst, int ldd, const float *src, long lds, int rows, int kc) {
    int k = 0;
    for (; k + 4 <= kc; k += 4)
        for (int r = 0; r < rows; r += 4) {
            const float *s = src + (long)r * lds + k;
            v128_t r0 = wasm_v128_load(s), r1 = wasm_v128_load(s + lds),
                   r2 = wasm_v128_load(s + 2 * lds), r3 = wasm_v128_load(s + 3 * lds);
            v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5);
            v128_t t1 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
            v128_t t2 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);
            v128_t t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
            float *d = dst + (long)k * ldd + r;
            wasm_v128_store(d, wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5));
            wasm_v128_store(d + ldd, wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7));
            wasm_v128_store(d + 2 * ldd, wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5));
            wasm_v128_store(d + 3 * ldd, wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7));
        }
    for (; k < kc; k++)
        for (int r = 0; r < rows; r++) dst[(long)k * ldd + r] = src[(long)r * lds + k];
}

// gemm_dot_scalar's final additions of its eight partial sums, lanes 0-3 of s0 and of s1.
static float sum_lanes(v128_t s0, v128_t s1) {
    return ((wasm_f32x4_extract_lane(s0, 0) + wasm_f32x4_extract_lane(s0, 1)) +
            (wasm_f32x4_extract_lane(s0, 2) + wasm_f32x4_extract_lane(s0, 3))) +
           ((wasm_f32x4_extract_lane(s1, 0) + wasm_f32x4_extract_lane(s1, 1)) +
            (wasm_f32x4_extract_lane(s1, 2) + wasm_f32x4_extract_lane(s1, 3)));
}

// gemm_dot_scalar's sums, lanes 0-3 and 4-7 of its eight partial sums in two registers.
float gemm_dot_wasm(const float *a, const float *b, int K) {
    v128_t s0 = wasm_f32x4_splat(0.0f), s1 = s0;
    int k = 0;
    for (; k + 8 <= K; k += 8) {
        s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_v128_load(a + k), wasm_v128_load(b + k)));
        s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(wasm_v128_load(a + k + 4), wasm_v128_load(b + k + 4)));
    }
    float r = sum_lanes(s0, s1);
    for (; k < K; k++) r += a[k] * b[k];
    return r;
}

// Three of gemm_dot_wasm's dot products at once (rows b, b + ldb, b + 2 ldb), the same sums:
// six chains of additions instead of two, in 6 accumulators + 2 inputs + loads (x64 V8 has 16
// vector registers; four rows spill).
void gemm_dot3_wasm(float r[4], const float *a, const float *b, long ldb, int K) {
    const float *b1 = b + ldb, *b2 = b + 2 * ldb;
    v128_t s00 = wasm_f32x4_splat(0.0f), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00;
    int k = 0;
    for (; k + 8 <= K; k += 8) {
        v128_t x0 = wasm_v128_load(a + k), x1 = wasm_v128_load(a + k + 4);
        s00 = wasm_f32x4_add(s00, wasm_f32x4_mul(x0, wasm_v128_load(b + k)));
        s01 = wasm_f32x4_add(s01, wasm_f32x4_mul(x1, wasm_v128_load(b + k + 4)));
        s10 = wasm_f32x4_add(s10, wasm_f32x4_mul(x0, wasm_v128_load(b1 + k)));
        s11 = wasm_f32x4_add(s11, wasm_f32x4_mul(x1, wasm_v128_load(b1 + k + 4)));
        s20 = wasm_f32x4_add(s20, wasm_f32x4_mul(x0, wasm_v128_load(b2 + k)));
        s21 = wasm_f32x4_add(s21, wasm_f32x4_mul(x1, wasm_v128_load(b2 + k + 4)));
    }
    r[0] = sum_lanes(s00, s01);
    r[1] = sum_lanes(s10, s11);
    r[2] = sum_lanes(s20, s21);
    for (; k < K; k++) {
        r[0] += a[k] * b[k];
        r[1] += a[k] * b1[k];
        r[2] += a[k] * b2[k];
    }
}
#else
typedef int gemm_wasm_not_targeted; // ISO C wants a non-empty translation unit
#endif
