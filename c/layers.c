// layers.c - forward and backward of every layer (see layers.h for shapes and semantics).
// Written over `real` (float here). tests/test_gradcheck.c includes this file with
// LAYER_REAL defined as double, its own double gemm() and renamed symbols, to check the
// gradients by finite differences; the float build is unaffected.
// Reductions over a batch (batch-norm statistics, softmax) accumulate in double, as
// PyTorch's CPU kernels do.
#ifndef LAYER_REAL
#define LAYER_REAL float
#define LAYER_FLOAT 1 // the float build: conv2d has the Winograd route of c/conv_train.c
#include "layers.h"
#include "gemm.h"
#include "conv_train.h"
#endif
#include "threads.h"
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <tgmath.h>
#include "rng.h"

typedef LAYER_REAL real;

// ---- conv2d: 3x3, stride 1, padding 1 -------------------------------------------------
// Per image, im2col turns inp (C,H,W) into col (C*9, H*W); then out (OC,HW) = weight
// (OC, C*9) . col. Row (c*9 + ky*3 + kx) of col is the input plane c shifted by
// (ky-1, kx-1), zero outside.
// Where c/conv_train.c takes a pass (Winograd F(2x2,3x3), see conv_wino_use), it computes
// that pass instead, on the same slices.
// The batch is cut into min(B, CONV_CHUNKS) fixed slices of images, run in parallel on the
// thread pool (16 slices feed up to 16 threads at batch 64). The col buffer is the
// thread's own (thread_buffer THREAD_BUF_CONV; the slice's part of work in the double build or when
// out of memory); in the backward each slice has its own partial weight and bias
// gradients in work, added into dweight/dbias in slice order afterwards.
// The slices do not depend on the thread count, so neither do the results. A GEMM called
// inside a slice runs on that slice's thread; with one slice (B == 1) the GEMM itself
// splits its tiles over the pool.

enum { CONV_CHUNKS = 16 };

static int conv_chunks(int B) { return B < 1 ? 1 : B < CONV_CHUNKS ? B : CONV_CHUNKS; }

// Per slice: col (C*9, H*W), then dweight (OC, C*9) and dbias (OC).
static size_t conv_slice_floats(int C, int H, int W, int OC) {
    return (size_t)C * 9 * H * W + (size_t)OC * C * 9 + (size_t)OC;
}

size_t conv2d_work_floats(int B, int C, int H, int W, int OC) {
    size_t direct = (size_t)conv_chunks(B) * conv_slice_floats(C, H, W, OC);
#ifdef LAYER_FLOAT
    size_t wino = conv_wino_work_floats(B, conv_chunks(B), C, H, W, OC);
    return wino > direct ? wino : direct;
#else
    return direct;
#endif
}

static void im2col3x3(real *restrict col, const real *restrict img, int C, int H, int W) {
    for (int c = 0; c < C; c++)
        for (int ky = 0; ky < 3; ky++)
            for (int kx = 0; kx < 3; kx++) {
                const real *plane = img + (size_t)c * H * W;
                real *row = col + (size_t)(c * 9 + ky * 3 + kx) * H * W;
                int dx = kx - 1, x0 = dx < 0 ? 1 : 0, x1 = dx > 0 ? W - 1 : W;
                for (int y = 0; y < H; y++) {
                    int iy = y + ky - 1;
                    real *r = row + (size_t)y * W;
                    if (iy < 0 || iy >= H) { memset(r, 0, sizeof(real) * W); continue; }
                    const real *src = plane + (size_t)iy * W;
                    if (x0) r[0] = 0;
#if defined(__wasm__) // a memcpy call per short row costs more than the copy
                    for (int x = x0; x < x1; x++) r[x] = src[x + dx];
#else
                    memcpy(r + x0, src + x0 + dx, sizeof(real) * (size_t)(x1 - x0));
#endif
                    if (x1 < W) r[W - 1] = 0;
                }
            }
}

// img (C,H,W) += the rows of col (C*9, H*W) shifted back into place.
static void col2im3x3_add(real *restrict img, const real *restrict col, int C, int H, int W) {
    for (int c = 0; c < C; c++)
        for (int ky = 0; ky < 3; ky++)
            for (int kx = 0; kx < 3; kx++) {
                real *plane = img + (size_t)c * H * W;
                const real *row = col + (size_t)(c * 9 + ky * 3 + kx) * H * W;
                int dx = kx - 1, x0 = dx < 0 ? 1 : 0, x1 = dx > 0 ? W - 1 : W;
                for (int y = 0; y < H; y++) {
                    int iy = y + ky - 1;
                    if (iy < 0 || iy >= H) continue;
                    const real *r = row + (size_t)y * W;
                    // dst[x + dx], not (dst + dx)[x]: with dx = -1 that pointer would lie
                    // before the plane, which alone is undefined behaviour
                    real *dst = plane + (size_t)iy * W;
                    int x = x0;
                    for (; x + 8 <= x1; x += 8) // fixed-length blocks: compilers vectorize them
                        for (int t = 0; t < 8; t++) dst[x + dx + t] += r[x + t];
                    for (; x < x1; x++) dst[x + dx] += r[x];
                }
            }
}

