// test_layers.c - every layer of c/layers.h against PyTorch 1.13 references made by
// tests/ref_layers.py (files REFDIR/layers_<case>.bin). Max relative error (tests/check.h:
// floor 3% of the tensor's max |value|) <= 1e-5 forward, <= 1e-4 gradients. Also checks
// that backward passes add into their outputs and skip NULL gradients, and dropout's mask;
// conv2d and linear run under every gemm kernel usable on the machine.
// Usage: test_layers REFDIR. Prints a table; exits 1 on any failure, 2 on a missing reference.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "gemm.h"
#include "layers.h"

#define TOL_FWD 1e-5
#define TOL_GRAD 1e-4

static const char *refdir;
static int failures;

static void load_case(RefFile *f, const char *cs) {
    char path[600];
    snprintf(path, sizeof path, "%s/layers_%s.bin", refdir, cs);
    if (ref_load(f, path)) exit(2);
}

static float *zeros(size_t n) {
    float *p = calloc(n ? n : 1, sizeof(float));
    if (!p) { fprintf(stderr, "out of memory\n"); exit(2); }
    return p;
}

static float *copy_of(const RefTensor *t) {
    float *p = zeros(t->numel);
    memcpy(p, t->data, t->numel * sizeof(float));
    return p;
}

static void check(const char *cs, const char *name, const float *got, RefTensor *want, double tol) {
    failures += check_close(cs, name, got, want->data, want->numel, tol);
}

// A second backward into the same buffers must double them: got2 == 2*got1.
static void check_adds(const char *cs, const char *name, const float *got2, const float *got1, size_t n) {
    float *twice = zeros(n);
    for (size_t i = 0; i < n; i++) twice[i] = 2 * got1[i];
    char label[64];
    snprintf(label, sizeof label, "%s (adds)", name);
    failures += check_close(cs, label, got2, twice, n, TOL_FWD);
    free(twice);
}

static void test_conv(const char *cs) {
    RefFile f;
    load_case(&f, cs);
    RefTensor *inp = ref_get(&f, "inp"), *w = ref_get(&f, "weight"), *bias = ref_get(&f, "bias");
    RefTensor *dout = ref_get(&f, "dout");
    int B = inp->dims[0], C = inp->dims[1], H = inp->dims[2], W = inp->dims[3], OC = w->dims[0];
    float *work = zeros(conv2d_work_floats(B, C, H, W, OC));
    float *out = zeros((size_t)B * OC * H * W), *dinp = zeros(inp->numel);
    float *dw = zeros(w->numel), *db = zeros(bias->numel);
    conv2d_forward(out, inp->data, w->data, bias->data, B, C, H, W, OC, work);
    check(cs, "out", out, ref_get(&f, "out"), TOL_FWD);
    conv2d_backward(dinp, dw, db, dout->data, inp->data, w->data, B, C, H, W, OC, work);
    check(cs, "dinp", dinp, ref_get(&f, "dinp"), TOL_GRAD);
    check(cs, "dweight", dw, ref_get(&f, "dweight"), TOL_GRAD);
    check(cs, "dbias", db, ref_get(&f, "dbias"), TOL_GRAD);

    float *dinp1 = zeros(inp->numel), *dw1 = zeros(w->numel);
    memcpy(dinp1, dinp, inp->numel * sizeof(float));
    memcpy(dw1, dw, w->numel * sizeof(float));
    conv2d_backward(dinp, dw, NULL, dout->data, inp->data, w->data, B, C, H, W, OC, work);
    check_adds(cs, "dinp", dinp, dinp1, inp->numel);
    check_adds(cs, "dweight", dw, dw1, w->numel);
    memset(dinp, 0, inp->numel * sizeof(float));
    conv2d_backward(dinp, NULL, NULL, dout->data, inp->data, w->data, B, C, H, W, OC, work);
    check(cs, "dinp (alone)", dinp, ref_get(&f, "dinp"), TOL_GRAD);
    conv2d_backward(NULL, NULL, NULL, dout->data, inp->data, w->data, B, C, H, W, OC, work);
    free(work); free(out); free(dinp); free(dw); free(db); free(dinp1); free(dw1);
    ref_free(&f);
}

