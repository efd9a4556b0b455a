// test_gradcheck.c - finite-difference gradient checks of every layer, in double precision,
// and of a CNN_SE block chained as the model chains it (conv, batch-norm, ReLU, SE, pool).
// c/layers.c is compiled a second time here with LAYER_REAL = double (its symbols renamed
// with a gc_ prefix, and a plain double gemm), so the check does not depend on float
// rounding. For each input/parameter element, dL/dx of L = sum(out * dout) by the
// five-point stencil (h = 1e-4; 1e-5 for the block), compared with the analytic gradient
// by max relative error (floor 1e-3 x the tensor's largest |gradient|) <= 1e-6.
// Points near a kink are skipped and counted: ReLU inputs within 1e-3 of 0, max-pool
// windows whose top two are within 1e-3, and in the block any point whose stencil changes
// a ReLU sign or a max-pool argmax.
// Usage: test_gradcheck [REFDIR] (unused). Exits 1 on any failure.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rng.h"

// ---- the double instantiation of c/layers.c --------------------------------------------
#define conv2d_work_floats gc_conv2d_work_floats
#define conv2d_forward gc_conv2d_forward
#define conv2d_backward gc_conv2d_backward
#define batchnorm_forward_train gc_batchnorm_forward_train
#define batchnorm_forward_eval gc_batchnorm_forward_eval
#define batchnorm_backward gc_batchnorm_backward
#define batchnorm_backward_eval gc_batchnorm_backward_eval
#define relu_forward gc_relu_forward
#define relu_backward gc_relu_backward
#define maxpool2x2_forward gc_maxpool2x2_forward
#define maxpool2x2_backward gc_maxpool2x2_backward
#define se_forward gc_se_forward
#define se_backward gc_se_backward
#define linear_forward gc_linear_forward
#define linear_backward gc_linear_backward
#define dropout_forward gc_dropout_forward
#define dropout_backward gc_dropout_backward
#define softmax_xent_forward gc_softmax_xent_forward
#define softmax_xent_backward gc_softmax_xent_backward
#define gemm gc_gemm

// Same contract as gemm() in c/gemm.h, over doubles.
static void gc_gemm(int transA, int transB, int M, int N, int K, const double *A, int lda,
                    const double *B, int ldb, double *C, int ldc, int accumulate) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double sum = 0;
            for (int k = 0; k < K; k++)
                sum += (transA ? A[(long)k * lda + i] : A[(long)i * lda + k]) *
                       (transB ? B[(long)j * ldb + k] : B[(long)k * ldb + j]);
            C[(long)i * ldc + j] = accumulate ? C[(long)i * ldc + j] + sum : sum;
        }
}

#define LAYER_REAL double
#include "../c/layers.c"

// ---- the checker -----------------------------------------------------------------------
static double h_step = 1e-4; // the block check uses a smaller step (see check_block)
#define TOL 1e-6
#define FLOOR_FRAC 1e-3

// A layer under test: fwd(ctx) recomputes out (no values) at the current parameters;
// the scalar checked is L = sum(out * dout). pattern(ctx), if set, fingerprints the
// branches the last forward took (ReLU signs, max-pool argmax): a point whose stencil
// changes it straddles a kink and is skipped.
typedef struct {
    void (*fwd)(void *ctx);
    void *ctx;
    const double *out, *dout;
    size_t no;
    uint64_t (*pattern)(void *ctx);
} Probe;

static int failures;
static Rng rng;

static double *alloc(size_t n) {
    double *p = calloc(n ? n : 1, sizeof(double));
    if (!p) { fprintf(stderr, "out of memory\n"); exit(2); }
    return p;
}

static double *randn_like(size_t n, double scale) {
    double *p = alloc(n);
    for (size_t i = 0; i < n; i++) {
        double u = 1e-12 + rng_uniform(&rng), v = rng_uniform(&rng);
        p[i] = scale * sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
    }
    return p;
}