typedef struct {
    real *out, *dinp, *dweight, *dbias;
    const real *inp, *weight, *bias, *dout;
    int B, C, H, W, OC, chunks;
    real *work;
    int direct; // forward: conv_direct instead of im2col + GEMM (float build)
} ConvJob;

// The slice's col buffer: the thread's own (c/conv_train.c: one buffer reused by all the
// slices a thread runs stays in cache) in the float build, else the slice's part of work.
static real *slice_col(const ConvJob *j, int t) {
    real *own = j->work + (size_t)t * conv_slice_floats(j->C, j->H, j->W, j->OC);
#ifdef LAYER_FLOAT
    real *mine = thread_buffer(THREAD_BUF_CONV, (size_t)j->C * 9 * j->H * j->W);
    if (mine) return mine;
#endif
    return own;
}

static void conv_forward_slice(void *ctx, int t) {
    const ConvJob *j = ctx;
    int HW = j->H * j->W, K = j->C * 9, OC = j->OC;
    real *col = slice_col(j, t);
    for (int b = j->B * t / j->chunks; b < j->B * (t + 1) / j->chunks; b++) {
        real *ob = j->out + (size_t)b * OC * HW;
#ifdef LAYER_FLOAT
        if (j->direct) { // the same bits, without im2col (col: pad)
            conv_direct(ob, j->inp + (size_t)b * j->C * HW, j->weight, j->bias, j->C, j->H, j->W,
                        OC, col);
            continue;
        }
#endif
        im2col3x3(col, j->inp + (size_t)b * j->C * HW, j->C, j->H, j->W);
        gemm(0, 0, OC, HW, K, j->weight, K, col, HW, ob, HW, 0); // (OC,K) . (K,HW)
        for (int o = 0; o < OC; o++) {
            real bo = j->bias[o], *r = ob + (size_t)o * HW;
            int i = 0;
            for (; i + 8 <= HW; i += 8)
                for (int t = 0; t < 8; t++) r[i + t] += bo;
            for (; i < HW; i++) r[i] += bo;
        }
    }
}

void conv2d_forward(real *out, const real *inp, const real *weight, const real *bias,
                    int B, int C, int H, int W, int OC, real *work) {
#ifdef LAYER_FLOAT
    if (conv_wino_forward(out, inp, weight, bias, B, C, H, W, OC, conv_chunks(B), work)) return;
#endif
    ConvJob j = {out, NULL, NULL, NULL, inp, weight, bias, NULL, B, C, H, W, OC,
                 conv_chunks(B), work, 0};
#ifdef LAYER_FLOAT
    j.direct = conv_direct_use(C, H, W, OC);
#endif
    parallel_for(j.chunks, conv_forward_slice, &j);
}

static void conv_backward_slice(void *ctx, int t) {
    const ConvJob *j = ctx;
    int HW = j->H * j->W, K = j->C * 9, OC = j->OC;
    real *own = j->work + (size_t)t * conv_slice_floats(j->C, j->H, j->W, OC);
    real *col = slice_col(j, t), *dw = own + (size_t)K * HW, *dbs = dw + (size_t)OC * K;
    if (j->dbias) memset(dbs, 0, sizeof(real) * (size_t)OC);
    int b0 = j->B * t / j->chunks;
    for (int b = b0; b < j->B * (t + 1) / j->chunks; b++) {
        const real *db = j->dout + (size_t)b * OC * HW;
        if (j->dbias) // eight partial sums in a fixed order (one chain is latency-bound)
            for (int o = 0; o < OC; o++) {
                const real *r = db + (size_t)o * HW;
                real p[8] = {0};
                int i = 0;
                for (; i + 8 <= HW; i += 8)
                    for (int t = 0; t < 8; t++) p[t] += r[i + t];
                real s = ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]));
                for (; i < HW; i++) s += r[i];
                dbs[o] += s;
            }
        if (j->dweight) { // dw (OC,K) (+)= dout_b (OC,HW) . col^T (HW,K): = for the first image
            im2col3x3(col, j->inp + (size_t)b * j->C * HW, j->C, j->H, j->W);
            gemm(0, 1, OC, K, HW, db, HW, col, HW, dw, K, b > b0);
        }
        if (j->dinp) { // dcol (K,HW) = weight^T (K,OC) . dout_b (OC,HW)
            gemm(1, 0, K, HW, OC, j->weight, K, db, HW, col, HW, 0);
            col2im3x3_add(j->dinp + (size_t)b * j->C * HW, col, j->C, j->H, j->W);
        }
    }
}

