// train.h - the native training loop around model.h: epochs over a seeded shuffle, optional
// augmentation, per-batch and per-epoch records (and their CSV form), ReduceLROnPlateau on
// the epoch's test (or validation) loss, a divergence guard, evaluation with per-class
// accuracy and a confusion matrix, and checkpoints that resume byte-identically.
// It does not load data or print: the caller (c/main.c) does. Functions returning int give
// 0 on success and -1 on failure with a message in trainer_error() or err.
//
// Randomness, all from the one user seed:
//   model_create(kind, seed)           initialisation; the model's own generator: dropout
//   data Rng seeded with seed ^ TAG    augmentation draws (batch_make, in batch order)
//   shuffle of epoch e                 Fisher-Yates of 0..n-1 with a generator seeded from
//                                      (seed, e), so a run resumed mid-epoch needs no order
// Same seed + settings + data => byte-identical weights, run after run, resumed or not, and
// with any number of threads.
//
// Divergence guard: a step whose loss or gradient is not finite is refused by
// model_train_step; in addition the loss "explodes" when loss > explode_abs (1e3) or, from the
// 10th step on, loss > explode_ratio (100) x the running mean of the loss (an exponential
// mean, weight 0.1 on the newest step) and loss > 10. Either way the trainer restores the
// last good state - the state before the step whose weights still gave a normal loss, i.e.
// two steps back for an explosion at step k: weights, Adam moments, batch-norm statistics,
// generators, position - and trainer_step returns TRAIN_DIVERGED with a message naming the
// step, the value and the likely cause (learning rate too high).
#ifndef EXCITE_TRAIN_H
#define EXCITE_TRAIN_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "cifar.h"
#include "model.h"
#include "train_settings.h"

// CSV logs: one file with a row per batch, one with a row per epoch; the first line names
// the columns. `excite train --csv` and the page's downloads write the same rows (the page
// through ex.csvBatchRow / ex.csvEpochRow, these functions in WebAssembly). Each column:
//   epoch          the epoch, from 1
//   batch          the batch within its epoch, from 1 (batches file)
//   step           batches trained in the whole run, this one included (batches file)
//   loss           this batch's mean cross-entropy, in train mode (dropout on) (batches file)
//   accuracy       the fraction of this batch's images classified right (batches file)
//   lr             the learning rate used for the batch / during the epoch (%.6g)
//   images_per_sec this batch's images / the wall-clock seconds of its training step alone
//                  (not smoothed, no evaluation; a timing: it varies run to run)
//   train_loss, train_acc   mean loss and accuracy over the epoch's batches (train mode)
//   test_loss, test_acc     eval mode, on the test set; val_loss, val_acc with a validation
//                           hold-out (TrainConfig.val > 0): the file then names them val_
//   seconds        wall-clock seconds of the epoch: its training steps + its evaluation
//                  (a timing; after a resume, the steps of the part trained before count)
// Losses and accuracies are written with 6 digits after the point (%.6f).
#define TRAIN_CSV_BATCH_COLUMNS "epoch,batch,step,loss,accuracy,lr,images_per_sec"
#define TRAIN_CSV_EPOCH_COLUMNS "epoch,train_loss,train_acc,test_loss,test_acc,lr,seconds"
#define TRAIN_CSV_EPOCH_COLUMNS_VAL "epoch,train_loss,train_acc,val_loss,val_acc,lr,seconds"
enum { TRAIN_CSV_ROW_MAX = 256 };

// The settings of a run: one field per line of TRAIN_SETTINGS (train_settings.h: types,
// defaults, ranges, meaning). val > 0: the last val training images are held out and the
// scheduler watches their loss instead of the test loss.
typedef struct TrainConfig {
#define X(name, type, ...) TS_CTYPE_##type name;
    TRAIN_SETTINGS(X)
#undef X
} TrainConfig;
// Every field at its default (train_settings.c).
TrainConfig train_config_default(void);

typedef struct {
    int epoch, batch, batches, step;  // batches: batches per epoch
    float loss, accuracy, lr;
    double images_per_sec;            // this batch's wall-clock rate
} BatchRecord;

typedef struct {
    int epoch;
    double train_loss, train_acc;     // over the epoch's batches (train mode, with dropout)
    double test_loss, test_acc;       // the evaluated set: test, or validation with cfg.val
    int is_val;                       // 1: test_* above are validation numbers
    float lr;                         // learning rate used during the epoch
    float next_lr;                    // after the scheduler's step
    double seconds;                   // wall-clock of the epoch incl. evaluation
    double eval_seconds;              // of which evaluation
    int is_best;                      // 1: the lowest test (or validation) loss of the run so far
} EpochRecord;

typedef struct {
    int n;
    int num_classes;                  // N of the model: the arrays below use [0, N)
    double loss;                      // mean cross-entropy
    double accuracy;                  // fraction
    int class_total[NUM_CLASSES], class_correct[NUM_CLASSES];
    int confusion[NUM_CLASSES][NUM_CLASSES];   // [true label][predicted]
} EvalResult;