static void test_bn(const char *cs) {
    RefFile f;
    load_case(&f, cs);
    RefTensor *inp = ref_get(&f, "inp"), *gamma = ref_get(&f, "gamma"), *beta = ref_get(&f, "beta");
    RefTensor *dout = ref_get(&f, "dout");
    int B = inp->dims[0], C = inp->dims[1], HW = inp->dims[2] * inp->dims[3];
    size_t n = inp->numel;
    float *out = zeros(n), *xhat = zeros(n), *mean = zeros(C), *invstd = zeros(C), *dinp = zeros(n);
    float *dgamma = zeros(C), *dbeta = zeros(C);
    float *rm = copy_of(ref_get(&f, "running_mean")), *rv = copy_of(ref_get(&f, "running_var"));
    batchnorm_forward_train(out, xhat, mean, invstd, rm, rv, inp->data, gamma->data, beta->data,
                            B, C, HW, 0.1f, 1e-5f);
    check(cs, "out", out, ref_get(&f, "out"), TOL_FWD);
    check(cs, "mean", mean, ref_get(&f, "mean"), TOL_FWD);
    check(cs, "invstd", invstd, ref_get(&f, "invstd"), TOL_FWD);
    check(cs, "running_mean", rm, ref_get(&f, "running_mean_after"), TOL_FWD);
    check(cs, "running_var", rv, ref_get(&f, "running_var_after"), TOL_FWD);
    batchnorm_backward(dinp, dgamma, dbeta, dout->data, xhat, invstd, gamma->data, B, C, HW);
    check(cs, "dinp", dinp, ref_get(&f, "dinp"), TOL_GRAD);
    check(cs, "dgamma", dgamma, ref_get(&f, "dgamma"), TOL_GRAD);
    check(cs, "dbeta", dbeta, ref_get(&f, "dbeta"), TOL_GRAD);
    float *dinp1 = zeros(n), *dg1 = zeros(C);
    memcpy(dinp1, dinp, n * sizeof(float));
    memcpy(dg1, dgamma, C * sizeof(float));
    batchnorm_backward(dinp, dgamma, NULL, dout->data, xhat, invstd, gamma->data, B, C, HW);
    check_adds(cs, "dinp", dinp, dinp1, n);
    check_adds(cs, "dgamma", dgamma, dg1, C);
    batchnorm_backward(NULL, NULL, NULL, dout->data, xhat, invstd, gamma->data, B, C, HW);

    // batch norm + ReLU in one pass: the same bytes as the two layers one after the other (and
    // some outputs are clipped, so the ReLU is exercised)
    {
        float *o2 = zeros(n), *xh2 = zeros(n), *m2 = zeros(C), *is2 = zeros(C);

        float *rm1 = copy_of(ref_get(&f, "running_mean")), *rv1 = copy_of(ref_get(&f, "running_var"));
        float *rm2 = copy_of(ref_get(&f, "running_mean")), *rv2 = copy_of(ref_get(&f, "running_var"));
        batchnorm_forward_train(out, xhat, mean, invstd, rm1, rv1, inp->data, gamma->data, beta->data, B, C, HW, 0.1f, 1e-5f);
        relu_forward(out, out, n);
        batchnorm_relu_forward_train(o2, xh2, m2, is2, rm2, rv2, inp->data, gamma->data, beta->data, B, C, HW, 0.1f, 1e-5f);
        int same_f = !memcmp(out, o2, n * 4) && !memcmp(xhat, xh2, n * 4) && !memcmp(mean, m2, C * 4) &&
                     !memcmp(invstd, is2, C * 4) && !memcmp(rm1, rm2, C * 4) && !memcmp(rv1, rv2, C * 4);
        int some_zero = 0;
        for (size_t i = 0; i < n; i++) some_zero += o2[i] == 0;
        printf("%-14s %-20s %10s %8s  %s\n", cs, "bn+relu = bn, relu", "exact", "-", same_f && some_zero ? "ok" : "FAIL");
        failures += !(same_f && some_zero);
        free(o2); free(xh2); free(m2); free(is2);
        free(rm1); free(rv1); free(rm2); free(rv2);
    }

    const float *rma = ref_get(&f, "running_mean_after")->data, *rva = ref_get(&f, "running_var_after")->data;
    batchnorm_forward_eval(out, inp->data, gamma->data, beta->data, rma, rva, B, C, HW, 1e-5f);
    check(cs, "eval out", out, ref_get(&f, "eval_out"), TOL_FWD);
    memset(dinp, 0, n * sizeof(float));
    batchnorm_backward_eval(dinp, dout->data, gamma->data, rva, B, C, HW, 1e-5f);
    check(cs, "eval dinp", dinp, ref_get(&f, "eval_dinp"), TOL_GRAD);
    free(out); free(xhat); free(mean); free(invstd); free(dinp); free(dgamma); free(dbeta);
    free(rm); free(rv); free(dinp1); free(dg1);
    ref_free(&f);
}