// Runs the forward at x = x0 + step into save; returns 0 if it crossed a kink.
static int fwd_at(const Probe *pr, double *x, double x0, double step, double *save, uint64_t base) {
    *x = x0 + step;
    pr->fwd(pr->ctx);
    memcpy(save, pr->out, pr->no * sizeof(double));
    return !pr->pattern || pr->pattern(pr->ctx) == base;
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t n) {
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

// dL/dx[i] by the five-point stencil (error O(h^4)), differencing the outputs element by
// element before the dot with dout so the large sum does not cancel; compared with the
// analytic gradient g over x[0..n).
static void gradcheck(const char *layer, const char *param, double *x, const double *g, size_t n,
                      const Probe *pr, const unsigned char *skip) {
    double scale = 0, worst = 0;
    for (size_t i = 0; i < n; i++) scale = fmax(scale, fabs(g[i]));
    double floor = fmax(FLOOR_FRAC * scale, 1e-12);
    double *p1 = alloc(pr->no), *m1 = alloc(pr->no), *p2 = alloc(pr->no), *m2 = alloc(pr->no);
    size_t skipped = 0;
    pr->fwd(pr->ctx);
    uint64_t base = pr->pattern ? pr->pattern(pr->ctx) : 0;
    for (size_t i = 0; i < n; i++) {
        if (skip && skip[i]) { skipped++; continue; }
        double x0 = x[i], num = 0;
        int smooth = fwd_at(pr, &x[i], x0, h_step, p1, base);
        smooth &= fwd_at(pr, &x[i], x0, -h_step, m1, base);
        smooth &= fwd_at(pr, &x[i], x0, 2 * h_step, p2, base);
        smooth &= fwd_at(pr, &x[i], x0, -2 * h_step, m2, base);
        x[i] = x0;
        if (!smooth) { skipped++; continue; }
        for (size_t j = 0; j < pr->no; j++)
            num += pr->dout[j] * (8 * (p1[j] - m1[j]) - (p2[j] - m2[j]));
        num /= 12 * h_step;
        double e = fabs(num - g[i]) / fmax(fabs(g[i]), floor);
        if (!(e <= worst)) worst = isnan(e) ? INFINITY : e;
    }
    pr->fwd(pr->ctx); // leave the buffers as at x
    int bad = !(worst <= TOL) || scale == 0; // an all-zero gradient checks nothing
    printf("%-14s %-8s %6zu %7zu %10.2e %8.0e  %s\n", layer, param, n - skipped, skipped, worst, TOL,
           bad ? "FAIL" : "ok");
    failures += bad;
    free(p1); free(m1); free(p2); free(m2);
}

// ---- conv2d ----------------------------------------------------------------------------
typedef struct { int B, C, H, W, OC; double *inp, *w, *b, *out, *work; } ConvCtx;

static void conv_fwd(void *p) {
    ConvCtx *c = p;
    conv2d_forward(c->out, c->inp, c->w, c->b, c->B, c->C, c->H, c->W, c->OC, c->work);
}

static void check_conv(int B, int C, int H, int W, int OC) {
    size_t ni = (size_t)B * C * H * W, nw = (size_t)OC * C * 9, no = (size_t)B * OC * H * W;
    ConvCtx c = {B, C, H, W, OC, randn_like(ni, 1), randn_like(nw, 0.3), randn_like(OC, 0.5),
                 alloc(no), alloc(conv2d_work_floats(B, C, H, W, OC))};
    Probe pr = {conv_fwd, &c, c.out, randn_like(no, 1), no, NULL};
    double *di = alloc(ni), *dw = alloc(nw), *db = alloc(OC);
    conv2d_backward(di, dw, db, pr.dout, c.inp, c.w, B, C, H, W, OC, c.work);
    gradcheck("conv2d", "inp", c.inp, di, ni, &pr, NULL);
    gradcheck("conv2d", "weight", c.w, dw, nw, &pr, NULL);
    gradcheck("conv2d", "bias", c.b, db, OC, &pr, NULL);
    free(c.inp); free(c.w); free(c.b); free(c.out); free(c.work); free((void *)pr.dout);
    free(di); free(dw); free(db);
}

// ---- batch-norm (train: batch statistics; eval: running statistics) ---------------------
typedef struct {
    int B, C, HW, train;
    double *inp, *gamma, *beta, *out, *xhat, *mean, *invstd, *rm, *rv, *rm_w, *rv_w;
} BnCtx;

static void bn_fwd(void *p) {
    BnCtx *c = p;
    if (c->train) {
        memcpy(c->rm_w, c->rm, c->C * sizeof(double)); // running stats change every call
        memcpy(c->rv_w, c->rv, c->C * sizeof(double));
        batchnorm_forward_train(c->out, c->xhat, c->mean, c->invstd, c->rm_w, c->rv_w, c->inp,
                                c->gamma, c->beta, c->B, c->C, c->HW, 0.1, 1e-5);
    } else {
        batchnorm_forward_eval(c->out, c->inp, c->gamma, c->beta, c->rm, c->rv, c->B, c->C, c->HW, 1e-5);
    }
}

static void check_bn(int B, int C, int HW) {
    size_t n = (size_t)B * C * HW;
    BnCtx c = {B, C, HW, 1, randn_like(n, 1.5), randn_like(C, 1), randn_like(C, 1), alloc(n),
               alloc(n), alloc(C), alloc(C), randn_like(C, 1), alloc(C), alloc(C), alloc(C)};
    for (int i = 0; i < C; i++) c.rv[i] = 0.5 + rng_uniform(&rng);
    Probe pr = {bn_fwd, &c, c.out, randn_like(n, 1), n, NULL};
    double *di = alloc(n), *dg = alloc(C), *db = alloc(C);
    bn_fwd(&c);
    batchnorm_backward(di, dg, db, pr.dout, c.xhat, c.invstd, c.gamma, B, C, HW);
    char name[32];
    snprintf(name, sizeof name, "bn train N%d", B * HW);
    gradcheck(name, "inp", c.inp, di, n, &pr, NULL);
    gradcheck(name, "gamma", c.gamma, dg, C, &pr, NULL);
    gradcheck(name, "beta", c.beta, db, C, &pr, NULL);
    c.train = 0;
    memset(di, 0, n * sizeof(double));
    batchnorm_backward_eval(di, pr.dout, c.gamma, c.rv, B, C, HW, 1e-5);
    gradcheck("bn eval", "inp", c.inp, di, n, &pr, NULL);
    free(c.inp); free(c.gamma); free(c.beta); free(c.out); free(c.xhat); free(c.mean);
    free(c.invstd); free(c.rm); free(c.rv); free(c.rm_w); free(c.rv_w); free((void *)pr.dout);
    free(di); free(dg); free(db);
}

// ---- ReLU, max-pool, dropout (elementwise / routing layers) ------------------------------
enum { EW_RELU, EW_POOL, EW_DROPOUT };
typedef struct { int kind, B, C, H, W; size_t n; double *inp, *out, *mask; int32_t *argmax; } EwCtx;

static void ew_fwd(void *p) {
    EwCtx *c = p;
    if (c->kind == EW_RELU) relu_forward(c->out, c->inp, c->n);
    if (c->kind == EW_POOL) maxpool2x2_forward(c->out, c->argmax, c->inp, c->B, c->C, c->H, c->W);
    if (c->kind == EW_DROPOUT) {
        Rng r;
        rng_seed(&r, 99); // the same mask on every call
        dropout_forward(c->out, c->mask, c->inp, c->n, 0.5, &r);
    }
}

// Max-pool windows whose two largest values are closer than KINK are skipped whole.
#define KINK 1e-3
static void mark_pool_ties(unsigned char *skip, const double *x, int BC, int H, int W) {
    for (int p = 0; p < BC; p++)
        for (int oy = 0; oy < H / 2; oy++)
            for (int ox = 0; ox < W / 2; ox++) {
                int idx[4], top = 0;
                for (int k = 0; k < 4; k++) {
                    idx[k] = p * H * W + (2 * oy + (k >> 1)) * W + 2 * ox + (k & 1);
                    if (x[idx[k]] > x[idx[top]]) top = k;
                }
                double gap = INFINITY;
                for (int k = 0; k < 4; k++)
                    if (k != top) gap = fmin(gap, x[idx[top]] - x[idx[k]]);
                if (gap < KINK)
                    for (int k = 0; k < 4; k++) skip[idx[k]] = 1;
            }
}

static void check_elementwise(int kind, int B, int C, int H, int W) {
    size_t n = (size_t)B * C * H * W, no = kind == EW_POOL ? (size_t)B * C * (H / 2) * (W / 2) : n;
    EwCtx c = {kind, B, C, H, W, n, randn_like(n, 1), alloc(n), alloc(n), calloc(no, sizeof(int32_t))};
    if (kind == EW_POOL) // a few exact ties, which must be skipped
        for (size_t i = 0; i < n; i += 7) c.inp[i + 1 < n ? i + 1 : i] = c.inp[i];
    Probe pr = {ew_fwd, &c, c.out, randn_like(no, 1), no, NULL};
    double *di = alloc(n);
    unsigned char *skip = calloc(n, 1);
    ew_fwd(&c);
    const char *name = "dropout p0.5";
    if (kind == EW_RELU) {
        name = "relu";
        relu_backward(di, pr.dout, c.out, n);
        for (size_t i = 0; i < n; i++) skip[i] = fabs(c.inp[i]) < KINK;
    } else if (kind == EW_POOL) {
        name = "maxpool2x2";
        maxpool2x2_backward(di, pr.dout, c.argmax, B, C, H, W);
        mark_pool_ties(skip, c.inp, B * C, H, W);
    } else {
        dropout_backward(di, pr.dout, c.mask, n);
    }
    gradcheck(name, "inp", c.inp, di, n, &pr, skip);
    free(c.inp); free(c.out); free(c.mask); free(c.argmax); free((void *)pr.dout); free(di); free(skip);
}

// ---- Squeeze-and-Excitation ------------------------------------------------------------
typedef struct { int B, C, HW, R; double *inp, *w1, *w2, *out, *pooled, *hpre, *hidden, *z, *s; } SeCtx;

static void se_fwd(void *p) {
    SeCtx *c = p;
    se_forward(c->out, c->pooled, c->hpre, c->hidden, c->z, c->s, c->inp, c->w1, c->w2,
               c->B, c->C, c->HW, c->R);
}

static void check_se(int B, int C, int HW, int R) {
    size_t n = (size_t)B * C * HW;
    SeCtx c = {B, C, HW, R, randn_like(n, 1), randn_like((size_t)R * C, 1.0 / sqrt(C)),
               randn_like((size_t)C * R, 1.0 / sqrt(R)), alloc(n), alloc((size_t)B * C),
               alloc((size_t)B * R), alloc((size_t)B * R), alloc((size_t)B * C), alloc((size_t)B * C)};
    for (size_t i = 0; i < n; i++) c.inp[i] += 0.5; // a non-zero mean keeps the squeeze path busy
    Probe pr = {se_fwd, &c, c.out, randn_like(n, 1), n, NULL};
    se_fwd(&c);
    int live = 0, near_kink = 0;
    for (int i = 0; i < B * R; i++) live += c.hpre[i] > 0;
    if (!live) // every hidden unit dead: the squeeze path would carry no gradient
        for (int i = 0; i < R * C; i++) c.w1[i] = -c.w1[i];
    se_fwd(&c);
    live = 0;
    for (int i = 0; i < B * R; i++) { live += c.hpre[i] > 0; near_kink += fabs(c.hpre[i]) < KINK; }
    double *di = alloc(n), *dw1 = alloc((size_t)R * C), *dw2 = alloc((size_t)C * R);
    se_backward(di, dw1, dw2, pr.dout, c.inp, c.pooled, c.hidden, c.s, c.w1, c.w2, B, C, HW, R);
    char name[32];
    snprintf(name, sizeof name, "se C%d R%d", C, R);
    if (near_kink) { // this data would straddle the inner ReLU's kink: choose other data
        printf("%-14s %d hidden pre-activations within %g of 0  FAIL\n", name, near_kink, KINK);
        failures++;
    }
    gradcheck(name, "inp", c.inp, di, n, &pr, NULL);
    gradcheck(name, "w1", c.w1, dw1, (size_t)R * C, &pr, NULL);
    gradcheck(name, "w2", c.w2, dw2, (size_t)C * R, &pr, NULL);
    free(c.inp); free(c.w1); free(c.w2); free(c.out); free(c.pooled); free(c.hpre); free(c.hidden);
    free(c.z); free(c.s); free((void *)pr.dout); free(di); free(dw1); free(dw2);
}

// ---- a CNN_SE block: conv -> batch-norm (train) -> ReLU (in place) -> SE -> max-pool -------
// The layers chained as the model chains them, gradients flowing back through every one.
typedef struct {
    int B, C, H, W, OC, R;
    double *inp, *w, *b, *gamma, *beta, *w1, *w2;                   // checked
    double *conv, *act, *xhat, *mean, *invstd, *rm, *rv;            // (B,OC,H,W), (OC)
    double *pooled, *hpre, *hidden, *z, *s, *se, *out, *work;       // SE (B,OC)/(B,R), pool
    int32_t *argmax;
} BlockCtx;

static void block_fwd(void *p) {
    BlockCtx *c = p;
    int HW = c->H * c->W;
    size_t n = (size_t)c->B * c->OC * HW;
    conv2d_forward(c->conv, c->inp, c->w, c->b, c->B, c->C, c->H, c->W, c->OC, c->work);
    for (int i = 0; i < c->OC; i++) { c->rm[i] = 0; c->rv[i] = 1; }
    batchnorm_forward_train(c->act, c->xhat, c->mean, c->invstd, c->rm, c->rv, c->conv, c->gamma,
                            c->beta, c->B, c->OC, HW, 0.1, 1e-5);
    relu_forward(c->act, c->act, n);
    se_forward(c->se, c->pooled, c->hpre, c->hidden, c->z, c->s, c->act, c->w1, c->w2, c->B, c->OC,
               HW, c->R);
    maxpool2x2_forward(c->out, c->argmax, c->se, c->B, c->OC, c->H, c->W);
}

static uint64_t block_pattern(void *p) {
    BlockCtx *c = p;
    size_t n = (size_t)c->B * c->OC * c->H * c->W;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) { unsigned char on = c->act[i] > 0; h = fnv1a(h, &on, 1); }
    for (int i = 0; i < c->B * c->R; i++) { unsigned char on = c->hpre[i] > 0; h = fnv1a(h, &on, 1); }
    return fnv1a(h, c->argmax, n / 4 * sizeof(int32_t));
}