void conv2d_backward(real *dinp, real *dweight, real *dbias,
                     const real *dout, const real *inp, const real *weight,
                     int B, int C, int H, int W, int OC, real *work) {
#ifdef LAYER_FLOAT
    int done = conv_wino_backward(dinp, dweight, dbias, dout, inp, weight, B, C, H, W, OC,
                                  conv_chunks(B), work);
    if (done & 1) dinp = NULL;
    if (done & 2) dweight = dbias = NULL;
#endif
    if (!dinp && !dweight && !dbias) return;
    ConvJob j = {NULL, dinp, dweight, dbias, inp, weight, NULL, dout, B, C, H, W, OC,
                 conv_chunks(B), work, 0};
    parallel_for(j.chunks, conv_backward_slice, &j);
    size_t slice = conv_slice_floats(C, H, W, OC), K = (size_t)C * 9, col = K * H * W;
    // the slices' partials in slice order: independent of the thread count
#ifdef LAYER_FLOAT
    if (dweight) parallel_add_slices(dweight, work + col, slice, j.chunks, (size_t)OC * K);
#else
    for (int t = 0; dweight && t < j.chunks; t++)
        for (size_t i = 0; i < (size_t)OC * K; i++) dweight[i] += work[t * slice + col + i];
#endif
    for (int t = 0; dbias && t < j.chunks; t++) {
        const real *dbs = work + t * slice + col + (size_t)OC * K;
        for (int o = 0; o < OC; o++) dbias[o] += dbs[o];
    }
}

// ---- batch-norm 2d --------------------------------------------------------------------
// Sums in double over four interleaved partial sums, added in a fixed order: four
// independent add chains instead of one (the single chain was latency-bound).
static double sum4(const real *x, int n) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int i = 0;
    for (; i + 4 <= n; i += 4) { s0 += x[i]; s1 += x[i + 1]; s2 += x[i + 2]; s3 += x[i + 3]; }
    for (; i < n; i++) s0 += x[i];
    return (s0 + s1) + (s2 + s3);
}
static double sqdev4(const real *x, int n, double mu) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        double d0 = x[i] - mu, d1 = x[i + 1] - mu, d2 = x[i + 2] - mu, d3 = x[i + 3] - mu;
        s0 += d0 * d0; s1 += d1 * d1; s2 += d2 * d2; s3 += d3 * d3;
    }
    for (; i < n; i++) { double d = x[i] - mu; s0 += d * d; }
    return (s0 + s1) + (s2 + s3);
}
static double dot4(const real *x, const real *y, int n) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += (double)x[i] * y[i]; s1 += (double)x[i + 1] * y[i + 1];
        s2 += (double)x[i + 2] * y[i + 2]; s3 += (double)x[i + 3] * y[i + 3];
    }
    for (; i < n; i++) s0 += (double)x[i] * y[i];
    return (s0 + s1) + (s2 + s3);
}

// Batch norm runs on the thread pool in the convolutions' slices of images (conv_chunks):
// each slice's per-channel sums, then the sums over the slices in slice order, then each
// slice normalised. The slices depend on B only, so results do not depend on the thread
// count, and a thread works on the images it has just convolved (its own cache).

typedef struct {
    real *out, *xhat, *mean, *invstd, *dinp;
    const real *inp, *gamma, *beta, *dout;
    int relu;         // forward: a ReLU after the normalisation
    double *part;     // (chunks, 2, C) per-slice sums
    const double *mu; // (C) the mean, for the squared deviations
    real *scale, *shift, *k, *mdy, *mdyx;
    int B, C, HW, chunks;
} BnJob;

#define BN_IMAGES(j, t, b0, b1) \
    int b0 = (int)((long long)(j)->B * (t) / (j)->chunks), b1 = (int)((long long)(j)->B * ((t) + 1) / (j)->chunks)

// slice t: the sum of each channel
static void bn_sum_item(void *ctx, int t) {
    const BnJob *j = ctx;
    BN_IMAGES(j, t, b0, b1);
    double *s = j->part + (size_t)t * 2 * j->C;
    for (int c = 0; c < j->C; c++) {
        double acc = 0;
        for (int b = b0; b < b1; b++) acc += sum4(j->inp + ((size_t)b * j->C + c) * j->HW, j->HW);
        s[c] = acc;
    }
}
// slice t: the squared deviations from the mean of each channel
static void bn_sqdev_item(void *ctx, int t) {
    const BnJob *j = ctx;
    BN_IMAGES(j, t, b0, b1);
    double *s = j->part + (size_t)t * 2 * j->C + j->C;
    for (int c = 0; c < j->C; c++) {
        double acc = 0;
        for (int b = b0; b < b1; b++) acc += sqdev4(j->inp + ((size_t)b * j->C + c) * j->HW, j->HW, j->mu[c]);
        s[c] = acc;
    }
}
static void bn_normalise_item(void *ctx, int t) {
    const BnJob *j = ctx;
    BN_IMAGES(j, t, b0, b1);
    for (int b = b0; b < b1; b++)
        for (int c = 0; c < j->C; c++) {
            size_t off = ((size_t)b * j->C + c) * j->HW;
            real m = j->mean[c], is = j->invstd[c], scale = j->scale[c], shift = j->shift[c];
            real *xh = j->xhat + off, *o = j->out + off;
            const real *x = j->inp + off;
            if (j->relu)
                for (int i = 0; i < j->HW; i++) {
                    real y = x[i] * scale + shift;
                    xh[i] = (x[i] - m) * is;
                    o[i] = y < 0 ? 0 : y; // NaN passes, as in relu_forward
                }
            else
                for (int i = 0; i < j->HW; i++) {
                    xh[i] = (x[i] - m) * is;
                    o[i] = x[i] * scale + shift;
                }
        }
}

