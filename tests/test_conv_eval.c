// test_conv_eval.c - the fused eval-mode block conv_block_eval (c/conv_eval.c) against a
// scalar reference, under every GEMM kernel usable here, with 1 and 2 threads:
//   - conv: against the direct 3x3 convolution + bias summed in double, per element
//     |got - ref| <= max(1e-5, 1e-6 * S), S = sum |w * x| + |bias| (test_gemm's tolerance;
//     the Winograd route rounds its transforms, so S, not |ref|, is what bounds the error);
//   - act, pool, argmax: bit-identical to batchnorm_forward_eval, relu_forward and
//     maxpool2x2_forward run on the conv output it returned;
//   - thread count: the outputs of 1 and 2 threads are bit-identical;
//   - the filter cache: a second call reuses it, a call after the weights changed (one bit)
//     recomputes it, and a NULL cache gives the same bits.
// And se_pool_eval (SE + max-pool, eval mode) against se_forward + maxpool2x2_forward.
// Shapes cover the Winograd route (C >= 8, H even, W a multiple of 8), the im2col route
// (C = 3) and the fallback to the separate layers (W not a multiple of 8, odd H). Inputs:
// uniform, and one case whose values span six orders of magnitude.
// Usage: test_conv_eval [REFDIR] (unused). Exits 1 on any failure.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gemm.h"
#include "layers.h"
#include "threads.h"

static unsigned long long rs = 0x9E3779B97F4A7C15ULL;
static float frand(void) { // uniform in [-1, 1)
    rs ^= rs << 13; rs ^= rs >> 7; rs ^= rs << 17;
    return (float)((rs >> 40) * (1.0 / 8388608.0)) - 1.0f;
}

static int failures;
static double worst; // largest err / max(1e-5, 1e-6 S)

static float *alloc(size_t n) {
    float *p = calloc(n ? n : 1, sizeof(float));
    if (!p) { fprintf(stderr, "out of memory\n"); exit(2); }
    return p;
}

typedef struct { float *conv, *act, *pool; int32_t *argmax; } Out;

static Out out_alloc(size_t n) {
    Out o = {alloc(n), alloc(n), alloc(n / 4 + 1), calloc(n / 4 + 1, sizeof(int32_t))};
    if (!o.argmax) exit(2);
    return o;
}
static void out_free(Out *o) { free(o->conv); free(o->act); free(o->pool); free(o->argmax); }

static int same(const void *a, const void *b, size_t bytes) { return memcmp(a, b, bytes) == 0; }

