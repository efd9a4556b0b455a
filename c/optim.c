// optim.c - Adam as torch.optim.Adam 1.13 (single-tensor path, amsgrad off) over flat
// arrays, and ReduceLROnPlateau as in PyTorch 1.13 (mode "min", threshold_mode "rel",
// cooldown 0, eps 1e-8 on the change of the learning rate). See optim.h.
#include "optim.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include "threads.h"
#include "train.h"

AdamConfig adam_default(void) {
    AdamConfig c = {1e-3f, 0.9f, 0.999f, 1e-8f, 0.0f};
    return c;
}

// ---- Adam -------------------------------------------------------------------------------
// torch receives the hyper-parameters as Python doubles and casts each scalar to float at
// the tensor op. AdamConfig holds floats, so the decimal the user meant (0.9, 1e-3) is
// recovered by printing with 7 significant digits, so the float coefficients are the ones
// torch uses (1 - 0.9 in double is not 1 - 0.9f).
static double as_decimal(float f) {
    char s[32];
    snprintf(s, sizeof s, "%.7g", (double)f);
    return strtod(s, NULL);
}

typedef struct {
    float b1, one_minus_b1, b2, one_minus_b2, wd, bc2_sqrt, eps, neg_step;
} AdamCoef;

static AdamCoef adam_coef(const AdamConfig *cfg, int64_t t) {
    double lr = as_decimal(cfg->lr), b1 = as_decimal(cfg->beta1), b2 = as_decimal(cfg->beta2);
    double eps = as_decimal(cfg->eps), wd = as_decimal(cfg->weight_decay);
    double bc1 = 1.0 - pow(b1, (double)t), bc2 = 1.0 - pow(b2, (double)t);
    AdamCoef c = {(float)b1, (float)(1.0 - b1), (float)b2, (float)(1.0 - b2), (float)wd,
                  (float)sqrt(bc2), (float)eps, (float)(-(lr / bc1))};
    return c;
}

// GCC vectorises the Adam loop only with its full cost model and without errno for sqrtf
// (the Makefile adds -fno-math-errno for this file); neither changes any result.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("no-math-errno", "tree-loop-vectorize", "vect-cost-model=dynamic")
#endif

// PyTorch's vectorised CPU kernels compute add-with-alpha and addcmul as fused multiply-adds
// (Vectorized::fmadd). fma32() reproduces them: the product of two floats is exact in double,
// so one double add and the rounding to float give the fused result (a double rounding can
// differ in the last bit only when the double sum lands exactly halfway between two floats).
// It costs two double operations in WebAssembly, where fmaf() is a slow library call, and
// gives the same bits natively and in WebAssembly.
static inline float fma32(float a, float b, float c) { return (float)((double)a * (double)b + (double)c); }

// Not finite: all exponent bits set (an integer test, so the loops below vectorise).
static inline uint32_t not_finite(float x) {
    uint32_t b;
    memcpy(&b, &x, sizeof b);
    return (b & 0x7f800000u) == 0x7f800000u;
}

// Adam over n floats in one branch-free pass, element by element in torch's order:
//   grad.add(param, alpha=wd); exp_avg.mul_(b1).add_(g, alpha=1-b1);
//   exp_avg_sq.mul_(b2).addcmul_(g, g, value=1-b2); denom = sqrt(v) / sqrt(bc2) + eps;
//   param.addcdiv_(exp_avg, denom, value=-step_size).
// With save, the old params, m and v are first copied to up, um, uv (n floats each). Returns
// non-zero if a gradient or a new param, m or v is not finite. use_wd and save are constants
// at each call, so each call compiles to its own loop.
static inline uint32_t adam_pass(const AdamCoef *c, float *restrict p, const float *restrict g,
                                 float *restrict m1, float *restrict v1, float *restrict up,
                                 float *restrict um, float *restrict uv, size_t n, int use_wd,
                                 int save) {
    const float b1 = c->b1, omb1 = c->one_minus_b1, b2 = c->b2, omb2 = c->one_minus_b2;
    const float wd = c->wd, bc2_sqrt = c->bc2_sqrt, eps = c->eps, neg_step = c->neg_step;
    uint32_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        float pi = p[i], gi = g[i], mi = m1[i], vi = v1[i];
        if (save) {
            up[i] = pi;
            um[i] = mi;
            uv[i] = vi;
        }
        bad |= not_finite(gi);
        if (use_wd) gi = fma32(pi, wd, gi);
        float mm = fma32(omb1, gi, mi * b1);
        float vv = fma32(omb2 * gi, gi, vi * b2);
        float denom = sqrtf(vv) / bc2_sqrt + eps;
        float np = pi + neg_step * mm / denom;
        bad |= not_finite(np) | not_finite(mm) | not_finite(vv);
        p[i] = np;
        m1[i] = mm;
        v1[i] = vv;
    }
    return bad;
}

