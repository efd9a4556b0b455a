// fuzz_checkpoint.c - libFuzzer target for training checkpoints (c/train.h), the files that
// `excite train --resume` and the page's resumed runs read: checkpoint_read_config,
// trainer_resume over a small synthetic dataset, then one training step (or the epoch end)
// and a save/resume round trip; also weights_detect_kind and model_from_bytes on the same
// bytes. Any input must give a trainer or an error with a message; never a crash, undefined
// behaviour or a leak.
//
// Input format (as fuzz_safetensors.c):
//   'H' u32le data_len, then header JSON: the file is u64le header_len, the header, and
//       data_len bytes of 00 00 00 3f (0.5f); a checkpoint holds ~14 MB of tensors, so this
//       is how inputs reach the metadata checks and the training loop.
//   anything else: the rest of the input is the file.
// The dataset: FCK_TRAIN training and FCK_TEST test images of random bytes (seeded); the
// seeds in fuzz/corpus/checkpoint were saved over the same sizes (fuzz/make_checkpoint_seeds.c).
// Replayed over fuzz/regressions and fuzz/corpus by tests/test_regressions.c.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cifar.h"
#include "model.h"
#include "rng.h"
#include "train.h"

#ifndef FUZZ_CHECK
#define FUZZ_CHECK(cond, what) do { if (!(cond)) { \
    fprintf(stderr, "fuzz check failed: %s (%s:%d)\n", what, __FILE__, __LINE__); abort(); } } while (0)
#endif

enum { FCK_TRAIN = 3, FCK_TEST = 1, FCK_MAX_DATA = 16 << 20, FCK_MAX_HEADER = 1 << 20,
       FCK_MAX_BATCH = 64 };

static Dataset fck_train, fck_test;
static uint8_t *fck_synth;
static const size_t fck_synth_cap = 8 + FCK_MAX_HEADER + FCK_MAX_DATA;   // a multiple of 4

static uint8_t fck_pattern(size_t i) { return i % 4 == 3 ? 0x3f : 0x00; }

// The synthetic dataset of the harness and of the seed generator.
void fuzz_checkpoint_data(Dataset *train, Dataset *test) {
    Rng r;
    rng_seed(&r, 20261128);
    Dataset *d[2] = {train, test};
    int n[2] = {FCK_TRAIN, FCK_TEST};
    for (int k = 0; k < 2; k++) {
        d[k]->n = n[k];
        d[k]->labels = malloc((size_t)n[k]);
        d[k]->images = malloc((size_t)n[k] * IMG_SIZE);
        FUZZ_CHECK(d[k]->labels && d[k]->images, "out of memory");
        for (int i = 0; i < n[k]; i++) d[k]->labels[i] = (uint8_t)rng_below(&r, 10);
        for (size_t i = 0; i < (size_t)n[k] * IMG_SIZE; i++) d[k]->images[i] = (uint8_t)rng_u32(&r);
    }
}

static void fck_init(void) {
    if (fck_synth) return;
    fuzz_checkpoint_data(&fck_train, &fck_test);
    fck_synth = malloc(fck_synth_cap);
    FUZZ_CHECK(fck_synth != NULL, "out of memory");
    for (size_t i = 0; i < fck_synth_cap; i++) fck_synth[i] = fck_pattern(i);
}

void fuzz_checkpoint_cleanup(void) {
    dataset_free(&fck_train);
    dataset_free(&fck_test);
    free(fck_synth);
    fck_synth = NULL;
}

