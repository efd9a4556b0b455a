// corrupt.c - the corruptions of corrupt.h on (3,32,32) byte images, and the training
// augmentations of augment.h (the same blur and downscale on normalised float images).
#include "corrupt.h"
#include "augment.h"
#include "image.h"
#include "rng.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// stb_image_write for its JPEG encoder only, all functions static, into memory (no stdio).
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wmisleading-indentation"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#pragma GCC diagnostic ignored "-Wtype-limits"
#pragma GCC diagnostic ignored "-Wdouble-promotion"
#endif
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#define STBI_WRITE_NO_STDIO
#include "../third_party/stb/stb_image_write.h"
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#pragma GCC diagnostic ignored "-Wunused-function"
#endif

enum { S = 32, HW = S * S };

// name, the parameter's name, its value at severities 0 (identity), 1, 2, 3
static const struct {
    const char *name, *level_name;
    double level[CORRUPT_SEVERITIES + 1];
} CORRUPTIONS[CORRUPT_COUNT] = {
    [CORRUPT_BLUR] = {"blur", "sigma", {0, 0.5, 1.0, 1.5}},
    [CORRUPT_DOWNSCALE] = {"downscale", "side", {32, 16, 12, 8}},
    [CORRUPT_JPEG] = {"jpeg", "quality", {100, 60, 30, 10}},
    [CORRUPT_BRIGHTNESS] = {"brightness", "offset", {0, 0.1, 0.2, 0.3}},
    [CORRUPT_CONTRAST] = {"contrast", "factor", {1, 0.6, 0.4, 0.2}},
    [CORRUPT_NOISE] = {"noise", "sigma", {0, 0.04, 0.08, 0.12}},
};

const char *corrupt_name(CorruptKind k) {
    return (unsigned)k < CORRUPT_COUNT ? CORRUPTIONS[k].name : NULL;
}
const char *corrupt_level_name(CorruptKind k) {
    return (unsigned)k < CORRUPT_COUNT ? CORRUPTIONS[k].level_name : NULL;
}
int corrupt_parse(const char *name) {
    for (int k = 0; k < CORRUPT_COUNT; k++)
        if (!strcmp(name, CORRUPTIONS[k].name)) return k;
    return -1;
}
double corrupt_level(CorruptKind k, int severity) {
    if ((unsigned)k >= CORRUPT_COUNT || severity < 0 || severity > CORRUPT_SEVERITIES) return 0;
    return CORRUPTIONS[k].level[severity];
}

static uint8_t to_byte(double v) {
    if (!(v > 0)) return 0;     // also NaN
    if (v >= 255) return 255;
    return (uint8_t)floor(v + 0.5);
}

// Separable Gaussian on one 32x32 plane of doubles, kernel radius ceil(3 sigma), normalised;
// edges take the nearest pixel.
static void blur_plane(double *p, double sigma) {
    enum { RMAX = 8 };
    int r = (int)ceil(3 * sigma);
    if (r > RMAX) r = RMAX;
    double w[2 * RMAX + 1], sum = 0;
    for (int i = -r; i <= r; i++) sum += w[i + r] = exp(-(double)(i * i) / (2 * sigma * sigma));
    for (int i = 0; i <= 2 * r; i++) w[i] /= sum;
    double tmp[HW];
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) {
            double a = 0;
            for (int i = -r; i <= r; i++) {
                int xx = x + i < 0 ? 0 : x + i >= S ? S - 1 : x + i;
                a += w[i + r] * p[y * S + xx];
            }
            tmp[y * S + x] = a;
        }
    for (int y = 0; y < S; y++)
        for (int x = 0; x < S; x++) {
            double a = 0;
            for (int i = -r; i <= r; i++) {
                int yy = y + i < 0 ? 0 : y + i >= S ? S - 1 : y + i;
                a += w[i + r] * tmp[yy * S + x];
            }
            p[y * S + x] = a;
        }
}

