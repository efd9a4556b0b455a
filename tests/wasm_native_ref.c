// wasm_native_ref.c - native reference values for tests/wasm_parity.test.mjs (not a test by
// itself): builds a model from a seed, saves its initial weights, then for a batch of byte
// images computes eval-mode logits and one training step (default Adam, lr 1e-3).
//   wasm_native_ref CNN|CNN_SE SEED IMAGES LABELS OUTDIR [GEMM_KERNEL]
// IMAGES: B*3072 bytes (3,32,32); LABELS: B bytes. Writes OUTDIR/init.safetensors,
// OUTDIR/logits.f32 (B*10 little-endian floats), OUTDIR/step.txt ("loss correct" with %.9g)
// and OUTDIR/after.safetensors. Exit status 1 with a message on any error.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cifar.h"
#include "gemm.h"
#include "model.h"

static unsigned char *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = n > 0 ? malloc((size_t)n) : NULL;
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = b ? (size_t)n : 0;
    return b;
}

static int fail(const char *what, const char *msg) {
    fprintf(stderr, "wasm_native_ref: %s: %s\n", what, msg);
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 6 && argc != 7) return fail("usage", "wasm_native_ref CNN|CNN_SE SEED IMAGES LABELS OUTDIR [GEMM_KERNEL]");
    if (argc == 7 && gemm_select(argv[6]) != 0) return fail(argv[6], "no such GEMM kernel here");
    ModelKind kind = strcmp(argv[1], "CNN_SE") == 0 ? MODEL_CNN_SE : MODEL_CNN;
    uint64_t seed = strtoull(argv[2], NULL, 10);
    size_t ni, nl;
    unsigned char *img = read_all(argv[3], &ni), *lab = read_all(argv[4], &nl);
    if (!img || !lab || ni != nl * IMG_SIZE) return fail(argv[3], "cannot read images/labels");
    int B = (int)nl;
    char path[1024];
    Model *m = model_create(kind, seed, B);
    if (!m) return fail("model_create", "out of memory");
    snprintf(path, sizeof path, "%s/init.safetensors", argv[5]);
    if (model_save_file(m, path, 0) != 0) return fail(path, model_error(m));

    float *x = malloc(sizeof(float) * IMG_SIZE * (size_t)B);
    for (int b = 0; b < B; b++) image_normalize(x + (size_t)b * IMG_SIZE, img + (size_t)b * IMG_SIZE);
    if (model_forward(m, x, B, 0) != 0) return fail("forward", model_error(m));
    snprintf(path, sizeof path, "%s/logits.f32", argv[5]);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(model_logits(m), sizeof(float), (size_t)B * 10, f) != (size_t)B * 10) return fail(path, "write");
    fclose(f);

    AdamConfig cfg = adam_default();
    float loss;
    int correct;
    if (model_train_step(m, x, lab, B, &cfg, &loss, &correct) != 0) return fail("train step", model_error(m));
    snprintf(path, sizeof path, "%s/step.txt", argv[5]);
    f = fopen(path, "w");
    if (!f) return fail(path, "write");
    fprintf(f, "%.9g %d\n", loss, correct);
    fclose(f);
    snprintf(path, sizeof path, "%s/after.safetensors", argv[5]);
    if (model_save_file(m, path, 0) != 0) return fail(path, model_error(m));
    model_free(m);
    free(x);
    free(img);
    free(lab);
    return 0;
}