static void test_relu(void) {
    const char *cs = "relu";
    RefFile f;
    load_case(&f, cs);
    RefTensor *inp = ref_get(&f, "inp"), *dout = ref_get(&f, "dout");
    size_t n = inp->numel;
    float *out = copy_of(inp), *dinp = zeros(n);
    relu_forward(out, out, n); // in place, as the model uses it
    check(cs, "out", out, ref_get(&f, "out"), TOL_FWD);
    relu_backward(dinp, dout->data, out, n);
    check(cs, "dinp", dinp, ref_get(&f, "dinp"), TOL_GRAD);
    // in place (the training step's form): the same bits as into a zeroed buffer, with
    // -0, NaN and +-inf gradients and outputs of every sign among them
    size_t m = n + 64 + 5; // every pair of the odd values, and a tail past the 16-wide blocks
    float *g = malloc(m * sizeof(float)), *o = malloc(m * sizeof(float)), *want = zeros(m);
    const float odd[] = {-0.0f, 0.0f, NAN, INFINITY, -INFINITY, 1e-40f, -1e-40f, 2.5f};
    for (size_t i = 0; i < m; i++) {
        size_t j = i - n;
        g[i] = i < n ? dout->data[i] : odd[j % 8];
        o[i] = i < n ? out[i] : odd[(j / 8) % 8];
    }
    relu_backward(want, g, o, m);
    relu_backward_inplace(g, o, m);
    int same = !memcmp(g, want, m * sizeof(float));
    printf("%-14s %-20s %10s %8s  %s\n", cs, "dinp in place", "exact", "-", same ? "ok" : "FAIL");
    failures += !same;
    free(g); free(o); free(want);
    // NaN propagates through ReLU and wins a max-pool window, as in PyTorch, so a diverged
    // step is seen in the loss instead of being hidden.
    float nan_in[4] = {1, NAN, -1, 0.5f}, nan_out[4], pooled;
    int32_t am;
    relu_forward(nan_out, nan_in, 4);
    maxpool2x2_forward(&pooled, &am, nan_in, 1, 1, 2, 2);
    int bad = !isnan(nan_out[1]) || nan_out[2] != 0 || !isnan(pooled) || am != 1;
    printf("%-14s %-20s %10s %8s  %s\n", cs, "NaN propagation", "exact", "-", bad ? "FAIL" : "ok");
    failures += bad;
    free(out); free(dinp);
    ref_free(&f);
}

static void test_maxpool(const char *cs) {
    RefFile f;
    load_case(&f, cs);
    RefTensor *inp = ref_get(&f, "inp"), *dout = ref_get(&f, "dout");
    int B = inp->dims[0], C = inp->dims[1], H = inp->dims[2], W = inp->dims[3];
    size_t on = (size_t)B * C * (H / 2) * (W / 2);
    float *out = zeros(on), *dinp = zeros(inp->numel);
    int32_t *argmax = calloc(on, sizeof(int32_t));
    maxpool2x2_forward(out, argmax, inp->data, B, C, H, W);
    check(cs, "out", out, ref_get(&f, "out"), TOL_FWD);
    maxpool2x2_backward(dinp, dout->data, argmax, B, C, H, W);
    check(cs, "dinp", dinp, ref_get(&f, "dinp"), TOL_GRAD);
    free(out); free(dinp); free(argmax);
    ref_free(&f);
}

