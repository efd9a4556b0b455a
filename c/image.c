// image.c - PNG/JPEG file to the 32x32 network input (see image.h). Native only: the
// WebAssembly build compiles this file to nothing (the page decodes with the browser).
#include "image.h"
#include "errors.h"

#ifndef __EMSCRIPTEN__
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "cifar.h"

// stb_image, all functions static, PNG and JPEG only; its warnings are not ours to fix.
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wmisleading-indentation"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#pragma GCC diagnostic ignored "-Wtype-limits"
#endif
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_NO_STDIO
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#include "../third_party/stb/stb_image.h"
#if defined(__GNUC__)
#pragma GCC diagnostic pop
// Unused static stb functions are reported at the end of the file, after the pop.
#pragma GCC diagnostic ignored "-Wunused-function"
#endif

int image_decode_32(uint8_t *out, const uint8_t *buf, size_t len, ImageInfo *info,
                    char *err, size_t errlen) {
    static const uint8_t PNG_SIG[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    const char *format;
    if (len >= 8 && memcmp(buf, PNG_SIG, 8) == 0) format = "PNG";
    else if (len >= 3 && buf[0] == 0xff && buf[1] == 0xd8 && buf[2] == 0xff) format = "JPEG";
    else {
        set_err(err, errlen, "not a PNG or JPEG file (%zu bytes)", len);
        return -1;
    }
    if (len > INT_MAX) {
        set_err(err, errlen, "%s file too large (%zu bytes)", format, len);
        return -1;
    }
    int w = 0, h = 0, ch = 0;
    if (!stbi_info_from_memory(buf, (int)len, &w, &h, &ch)) {
        set_err(err, errlen, "corrupt %s file (%s)", format, stbi_failure_reason());
        return -1;
    }
    if ((long long)w * h > IMAGE_MAX_PIXELS) {
        set_err(err, errlen, "%s image of %d x %d pixels is too large (at most %d megapixels)",
                format, w, h, IMAGE_MAX_PIXELS / 1000000);
        return -1;
    }
    unsigned char *px = stbi_load_from_memory(buf, (int)len, &w, &h, &ch, 0);
    if (!px) {
        set_err(err, errlen, "corrupt %s file (%s)", format, stbi_failure_reason());
        return -1;
    }
    int rc = image_fit_32(out, px, w, h, ch, err, errlen);
    stbi_image_free(px);
    if (rc == 0 && info) {
        info->w = w;
        info->h = h;
        info->channels = ch;
        info->format = format;
    }
    return rc;
}

#else
typedef int image_c_is_native_only;   // (ISO C forbids an empty translation unit)
#endif
