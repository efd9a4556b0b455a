// cifar.c - CIFAR-10 binary batches: parsing from memory, loading files, normalising,
// batching with augmentation. See cifar.h. (Pictures to 32x32 inputs: image.c.)
// No global state: cifar_parse is used on untrusted buffers (WebAssembly, fuzzer).
#include "cifar.h"
#include "errors.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const CIFAR_CLASSES[10] = {"airplane", "automobile", "bird", "cat", "deer",
                                       "dog", "frog", "horse", "ship", "truck"};
static const float MEAN[3] = {0.4914f, 0.4822f, 0.4465f};
static const float STD[3] = {0.2470f, 0.2435f, 0.2616f};

static const char *TRAIN_FILES[5] = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                                     "data_batch_4.bin", "data_batch_5.bin"};
static const char *TEST_FILE = "test_batch.bin";

void dataset_free(Dataset *d) {
    if (!d) return;
    free(d->labels);
    free(d->images);
    d->labels = NULL;
    d->images = NULL;
    d->n = 0;
}

// Check n records of buf and copy them into labels/images. what names the source in errors.
static int parse_records(uint8_t *labels, uint8_t *images, const uint8_t *buf, size_t n,
                         const char *what, char *err, size_t errlen) {
    for (size_t i = 0; i < n; i++) {
        const uint8_t *r = buf + i * CIFAR_RECORD;
        if (r[0] > 9) {
            set_err(err, errlen, "%s: record %zu has label %d (labels are 0..9)", what, i, (int)r[0]);
            return -1;
        }
        labels[i] = r[0];
        memcpy(images + i * (size_t)(CIFAR_RECORD - 1), r + 1, CIFAR_RECORD - 1);
    }
    return 0;
}

static int check_size(size_t len, const char *what, char *err, size_t errlen) {
    if (len == 0) {
        set_err(err, errlen, "%s: empty (0 bytes; a CIFAR-10 batch holds %d-byte records)", what,
                CIFAR_RECORD);
        return -1;
    }
    if (len % CIFAR_RECORD != 0) {
        set_err(err, errlen,
                "%s: truncated: %zu bytes is not a whole number of %d-byte records "
                "(an official batch has 30730000 bytes)", what, len, CIFAR_RECORD);
        return -1;
    }
    return 0;
}

static int dataset_alloc(Dataset *d, size_t n, char *err, size_t errlen) {
    d->n = 0;
    d->labels = malloc(n ? n : 1);
    d->images = malloc((n ? n : 1) * (size_t)(CIFAR_RECORD - 1));
    if (!d->labels || !d->images) {
        dataset_free(d);
        set_err(err, errlen, "dataset: out of memory for %zu images", n);
        return -1;
    }
    return 0;
}

int cifar_parse(Dataset *d, const uint8_t *buf, size_t len, int limit, char *err, size_t errlen) {
    d->n = 0;
    d->labels = NULL;
    d->images = NULL;
    if (!buf) len = 0;
    if (check_size(len, "buffer", err, errlen)) return -1;
    size_t n = len / CIFAR_RECORD;
    if (limit > 0 && (size_t)limit < n) n = (size_t)limit;
    if (n > (size_t)0x7fffffff) {
        set_err(err, errlen, "buffer: %zu records is too many", n);
        return -1;
    }
    if (dataset_alloc(d, n, err, errlen)) return -1;
    if (parse_records(d->labels, d->images, buf, n, "buffer", err, errlen)) {
        dataset_free(d);
        return -1;
    }
    d->n = (int)n;
    return 0;
}

// Reads a whole file into *buf (grown as needed). Errors name the path.
static int read_file(const char *path, uint8_t **buf, size_t *cap, size_t *len, char *err,
                     size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        set_err(err, errlen, "%s: cannot open (missing file? set CIFAR10_DIR or --data to the "
                "folder with the CIFAR-10 binary batches)", path);
        return -1;
    }
    size_t n = 0;
    for (;;) {
        if (n == *cap) {
            size_t nc = *cap ? *cap * 2 : (size_t)CIFAR_PER_BATCH * CIFAR_RECORD + 1;
            uint8_t *nb = realloc(*buf, nc);
            if (!nb) {
                fclose(f);
                set_err(err, errlen, "%s: out of memory after %zu bytes", path, n);
                return -1;
            }
            *buf = nb;
            *cap = nc;
        }
        size_t got = fread(*buf + n, 1, *cap - n, f);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        set_err(err, errlen, "%s: read error after %zu bytes", path, n);
        return -1;
    }
    *len = n;
    return 0;
}

static void join(char *out, size_t cap, const char *dir, const char *name) {
    size_t dl = strlen(dir);
    snprintf(out, cap, "%s%s%s", dir, (dl && dir[dl - 1] != '/') ? "/" : "", name);
}