static void check_block(int B, int C, int H, int W, int OC) {
    int HW = H * W, R = OC / 16;
    size_t ni = (size_t)B * C * HW, nw = (size_t)OC * C * 9, n = (size_t)B * OC * HW, no = n / 4;
    BlockCtx c = {B, C, H, W, OC, R, randn_like(ni, 1), randn_like(nw, 0.3), randn_like(OC, 0.5),
                  randn_like(OC, 1), randn_like(OC, 1), randn_like((size_t)R * OC, 1.0 / sqrt(OC)),
                  randn_like((size_t)OC * R, 1.0 / sqrt(R)), alloc(n), alloc(n), alloc(n), alloc(OC),
                  alloc(OC), alloc(OC), alloc(OC), alloc((size_t)B * OC), alloc((size_t)B * R),
                  alloc((size_t)B * R), alloc((size_t)B * OC), alloc((size_t)B * OC), alloc(n), alloc(no),
                  alloc(conv2d_work_floats(B, C, H, W, OC)), calloc(no, sizeof(int32_t))};
    Probe pr = {block_fwd, &c, c.out, randn_like(no, 1), no, block_pattern};
    block_fwd(&c);
    int live = 0;
    for (int i = 0; i < B * R; i++) live += c.hpre[i] > 0;
    if (!live) // every SE hidden unit dead: its weights would get no gradient
        for (int i = 0; i < R * OC; i++) c.w1[i] = -c.w1[i];
    block_fwd(&c);
    double *g_se = alloc(n), *g_act = alloc(n), *g_bn = alloc(n), *g_conv = alloc(n);
    double *di = alloc(ni), *dw = alloc(nw), *db = alloc(OC), *dg = alloc(OC), *dbeta = alloc(OC);
    double *dw1 = alloc((size_t)R * OC), *dw2 = alloc((size_t)OC * R);
    maxpool2x2_backward(g_se, pr.dout, c.argmax, B, OC, H, W);
    se_backward(g_act, dw1, dw2, g_se, c.act, c.pooled, c.hidden, c.s, c.w1, c.w2, B, OC, HW, R);
    relu_backward(g_bn, g_act, c.act, n);
    batchnorm_backward(g_conv, dg, dbeta, g_bn, c.xhat, c.invstd, c.gamma, B, OC, HW);
    conv2d_backward(di, dw, db, g_conv, c.inp, c.w, B, C, H, W, OC, c.work);
    h_step = 1e-5; // conv.w and the BN/SE parameters move every activation: a small step
                   // keeps the points whose stencil crosses a kink (skipped) few
    gradcheck("block", "inp", c.inp, di, ni, &pr, NULL);
    gradcheck("block", "conv.w", c.w, dw, nw, &pr, NULL);
    // conv.b is not checked: the batch mean cancels it, so its gradient is 0 up to rounding.
    gradcheck("block", "bn.gamma", c.gamma, dg, OC, &pr, NULL);
    gradcheck("block", "bn.beta", c.beta, dbeta, OC, &pr, NULL);
    gradcheck("block", "se.w1", c.w1, dw1, (size_t)R * OC, &pr, NULL);
    gradcheck("block", "se.w2", c.w2, dw2, (size_t)OC * R, &pr, NULL);
    h_step = 1e-4;
    double *bufs[] = {c.inp, c.w, c.b, c.gamma, c.beta, c.w1, c.w2, c.conv, c.act, c.xhat, c.mean,
                      c.invstd, c.rm, c.rv, c.pooled, c.hpre, c.hidden, c.z, c.s, c.se, c.out, c.work,
                      (double *)pr.dout, g_se, g_act, g_bn, g_conv, di, dw, db, dg, dbeta, dw1, dw2};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
    free(c.argmax);
}