static void test_se(const char *cs) {
    RefFile f;
    load_case(&f, cs);
    RefTensor *inp = ref_get(&f, "inp"), *w1 = ref_get(&f, "w1"), *w2 = ref_get(&f, "w2");
    RefTensor *dout = ref_get(&f, "dout");
    int B = inp->dims[0], C = inp->dims[1], HW = inp->dims[2] * inp->dims[3], R = w1->dims[0];
    size_t n = inp->numel;
    float *out = zeros(n), *pooled = zeros((size_t)B * C), *hpre = zeros((size_t)B * R);
    float *hidden = zeros((size_t)B * R), *z = zeros((size_t)B * C), *s = zeros((size_t)B * C);
    float *dinp = zeros(n), *dw1 = zeros(w1->numel), *dw2 = zeros(w2->numel);
    se_forward(out, pooled, hpre, hidden, z, s, inp->data, w1->data, w2->data, B, C, HW, R);
    check(cs, "out", out, ref_get(&f, "out"), TOL_FWD);
    check(cs, "pooled", pooled, ref_get(&f, "pooled"), TOL_FWD);
    check(cs, "hidden", hidden, ref_get(&f, "hidden"), TOL_FWD);
    check(cs, "s", s, ref_get(&f, "s"), TOL_FWD);
    se_backward(dinp, dw1, dw2, dout->data, inp->data, pooled, hidden, s, w1->data, w2->data, B, C, HW, R);
    check(cs, "dinp", dinp, ref_get(&f, "dinp"), TOL_GRAD);
    check(cs, "dw1", dw1, ref_get(&f, "dw1"), TOL_GRAD);
    check(cs, "dw2", dw2, ref_get(&f, "dw2"), TOL_GRAD);
    float *dinp1 = zeros(n);
    memcpy(dinp1, dinp, n * sizeof(float));
    se_backward(dinp, NULL, NULL, dout->data, inp->data, pooled, hidden, s, w1->data, w2->data, B, C, HW, R);
    check_adds(cs, "dinp", dinp, dinp1, n);
    se_backward(NULL, NULL, NULL, dout->data, inp->data, pooled, hidden, s, w1->data, w2->data, B, C, HW, R);
    free(out); free(pooled); free(hpre); free(hidden); free(z); free(s); free(dinp); free(dw1);
    free(dw2); free(dinp1);
    ref_free(&f);
}

static void test_linear(void) {
    const char *cs = "linear";
    RefFile f;
    load_case(&f, cs);
    RefTensor *inp = ref_get(&f, "inp"), *w = ref_get(&f, "weight"), *bias = ref_get(&f, "bias");
    RefTensor *dout = ref_get(&f, "dout");
    int B = inp->dims[0], IC = inp->dims[1], OC = w->dims[0];
    float *out = zeros((size_t)B * OC), *dinp = zeros(inp->numel), *dw = zeros(w->numel);
    float *db = zeros(bias->numel);
    linear_forward(out, inp->data, w->data, bias->data, B, IC, OC);
    check(cs, "out", out, ref_get(&f, "out"), TOL_FWD);
    linear_backward(dinp, dw, db, dout->data, inp->data, w->data, B, IC, OC);
    check(cs, "dinp", dinp, ref_get(&f, "dinp"), TOL_GRAD);
    check(cs, "dweight", dw, ref_get(&f, "dweight"), TOL_GRAD);
    check(cs, "dbias", db, ref_get(&f, "dbias"), TOL_GRAD);
    float *di1 = zeros(inp->numel), *dw1 = zeros(w->numel), *db1 = zeros(bias->numel);
    memcpy(di1, dinp, inp->numel * sizeof(float));
    memcpy(dw1, dw, w->numel * sizeof(float));
    memcpy(db1, db, bias->numel * sizeof(float));
    linear_backward(dinp, dw, db, dout->data, inp->data, w->data, B, IC, OC);
    check_adds(cs, "dinp", dinp, di1, inp->numel);
    check_adds(cs, "dweight", dw, dw1, w->numel);
    check_adds(cs, "dbias", db, db1, bias->numel);
    memset(dinp, 0, inp->numel * sizeof(float));
    linear_backward(dinp, NULL, NULL, dout->data, inp->data, w->data, B, IC, OC);
    check(cs, "dinp (alone)", dinp, ref_get(&f, "dinp"), TOL_GRAD);
    linear_backward(NULL, NULL, NULL, dout->data, inp->data, w->data, B, IC, OC);
    free(out); free(dinp); free(dw); free(db); free(di1); free(dw1); free(db1);
    ref_free(&f);
}

