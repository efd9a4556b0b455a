// test_conv_train.c - the training convolution (conv2d_forward, conv2d_backward) on both of
// its routes, Winograd F(2x2,3x3) (c/conv_train.c: C, OC >= 8, H even, W a multiple of 8;
// the weight gradient only with the scalar and SIMD128 kernels) and im2col + GEMM (other
// shapes and passes), under every GEMM kernel usable here:
//   - out, dinp, dweight, dbias against a direct 3x3 convolution summed in double, per
//     element |got - ref| <= max(FLOOR, REL * S), S the sum of the absolute values of the
//     terms (sum |w x| + |bias| for out, sum |w dout| for dinp, sum |dout x| for dweight,
//     sum |dout| for dbias), REL = 1e-6 (about 8 float ulps), as tests/test_conv_eval.c.
//     The gradients of the weights and biases sum B*H*W terms in float (in slices and
//     groups, on both routes): the largest err / S measured over these shapes is 1.8e-7
//     (dweight), 2.4e-7 (out), 1.7e-7 (dinp), so REL holds with a margin of 4;
//   - the backward adds into its outputs (they start from random values here), and
//     dinp = NULL / dweight = NULL give the same bits for the others;
//   - the Winograd route is taken where it should be (conv_wino_use), so the test cannot
//     pass on the im2col route alone;
//   - thread counts 1, 2, 3, 4, 7 and 16 give bit-identical results;
//   - with the kernels without FMA, conv1's shapes take the direct route (c/conv_direct.c),
//     with the bits of im2col + GEMM (as the eval block's conv1 output).
// Shapes: odd channel counts, non-square planes, B below, equal to and not a multiple of the
// 16 fixed slices, and batch 64 at block 2's shape.
// Usage: test_conv_train [REFDIR] (unused). Exits 1 on any failure.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "conv_train.h"
#include "gemm.h"
#include "layers.h"
#include "threads.h"

#define FLOOR 1e-5
#define REL 1e-6
#define REL_W REL

static unsigned long long rs = 0x2545F4914F6CDD1DULL;
static float frand(void) { // uniform in [-1, 1)
    rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17;
    return (float)((rs >> 40) * (1.0 / 8388608.0)) - 1.0f;
}

static int failures;
static double worst[4]; // largest err / tol for out, dinp, dweight, dbias

static float *alloc(size_t n) {
    float *p = calloc(n ? n : 1, sizeof(float));
    if (!p) { fprintf(stderr, "out of memory\n"); exit(2); }
    return p;
}
static float *copy(const float *src, size_t n) {
    float *p = alloc(n);
    memcpy(p, src, n * sizeof(float));
    return p;
}

static int check(int which, const char *what, const char *ctx, size_t i, double got, double ref,
                 double s, double rel) {
    double err = fabs(got - ref), tol = fmax(FLOOR, rel * s);
    if (err / tol > worst[which]) worst[which] = err / tol;
    if (err <= tol) return 0;
    if (failures++ < 10)
        printf("FAIL %s %s [%zu]: got %.9g ref %.9g (err %.3g > tol %.3g)\n", ctx, what, i, got,
               ref, err, tol);
    return 1;
}

typedef struct { float *out, *dinp, *dw, *db; } Res;

static Res run(int B, int C, int H, int W, int OC, const float *x, const float *w,
               const float *bias, const float *dout, const float *dinp0, const float *dw0,
               const float *db0) {
    size_t ni = (size_t)B * C * H * W, nw = (size_t)OC * C * 9, no = (size_t)B * OC * H * W;
    float *work = alloc(conv2d_work_floats(B, C, H, W, OC));
    Res r = {alloc(no), copy(dinp0, ni), copy(dw0, nw), copy(db0, OC)};
    conv2d_forward(r.out, x, w, bias, B, C, H, W, OC, work);
    conv2d_backward(r.dinp, r.dw, r.db, dout, x, w, B, C, H, W, OC, work);
    free(work);
    return r;
}
static void res_free(Res *r) { free(r->out); free(r->dinp); free(r->dw); free(r->db); }

