// image.c - a picture to the 32x32 network input (see image.h): PNG/JPEG decoding with
// stb_image, the EXIF orientation, the centre crop and the area-average scaling. The same
// file is compiled into the native program and the WebAssembly module, so the page and
// `excite predict` turn one file into the same bytes.
#include "image.h"
#include "errors.h"
#include "exif.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

// stb_image, all functions static, PNG and JPEG only; its warnings are not ours to fix.
// STBI_NO_SIMD: the one scalar decoder everywhere (x86-64 would otherwise take SSE2 paths
// and WebAssembly the scalar ones).
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
#define STBI_NO_SIMD
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#include "../third_party/stb/stb_image.h"
#if defined(__GNUC__)
#pragma GCC diagnostic pop
// Unused static stb functions are reported at the end of the file, after the pop.
#pragma GCC diagnostic ignored "-Wunused-function"
#endif

void image_crop(int w, int h, int *side, int *x0, int *y0) {
    int s = w < h ? w : h;
    *side = s;
    *x0 = (w - s) / 2;
    *y0 = (h - s) / 2;
}

// out (oh, ow) from the rectangle (x0, y0, sw, sh) of px (w pixels wide, ch channels): output
// pixel (r, c) is the area-weighted mean of the source square [c*sw/ow, (c+1)*sw/ow) x
// [r*sh/oh, (r+1)*sh/oh). planar: three planes out[k*oh*ow + r*ow + c] (the network's
// layout); else interleaved RGBA with alpha 255. Grey sources fill all three channels.
static void area_resize(uint8_t *out, int ow, int oh, int planar, const uint8_t *px, int w,
                        int ch, int x0, int y0, int sw, int sh) {
    for (int r = 0; r < oh; r++) {
        double ya = (double)r * sh / oh, yb = (double)(r + 1) * sh / oh;
        for (int col = 0; col < ow; col++) {
            double xa = (double)col * sw / ow, xb = (double)(col + 1) * sw / ow;
            double acc[3] = {0, 0, 0}, wsum = 0;
            for (int sy = (int)ya; sy < sh && sy < yb; sy++) {
                double wy = (sy + 1 < yb ? sy + 1 : yb) - (sy > ya ? sy : ya);
                if (wy <= 0) continue;
                for (int sx = (int)xa; sx < sw && sx < xb; sx++) {
                    double wx = (sx + 1 < xb ? sx + 1 : xb) - (sx > xa ? sx : xa);
                    if (wx <= 0) continue;
                    const uint8_t *p =
                        px + ((size_t)(y0 + sy) * (size_t)w + (size_t)(x0 + sx)) * (size_t)ch;
                    double wgt = wx * wy;
                    if (ch >= 3) {
                        acc[0] += wgt * p[0];
                        acc[1] += wgt * p[1];
                        acc[2] += wgt * p[2];
                    } else {
                        acc[0] += wgt * p[0];
                        acc[1] += wgt * p[0];
                        acc[2] += wgt * p[0];
                    }
                    wsum += wgt;
                }
            }
            for (int c = 0; c < 3; c++) {
                double v = wsum > 0 ? acc[c] / wsum : 0;
                int iv = (int)(v + 0.5);
                uint8_t b = (uint8_t)(iv < 0 ? 0 : iv > 255 ? 255 : iv);
                if (planar) out[(size_t)c * ow * oh + (size_t)r * ow + col] = b;
                else out[((size_t)r * ow + col) * 4 + c] = b;
            }
            if (!planar) out[((size_t)r * ow + col) * 4 + 3] = 255;
        }
    }
}

int image_fit_32(uint8_t *out, const uint8_t *pixels, int w, int h, int channels, char *err,
                 size_t errlen) {
    if (!pixels || w <= 0 || h <= 0 || channels < 1 || channels > 4) {
        set_err(err, errlen, "image: %d x %d pixels with %d channels cannot be used", w, h,
                channels);
        return -1;
    }
    int side, x0, y0;
    image_crop(w, h, &side, &x0, &y0);
    area_resize(out, 32, 32, 1, pixels, w, channels, x0, y0, side, side);
    return 0;
}

void image_orient(uint8_t *dst, const uint8_t *src, int w, int h, int channels, int o) {
    int tw = o >= 5 && o <= 8 ? h : w, th = o >= 5 && o <= 8 ? w : h;
    size_t ch = (size_t)channels;
    for (int y = 0; y < th; y++)
        for (int x = 0; x < tw; x++) {
            int sx, sy;   // the stored pixel shown at upright (x, y)
            switch (o) {
            case 2: sx = w - 1 - x; sy = y; break;
            case 3: sx = w - 1 - x; sy = h - 1 - y; break;
            case 4: sx = x; sy = h - 1 - y; break;
            case 5: sx = y; sy = x; break;
            case 6: sx = y; sy = h - 1 - x; break;
            case 7: sx = w - 1 - y; sy = h - 1 - x; break;
            case 8: sx = w - 1 - y; sy = x; break;
            default: sx = x; sy = y; break;
            }
            memcpy(dst + ((size_t)y * tw + x) * ch, src + ((size_t)sy * w + sx) * ch, ch);
        }
}

