// test_weights.c - the shipped weights (weights/cnn.safetensors, weights/cnn_se.safetensors)
// against their model card (weights/README.md):
//   1. each file's sha256 equals the one in the card;
//   2. test accuracy on the 10,000 CIFAR-10 test images is at least the card's figure minus
//      0.05 points (when the data is present; skipped with EXCITE_QUICK=1, the ASan run);
//   3. the same file loaded into the lesson's PyTorch classes (tests/reverse_model.py) gives
//      the native logits of the first 1,000 test images within 1e-4.
// The card lists each file in a table row "| cnn.safetensors | CNN | ... | <sha256> | 85.12 % |":
// the sha256 is the 64-hex-digit cell, the accuracy the last cell.
#define _POSIX_C_SOURCE 200809L  // popen
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cifar.h"
#include "model.h"
#include "safetensors.h"
#include "train.h"

#define CARD "weights/README.md"
enum { LOGIT_IMAGES = 1000 };
static const double ACC_MARGIN = 0.05;   // points
static const char *TOL = "1e-4";

static int read_file(const char *path, uint8_t **buf, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    *buf = malloc(n > 0 ? (size_t)n : 1);
    *len = (size_t)n;
    int ok = *buf && fread(*buf, 1, *len, f) == *len;
    fclose(f);
    if (!ok) { free(*buf); return -1; }
    return 0;
}

// Finds the card row of file: its sha256 cell and its accuracy (last cell, in %).
static int card_row(const char *file, char sha[65], double *acc) {
    FILE *f = fopen(CARD, "r");
    if (!f) { fprintf(stderr, "FAIL: cannot open %s\n", CARD); return -1; }
    char line[1024], key[128];
    snprintf(key, sizeof key, "| %s |", file);
    int found = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, strlen(key))) continue;
        sha[0] = 0;
        *acc = -1;
        for (char *cell = strtok(line, "|"); cell; cell = strtok(NULL, "|")) {
            while (*cell == ' ') cell++;
            size_t n = strspn(cell, "0123456789abcdef");
            if (n == 64) { memcpy(sha, cell, 64); sha[64] = 0; }
            double v;
            if (sscanf(cell, "%lf %%", &v) == 1 && strchr(cell, '%')) *acc = v;
        }
        found = (sha[0] && *acc >= 0) ? 0 : -1;
        break;
    }
    fclose(f);
    if (found) fprintf(stderr, "FAIL: %s has no row \"%s ... | sha256 | accuracy %% |\"\n", CARD, key);
    return found;
}

static int file_sha256(const char *path, char sha[65]) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "sha256sum '%s'", path);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    int ok = fscanf(p, "%64s", sha) == 1;
    return (pclose(p) == 0 && ok) ? 0 : -1;
}

