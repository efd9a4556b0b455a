// test_model.c - CNN and CNN_SE end to end against PyTorch 1.13 (references from
// tests/ref_model.py in REFDIR): the same initial weights (a safetensors file PyTorch wrote)
// and 20 Adam steps on the same batches with dropout off give the same losses, final weights,
// BN running statistics, eval logits, SE scales and Grad-CAM maps. Then the reverse: weights
// trained here are saved, and tests/reverse_model.py loads them into the lesson's classes
// (load_state_dict strict) and compares logits. Also: save/load round trips (F32 and F16),
// same seed => identical bytes, refused divergent steps leave the state untouched, the undo
// of a step, ReduceLROnPlateau against PyTorch's schedule.
// Usage: test_model REFDIR. Exits 1 on any failure, 2 when a reference is missing.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"
#include "model_impl.h" // the gradient buffer, for the step-1 gradient check
#include "optim.h"
#include "safetensors.h"

// Tolerances (measured margins are in the printed table; see the report in the commit log).
#define TOL_GRAD 1e-4           // step-1 gradients, max|diff| / max|grad| per tensor
#define TOL_GRAD_BIAS_ABS 1e-6  // step-1 conv-bias gradients (0 in exact arithmetic), absolute
#define TOL_LOSS 1e-4           // absolute, per step (the figure)
#define TOL_ADAM 1e-6           // Adam from identical gradients, max|diff| / max|torch|
#define TOL_RMS 2e-3            // final weights, running variances: RMS |diff| / max|torch|
#define TOL_RMS_NOISY 0.1       // conv biases and running means (see check_tensors)
#define TOL_LOGITS_TRAINED 1e-2 // eval logits, weights trained here vs trained by PyTorch
#define TOL_LOGITS 1e-4         // eval logits, the same weights in both (absolute)
#define TOL_CAM 1e-4            // Grad-CAM, same weights, relative to the map's max
#define TOL_SE 1e-6             // SE scales s, same weights, absolute

static const char *refdir;
#include "expect.h"

// ---- reference files (safetensors written by the Python scripts) ------------------------
typedef struct {
    uint8_t *buf;
    size_t len;
    StFile f;
} Ref;

static uint8_t *read_all(const char *path, size_t *len) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
    if (!b || fread(b, 1, (size_t)n, fp) != (size_t)n) { free(b); fclose(fp); return NULL; }
    fclose(fp);
    *len = (size_t)n;
    return b;
}

static void ref_open(Ref *r, const char *name) {
    char path[600], err[256];
    snprintf(path, sizeof path, "%s/%s", refdir, name);
    r->buf = read_all(path, &r->len);
    if (!r->buf) { fprintf(stderr, "%s: cannot read (run tests/ref_model.py first)\n", path); exit(2); }
    if (st_parse(&r->f, r->buf, r->len, err, sizeof err)) { fprintf(stderr, "%s: %s\n", path, err); exit(2); }
}

static void ref_close(Ref *r) {
    st_free(&r->f);
    free(r->buf);
}

static const StEntry *ref_entry(Ref *r, const char *name, StDType dt) {
    const StEntry *e = st_find(&r->f, name);
    if (!e || e->dtype != dt) { fprintf(stderr, "reference tensor %s missing or not %s\n", name, st_dtype_name(dt)); exit(2); }
    return e;
}

// Copies out (the data in the file is not aligned).
static float *ref_f32(Ref *r, const char *name, size_t *n) {
    const StEntry *e = ref_entry(r, name, ST_F32);
    float *p = malloc(e->numel * sizeof(float) + 1);
    memcpy(p, e->data, e->numel * sizeof(float));
    if (n) *n = e->numel;
    return p;
}
static double ref_f64_at(Ref *r, const char *name, size_t i) {
    const StEntry *e = ref_entry(r, name, ST_F64);
    double v;
    memcpy(&v, e->data + 8 * i, 8);
    return v;
}
static double *ref_f64(Ref *r, const char *name, size_t *n) {
    const StEntry *e = ref_entry(r, name, ST_F64);
    double *p = malloc(e->numel * sizeof(double) + 1);
    memcpy(p, e->data, e->numel * sizeof(double));
    if (n) *n = e->numel;
    return p;
}
static int64_t ref_i64_at(Ref *r, const char *name, size_t i) {
    const StEntry *e = ref_entry(r, name, ST_I64);
    int64_t v;
    memcpy(&v, e->data + 8 * i, 8);
    return v;
}

// ---- comparisons ------------------------------------------------------------------------
static double max_abs_diff(const float *a, const float *b, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= m)) m = d; // NaN propagates
    }
    return m;
}
static double max_abs(const float *a, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fabs((double)a[i]) > m ? fabs((double)a[i]) : m;
    return m;
}

static Model *new_model(ModelKind kind, uint64_t seed) {
    Model *m = model_create(kind, seed, 16);
    if (!m) { fprintf(stderr, "out of memory\n"); exit(2); }
    return m;
}

// Snapshot of everything a refused step must leave alone.
typedef struct {
    uint8_t *st;
    size_t st_len;
    float *am, *av;
    int64_t t;
} Snapshot;

