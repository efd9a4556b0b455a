// conv_train.h - the Winograd route of the training convolution (c/conv_train.c), called by
// conv2d_forward / conv2d_backward (c/layers.c); private to the core. Shapes as in layers.h.
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

#endif