// The parameters are updated in items of ADAM_SLICE floats on the thread pool (each
// element's update is the same on any thread); the undo record keeps its layout
// (old params, then m, then v, n floats each).
enum { ADAM_SLICE = 32768 };

typedef struct {
    AdamCoef c;
    float *p, *m, *v, *undo;
    const float *g;
    size_t n;
    atomic_uint bad;
} AdamJob;

static void adam_item(void *ctx, int t) {
    AdamJob *j = ctx;
    size_t lo = (size_t)t * ADAM_SLICE, len = j->n - lo < ADAM_SLICE ? j->n - lo : ADAM_SLICE;
    float *p = j->p + lo, *m = j->m + lo, *v = j->v + lo;
    const float *g = j->g + lo;
    uint32_t bad;
    if (j->undo) {
        float *up = j->undo + lo, *um = up + j->n, *uv = um + j->n;
        bad = j->c.wd != 0.0f ? adam_pass(&j->c, p, g, m, v, up, um, uv, len, 1, 1)
                              : adam_pass(&j->c, p, g, m, v, up, um, uv, len, 0, 1);
    } else {
        bad = j->c.wd != 0.0f ? adam_pass(&j->c, p, g, m, v, NULL, NULL, NULL, len, 1, 0)
                              : adam_pass(&j->c, p, g, m, v, NULL, NULL, NULL, len, 0, 0);
    }
    if (bad) atomic_fetch_or(&j->bad, 1u);
}

int adam_update(const AdamConfig *cfg, int64_t t, float *p, const float *g, float *m, float *v,
                float *undo, size_t n) {
    AdamJob j = {adam_coef(cfg, t), p, m, v, undo, g, n, 0};
    parallel_for((int)((n + ADAM_SLICE - 1) / ADAM_SLICE), adam_item, &j);
    return atomic_load(&j.bad) != 0;
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

// ---- ReduceLROnPlateau ------------------------------------------------------------------
// The factor, patience, threshold and min_lr defaults are those of the plateau_* and min_lr
// settings (train_settings.h), so a Plateau built from a default TrainConfig is this one.
Plateau plateau_default(void) {
    TrainConfig c = train_config_default();
    Plateau p = {c.plateau_factor, c.plateau_patience, c.plateau_threshold, c.min_lr, INFINITY, 0};
    return p;
}

float plateau_step(Plateau *p, double metric, float lr) {
    // is_better: a < best * (1 - threshold); a NaN metric is never better.
    if (metric < p->best * (1.0 - (double)p->threshold)) {
        p->best = metric;
        p->num_bad_epochs = 0;
    } else {
        p->num_bad_epochs++;
    }
    if (p->num_bad_epochs > p->patience) {
        p->num_bad_epochs = 0;
        // torch: new_lr = max(old_lr * factor, min_lr), applied only if old - new > eps.
        double nl = (double)lr * (double)p->factor;
        if (nl < (double)p->min_lr) nl = (double)p->min_lr;
        if ((double)lr - nl > 1e-8) lr = (float)nl;
    }
    return lr;
}