static void bn_forward(real *out, real *xhat, real *mean, real *invstd, real *running_mean,
                       real *running_var, const real *inp, const real *gamma, const real *beta,
                       int B, int C, int HW, real momentum, real eps, int relu) {
    int chunks = conv_chunks(B);
    double part[(size_t)chunks * 2 * C], mu[C];
    real scale[C], shift[C];
    BnJob j = {out, xhat, mean, invstd, NULL, inp, gamma, beta, NULL, relu, part, mu, scale,
               shift, NULL, NULL, NULL, B, C, HW, chunks};
    size_t n = (size_t)B * HW;
    parallel_for(chunks, bn_sum_item, &j);
    for (int c = 0; c < C; c++) {
        double sum = 0;
        for (int t = 0; t < chunks; t++) sum += part[(size_t)t * 2 * C + c];
        mu[c] = sum / (double)n;
    }
    parallel_for(chunks, bn_sqdev_item, &j);
    for (int c = 0; c < C; c++) {
        double sq = 0;
        for (int t = 0; t < chunks; t++) sq += part[(size_t)t * 2 * C + C + c];
        double var = sq / (double)n; // biased: used to normalise
        real m = (real)mu[c], is = (real)(1.0 / sqrt(var + (double)eps));
        mean[c] = m;
        invstd[c] = is;
        double unbiased = n > 1 ? sq / (double)(n - 1) : var;
        running_mean[c] = (real)(momentum * (double)m + (1 - (double)momentum) * running_mean[c]);
        running_var[c] = (real)(momentum * unbiased + (1 - (double)momentum) * running_var[c]);
        scale[c] = is * gamma[c];
        shift[c] = beta[c] - m * scale[c]; // PyTorch's CPU formula
    }
    parallel_for(chunks, bn_normalise_item, &j);
}

void batchnorm_forward_train(real *out, real *xhat, real *mean, real *invstd,
                             real *running_mean, real *running_var,
                             const real *inp, const real *gamma, const real *beta,
                             int B, int C, int HW, real momentum, real eps) {
    bn_forward(out, xhat, mean, invstd, running_mean, running_var, inp, gamma, beta, B, C, HW,
               momentum, eps, 0);
}

void batchnorm_relu_forward_train(real *out, real *xhat, real *mean, real *invstd,
                                  real *running_mean, real *running_var,
                                  const real *inp, const real *gamma, const real *beta,
                                  int B, int C, int HW, real momentum, real eps) {
    bn_forward(out, xhat, mean, invstd, running_mean, running_var, inp, gamma, beta, B, C, HW,
               momentum, eps, 1);
}

void batchnorm_forward_eval(real *out, const real *inp, const real *gamma, const real *beta,
                            const real *running_mean, const real *running_var,
                            int B, int C, int HW, real eps) {
    for (int c = 0; c < C; c++) {
        real is = (real)(1.0 / sqrt((double)running_var[c] + (double)eps));
        real scale = gamma[c] * is, shift = beta[c] - running_mean[c] * scale;
        for (int b = 0; b < B; b++) {
            size_t off = ((size_t)b * C + c) * HW;
            for (int i = 0; i < HW; i++) out[off + i] = inp[off + i] * scale + shift;
        }
    }
}

// dinp = gamma*invstd/N * (N*dout - sum(dout) - xhat*sum(dout*xhat)), per channel: the sums
// per slice of images, added in slice order, then each slice's dinp.
static void bn_dsum_item(void *ctx, int t) {
    const BnJob *j = ctx;
    BN_IMAGES(j, t, b0, b1);
    double *s = j->part + (size_t)t * 2 * j->C;
    for (int c = 0; c < j->C; c++) {
        double sdy = 0, sdyx = 0;
        for (int b = b0; b < b1; b++) {
            size_t off = ((size_t)b * j->C + c) * j->HW;
            sdy += sum4(j->dout + off, j->HW);
            sdyx += dot4(j->dout + off, j->xhat + off, j->HW);
        }
        s[c] = sdy;
        s[j->C + c] = sdyx;
    }
}
static void bn_dinp_item(void *ctx, int t) {
    const BnJob *j = ctx;
    BN_IMAGES(j, t, b0, b1);
    for (int b = b0; b < b1; b++)
        for (int c = 0; c < j->C; c++) {
            size_t off = ((size_t)b * j->C + c) * j->HW;
            real k = j->k[c], mdy = j->mdy[c], mdyx = j->mdyx[c];
            real *di = j->dinp + off;
            const real *dy = j->dout + off, *xh = j->xhat + off;
            for (int i = 0; i < j->HW; i++) di[i] += k * (dy[i] - mdy - xh[i] * mdyx);
        }
}

