// test_cifar.c - the CIFAR-10 reader (c/cifar.c): parsing good and broken buffers and files
// synthesised here (never dataset bytes), normalisation, batching and augmentation, fitting
// images to 32x32, and - when $CIFAR10_DIR holds the real batches - counts and labels
// against the published per-class counts (data/cifar10/PROVENANCE.md).
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cifar.h"
#include "image.h"

#include "expect.h"

static const float MEAN[3] = {0.4914f, 0.4822f, 0.4465f};
static const float STD[3] = {0.2470f, 0.2435f, 0.2616f};

// n synthetic records: label i % 10, pixel (c, p) = (i * 7 + c * 31 + p) & 255.
static uint8_t *make_records(int n) {
    uint8_t *b = malloc((size_t)n * CIFAR_RECORD);
    for (int i = 0; i < n; i++) {
        uint8_t *r = b + (size_t)i * CIFAR_RECORD;
        r[0] = (uint8_t)(i % 10);
        for (int c = 0; c < 3; c++)
            for (int p = 0; p < 1024; p++) r[1 + c * 1024 + p] = (uint8_t)((i * 7 + c * 31 + p) & 255);
    }
    return b;
}

static void write_file(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
    if (len) fwrite(data, 1, len, f);
    fclose(f);
}

static void test_parse(void) {
    char err[512];
    Dataset d;
    uint8_t *buf = make_records(5);
    CHECK(cifar_parse(&d, buf, 5 * CIFAR_RECORD, 0, err, sizeof err) == 0, "parse good: %s", err);
    CHECK(d.n == 5, "n = %d", d.n);
    for (int i = 0; i < d.n; i++) {
        CHECK(d.labels[i] == i % 10, "label %d", i);
        CHECK(memcmp(d.images + (size_t)i * 3072, buf + (size_t)i * CIFAR_RECORD + 1, 3072) == 0,
              "image %d differs", i);
    }
    dataset_free(&d);
    CHECK(d.n == 0 && !d.images && !d.labels, "dataset_free resets");

    CHECK(cifar_parse(&d, buf, 5 * CIFAR_RECORD, 3, err, sizeof err) == 0 && d.n == 3, "limit 3");
    dataset_free(&d);

    err[0] = 0;
    CHECK(cifar_parse(&d, buf, 5 * CIFAR_RECORD - 1, 0, err, sizeof err) == -1, "truncated buffer accepted");
    CHECK(strstr(err, "truncated") && strstr(err, "15364"), "truncated message: %s", err);
    CHECK(d.n == 0 && !d.images, "failed parse leaves an empty dataset");
    CHECK(cifar_parse(&d, buf, 100, 0, err, sizeof err) == -1, "100 bytes accepted");
    CHECK(cifar_parse(&d, buf, 0, 0, err, sizeof err) == -1 && strstr(err, "empty"), "empty: %s", err);
    CHECK(cifar_parse(&d, NULL, 3073, 0, err, sizeof err) == -1, "NULL buffer accepted");

    buf[2 * CIFAR_RECORD] = 10;
    err[0] = 0;
    CHECK(cifar_parse(&d, buf, 5 * CIFAR_RECORD, 0, err, sizeof err) == -1, "label 10 accepted");
    CHECK(strstr(err, "label 10") && strstr(err, "record 2"), "label message: %s", err);
    buf[2 * CIFAR_RECORD] = 255;
    CHECK(cifar_parse(&d, buf, 5 * CIFAR_RECORD, 0, err, sizeof err) == -1, "label 255 accepted");
    // A bad label after the limit is not read.
    CHECK(cifar_parse(&d, buf, 5 * CIFAR_RECORD, 2, err, sizeof err) == 0 && d.n == 2, "limit before bad label");
    dataset_free(&d);
    free(buf);
}