static int check_one(const char *file, const char *kind_arg, const char *refdir, const Dataset *test) {
    char path[256], sha_card[65], sha_file[65] = {0};
    double acc_card;
    int fails = 0;
    snprintf(path, sizeof path, "weights/%s", file);
    if (card_row(file, sha_card, &acc_card)) return 1;
    if (file_sha256(path, sha_file)) { fprintf(stderr, "FAIL: cannot hash %s\n", path); return 1; }
    int sha_ok = !strcmp(sha_card, sha_file);
    printf("  %-18s sha256 %s  %s\n", file, sha_file, sha_ok ? "ok (as in the card)" : "FAIL (card differs)");
    fails += !sha_ok;

    uint8_t *buf;
    size_t len;
    char err[1024];
    if (read_file(path, &buf, &len)) { fprintf(stderr, "FAIL: cannot read %s\n", path); return 1; }
    Model *m = model_from_bytes(buf, len, -1, 100, err, sizeof err);
    free(buf);
    if (!m) { fprintf(stderr, "FAIL: %s: %s\n", path, err); return 1; }
    if (!test) {
        printf("  %-18s accuracy and PyTorch logits skipped (%s)\n", file,
               getenv("EXCITE_QUICK") ? "EXCITE_QUICK" : "no CIFAR-10 test batch");
        model_free(m);
        return fails;
    }

    EvalResult er;
    if (evaluate(m, test, 100, &er, err, sizeof err)) {
        fprintf(stderr, "FAIL: evaluate %s: %s\n", file, err);
        model_free(m);
        return 1;
    }
    double acc = 100.0 * er.accuracy;
    int acc_ok = acc >= acc_card - ACC_MARGIN;
    printf("  %-18s test accuracy %.2f %% on %d images, card %.2f %% (min %.2f)  %s\n", file, acc,
           er.n, acc_card, acc_card - ACC_MARGIN, acc_ok ? "ok" : "FAIL");
    fails += !acc_ok;

    // Native logits of the first images, written as x + logits for tests/reverse_model.py.
    int n = test->n < LOGIT_IMAGES ? test->n : LOGIT_IMAGES;
    float *x = malloc(sizeof(float) * (size_t)n * IMG_SIZE);
    float *logits = malloc(sizeof(float) * (size_t)n * NUM_CLASSES);
    for (int i = 0; i < n; i += 100) {
        int b = n - i < 100 ? n - i : 100;
        for (int j = 0; j < b; j++) image_normalize(x + (size_t)(i + j) * IMG_SIZE, test->images + (size_t)(i + j) * IMG_SIZE);
        if (model_forward(m, x + (size_t)i * IMG_SIZE, b, 0)) {
            fprintf(stderr, "FAIL: forward: %s\n", model_error(m));
            fails++;
            break;
        }
        memcpy(logits + (size_t)i * NUM_CLASSES, model_logits(m), sizeof(float) * (size_t)b * NUM_CLASSES);
    }
    uint64_t xs[4] = {(uint64_t)n, 3, 32, 32}, ls[2] = {(uint64_t)n, NUM_CLASSES};
    StTensorIn t[2] = {{"x", ST_F32, 4, xs, x}, {"logits", ST_F32, 2, ls, logits}};
    uint8_t *out;
    size_t out_len;
    char lpath[512], cmd[1200];
    snprintf(lpath, sizeof lpath, "%s/shipped_%s_logits.safetensors", refdir, kind_arg);
    if (st_write(t, 2, NULL, 0, &out, &out_len, err, sizeof err) == 0) {
        FILE *f = fopen(lpath, "wb");
        int ok = f && fwrite(out, 1, out_len, f) == out_len;
        if (f) fclose(f);
        free(out);
        snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/reverse_model.py %s '%s' '%s' %s",
                 kind_arg, path, lpath, TOL);
        fflush(stdout);
        if (!ok || system(cmd) != 0) { fprintf(stderr, "FAIL: PyTorch logits of %s\n", file); fails++; }
    } else {
        fprintf(stderr, "FAIL: %s\n", err);
        fails++;
    }
    free(x);
    free(logits);
    model_free(m);
    return fails;
}

int main(int argc, char **argv) {
    const char *refdir = argc > 1 ? argv[1] : "build/ref";
    const char *dir = getenv("CIFAR10_DIR") ? getenv("CIFAR10_DIR") : "data/cifar10";
    Dataset test = {0, NULL, NULL};
    int have_test = 0;
    char err[1024], path[1024];
    snprintf(path, sizeof path, "%s/test_batch.bin", dir);
    FILE *probe = fopen(path, "rb");
    if (probe) fclose(probe);
    if (probe && !getenv("EXCITE_QUICK")) {
        if (cifar_load(&test, dir, 0, 0, err, sizeof err)) { fprintf(stderr, "FAIL: %s\n", err); return 1; }
        have_test = 1;
    }
    printf("shipped weights against %s\n", CARD);
    int fails = check_one("cnn.safetensors", "CNN", refdir, have_test ? &test : NULL) +
                check_one("cnn_se.safetensors", "CNN_SE", refdir, have_test ? &test : NULL);
    dataset_free(&test);
    if (fails) { printf("test_weights: %d FAILED\n", fails); return 1; }
    printf("test_weights: ok\n");
    return 0;
}