void batchnorm_backward(real *dinp, real *dgamma, real *dbeta,
                        const real *dout, const real *xhat, const real *invstd,
                        const real *gamma, int B, int C, int HW) {
    int chunks = conv_chunks(B);
    double part[(size_t)chunks * 2 * C];
    real k[C], mdy[C], mdyx[C];
    BnJob j = {NULL, (real *)xhat, NULL, (real *)invstd, dinp, NULL, gamma, NULL, dout, 0,
               part, NULL, NULL, NULL, k, mdy, mdyx, B, C, HW, chunks};
    double n = (double)B * HW;
    parallel_for(chunks, bn_dsum_item, &j);
    for (int c = 0; c < C; c++) {
        double sdy = 0, sdyx = 0;
        for (int t = 0; t < chunks; t++) {
            sdy += part[(size_t)t * 2 * C + c];
            sdyx += part[(size_t)t * 2 * C + C + c];
        }
        if (dbeta) dbeta[c] += (real)sdy;
        if (dgamma) dgamma[c] += (real)sdyx;
        k[c] = gamma[c] * invstd[c];
        mdy[c] = (real)(sdy / n);
        mdyx[c] = (real)(sdyx / n);
    }
    if (dinp) parallel_for(chunks, bn_dinp_item, &j);
}

void batchnorm_backward_eval(real *dinp, const real *dout, const real *gamma,
                             const real *running_var, int B, int C, int HW, real eps) {
    for (int c = 0; c < C; c++) {
        real k = gamma[c] * (real)(1.0 / sqrt((double)running_var[c] + (double)eps));
        for (int b = 0; b < B; b++) {
            size_t off = ((size_t)b * C + c) * HW;
            for (int i = 0; i < HW; i++) dinp[off + i] += k * dout[off + i];
        }
    }
}

// ---- fixed slicing ---------------------------------------------------------------------
// The element-wise passes below run on the thread pool in items of SLICE elements (or of
// whole planes / images), a split that depends on the sizes only: every element is
// computed by the same code whatever thread runs it, so results do not depend on the
// thread count.
enum { SLICE = 16384 }; // a multiple of 16 (the ReLU blocks)

static int slices(size_t n, size_t per) { return n == 0 ? 0 : (int)((n + per - 1) / per); }

// ---- ReLU -----------------------------------------------------------------------------

// Blocks of 16 through a local array: compilers turn the selects into vector compare-and-
// mask code (no branch to mispredict on random signs), even where out == inp.
static void relu_forward_run(real *out, const real *inp, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        real t[16];
        for (int k = 0; k < 16; k++) t[k] = inp[i + k] < 0 ? 0 : inp[i + k];
        for (int k = 0; k < 16; k++) out[i + k] = t[k];
    }
    for (; i < n; i++) out[i] = inp[i] < 0 ? 0 : inp[i]; // NaN passes, as in PyTorch
}

static void relu_backward_run(real *dinp, const real *dout, const real *out, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        real t[16];
        for (int k = 0; k < 16; k++) {
            real g = dout[i + k]; // loaded unconditionally, so the select vectorizes
            t[k] = out[i + k] > 0 ? g : 0;
        }
        for (int k = 0; k < 16; k++) dinp[i + k] += t[k];
    }
    for (; i < n; i++)
        if (out[i] > 0) dinp[i] += dout[i];
}

static void relu_backward_inplace_run(real *d, const real *out, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        real t[16];
        for (int k = 0; k < 16; k++) {
            real g = d[i + k]; // loaded unconditionally, so the select vectorizes
            t[k] = ((out[i + k] > 0) & (g != 0)) ? g : 0; // -0 becomes +0, as 0 + -0 does
        }
        for (int k = 0; k < 16; k++) d[i + k] = t[k];
    }
    for (; i < n; i++) d[i] = ((out[i] > 0) & (d[i] != 0)) ? d[i] : 0;
}

// Element-wise jobs over n elements: a (output), b, c (inputs), cut into SLICE items.
typedef struct {
    real *a;
    const real *b, *c;
    size_t n;
} EltJob;

#define ELT_RANGE(j, t, lo, len) \
    size_t lo = (size_t)(t) * SLICE, len = (j)->n - lo < SLICE ? (j)->n - lo : SLICE

static void relu_forward_item(void *ctx, int t) {
    const EltJob *j = ctx;
    ELT_RANGE(j, t, lo, len);
    relu_forward_run(j->a + lo, j->b + lo, len);
}
static void relu_backward_item(void *ctx, int t) {
    const EltJob *j = ctx;
    ELT_RANGE(j, t, lo, len);
    relu_backward_run(j->a + lo, j->b + lo, j->c + lo, len);
}

static void relu_backward_inplace_item(void *ctx, int t) {
    const EltJob *j = ctx;
    ELT_RANGE(j, t, lo, len);
    relu_backward_inplace_run(j->a + lo, j->b + lo, len);
}

void relu_forward(real *out, const real *inp, size_t n) {
    EltJob j = {out, inp, NULL, n};
    parallel_for(slices(n, SLICE), relu_forward_item, &j);
}

void relu_backward(real *dinp, const real *dout, const real *out, size_t n) {
    EltJob j = {dinp, dout, out, n};
    parallel_for(slices(n, SLICE), relu_backward_item, &j);
}

void relu_backward_inplace(real *d, const real *out, size_t n) {
    EltJob j = {d, out, NULL, n};
    parallel_for(slices(n, SLICE), relu_backward_inplace_item, &j);
}

// ---- max-pool 2x2, stride 2 (floor: an odd last row/column is dropped) ------------------

