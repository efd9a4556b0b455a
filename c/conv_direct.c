// conv_direct.c - the 3x3 convolution (stride 1, padding 1) of an image with few input
// channels (conv1: 3), computed directly from a zero-bordered copy of the image instead of
// im2col + GEMM, for the training forward (c/layers.c) when conv_direct_use says so: with
// K = 27, im2col and gemm's packing of its columns copied the image twice for few
// multiplies (WebAssembly, conv1 forward at batch 64: 4.8 -> 4.1 ms). The eval block
// (c/conv_eval.c) writes im2col straight into the packed layout, which costs no more than
// the padded copy here: it keeps its GEMM (measured: no faster this way).
//
// Each output is the sum over k = c*9 + ky*3 + kx in order, starting from 0, of
// weight[o][k] * input (0 outside the image), every product and addition rounded on its
// own: exactly what the GEMM micro-kernels without FMA (wasm-simd128, scalar) compute for
// im2col's columns, so the result has the same bits as that route. Four output channels
// times eight neighbouring pixels per step: eight 4-wide accumulators, two input vectors and
// one weight per multiply (GCC/Clang vector extensions: SIMD128 in WebAssembly, SSE natively).
#include "conv_train.h"
#include "gemm.h"
#include <string.h>

int conv_direct_use(int C, int H, int W, int OC) {
    if (C > DIRECT_MAX_C || W % 8 || OC % 4 || H < 1) return 0;
    return !gemm_kernel_fma(); // FMA kernels round differently: they keep the GEMM
}

void conv_direct(float *out, const float *img, const float *weight, const float *bias, int C,
                 int H, int W, int OC, float *pad) {
    int PW = W + 2, PH = H + 2, K = C * 9;
    for (int c = 0; c < C; c++) { // the image inside a border of zeros (written in full)
        float *pc = pad + (size_t)c * PH * PW;
        memset(pc, 0, sizeof(float) * (size_t)PW);
        memset(pc + (size_t)(PH - 1) * PW, 0, sizeof(float) * (size_t)PW);
        for (int y = 0; y < H; y++) {
            float *row = pc + (size_t)(y + 1) * PW;
            row[0] = row[PW - 1] = 0;
            memcpy(row + 1, img + ((size_t)c * H + y) * W, sizeof(float) * (size_t)W);
        }
    }
    for (int o = 0; o < OC; o += 4) {
        const float *w0 = weight + (size_t)o * K, *w1 = w0 + K, *w2 = w1 + K, *w3 = w2 + K;
        v4 b0 = splat(bias ? bias[o] : 0), b1 = splat(bias ? bias[o + 1] : 0);
        v4 b2 = splat(bias ? bias[o + 2] : 0), b3 = splat(bias ? bias[o + 3] : 0);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x += 8) {
                v4 z = splat(0.0f), a0 = z, a1 = z, a2 = z, a3 = z, c0 = z, c1 = z, c2 = z, c3 = z;
                for (int c = 0, k = 0; c < C; c++)
                    for (int ky = 0; ky < 3; ky++) {
                        const float *p = pad + ((size_t)c * PH + y + ky) * PW + x;
                        for (int kx = 0; kx < 3; kx++, k++) {
                            v4 i0 = ld(p + kx), i1 = ld(p + kx + 4);
                            v4 s0 = splat(w0[k]), s1 = splat(w1[k]), s2 = splat(w2[k]), s3 = splat(w3[k]);
                            a0 = a0 + s0 * i0; c0 = c0 + s0 * i1;
                            a1 = a1 + s1 * i0; c1 = c1 + s1 * i1;
                            a2 = a2 + s2 * i0; c2 = c2 + s2 * i1;
                            a3 = a3 + s3 * i0; c3 = c3 + s3 * i1;
                        }
                    }
                float *d = out + (size_t)o * H * W + (size_t)y * W + x;
                size_t HW = (size_t)H * W;
                // the bias after the sum: one addition, as a separate pass over out would be
                if (bias) {
                    a0 = a0 + b0; c0 = c0 + b0; a1 = a1 + b1; c1 = c1 + b1;
                    a2 = a2 + b2; c2 = c2 + b2; a3 = a3 + b3; c3 = c3 + b3;
                }
                st(d, a0); st(d + 4, c0);
                st(d + HW, a1); st(d + HW + 4, c1);
                st(d + 2 * HW, a2); st(d + 2 * HW + 4, c2);
                st(d + 3 * HW, a3); st(d + 3 * HW + 4, c3);
            }
    }
}