int image_decode(uint8_t **pixels, const uint8_t *buf, size_t len, ImageInfo *info,
                 char *err, size_t errlen) {
    static const uint8_t PNG_SIG[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    ImageInfo tmp;
    if (!info) info = &tmp;
    memset(info, 0, sizeof *info);
    info->orientation = 1;
    *pixels = NULL;
    const char *format;
    if (buf && len >= 8 && memcmp(buf, PNG_SIG, 8) == 0) format = "PNG";
    else if (buf && len >= 3 && buf[0] == 0xff && buf[1] == 0xd8 && buf[2] == 0xff) format = "JPEG";
    else {
        set_err(err, errlen, "not a PNG or JPEG file (%zu bytes)", len);
        return IMAGE_ERR_FORMAT;
    }
    info->format = format;
    if (len > INT_MAX) {
        set_err(err, errlen, "%s file too large (%zu bytes)", format, len);
        return IMAGE_ERR_SIZE;
    }
    int w = 0, h = 0, ch = 0;
    if (!stbi_info_from_memory(buf, (int)len, &w, &h, &ch)) {
        set_err(err, errlen, "corrupt %s file (%s)", format, stbi_failure_reason());
        return IMAGE_ERR_CORRUPT;
    }
    if ((long long)w * h > IMAGE_MAX_PIXELS) {
        info->w = w;
        info->h = h;
        set_err(err, errlen, "%s image of %d x %d pixels is too large (at most %d megapixels)",
                format, w, h, IMAGE_MAX_PIXELS / 1000000);
        return IMAGE_ERR_SIZE;
    }
    unsigned char *px = stbi_load_from_memory(buf, (int)len, &w, &h, &ch, 0);
    if (!px) {
        const char *why = stbi_failure_reason();
        int oom = why && !strcmp(why, "outofmem");
        set_err(err, errlen, "%s %s file (%s)", oom ? "out of memory decoding the" : "corrupt",
                format, why);
        return oom ? IMAGE_ERR_MEMORY : IMAGE_ERR_CORRUPT;
    }
    int o = format[0] == 'J' ? exif_orientation(buf, len) : 1;
    if (o != 1) {
        uint8_t *up = malloc((size_t)w * (size_t)h * (size_t)ch);
        if (!up) {
            stbi_image_free(px);
            set_err(err, errlen, "out of memory turning the %d x %d %s image upright", w, h, format);
            return IMAGE_ERR_MEMORY;
        }
        image_orient(up, px, w, h, ch, o);
        stbi_image_free(px);
        px = up;
    }
    info->w = w;
    info->h = h;
    info->channels = ch;
    info->orientation = o;
    info->width = o >= 5 ? h : w;
    info->height = o >= 5 ? w : h;
    image_crop(info->width, info->height, &info->side, &info->x0, &info->y0);
    *pixels = px;   // stb_image allocates with malloc (STBI_MALLOC), so free() releases it
    return IMAGE_OK;
}

int image_decode_32(uint8_t *out, const uint8_t *buf, size_t len, ImageInfo *info,
                    char *err, size_t errlen) {
    ImageInfo tmp;
    if (!info) info = &tmp;
    uint8_t *px;
    int rc = image_decode(&px, buf, len, info, err, errlen);
    if (rc != IMAGE_OK) return rc;
    rc = image_fit_32(out, px, info->width, info->height, info->channels, err, errlen);
    free(px);
    return rc == 0 ? IMAGE_OK : IMAGE_ERR_CORRUPT;
}

// The view of an upright picture (image.h).
static void picture_view(ImagePicture *p, const uint8_t *px, int w, int h, int ch) {
    int vw = w, vh = h;
    if (w > IMAGE_VIEW_MAX || h > IMAGE_VIEW_MAX) {
        long long W = w, H = h, M = IMAGE_VIEW_MAX;
        if (w >= h) { vw = IMAGE_VIEW_MAX; vh = (int)((H * M + W / 2) / W); }
        else { vh = IMAGE_VIEW_MAX; vw = (int)((W * M + H / 2) / H); }
        if (vw < 1) vw = 1;
        if (vh < 1) vh = 1;
    }
    area_resize(p->view, vw, vh, 0, px, w, ch, 0, 0, w, h);
    p->view_w = vw;
    p->view_h = vh;
}

int image_picture_file(ImagePicture *p, const uint8_t *buf, size_t len, char *err, size_t errlen) {
    uint8_t *px;
    int rc = image_decode(&px, buf, len, &p->info, err, errlen);
    if (rc != IMAGE_OK) return rc;
    const ImageInfo *in = &p->info;
    rc = image_fit_32(p->input, px, in->width, in->height, in->channels, err, errlen);
    if (rc == 0) picture_view(p, px, in->width, in->height, in->channels);
    free(px);
    return rc == 0 ? IMAGE_OK : IMAGE_ERR_CORRUPT;
}

int image_picture_pixels(ImagePicture *p, const uint8_t *pixels, int w, int h, int channels,
                         char *err, size_t errlen) {
    memset(&p->info, 0, sizeof p->info);
    if (w > 0 && h > 0 && (long long)w * h > IMAGE_MAX_PIXELS) {
        p->info.w = w;
        p->info.h = h;
        set_err(err, errlen, "image of %d x %d pixels is too large (at most %d megapixels)", w,
                h, IMAGE_MAX_PIXELS / 1000000);
        return IMAGE_ERR_SIZE;
    }
    if (image_fit_32(p->input, pixels, w, h, channels, err, errlen)) return IMAGE_ERR_FORMAT;
    ImageInfo *in = &p->info;
    in->w = in->width = w;
    in->h = in->height = h;
    in->channels = channels;
    in->format = "pixels";
    in->orientation = 1;
    image_crop(w, h, &in->side, &in->x0, &in->y0);
    picture_view(p, pixels, w, h, channels);
    return IMAGE_OK;
}
