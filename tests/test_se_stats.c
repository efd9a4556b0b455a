// test_se_stats.c - dead SE units and the spread of s (c/se_stats.c) on a CNN_SE whose SE
// weights are set so that the answer is known: in ca1 unit 0 gets only negative weights
// (the pooled inputs are means after a ReLU, >= 0, so it is zero on every image: dead), the
// others positive ones (alive); every unit of ca2 is made dead (z = 0, s = 0.5 exactly: spread
// 0, all pairs near 0.5); ca3 keeps its random initialisation. Synthetic images, no data files.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cifar.h"
#include "model.h"
#include "se_stats.h"
#include "train.h"

#include "expect.h"

static void set_rows(Model *m, const char *name, int row_from, int row_to, float v) {
    const Tensor *t = model_find_tensor(m, name);
    int cols = t->shape[1];
    for (int r = row_from; r < row_to; r++)
        for (int c = 0; c < cols; c++) t->data[(size_t)r * cols + c] = v;
}

int main(void) {
    // se_spread: max - min
    const float s4[4] = {0.5f, 0.25f, 0.875f, 0.5f};
    CHECK(se_spread(s4, 4) == 0.625, "se_spread %g, want 0.625", se_spread(s4, 4));
    CHECK(se_spread(s4, 1) == 0, "se_spread of one channel %g", se_spread(s4, 1));

    enum { N = 23 };   // not a multiple of the batch: a partial last batch
    Dataset d = {N, malloc(N), malloc((size_t)N * IMG_SIZE)};
    uint32_t x = 12345;
    for (int i = 0; i < N; i++) d.labels[i] = (uint8_t)(i % 10);
    for (size_t i = 0; i < (size_t)N * IMG_SIZE; i++) {
        x = x * 1664525u + 1013904223u;
        d.images[i] = (uint8_t)(x >> 24);
    }
    Model *m = model_create(MODEL_CNN_SE, 7, 16);
    const Tensor *w1 = model_find_tensor(m, "ca1.fc.0.weight");
    int h1 = w1->shape[0];
    set_rows(m, "ca1.fc.0.weight", 0, 1, -0.5f);
    set_rows(m, "ca1.fc.0.weight", 1, h1, 0.5f);
    int h2 = model_find_tensor(m, "ca2.fc.0.weight")->shape[0];
    set_rows(m, "ca2.fc.0.weight", 0, h2, -0.25f);

    SEStats st;
    char err[256];
    CHECK(se_stats_compute(m, &d, 8, &st, err, sizeof err) == 0, "se_stats_compute: %s", err);
    CHECK(st.n == N, "n %d", st.n);
    CHECK(st.block[0].C == 32 && st.block[0].hidden == h1, "ca1 C %d hidden %d (want 32, %d)",
          st.block[0].C, st.block[0].hidden, h1);
    CHECK(st.block[0].dead == 1 && st.block[0].dead_unit[0] == 1, "ca1 dead %d, unit 0 %d",
          st.block[0].dead, st.block[0].dead_unit[0]);
    for (int j = 1; j < h1; j++) CHECK(!st.block[0].dead_unit[j], "ca1 unit %d dead", j);
    CHECK(st.block[0].rare >= st.block[0].dead && st.block[0].rare_unit[0], "ca1 rare %d", st.block[0].rare);
    CHECK(st.block[0].spread > 0, "ca1 spread %g", st.block[0].spread);
    CHECK(st.block[1].dead == h2, "ca2 dead %d of %d", st.block[1].dead, h2);
    CHECK(st.block[1].spread == 0, "ca2 spread %g, want 0", st.block[1].spread);
    CHECK(st.block[1].near_half == 1, "ca2 near 0.5 %g, want 1", st.block[1].near_half);
    CHECK(st.block[2].hidden == model_find_tensor(m, "ca3.fc.0.weight")->shape[0], "ca3 hidden");
    // ca3 (random weights) recounted by hand from one forward of all images
    {
        float *xb = malloc((size_t)N * IMG_SIZE * sizeof(float));
        for (int i = 0; i < N; i++) image_normalize(xb + (size_t)i * IMG_SIZE, d.images + (size_t)i * IMG_SIZE);
        CHECK(model_forward(m, xb, N, 0) == 0, "forward: %s", model_error(m));
        int fired[SE_STATS_MAX_HIDDEN] = {0}, dead = 0, rare = 0;
        double spread = 0, near = 0;
        SEView v = {0};
        for (int i = 0; i < N; i++) {
            CHECK(model_se_view(m, 2, i, &v) == 0, "se view");
            float lo = 1, hi = 0;
            for (int c = 0; c < v.C; c++) {
                lo = v.s[c] < lo ? v.s[c] : lo;
                hi = v.s[c] > hi ? v.s[c] : hi;
                near += fabsf(v.s[c] - 0.5f) <= 0.01f;
            }
            spread += (double)hi - lo;
            for (int j = 0; j < v.R; j++) fired[j] += v.hidden[j] > 0;
        }
        for (int j = 0; j < v.R; j++) {
            dead += !fired[j];
            rare += fired[j] < 0.01 * N;   // with 23 images: never above zero
            CHECK(st.block[2].rare_unit[j] == (fired[j] < 0.01 * N), "ca3 unit %d rare flag", j);
        }
        CHECK(st.block[2].rare == rare, "ca3 rare %d, by hand %d", st.block[2].rare, rare);
        CHECK(st.block[2].dead == dead, "ca3 dead %d, by hand %d", st.block[2].dead, dead);
        CHECK(fabs(st.block[2].spread - spread / N) < 1e-6, "ca3 spread %g, by hand %g",
              st.block[2].spread, spread / N);
        CHECK(fabs(st.block[2].near_half - near / (N * v.C)) < 1e-9, "ca3 near 0.5 %g, by hand %g",
              st.block[2].near_half, near / (N * v.C));
        free(xb);
    }

    // the accuracy and loss are evaluate()'s
    EvalResult er;
    CHECK(evaluate(m, &d, 8, &er, err, sizeof err) == 0, "evaluate: %s", err);
    CHECK(fabs(er.accuracy - st.accuracy) < 1e-12, "accuracy %g vs evaluate %g", st.accuracy, er.accuracy);
    CHECK(fabs(er.loss - st.loss) < 1e-9, "loss %g vs evaluate %g", st.loss, er.loss);

    // the same numbers with another batch size
    SEStats st2;
    CHECK(se_stats_compute(m, &d, 100, &st2, err, sizeof err) == 0, "%s", err);
    for (int b = 0; b < NUM_BLOCKS; b++)
        CHECK(st2.block[b].dead == st.block[b].dead &&
              fabs(st2.block[b].spread - st.block[b].spread) < 1e-6, "block %d differs by batch", b);

    // another reduction ratio: the hidden sizes are the model's (C / 4), not C / 16
    Model *m4 = model_create_shaped(MODEL_CNN_SE, 4, NULL, 7, 16);
    CHECK(m4 && se_stats_compute(m4, &d, 8, &st, err, sizeof err) == 0, "R = 4: %s", err);
    for (int b = 0; m4 && b < NUM_BLOCKS; b++)
        CHECK(st.block[b].hidden == (32 << b) / 4 && st.block[b].hidden == model_se_hidden(m4, b),
              "R = 4: block %d hidden %d, want %d", b, st.block[b].hidden, (32 << b) / 4);
    model_free(m4);

    // se_init_positive: |w| for caN.fc.0, nothing else; no unit starts dead
    Model *mp = model_create(MODEL_CNN_SE, 1, 16), *m0 = model_create(MODEL_CNN_SE, 1, 16);
    se_init_positive(mp);
    int same = 1, dead0 = 0;
    for (int i = 0; i < model_num_tensors(mp); i++) {
        const Tensor *a = model_tensor(mp, i), *o = model_tensor(m0, i);
        if (a->dtype != DTYPE_F32) continue;
        int first = strstr(a->name, ".fc.0.weight") != NULL;
        for (size_t k = 0; k < a->numel; k++)
            if (a->data[k] != (first ? fabsf(o->data[k]) : o->data[k])) same = 0;
    }
    CHECK(same, "se_init_positive changed more (or less) than |caN.fc.0.weight|");
    CHECK(se_stats_compute(m0, &d, 8, &st, err, sizeof err) == 0, "%s", err);
    for (int b = 0; b < NUM_BLOCKS; b++) dead0 += st.block[b].dead;
    CHECK(se_stats_compute(mp, &d, 8, &st, err, sizeof err) == 0, "%s", err);
    for (int b = 0; b < NUM_BLOCKS; b++)
        CHECK(st.block[b].dead == 0, "positive init: block %d has %d dead units", b + 1, st.block[b].dead);
    printf("seed 1: %d dead units at the default initialisation, 0 with se_init_positive\n", dead0);
    model_free(mp);
    model_free(m0);

    // the setting: a new run with se_positive_init starts from those weights
    {
        TrainConfig cfg = train_config_default();
        cfg.kind = MODEL_CNN_SE;
        cfg.se_positive_init = 1;
        cfg.batch_size = 8;
        Trainer *t = trainer_create(&cfg, &d, &d, err, sizeof err);
        CHECK(t != NULL, "trainer: %s", err);
        Model *mt = t ? trainer_model(t) : NULL;
        int neg = 0;
        for (int b = 1; mt && b <= NUM_BLOCKS; b++) {
            char name[32];
            snprintf(name, sizeof name, "ca%d.fc.0.weight", b);
            const Tensor *w = model_find_tensor(mt, name);
            for (size_t k = 0; k < w->numel; k++) neg += w->data[k] < 0;
        }
        CHECK(mt && neg == 0, "se_positive_init: %d negative caN.fc.0 weights at the start", neg);
        trainer_free(t);
    }

    // a CNN is refused with a message
    Model *cnn = model_create(MODEL_CNN, 7, 16);
    CHECK(se_stats_compute(cnn, &d, 8, &st, err, sizeof err) == -1 && strstr(err, "CNN_SE"),
          "CNN accepted (%s)", err);
    model_free(cnn);
    model_free(m);
    dataset_free(&d);
    if (failures) {
        fprintf(stderr, "test_se_stats: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_se_stats: ok\n");
    return 0;
}