static void run_case(const char *kname, int B, int C, int H, int W, int OC) {
    char ctx[160];
    static const char *route[] = {"im2col", "winograd"};
    snprintf(ctx, sizeof ctx, "%s B%d C%d %dx%d OC%d (forward %s, dinp %s, dweight %s)", kname,
             B, C, H, W, OC, route[conv_wino_use(CONV_FORWARD, C, H, W, OC)],
             route[conv_wino_use(CONV_DINP, C, H, W, OC)],
             route[conv_wino_use(CONV_DWEIGHT, C, H, W, OC)]);
    size_t ni = (size_t)B * C * H * W, nw = (size_t)OC * C * 9, no = (size_t)B * OC * H * W;
    float *x = alloc(ni), *w = alloc(nw), *bias = alloc(OC), *dout = alloc(no);
    float *dinp0 = alloc(ni), *dw0 = alloc(nw), *db0 = alloc(OC);
    for (size_t i = 0; i < ni; i++) { x[i] = frand(); dinp0[i] = frand(); }
    for (size_t i = 0; i < nw; i++) { w[i] = 0.3f * frand(); dw0[i] = frand(); }
    for (int o = 0; o < OC; o++) { bias[o] = 0.1f * frand(); db0[o] = frand(); }
    for (size_t i = 0; i < no; i++) dout[i] = frand();
    int fails = failures;

    threads_set(1);
    Res r = run(B, C, H, W, OC, x, w, bias, dout, dinp0, dw0, db0);
    // the double-precision direct convolution and its gradients, with the sums of |terms|
    double *ref_dw = calloc(nw, sizeof(double)), *s_dw = calloc(nw, sizeof(double));
    double *ref_di = calloc(ni, sizeof(double)), *s_di = calloc(ni, sizeof(double));
    if (!ref_dw || !s_dw || !ref_di || !s_di) exit(2);
    for (int b = 0; b < B; b++)
        for (int o = 0; o < OC; o++)
            for (int y = 0; y < H; y++)
                for (int xx = 0; xx < W; xx++) {
                    double sum = bias[o], s = fabs(bias[o]);
                    size_t oi = (((size_t)b * OC + o) * H + y) * W + xx;
                    double g = dout[oi];
                    for (int c = 0; c < C; c++)
                        for (int ky = 0; ky < 3; ky++)
                            for (int kx = 0; kx < 3; kx++) {
                                int iy = y + ky - 1, ix = xx + kx - 1;
                                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                                size_t ii = (((size_t)b * C + c) * H + iy) * W + ix;
                                size_t wi = (((size_t)o * C + c) * 3 + ky) * 3 + kx;
                                double t = (double)w[wi] * x[ii];
                                sum += t; s += fabs(t);
                                ref_di[ii] += (double)w[wi] * g; s_di[ii] += fabs((double)w[wi] * g);
                                ref_dw[wi] += g * x[ii]; s_dw[wi] += fabs(g * x[ii]);
                            }
                    check(0, "out", ctx, oi, r.out[oi], sum, s, REL);
                }
    for (size_t i = 0; i < ni; i++)
        if (check(1, "dinp", ctx, i, r.dinp[i], dinp0[i] + ref_di[i], fabs(dinp0[i]) + s_di[i], REL)) break;
    for (size_t i = 0; i < nw; i++)
        if (check(2, "dweight", ctx, i, r.dw[i], dw0[i] + ref_dw[i], fabs(dw0[i]) + s_dw[i], REL_W)) break;
    for (int o = 0; o < OC; o++) {
        double sum = db0[o], s = fabs(db0[o]);
        for (int b = 0; b < B; b++)
            for (int i = 0; i < H * W; i++) {
                double g = dout[((size_t)b * OC + o) * H * W + i];
                sum += g; s += fabs(g);
            }
        if (check(3, "dbias", ctx, (size_t)o, r.db[o], sum, s, REL_W)) break;
    }

    // NULL gradients change nothing else
    float *work = alloc(conv2d_work_floats(B, C, H, W, OC));
    float *di = copy(dinp0, ni), *dw = copy(dw0, nw), *db = copy(db0, OC);
    conv2d_backward(NULL, dw, db, dout, x, w, B, C, H, W, OC, work);
    conv2d_backward(di, NULL, NULL, dout, x, w, B, C, H, W, OC, work);
    if (memcmp(di, r.dinp, ni * 4) || memcmp(dw, r.dw, nw * 4) || memcmp(db, r.db, OC * 4)) {
        failures++;
        printf("FAIL %s: NULL gradients change the others\n", ctx);
    }
    free(work); free(di); free(dw); free(db);

    // any thread count: the same bits
    static const int counts[] = {2, 3, 4, 7, 16};
    for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++) {
        threads_set(counts[k]);
        Res t = run(B, C, H, W, OC, x, w, bias, dout, dinp0, dw0, db0);
        if (memcmp(t.out, r.out, no * 4) || memcmp(t.dinp, r.dinp, ni * 4) ||
            memcmp(t.dw, r.dw, nw * 4) || memcmp(t.db, r.db, OC * 4)) {
            failures++;
            printf("FAIL %s: %d threads differ from 1 thread\n", ctx, counts[k]);
        }
        res_free(&t);
    }
    threads_set(1);
    printf("%s %s\n", failures == fails ? "ok  " : "FAIL", ctx);
    res_free(&r);
    free(x); free(w); free(bias); free(dout); free(dinp0); free(dw0); free(db0);
    free(ref_dw); free(s_dw); free(ref_di); free(s_di);
}

