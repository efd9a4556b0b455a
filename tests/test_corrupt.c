// test_corrupt.c - the corruptions of c/corrupt.h on pictures drawn here: severity 0 is the
// identity, known values (brightness, contrast, downscale of a checkerboard, blur and
// downscale of a flat picture), JPEG close to its input at quality 60 and further at 10, the
// noise's spread and determinism (same seed and index: same bytes), corrupt_dataset equal to
// the images one by one, and names round-trip.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "corrupt.h"

#include "expect.h"

enum { HW = 1024, N = 3 * HW };

static int max_diff(const uint8_t *a, const uint8_t *b) {
    int m = 0;
    for (int i = 0; i < N; i++) {
        int d = abs(a[i] - b[i]);
        if (d > m) m = d;
    }
    return m;
}

static void fill(uint8_t *p, int v) { memset(p, v, N); }

int main(void) {
    uint8_t pic[N], out[N], out2[N];
    char err[256];
    // a smooth picture: gradients per channel plus a soft disc
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 32; x++) {
                double r = hypot(x - 15.5, y - 15.5);
                pic[c * HW + y * 32 + x] = (uint8_t)(40 + 5 * x + c * 20 + (r < 9 ? 30 : 0));
            }
    for (int k = 0; k < CORRUPT_COUNT; k++) {
        CHECK(corrupt_parse(corrupt_name((CorruptKind)k)) == k, "name %d", k);
        CHECK(corrupt_image(out, pic, (CorruptKind)k, 0, 1, 0, err, sizeof err) == 0 &&
              max_diff(out, pic) == 0, "%s at severity 0 is not the identity", corrupt_name(k));
        for (int s = 1; s <= CORRUPT_SEVERITIES; s++) {
            CHECK(corrupt_image(out, pic, (CorruptKind)k, s, 1, 0, err, sizeof err) == 0, "%s", err);
            CHECK(max_diff(out, pic) > 0, "%s severity %d changed nothing", corrupt_name(k), s);
        }
    }
    CHECK(corrupt_parse("fog") == -1, "unknown name parsed");
    CHECK(corrupt_image(out, pic, CORRUPT_NOISE, 4, 1, 0, err, sizeof err) == -1, "severity 4 accepted");

    // brightness: + 0.1 * 255 = 25.5, rounded half up; clamped at 255
    fill(pic, 100);
    pic[5] = 250;
    CHECK(corrupt_image(out, pic, CORRUPT_BRIGHTNESS, 1, 1, 0, err, sizeof err) == 0, "%s", err);
    CHECK(out[0] == 126 && out[5] == 255, "brightness: %d %d (want 126 255)", out[0], out[5]);
    // contrast: a flat picture stays; two levels 50/150 (mean 100) at factor 0.6 -> 70/130
    fill(pic, 77);
    for (int k = CORRUPT_BLUR; k <= CORRUPT_CONTRAST; k++) {
        if (k == CORRUPT_BRIGHTNESS || k == CORRUPT_JPEG) continue;
        CHECK(corrupt_image(out, pic, (CorruptKind)k, 3, 1, 0, err, sizeof err) == 0 &&
              max_diff(out, pic) == 0, "%s changed a flat picture", corrupt_name(k));
    }
    CHECK(corrupt_image(out, pic, CORRUPT_JPEG, 3, 1, 0, err, sizeof err) == 0 &&
          max_diff(out, pic) <= 2, "jpeg of a flat picture off by %d", max_diff(out, pic));
    for (int i = 0; i < N; i++) pic[i] = (uint8_t)(((i % 32) + (i / 32)) % 2 ? 150 : 50);
    CHECK(corrupt_image(out, pic, CORRUPT_CONTRAST, 1, 1, 0, err, sizeof err) == 0, "%s", err);
    CHECK(out[0] == 70 && out[1] == 130, "contrast: %d %d (want 70 130)", out[0], out[1]);
    // downscale of a 1-pixel checkerboard to 16: every output pixel averages 2 x 2 -> 100
    CHECK(corrupt_image(out, pic, CORRUPT_DOWNSCALE, 1, 1, 0, err, sizeof err) == 0, "%s", err);
    fill(out2, 100);
    CHECK(max_diff(out, out2) == 0, "downscale of a checkerboard off by %d", max_diff(out, out2));
    // blur spreads the checkerboard towards its mean, symmetric around it
    CHECK(corrupt_image(out, pic, CORRUPT_BLUR, 3, 1, 0, err, sizeof err) == 0, "%s", err);
    CHECK(abs(out[33 * 5] - 100) <= 3 && abs(out[33 * 5 + 1] - 100) <= 3, "blur: %d %d",
          out[33 * 5], out[33 * 5 + 1]);

    // JPEG: close at quality 60, further at 10, on the smooth picture
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < HW; i++) pic[c * HW + i] = (uint8_t)(40 + 5 * (i % 32) + c * 20);
    double e60 = 0, e10 = 0;
    corrupt_image(out, pic, CORRUPT_JPEG, 1, 1, 0, err, sizeof err);
    for (int i = 0; i < N; i++) e60 += fabs((double)out[i] - pic[i]) / N;
    corrupt_image(out, pic, CORRUPT_JPEG, 3, 1, 0, err, sizeof err);
    for (int i = 0; i < N; i++) e10 += fabs((double)out[i] - pic[i]) / N;
    CHECK(e60 < 4 && e10 > e60, "jpeg mean abs error q60 %.2f, q10 %.2f", e60, e10);

    // noise: sigma 0.04 * 255 = 10.2 on mid grey, deterministic per (seed, index)
    fill(pic, 128);
    CHECK(corrupt_image(out, pic, CORRUPT_NOISE, 1, 9, 3, err, sizeof err) == 0, "%s", err);
    double sum = 0, sq = 0;
    for (int i = 0; i < N; i++) {
        sum += out[i] - 128.0;
        sq += (out[i] - 128.0) * (out[i] - 128.0);
    }
    double sd = sqrt(sq / N - (sum / N) * (sum / N));
    CHECK(fabs(sd - 10.2) < 1.0 && fabs(sum / N) < 1.0, "noise sd %.2f mean %.2f", sd, sum / N);
    corrupt_image(out2, pic, CORRUPT_NOISE, 1, 9, 3, err, sizeof err);
    CHECK(max_diff(out, out2) == 0, "noise not deterministic");
    corrupt_image(out2, pic, CORRUPT_NOISE, 1, 9, 4, err, sizeof err);
    CHECK(max_diff(out, out2) > 0, "noise the same for two images");
    corrupt_image(out2, pic, CORRUPT_NOISE, 1, 10, 3, err, sizeof err);
    CHECK(max_diff(out, out2) > 0, "noise the same for two seeds");

    // corrupt_dataset: image i as corrupt_image(..., i)
    Dataset d = {5, malloc(5), malloc(5 * N)}, dc;
    for (int i = 0; i < 5 * N; i++) d.images[i] = (uint8_t)(i * 7);
    for (int i = 0; i < 5; i++) d.labels[i] = (uint8_t)i;
    CHECK(corrupt_dataset(&dc, &d, CORRUPT_NOISE, 2, 9, err, sizeof err) == 0, "%s", err);
    for (int i = 0; i < 5; i++) {
        corrupt_image(out, d.images + i * N, CORRUPT_NOISE, 2, 9, i, err, sizeof err);
        CHECK(max_diff(out, dc.images + i * N) == 0 && dc.labels[i] == i, "dataset image %d", i);
    }
    dataset_free(&dc);
    dataset_free(&d);
    if (failures) {
        fprintf(stderr, "test_corrupt: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_corrupt: ok\n");
    return 0;
}
