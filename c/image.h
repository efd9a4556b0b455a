// image.h - an image file (PNG or JPEG) to the network's 32x32 input, for the native
// program (`excite predict`). Decoding uses stb_image (third_party/stb, patched; PNG and
// JPEG only). The page decodes images in the browser and does not use this.
#ifndef EXCITE_IMAGE_H
#define EXCITE_IMAGE_H
#include <stddef.h>
#include <stdint.h>

// A file may declare any size in a few bytes (65535 x 65535 is 12 GB of pixels); larger
// images are refused before decoding.
enum { IMAGE_MAX_PIXELS = 40 * 1000 * 1000 };

typedef struct {
    int w, h, channels;       // as decoded (channels 1..4: grey, grey+alpha, RGB, RGBA)
    const char *format;       // "PNG" or "JPEG"
} ImageInfo;

// Decode buf[0..len) and fit it to out (3,32,32) bytes with image_fit_32 (cifar.h: centre
// square crop, area-average downscale). Returns 0, or -1 with a message in err (not PNG or
// JPEG, corrupt, too large). info may be NULL.
int image_decode_32(uint8_t *out, const uint8_t *buf, size_t len, ImageInfo *info,
                    char *err, size_t errlen);

#endif
