// optim.h - learning-rate schedule: ReduceLROnPlateau as in PyTorch 1.13
// (mode "min", threshold_mode "rel", cooldown 0). Adam itself is model_adam_step (model.h).
#ifndef EXCITE_OPTIM_H
#define EXCITE_OPTIM_H

typedef struct {
    float factor;      // 0.5
    int patience;      // 3
    float threshold;   // 1e-4, relative
    float min_lr;      // 0
    double best;       // +inf at start
    int num_bad_epochs;
} Plateau;

Plateau plateau_default(void);
// Feed one epoch's metric; returns the (possibly reduced) learning rate.
float plateau_step(Plateau *p, double metric, float lr);

#endif