// Planes (p0 .. p1] of the batch (B*C planes of H*W).
static void maxpool_forward_planes(real *out, int32_t *argmax, const real *inp, size_t p0,
                                   size_t p1, int H, int W) {
    int OH = H / 2, OW = W / 2;
    for (size_t p = p0; p < p1; p++) {
        const real *x = inp + p * H * W;
        real *o = out + p * OH * OW;
        int32_t *a = argmax + p * OH * OW;
        for (int oy = 0; oy < OH; oy++) {
            // Blocks of 4 outputs: the four candidates are gathered first, so the compare-
            // and-select chain compiles to vector code instead of unpredictable branches.
            const real *r0 = x + (size_t)(2 * oy) * W, *r1 = r0 + W;
            int ox0 = 0;
            for (; ox0 + 4 <= OW; ox0 += 4) {
                real v[4][4], mo[4];
                int32_t bo[4];
                for (int k = 0; k < 4; k++) {
                    v[0][k] = r0[2 * (ox0 + k)];
                    v[1][k] = r0[2 * (ox0 + k) + 1];
                    v[2][k] = r1[2 * (ox0 + k)];
                    v[3][k] = r1[2 * (ox0 + k) + 1];
                }
                for (int k = 0; k < 4; k++) {
                    int32_t i0 = 2 * oy * W + 2 * (ox0 + k), bb = i0;
                    real mm = v[0][k], q = v[1][k];
                    int c = (q > mm) | (q != q); // q != q: NaN wins, as PyTorch
                    mm = c ? q : mm;
                    bb = c ? i0 + 1 : bb;
                    q = v[2][k];
                    c = (q > mm) | (q != q);
                    mm = c ? q : mm;
                    bb = c ? i0 + W : bb;
                    q = v[3][k];
                    c = (q > mm) | (q != q);
                    mm = c ? q : mm;
                    bb = c ? i0 + W + 1 : bb;
                    mo[k] = mm;
                    bo[k] = bb;
                }
                memcpy(o + oy * OW + ox0, mo, sizeof mo);
                memcpy(a + oy * OW + ox0, bo, sizeof bo);
            }
            for (int ox = ox0; ox < OW; ox++) {
                int best = 2 * oy * W + 2 * ox;
                real m = x[best];
                for (int k = 1; k < 4; k++) {
                    int idx = (2 * oy + (k >> 1)) * W + 2 * ox + (k & 1);
                    if (x[idx] > m || isnan(x[idx])) { m = x[idx]; best = idx; } // as PyTorch
                }
                o[oy * OW + ox] = m;
                a[oy * OW + ox] = best;
            }
        }
    }
}

typedef struct {
    real *out, *dinp;
    int32_t *argmax;
    const real *inp, *dout;
    const int32_t *cargmax;
    size_t planes, per; // per: planes per item
    int H, W;
} PoolJob;

static size_t pool_planes_per_item(int H, int W) {
    size_t hw = (size_t)H * W;
    return hw >= SLICE ? 1 : SLICE / (hw ? hw : 1);
}

static void maxpool_forward_item(void *ctx, int t) {
    const PoolJob *j = ctx;
    size_t p0 = (size_t)t * j->per, p1 = p0 + j->per < j->planes ? p0 + j->per : j->planes;
    maxpool_forward_planes(j->out, j->argmax, j->inp, p0, p1, j->H, j->W);
}

void maxpool2x2_forward(real *out, int32_t *argmax, const real *inp, int B, int C, int H, int W) {
    PoolJob j = {out, NULL, argmax, inp, NULL, NULL, (size_t)B * C, pool_planes_per_item(H, W), H, W};
    parallel_for(slices(j.planes, j.per), maxpool_forward_item, &j);
}

static void maxpool_backward_item(void *ctx, int t) {
    const PoolJob *j = ctx;
    size_t p0 = (size_t)t * j->per, p1 = p0 + j->per < j->planes ? p0 + j->per : j->planes;
    size_t on = (size_t)(j->H / 2) * (j->W / 2), hw = (size_t)j->H * j->W;
    for (size_t p = p0; p < p1; p++)
        for (size_t i = 0; i < on; i++)
            j->dinp[p * hw + j->cargmax[p * on + i]] += j->dout[p * on + i];
}

void maxpool2x2_backward(real *dinp, const real *dout, const int32_t *argmax,
                         int B, int C, int H, int W) {
    PoolJob j = {NULL, dinp, NULL, NULL, dout, argmax, (size_t)B * C, pool_planes_per_item(H, W), H, W};
    parallel_for(slices(j.planes, j.per), maxpool_backward_item, &j);
}

// ---- Squeeze-and-Excitation -----------------------------------------------------------
// Images are independent in the forward and in the heavy parts of the backward, so those
// run one item per image on the pool; the weight gradients add over the images in image
// order on one thread (B*C*R multiply-adds, small next to the B*C*HW of the rest).

typedef struct {
    real *out, *pooled, *hidden_pre, *hidden, *z, *s, *dinp, *dw1, *dw2, *dz, *dh;
    const real *inp, *w1, *w2, *dout, *cpooled, *chidden, *cs;
    int B, C, HW, R;
    int b0; // dz and dh hold the rows of images b0, b0 + 1, ...
} SeJob;