static void snap(Model *m, Snapshot *s) {
    if (model_save_safetensors(m, 0, &s->st, &s->st_len)) { fprintf(stderr, "%s\n", model_error(m)); exit(2); }
    size_t n = model_num_params(m);
    s->am = malloc(n * sizeof(float));
    s->av = malloc(n * sizeof(float));
    memcpy(s->am, model_adam_m(m), n * sizeof(float));
    memcpy(s->av, model_adam_v(m), n * sizeof(float));
    s->t = *model_adam_t(m);
}
static int snap_equal(Model *m, const Snapshot *s) {
    Snapshot now;
    snap(m, &now);
    size_t n = model_num_params(m) * sizeof(float);
    int eq = now.st_len == s->st_len && memcmp(now.st, s->st, s->st_len) == 0 &&
             memcmp(now.am, s->am, n) == 0 && memcmp(now.av, s->av, n) == 0 && now.t == s->t;
    free(now.st); free(now.am); free(now.av);
    return eq;
}
static void snap_free(Snapshot *s) { free(s->st); free(s->am); free(s->av); }

// ---- the end-to-end comparison ----------------------------------------------------------
typedef struct {
    double grad, adam, loss, weight, bias_pre_bn, outliers, logits_trained, logits, cam, se;
} Worst;

static void worst(double *slot, double v) {
    if (!(v <= *slot)) *slot = v;
}

static void batch_at(Ref *batches, int s, float *x, uint8_t *y, int *B) {
    const StEntry *xe = ref_entry(batches, "x", ST_F32), *ye = ref_entry(batches, "y", ST_I64);
    int b = (int)xe->shape[1];
    memcpy(x, xe->data + (size_t)s * b * IMG_SIZE * sizeof(float), (size_t)b * IMG_SIZE * sizeof(float));
    for (int i = 0; i < b; i++) {
        int64_t v;
        memcpy(&v, ye->data + 8 * ((size_t)s * b + i), 8);
        y[i] = (uint8_t)v;
    }
    *B = b;
}

static int is_pre_bn_bias(const char *name) { return strncmp(name, "conv", 4) == 0 && strstr(name, ".bias"); }

// Gradients of the first step (same weights, same batch) against autograd's, relative to
// each tensor's max |grad|. Conv biases are checked in absolute terms: batch-norm right
// after the conv cancels them, so both gradients are rounding noise around 0.
static void check_step1_grads(ModelKind kind, Ref *ref, Ref *batches, Worst *w) {
    const char *name = model_kind_name(kind);
    char path[600];
    Model *m = new_model(kind, 1);
    model_set_dropout(m, 0);
    snprintf(path, sizeof path, "%s/model_%s_init.safetensors", refdir, name);
    if (model_load_file(m, path)) { printf("FAIL %s\n", model_error(m)); exit(1); }
    float *x = malloc(64 * IMG_SIZE * sizeof(float));
    uint8_t y[64];
    int B;
    batch_at(batches, 0, x, y, &B);
    model_forward(m, x, B, 1);
    model_loss(m, y, B);
    model_zero_grad(m);
    model_backward(m, y, B);
    double worst_rel = 0, worst_bias = 0;
    for (int i = 0; i < model_num_tensors(m); i++) {
        const Tensor *t = model_tensor(m, i);
        if (!t->trainable) continue;
        char gn[80];
        snprintf(gn, sizeof gn, "grad1.%s", t->name);
        size_t n;
        float *want = ref_f32(ref, gn, &n);
        const float *got = m->grads + (t->data - m->params);
        double d = max_abs_diff(got, want, n), mx = max_abs(want, n);
        if (is_pre_bn_bias(t->name)) {
            if (!(d <= worst_bias)) worst_bias = d;
            CHECK(d <= TOL_GRAD_BIAS_ABS, "%s step-1 %s: |diff| %.3g", name, gn, d);
        } else {
            double rel = d / (mx > 0 ? mx : 1);
            if (!(rel <= worst_rel)) worst_rel = rel;
            CHECK(rel <= TOL_GRAD, "%s step-1 %s: max|diff|/max %.3g", name, gn, rel);
        }
        free(want);
    }
    printf("%s: step-1 gradients vs autograd: max|diff|/max %.3g (tol %.0e); conv biases (zero in "
           "exact arithmetic) max|diff| %.3g (tol %.0e)\n",
           name, worst_rel, TOL_GRAD, worst_bias, TOL_GRAD_BIAS_ABS);
    worst(&w->grad, worst_rel);
    free(x);
    model_free(m);
}

