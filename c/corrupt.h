// corrupt.h - corruptions of CIFAR-10 images in the style of CIFAR-10-C (Hendrycks &
// Dietterich, 2019), generated here from the test set: what a photo may meet on its way to
// a 32x32 input. Each takes a (3,32,32) byte image (R, G, B planes) to another, at severity
// 0 (the image unchanged), 1, 2 or 3; the levels are in one table (corrupt.c, CORRUPTIONS).
// Deterministic: the noise of image i is drawn from a generator seeded with (seed, i), so a
// corrupted test set does not depend on the order or the batches it is made in.
//
//   blur        Gaussian blur, sigma 0.5 / 1 / 1.5 pixels (edges: nearest pixel)
//   downscale   area-average downscale to 16 / 12 / 8 pixels, bilinear upscale back to 32
//   jpeg        JPEG at quality 60 / 30 / 10 (stb_image_write), decoded with stb_image
//   brightness  + 0.1 / 0.2 / 0.3 of the full range on every channel (clamped)
//   contrast    (x - channel mean) * 0.6 / 0.4 / 0.2 + channel mean
//   noise       + Gaussian noise, sigma 0.04 / 0.08 / 0.12 of the full range (clamped)
#ifndef EXCITE_CORRUPT_H
#define EXCITE_CORRUPT_H
#include <stddef.h>
#include <stdint.h>
#include "cifar.h"

typedef enum {
    CORRUPT_BLUR = 0, CORRUPT_DOWNSCALE, CORRUPT_JPEG, CORRUPT_BRIGHTNESS, CORRUPT_CONTRAST,
    CORRUPT_NOISE, CORRUPT_COUNT
} CorruptKind;
enum { CORRUPT_SEVERITIES = 3 };

const char *corrupt_name(CorruptKind k);           // "blur", "downscale", ...; NULL if out of range
int corrupt_parse(const char *name);               // the kind of a name, -1 if none
// The parameter of a kind at severity 1..3 (sigma, side, quality, offset, factor, sigma);
// at severity 0 the identity's (0, 32, 100, 0, 1, 0).
double corrupt_level(CorruptKind k, int severity);
const char *corrupt_level_name(CorruptKind k);     // "sigma", "side", "quality", ...

// One image: in and out (3,32,32) bytes, may not overlap. index: the image's index (noise).
// Returns 0, or -1 with a message (unknown kind or severity, JPEG failing, out of memory).
int corrupt_image(uint8_t *out, const uint8_t *in, CorruptKind k, int severity, uint64_t seed,
                  int index, char *err, size_t errlen);
// A corrupted copy of a dataset (out is allocated; dataset_free it). Labels are copied.
int corrupt_dataset(Dataset *out, const Dataset *in, CorruptKind k, int severity, uint64_t seed,
                    char *err, size_t errlen);

#endif