// ---- linear ----------------------------------------------------------------------------
typedef struct { int B, IC, OC; double *inp, *w, *b, *out; } LinCtx;

static void lin_fwd(void *p) {
    LinCtx *c = p;
    linear_forward(c->out, c->inp, c->w, c->b, c->B, c->IC, c->OC);
}

static void check_linear(int B, int IC, int OC) {
    size_t no = (size_t)B * OC;
    LinCtx c = {B, IC, OC, randn_like((size_t)B * IC, 1), randn_like((size_t)OC * IC, 0.3),
                randn_like(OC, 0.5), alloc(no)};
    Probe pr = {lin_fwd, &c, c.out, randn_like(no, 1), no, NULL};
    double *di = alloc((size_t)B * IC), *dw = alloc((size_t)OC * IC), *db = alloc(OC);
    linear_backward(di, dw, db, pr.dout, c.inp, c.w, B, IC, OC);
    gradcheck("linear", "inp", c.inp, di, (size_t)B * IC, &pr, NULL);
    gradcheck("linear", "weight", c.w, dw, (size_t)OC * IC, &pr, NULL);
    gradcheck("linear", "bias", c.b, db, OC, &pr, NULL);
    free(c.inp); free(c.w); free(c.b); free(c.out); free((void *)pr.dout); free(di); free(dw); free(db);
}

