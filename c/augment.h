// augment.h - the training augmentations a photo calls for (weights/README.md, "Robustness":
// blur and downscaling cost the shipped models the most accuracy). With --augment, after the
// crop and flip of batch_make (cifar.h), each training image is, with probability aug_blur,
// blurred with a Gaussian of sigma uniform in [AUG_BLUR_MIN, AUG_BLUR_MAX) pixels, and with
// probability aug_scale, area-average downscaled to a side uniform in AUG_SIDE_MIN..31 pixels
// and bilinearly upscaled back to 32 (corrupt.h's blur and downscale, in floats, no rounding).
// Both are averages with weights summing to 1, so applied to the normalised batch they give
// the normalised image of the blurred or rescaled picture. Draws come from the data generator
// after the crop and flip, only for a probability above 0: with both at 0 (the default) the
// generator, and so the run, is the same as without these settings.
#ifndef EXCITE_AUGMENT_H
#define EXCITE_AUGMENT_H
#include "rng.h"

#define AUG_BLUR_MIN 0.3
#define AUG_BLUR_MAX 1.5
enum { AUG_SIDE_MIN = 12 };

// x: (B,3,32,32) normalised images, changed in place.
void photo_augment(float *x, int B, float p_blur, float p_scale, Rng *rng);

#endif
