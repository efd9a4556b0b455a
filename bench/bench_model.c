// bench_model.c - training and inference speed of CNN and CNN_SE (batch 64) through the
// public model API, for `make bench`; the same file builds natively and with emcc (Node).
// Prints one JSON object per line:
//   {"system":..., "model":"CNN", "mode":"train"|"infer64"|"infer1", "threads":n,
//    "img_s":[per run...], "kernel":...}
// With --profile it instead times each layer of one CNN/CNN_SE training step (forward and
// backward, batch 64) and prints a table; with --profile-infer, each layer of one eval
// forward at batch 64 and at batch 1; --profile and --serial print the serial fraction of a
// whole training step (profile_serial); --profile-wall is --profile's table in wall time (run
// it with 1 and 2 threads on an idle machine: each layer's scaling). Not a test: nothing is
// asserted.
//   bench_model SYSTEM THREADS [RUNS] [--profile | --profile-wall | --profile-infer | --serial]
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "gemm.h"
#include "layers.h"
#include "model.h"
#include "threads.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

enum { BATCH = 64 };

// CPU seconds of this process: with one thread, images per CPU second is the speed the
// code would have on an idle machine, which wall time on a shared machine does not show.
#if defined(__EMSCRIPTEN__)
double bench_cpu_seconds(void); // bench/cpu_time.js: Node's process.cpuUsage()
static double cpu_now(void) { return bench_cpu_seconds(); }
#else
static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}
#endif

static double vcpu[64]; // images per CPU second of each run (reported with one thread)

static void print_runs(const char *sys, const char *model, const char *mode, int nt,
                       const double *v, int n) {
    printf("{\"system\":\"%s\",\"model\":\"%s\",\"mode\":\"%s\",\"threads\":%d,\"kernel\":\"%s\","
           "\"img_s\":[", sys, model, mode, nt, gemm_kernel_name());
    for (int i = 0; i < n; i++) printf("%s%.2f", i ? "," : "", v[i]);
    if (nt == 1) {
        printf("],\"img_s_cpu\":[");
        for (int i = 0; i < n; i++) printf("%s%.2f", i ? "," : "", vcpu[i]);
    }
    printf("]}\n");
}

static int bench(const char *sys, ModelKind kind, int nt, int runs, const float *x,
                 const uint8_t *y) {
    Model *m = model_create(kind, 1, BATCH);
    if (!m) return -1;
    AdamConfig cfg = adam_default();
    const char *name = model_kind_name(kind);
    double v[64];
    if (runs > 64) runs = 64;
    float loss;
    int correct;
    // Training: a run is enough steps for ~0.25 s after two warm-up steps.
    for (int i = 0; i < 2; i++) model_train_step(m, x, y, BATCH, &cfg, &loss, &correct);
    double t0 = now();
    model_train_step(m, x, y, BATCH, &cfg, &loss, &correct);
    double t1 = now() - t0;
    int steps = (int)(0.25 / (t1 > 1e-6 ? t1 : 1e-6)) + 1;
    for (int r = 0; r < runs; r++) {
        t0 = now();
        double c0 = cpu_now();
        for (int s = 0; s < steps; s++) model_train_step(m, x, y, BATCH, &cfg, &loss, &correct);
        v[r] = BATCH * steps / (now() - t0);
        vcpu[r] = BATCH * steps / (cpu_now() - c0);
    }
    print_runs(sys, name, "train", nt, v, runs);
    // Inference, batch 64, eval mode.
    double loss_sum;
    model_eval_batch(m, x, y, BATCH, &loss_sum, &correct, NULL);
    t0 = now();
    model_eval_batch(m, x, y, BATCH, &loss_sum, &correct, NULL);
    t1 = now() - t0;
    steps = (int)(0.2 / (t1 > 1e-6 ? t1 : 1e-6)) + 1;
    for (int r = 0; r < runs; r++) {
        t0 = now();
        double c0 = cpu_now();
        for (int s = 0; s < steps; s++) model_eval_batch(m, x, y, BATCH, &loss_sum, &correct, NULL);
        v[r] = BATCH * steps / (now() - t0);
        vcpu[r] = BATCH * steps / (cpu_now() - c0);
    }
    print_runs(sys, name, "infer64", nt, v, runs);
    // One image.
    float probs[NUM_CLASSES];
    for (int i = 0; i < 20; i++) model_predict(m, x + (size_t)(i % BATCH) * IMG_SIZE, probs);
    t0 = now();
    model_predict(m, x, probs);
    t1 = now() - t0;
    steps = (int)(0.1 / (t1 > 1e-7 ? t1 : 1e-7)) + 1;
    for (int r = 0; r < runs; r++) {
        t0 = now();
        double c0 = cpu_now();
        for (int s = 0; s < steps; s++)
            model_predict(m, x + (size_t)(s % BATCH) * IMG_SIZE, probs);
        v[r] = steps / (now() - t0);
        vcpu[r] = steps / (cpu_now() - c0);
    }
    print_runs(sys, name, "infer1", nt, v, runs);
    model_free(m);
    return 0;
}