static void test_files(void) {
    char dir[256], path[512], err[512];
    snprintf(dir, sizeof dir, "%s/excite-test-cifar-%d", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
             (int)getpid());
    mkdir(dir, 0700);
    Dataset d;
    uint8_t *recs = make_records(30);

    // Missing: the error names the path.
    err[0] = 0;
    CHECK(cifar_load(&d, dir, 0, 0, err, sizeof err) == -1, "missing test batch accepted");
    CHECK(strstr(err, "test_batch.bin") && strstr(err, dir), "missing message: %s", err);

    // Good test batch of 30 records.
    snprintf(path, sizeof path, "%s/test_batch.bin", dir);
    write_file(path, recs, 30 * CIFAR_RECORD);
    CHECK(cifar_load(&d, dir, 0, 0, err, sizeof err) == 0 && d.n == 30, "test batch: %s", err);
    CHECK(d.labels && d.labels[17] == 7, "test label 17");
    dataset_free(&d);
    CHECK(cifar_load(&d, dir, 0, 12, err, sizeof err) == 0 && d.n == 12, "test limit 12");
    dataset_free(&d);

    // Truncated training batch: names the file and the byte count.
    snprintf(path, sizeof path, "%s/data_batch_1.bin", dir);
    write_file(path, recs, 10 * CIFAR_RECORD + 100);
    err[0] = 0;
    CHECK(cifar_load(&d, dir, 1, 5, err, sizeof err) == -1, "truncated batch accepted");
    CHECK(strstr(err, "data_batch_1.bin") && strstr(err, "30830") && strstr(err, "truncated"),
          "truncated message: %s", err);
    // Empty file.
    write_file(path, recs, 0);
    CHECK(cifar_load(&d, dir, 1, 5, err, sizeof err) == -1 && strstr(err, "empty"), "empty: %s", err);

    // Whole records: a limit inside batch 1 needs no other file; all of them needs batch 2.
    write_file(path, recs, 20 * CIFAR_RECORD);
    CHECK(cifar_load(&d, dir, 1, 15, err, sizeof err) == 0 && d.n == 15, "train limit 15: %s", err);
    dataset_free(&d);
    err[0] = 0;
    CHECK(cifar_load(&d, dir, 1, 0, err, sizeof err) == -1 && strstr(err, "data_batch_2.bin"),
          "missing batch 2: %s", err);
    // Spanning files: 20 from batch 1, then batch 2.
    snprintf(path, sizeof path, "%s/data_batch_2.bin", dir);
    write_file(path, recs + 20 * CIFAR_RECORD, 10 * CIFAR_RECORD);
    CHECK(cifar_load(&d, dir, 1, 25, err, sizeof err) == 0 && d.n == 25, "span: %s", err);
    if (d.n == 25)
        CHECK(memcmp(d.images + 22 * 3072, recs + 22 * CIFAR_RECORD + 1, 3072) == 0 && d.labels[22] == 2,
              "record 22 spans into batch 2");
    dataset_free(&d);
    // A bad label in a file names the file.
    recs[20 * CIFAR_RECORD + 3 * CIFAR_RECORD] = 42;
    write_file(path, recs + 20 * CIFAR_RECORD, 10 * CIFAR_RECORD);
    CHECK(cifar_load(&d, dir, 1, 25, err, sizeof err) == -1 && strstr(err, "data_batch_2.bin") &&
          strstr(err, "label 42"), "bad label in file: %s", err);

    // batches.meta.txt: empty lines (inside and a trailing one) are skipped.
    char names[10][32];
    snprintf(path, sizeof path, "%s/batches.meta.txt", dir);
    const char *meta = "airplane\nautomobile\n\nbird\ncat\r\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n";
    write_file(path, meta, strlen(meta));
    CHECK(cifar_class_names(names, dir, err, sizeof err) == 0, "meta: %s", err);
    CHECK(!strcmp(names[2], "bird") && !strcmp(names[3], "cat") && !strcmp(names[9], "truck"),
          "class names %s %s %s", names[2], names[3], names[9]);
    const char *short_meta = "a\nb\nc\n";
    write_file(path, short_meta, strlen(short_meta));
    CHECK(cifar_class_names(names, dir, err, sizeof err) == -1 && strstr(err, "3 class names"),
          "short meta: %s", err);

    const char *files[] = {"test_batch.bin", "data_batch_1.bin", "data_batch_2.bin", "batches.meta.txt"};
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        remove(path);
    }
    rmdir(dir);
    free(recs);
}