// conv1's shapes (few input channels) under the kernels without FMA: the training forward's
// direct route (c/conv_direct.c) must give the bits of im2col + GEMM (gemm_ref sums each
// element over k in order from 0, as those micro-kernels do), and so must the eval block's
// conv output (im2col + GEMM there): training and eval agree bit for bit on conv1.
static void run_direct(const char *kname, int B, int C, int H, int W, int OC) {
    size_t HW = (size_t)H * W, K = (size_t)C * 9, n = (size_t)B * OC * HW;
    float *x = alloc((size_t)B * C * HW), *w = alloc((size_t)OC * K), *bias = alloc(OC);
    float *col = alloc(K * HW), *ref = alloc(n), *out = alloc(n), *conv = alloc(n), *act = alloc(n);
    float *gamma = alloc(OC), *beta = alloc(OC), *rm = alloc(OC), *rv = alloc(OC);
    float *work = alloc(conv2d_work_floats(B, C, H, W, OC));
    float *ework = alloc(conv_block_eval_work_floats(B, C, H, W, OC));
    for (size_t i = 0; i < (size_t)B * C * HW; i++) x[i] = frand();
    for (size_t i = 0; i < (size_t)OC * K; i++) w[i] = frand();
    for (int o = 0; o < OC; o++) {
        bias[o] = frand(); gamma[o] = frand(); beta[o] = frand(); rm[o] = frand();
        rv[o] = 1.0f + frand() * frand();
    }
    for (int b = 0; b < B; b++) {
        for (int c = 0; c < C; c++)
            for (int k = 0; k < 9; k++)
                for (int y = 0; y < H; y++)
                    for (int xx = 0; xx < W; xx++) {
                        int iy = y + k / 3 - 1, ix = xx + k % 3 - 1;
                        col[(c * 9 + k) * HW + (size_t)y * W + xx] =
                            iy < 0 || iy >= H || ix < 0 || ix >= W ? 0.0f
                                : x[((size_t)(b * C + c) * H + iy) * W + ix];
                    }
        float *rb = ref + (size_t)b * OC * HW;
        gemm_ref(0, 0, OC, (int)HW, (int)K, w, (int)K, col, (int)HW, rb, (int)HW, 0);
        for (int o = 0; o < OC; o++)
            for (size_t i = 0; i < HW; i++) rb[o * HW + i] += bias[o];
    }
    conv2d_forward(out, x, w, bias, B, C, H, W, OC, work);
    conv_block_eval(conv, act, NULL, NULL, x, w, bias, gamma, beta, rm, rv, 1e-5f, B, C, H, W, OC,
                    NULL, ework);
    int bad_t = memcmp(out, ref, n * sizeof(float)) != 0, bad_e = memcmp(conv, ref, n * sizeof(float)) != 0;
    printf("%s %s B%d C%d %dx%d OC%d (direct route, the bits of im2col + GEMM: training %s, eval block %s)\n",
           bad_t || bad_e ? "FAIL" : "ok  ", kname, B, C, H, W, OC, bad_t ? "differ" : "same",
           bad_e ? "differ" : "same");
    failures += bad_t + bad_e;
    free(x); free(w); free(bias); free(col); free(ref); free(out); free(conv); free(act);
    free(gamma); free(beta); free(rm); free(rv); free(work); free(ework);
}