static void run_case(const char *kname, int B, int C, int H, int W, int OC, int pool, int wide) {
    size_t ni = (size_t)B * C * H * W, nw = (size_t)OC * C * 9, no = (size_t)B * OC * H * W;
    float *x = alloc(ni), *w = alloc(nw), *bias = alloc(OC), *gam = alloc(OC), *bet = alloc(OC);
    float *rm = alloc(OC), *rv = alloc(OC);
    for (size_t i = 0; i < ni; i++) x[i] = wide ? frand() * powf(10.0f, 3.0f * frand()) : frand();
    for (size_t i = 0; i < nw; i++) w[i] = 0.3f * frand();
    for (int o = 0; o < OC; o++) {
        bias[o] = 0.1f * frand(); gam[o] = 1.0f + 0.5f * frand(); bet[o] = 0.2f * frand();
        rm[o] = 0.2f * frand(); rv[o] = 1.0f + 0.9f * frand();
    }
    float *work = alloc(conv_block_eval_work_floats(B, C, H, W, OC));
    float *cache = alloc(conv_block_eval_cache_floats(C, OC));
    Out r1 = out_alloc(no), r2 = out_alloc(no), r3 = out_alloc(no);
    int OH = H / 2, OW = W / 2;
    size_t np = (size_t)B * OC * OH * OW;

    threads_set(1);
    conv_block_eval(r1.conv, r1.act, pool ? r1.pool : NULL, pool ? r1.argmax : NULL, x, w, bias,
                    gam, bet, rm, rv, 1e-5f, B, C, H, W, OC, cache, work);
    // conv against the double-precision direct sum
    int bad = 0;
    for (int b = 0; b < B && bad < 3; b++)
        for (int o = 0; o < OC && bad < 3; o++)
            for (int y = 0; y < H && bad < 3; y++)
                for (int xx = 0; xx < W && bad < 3; xx++) {
                    double sum = bias[o], s = fabs(bias[o]);
                    for (int c = 0; c < C; c++)
                        for (int ky = 0; ky < 3; ky++)
                            for (int kx = 0; kx < 3; kx++) {
                                int iy = y + ky - 1, ix = xx + kx - 1;
                                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                                double p = (double)w[((size_t)o * C + c) * 9 + ky * 3 + kx] *
                                           x[(((size_t)b * C + c) * H + iy) * W + ix];
                                sum += p;
                                s += fabs(p);
                            }
                    float got = r1.conv[(((size_t)b * OC + o) * H + y) * W + xx];
                    double err = fabs((double)got - sum), tol = fmax(1e-5, 1e-6 * s);
                    if (err / tol > worst) worst = err / tol;
                    if (!(err <= tol)) {
                        printf("FAIL %s B=%d C=%d H=%d W=%d OC=%d%s: conv[%d,%d,%d,%d] = %.9g, "
                               "ref %.9g (err %.3g > tol %.3g)\n", kname, B, C, H, W, OC,
                               wide ? " wide" : "", b, o, y, xx, got, sum, err, tol);
                        failures++;
                        bad++;
                    }
                }
    // act, pool, argmax: the separate layers on the returned conv
    float *act = alloc(no), *pl = alloc(np + 1);
    int32_t *am = calloc(np + 1, sizeof(int32_t));
    if (!am) exit(2);
    batchnorm_forward_eval(act, r1.conv, gam, bet, rm, rv, B, OC, H * W, 1e-5f);
    relu_forward(act, act, no);
    if (!same(act, r1.act, no * sizeof(float))) {
        printf("FAIL %s B=%d C=%d H=%d W=%d OC=%d: act differs from bn + relu\n", kname, B, C, H, W, OC);
        failures++;
    }
    if (pool) {
        maxpool2x2_forward(pl, am, act, B, OC, H, W);
        if (!same(pl, r1.pool, np * sizeof(float)) || !same(am, r1.argmax, np * sizeof(int32_t))) {
            printf("FAIL %s B=%d C=%d H=%d W=%d OC=%d: pool/argmax differ from maxpool\n", kname, B,
                   C, H, W, OC);
            failures++;
        }
    }
    // two threads, the cache reused: same bits
    threads_set(2);
    conv_block_eval(r2.conv, r2.act, pool ? r2.pool : NULL, pool ? r2.argmax : NULL, x, w, bias,
                    gam, bet, rm, rv, 1e-5f, B, C, H, W, OC, cache, work);
    threads_set(1);
    int ok = same(r1.conv, r2.conv, no * 4) && same(r1.act, r2.act, no * 4) &&
             (!pool || (same(r1.pool, r2.pool, np * 4) && same(r1.argmax, r2.argmax, np * 4)));
    // no cache: same bits
    conv_block_eval(r3.conv, r3.act, pool ? r3.pool : NULL, pool ? r3.argmax : NULL, x, w, bias,
                    gam, bet, rm, rv, 1e-5f, B, C, H, W, OC, NULL, work);
    ok = ok && same(r1.conv, r3.conv, no * 4) && same(r1.act, r3.act, no * 4);
    if (!ok) {
        printf("FAIL %s B=%d C=%d H=%d W=%d OC=%d: 2 threads / no cache give other bits\n", kname,
               B, C, H, W, OC);
        failures++;
    }
    // change one weight by one bit: the cached transform must follow
    unsigned u;
    memcpy(&u, &w[nw / 2], 4);
    u ^= 1u << 20;
    memcpy(&w[nw / 2], &u, 4);
    conv_block_eval(r2.conv, r2.act, NULL, NULL, x, w, bias, gam, bet, rm, rv, 1e-5f, B, C, H, W,
                    OC, cache, work);
    conv_block_eval(r3.conv, r3.act, NULL, NULL, x, w, bias, gam, bet, rm, rv, 1e-5f, B, C, H, W,
                    OC, NULL, work);
    if (!same(r2.conv, r3.conv, no * 4) || same(r2.conv, r1.conv, no * 4)) {
        printf("FAIL %s B=%d C=%d H=%d W=%d OC=%d: stale filter cache after a weight changed\n",
               kname, B, C, H, W, OC);
        failures++;
    }
    free(x); free(w); free(bias); free(gam); free(bet); free(rm); free(rv); free(work);
    free(cache); free(act); free(pl); free(am);
    out_free(&r1); out_free(&r2); out_free(&r3);
}