static void test_normalize_and_batches(void) {
    uint8_t *recs = make_records(8);
    Dataset d;
    char err[256];
    if (cifar_parse(&d, recs, 8 * CIFAR_RECORD, 0, err, sizeof err)) {
        CHECK(0, "parse: %s", err);
        free(recs);
        return;
    }
    float x[3072];
    image_normalize(x, d.images + 3072);
    for (int c = 0; c < 3; c++)
        for (int p = 0; p < 1024; p += 97) {
            float want = ((float)d.images[3072 + c * 1024 + p] / 255.0f - MEAN[c]) / STD[c];
            CHECK(x[c * 1024 + p] == want, "normalize c%d p%d: %g vs %g", c, p, x[c * 1024 + p], want);
        }

    int idx[4] = {5, 0, 7, 2};
    float xb[4 * 3072];
    uint8_t y[4];
    batch_make(xb, y, &d, idx, 4, 0, NULL);
    for (int b = 0; b < 4; b++) {
        image_normalize(x, d.images + (size_t)idx[b] * 3072);
        CHECK(memcmp(x, xb + b * 3072, sizeof x) == 0 && y[b] == idx[b] % 10, "plain batch %d", b);
    }

    // Augmentation: draws dy, dx (0..8 each), then flip (uniform < 0.5), per image in order.
    Rng r1, r2;
    rng_seed(&r1, 99);
    rng_seed(&r2, 99);
    int seen_offsets[9][9] = {{0}}, flips = 0, total = 0;
    for (int round = 0; round < 200; round++) {
        batch_make(xb, y, &d, idx, 4, 1, &r1);
        for (int b = 0; b < 4; b++) {
            int dy = (int)rng_below(&r2, 9), dx = (int)rng_below(&r2, 9);
            int flip = rng_uniform(&r2) < 0.5f;
            seen_offsets[dy][dx]++;
            flips += flip;
            total++;
            uint8_t want[3072];
            const uint8_t *img = d.images + (size_t)idx[b] * 3072;
            for (int c = 0; c < 3; c++)
                for (int row = 0; row < 32; row++)
                    for (int col = 0; col < 32; col++) {
                        int sr = row + dy - 4, sc = (flip ? 31 - col : col) + dx - 4;
                        want[c * 1024 + row * 32 + col] =
                            (sr >= 0 && sr < 32 && sc >= 0 && sc < 32) ? img[c * 1024 + sr * 32 + sc] : 0;
                    }
            image_normalize(x, want);
            if (memcmp(x, xb + b * 3072, sizeof x) != 0) {
                CHECK(0, "augmented image round %d b %d (dy %d dx %d flip %d)", round, b, dy, dx, flip);
                round = 1000;
                break;
            }
        }
    }
    int all = 1;
    for (int i = 0; i < 9; i++)
        for (int j = 0; j < 9; j++) all &= seen_offsets[i][j] > 0;
    CHECK(all, "not every crop offset drawn in %d images", total);
    CHECK(flips > total / 3 && flips < 2 * total / 3, "flips %d of %d", flips, total);
    CHECK(r1.s[0] == r2.s[0] && r1.s[3] == r2.s[3], "augmentation drew a different number of values");
    dataset_free(&d);
    free(recs);
}

static void test_fit(void) {
    char err[256];
    uint8_t out[3072];
    // 64x48 RGB, constant colour -> constant.
    int w = 64, h = 48;
    uint8_t *px = malloc((size_t)w * h * 4);
    for (int i = 0; i < w * h; i++) { px[3 * i] = 10; px[3 * i + 1] = 200; px[3 * i + 2] = 77; }
    CHECK(image_fit_32(out, px, w, h, 3, err, sizeof err) == 0, "fit: %s", err);
    CHECK(out[0] == 10 && out[1024 + 500] == 200 && out[2048 + 1023] == 77, "constant colour");
    // 64x32: centre crop (columns 16..47), left half 0 / right half 255 -> exact copy of the crop.
    w = 64; h = 32;
    for (int yy = 0; yy < h; yy++)
        for (int xx = 0; xx < w; xx++)
            for (int c = 0; c < 3; c++) px[(yy * w + xx) * 3 + c] = (uint8_t)(xx * 4 + c);
    CHECK(image_fit_32(out, px, w, h, 3, err, sizeof err) == 0, "fit 64x32: %s", err);
    CHECK(out[0] == 64 && out[31] == 188 && out[2048 + 5 * 32 + 1] == 70, "centre crop %d %d %d",
          out[0], out[31], out[2048 + 161]);
    // 64x64 grey: 2x2 blocks average; channel replicated.
    w = 64; h = 64;
    for (int yy = 0; yy < h; yy++)
        for (int xx = 0; xx < w; xx++) px[yy * w + xx] = (uint8_t)((xx + yy) % 2 ? 100 : 50);
    CHECK(image_fit_32(out, px, w, h, 1, err, sizeof err) == 0, "fit grey: %s", err);
    CHECK(out[7] == 75 && out[1024 + 7] == 75 && out[2048 + 900] == 75, "2x2 mean %d", out[7]);
    // RGBA 96x96: alpha ignored, 3x3 mean.
    w = 96; h = 96;
    px = realloc(px, (size_t)w * h * 4);
    for (int i = 0; i < w * h; i++) { px[4 * i] = (uint8_t)(i % 3 == 0 ? 90 : 0); px[4 * i + 1] = 1; px[4 * i + 2] = 2; px[4 * i + 3] = 0; }
    CHECK(image_fit_32(out, px, w, h, 4, err, sizeof err) == 0 && out[0] == 30 && out[1024] == 1,
          "rgba 3x3 mean %d", out[0]);
    // 1x1 -> every pixel that colour.
    uint8_t one[3] = {1, 2, 3};
    CHECK(image_fit_32(out, one, 1, 1, 3, err, sizeof err) == 0 && out[1023] == 1 && out[2047] == 2,
          "1x1");
    CHECK(image_fit_32(out, px, 0, 5, 3, err, sizeof err) == -1, "width 0 accepted");
    CHECK(image_fit_32(out, px, 5, 5, 5, err, sizeof err) == -1, "5 channels accepted");
    CHECK(image_fit_32(out, NULL, 5, 5, 3, err, sizeof err) == -1, "NULL accepted");
    free(px);
}