static void test_xent(void) {
    const char *cs = "xent";
    RefFile f;
    load_case(&f, cs);
    RefTensor *logits = ref_get(&f, "logits"), *lab = ref_get(&f, "labels");
    int B = logits->dims[0], K = logits->dims[1];
    uint8_t *labels = calloc((size_t)B, 1);
    for (int b = 0; b < B; b++) labels[b] = (uint8_t)lab->data[b];
    float *probs = zeros(logits->numel), *dl = zeros(logits->numel);
    float loss = softmax_xent_forward(probs, logits->data, labels, B, K);
    check(cs, "loss", &loss, ref_get(&f, "loss"), TOL_FWD);
    check(cs, "probs", probs, ref_get(&f, "probs"), TOL_FWD);
    softmax_xent_backward(dl, probs, labels, B, K);
    check(cs, "dlogits", dl, ref_get(&f, "dlogits"), TOL_GRAD);
    free(labels); free(probs); free(dl);
    ref_free(&f);
}

// Dropout draws from excite's own generator, so it is checked by its definition.
static void test_dropout(void) {
    enum { N = 20000 };
    float *inp = zeros(N), *out = zeros(N), *mask = zeros(N), *dout = zeros(N), *dinp = zeros(N);
    Rng rng, rng2;
    rng_seed(&rng, 7);
    for (int i = 0; i < N; i++) { inp[i] = rng_range(&rng, -2, 2); dout[i] = rng_range(&rng, -1, 1); }
    int bad = 0;
    double frac[2];
    const float ps[2] = {0.5f, 0.25f};
    rng_seed(&rng, 42);
    for (int t = 0; t < 2; t++) {
        float p = ps[t], scale = 1 / (1 - p);
        int kept = 0;
        memset(dinp, 0, N * sizeof(float));
        dropout_forward(out, mask, inp, N, p, &rng);
        dropout_backward(dinp, dout, mask, N);
        for (int i = 0; i < N; i++) {
            kept += mask[i] != 0;
            bad += !(mask[i] == 0 || mask[i] == scale) || out[i] != inp[i] * mask[i] ||
                   dinp[i] != dout[i] * mask[i];
        }
        frac[t] = (double)kept / N; // binomial sd <= 0.0036: +-0.03 is > 8 sd
        bad += fabs(frac[t] - (1 - p)) > 0.03;
    }
    rng2 = rng;
    dropout_forward(out, mask, inp, N, 0.0f, &rng);
    for (int i = 0; i < N; i++) bad += out[i] != inp[i] || mask[i] != 1;
    bad += memcmp(&rng, &rng2, sizeof rng) != 0; // p = 0 draws nothing
    dropout_forward(out, mask, inp, N, 1.0f, &rng);
    for (int i = 0; i < N; i++) bad += out[i] != 0;
    printf("%-14s %-20s %10s %8s  %s (kept %.4f at p=0.5, %.4f at p=0.25)\n", "dropout",
           "mask/out/dinp", "exact", "-", bad ? "FAIL" : "ok", frac[0], frac[1]);
    failures += bad != 0;
    free(inp); free(out); free(mask); free(dout); free(dinp);
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: test_layers REFDIR\n"); return 2; }
    refdir = argv[1];
    printf("gemm kernel: %s\n", gemm_kernel_name());
    printf("%-14s %-20s %10s %8s  %s\n", "case", "tensor", "max_rel_err", "tol", "result");
    test_conv("conv_a");
    test_conv("conv_b");
    test_bn("bn_a");
    test_bn("bn_b");
    test_relu();
    test_maxpool("maxpool_a");
    test_maxpool("maxpool_odd");
    test_maxpool("maxpool_ties");
    test_se("se_c32");
    test_se("se_c16");
    test_linear();
    test_xent();
    test_dropout();
    const char *first = gemm_kernel_name();
    for (int k = 0; k < gemm_num_kernels(); k++) { // the gemm users again under every other kernel
        const char *name = gemm_kernel_name_at(k);
        if (!strcmp(name, first) || gemm_select(name)) continue;
        printf("-- gemm kernel: %s\n", name);
        test_conv("conv_a");
        test_conv("conv_b");
        test_linear();
    }
    gemm_select(NULL);
    printf("test_layers: %s (%d failing checks)\n", failures ? "FAIL" : "ok", failures);
    return failures ? 1 : 0;
}