static void se_forward_image(void *ctx, int b) {
    const SeJob *j = ctx;
    int C = j->C, HW = j->HW, R = j->R;
    const real *x = j->inp + (size_t)b * C * HW, *w1 = j->w1, *w2 = j->w2;
    real *pb = j->pooled + (size_t)b * C, *hp = j->hidden_pre + (size_t)b * R;
    real *hb = j->hidden + (size_t)b * R, *zb = j->z + (size_t)b * C, *sb = j->s + (size_t)b * C;
    for (int c = 0; c < C; c++) {
        real sum = 0;
        for (int i = 0; i < HW; i++) sum += x[(size_t)c * HW + i];
        pb[c] = sum / (real)HW;
    }
    for (int r = 0; r < R; r++) { // (R) = w1 (R,C) . pooled (C)
        real sum = 0;
        for (int c = 0; c < C; c++) sum += w1[(size_t)r * C + c] * pb[c];
        hp[r] = sum;
        hb[r] = sum > 0 ? sum : 0;
    }
    for (int c = 0; c < C; c++) { // (C) = w2 (C,R) . hidden (R)
        real sum = 0;
        for (int r = 0; r < R; r++) sum += w2[(size_t)c * R + r] * hb[r];
        zb[c] = sum;
        sb[c] = 1 / (1 + exp(-sum));
    }
    real *ob = j->out + (size_t)b * C * HW;
    for (int c = 0; c < C; c++)
        for (int i = 0; i < HW; i++) ob[(size_t)c * HW + i] = x[(size_t)c * HW + i] * sb[c];
}

void se_forward(real *out, real *pooled, real *hidden_pre, real *hidden, real *z, real *s,
                const real *inp, const real *w1, const real *w2, int B, int C, int HW, int R) {
    SeJob j = {out, pooled, hidden_pre, hidden, z, s, NULL, NULL, NULL, NULL, NULL,
               inp, w1, w2, NULL, NULL, NULL, NULL, B, C, HW, R, 0};
    parallel_for(B, se_forward_image, &j);
}

// out = x*s(x): dinp gets dout*s directly, plus dpooled/HW through the squeeze path.
// ds = sum_hw dout*x; dz = ds*s*(1-s); dw2 += dz^T.hidden; dhidden = dz.w2, masked by relu;
// dw1 += dhidden^T.pooled; dpooled = dhidden.w1.
// Three passes: dz (B,C) per image (parallel); dhidden (B,R) and the weight gradients,
// image after image (one thread); dinp per image (parallel). dz and dhidden live in a
// scratch of B*(C+R) reals. dinp adds its squeeze term in blocks of SE_RBLOCK hidden
// units, as sums of up to SE_RBLOCK terms (the models' R, 2..8, is one block).
enum { SE_RBLOCK = 16 };

static void se_dz_image(void *ctx, int b) {
    const SeJob *j = ctx;
    int C = j->C, HW = j->HW;
    const real *x = j->inp + (size_t)b * C * HW, *g = j->dout + (size_t)b * C * HW;
    const real *sb = j->cs + (size_t)b * C;
    for (int c = 0; c < C; c++) {
        real ds = 0;
        for (int i = 0; i < HW; i++) ds += g[(size_t)c * HW + i] * x[(size_t)c * HW + i];
        j->dz[(size_t)(b - j->b0) * C + c] = ds * sb[c] * (1 - sb[c]);
    }
}

// dhidden of image b (in the order of the sums over the channels) and its weight gradients.
static void se_dh_image(const SeJob *j, int b) {
    int C = j->C, R = j->R;
    const real *pb = j->cpooled + (size_t)b * C, *hb = j->chidden + (size_t)b * R;
    const real *dz = j->dz + (size_t)(b - j->b0) * C, *w2 = j->w2;
    real *dh = j->dh + (size_t)(b - j->b0) * R;
    for (int r = 0; r < R; r++) dh[r] = 0;
    for (int c = 0; c < C; c++)
        for (int r = 0; r < R; r++) {
            if (j->dw2) j->dw2[(size_t)c * R + r] += dz[c] * hb[r];
            dh[r] += dz[c] * w2[(size_t)c * R + r];
        }
    for (int r = 0; r < R; r++)
        if (hb[r] <= 0) dh[r] = 0; // relu'(hidden_pre) = (hidden > 0)
    if (j->dw1)
        for (int r = 0; r < R; r++)
            for (int c = 0; c < C; c++) j->dw1[(size_t)r * C + c] += dh[r] * pb[c];
}

static void se_dinp_image(void *ctx, int b) {
    const SeJob *j = ctx;
    int C = j->C, HW = j->HW, R = j->R;
    const real *g = j->dout + (size_t)b * C * HW, *sb = j->cs + (size_t)b * C;
    const real *dh = j->dh + (size_t)(b - j->b0) * R, *w1 = j->w1;
    real *d = j->dinp + (size_t)b * C * HW;
    int r0 = 0;
    do {
        int nr = R - r0 < SE_RBLOCK ? R - r0 : SE_RBLOCK;
        for (int c = 0; c < C; c++) {
            real dp = 0, direct = r0 == 0 ? sb[c] : 0; // the direct path is added once
            for (int k = 0; k < nr; k++) dp += dh[r0 + k] * w1[(size_t)(r0 + k) * C + c];
            dp /= (real)HW;
            for (int i = 0; i < HW; i++) d[(size_t)c * HW + i] += g[(size_t)c * HW + i] * direct + dp;
        }
    } while ((r0 += SE_RBLOCK) < R);
}