// Adam alone: PyTorch's own gradients of steps 1 and 2 fed to model_adam_step from the same
// initial weights must give PyTorch's parameters after step 2 (to float32 rounding).
static void check_adam(ModelKind kind, Ref *ref, Worst *w) {
    const char *name = model_kind_name(kind);
    char path[600];
    Model *m = new_model(kind, 1);
    snprintf(path, sizeof path, "%s/model_%s_init.safetensors", refdir, name);
    if (model_load_file(m, path)) { printf("FAIL %s\n", model_error(m)); exit(1); }
    AdamConfig cfg = adam_default();
    cfg.lr = (float)ref_f64_at(ref, "lr", 0);
    cfg.weight_decay = (float)ref_f64_at(ref, "weight_decay", 0);
    for (int step = 1; step <= 2; step++) {
        for (int i = 0; i < model_num_tensors(m); i++) {
            const Tensor *t = model_tensor(m, i);
            if (!t->trainable) continue;
            char gn[80];
            snprintf(gn, sizeof gn, "grad%d.%s", step, t->name);
            float *g = ref_f32(ref, gn, NULL);
            memcpy(m->grads + (t->data - m->params), g, t->numel * sizeof(float));
            free(g);
        }
        model_adam_step(m, &cfg);
    }
    double wr = 0;
    long ulps = 0;
    for (int i = 0; i < model_num_tensors(m); i++) {
        const Tensor *t = model_tensor(m, i);
        if (!t->trainable) continue;
        char pn[80];
        snprintf(pn, sizeof pn, "step2.%s", t->name);
        size_t n;
        float *want = ref_f32(ref, pn, &n);
        double mx = max_abs(want, n), d = max_abs_diff(t->data, want, n) / (mx > 0 ? mx : 1);
        if (d > wr) wr = d;
        for (size_t j = 0; j < n; j++) {
            int32_t a, b;
            memcpy(&a, &t->data[j], 4);
            memcpy(&b, &want[j], 4);
            long u = labs((long)a - (long)b);
            if (u > ulps) ulps = u;
        }
        free(want);
    }
    worst(&w->adam, wr);
    printf("%s: Adam (weight decay %g) fed PyTorch's gradients of steps 1-2: max|diff|/max %.3g, "
           "max %ld ulp (tol %.0e)\n", name, (double)cfg.weight_decay, wr, ulps, TOL_ADAM);
    CHECK(wr <= TOL_ADAM, "%s: Adam differs from torch.optim.Adam by %.3g", name, wr);
    model_free(m);
}

// Final state dict against PyTorch's (float32 run), next to how far PyTorch's own float32
// run is from its float64 run (the sensitivity of 20 Adam steps to rounding). Per tensor:
// max and RMS of |diff| relative to max|torch|, and the number of elements off by more than
// 1e-3 of that max. The RMS and the outlier count carry the check: Adam turns a gradient
// near zero (|g| ~ eps = 1e-8, e.g. an fc1 weight whose input feature is almost always 0
// after ReLU) into a step of lr * g / (|g| + eps), so a rounding-level difference in g moves
// a handful of isolated elements by ~lr; PyTorch's float32 and float64 runs show the same.
// Conv biases (batch-norm cancels their gradient, which is pure rounding noise ~1e-7 and so
// above eps) and the running means that follow them drift by ~lr per step in every float32
// implementation; they get a looser RMS bound.
static void check_tensors(Model *m, Ref *fin, Ref *fin64, const char *kind, Worst *w) {
    printf("  %-22s | %9s %9s %5s | %9s %9s %5s   (max, rms rel to max|torch|; # > 1e-3)\n", "tensor",
           "C-torch", "", "", "torch32-64", "", "");
    for (int i = 0; i < model_num_tensors(m); i++) {
        const Tensor *t = model_tensor(m, i);
        if (t->dtype == DTYPE_I64) {
            int64_t want = ref_i64_at(fin, t->name, 0);
            CHECK(*t->data_i64 == want, "%s %s: %lld, torch %lld", kind, t->name,
                  (long long)*t->data_i64, (long long)want);
            continue;
        }
        size_t n;
        float *want = ref_f32(fin, t->name, &n);
        double *w64 = ref_f64(fin64, t->name, NULL);
        CHECK(n == t->numel, "%s %s: numel %zu vs %zu", kind, t->name, t->numel, n);
        double mx = max_abs(want, n), scale = mx > 0 ? mx : 1;
        double mc = 0, sc = 0, m6 = 0, s6 = 0;
        int oc = 0, o6 = 0;
        for (size_t j = 0; j < n; j++) {
            double dc = fabs((double)t->data[j] - want[j]) / scale, d6 = fabs((double)want[j] - w64[j]) / scale;
            if (!(dc <= mc)) mc = dc;
            if (d6 > m6) m6 = d6;
            sc += dc * dc;
            s6 += d6 * d6;
            oc += !(dc <= 1e-3);
            o6 += d6 > 1e-3;
        }
        sc = sqrt(sc / n);
        s6 = sqrt(s6 / n);
        int noisy = is_pre_bn_bias(t->name) || strstr(t->name, "running_mean");
        int ok = sc <= (noisy ? TOL_RMS_NOISY : TOL_RMS);
        worst(noisy ? &w->bias_pre_bn : &w->weight, sc);
        if (!noisy) worst(&w->outliers, oc);
        printf("  %-22s | %9.2e %9.2e %5d | %9.2e %9.2e %5d%s\n", t->name, mc, sc, oc, m6, s6, o6,
               ok ? "" : "  FAIL");
        CHECK(ok, "%s %s: rms %.3g > %.0e", kind, t->name, sc, noisy ? TOL_RMS_NOISY : TOL_RMS);
        free(want);
        free(w64);
    }
}