// ---- per-layer profile -----------------------------------------------------------------
// Each slot keeps its fastest step, in CPU time of this process (one thread), so that other
// processes on a shared machine disturb the figures as little as possible.
typedef struct { const char *name; double cur, best, sum; int n; } Slot;
static Slot slots[64];
static int nslots;
static void add(const char *name, double t) {
    for (int i = 0; i < nslots; i++)
        if (!strcmp(slots[i].name, name)) { slots[i].cur += t; return; }
    slots[nslots].name = name;
    slots[nslots].best = 1e30;
    slots[nslots].sum = 0;
    slots[nslots].n = 0;
    slots[nslots++].cur = t;
}
static void end_step(void) {
    for (int i = 0; i < nslots; i++) {
        if (slots[i].cur < slots[i].best) slots[i].best = slots[i].cur;
        slots[i].sum += slots[i].cur;
        slots[i].n++;
        slots[i].cur = 0;
    }
}
// The profiles' clock: CPU time of this process (one thread), or wall time (--profile-wall:
// with several threads, the time each layer takes, for its scaling against one thread).
static double (*layer_clock)(void) = cpu_now;
#define TIME(name, call) do { double t_ = layer_clock(); call; add(name, layer_clock() - t_); } while (0)

// Random values (a pattern would make the branches of ReLU and max-pool predictable).
static float *fill(size_t n, float scale) {
    static Rng r;
    static int seeded;
    if (!seeded) { rng_seed(&r, 3); seeded = 1; }
    float *p = malloc(n * sizeof(float));
    if (!p) exit(1);
    for (size_t i = 0; i < n; i++) p[i] = scale * rng_range(&r, -1.0f, 1.0f);
    return p;
}