// se_pool_eval against se_forward + maxpool2x2_forward: pooled within max(1e-6, 1e-6 *
// mean|x|) of the double-precision mean (it sums in another order), the small layers from
// that pooled exactly as se_forward computes them, out = inp * s and pool/argmax =
// maxpool2x2_forward(out) bit for bit.
static void run_se_case(int B, int C, int H, int W) {
    int R = C / 16 > 0 ? C / 16 : 1, HW = H * W;
    size_t n = (size_t)B * C * HW, np = (size_t)B * C * (H / 2) * (W / 2);
    float *x = alloc(n), *w1 = alloc((size_t)R * C), *w2 = alloc((size_t)C * R);
    for (size_t i = 0; i < n; i++) x[i] = frand() > -0.3f ? 2.0f * frand() + 2.0f : 0.0f;
    for (int i = 0; i < R * C; i++) { w1[i] = 0.3f * frand(); w2[i] = 0.3f * frand(); }
    float *out = alloc(n), *pool = alloc(np), *pooled = alloc((size_t)B * C);
    float *hp = alloc((size_t)B * R), *h = alloc((size_t)B * R), *z = alloc((size_t)B * C);
    float *s = alloc((size_t)B * C), *out2 = alloc(n), *pool2 = alloc(np);
    int32_t *am = calloc(np, sizeof(int32_t)), *am2 = calloc(np, sizeof(int32_t));
    if (!am || !am2) exit(2);
    se_pool_eval(out, pool, am, pooled, hp, h, z, s, x, w1, w2, B, C, H, W, R);
    int bad = 0;
    for (int b = 0; b < B; b++) {
        for (int c = 0; c < C; c++) {
            double sum = 0, sa = 0;
            for (int i = 0; i < HW; i++) {
                double v = x[((size_t)b * C + c) * HW + i];
                sum += v;
                sa += fabs(v);
            }
            double err = fabs(pooled[b * C + c] - sum / HW), tol = fmax(1e-6, 1e-6 * sa / HW);
            if (!(err <= tol) && bad++ < 3)
                printf("FAIL se_pool_eval B=%d C=%d H=%d W=%d: pooled[%d,%d] = %.9g, ref %.9g\n", B,
                       C, H, W, b, c, pooled[b * C + c], sum / HW);
        }
        for (int r = 0; r < R; r++) {
            float sum = 0;
            for (int c = 0; c < C; c++) sum += w1[r * C + c] * pooled[b * C + c];
            if (memcmp(&sum, &hp[b * R + r], 4) || h[b * R + r] != (sum > 0 ? sum : 0)) bad++;
        }
        for (int c = 0; c < C; c++) {
            float sum = 0;
            for (int r = 0; r < R; r++) sum += w2[c * R + r] * h[b * R + r];
            float sg = 1 / (1 + expf(-sum));
            if (memcmp(&sum, &z[b * C + c], 4) || memcmp(&sg, &s[b * C + c], 4)) bad++;
            for (int i = 0; i < HW; i++) {
                size_t k = ((size_t)b * C + c) * HW + i;
                out2[k] = x[k] * s[b * C + c];
            }
        }
    }
    maxpool2x2_forward(pool2, am2, out2, B, C, H, W);
    if (!same(out, out2, n * 4) || !same(pool, pool2, np * 4) || !same(am, am2, np * 4)) bad++;
    if (bad) {
        printf("FAIL se_pool_eval B=%d C=%d H=%d W=%d: %d mismatches\n", B, C, H, W, bad);
        failures++;
    }
    free(x); free(w1); free(w2); free(out); free(pool); free(pooled); free(hp); free(h); free(z);
    free(s); free(out2); free(pool2); free(am); free(am2);
}

int main(int argc, char **argv) {
    (void)argc; (void)argv;
    int quick = getenv("EXCITE_QUICK") != NULL;
    // B, C, H, W, OC, pool, wide
    static const int cases[][7] = {
        {2, 32, 16, 16, 64, 1, 0},  // block 2 (Winograd)
        {1, 64, 8, 8, 128, 1, 0},   // block 3, one image
        {3, 64, 8, 8, 128, 0, 0},   // block 3 without pool (CNN_SE)
        {5, 16, 8, 16, 24, 1, 0},   // several slices, non-square
        {2, 3, 32, 32, 32, 1, 0},   // block 1 (im2col)
        {1, 3, 32, 32, 32, 0, 0},
        {2, 8, 6, 10, 8, 1, 0},     // W % 8 != 0: the separate layers
        {2, 8, 7, 8, 4, 1, 0},      // odd H
        {2, 32, 16, 16, 64, 1, 1},  // wide dynamic range
        {2, 3, 32, 32, 32, 1, 1},
        {9, 32, 16, 16, 64, 1, 0},  // more images than slices x chunk
        {17, 64, 8, 8, 128, 1, 0},
    };
    int ncases = (int)(sizeof cases / sizeof *cases);
    for (int k = 0; k < gemm_num_kernels(); k++) {
        const char *name = gemm_kernel_name_at(k);
        gemm_select(name);
        for (int i = 0; i < ncases; i++) {
            const int *c = cases[i];
            if (quick && (c[0] > 3 || c[1] * c[4] > 32 * 64)) continue;
            run_case(name, c[0], c[1], c[2], c[3], c[4], c[5], c[6]);
        }
    }
    gemm_select(NULL);
    static const int se_cases[][4] = {{2, 32, 32, 32}, {3, 64, 16, 16}, {1, 128, 8, 8},
                                      {2, 16, 6, 10}, {2, 16, 7, 8}};
    for (int i = 0; i < (int)(sizeof se_cases / sizeof *se_cases); i++)
        run_se_case(se_cases[i][0], se_cases[i][1], se_cases[i][2], se_cases[i][3]);
    printf("test_conv_eval: %s (%d failures; worst conv error %.3g of its tolerance)\n",
           failures ? "FAIL" : "ok", failures, worst);
    return failures ? 1 : 0;
}