// Area-average downscale of one 32x32 plane to side n (each output pixel the area-weighted
// mean of the source pixels its square covers), then bilinear upscale back to 32 (pixel centres
// aligned, edges clamped), as a browser or an image viewer enlarges a small picture.
static void downscale_plane(double *p, int n) {
    double small[HW];
    double f = (double)S / n;   // source pixels per output pixel
    for (int oy = 0; oy < n; oy++)
        for (int ox = 0; ox < n; ox++) {
            double y0 = oy * f, y1 = y0 + f, x0 = ox * f, x1 = x0 + f, a = 0;
            for (int y = (int)floor(y0); y < S && y < y1; y++) {
                double wy = fmin(y1, y + 1) - fmax(y0, y);
                for (int x = (int)floor(x0); x < S && x < x1; x++) {
                    double wx = fmin(x1, x + 1) - fmax(x0, x);
                    a += wy * wx * p[y * S + x];
                }
            }
            small[oy * n + ox] = a / (f * f);
        }
    for (int y = 0; y < S; y++) {
        double sy = (y + 0.5) / f - 0.5;
        sy = sy < 0 ? 0 : sy > n - 1 ? n - 1 : sy;
        int y0 = (int)sy, y1 = y0 + 1 < n ? y0 + 1 : y0;
        double ty = sy - y0;
        for (int x = 0; x < S; x++) {
            double sx = (x + 0.5) / f - 0.5;
            sx = sx < 0 ? 0 : sx > n - 1 ? n - 1 : sx;
            int x0 = (int)sx, x1 = x0 + 1 < n ? x0 + 1 : x0;
            double tx = sx - x0;
            p[y * S + x] = (1 - ty) * ((1 - tx) * small[y0 * n + x0] + tx * small[y0 * n + x1]) +
                           ty * ((1 - tx) * small[y1 * n + x0] + tx * small[y1 * n + x1]);
        }
    }
}

// The byte image through a plane function: each plane to doubles, f, rounded back.
static void bytes_through(uint8_t *out, const uint8_t *in, void (*f)(double *, double), double a) {
    double p[HW];
    for (int c = 0; c < 3; c++) {
        for (int i = 0; i < HW; i++) p[i] = in[c * HW + i];
        f(p, a);
        for (int i = 0; i < HW; i++) out[c * HW + i] = to_byte(p[i]);
    }
}
static void downscale_plane_d(double *p, double n) { downscale_plane(p, (int)n); }

// Float (normalised) images, plane by plane (augment.h).
static void floats_through(float *x, void (*f)(double *, double), double a) {
    double p[HW];
    for (int c = 0; c < 3; c++) {
        for (int i = 0; i < HW; i++) p[i] = x[c * HW + i];
        f(p, a);
        for (int i = 0; i < HW; i++) x[c * HW + i] = (float)p[i];
    }
}

void photo_augment(float *x, int B, float p_blur, float p_scale, Rng *rng) {
    for (int b = 0; b < B; b++) {
        float *img = x + (size_t)b * 3 * HW;
        if (p_blur > 0 && rng_uniform(rng) < p_blur) {
            double sigma = AUG_BLUR_MIN + (AUG_BLUR_MAX - AUG_BLUR_MIN) * rng_uniform(rng);
            floats_through(img, blur_plane, sigma);
        }
        if (p_scale > 0 && rng_uniform(rng) < p_scale) {
            int side = AUG_SIDE_MIN + (int)rng_below(rng, S - AUG_SIDE_MIN);
            floats_through(img, downscale_plane_d, side);
        }
    }
}

typedef struct { uint8_t buf[16384]; size_t n; int overflow; } JpegOut;
static void jpeg_put(void *ctx, void *data, int size) {
    JpegOut *o = ctx;
    if (size < 0 || o->n + (size_t)size > sizeof o->buf) { o->overflow = 1; return; }
    memcpy(o->buf + o->n, data, (size_t)size);
    o->n += (size_t)size;
}