// One training step written out with the layer functions (the same sequence as model.c),
// each call timed.
static void profile(int se, int steps) {
    const int B = BATCH, cin[3] = {3, 32, 64}, cout[3] = {32, 64, 128}, hh[3] = {32, 16, 8};
    float *x = fill((size_t)B * 3 * 1024, 1.0f);
    float *w[3], *bias[3], *dw[3], *db[3], *conv[3], *act[3], *xhat[3], *mean[3], *istd[3];
    float *rm[3], *rv[3], *gam[3], *bet[3], *dg[3], *dbt[3], *pool[3], *work[3], *d1[3], *d2[3];
    float *sew1[3], *sew2[3], *sedw1[3], *sedw2[3], *seo[3], *sep[3], *seh[3], *sehh[3], *sez[3], *ses[3];
    int32_t *amax[3];
    for (int i = 0; i < 3; i++) {
        int c = cout[i], h = hh[i], n = B * c * h * h, r = c / 16;
        w[i] = fill((size_t)c * cin[i] * 9, 0.1f); bias[i] = fill(c, 0.1f);
        dw[i] = fill((size_t)c * cin[i] * 9, 0); db[i] = fill(c, 0);
        conv[i] = fill(n, 0); act[i] = fill(n, 0); xhat[i] = fill(n, 0);
        mean[i] = fill(c, 0); istd[i] = fill(c, 0); rm[i] = fill(c, 0); rv[i] = fill(c, 0);
        gam[i] = fill(c, 1); bet[i] = fill(c, 0); dg[i] = fill(c, 0); dbt[i] = fill(c, 0);
        pool[i] = fill(n / 4, 0); amax[i] = malloc(sizeof(int32_t) * n / 4);
        work[i] = fill(conv2d_work_floats(B, cin[i], h, h, c), 0);
        d1[i] = fill(n, 0); d2[i] = fill(n, 0);
        sew1[i] = fill((size_t)r * c, 0.3f); sew2[i] = fill((size_t)r * c, 0.3f);
        sedw1[i] = fill((size_t)r * c, 0); sedw2[i] = fill((size_t)r * c, 0);
        seo[i] = fill(n, 0); sep[i] = fill((size_t)B * c, 0); seh[i] = fill((size_t)B * r, 0);
        sehh[i] = fill((size_t)B * r, 0); sez[i] = fill((size_t)B * c, 0); ses[i] = fill((size_t)B * c, 0);
    }
    float *fw1 = fill(512 * 2048, 0.02f), *fb1 = fill(512, 0.1f), *fw2 = fill(10 * 512, 0.05f);
    float *fb2 = fill(10, 0.1f), *dfw1 = fill(512 * 2048, 0), *dfb1 = fill(512, 0);
    float *dfw2 = fill(10 * 512, 0), *dfb2 = fill(10, 0), *h1 = fill(B * 512, 0);
    float *dr = fill(B * 512, 0), *mask = fill(B * 512, 0), *logits = fill(B * 10, 0);
    float *probs = fill(B * 10, 0), *dl = fill(B * 10, 0), *dh = fill(B * 512, 0);
    float *dh2 = fill(B * 512, 0), *dflat = fill(B * 2048, 0);
    uint8_t y[BATCH];
    for (int i = 0; i < B; i++) y[i] = (uint8_t)(i % 10);
    Rng rng;
    rng_seed(&rng, 1);
    for (int s = 0; s <= steps; s++) {
        const float *in = x;
        for (int i = 0; i < 3; i++) {
            int c = cout[i], h = hh[i];
            TIME(i == 0 ? "conv1 fwd" : i == 1 ? "conv2 fwd" : "conv3 fwd",
                 conv2d_forward(conv[i], in, w[i], bias[i], B, cin[i], h, h, c, work[i]));
            TIME("bn+relu fwd", batchnorm_relu_forward_train(act[i], xhat[i], mean[i], istd[i], rm[i],
                                                             rv[i], conv[i], gam[i], bet[i], B, c,
                                                             h * h, 0.1f, 1e-5f));
            const float *bo = act[i];
            if (se) {
                TIME("se fwd", se_forward(seo[i], sep[i], seh[i], sehh[i], sez[i], ses[i], act[i],
                                          sew1[i], sew2[i], B, c, h * h, c / 16));
                bo = seo[i];
            }
            TIME("pool fwd", maxpool2x2_forward(pool[i], amax[i], bo, B, c, h, h));
            in = pool[i];
        }
        TIME("fc1 fwd", linear_forward(h1, pool[2], fw1, fb1, B, 2048, 512));
        TIME("relu fwd", relu_forward(h1, h1, (size_t)B * 512));
        TIME("dropout fwd", dropout_forward(dr, mask, h1, (size_t)B * 512, 0.5f, &rng));
        TIME("fc2 fwd", linear_forward(logits, dr, fw2, fb2, B, 512, 10));
        TIME("softmax+loss", softmax_xent_forward(probs, logits, y, B, 10));
        TIME("softmax+loss", softmax_xent_backward(dl, probs, y, B, 10));
        memset(dh, 0, sizeof(float) * B * 512);
        TIME("fc2 bwd", linear_backward(dh, dfw2, dfb2, dl, dr, fw2, B, 512, 10));
        memset(dh2, 0, sizeof(float) * B * 512);
        TIME("dropout bwd", dropout_backward(dh2, dh, mask, (size_t)B * 512));
        TIME("relu bwd", relu_backward_inplace(dh2, h1, (size_t)B * 512));
        memset(dflat, 0, sizeof(float) * B * 2048);
        TIME("fc1 bwd", linear_backward(dflat, dfw1, dfb1, dh2, pool[2], fw1, B, 2048, 512));
        const float *cur = dflat;
        for (int i = 2; i >= 0; i--) {
            int c = cout[i], h = hh[i], n = B * c * h * h;
            float *a = d1[i], *b = d2[i];
            TIME("zero grads", parallel_zero(a, sizeof(float) * n));
            TIME("pool bwd", maxpool2x2_backward(a, cur, amax[i], B, c, h, h));
            if (se) {
                TIME("zero grads", parallel_zero(b, sizeof(float) * n));
                TIME("se bwd", se_backward(b, sedw1[i], sedw2[i], a, act[i], sep[i], sehh[i], ses[i],
                                           sew1[i], sew2[i], B, c, h * h, c / 16));
                float *t = a; a = b; b = t;
            }
            TIME("relu bwd", relu_backward_inplace(a, act[i], (size_t)n));
            TIME("zero grads", parallel_zero(b, sizeof(float) * n));
            TIME("bn bwd", batchnorm_backward(b, dg[i], dbt[i], a, xhat[i], istd[i], gam[i], B, c, h * h));
            float *dinp = NULL;
            if (i > 0) {
                dinp = d2[i - 1];
                TIME("zero grads", parallel_zero(dinp, sizeof(float) * B * cin[i] * hh[i] * hh[i]));
            }
            TIME(i == 0 ? "conv1 bwd" : i == 1 ? "conv2 bwd" : "conv3 bwd",
                 conv2d_backward(dinp, dw[i], db[i], b, i == 0 ? x : pool[i - 1], w[i], B, cin[i],
                                 h, h, cout[i], work[i]));
            cur = dinp;
        }
        if (s == 0) nslots = 0; // step 0 is warm-up
        else end_step();
    }
    double total = 0;
    for (int i = 0; i < nslots; i++) total += slots[i].best;
    printf("per-layer profile, %s, batch %d, %d thread(s), kernel %s (fastest of %d steps per layer, %s time, Adam not included)\n",
           se ? "CNN_SE" : "CNN", B, threads_get(), gemm_kernel_name(), steps, layer_clock == now ? "wall" : "CPU");
    for (int i = 0; i < nslots; i++)
        printf("  %-14s %8.3f ms  %5.1f%%\n", slots[i].name, slots[i].best * 1e3,
               100 * slots[i].best / total);
    printf("  %-14s %8.3f ms  -> %.0f img/s without Adam\n", "total", total * 1e3, B / total);
}

