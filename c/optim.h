// optim.h - the optimiser and the learning-rate schedule, over flat float arrays (they know
// nothing of the model): Adam as torch.optim.Adam 1.13 (single-tensor path, amsgrad off) and
// ReduceLROnPlateau as in PyTorch 1.13 (mode "min", threshold_mode "rel", cooldown 0).
// The model's guarded training step (model_train_step, model.h) calls adam_update.
#ifndef EXCITE_OPTIM_H
#define EXCITE_OPTIM_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
    float lr;             // default 1e-3
    float beta1, beta2;   // 0.9, 0.999
    float eps;            // 1e-8
    float weight_decay;   // L2, added to the gradient as torch.optim.Adam does; default 0
} AdamConfig;
AdamConfig adam_default(void);

// Adam step number t (from 1) over n floats in place: parameters p, gradients g, first and
// second moments m and v. With undo != NULL the old p, m and v are written to it first, in
// the same pass (3 * n floats: p | m | v). Returns non-zero if a gradient or a new p, m or v
// is not finite; every element is updated even then, and undo holds what was there before.
int adam_update(const AdamConfig *cfg, int64_t t, float *p, const float *g, float *m, float *v,
                float *undo, size_t n);

typedef struct {
    float factor;
    int patience;
    float threshold;   // relative
    float min_lr;
    double best;       // +inf at start
    int num_bad_epochs;
} Plateau;

// best +inf, no bad epochs, and the defaults of the settings plateau_factor (0.5),
// plateau_patience (3), plateau_threshold (1e-4) and min_lr (0) of train_settings.h.
Plateau plateau_default(void);
// Feed one epoch's metric; returns the (possibly reduced) learning rate.
float plateau_step(Plateau *p, double metric, float lr);

#endif
