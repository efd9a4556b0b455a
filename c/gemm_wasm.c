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
#else
typedef int gemm_wasm_not_targeted; // ISO C wants a non-empty translation unit
#endif
