// fuzz_exif.c - libFuzzer target for the EXIF orientation reader (c/exif.c) that `excite
// predict` and the page apply to JPEG files, and for image_orient (c/image.c) that turns the
// pixels upright. The whole input is the file: exif_orientation must return 1..8 and read
// nothing outside it (ASan), whatever the segments, offsets and counts claim. Then a small
// picture sized by the last bytes is turned by each orientation and back by its inverse,
// which must give the picture again.
// Replayed over fuzz/regressions and fuzz/corpus by tests/test_regressions.c.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "exif.h"
#include "image.h"

#ifndef FUZZ_CHECK
#define FUZZ_CHECK(cond, what) do { if (!(cond)) { \
    fprintf(stderr, "fuzz check failed: %s (%s:%d)\n", what, __FILE__, __LINE__); abort(); } } while (0)
#endif

int fuzz_exif(const uint8_t *data, size_t size) {
    int o = exif_orientation(data, size);
    FUZZ_CHECK(o >= 1 && o <= 8, "orientation out of 1..8");
    // the same answer for the same bytes in a copy of exactly that size
    uint8_t *copy = malloc(size ? size : 1);
    FUZZ_CHECK(copy != NULL, "out of memory");
    if (size) memcpy(copy, data, size);
    FUZZ_CHECK(exif_orientation(copy, size) == o, "orientation depends on more than the bytes");
    free(copy);
    int w = 1 + (size > 0 ? data[size - 1] % 7 : 0), h = 1 + (size > 1 ? data[size - 2] % 5 : 0);
    int ch = 1 + (size > 2 ? data[size - 3] % 4 : 0);
    size_t n = (size_t)w * h * ch;
    uint8_t src[8 * 8 * 4], up[8 * 8 * 4], back[8 * 8 * 4];
    for (size_t i = 0; i < n; i++) src[i] = (uint8_t)(i * 37 + 11);
    for (int k = 1; k <= 8; k++) {
        image_orient(up, src, w, h, ch, k);
        int inverse = k == 6 ? 8 : k == 8 ? 6 : k;
        int uw = k >= 5 ? h : w, uh = k >= 5 ? w : h;
        image_orient(back, up, uw, uh, ch, inverse);
        FUZZ_CHECK(memcmp(src, back, n) == 0, "an orientation then its inverse is not the identity");
    }
    return 0;
}

void fuzz_exif_cleanup(void) {}

#ifndef FUZZ_NO_ENTRY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_exif(data, size); }
#endif