int cifar_load(Dataset *d, const char *dir, int train, int limit, char *err, size_t errlen) {
    d->n = 0;
    d->labels = NULL;
    d->images = NULL;
    const char *files[5];
    int nfiles = 0;
    if (train) {
        for (int i = 0; i < 5; i++) files[nfiles++] = TRAIN_FILES[i];
    } else {
        files[nfiles++] = TEST_FILE;
    }
    size_t want = (size_t)nfiles * CIFAR_PER_BATCH; // capacity; grown if a file is larger
    if (limit > 0 && (size_t)limit < want) want = (size_t)limit;
    if (dataset_alloc(d, want, err, errlen)) return -1;
    size_t cap_images = want;
    uint8_t *buf = NULL;
    size_t cap = 0, have = 0;
    char path[4096];
    for (int fi = 0; fi < nfiles && (limit <= 0 || have < (size_t)limit); fi++) {
        join(path, sizeof path, dir, files[fi]);
        size_t len = 0;
        if (read_file(path, &buf, &cap, &len, err, errlen) || check_size(len, path, err, errlen))
            goto fail;
        size_t n = len / CIFAR_RECORD;
        if (limit > 0 && have + n > (size_t)limit) n = (size_t)limit - have;
        if (have + n > cap_images) {
            size_t nc = have + n;
            uint8_t *nl = realloc(d->labels, nc);
            if (nl) d->labels = nl;
            uint8_t *ni = nl ? realloc(d->images, nc * (size_t)(CIFAR_RECORD - 1)) : NULL;
            if (!nl || !ni) {
                set_err(err, errlen, "%s: out of memory for %zu images", path, nc);
                goto fail;
            }
            d->images = ni;
            cap_images = nc;
        }
        if (parse_records(d->labels + have, d->images + have * (size_t)(CIFAR_RECORD - 1), buf, n,
                          path, err, errlen))
            goto fail;
        have += n;
        if (have > (size_t)0x7fffffff) {
            set_err(err, errlen, "%s: more than 2^31 images", path);
            goto fail;
        }
    }
    free(buf);
    d->n = (int)have;
    return 0;
fail:
    free(buf);
    dataset_free(d);
    return -1;
}

int cifar_class_names(char names[10][32], const char *dir, char *err, size_t errlen) {
    char path[4096];
    join(path, sizeof path, dir, "batches.meta.txt");
    FILE *f = fopen(path, "rb");
    if (!f) {
        set_err(err, errlen, "%s: cannot open (missing file?)", path);
        return -1;
    }
    int n = 0;
    char line[256];
    while (n < 10 && fgets(line, sizeof line, f)) {
        size_t l = strlen(line);
        while (l && (line[l - 1] == '\n' || line[l - 1] == '\r' || line[l - 1] == ' ' ||
                     line[l - 1] == '\t'))
            line[--l] = 0;
        if (l == 0) continue;
        if (l >= 32) {
            set_err(err, errlen, "%s: class name %d is longer than 31 characters",
                    path, n + 1);
            fclose(f);
            return -1;
        }
        memcpy(names[n], line, l + 1);
        n++;
    }
    fclose(f);
    if (n < 10) {
        set_err(err, errlen, "%s: %d class names found, expected 10", path, n);
        return -1;
    }
    return 0;
}

void image_normalize(float *out, const uint8_t *img) {
    for (int c = 0; c < 3; c++) {
        const float m = MEAN[c], s = STD[c];
        for (int i = 0; i < 1024; i++)
            out[c * 1024 + i] = ((float)img[c * 1024 + i] / 255.0f - m) / s;
    }
}

void batch_make(float *x, uint8_t *y, const Dataset *d, const int *idx, int B, int augment,
                Rng *rng) {
    uint8_t tmp[3 * 32 * 32];
    for (int b = 0; b < B; b++) {
        const uint8_t *img = d->images + (size_t)idx[b] * (CIFAR_RECORD - 1);
        y[b] = d->labels[idx[b]];
        if (!augment) {
            image_normalize(x + (size_t)b * 3072, img);
            continue;
        }
        // Crop offsets 0..8 in the 40x40 padded image: output (r, c) reads source
        // (r + dy - 4, c + dx - 4), black outside the image.
        int dy = (int)rng_below(rng, 9);
        int dx = (int)rng_below(rng, 9);
        int flip = rng_uniform(rng) < 0.5f;
        for (int c = 0; c < 3; c++)
            for (int r = 0; r < 32; r++) {
                int sr = r + dy - 4;
                for (int col = 0; col < 32; col++) {
                    int sc = col + dx - 4;
                    uint8_t v = 0;
                    if (sr >= 0 && sr < 32 && sc >= 0 && sc < 32) v = img[c * 1024 + sr * 32 + sc];
                    tmp[c * 1024 + r * 32 + (flip ? 31 - col : col)] = v;
                }
            }
        image_normalize(x + (size_t)b * 3072, tmp);
    }
}
