// fuzz_image.c - libFuzzer target for the image path of `excite predict` (c/main.c): decode
// any file with stb_image (stbi_load_from_memory at the file's own channel count, the same
// call and the same default configuration as Debian's libstb that the program links), then
// image_fit_32 (c/cifar.c) and image_normalize. stb_image is compiled into this target from
// its header so that it is instrumented too. Any input must decode or be refused; never a
// crash, undefined behaviour or a leak.
//
// Input format:
//   'F' u16le w-1, u16le h-1, u8 channels-1, pixels...: image_fit_32 alone on a w x h image
//       of exactly w*h*channels bytes (the pixels repeat to fill it), w*h <= 2^22.
//   anything else: the whole input is the image file.
// Replayed over fuzz/regressions and fuzz/corpus by tests/test_regressions.c.
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cifar.h"

#ifndef FUZZ_CHECK
#define FUZZ_CHECK(cond, what) do { if (!(cond)) { \
    fprintf(stderr, "fuzz check failed: %s (%s:%d)\n", what, __FILE__, __LINE__); abort(); } } while (0)
#endif

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wmisleading-indentation"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#endif
#define STB_IMAGE_IMPLEMENTATION
#define STBI_NO_STDIO
#include <stb/stb_image.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
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
    if (size > INT_MAX) return 0;
    int w = 0, h = 0, ch = 0;
    unsigned char *px = stbi_load_from_memory(data, (int)size, &w, &h, &ch, 0);
    if (!px) {
        FUZZ_CHECK(stbi_failure_reason() != NULL, "decode failed without a reason");
        return 0;
    }
    FUZZ_CHECK(w > 0 && h > 0 && ch >= 1 && ch <= 4, "decoded size out of range");
    fi_fit(px, w, h, ch);
    stbi_image_free(px);
    return 0;
}

void fuzz_image_cleanup(void) {}

#ifndef FUZZ_NO_ENTRY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_image(data, size); }
#endif