static void fck_check(const uint8_t *buf, size_t len) {
    char err[512];
    err[0] = '\0';
    TrainConfig cfg;
    int ntrain = -1, ntest = -1;
    int cfg_ok = checkpoint_read_config(buf, len, &cfg, &ntrain, &ntest, err, sizeof err) == 0;
    if (!cfg_ok) FUZZ_CHECK(err[0] != '\0', "checkpoint_read_config failed without a message");
    else FUZZ_CHECK(cfg.batch_size >= 1 && cfg.epochs >= 0 && cfg.lr > 0, "accepted config out of range");

    // The arena is sized for the batch: leave giant batch sizes to the message below.
    if (cfg_ok && cfg.batch_size <= FCK_MAX_BATCH) {
        err[0] = '\0';
        Trainer *t = trainer_resume(buf, len, &fck_train, &fck_test, err, sizeof err);
        if (!t) {
            FUZZ_CHECK(err[0] != '\0', "trainer_resume failed without a message");
        } else {
            FUZZ_CHECK(trainer_position(t) >= 0 && trainer_position(t) <= trainer_batches(t),
                       "resumed position outside the epoch");
            // One more step of the loop, as `train --resume` would take.
            if (!trainer_done(t)) {
                if (trainer_epoch_finished(t)) {
                    EpochRecord er;
                    int rc = trainer_end_epoch(t, &er);
                    FUZZ_CHECK(rc == TRAIN_OK || trainer_error(t)[0], "end_epoch failed without a message");
                } else {
                    BatchRecord br;
                    int rc = trainer_step(t, &br);
                    FUZZ_CHECK(rc == TRAIN_OK || trainer_error(t)[0], "step failed without a message");
                }
            }
            // What it saves resumes to the same state: saving again gives the same bytes.
            uint8_t *a = NULL, *b = NULL;
            size_t al = 0, bl = 0;
            FUZZ_CHECK(trainer_save_checkpoint(t, &a, &al) == 0, "save of a resumed trainer failed");
            Trainer *t2 = trainer_resume(a, al, &fck_train, &fck_test, err, sizeof err);
            if (!t2) fprintf(stderr, "re-resume: %s\n", err);
            FUZZ_CHECK(t2 != NULL, "a checkpoint saved by the trainer does not resume");
            FUZZ_CHECK(trainer_save_checkpoint(t2, &b, &bl) == 0, "second save failed");
            FUZZ_CHECK(al == bl && memcmp(a, b, al) == 0, "save -> resume -> save changed the checkpoint");
            free(a);
            free(b);
            trainer_free(t2);
            trainer_free(t);
        }
    }

    ModelKind kind;
    err[0] = '\0';
    if (weights_detect_kind(buf, len, &kind, err, sizeof err) != 0) {
        FUZZ_CHECK(err[0] != '\0', "weights_detect_kind failed without a message");
        return;
    }
    err[0] = '\0';
    Model *m = model_from_bytes(buf, len, -1, 1, err, sizeof err);
    if (!m) FUZZ_CHECK(err[0] != '\0', "model_from_bytes failed without a message");
    else FUZZ_CHECK(model_kind(m) == kind, "model_from_bytes built another kind");
    model_free(m);
}

int fuzz_checkpoint(const uint8_t *data, size_t size) {
    fck_init();
    if (size >= 5 && data[0] == 'H') {
        uint32_t data_len = (uint32_t)data[1] | (uint32_t)data[2] << 8 | (uint32_t)data[3] << 16 |
                            (uint32_t)data[4] << 24;
        size_t hlen = size - 5;
        if (data_len > FCK_MAX_DATA || hlen > FCK_MAX_HEADER) return 0;
        size_t len = 8 + hlen + data_len;
        uint8_t *file = fck_synth + (fck_synth_cap - len);   // ends where the buffer ends
        for (int i = 0; i < 8; i++) file[i] = (uint8_t)((uint64_t)hlen >> (8 * i));
        memcpy(file + 8, data + 5, hlen);
        fck_check(file, len);
        for (size_t i = fck_synth_cap - len; i < fck_synth_cap - data_len; i++) fck_synth[i] = fck_pattern(i);
        return 0;
    }
    fck_check(size ? data + 1 : data, size ? size - 1 : 0);
    return 0;
}

#ifndef FUZZ_NO_ENTRY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_checkpoint(data, size); }
#endif
