// se_stats.h - how much each SE block of a CNN_SE does on a dataset: its hidden units that
// never fire ("dead": zero after the ReLU on every image), and the spread of its channel
// weights s = sigmoid(z). A dead unit contributes nothing to z; when every unit of a block
// is dead, z = 0 and s = 0.5 for every channel and every image (the block only halves its
// input). Used by `excite se-stats` and the dead-unit study (scripts/se_study.py).
#ifndef EXCITE_SE_STATS_H
#define EXCITE_SE_STATS_H
#include <stddef.h>
#include "cifar.h"
#include "model.h"

// s within SE_NEAR_HALF of 0.5 counts as "near 0.5" (the block leaves that channel halved).
#define SE_NEAR_HALF 0.01
// A unit above zero on fewer than SE_RARE of the images is "rarely active" (dead ones included):
// on the other images it leaves s as if it were dead.
#define SE_RARE 0.01
enum { SE_STATS_MAX_HIDDEN = 256 };

typedef struct {
    int C;                  // channels
    int hidden;             // hidden units (C/R), read from the model
    int dead;               // units zero after ReLU on every image
    unsigned char dead_unit[SE_STATS_MAX_HIDDEN];   // 1: unit j is dead
    int rare;               // units above zero on fewer than SE_RARE of the images (dead included)
    unsigned char rare_unit[SE_STATS_MAX_HIDDEN];   // 1: unit j is rarely active
    double spread;          // mean over images of (max_c s - min_c s)
    double near_half;       // fraction of (image, channel) with |s - 0.5| <= SE_NEAR_HALF
} SEBlockStats;

typedef struct {
    int n;                  // images
    double accuracy;        // fraction of images whose top class is their label
    double loss;            // mean cross-entropy
    SEBlockStats block[NUM_BLOCKS];
} SEStats;

// The range of s over one image's channels: max - min of s[0..C). The page's widestBlock
// (web/js/lesson-helpers.mjs) opens the anatomy and the lesson on the block where it is largest.
double se_spread(const float *s, int C);

// Eval-mode pass of a CNN_SE over d (batches of at most batch images, <= EVAL_BATCH_MAX).
// Returns 0, or -1 with a message in err (not a CNN_SE, out of memory, a forward failing).
int se_stats_compute(Model *m, const Dataset *d, int batch, SEStats *out, char *err,
                     size_t errlen);

// The initialisation remedy (setting se_positive_init): every weight of the SE blocks' first
// linears (caN.fc.0.weight) replaced by its absolute value. The pooled inputs are channel means
// after a ReLU (>= 0), so each hidden unit starts above zero on every image that has any
// activity; with PyTorch's default signs about one unit in five starts dead (zero on every
// image), most often in ca3, and whole blocks (ca1, 2 units) in some seeds. No-op for a CNN.
void se_init_positive(Model *m);

#endif
