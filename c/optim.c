// optim.c - ReduceLROnPlateau as in PyTorch 1.13 (mode "min", threshold_mode "rel",
// cooldown 0, eps 1e-8 on the change of the learning rate). See optim.h.
#include "optim.h"
#include <math.h>

Plateau plateau_default(void) {
    Plateau p = {0.5f, 3, 1e-4f, 0.0f, INFINITY, 0};
    return p;
}

float plateau_step(Plateau *p, double metric, float lr) {
    // is_better: a < best * (1 - threshold); a NaN metric is never better.
    if (metric < p->best * (1.0 - (double)p->threshold)) {
        p->best = metric;
        p->num_bad_epochs = 0;
    } else {
        p->num_bad_epochs++;
    }
    if (p->num_bad_epochs > p->patience) {
        p->num_bad_epochs = 0;
        // torch: new_lr = max(old_lr * factor, min_lr), applied only if old - new > eps.
        double nl = (double)lr * (double)p->factor;
        if (nl < (double)p->min_lr) nl = (double)p->min_lr;
        if ((double)lr - nl > 1e-8) lr = (float)nl;
    }
    return lr;
}
