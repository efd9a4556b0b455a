// test_augment.c - the photo augmentations of c/augment.h: with probabilities 0 they draw
// nothing (runs keep their bytes), a flat image stays flat (weights sum to 1), they commute with
// a per-channel affine map (so applying them to the normalised batch is the normalised image of
// the blurred or rescaled picture), they are deterministic per generator state, and the trainer
// applies them with --augment (a step's batch differs) and not without.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "augment.h"
#include "train.h"

#include "expect.h"

enum { N = 3 * 32 * 32, B = 4 };

static double max_diff(const float *a, const float *b, int n) {
    double m = 0;
    for (int i = 0; i < n; i++) m = fmax(m, fabs((double)a[i] - b[i]));
    return m;
}

int main(void) {
    static float x[B * N], y[B * N], z[B * N];
    uint32_t h = 99;
    for (int i = 0; i < B * N; i++) {
        h = h * 1664525u + 1013904223u;
        x[i] = (float)(h >> 8) / 16777216.0f * 4 - 2;
    }
    Rng r, r0;
    rng_seed(&r, 5);
    r0 = r;
    memcpy(y, x, sizeof x);
    photo_augment(y, B, 0, 0, &r);
    CHECK(!memcmp(&r, &r0, sizeof r) && max_diff(x, y, B * N) == 0, "probabilities 0 drew or changed something");

    // flat planes stay flat
    for (int i = 0; i < B * N; i++) z[i] = (float)(i / 1024) * 0.25f - 1;
    memcpy(y, z, sizeof z);
    r = r0;
    photo_augment(y, B, 1, 1, &r);
    CHECK(max_diff(y, z, B * N) < 1e-6, "a flat image changed by %g", max_diff(y, z, B * N));
    CHECK(memcmp(&r, &r0, sizeof r) != 0, "probability 1 drew nothing");

    // commutes with a per-channel affine map a_c * v + b_c
    const float a[3] = {2.0f, -0.5f, 4.0f}, b[3] = {0.5f, 1.0f, -3.0f};
    memcpy(y, x, sizeof x);
    for (int i = 0; i < B * N; i++) z[i] = a[(i / 1024) % 3] * x[i] + b[(i / 1024) % 3];
    Rng r1 = r0, r2 = r0;
    photo_augment(y, B, 1, 1, &r1);
    photo_augment(z, B, 1, 1, &r2);
    double worst = 0;
    for (int i = 0; i < B * N; i++)
        worst = fmax(worst, fabs(a[(i / 1024) % 3] * y[i] + b[(i / 1024) % 3] - z[i]));
    CHECK(worst < 1e-4 && !memcmp(&r1, &r2, sizeof r1), "not affine-equivariant: %g", worst);
    CHECK(max_diff(x, y, B * N) > 0.1, "blur + rescale left a noisy image unchanged");

    // deterministic
    memcpy(z, x, sizeof x);
    r1 = r0;
    photo_augment(z, B, 1, 1, &r1);
    CHECK(max_diff(y, z, B * N) == 0, "same generator state, different result");
    // blur alone: a noisy image loses variance
    memcpy(z, x, sizeof x);
    r1 = r0;
    photo_augment(z, B, 1, 0, &r1);
    double vx = 0, vz = 0;
    for (int i = 0; i < N; i++) { vx += x[i] * x[i]; vz += z[i] * z[i]; }
    CHECK(vz < 0.8 * vx, "blur kept the energy of noise (%g vs %g)", vz, vx);

    // the trainer: with --augment and aug_blur 1 the first step's loss differs from aug_blur 0;
    // with aug_blur 1 but no --augment it equals the plain run
    enum { M = 64 };
    Dataset d = {M, malloc(M), malloc((size_t)M * N)};
    for (int i = 0; i < M; i++) d.labels[i] = (uint8_t)(i % 10);
    for (size_t i = 0; i < (size_t)M * N; i++) {
        h = h * 1664525u + 1013904223u;
        d.images[i] = (uint8_t)(h >> 24);
    }
    float loss[4];
    for (int k = 0; k < 4; k++) {
        TrainConfig cfg = train_config_default();
        cfg.kind = MODEL_CNN_SE;
        cfg.batch_size = 16;
        cfg.epochs = 1;
        cfg.augment = k < 2 || k == 3;
        cfg.aug_blur = k == 1 || k == 2 ? 1 : 0;
        if (k == 3) cfg.aug_blur = 0, cfg.aug_scale = 0;
        char err[256];
        Trainer *t = trainer_create(&cfg, &d, &d, err, sizeof err);
        CHECK(t != NULL, "trainer: %s", err);
        BatchRecord br;
        CHECK(t && trainer_step(t, &br) == TRAIN_OK, "step");
        loss[k] = br.loss;
        trainer_free(t);
    }
    // loss[0]: augment; loss[1]: augment + blur; loss[2]: blur without augment; loss[3] = loss[0]
    CHECK(loss[0] != loss[1], "aug_blur 1 did not change the first batch (loss %g)", loss[0]);
    CHECK(loss[0] == loss[3], "two runs with the same settings differ (%g, %g)", loss[0], loss[3]);
    TrainConfig plain = train_config_default();
    plain.kind = MODEL_CNN_SE;
    plain.batch_size = 16;
    plain.epochs = 1;
    char err[256];
    Trainer *t = trainer_create(&plain, &d, &d, err, sizeof err);
    BatchRecord br;
    CHECK(t && trainer_step(t, &br) == TRAIN_OK && br.loss == loss[2],
          "aug_blur without --augment changed the run (%g vs %g)", loss[2], t ? br.loss : 0.0f);
    trainer_free(t);
    dataset_free(&d);
    if (failures) {
        fprintf(stderr, "test_augment: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_augment: ok\n");
    return 0;
}