// Eval forward, SE scales and Grad-CAM with PyTorch's own final weights loaded (so these
// measure the eval-mode code, not the training drift).
static void check_eval(ModelKind kind, Ref *ref, Worst *w) {
    const char *name = model_kind_name(kind);
    char path[600];
    Model *m = new_model(kind, 2);
    snprintf(path, sizeof path, "%s/model_%s_final.safetensors", refdir, name);
    if (model_load_file(m, path)) { printf("FAIL %s\n", model_error(m)); exit(1); }
    size_t n;
    float *ex = ref_f32(ref, "eval_x", &n);
    float *want = ref_f32(ref, "eval_logits", NULL);
    int EB = (int)(n / IMG_SIZE);
    CHECK(model_forward(m, ex, EB, 0) == 0, "eval forward: %s", model_error(m));
    double d = max_abs_diff(model_logits(m), want, (size_t)EB * NUM_CLASSES);
    worst(&w->logits, d);
    printf("  with PyTorch's final weights: eval logits (%d images) max|diff| %.3g (tol %.0e)\n", EB, d,
           TOL_LOGITS);
    CHECK(d <= TOL_LOGITS, "%s eval logits differ by %.3g", name, d);
    if (kind == MODEL_CNN_SE) {
        for (int b = 0; b < NUM_BLOCKS; b++) {
            SEView v;
            char nm[16];
            snprintf(nm, sizeof nm, "se_s%d", b);
            float *s = ref_f32(ref, nm, &n);
            CHECK(model_se_view(m, b, 0, &v) == 0 && (size_t)v.C == n, "se view block %d", b);
            double ds = max_abs_diff(v.s, s, n);
            worst(&w->se, ds);
            printf("  SE scales s, block %d: max|diff| %.3g (tol %.0e)\n", b, ds, TOL_SE);
            CHECK(ds <= TOL_SE, "%s SE scales block %d differ by %.3g", name, b, ds);
            free(s);
        }
    } else {
        SEView v;
        CHECK(model_se_view(m, 0, 0, &v) == -1, "CNN has no SE view");
        CHECK(model_feature_map(m, 0, MAP_SE, 0, NULL, NULL, NULL) == NULL, "CNN has no SE map");
    }
    int C, H, W;
    CHECK(model_feature_map(m, 2, MAP_RELU, EB - 1, &C, &H, &W) && C == 128 && H == 8 && W == 8,
          "feature map block 3");
    CHECK(model_feature_map(m, 0, MAP_CONV, EB, &C, &H, &W) == NULL, "image out of range");
    int cls = (int)ref_i64_at(ref, "cam_class", 0);
    for (int b = 0; b < NUM_BLOCKS; b++) {
        float cam[1024];
        char nm[16];
        snprintf(nm, sizeof nm, "cam%d", b);
        float *wc = ref_f32(ref, nm, &n);
        int rc = model_gradcam(m, ex, cls, b, cam, &H, &W);
        CHECK(rc == 0 && (size_t)(H * W) == n, "gradcam block %d: %s", b, model_error(m));
        int neg = 0;
        for (size_t i = 0; i < n; i++) neg += cam[i] < 0;
        double mx = max_abs(wc, n), dc = max_abs_diff(cam, wc, n) / (mx > 0 ? mx : 1);
        worst(&w->cam, dc);
        printf("  Grad-CAM class %d block %d (%dx%d): max|diff|/max %.3g (tol %.0e)\n", cls, b, H, W, dc,
               TOL_CAM);
        CHECK(neg == 0 && dc <= TOL_CAM && mx > 0, "%s Grad-CAM block %d: %d negative, rel diff %.3g", name,
              b, neg, dc);
        free(wc);
    }
    free(ex);
    free(want);
    model_free(m);
}