// ---- softmax + cross-entropy: out is the mean loss itself, dout = 1 ---------------------
typedef struct { int B, K; double *logits, *probs; uint8_t *labels; double loss; } XentCtx;

static void xent_fwd(void *p) {
    XentCtx *c = p;
    c->loss = softmax_xent_forward(c->probs, c->logits, c->labels, c->B, c->K);
}

static void check_xent(int B, int K) {
    XentCtx c = {B, K, randn_like((size_t)B * K, 2), alloc((size_t)B * K), calloc(B, 1), 0};
    for (int b = 0; b < B; b++) c.labels[b] = (uint8_t)rng_below(&rng, K);
    const double one = 1;
    Probe pr = {xent_fwd, &c, &c.loss, &one, 1, NULL};
    double *dl = alloc((size_t)B * K);
    xent_fwd(&c);
    softmax_xent_backward(dl, c.probs, c.labels, B, K);
    gradcheck("softmax_xent", "logits", c.logits, dl, (size_t)B * K, &pr, NULL);
    free(c.logits); free(c.probs); free(c.labels); free(dl);
}

int main(void) {
    rng_seed(&rng, 2024);
    printf("%-14s %-8s %6s %7s %10s %8s  %s\n", "layer", "param", "points", "skipped", "max_rel_err",
           "tol", "result");
    check_conv(2, 3, 5, 6, 4);
    check_conv(1, 8, 4, 4, 3);
    check_bn(3, 4, 9);
    check_bn(5, 6, 1); // HW = 1: statistics over the batch only
    check_elementwise(EW_RELU, 2, 3, 5, 5);
    check_elementwise(EW_POOL, 2, 3, 6, 6);
    check_elementwise(EW_POOL, 1, 2, 5, 7); // odd sizes: the last row/column gets no gradient
    check_elementwise(EW_DROPOUT, 2, 3, 4, 4);
    check_se(2, 32, 9, 2);
    check_se(3, 16, 4, 1);
    check_se(2, 24, 4, 20); // more hidden units than se_backward's stack block
    check_linear(3, 20, 7);
    check_block(2, 3, 4, 4, 32);
    check_xent(4, 10);
    printf("test_gradcheck: %s (%d failing checks)\n", failures ? "FAIL" : "ok", failures);
    return failures ? 1 : 0;
}