static int jpeg(uint8_t *out, const uint8_t *in, int quality, char *err, size_t errlen) {
    uint8_t rgb[HW * 3];
    for (int i = 0; i < HW; i++)
        for (int c = 0; c < 3; c++) rgb[i * 3 + c] = in[c * HW + i];
    JpegOut o;
    o.n = 0;
    o.overflow = 0;
    if (!stbi_write_jpg_to_func(jpeg_put, &o, S, S, 3, rgb, quality) || o.overflow) {
        snprintf(err, errlen, "corrupt: JPEG encoding at quality %d failed", quality);
        return -1;
    }
    uint8_t *px = NULL;
    ImageInfo info;
    if (image_decode(&px, o.buf, o.n, &info, err, errlen) != IMAGE_OK) return -1;
    if (info.width != S || info.height != S || info.channels != 3) {
        free(px);
        snprintf(err, errlen, "corrupt: the JPEG decoded as %dx%dx%d", info.width, info.height,
                 info.channels);
        return -1;
    }
    for (int i = 0; i < HW; i++)
        for (int c = 0; c < 3; c++) out[c * HW + i] = px[i * 3 + c];
    free(px);
    return 0;
}

// Standard normal draws by Box-Muller from the generator (u1 in (0, 1]).
static double normal(Rng *r) {
    double u1 = 1.0 - rng_uniform(r), u2 = rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

int corrupt_image(uint8_t *out, const uint8_t *in, CorruptKind k, int severity, uint64_t seed,
                  int index, char *err, size_t errlen) {
    if ((unsigned)k >= CORRUPT_COUNT || severity < 0 || severity > CORRUPT_SEVERITIES) {
        snprintf(err, errlen, "corrupt: no corruption %d at severity %d", (int)k, severity);
        return -1;
    }
    if (severity == 0) {
        memcpy(out, in, 3 * HW);
        return 0;
    }
    double lv = CORRUPTIONS[k].level[severity];
    switch (k) {
    case CORRUPT_BLUR: bytes_through(out, in, blur_plane, lv); break;
    case CORRUPT_DOWNSCALE: bytes_through(out, in, downscale_plane_d, lv); break;
    case CORRUPT_JPEG: return jpeg(out, in, (int)lv, err, errlen);
    case CORRUPT_BRIGHTNESS:
        for (int i = 0; i < 3 * HW; i++) out[i] = to_byte(in[i] + 255.0 * lv);
        break;
    case CORRUPT_CONTRAST:
        for (int c = 0; c < 3; c++) {
            double mean = 0;
            for (int i = 0; i < HW; i++) mean += in[c * HW + i];
            mean /= HW;
            for (int i = 0; i < HW; i++)
                out[c * HW + i] = to_byte((in[c * HW + i] - mean) * lv + mean);
        }
        break;
    case CORRUPT_NOISE: {
        Rng r;
        rng_seed(&r, seed * 0x9E3779B97F4A7C15ull + (uint64_t)index);
        for (int i = 0; i < 3 * HW; i++) out[i] = to_byte(in[i] + 255.0 * lv * normal(&r));
        break;
    }
    default: break;
    }
    return 0;
}

int corrupt_dataset(Dataset *out, const Dataset *in, CorruptKind k, int severity, uint64_t seed,
                    char *err, size_t errlen) {
    out->n = 0;
    out->labels = malloc(in->n > 0 ? (size_t)in->n : 1);
    out->images = malloc((size_t)(in->n > 0 ? in->n : 1) * 3 * HW);
    if (!out->labels || !out->images) {
        dataset_free(out);
        snprintf(err, errlen, "corrupt: out of memory");
        return -1;
    }
    memcpy(out->labels, in->labels, (size_t)in->n);
    for (int i = 0; i < in->n; i++)
        if (corrupt_image(out->images + (size_t)i * 3 * HW, in->images + (size_t)i * 3 * HW, k,
                          severity, seed, i, err, errlen)) {
            dataset_free(out);
            return -1;
        }
    out->n = in->n;
    return 0;
}
