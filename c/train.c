// train.c - the training loop, evaluation and the CSV rows of its records (train.h). One loop
// for both: `excite train` runs it natively, and the page runs it in WebAssembly through
// wasm/api.c (ex_trainer_*, driven step by step by wasm/worker.mjs). Checkpoints are
// checkpoint.c; the settings and their checks, train_settings.c.
#include "train.h"
#include "errors.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "optim.h"
#include "train_impl.h"

static const uint64_t DATA_RNG_TAG = 0xDA7A5EED00000001ull;
static const uint64_t SHUFFLE_TAG = 0x5F1E5EED00000000ull;

static double now_seconds(void) {
    struct timespec ts;
    if (timespec_get(&ts, TIME_UTC) != TIME_UTC) return 0;
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

// ---- evaluation -----------------------------------------------------------------------

int evaluate(Model *m, const Dataset *d, int batch_size, EvalResult *r, char *err, size_t errlen) {
    return evaluate_predictions(m, d, batch_size, r, NULL, err, errlen);
}

int evaluate_predictions(Model *m, const Dataset *d, int batch_size, EvalResult *r,
                         uint8_t *predictions, char *err, size_t errlen) {
    memset(r, 0, sizeof *r);
    r->num_classes = model_num_classes(m);
    if (d->n <= 0) {
        set_err(err, errlen, "evaluate: the dataset is empty");
        return -1;
    }
    if (batch_size <= 0) batch_size = 64;
    if (batch_size > EVAL_BATCH_MAX) batch_size = EVAL_BATCH_MAX;
    float *x = malloc((size_t)batch_size * IMG_SIZE * sizeof(float));
    int *idx = malloc((size_t)batch_size * sizeof(int));
    uint8_t *y = malloc((size_t)batch_size), *pred = malloc((size_t)batch_size);
    if (!x || !idx || !y || !pred) {
        free(x); free(idx); free(y); free(pred);
        set_err(err, errlen, "evaluate: out of memory");
        return -1;
    }
    double loss_sum = 0;
    long correct_total = 0;
    int rc = 0;
    for (int start = 0; start < d->n; start += batch_size) {
        int B = d->n - start < batch_size ? d->n - start : batch_size;
        for (int i = 0; i < B; i++) idx[i] = start + i;
        batch_make(x, y, d, idx, B, 0, NULL);
        for (int i = 0; i < B && !rc; i++)
            if (y[i] >= r->num_classes) {
                set_err(err, errlen, "evaluate: image %d has label %d; the model has %d classes",
                        start + i, y[i], r->num_classes);
                rc = -1;
            }
        if (rc) break;
        double ls = 0;
        int correct = 0;
        if (model_eval_batch(m, x, y, B, &ls, &correct, pred)) {
            set_err(err, errlen, "evaluate: %s", model_error(m));
            rc = -1;
            break;
        }
        loss_sum += ls;
        correct_total += correct;
        if (predictions) memcpy(predictions + start, pred, (size_t)B);
        for (int i = 0; i < B; i++) {
            r->class_total[y[i]]++;
            if (pred[i] == y[i]) r->class_correct[y[i]]++;
            r->confusion[y[i]][pred[i]]++;
        }
    }
    free(x); free(idx); free(y); free(pred);
    if (rc) return rc;
    r->n = d->n;
    r->loss = loss_sum / d->n;
    r->accuracy = (double)correct_total / d->n;
    return 0;
}

// ---- the trainer ----------------------------------------------------------------------

static void shuffle_for_epoch(Trainer *t) {
    int n = t->train_view.n;
    for (int i = 0; i < n; i++) t->perm[i] = i;
    Rng r;
    rng_seed(&r, t->cfg.seed ^ (SHUFFLE_TAG + (uint64_t)t->s.epoch));
    rng_shuffle(&r, t->perm, n);
    t->perm_epoch = t->s.epoch;
}

void trainer_free(Trainer *t) {
    if (!t) return;
    model_free(t->m);
    free(t->perm);
    free(t->x);
    free(t->y);
    free(t);
}

// The first label of d that is not below n, or -1.
static int bad_label(const Dataset *d, int n) {
    for (int i = 0; d && i < d->n; i++)
        if (d->labels[i] >= n) return i;
    return -1;
}

Trainer *trainer_new(const TrainConfig *cfg, const ClassList *classes, const Dataset *train,
                     const Dataset *test, char *err, size_t errlen) {
    if (train_config_check(cfg, err, errlen)) return NULL;
    if (model_shape_check(cfg->kind, cfg->reduction, classes, err, errlen)) return NULL;
    int N = classes ? classes->n : 10, bt = bad_label(train, N), bs = bad_label(test, N);
    if (bt >= 0 || bs >= 0) {
        set_err(err, errlen, "%s image %d has label %d; the model has %d classes (labels 0..%d)",
                bt >= 0 ? "training" : "test", bt >= 0 ? bt : bs,
                bt >= 0 ? train->labels[bt] : test->labels[bs], N, N - 1);
        return NULL;
    }
    if (cfg->val >= train->n) {
        set_err(err, errlen, "--val %d leaves no training images (the training set has %d)",
                cfg->val, train->n);
        return NULL;
    }
    if (cfg->val == 0 && (!test || test->n <= 0)) {
        set_err(err, errlen, "no test images to evaluate on");
        return NULL;
    }
    Trainer *t = calloc(1, sizeof *t);
    if (!t) {
        set_err(err, errlen, "out of memory");
        return NULL;
    }
    t->cfg = *cfg;
    t->train_view.n = train->n - cfg->val;
    t->train_view.labels = train->labels;
    t->train_view.images = train->images;
    t->val_view.n = cfg->val;
    t->val_view.labels = train->labels + t->train_view.n;
    t->val_view.images = train->images + (size_t)t->train_view.n * IMG_SIZE;
    t->test = test;
    t->is_val = cfg->val > 0;
    t->eval_set = t->is_val ? &t->val_view : test;
    t->batches = (t->train_view.n + cfg->batch_size - 1) / cfg->batch_size;
    t->perm_epoch = -1;
    // buffers for the largest batch that can occur: a batch size above the number of
    // training images costs no memory
    int cap = cfg->batch_size < t->train_view.n ? cfg->batch_size : t->train_view.n;
    t->m = model_create_shaped(cfg->kind, cfg->reduction, classes, cfg->seed, cap);
    t->perm = malloc((size_t)t->train_view.n * sizeof(int));
    t->x = malloc((size_t)cap * IMG_SIZE * sizeof(float));
    t->y = malloc((size_t)cap);
    if (!t->m || !t->perm || !t->x || !t->y) goto oom;
    model_set_dropout(t->m, cfg->dropout);
    model_set_freeze_conv(t->m, cfg->freeze_conv);
    t->s.lr = cfg->lr;
    t->s.best_loss = INFINITY;
    t->s.plateau = plateau_default();
    t->s.plateau.factor = cfg->plateau_factor;
    t->s.plateau.patience = cfg->plateau_patience;
    t->s.plateau.threshold = cfg->plateau_threshold;
    t->s.plateau.min_lr = cfg->min_lr;
    rng_seed(&t->s.data_rng, cfg->seed ^ DATA_RNG_TAG);
    return t;
oom:
    trainer_free(t);
    set_err(err, errlen, "out of memory for the trainer");
    return NULL;
}

Trainer *trainer_create(const TrainConfig *cfg, const Dataset *train, const Dataset *test,
                        char *err, size_t errlen) {
    return trainer_new(cfg, NULL, train, test, err, errlen);
}

Trainer *trainer_create_classes(const TrainConfig *cfg, const ClassList *classes,
                                const Dataset *train, const Dataset *test, char *err,
                                size_t errlen) {
    return trainer_new(cfg, classes, train, test, err, errlen);
}

int trainer_init_weights(Trainer *t, const uint8_t *data, size_t len) {
    if (t->s.step > 0 || t->s.epoch > 0) {
        set_err(t->err, sizeof t->err, "fine-tuning: the pretrained weights go in before the "
                "first step");
        return -1;
    }
    char e[400];
    Model *src = model_from_bytes(data, len, -1, 1, e, sizeof e);
    if (!src) {
        set_err(t->err, sizeof t->err, "pretrained weights: %s", e);
        return -1;
    }
    int rc = model_init_from(t->m, src);
    if (rc) set_err(t->err, sizeof t->err, "%s", model_error(t->m));
    model_free(src);
    if (!rc) model_set_freeze_conv(t->m, t->cfg.freeze_conv);
    return rc;
}

Model *trainer_model(Trainer *t) { return t->m; }
const TrainConfig *trainer_config(const Trainer *t) { return &t->cfg; }
const char *trainer_error(const Trainer *t) { return t->err; }
int trainer_epoch(const Trainer *t) { return t->s.epoch; }
int trainer_position(const Trainer *t) { return t->s.position; }
int trainer_batches(const Trainer *t) { return t->batches; }
int trainer_step_count(const Trainer *t) { return t->s.step; }
float trainer_lr(const Trainer *t) { return t->s.lr; }
int trainer_done(const Trainer *t) { return t->s.epoch >= t->cfg.epochs; }
double trainer_best_loss(const Trainer *t) { return t->s.best_loss; }
int trainer_best_epoch(const Trainer *t) { return t->s.best_epoch; }
void trainer_set_epochs(Trainer *t, int epochs) { t->cfg.epochs = epochs < 0 ? 0 : epochs; }
int trainer_set_lr(Trainer *t, float lr) {
    TrainConfig c = t->cfg;
    char e[160];
    if (train_setting_set(&c, train_setting_index("lr"), lr, e, sizeof e)) {
        set_err(t->err, sizeof t->err, "learning rate %g: %s", (double)lr, e);
        return -1;
    }
    t->s.lr = lr;
    return 0;
}
int trainer_epoch_finished(const Trainer *t) { return t->s.position >= t->batches; }

int trainer_step(Trainer *t, BatchRecord *rec) {
    if (trainer_epoch_finished(t)) {
        set_err(t->err, sizeof t->err, "trainer_step: the epoch is finished; call trainer_end_epoch");
        return TRAIN_ERROR;
    }
    if (t->perm_epoch != t->s.epoch) shuffle_for_epoch(t);
    LoopState before = t->s;

    const int B0 = t->cfg.batch_size;
    int start = t->s.position * B0;
    int B = t->train_view.n - start < B0 ? t->train_view.n - start : B0;
    batch_make(t->x, t->y, &t->train_view, t->perm + start, B, t->cfg.augment, &t->s.data_rng);
    AdamConfig ac = adam_default();
    ac.lr = t->s.lr;
    ac.weight_decay = t->cfg.weight_decay;
    float loss = NAN;
    int correct = 0;
    double t0 = now_seconds();
    // The explosion test (train.h) as a limit on the loss, so that the model refuses such a
    // step before Adam and keeps its undo of the step before. fmax ignores a running mean
    // that is not a number: such a mean stops the run rather than switching the test off.
    double limit = t->cfg.explode_abs;
    if (t->s.step >= 9) limit = fmin(limit, fmax(10.0, t->cfg.explode_ratio * t->s.loss_ema));
    int rc = model_train_step_limit(t->m, t->x, t->y, B, &ac, limit, &loss, &correct);
    double dt = now_seconds() - t0;
    int step = t->s.step + 1;

    const char *what = NULL;
    char why[300];
    if (rc != 0 && !(isfinite(loss) && loss > limit)) {
        snprintf(why, sizeof why, "%.250s", model_error(t->m));
        what = why;
    } else if (rc != 0 && loss > t->cfg.explode_abs) {
        snprintf(why, sizeof why, "loss %g exceeds %g", (double)loss, (double)t->cfg.explode_abs);
        what = why;
    } else if (rc != 0) {
        snprintf(why, sizeof why, "loss %g is more than %g times the running mean %g",
                 (double)loss, (double)t->cfg.explode_ratio, t->s.loss_ema);
        what = why;
    }
    if (what) {
        int epoch = t->s.epoch + 1, batch = t->s.position + 1;
        // The model is back to its state before this step (a refused step changes nothing);
        // the step before goes too, with the loop's state before it.
        if (t->has_prev && model_undo_step(t->m) == 0) t->s = t->prev;
        else t->s = before;
        t->has_prev = 0;
        snprintf(t->err, sizeof t->err,
                 "training diverged at step %d (epoch %d, batch %d): %s. The model is back to "
                 "its state before step %d, the last whose loss was normal. Hint: the learning "
                 "rate (%g) is probably too high; try %g.",
                 step, epoch, batch, what, t->s.step + 1, (double)ac.lr, (double)ac.lr / 10);
        if (rec) memset(rec, 0, sizeof *rec);
        return TRAIN_DIVERGED;
    }
    t->prev = before;
    t->has_prev = 1;
    t->s.loss_ema = t->s.step == 0 ? loss : 0.9 * t->s.loss_ema + 0.1 * loss;
    t->s.step = step;
    t->s.position++;
    t->s.ep_loss_sum += (double)loss * B;
    t->s.ep_correct += correct;
    t->s.ep_seen += B;
    t->s.ep_seconds += dt;
    if (rec) {
        rec->epoch = t->s.epoch + 1;
        rec->batch = t->s.position;
        rec->batches = t->batches;
        rec->step = step;
        rec->loss = loss;
        rec->accuracy = (float)correct / (float)B;
        rec->lr = ac.lr;
        rec->images_per_sec = dt > 0 ? B / dt : 0;
    }
    return TRAIN_OK;
}

int trainer_end_epoch(Trainer *t, EpochRecord *rec) {
    if (!trainer_epoch_finished(t)) {
        set_err(t->err, sizeof t->err, "trainer_end_epoch: %d of %d batches done", t->s.position,
                t->batches);
        return TRAIN_ERROR;
    }
    double t0 = now_seconds();
    EvalResult r;
    char e[300];
    if (evaluate(t->m, t->eval_set, t->cfg.batch_size, &r, e, sizeof e)) {
        set_err(t->err, sizeof t->err, "%s", e);
        return TRAIN_ERROR;
    }
    double dt = now_seconds() - t0;
    EpochRecord er;
    memset(&er, 0, sizeof er);
    er.epoch = t->s.epoch + 1;
    er.train_loss = t->s.ep_seen ? t->s.ep_loss_sum / t->s.ep_seen : 0;
    er.train_acc = t->s.ep_seen ? (double)t->s.ep_correct / t->s.ep_seen : 0;
    er.test_loss = r.loss;
    er.test_acc = r.accuracy;
    er.is_val = t->is_val;
    er.lr = t->s.lr;
    er.seconds = t->s.ep_seconds + dt;
    er.eval_seconds = dt;
    t->s.lr = plateau_step(&t->s.plateau, r.loss, t->s.lr);
    er.next_lr = t->s.lr;
    if (r.loss < t->s.best_loss) {
        t->s.best_loss = r.loss;
        t->s.best_epoch = er.epoch;
        er.is_best = 1;
    }
    t->s.epoch++;
    t->s.position = 0;
    t->s.ep_loss_sum = 0;
    t->s.ep_correct = t->s.ep_seen = 0;
    t->s.ep_seconds = 0;
    if (rec) *rec = er;
    return TRAIN_OK;
}

// ---- CSV ------------------------------------------------------------------------------

void train_csv_header(FILE *f, int batch_file, int is_val) {
    fprintf(f, "%s\n", batch_file ? TRAIN_CSV_BATCH_COLUMNS
                                  : is_val ? TRAIN_CSV_EPOCH_COLUMNS_VAL : TRAIN_CSV_EPOCH_COLUMNS);
}

int train_csv_batch_row(char *out, size_t n, const BatchRecord *r) {
    return snprintf(out, n, "%d,%d,%d,%.6f,%.6f,%.6g,%.1f", r->epoch, r->batch, r->step,
                    (double)r->loss, (double)r->accuracy, (double)r->lr, r->images_per_sec);
}

int train_csv_epoch_row(char *out, size_t n, const EpochRecord *r) {
    return snprintf(out, n, "%d,%.6f,%.6f,%.6f,%.6f,%.6g,%.3f", r->epoch, r->train_loss,
                    r->train_acc, r->test_loss, r->test_acc, (double)r->lr, r->seconds);
}

void train_csv_batch(FILE *f, const BatchRecord *r) {
    char row[TRAIN_CSV_ROW_MAX];
    train_csv_batch_row(row, sizeof row, r);
    fprintf(f, "%s\n", row);
}

void train_csv_epoch(FILE *f, const EpochRecord *r) {
    char row[TRAIN_CSV_ROW_MAX];
    train_csv_epoch_row(row, sizeof row, r);
    fprintf(f, "%s\n", row);
}

// Flushes a CSV stream; -1 (message in t->err) if it or an earlier write failed.
static int csv_flush(Trainer *t, FILE *f, const char *which) {
    errno = 0;
    if (fflush(f) == 0 && !ferror(f)) return 0;
    set_err(t->err, sizeof t->err, "the %s CSV file: write failed (%s)", which,
            errno ? strerror(errno) : "I/O error");
    return -1;
}

int trainer_run(Trainer *t, const TrainRun *run) {
    while (!trainer_done(t)) {
        if (trainer_epoch_finished(t)) {
            EpochRecord er;
            if (trainer_end_epoch(t, &er)) return TRAIN_ERROR;
            if (run && run->epoch_csv) {
                train_csv_epoch(run->epoch_csv, &er);
                if (csv_flush(t, run->epoch_csv, "epoch")) return TRAIN_ERROR;
            }
            if (run && run->batch_csv && csv_flush(t, run->batch_csv, "batch")) return TRAIN_ERROR;
            if (run && run->checkpoint_path &&
                trainer_save_checkpoint_file(t, run->checkpoint_path))
                return TRAIN_ERROR;
            if (run && run->progress) run->progress(run->ctx, t, NULL, &er);
            continue;
        }
        BatchRecord br;
        int rc = trainer_step(t, &br);
        if (rc != TRAIN_OK) {
            if (run && run->batch_csv) fflush(run->batch_csv);
            if (run && run->epoch_csv) fflush(run->epoch_csv);
            return rc;
        }
        if (run && run->batch_csv) train_csv_batch(run->batch_csv, &br);
        if (run && run->progress) run->progress(run->ctx, t, &br, NULL);
    }
    return TRAIN_OK;
}