void se_backward(real *dinp, real *dw1, real *dw2, const real *dout, const real *inp,
                 const real *pooled, const real *hidden, const real *s,
                 const real *w1, const real *w2, int B, int C, int HW, int R) {
    if (B <= 0) return;
    SeJob j = {NULL, NULL, NULL, NULL, NULL, NULL, dinp, dw1, dw2, NULL, NULL,
               inp, w1, w2, dout, pooled, hidden, s, B, C, HW, R, 0};
    // scratch: dz (B,C) then dhidden (B,R); one image at a time if it cannot be had
    real *scratch = malloc(sizeof(real) * (size_t)B * (size_t)(C + R)), one[2 * 1024];
    int per_image = !scratch;
    if (per_image && C + R > (int)(sizeof one / sizeof one[0])) abort(); // no model is this wide
    for (int b0 = 0; b0 < B; b0 += per_image ? 1 : B) {
        int nb = per_image ? 1 : B;
        SeJob k = j;
        real *base = per_image ? one : scratch;
        k.b0 = b0;
        k.dz = base;
        k.dh = base + (size_t)nb * C;
        if (per_image) se_dz_image(&k, b0);
        else parallel_for(B, se_dz_image, &k);
        for (int b = b0; b < b0 + nb; b++) se_dh_image(&k, b);
        if (dinp) {
            if (per_image) se_dinp_image(&k, b0);
            else parallel_for(B, se_dinp_image, &k);
        }
    }
    free(scratch);
}

// ---- linear ---------------------------------------------------------------------------

void linear_forward(real *out, const real *inp, const real *weight, const real *bias,
                    int B, int IC, int OC) {
    gemm(0, 1, B, OC, IC, inp, IC, weight, IC, out, OC, 0); // (B,IC) . (OC,IC)^T
    if (bias)
        for (int b = 0; b < B; b++)
            for (int o = 0; o < OC; o++) out[(size_t)b * OC + o] += bias[o];
}

void linear_backward(real *dinp, real *dweight, real *dbias, const real *dout,
                     const real *inp, const real *weight, int B, int IC, int OC) {
    if (dinp) gemm(0, 0, B, IC, OC, dout, OC, weight, IC, dinp, IC, 1);      // (B,OC) . (OC,IC)
    if (dweight) gemm(1, 0, OC, IC, B, dout, OC, inp, IC, dweight, IC, 1);   // (B,OC)^T . (B,IC)
    if (dbias)
        for (int o = 0; o < OC; o++) {
            real sum = 0;
            for (int b = 0; b < B; b++) sum += dout[(size_t)b * OC + o];
            dbias[o] += sum;
        }
}

// ---- inverted dropout -----------------------------------------------------------------

void dropout_forward(real *out, real *mask, const real *inp, size_t n, real p, Rng *rng) {
    real keep = p >= 1 ? 0 : 1 / (1 - p); // p = 1 drops everything (1/(1-p) would be inf)
    if (p <= 0) keep = 1;
    for (size_t i = 0; i < n; i++) {
        mask[i] = (p <= 0 || (real)rng_uniform(rng) >= p) ? keep : 0;
        out[i] = inp[i] * mask[i];
    }
}

// The mask comes from one random stream, drawn in order on one thread (B*512 draws).
static void dropout_backward_item(void *ctx, int t) {
    const EltJob *j = ctx;
    ELT_RANGE(j, t, lo, len);
    real *dinp = j->a + lo;
    const real *dout = j->b + lo, *mask = j->c + lo;
    for (size_t i = 0; i < len; i++) dinp[i] += dout[i] * mask[i];
}

void dropout_backward(real *dinp, const real *dout, const real *mask, size_t n) {
    EltJob j = {dinp, dout, mask, n};
    parallel_for(slices(n, SLICE), dropout_backward_item, &j);
}

// ---- softmax + cross-entropy ----------------------------------------------------------

real softmax_xent_forward(real *probs, const real *logits, const uint8_t *labels, int B, int K) {
    double loss = 0;
    for (int b = 0; b < B; b++) {
        const real *l = logits + (size_t)b * K;
        double mx = l[0], sum = 0;
        for (int k = 1; k < K; k++) mx = l[k] > mx ? l[k] : mx;
        for (int k = 0; k < K; k++) sum += exp((double)l[k] - mx);
        for (int k = 0; k < K; k++) probs[(size_t)b * K + k] = (real)(exp((double)l[k] - mx) / sum);
        loss += log(sum) - ((double)l[labels[b]] - mx);
    }
    return (real)(loss / B);
}

void softmax_xent_backward(real *dlogits, const real *probs, const uint8_t *labels, int B, int K) {
    real inv = (real)1 / (real)B;
    for (int b = 0; b < B; b++)
        for (int k = 0; k < K; k++)
            dlogits[(size_t)b * K + k] += (probs[(size_t)b * K + k] - (k == labels[b])) * inv;
}