static void end_to_end(ModelKind kind, Ref *batches, Worst *w) {
    const char *name = model_kind_name(kind);
    char path[600];
    Ref ref, fin, fin64;
    snprintf(path, sizeof path, "model_%s_ref.safetensors", name);
    ref_open(&ref, path);
    snprintf(path, sizeof path, "model_%s_final.safetensors", name);
    ref_open(&fin, path);
    snprintf(path, sizeof path, "model_%s_final64.safetensors", name);
    ref_open(&fin64, path);
    check_step1_grads(kind, &ref, batches, w);
    check_adam(kind, &ref, w);

    Model *m = new_model(kind, 99);
    model_set_dropout(m, 0);
    snprintf(path, sizeof path, "%s/model_%s_init.safetensors", refdir, name);
    int rc = model_load_file(m, path);
    CHECK(rc == 0, "loading PyTorch's %s: %s", path, model_error(m));
    if (rc) exit(1);

    AdamConfig cfg = adam_default();
    cfg.lr = (float)ref_f64_at(&ref, "lr", 0);
    cfg.weight_decay = (float)ref_f64_at(&ref, "weight_decay", 0);
    int steps = (int)ref_entry(batches, "x", ST_F32)->shape[0], B;
    float *x = malloc(64 * IMG_SIZE * sizeof(float));
    uint8_t y[64];
    printf("%s: %d Adam steps, lr %g, weight decay %g, dropout off\n", name, steps, (double)cfg.lr,
           (double)cfg.weight_decay);
    printf("  %4s %12s %12s %10s %16s\n", "step", "loss C", "loss torch", "|diff|", "torch32 vs 64");
    for (int s = 0; s < steps; s++) {
        batch_at(batches, s, x, y, &B);
        float loss;
        int correct;
        rc = model_train_step(m, x, y, B, &cfg, &loss, &correct);
        CHECK(rc == 0, "%s step %d refused: %s", name, s, model_error(m));
        double want = ref_f64_at(&ref, "losses", (size_t)s), d = fabs((double)loss - want);
        double d64 = fabs(want - ref_f64_at(&ref, "losses64", (size_t)s));
        worst(&w->loss, d);
        printf("  %4d %12.6f %12.6f %10.2e %16.2e%s\n", s + 1, (double)loss, want, d, d64,
               d <= TOL_LOSS ? "" : "  FAIL");
        CHECK(d <= TOL_LOSS, "%s step %d: loss %.7f vs torch %.7f", name, s + 1, (double)loss, want);
    }
    free(x);
    if (w->loss > TOL_LOSS)
        printf("  NOTE: if the step-1 gradient and Adam checks above pass, a late divergence is float32\n"
               "  sensitivity of this trajectory (see 'Conditioning' in tests/ref_model.py), e.g. after a\n"
               "  change of summation order in gemm; try another seed there.\n");
    check_tensors(m, &fin, &fin64, name, w);

    // eval logits of the weights trained here vs PyTorch's trained weights
    size_t n;
    float *ex = ref_f32(&ref, "eval_x", &n);
    float *want = ref_f32(&ref, "eval_logits", NULL);
    int EB = (int)(n / IMG_SIZE);
    CHECK(model_forward(m, ex, EB, 0) == 0, "eval forward: %s", model_error(m));
    double d = max_abs_diff(model_logits(m), want, (size_t)EB * NUM_CLASSES);
    worst(&w->logits_trained, d);
    printf("  trained here vs trained by PyTorch: eval logits max|diff| %.3g (tol %.0e)\n", d,
           TOL_LOGITS_TRAINED);
    CHECK(d <= TOL_LOGITS_TRAINED, "%s eval logits after training differ by %.3g", name, d);

    // reverse: these weights into PyTorch's class, same eval batch
    uint8_t *lbuf;
    size_t llen;
    char err[256];
    uint64_t xs[4] = {(uint64_t)EB, 3, 32, 32}, ls[2] = {(uint64_t)EB, NUM_CLASSES};
    StTensorIn lt[2] = {{"x", ST_F32, 4, xs, ex}, {"logits", ST_F32, 2, ls, model_logits(m)}};
    const char *meta[] = {"model", name};
    snprintf(path, sizeof path, "%s/c_trained_%s_logits.safetensors", refdir, name);
    rc = st_write(lt, 2, meta, 1, &lbuf, &llen, err, sizeof err);
    FILE *fp = rc ? NULL : fopen(path, "wb");
    CHECK(fp && fwrite(lbuf, 1, llen, fp) == llen, "writing %s", path);
    if (fp) fclose(fp);
    free(lbuf);
    char wpath[600], cmd[2000];
    snprintf(wpath, sizeof wpath, "%s/c_trained_%s.safetensors", refdir, name);
    CHECK(model_save_file(m, wpath, 0) == 0, "saving %s: %s", wpath, model_error(m));
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/reverse_model.py %s %s %s %g", name, wpath, path,
             TOL_LOGITS);
    fflush(stdout);
    rc = system(cmd);
    CHECK(rc == 0, "%s: reverse check failed (status %d): %s", name, rc, cmd);
    free(ex);
    free(want);
    model_free(m);

    check_eval(kind, &ref, w);
    ref_close(&ref);
    ref_close(&fin);
    ref_close(&fin64);
}

// ---- save / load round trips ------------------------------------------------------------
static void round_trip(ModelKind kind) {
    const char *name = model_kind_name(kind);
    Model *a = new_model(kind, 5), *b = new_model(kind, 6);
    uint8_t *buf, *buf2;
    size_t len, len2;
    Rng r;
    rng_seed(&r, 3);
    float x[2 * IMG_SIZE];
    for (int i = 0; i < 2 * IMG_SIZE; i++) x[i] = rng_range(&r, -2, 2);
    uint8_t y[2] = {1, 7};
    AdamConfig cfg = adam_default();
    CHECK(model_train_step(a, x, y, 2, &cfg, NULL, NULL) == 0, "train step: %s", model_error(a));
    CHECK(model_save_safetensors(a, 0, &buf, &len) == 0, "save: %s", model_error(a));
    CHECK(model_load_safetensors(b, buf, len) == 0, "load: %s", model_error(b));
    CHECK(model_save_safetensors(b, 0, &buf2, &len2) == 0 && len2 == len && memcmp(buf, buf2, len) == 0,
          "%s: save -> load -> save is not byte-identical", name);
    float pa[NUM_CLASSES], pb[NUM_CLASSES];
    model_predict(a, x, pa);
    model_predict(b, x, pb);
    CHECK(memcmp(pa, pb, sizeof pa) == 0, "%s: loaded model predicts differently", name);
    free(buf2);
    // F16: values within half precision (relative 2^-11, absolute 2^-24 near zero)
    CHECK(model_save_safetensors(a, 1, &buf2, &len2) == 0 && len2 < len * 6 / 10, "F16 save");
    CHECK(model_load_safetensors(b, buf2, len2) == 0, "F16 load: %s", model_error(b));
    double worst = 0;
    for (int i = 0; i < model_num_tensors(a); i++) {
        const Tensor *ta = model_tensor(a, i), *tb = model_tensor(b, i);
        if (ta->dtype == DTYPE_I64) { CHECK(*ta->data_i64 == *tb->data_i64, "F16 nbt"); continue; }
        for (size_t j = 0; j < ta->numel; j++) {
            double e = fabs((double)ta->data[j] - tb->data[j]) / (fabs((double)ta->data[j]) + 6e-8 * 2048);
            if (e > worst) worst = e;
        }
    }
    printf("%s: save/load F32 byte-identical; F16 file %zu bytes (F32 %zu), max rel error %.3g\n", name,
           len2, len, worst);
    CHECK(worst <= 1.0 / 2048, "%s: F16 round trip error %.3g", name, worst);
    free(buf);
    free(buf2);
    model_free(a);
    model_free(b);
}