// The serial fraction of a whole training step (model_train_step: forward, backward, Adam)
// at one thread: the time outside parallel_for over the step's time (CPU time, the fastest
// of `steps` steps), and the speed-ups it predicts for 2, 4, 8 and 16 threads: Amdahl's law
// (the parallel part divides evenly), and bounded by the item counts (a parallel_for of n
// items on p threads takes ceil(n/p)/n of its time at best). Prints a table and one JSON line.
static void profile_serial(ModelKind kind, int steps) {
    Model *m = model_create(kind, 1, BATCH);
    float *x = fill((size_t)BATCH * IMG_SIZE, 1.0f);
    uint8_t y[BATCH];
    for (int i = 0; i < BATCH; i++) y[i] = (uint8_t)(i % NUM_CLASSES);
    AdamConfig cfg = adam_default();
    float loss;
    int correct;
    double best_t = 1e30, best_par = 0, best_bound[4] = {0};
    for (int s = 0; s <= steps; s++) {
        ThreadsProfile tp;
        memset(&tp, 0, sizeof tp);
        threads_profile(&tp, cpu_now);
        double t0 = cpu_now();
        model_train_step(m, x, y, BATCH, &cfg, &loss, &correct);
        double t = cpu_now() - t0;
        threads_profile(NULL, NULL);
        if (s > 0 && t < best_t) {
            best_t = t;
            best_par = tp.parallel;
            memcpy(best_bound, tp.bound, sizeof best_bound);
        }
    }
    double serial = best_t - best_par, f = serial / best_t;
    printf("serial fraction, %s training step (batch %d, Adam included, %d thread(s), kernel %s, fastest of %d):\n"
           "  step %.3f ms, in parallel_for %.3f ms, on one thread %.3f ms: serial fraction %.4f\n",
           model_kind_name(kind), BATCH, threads_get(), gemm_kernel_name(), steps, best_t * 1e3,
           best_par * 1e3, serial * 1e3, f);
    printf("  predicted speed-up      ");
    for (int k = 0; k < 4; k++) printf("  %2d threads", 2 << k);
    printf("\n  Amdahl                  ");
    for (int k = 0; k < 4; k++) printf("  %9.2fx ", 1 / (f + (1 - f) / (2 << k)));
    printf("\n  with the item counts    ");
    for (int k = 0; k < 4; k++) printf("  %9.2fx ", best_t / (serial + best_bound[k]));
    printf("\n{\"profile\":\"serial\",\"model\":\"%s\",\"step_s\":%.6g,\"parallel_s\":%.6g,"
           "\"bound_s\":[%.6g,%.6g,%.6g,%.6g]}\n", model_kind_name(kind), best_t, best_par,
           best_bound[0], best_bound[1], best_bound[2], best_bound[3]);
    free(x);
    model_free(m);
}

