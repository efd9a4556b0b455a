// fuzz_cifar.c - libFuzzer target for the CIFAR-10 readers: cifar_parse (records from memory),
// cifar_load (the same bytes as a test_batch.bin file) and cifar_class_names
// (batches.meta.txt), then batch_make with and without augmentation over what was read.
// Any input must give 0, or -1 with a message; never a crash, undefined behaviour or a leak.
//
// Input format: byte 0 = flags, byte 1 = seed, the rest = the file.
//   flags bits 0-2: record limit (0 = all), bit 3: augment,
//   bits 4-5: 0 cifar_parse, 1 cifar_load from a temporary directory, 2 cifar_class_names.
// Replayed over fuzz/regressions and fuzz/corpus by tests/test_regressions.c.
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cifar.h"
#include "rng.h"

#ifndef FUZZ_CHECK
#define FUZZ_CHECK(cond, what) do { if (!(cond)) { \
    fprintf(stderr, "fuzz check failed: %s (%s:%d)\n", what, __FILE__, __LINE__); abort(); } } while (0)
#endif

enum { FC_BATCH = 4, FC_IMG = CIFAR_RECORD - 1 };
static char fc_dir[64];

static void fc_remove_dir(void);

static void fc_write(const char *name, const uint8_t *p, size_t n, char *path, size_t pathlen) {
    if (!fc_dir[0]) {
        snprintf(fc_dir, sizeof fc_dir, "/tmp/excite-fuzz-cifar-XXXXXX");
        FUZZ_CHECK(mkdtemp(fc_dir) != NULL, "mkdtemp failed");
        atexit(fc_remove_dir);
    }
    snprintf(path, pathlen, "%s/%s", fc_dir, name);
    FILE *f = fopen(path, "wb");
    FUZZ_CHECK(f != NULL, "cannot write a temporary file");
    FUZZ_CHECK(n == 0 || fwrite(p, 1, n, f) == n, "short write");
    fclose(f);
}

// Remove the temporary directory (at exit, and by the regression replay).
static void fc_remove_dir(void) {
    if (!fc_dir[0]) return;
    char path[128];
    snprintf(path, sizeof path, "%s/test_batch.bin", fc_dir); remove(path);
    snprintf(path, sizeof path, "%s/batches.meta.txt", fc_dir); remove(path);
    rmdir(fc_dir);
    fc_dir[0] = '\0';
}

void fuzz_cifar_cleanup(void) { fc_remove_dir(); }

static void fc_check_dataset(const Dataset *d, const uint8_t *file, size_t len, int limit,
                             int augment, uint8_t seed) {
    FUZZ_CHECK(d->n >= 1, "accepted an empty dataset");
    FUZZ_CHECK(limit <= 0 || d->n <= limit, "more records than the limit");
    FUZZ_CHECK((size_t)d->n * CIFAR_RECORD <= len, "more records than bytes");
    for (int i = 0; i < d->n; i++) {
        const uint8_t *rec = file + (size_t)i * CIFAR_RECORD;
        FUZZ_CHECK(d->labels[i] <= 9, "label > 9 accepted");
        FUZZ_CHECK(d->labels[i] == rec[0], "label differs from the file");
        FUZZ_CHECK(memcmp(d->images + (size_t)i * FC_IMG, rec + 1, FC_IMG) == 0,
                   "image differs from the file");
    }
    Rng rng;
    rng_seed(&rng, seed);
    int idx[FC_BATCH];
    float x[FC_BATCH * FC_IMG];
    uint8_t y[FC_BATCH];
    for (int b = 0; b < FC_BATCH; b++) idx[b] = (int)rng_below(&rng, (uint32_t)d->n);
    batch_make(x, y, d, idx, FC_BATCH, augment, &rng);
    for (int b = 0; b < FC_BATCH; b++) FUZZ_CHECK(y[b] == d->labels[idx[b]], "batch label mismatch");
    // Normalised pixels lie in [(0 - mean) / std, (1 - mean) / std]: within [-2, 2.2].
    for (int i = 0; i < FC_BATCH * FC_IMG; i++)
        FUZZ_CHECK(isfinite(x[i]) && x[i] > -2.0f && x[i] < 2.2f, "normalised pixel out of range");
    image_normalize(x, d->images);
}

int fuzz_cifar(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    int limit = data[0] & 7, augment = (data[0] >> 3) & 1, mode = (data[0] >> 4) & 3;
    uint8_t seed = data[1];
    const uint8_t *file = data + 2;
    size_t len = size - 2;
    char err[256], path[128];
    err[0] = '\0';
    Dataset d;
    memset(&d, 0, sizeof d);
    if (mode == 0) {
        if (cifar_parse(&d, file, len, limit, err, sizeof err) != 0) {
            FUZZ_CHECK(err[0] != '\0', "cifar_parse failed without a message");
            return 0;
        }
        fc_check_dataset(&d, file, len, limit, augment, seed);
        dataset_free(&d);
    } else if (mode == 1) {
        fc_write("test_batch.bin", file, len, path, sizeof path);
        if (cifar_load(&d, fc_dir, 0, limit, err, sizeof err) != 0) {
            FUZZ_CHECK(err[0] != '\0', "cifar_load failed without a message");
            return 0;
        }
        fc_check_dataset(&d, file, len, limit, augment, seed);
        dataset_free(&d);
    } else {
        fc_write("batches.meta.txt", file, len, path, sizeof path);
        char names[10][32];
        memset(names, 0x55, sizeof names);
        if (cifar_class_names(names, fc_dir, err, sizeof err) != 0) {
            FUZZ_CHECK(err[0] != '\0', "cifar_class_names failed without a message");
            return 0;
        }
        for (int i = 0; i < 10; i++)
            FUZZ_CHECK(memchr(names[i], '\0', sizeof names[i]) != NULL, "class name not terminated");
    }
    return 0;
}

#ifndef FUZZ_NO_ENTRY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_cifar(data, size); }
#endif