int main(void) {
    int quick = getenv("EXCITE_QUICK") != NULL;
    static const int shapes[][5] = { // B, C, H, W, OC
        {1, 8, 8, 8, 8},   {3, 9, 6, 16, 12}, {5, 16, 10, 8, 11}, {16, 12, 8, 24, 16},
        {17, 32, 16, 16, 20}, {2, 3, 8, 8, 8},  {4, 8, 7, 8, 8},  {3, 8, 8, 12, 9},
        {3, 8, 8, 8, 5},   {64, 64, 8, 8, 128},
    };
    int n = sizeof shapes / sizeof shapes[0];
    for (int k = 0; k < gemm_num_kernels(); k++) {
        const char *kname = gemm_kernel_name_at(k);
        if (gemm_select(kname)) { printf("FAIL cannot select %s\n", kname); return 1; }
        int slow = !strcmp(kname, "scalar"), all = slow || !strcmp(kname, "wasm-simd128");
        int ok = 1; // forward and dinp on every kernel, dweight without FMA (c/conv_train.c)
        for (int p = CONV_FORWARD; p <= CONV_DWEIGHT; p++)
            ok &= conv_wino_use(p, 8, 8, 8, 8) == (p != CONV_DWEIGHT || all) &&
                  !conv_wino_use(p, 3, 8, 8, 8) && !conv_wino_use(p, 8, 8, 8, 4) &&
                  !conv_wino_use(p, 8, 7, 8, 8) && !conv_wino_use(p, 8, 8, 12, 8);
        if (!ok) {
            printf("FAIL %s: the Winograd route does not take the shapes it should\n", kname);
            failures++;
        }
        if (conv_direct_use(3, 32, 32, 32) != all || conv_direct_use(8, 8, 8, 8) ||
            conv_direct_use(3, 8, 12, 8) || conv_direct_use(3, 8, 8, 6)) {
            printf("FAIL %s: the direct route does not take the shapes it should\n", kname);
            failures++;
        }
        static const int direct[][5] = {{2, 3, 32, 32, 32}, {3, 1, 8, 8, 4}, {1, 4, 7, 16, 8},
                                        {5, 3, 6, 8, 12}, {17, 3, 8, 8, 8}};
        for (size_t i = 0; all && i < sizeof direct / sizeof direct[0]; i++)
            run_direct(kname, direct[i][0], direct[i][1], direct[i][2], direct[i][3], direct[i][4]);
        for (int i = 0; i < n; i++) {
            if (shapes[i][0] == 64 && (quick || !slow)) continue; // batch 64: once, on Winograd
            run_case(kname, shapes[i][0], shapes[i][1], shapes[i][2], shapes[i][3], shapes[i][4]);
        }
    }
    gemm_select("auto");
    printf("worst err/tol: out %.3f dinp %.3f dweight %.3f dbias %.3f\n", worst[0], worst[1],
           worst[2], worst[3]);
    if (failures) { printf("%d failure(s)\n", failures); return 1; }
    printf("all ok\n");
    return 0;
}
