// layers.h - forward and backward of every layer of CNN and CNN_SE, as free functions over
// raw float arrays: outputs first, then inputs, then sizes. All tensors are NCHW.
// The forward saves what the backward needs (batch-norm xhat and 1/std, max-pool argmax,
// dropout mask, SE scales) into buffers the caller owns.
// Every backward ADDS into its gradient outputs (dinp, dweight, dbias): the caller zeroes
// them once per step. A NULL gradient pointer means "not needed" (e.g. dinp of conv1).
// Semantics are PyTorch 1.13's (see each function).
#ifndef EXCITE_LAYERS_H
#define EXCITE_LAYERS_H
#include <stddef.h>
#include <stdint.h>
#include "rng.h"

// ---- conv2d: 3x3, stride 1, padding 1, with bias --------------------------------------
// inp (B,C,H,W), weight (OC,C,3,3), bias (OC), out (B,OC,H,W).
// work: scratch of conv2d_work_floats(...) floats, owned by the caller, reused every call.
size_t conv2d_work_floats(int B, int C, int H, int W, int OC);
void conv2d_forward(float *out, const float *inp, const float *weight, const float *bias,
                    int B, int C, int H, int W, int OC, float *work);
void conv2d_backward(float *dinp, float *dweight, float *dbias,
                     const float *dout, const float *inp, const float *weight,
                     int B, int C, int H, int W, int OC, float *work);

// ---- eval-mode block (c/conv_eval.c): conv2d + bias, batch-norm with the running
// statistics, ReLU and optionally 2x2 max-pool in one pass. Writes conv (B,OC,H,W) = conv
// + bias, act (B,OC,H,W) = relu(bn(conv)), and, unless pool is NULL, pool (B,OC,H/2,W/2)
// and argmax as maxpool2x2_forward(act). Equal to those layers run one after the other,
// except that the conv sums may be computed by Winograd F(2x2,3x3) (rounding differs).
// work: scratch of conv_block_eval_work_floats(...) floats (>= conv2d_work_floats(...)).
// cache: NULL, or conv_block_eval_cache_floats(C, OC) floats kept by the caller for this
// layer (any initial content): it holds the transformed filters between calls and is
// checked against the weights (bit for bit) on every call.
size_t conv_block_eval_work_floats(int B, int C, int H, int W, int OC);
size_t conv_block_eval_cache_floats(int C, int OC);
void conv_block_eval(float *conv, float *act, float *pool, int32_t *argmax,
                     const float *inp, const float *weight, const float *bias,
                     const float *gamma, const float *beta,
                     const float *running_mean, const float *running_var, float eps,
                     int B, int C, int H, int W, int OC, float *cache, float *work);

// ---- batch-norm 2d (eps, momentum as PyTorch: running = (1-m)*running + m*batch,
// running_var takes the unbiased batch variance, normalisation uses the biased one) -----
// inp/out (B,C,HW); gamma, beta, mean, invstd, running_* (C); xhat (B,C,HW).
void batchnorm_forward_train(float *out, float *xhat, float *mean, float *invstd,
                             float *running_mean, float *running_var,
                             const float *inp, const float *gamma, const float *beta,
                             int B, int C, int HW, float momentum, float eps);
void batchnorm_forward_eval(float *out, const float *inp, const float *gamma, const float *beta,
                            const float *running_mean, const float *running_var,
                            int B, int C, int HW, float eps);
void batchnorm_backward(float *dinp, float *dgamma, float *dbeta,
                        const float *dout, const float *xhat, const float *invstd,
                        const float *gamma, int B, int C, int HW);
// The same followed by a ReLU, in one pass over memory (out = max(0, BN(inp)); the training
// step's blocks): the same numbers as the two layers one after the other. (Its backward
// stays relu_backward then batchnorm_backward: fused, the double-precision sums per row
// became slower than the pass it saved.)
void batchnorm_relu_forward_train(float *out, float *xhat, float *mean, float *invstd,
                                  float *running_mean, float *running_var,
                                  const float *inp, const float *gamma, const float *beta,
                                  int B, int C, int HW, float momentum, float eps);
// Backward through eval-mode batch-norm (a fixed per-channel affine map), for Grad-CAM.
void batchnorm_backward_eval(float *dinp, const float *dout, const float *gamma,
                             const float *running_var, int B, int C, int HW, float eps);

// ---- ReLU (out may equal inp) ---------------------------------------------------------
void relu_forward(float *out, const float *inp, size_t n);
void relu_backward(float *dinp, const float *dout, const float *out, size_t n); // dinp += dout*(out>0)
// The training step's form: d = d*(out>0) in place, the same bits as relu_backward into a
// zeroed dinp (a -0 gradient becomes +0, as 0 + -0 does) without the zeroed buffer: one
// pass over two arrays instead of the zeroing and a pass over three.
void relu_backward_inplace(float *d, const float *out, size_t n);

// ---- max-pool 2x2, stride 2 -----------------------------------------------------------
// inp (B,C,H,W), out (B,C,H/2,W/2), argmax (B,C,H/2,W/2): index in the H*W plane.
// Ties go to the first element in row-major order, as PyTorch's CPU kernel does.
void maxpool2x2_forward(float *out, int32_t *argmax, const float *inp, int B, int C, int H, int W);
void maxpool2x2_backward(float *dinp, const float *dout, const int32_t *argmax,
                         int B, int C, int H, int W);

// ---- Squeeze-and-Excitation (reduction 16, no biases) ---------------------------------
// pooled = mean_hw(inp) (B,C); hidden_pre = pooled . w1^T (B,R), w1 (R,C);
// hidden = relu(hidden_pre) (B,R); z = hidden . w2^T (B,C), w2 (C,R);
// s = sigmoid(z) (B,C); out = inp * s per channel (B,C,HW). R = C/16.
void se_forward(float *out, float *pooled, float *hidden_pre, float *hidden, float *z, float *s,
                const float *inp, const float *w1, const float *w2, int B, int C, int HW, int R);
void se_backward(float *dinp, float *dw1, float *dw2, const float *dout, const float *inp,
                 const float *pooled, const float *hidden, const float *s,
                 const float *w1, const float *w2, int B, int C, int HW, int R);
// Eval mode (c/conv_eval.c): se_forward, then maxpool2x2_forward(pool, argmax, out), in
// fewer passes; pooled is summed in another (fixed) order, so the results can differ from
// se_forward's by rounding.
void se_pool_eval(float *out, float *pool, int32_t *argmax, float *pooled, float *hidden_pre,
                  float *hidden, float *z, float *s, const float *inp, const float *w1,
                  const float *w2, int B, int C, int H, int W, int R);

// ---- linear: out (B,OC) = inp (B,IC) . weight^T + bias; weight (OC,IC) -----------------
void linear_forward(float *out, const float *inp, const float *weight, const float *bias,
                    int B, int IC, int OC);
void linear_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                     const float *inp, const float *weight, int B, int IC, int OC);

// ---- inverted dropout: mask holds 0 or 1/(1-p); p == 0 gives the identity -------------
void dropout_forward(float *out, float *mask, const float *inp, size_t n, float p, Rng *rng);
void dropout_backward(float *dinp, const float *dout, const float *mask, size_t n);

// ---- softmax + cross-entropy, mean over the batch -------------------------------------
// logits, probs (B,K); labels (B) in [0,K). Returns the mean loss (computed in double).
float softmax_xent_forward(float *probs, const float *logits, const uint8_t *labels, int B, int K);
void softmax_xent_backward(float *dlogits, const float *probs, const uint8_t *labels, int B, int K);

#endif
