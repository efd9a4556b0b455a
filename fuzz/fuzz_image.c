// fuzz_image.c - libFuzzer target for the image path of `excite predict`: image_decode_32
// (c/image.c: format check, size limit, stb_image from third_party/stb, image_fit_32),
// then image_normalize. stb_image is compiled with the core, so it is instrumented too.
// Any input must decode or be refused with a message; never a crash, undefined behaviour
// or a leak.
//
// Input format:
//   'F' u16le w-1, u16le h-1, u8 channels-1, pixels...: image_fit_32 alone on a w x h image
//       of exactly w*h*channels bytes (the pixels repeat to fill it), w*h <= 2^22.
//   anything else: the whole input is the image file.
// Replayed over fuzz/regressions and fuzz/corpus by tests/test_regressions.c.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cifar.h"
#include "image.h"

#ifndef FUZZ_CHECK
#define FUZZ_CHECK(cond, what) do { if (!(cond)) { \
    fprintf(stderr, "fuzz check failed: %s (%s:%d)\n", what, __FILE__, __LINE__); abort(); } } while (0)
#endif

enum { FI_IMG = 3 * 32 * 32 };

static void fi_fit(const uint8_t *px, int w, int h, int ch) {
    uint8_t img[FI_IMG];
    float x[FI_IMG];
    char err[256];
    err[0] = '\0';
    int rc = image_fit_32(img, px, w, h, ch, err, sizeof err);
    FUZZ_CHECK(rc == 0, "image_fit_32 refused a decoded image");
    image_normalize(x, img);
    for (int i = 0; i < FI_IMG; i++) FUZZ_CHECK(isfinite(x[i]), "normalised pixel not finite");
}

int fuzz_image(const uint8_t *data, size_t size) {
    if (size >= 6 && data[0] == 'F') {
        int w = 1 + (data[1] | data[2] << 8), h = 1 + (data[3] | data[4] << 8), ch = 1 + data[5] % 4;
        if ((size_t)w * (size_t)h > ((size_t)1 << 22)) return 0;
        size_t n = (size_t)w * (size_t)h * (size_t)ch;
        uint8_t *px = malloc(n);
        FUZZ_CHECK(px != NULL, "out of memory");
        for (size_t i = 0; i < n; i++) px[i] = size > 6 ? data[6 + i % (size - 6)] : (uint8_t)i;
        fi_fit(px, w, h, ch);
        free(px);
        return 0;
    }
    uint8_t img[FI_IMG];
    float x[FI_IMG];
    char err[256];
    err[0] = '\0';
    ImageInfo info;
    if (image_decode_32(img, data, size, &info, err, sizeof err) != 0) {
        FUZZ_CHECK(err[0] != '\0', "image_decode_32 failed without a message");
        return 0;
    }
    FUZZ_CHECK(info.w > 0 && info.h > 0 && (long long)info.w * info.h <= IMAGE_MAX_PIXELS &&
               info.channels >= 1 && info.channels <= 4 && info.format != NULL,
               "decoded size out of range");
    image_normalize(x, img);
    for (int i = 0; i < FI_IMG; i++) FUZZ_CHECK(isfinite(x[i]), "normalised pixel not finite");
    return 0;
}

void fuzz_image_cleanup(void) {}

#ifndef FUZZ_NO_ENTRY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_image(data, size); }
#endif