// ---- determinism ------------------------------------------------------------------------
static void determinism(ModelKind kind) {
    uint8_t *bufs[3];
    size_t lens[3];
    uint64_t seeds[3] = {42, 42, 43};
    Rng r;
    float *x = malloc(4 * IMG_SIZE * sizeof(float));
    uint8_t y[4] = {0, 3, 5, 9};
    for (int k = 0; k < 3; k++) {
        Model *m = new_model(kind, seeds[k]); // dropout 0.5: draws from the model's generator
        rng_seed(&r, 8);
        AdamConfig cfg = adam_default();
        for (int s = 0; s < 3; s++) {
            for (int i = 0; i < 4 * IMG_SIZE; i++) x[i] = rng_range(&r, -2, 2);
            CHECK(model_train_step(m, x, y, 4, &cfg, NULL, NULL) == 0, "step: %s", model_error(m));
        }
        CHECK(model_save_safetensors(m, 0, &bufs[k], &lens[k]) == 0, "save");
        model_free(m);
    }
    CHECK(lens[0] == lens[1] && memcmp(bufs[0], bufs[1], lens[0]) == 0,
          "%s: same seed gives different weights", model_kind_name(kind));
    CHECK(lens[0] != lens[2] || memcmp(bufs[0], bufs[2], lens[0]) != 0,
          "%s: different seeds give the same weights", model_kind_name(kind));
    printf("%s: same seed and batches (dropout 0.5, 3 steps) => identical weight files; other seed differs\n",
           model_kind_name(kind));
    for (int k = 0; k < 3; k++) free(bufs[k]);
    free(x);
}

