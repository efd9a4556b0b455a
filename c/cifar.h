// cifar.h - the official CIFAR-10 binary batches: reading, normalising, batching, augmenting.
// A record is 3073 bytes: label (0..9), then 1024 R, 1024 G, 1024 B bytes (32x32 row-major).
// Images are kept as bytes (3,32,32) and normalised per batch, so the dataset stays small.
#ifndef EXCITE_CIFAR_H
#define EXCITE_CIFAR_H
#include <stddef.h>
#include <stdint.h>
#include "rng.h"

enum { CIFAR_RECORD = 3073, CIFAR_PER_BATCH = 10000 };

typedef struct {
    int n;
    uint8_t *labels;   // (n)
    uint8_t *images;   // (n, 3, 32, 32)
} Dataset;

// Parse records from memory (a whole number of records; at most limit if limit > 0).
// Errors (empty, truncated record, label > 9) return -1 with a message in err.
int cifar_parse(Dataset *d, const uint8_t *buf, size_t len, int limit, char *err, size_t errlen);
// data_batch_1..5.bin from dir (train != 0) or test_batch.bin; limit <= 0 reads all.
int cifar_load(Dataset *d, const char *dir, int train, int limit, char *err, size_t errlen);
// The CIFAR-10 class names in label order (batches.meta.txt of the official archive; the
// page's copy in wasm/excite.mjs CLASSES is checked against this by tests/wasm_classes.test.mjs).
extern const char *const CIFAR_CLASSES[10];

// batches.meta.txt: 10 class names; empty lines skipped.
int cifar_class_names(char names[10][32], const char *dir, char *err, size_t errlen);
void dataset_free(Dataset *d);

// Pixels to [0,1], then (x - mean) / std per channel, mean (0.4914, 0.4822, 0.4465),
// std (0.2470, 0.2435, 0.2616). img (3,32,32) bytes -> out (3,32,32) floats.
void image_normalize(float *out, const uint8_t *img);
// Gather images idx[0..B) into x (B,3,32,32) normalised and y (B). With augment, each image
// gets a random crop of the image padded by 4 black (0-byte) pixels before normalising,
// and a horizontal flip with p 0.5,
// drawn from rng in a fixed order (crop dy, crop dx, flip), as torchvision's
// RandomCrop(32, padding=4) + RandomHorizontalFlip() do.
void batch_make(float *x, uint8_t *y, const Dataset *d, const int *idx, int B,
                int augment, Rng *rng);

#endif
