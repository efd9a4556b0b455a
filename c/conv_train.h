// conv_train.h - the routes of the training convolution other than im2col + GEMM, called by
// conv2d_forward / conv2d_backward (c/layers.c): Winograd (c/conv_train.c) and the direct
// convolution of few input channels (c/conv_direct.c); private to the core. Shapes as in
// layers.h.
// chunks: the caller's fixed number of batch slices (from B only, never the thread count).
#ifndef EXCITE_CONV_TRAIN_H
#define EXCITE_CONV_TRAIN_H
#include <stddef.h>
#include "wino.h"

// The three products; conv_wino_use: 1 if the Winograd route takes that pass of the
// convolution (B,C,H,W) -> (B,OC,H,W) with the current GEMM kernel.
enum { CONV_FORWARD = WINO_FORWARD, CONV_DINP = WINO_DINP, CONV_DWEIGHT = WINO_DWEIGHT };
int conv_wino_use(int pass, int C, int H, int W, int OC);
// Scratch floats the route needs (0 for shapes it never takes).
size_t conv_wino_work_floats(int B, int chunks, int C, int H, int W, int OC);
// conv_wino_forward returns 0 without touching anything when the route does not take the
// call (the caller then runs im2col + GEMM), else 1 with out written as conv2d_forward
// specifies. conv_wino_backward computes the gradients it takes (dinp: CONV_DINP; dweight
// and dbias: CONV_DWEIGHT) as conv2d_backward specifies and returns which: bit 1 dinp,
// bit 2 dweight and dbias; the caller computes the others.
int conv_wino_forward(float *out, const float *inp, const float *weight, const float *bias,
                      int B, int C, int H, int W, int OC, int chunks, float *work);
int conv_wino_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                       const float *inp, const float *weight, int B, int C, int H, int W, int OC,
                       int chunks, float *work);

// ---- c/conv_direct.c: few input channels (conv1), without im2col ----------------------------
// conv_direct_use: 1 if conv_direct takes (C,H,W) -> (OC,H,W) with the current GEMM kernel
// (the kernels without FMA, whose im2col + GEMM sums it reproduces bit for bit).
// conv_direct: out (OC, H*W) = the convolution of one image img (C,H,W), plus bias[o] when
// bias is not NULL; pad: conv_direct_pad_floats scratch floats (the zero-bordered image).
enum { DIRECT_MAX_C = 4 };
int conv_direct_use(int C, int H, int W, int OC);
static inline size_t conv_direct_pad_floats(int C, int H, int W) {
    return (size_t)C * (H + 2) * (W + 2);
}
void conv_direct(float *out, const float *img, const float *weight, const float *bias, int C,
                 int H, int W, int OC, float *pad);

#endif