// One eval forward (batch B) written out with the layer functions, as model_forward calls
// them with train == 0, each call timed.
static void profile_infer(int se, int B, int steps) {
    const int cin[3] = {3, 32, 64}, cout[3] = {32, 64, 128}, hh[3] = {32, 16, 8};
    float *x = fill((size_t)B * 3 * 1024, 1.0f);
    float *w[3], *bias[3], *conv[3], *act[3], *rm[3], *rv[3], *gam[3], *bet[3], *pool[3], *work[3];
    float *cache[3];
    float *sew1[3], *sew2[3], *seo[3], *sep[3], *seh[3], *sehh[3], *sez[3], *ses[3];
    int32_t *amax[3];
    for (int i = 0; i < 3; i++) {
        int c = cout[i], h = hh[i], n = B * c * h * h, r = c / 16;
        w[i] = fill((size_t)c * cin[i] * 9, 0.1f); bias[i] = fill(c, 0.1f);
        conv[i] = fill(n, 0); act[i] = fill(n, 0);
        rm[i] = fill(c, 0.1f); rv[i] = fill(c, 0);
        for (int k = 0; k < c; k++) rv[i][k] = 1.0f + 0.5f * rm[i][k];
        gam[i] = fill(c, 1); bet[i] = fill(c, 0.1f);
        pool[i] = fill(n / 4, 0); amax[i] = malloc(sizeof(int32_t) * n / 4);
        work[i] = fill(conv_block_eval_work_floats(B, cin[i], h, h, c), 0);
        cache[i] = fill(conv_block_eval_cache_floats(cin[i], c), 0);
        sew1[i] = fill((size_t)r * c, 0.3f); sew2[i] = fill((size_t)r * c, 0.3f);
        seo[i] = fill(n, 0); sep[i] = fill((size_t)B * c, 0); seh[i] = fill((size_t)B * r, 0);
        sehh[i] = fill((size_t)B * r, 0); sez[i] = fill((size_t)B * c, 0); ses[i] = fill((size_t)B * c, 0);
    }
    float *fw1 = fill(512 * 2048, 0.02f), *fb1 = fill(512, 0.1f), *fw2 = fill(10 * 512, 0.05f);
    float *fb2 = fill(10, 0.1f), *h1 = fill((size_t)B * 512, 0), *logits = fill((size_t)B * 10, 0);
    nslots = 0;
    for (int s = 0; s <= steps; s++) {
        const float *in = x;
        for (int i = 0; i < 3; i++) {
            int c = cout[i], h = hh[i], n = B * c * h * h;
            TIME(i == 0 ? "block1" : i == 1 ? "block2" : "block3",
                 conv_block_eval(conv[i], act[i], se ? NULL : pool[i], se ? NULL : amax[i], in,
                                 w[i], bias[i], gam[i], bet[i], rm[i], rv[i], 1e-5f, B, cin[i], h,
                                 h, c, cache[i], work[i]));
            if (se)
                TIME("se + pool", se_pool_eval(seo[i], pool[i], amax[i], sep[i], seh[i], sehh[i],
                                               sez[i], ses[i], act[i], sew1[i], sew2[i], B, c, h,
                                               h, c / 16));
            (void)n;
            in = pool[i];
        }
        TIME("fc1", linear_forward(h1, pool[2], fw1, fb1, B, 2048, 512));
        TIME("fc1 relu", relu_forward(h1, h1, (size_t)B * 512));
        TIME("fc2", linear_forward(logits, h1, fw2, fb2, B, 512, 10));
        if (s == 0) nslots = 0; // step 0 is warm-up
        else end_step();
    }
    double total = 0, mean = 0;
    for (int i = 0; i < nslots; i++) total += slots[i].best, mean += slots[i].sum / slots[i].n;
    printf("eval forward profile, %s, batch %d, kernel %s (fastest and mean of %d passes per\n"
           "  layer; blockN = conv + bias + batch-norm + ReLU%s)\n", se ? "CNN_SE" : "CNN", B,
           gemm_kernel_name(), steps, se ? "" : " + max-pool");
    for (int i = 0; i < nslots; i++)
        printf("  %-14s %8.3f ms  %5.1f%%   mean %8.3f ms\n", slots[i].name, slots[i].best * 1e3,
               100 * slots[i].best / total, slots[i].sum / slots[i].n * 1e3);
    printf("  %-14s %8.3f ms  -> %.0f img/s   mean %8.3f ms -> %.0f img/s\n", "total",
           total * 1e3, B / total, mean * 1e3, B / mean);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *sys = argc > 1 ? argv[1] : "excite";
    int nt = argc > 2 ? atoi(argv[2]) : 1;
    int runs = argc > 3 ? atoi(argv[3]) : 5;
    int prof = argc > 4 && !strcmp(argv[4], "--profile");
    nt = threads_set(nt);
    if (argc > 4 && !strcmp(argv[4], "--profile-infer")) {
        for (int se = 0; se < 2; se++) {
            profile_infer(se, BATCH, runs);
            profile_infer(se, 1, runs * 20);
        }
        return 0;
    }
    if (argc > 4 && !strcmp(argv[4], "--profile-wall")) {
        layer_clock = now;
        profile(0, runs);
        profile(1, runs);
        return 0;
    }
    if (prof) {
        profile(0, runs);
        profile(1, runs);
        profile_serial(MODEL_CNN, runs);
        profile_serial(MODEL_CNN_SE, runs);
        return 0;
    }
    if (argc > 4 && !strcmp(argv[4], "--serial")) {
        profile_serial(MODEL_CNN, runs);
        profile_serial(MODEL_CNN_SE, runs);
        return 0;
    }
    float *x = malloc(sizeof(float) * BATCH * IMG_SIZE);
    uint8_t y[BATCH];
    if (!x) return 1;
    Rng rng;
    rng_seed(&rng, 7);
    for (size_t i = 0; i < (size_t)BATCH * IMG_SIZE; i++) x[i] = 2.0f * rng_uniform(&rng) - 1.0f;
    for (int i = 0; i < BATCH; i++) y[i] = (uint8_t)(i % NUM_CLASSES);
    const char *only = getenv("BENCH_MODEL"); // CNN or CNN_SE; default both
    for (int k = 0; k < 2; k++) {
        if (only && strcmp(only, model_kind_name((ModelKind)k))) continue;
        if (bench(sys, (ModelKind)k, nt, runs, x, y) != 0) return 1;
    }
    free(x);
    return 0;
}