// ---- divergence -------------------------------------------------------------------------
static void divergence(ModelKind kind) {
    const char *name = model_kind_name(kind);
    Model *m = new_model(kind, 11);
    Rng r;
    rng_seed(&r, 12);
    float *x = malloc(8 * IMG_SIZE * sizeof(float));
    uint8_t y[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    AdamConfig cfg = adam_default();
    cfg.lr = 1e30f;
    int refused_at = -1;
    for (int s = 0; s < 10 && refused_at < 0; s++) {
        for (int i = 0; i < 8 * IMG_SIZE; i++) x[i] = rng_range(&r, -2, 2);
        Snapshot before;
        snap(m, &before);
        float loss = 0;
        if (model_train_step(m, x, y, 8, &cfg, &loss, NULL) != 0) {
            refused_at = s;
            CHECK(snap_equal(m, &before), "%s: refused step changed the state", name);
            CHECK(strstr(model_error(m), "learning rate too high?") != NULL, "message: %s", model_error(m));
            printf("%s: lr 1e30, step %d refused: %s\n", name, s + 1, model_error(m));
        }
        snap_free(&before);
    }
    CHECK(refused_at >= 0, "%s: lr 1e30 never refused a step", name);
    // lr 1e38: the loss and gradients are finite, the update is not (lr / (1 - beta1) overflows)
    {
        Model *m3 = new_model(kind, 14);
        Snapshot b3;
        snap(m3, &b3);
        AdamConfig big = adam_default();
        big.lr = 1e38f;
        float loss;
        CHECK(model_train_step(m3, x, y, 8, &big, &loss, NULL) == -1 && isfinite(loss), "lr 1e38 accepted");
        CHECK(snap_equal(m3, &b3), "%s: refused step (lr 1e38) changed the state", name);
        CHECK(strstr(model_error(m3), "update of") != NULL, "message: %s", model_error(m3));
        printf("%s: lr 1e38, step 1 refused: %s\n", name, model_error(m3));
        snap_free(&b3);
        model_free(m3);
    }
    // an infinite input: the loss is not finite, nothing changes
    Model *m2 = new_model(kind, 13);
    for (int i = 0; i < 8 * IMG_SIZE; i++) x[i] = rng_range(&r, -2, 2);
    x[100] = INFINITY;
    Snapshot before;
    snap(m2, &before);
    cfg = adam_default();
    float loss;
    CHECK(model_train_step(m2, x, y, 8, &cfg, &loss, NULL) == -1 && !isfinite(loss), "inf input accepted");
    CHECK(snap_equal(m2, &before), "%s: refused step (inf input) changed the state", name);
    CHECK(strstr(model_error(m2), "NaN") || strstr(model_error(m2), "inf"), "message names the value: %s",
          model_error(m2));
    printf("%s: inf input refused: %s\n", name, model_error(m2));
    snap_free(&before);
    free(x);
    model_free(m);
    model_free(m2);
}

// ---- ReduceLROnPlateau ------------------------------------------------------------------
static void plateau(void) {
    Ref r;
    ref_open(&r, "plateau.safetensors");
    const StEntry *me = ref_entry(&r, "metrics", ST_F64);
    const char *names[2] = {"default", "other"};
    for (int k = 0; k < 2; k++) {
        char cfgn[32], lrn[32];
        snprintf(cfgn, sizeof cfgn, "cfg_%s", names[k]);
        snprintf(lrn, sizeof lrn, "lr_%s", names[k]);
        Plateau p = plateau_default();
        if (k == 0) {
            CHECK(p.factor == (float)ref_f64_at(&r, cfgn, 0) && p.patience == (int)ref_f64_at(&r, cfgn, 1) &&
                  p.threshold == (float)ref_f64_at(&r, cfgn, 2) && p.min_lr == 0,
                  "plateau_default differs from the reference settings");
        } else {
            p.factor = (float)ref_f64_at(&r, cfgn, 0);
            p.patience = (int)ref_f64_at(&r, cfgn, 1);
            p.threshold = (float)ref_f64_at(&r, cfgn, 2);
            p.min_lr = (float)ref_f64_at(&r, cfgn, 3);
        }
        float lr = 1e-3f;
        int reductions = 0, bad = 0;
        for (uint64_t i = 0; i < me->numel; i++) {
            float prev = lr;
            lr = plateau_step(&p, ref_f64_at(&r, "metrics", i), lr);
            reductions += lr != prev;
            double want = ref_f64_at(&r, lrn, i);
            if (fabs(lr - want) > 1e-6 * want) {
                bad++;
                printf("  plateau %s epoch %llu: lr %g, torch %g\n", names[k], (unsigned long long)i + 1,
                       (double)lr, want);
            }
        }
        printf("ReduceLROnPlateau (%s): %llu epochs, %d reductions, final lr %g, %d mismatches\n", names[k],
               (unsigned long long)me->numel, reductions, (double)lr, bad);
        CHECK(bad == 0 && reductions > 0, "plateau %s schedule differs from PyTorch", names[k]);
    }
    ref_close(&r);
}

// The buffers model_train_step keeps for its undo (m->nbuffers floats) are exactly the
// model's non-trainable float tensors, and each tensor's offset is where its data is.
static void buffer_count(ModelKind kind) {
    Model *m = model_create(kind, 1, 1);
    if (!m) { CHECK(0, "model_create"); return; }
    size_t n = 0, bad = 0;
    for (int i = 0; i < model_num_tensors(m); i++) {
        const Tensor *t = model_tensor(m, i);
        if (t->dtype != DTYPE_F32) continue;
        if (!t->trainable) n += t->numel;
        bad += t->data != m->params + t->offset ||
               t->offset + t->numel > (t->trainable ? m->nparams : m->nparams + m->nbuffers) ||
               (!t->trainable && t->offset < m->nparams);
    }
    CHECK(m->nbuffers == n, "%s: %zu buffer floats, tensors hold %zu", model_kind_name(kind),
          m->nbuffers, n);
    CHECK(bad == 0, "%s: %zu tensors whose offset is not where their data is", model_kind_name(kind), bad);
    model_free(m);
}

// model_undo_step: back to the state before the last applied step, bit for bit (weights,
// running statistics, moments, step count, dropout generator), once; a step refused before
// Adam (its loss above the limit) keeps that history; one refused in Adam uses it up.
static void undo_step(ModelKind kind) {
    const char *name = model_kind_name(kind);
    Model *m = new_model(kind, 21);
    Rng r;
    rng_seed(&r, 22);
    float *x = malloc(8 * IMG_SIZE * sizeof(float));
    uint8_t y[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    for (int i = 0; i < 8 * IMG_SIZE; i++) x[i] = rng_range(&r, -2, 2);
    AdamConfig cfg = adam_default();
    float loss;
    CHECK(model_undo_step(m) == -1, "%s: undo on a fresh model", name);
    CHECK(model_train_step(m, x, y, 8, &cfg, &loss, NULL) == 0, "%s: step 1: %s", name, model_error(m));
    Snapshot s1;
    snap(m, &s1);
    Rng rng1 = *model_rng(m);
    CHECK(model_train_step(m, x, y, 8, &cfg, &loss, NULL) == 0, "%s: step 2: %s", name, model_error(m));
    // refused before Adam: nothing changes, the history of step 2 stays
    Snapshot s2;
    snap(m, &s2);
    Rng rng2 = *model_rng(m);
    CHECK(model_train_step_limit(m, x, y, 8, &cfg, 0.0, &loss, NULL) == -1 && loss > 0,
          "%s: a loss above the limit was accepted", name);
    CHECK(snap_equal(m, &s2) && memcmp(model_rng(m), &rng2, sizeof rng2) == 0,
          "%s: a step refused for its loss changed the state", name);
    CHECK(model_undo_step(m) == 0, "%s: undo: %s", name, model_error(m));
    CHECK(snap_equal(m, &s1) && memcmp(model_rng(m), &rng1, sizeof rng1) == 0,
          "%s: undo did not give the state after step 1 back", name);
    CHECK(model_undo_step(m) == -1, "%s: a second undo", name);
    // a step refused in Adam (the update overflows) uses the history up
    CHECK(model_train_step(m, x, y, 8, &cfg, &loss, NULL) == 0, "%s: step 2 again", name);
    CHECK(snap_equal(m, &s2), "%s: step 2 after undo differs from step 2", name);
    AdamConfig big = adam_default();
    big.lr = 1e38f;
    CHECK(model_train_step(m, x, y, 8, &big, &loss, NULL) == -1, "%s: lr 1e38 accepted", name);
    CHECK(snap_equal(m, &s2) && memcmp(model_rng(m), &rng2, sizeof rng2) == 0,
          "%s: a step refused in Adam changed the state", name);
    CHECK(model_undo_step(m) == -1, "%s: undo after a step refused in Adam", name);
    // loading weights forgets the history
    CHECK(model_train_step(m, x, y, 8, &cfg, &loss, NULL) == 0, "%s: step 3", name);
    CHECK(model_load_safetensors(m, s1.st, s1.st_len) == 0, "%s: load: %s", name, model_error(m));
    CHECK(model_undo_step(m) == -1, "%s: undo after a load", name);
    printf("%s: undo of a step: bit-identical; refusals and loads keep or drop the history as documented\n",
           name);
    snap_free(&s1);
    snap_free(&s2);
    free(x);
    model_free(m);
}

// What c/train.h says of eval batches: an image's eval logits are the same bits in any
// batch of 3 or more images; batches of 1 and 2 take gemm's dot-product path in the linear
// layers (another summation order), so they may differ, by rounding only.
static void eval_batch_sizes(ModelKind kind) {
    enum { N = 16 };
    Model *m = model_create(kind, 7, N);
    float *x = malloc(sizeof(float) * N * IMG_SIZE), *ref = malloc(sizeof(float) * N * NUM_CLASSES);
    if (!m || !x || !ref) { CHECK(0, "out of memory"); model_free(m); free(x); free(ref); return; }
    Rng r;
    rng_seed(&r, 3);
    for (int i = 0; i < N * IMG_SIZE; i++) x[i] = rng_uniform(&r) * 2 - 1;
    CHECK(model_forward(m, x, N, 0) == 0, "eval forward: %s", model_error(m));
    memcpy(ref, model_logits(m), sizeof(float) * N * NUM_CLASSES);
    const int sizes[] = {1, 2, 3, 4, 5, 8};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int B = sizes[s], differ = 0;
        double worst = 0;
        for (int b0 = 0; b0 + B <= N; b0 += B) {
            CHECK(model_forward(m, x + (size_t)b0 * IMG_SIZE, B, 0) == 0, "eval forward: %s", model_error(m));
            const float *l = model_logits(m);
            for (int i = 0; i < B * NUM_CLASSES; i++) {
                double d = fabs((double)l[i] - ref[b0 * NUM_CLASSES + i]);
                differ += d != 0;
                if (d > worst) worst = d;
            }
        }
        if (B >= 3)
            CHECK(differ == 0, "%s: %d eval logits in batches of %d differ from a batch of %d (by %.3g)",
                  model_kind_name(kind), differ, B, N, worst);
        else
            CHECK(worst <= 1e-5, "%s: eval logits in batches of %d differ by %.3g", model_kind_name(kind),
                  B, worst);
    }
    model_free(m);
    free(x);
    free(ref);
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s REFDIR\n", argv[0]); return 2; }
    refdir = argv[1];
    Ref batches;
    ref_open(&batches, "model_batches.safetensors");
    Worst w[2];
    memset(w, 0, sizeof w);
    for (int k = 0; k < 2; k++) end_to_end((ModelKind)k, &batches, &w[k]);
    ref_close(&batches);
    for (int k = 0; k < 2; k++) {
        buffer_count((ModelKind)k);
        eval_batch_sizes((ModelKind)k);
        round_trip((ModelKind)k);
        determinism((ModelKind)k);
        divergence((ModelKind)k);
        undo_step((ModelKind)k);
    }
    plateau();
    printf("\nsummary (C vs PyTorch, worst over the run):\n");
    printf("  %-7s %9s %9s %9s %9s %9s %9s %11s %9s %9s %9s\n", "model", "grad1", "adam", "loss", "w rms",
           "outliers", "bias rms", "logits(tr)", "logits", "Grad-CAM", "SE s");
    for (int k = 0; k < 2; k++)
        printf("  %-7s %9.2e %9.2e %9.2e %9.2e %9.0f %9.2e %11.2e %9.2e %9.2e %9.2e\n", model_kind_name((ModelKind)k),
               w[k].grad, w[k].adam, w[k].loss, w[k].weight, w[k].outliers, w[k].bias_pre_bn, w[k].logits_trained,
               w[k].logits, w[k].cam, w[k].se);
    printf("  (grad1: step-1 gradients, max|diff|/max; adam: Adam fed torch's gradients; w rms: final weights and running variances,\n"
           "   RMS|diff|/max; outliers: elements off by > 1e-3 of max; bias rms: conv biases and\n"
           "   running means; logits(tr): eval logits of the two trained models; logits, Grad-CAM,\n"
           "   SE s: PyTorch's final weights loaded here)\n");
    if (failures) { printf("test_model: %d FAILED\n", failures); return 1; }
    printf("test_model: all passed\n");
    return 0;
}
