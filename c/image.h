// image.h - a picture to the network's 32x32 input: the one path of `excite predict` and of
// the page (through wasm/api.c). A PNG or JPEG file is decoded with stb_image
// (third_party/stb, patched; PNG and JPEG only, no colour management: the stored values),
// turned upright by its JPEG EXIF orientation (exif.h), centre-cropped to a square and
// scaled to 32x32 by area averaging. Pictures the core cannot decode (the page's GIF, WebP,
// BMP, camera frames) come in as pixels and take the same crop and scaling.
#ifndef EXCITE_IMAGE_H
#define EXCITE_IMAGE_H
#include <stddef.h>
#include <stdint.h>

// A file may declare any size in a few bytes (65535 x 65535 is 12 GB of pixels); larger
// images are refused from the header, before decoding. IMAGE_VIEW_MAX: the longer side of
// the picture's view (image_picture).
enum { IMAGE_MAX_PIXELS = 40 * 1000 * 1000, IMAGE_VIEW_MAX = 256 };

// Why a picture was refused (image_decode, image_decode_32, image_picture_*).
enum { IMAGE_OK = 0, IMAGE_ERR_FORMAT = -1, IMAGE_ERR_SIZE = -2, IMAGE_ERR_CORRUPT = -3,
       IMAGE_ERR_MEMORY = -4 };

typedef struct {
    int w, h, channels;       // as stored in the file (channels 1..4: grey, grey+alpha, RGB, RGBA)
    const char *format;       // "PNG" or "JPEG"; "pixels" for image_picture_pixels; NULL: unknown
    int orientation;          // the EXIF orientation applied, 1..8 (exif.h); 1 for PNG
    int width, height;        // upright size: w x h, or h x w for orientations 5..8
    int side, x0, y0;         // the centre square of the upright picture that is used
} ImageInfo;

// Centre square of a w x h picture: side min(w, h) at (x0, y0) = ((w - side) / 2, (h - side) / 2).
void image_crop(int w, int h, int *side, int *x0, int *y0);

// Fit any decoded picture (w x h pixels, 1..4 interleaved 8-bit channels: grey, grey+alpha,
// RGB, RGBA; alpha ignored) into a (3,32,32) byte image: centre crop (image_crop), then each
// output pixel is the area-weighted mean of the source pixels its square covers (fractional
// edges weighted; a crop smaller than 32 is enlarged by the same rule, so an output pixel
// that straddles two source pixels blends them). Returns -1 with a message for unusable sizes.
int image_fit_32(uint8_t *out, const uint8_t *pixels, int w, int h, int channels,
                 char *err, size_t errlen);

// Turn src (w x h x channels) upright by EXIF orientation 1..8 into dst (same byte count;
// width x height as in ImageInfo).
void image_orient(uint8_t *dst, const uint8_t *src, int w, int h, int channels, int orientation);

// Decode buf[0..len) (PNG or JPEG) and turn it upright: *pixels (malloc'ed, free() it) holds
// info->width x info->height x info->channels bytes. Returns IMAGE_OK, or an IMAGE_ERR_*
// with a message in err and *pixels NULL; info (may be NULL) then holds what was known
// (format, and w, h for a picture too large).
int image_decode(uint8_t **pixels, const uint8_t *buf, size_t len, ImageInfo *info,
                 char *err, size_t errlen);

// image_decode, then image_fit_32 into out (3,32,32) bytes.
int image_decode_32(uint8_t *out, const uint8_t *buf, size_t len, ImageInfo *info,
                    char *err, size_t errlen);

// A picture as the page shows it: the network input and a view of the whole upright picture
// (area-average downscale, longer side at most IMAGE_VIEW_MAX, never enlarged; alpha ignored).
typedef struct {
    uint8_t input[3 * 32 * 32];                              // (3,32,32) bytes
    uint8_t view[IMAGE_VIEW_MAX * IMAGE_VIEW_MAX * 4];       // (view_h, view_w, 4) RGBA, A = 255
    int view_w, view_h;
    ImageInfo info;
} ImagePicture;
int image_picture_file(ImagePicture *p, const uint8_t *buf, size_t len, char *err, size_t errlen);
int image_picture_pixels(ImagePicture *p, const uint8_t *pixels, int w, int h, int channels,
                         char *err, size_t errlen);

#endif
