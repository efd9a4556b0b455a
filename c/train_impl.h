// train_impl.h - the inside of a Trainer, shared by train.c (the loop) and checkpoint.c
// (its state to and from a checkpoint). Not for other files: they use train.h.
#ifndef EXCITE_TRAIN_IMPL_H
#define EXCITE_TRAIN_IMPL_H
#include "optim.h"
#include "rng.h"
#include "train.h"


// Everything of the loop that a checkpoint and the divergence guard must restore.
typedef struct {
    int epoch, position, step;
    float lr;
    Plateau plateau;
    double loss_ema;        // running mean of the loss (divergence guard)
    double ep_loss_sum;     // sum over the epoch's images of the loss
    long ep_correct, ep_seen;
    double ep_seconds;
    double best_loss;       // lowest evaluated loss so far, and its epoch (from 1)
    int best_epoch;
    Rng data_rng;           // augmentation
} LoopState;

struct Trainer {
    TrainConfig cfg;
    Model *m;
    Dataset train_view, val_view;
    const Dataset *test;
    const Dataset *eval_set;
    int is_val;
    int batches;            // per epoch
    LoopState s;
    int *perm;
    int perm_epoch;
    float *x;
    uint8_t *y;
    LoopState prev;         // the loop's state before the model's last step (model_undo_step)
    int has_prev;           // 1: prev and the model's undo are of the last step
    char err[1024];
};

// A trainer for cfg over train/test, at the start of the run (train.c).
Trainer *trainer_new(const TrainConfig *cfg, const ClassList *classes, const Dataset *train,
                     const Dataset *test, char *err, size_t errlen);

#endif