// Per-class counts from PROVENANCE.md (airplane..truck) and first labels of each file.
static const int TRAIN_COUNTS[5][10] = {
    {1005, 974, 1032, 1016, 999, 937, 1030, 1001, 1025, 981},
    {984, 1007, 1010, 995, 1010, 988, 1008, 1026, 987, 985},
    {994, 1042, 965, 997, 990, 1029, 978, 1015, 961, 1029},
    {1003, 963, 1041, 976, 1004, 1021, 1004, 981, 1024, 983},
    {1014, 1014, 952, 1016, 997, 1025, 980, 977, 1003, 1022}};
static const int FIRST_TRAIN[10] = {6, 9, 9, 4, 1, 1, 2, 7, 8, 3};
static const int FIRST_TEST[10] = {3, 8, 8, 0, 6, 6, 1, 6, 3, 1};

static void test_real(int quick) {
    const char *dir = getenv("CIFAR10_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/test_batch.bin", dir ? dir : "");
    if (!dir || access(path, R_OK) != 0) {
        printf("  real data: skipped (CIFAR10_DIR not set or without test_batch.bin)\n");
        return;
    }
    char err[512];
    Dataset d;
    CHECK(cifar_load(&d, dir, 0, 0, err, sizeof err) == 0, "test batch: %s", err);
    CHECK(d.n == 10000, "test n = %d", d.n);
    int counts[10] = {0};
    for (int i = 0; i < d.n; i++) counts[d.labels[i]]++;
    for (int c = 0; c < 10; c++) CHECK(counts[c] == 1000, "test class %d: %d", c, counts[c]);
    for (int i = 0; i < 10 && i < d.n; i++) CHECK(d.labels[i] == FIRST_TEST[i], "test label %d", i);
    dataset_free(&d);
    char names[10][32];
    CHECK(cifar_class_names(names, dir, err, sizeof err) == 0 && !strcmp(names[0], "airplane") &&
          !strcmp(names[9], "truck"), "class names: %s", err);
    if (quick) {
        printf("  real data: test batch checked (training batches skipped: EXCITE_QUICK)\n");
        return;
    }
    CHECK(cifar_load(&d, dir, 1, 0, err, sizeof err) == 0, "training batches: %s", err);
    CHECK(d.n == 50000, "train n = %d", d.n);
    for (int f = 0; f < 5 && d.n == 50000; f++) {
        int cc[10] = {0};
        for (int i = f * 10000; i < (f + 1) * 10000; i++) cc[d.labels[i]]++;
        for (int c = 0; c < 10; c++)
            CHECK(cc[c] == TRAIN_COUNTS[f][c], "data_batch_%d class %d: %d vs %d", f + 1, c, cc[c],
                  TRAIN_COUNTS[f][c]);
    }
    for (int i = 0; i < 10 && d.n > 10; i++) CHECK(d.labels[i] == FIRST_TRAIN[i], "train label %d", i);
    dataset_free(&d);
    printf("  real data: 50000 + 10000 images, per-class counts and first labels match\n");
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    int quick = getenv("EXCITE_QUICK") && atoi(getenv("EXCITE_QUICK")) != 0;
    test_parse();
    test_files();
    test_normalize_and_batches();
    test_fit();
    test_real(quick);
    if (failures) {
        fprintf(stderr, "test_cifar: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_cifar: ok\n");
    return 0;
}