// Eval-mode pass over a dataset in batches of batch_size (at most EVAL_BATCH_MAX). In eval
// mode an image's result does not depend on the other images of its batch: in any batch of 3
// or more images it is the same bits, so larger batches only cost memory. Batches of 1 or 2
// images (also a last, partial batch) take gemm's dot-product path in the linear layers
// (GEMV_MAX_M in gemm.c), which sums in another order: their results can differ by rounding
// (tests/test_model.c, eval_batch_sizes).
enum { EVAL_BATCH_MAX = 256 };
int evaluate(Model *m, const Dataset *d, int batch_size, EvalResult *r, char *err, size_t errlen);
// The same, and the predicted class of every image in predictions[d->n] (if not NULL).
int evaluate_predictions(Model *m, const Dataset *d, int batch_size, EvalResult *r,
                         uint8_t *predictions, char *err, size_t errlen);

typedef struct Trainer Trainer;

enum { TRAIN_OK = 0, TRAIN_ERROR = -1, TRAIN_DIVERGED = -2 };

// A new run: builds the model from cfg->seed. train/test must outlive the trainer; with
// cfg->val > 0 the last val images of train are the validation set (not trained on).
// The model has cfg->kind, cfg->reduction and CIFAR-10's classes.
Trainer *trainer_create(const TrainConfig *cfg, const Dataset *train, const Dataset *test,
                        char *err, size_t errlen);
// The same for N classes (NULL: CIFAR-10's): every label of train and test must be < N.
Trainer *trainer_create_classes(const TrainConfig *cfg, const ClassList *classes,
                                const Dataset *train, const Dataset *test, char *err,
                                size_t errlen);
// Fine-tuning, before the first step: the convolution blocks and fc1 from a weights file or
// checkpoint of the same kind and SE hidden sizes (any N: CIFAR-10's shipped weights), fc2
// as initialised from the seed (model_init_from). 0, or -1 with a message in trainer_error.
int trainer_init_weights(Trainer *t, const uint8_t *data, size_t len);
void trainer_free(Trainer *t);
Model *trainer_model(Trainer *t);
const TrainConfig *trainer_config(const Trainer *t);
const char *trainer_error(const Trainer *t);
int trainer_epoch(const Trainer *t);      // epochs completed
int trainer_position(const Trainer *t);   // batches done in the current epoch
int trainer_batches(const Trainer *t);    // batches per epoch
int trainer_step_count(const Trainer *t); // batches done in the whole run
float trainer_lr(const Trainer *t);
int trainer_done(const Trainer *t);       // all cfg.epochs completed
double trainer_best_loss(const Trainer *t); // lowest evaluated loss so far (+inf before any)
int trainer_best_epoch(const Trainer *t);   // its epoch (from 1; 0 before any)
void trainer_set_epochs(Trainer *t, int epochs);  // extend (or shorten) a run
// The learning rate of the next batches (the scheduler goes on from it). Returns 0, or -1
// with a message in trainer_error if lr is outside the range of the lr setting (train_settings.h).
int trainer_set_lr(Trainer *t, float lr);

// One batch. Returns TRAIN_OK (rec filled), or TRAIN_DIVERGED with the last good state
// restored and a message. After the epoch's last batch, call trainer_end_epoch.
int trainer_step(Trainer *t, BatchRecord *rec);
int trainer_epoch_finished(const Trainer *t);   // all batches of the current epoch done
// Evaluates on the test (or validation) set, steps the scheduler, starts the next epoch.
int trainer_end_epoch(Trainer *t, EpochRecord *rec);

// ---- whole runs -------------------------------------------------------------------------
typedef struct {
    FILE *batch_csv, *epoch_csv;      // rows appended if not NULL (headers: train_csv_header)
    const char *checkpoint_path;      // if not NULL: full state written at each epoch end
    // Called after every batch (epoch_rec NULL) and after every epoch (batch_rec NULL).
    void (*progress)(void *ctx, const Trainer *t, const BatchRecord *batch_rec,
                     const EpochRecord *epoch_rec);
    void *ctx;
} TrainRun;
// Trains until trainer_done. Returns TRAIN_OK, TRAIN_DIVERGED or TRAIN_ERROR (message).
int trainer_run(Trainer *t, const TrainRun *run);

void train_csv_header(FILE *f, int batch_file, int is_val);
void train_csv_batch(FILE *f, const BatchRecord *r);   // one row and '\n'
void train_csv_epoch(FILE *f, const EpochRecord *r);
// The same rows as text (no '\n') in out[n]; n = TRAIN_CSV_ROW_MAX always suffices. Returns
// what snprintf returns.
int train_csv_batch_row(char *out, size_t n, const BatchRecord *r);
int train_csv_epoch_row(char *out, size_t n, const EpochRecord *r);

// Checkpoints (save, resume, read the settings) and weights files: checkpoint.h.
#include "checkpoint.h"

#endif
