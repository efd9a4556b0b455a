// train.c - the training loop, evaluation, CSV records and checkpoints (train.h). One loop
// for both: `excite train` runs it natively, and the page runs it in WebAssembly through
// wasm/api.c (ex_trainer_*, driven step by step by wasm/worker.mjs).
#include "train.h"
#include "errors.h"
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "optim.h"
#include "safetensors.h"

#define CHECKPOINT_FORMAT "excite-checkpoint-1"
static const uint64_t DATA_RNG_TAG = 0xDA7A5EED00000001ull;
static const uint64_t SHUFFLE_TAG = 0x5F1E5EED00000000ull;

static double now_seconds(void) {
    struct timespec ts;
    if (timespec_get(&ts, TIME_UTC) != TIME_UTC) return 0;
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

TrainConfig train_config_default(void) {
    TrainConfig c;
    memset(&c, 0, sizeof c);
    c.kind = MODEL_CNN;
    c.seed = 1;
    c.epochs = 10;
    c.batch_size = 64;
    c.augment = 0;
    c.lr = 1e-3f;
    c.weight_decay = 0;
    c.dropout = 0.5f;
    Plateau p = plateau_default();
    c.plateau_factor = p.factor;
    c.plateau_patience = p.patience;
    c.plateau_threshold = p.threshold;
    c.min_lr = p.min_lr;
    c.val = 0;
    c.explode_abs = 1e3f;
    c.explode_ratio = 100.0f;
    return c;
}

// ---- evaluation -----------------------------------------------------------------------

int evaluate(Model *m, const Dataset *d, int batch_size, EvalResult *r, char *err, size_t errlen) {
    return evaluate_predictions(m, d, batch_size, r, NULL, err, errlen);
}

int evaluate_predictions(Model *m, const Dataset *d, int batch_size, EvalResult *r,
                         uint8_t *predictions, char *err, size_t errlen) {
    memset(r, 0, sizeof *r);
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
            if (pred[i] < NUM_CLASSES) r->confusion[y[i]][pred[i]]++;
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

static int check_config(const TrainConfig *c, char *err, size_t errlen) {
    if (c->kind != MODEL_CNN && c->kind != MODEL_CNN_SE) {
        set_err(err, errlen, "unknown model kind %d", (int)c->kind);
        return -1;
    }
    if (c->epochs < 0 || c->batch_size < 1 || c->batch_size > 65536) {
        set_err(err, errlen, "epochs must be >= 0 and the batch size in 1..65536 (got %d, %d)",
                c->epochs, c->batch_size);
        return -1;
    }
    if (!(c->lr > 0) || !isfinite(c->lr) || !(c->weight_decay >= 0) || !isfinite(c->weight_decay)) {
        set_err(err, errlen, "the learning rate must be > 0 and weight decay >= 0 (got %g, %g)",
                (double)c->lr, (double)c->weight_decay);
        return -1;
    }
    if (!(c->dropout >= 0 && c->dropout < 1)) {
        set_err(err, errlen, "dropout must be in [0, 1) (got %g)", (double)c->dropout);
        return -1;
    }
    if (!(c->plateau_factor > 0 && c->plateau_factor < 1) || c->plateau_patience < 0 ||
        !(c->plateau_threshold >= 0) || !isfinite(c->plateau_threshold) || !(c->min_lr >= 0) ||
        !isfinite(c->min_lr)) {
        set_err(err, errlen, "scheduler: factor must be in (0, 1), patience, threshold and "
                "min_lr finite and >= 0");
        return -1;
    }
    if (c->val < 0 || !(c->explode_abs > 0) || !(c->explode_ratio > 1) || !isfinite(c->explode_abs) ||
        !isfinite(c->explode_ratio)) {
        set_err(err, errlen, "val must be >= 0, explode_abs > 0 and explode_ratio > 1 (both finite)");
        return -1;
    }
    return 0;
}

static Trainer *trainer_new(const TrainConfig *cfg, const Dataset *train, const Dataset *test,
                            char *err, size_t errlen) {
    if (check_config(cfg, err, errlen)) return NULL;
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
    t->m = model_create(cfg->kind, cfg->seed, cap);
    t->perm = malloc((size_t)t->train_view.n * sizeof(int));
    t->x = malloc((size_t)cap * IMG_SIZE * sizeof(float));
    t->y = malloc((size_t)cap);
    if (!t->m || !t->perm || !t->x || !t->y) goto oom;
    model_set_dropout(t->m, cfg->dropout);
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
    return trainer_new(cfg, train, test, err, errlen);
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
    if (!(lr > 0) || !isfinite(lr)) {
        set_err(t->err, sizeof t->err, "learning rate must be a finite number > 0 (got %g)", (double)lr);
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

void train_csv_batch(FILE *f, const BatchRecord *r) {
    fprintf(f, "%d,%d,%d,%.6f,%.6f,%.6g,%.1f\n", r->epoch, r->batch, r->step, (double)r->loss,
            (double)r->accuracy, (double)r->lr, r->images_per_sec);
}

void train_csv_epoch(FILE *f, const EpochRecord *r) {
    fprintf(f, "%d,%.6f,%.6f,%.6f,%.6f,%.6g,%.3f\n", r->epoch, r->train_loss, r->train_acc,
            r->test_loss, r->test_acc, (double)r->lr, r->seconds);
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

// ---- checkpoints ----------------------------------------------------------------------

enum { META_MAX = 40 };
typedef struct {
    const char *kv[2 * META_MAX];
    char buf[META_MAX][2][96];
    int n;
} Meta;

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void meta_add(Meta *m, const char *key, const char *fmt, ...) {
    if (m->n >= META_MAX) return;
    snprintf(m->buf[m->n][0], sizeof m->buf[m->n][0], "%s", key);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->buf[m->n][1], sizeof m->buf[m->n][1], fmt, ap);
    va_end(ap);
    m->kv[2 * m->n] = m->buf[m->n][0];
    m->kv[2 * m->n + 1] = m->buf[m->n][1];
    m->n++;
}

static void meta_rng(Meta *m, const char *key, const Rng *r) {
    meta_add(m, key, "%lu,%lu,%lu,%lu", (unsigned long)r->s[0], (unsigned long)r->s[1],
             (unsigned long)r->s[2], (unsigned long)r->s[3]);
}

int trainer_save_checkpoint(Trainer *t, uint8_t **out, size_t *len) {
    Model *m = t->m;
    int nt = model_num_tensors(m);
    int ntrain = 0;
    for (int i = 0; i < nt; i++) ntrain += model_tensor(m, i)->trainable;
    int total = nt + 2 * ntrain;
    StTensorIn *ti = calloc((size_t)total, sizeof *ti);
    uint64_t *shapes = calloc((size_t)total * 4, sizeof *shapes);
    char (*names)[128] = calloc((size_t)2 * ntrain, sizeof *names);
    if (!ti || !shapes || !names) {
        free(ti); free(shapes); free(names);
        set_err(t->err, sizeof t->err, "checkpoint: out of memory");
        return -1;
    }
    int k = 0, kn = 0;
    size_t off = 0;
    for (int pass = 0; pass < 3; pass++) {
        off = 0;
        for (int i = 0; i < nt; i++) {
            const Tensor *ts = model_tensor(m, i);
            if (pass > 0 && !ts->trainable) continue;
            StTensorIn *o = &ti[k];
            for (int d = 0; d < ts->ndim; d++) shapes[k * 4 + d] = (uint64_t)ts->shape[d];
            o->ndim = ts->ndim;
            o->shape = &shapes[k * 4];
            if (pass == 0) {
                o->name = ts->name;
                o->dtype = ts->dtype == DTYPE_I64 ? ST_I64 : ST_F32;
                o->data = ts->dtype == DTYPE_I64 ? (const void *)ts->data_i64 : (const void *)ts->data;
            } else {
                snprintf(names[kn], sizeof names[kn], "adam.%s.%s", pass == 1 ? "m" : "v", ts->name);
                o->name = names[kn++];
                o->dtype = ST_F32;
                o->data = (pass == 1 ? model_adam_m(m) : model_adam_v(m)) + off;
                off += ts->numel;
            }
            k++;
        }
    }
    const TrainConfig *c = &t->cfg;
    const LoopState *s = &t->s;
    Meta *md = calloc(1, sizeof *md);
    if (!md) {
        free(ti); free(shapes); free(names);
        set_err(t->err, sizeof t->err, "checkpoint: out of memory");
        return -1;
    }
    meta_add(md, "format", "pt");
    meta_add(md, "checkpoint_format", CHECKPOINT_FORMAT);
    meta_add(md, "model", "%s", model_kind_name(c->kind));
    meta_add(md, "config.seed", "%llu", (unsigned long long)c->seed);
    meta_add(md, "config.epochs", "%d", c->epochs);
    meta_add(md, "config.batch_size", "%d", c->batch_size);
    meta_add(md, "config.augment", "%d", c->augment);
    meta_add(md, "config.lr", "%.9g", (double)c->lr);
    meta_add(md, "config.weight_decay", "%.9g", (double)c->weight_decay);
    meta_add(md, "config.dropout", "%.9g", (double)c->dropout);
    meta_add(md, "config.plateau_factor", "%.9g", (double)c->plateau_factor);
    meta_add(md, "config.plateau_patience", "%d", c->plateau_patience);
    meta_add(md, "config.plateau_threshold", "%.9g", (double)c->plateau_threshold);
    meta_add(md, "config.min_lr", "%.9g", (double)c->min_lr);
    meta_add(md, "config.val", "%d", c->val);
    meta_add(md, "config.explode_abs", "%.9g", (double)c->explode_abs);
    meta_add(md, "config.explode_ratio", "%.9g", (double)c->explode_ratio);
    meta_add(md, "data.train_images", "%d", t->train_view.n + t->val_view.n);
    meta_add(md, "data.test_images", "%d", t->test ? t->test->n : 0);
    meta_add(md, "state.epoch", "%d", s->epoch);
    meta_add(md, "state.position", "%d", s->position);
    meta_add(md, "state.step", "%d", s->step);
    meta_add(md, "state.lr", "%.9g", (double)s->lr);
    meta_add(md, "state.plateau_best", "%.17g", s->plateau.best);
    meta_add(md, "state.plateau_bad_epochs", "%d", s->plateau.num_bad_epochs);
    meta_add(md, "state.loss_ema", "%.17g", s->loss_ema);
    meta_add(md, "state.best_loss", "%.17g", s->best_loss);
    meta_add(md, "state.best_epoch", "%d", s->best_epoch);
    meta_add(md, "state.epoch_loss_sum", "%.17g", s->ep_loss_sum);
    meta_add(md, "state.epoch_correct", "%ld", s->ep_correct);
    meta_add(md, "state.epoch_seen", "%ld", s->ep_seen);
    meta_add(md, "state.epoch_seconds", "%.17g", s->ep_seconds);
    meta_add(md, "state.adam_t", "%lld", (long long)*model_adam_t(m));
    meta_rng(md, "state.rng_data", &s->data_rng);
    meta_rng(md, "state.rng_model", model_rng(m));
    char e[300];
    int rc = st_write(ti, k, md->kv, md->n, out, len, e, sizeof e);
    if (rc) set_err(t->err, sizeof t->err, "checkpoint: %s", e);
    free(ti); free(shapes); free(names); free(md);
    return rc ? -1 : 0;
}

int trainer_save_checkpoint_file(Trainer *t, const char *path) {
    uint8_t *buf = NULL;
    size_t len = 0;
    if (trainer_save_checkpoint(t, &buf, &len)) return -1;
    // Written next to the target and renamed, so a crash never leaves half a checkpoint.
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    int ok = f && fwrite(buf, 1, len, f) == len;
    if (f && fclose(f)) ok = 0;
    free(buf);
    if (!ok || rename(tmp, path)) {
        remove(tmp);
        set_err(t->err, sizeof t->err, "checkpoint: cannot write %s", path);
        return -1;
    }
    return 0;
}

// Metadata readers: each returns -1 (with a message) when the key is missing or malformed.
static int meta_str(const StFile *f, const char *key, const char **v, char *err, size_t errlen) {
    *v = st_find_meta(f, key);
    if (!*v) {
        set_err(err, errlen, "checkpoint: metadata %s is missing", key);
        return -1;
    }
    return 0;
}
// Numbers must be finite (NaN would slip through every later comparison); inf_ok lets
// "inf" through for the two "best so far" values, which start at +inf.
static int meta_number(const StFile *f, const char *key, double *out, int inf_ok, char *err,
                       size_t errlen) {
    const char *v;
    if (meta_str(f, key, &v, err, errlen)) return -1;
    char *end;
    *out = strtod(v, &end);
    if (end == v || *end) {
        set_err(err, errlen, "checkpoint: metadata %s = \"%.40s\" is not a number", key, v);
        return -1;
    }
    if (!isfinite(*out) && !(inf_ok && *out == INFINITY)) {
        set_err(err, errlen, "checkpoint: metadata %s = \"%.40s\" is not a finite number", key, v);
        return -1;
    }
    return 0;
}
static int meta_double(const StFile *f, const char *key, double *out, char *err, size_t errlen) {
    return meta_number(f, key, out, 0, err, errlen);
}
static int meta_best(const StFile *f, const char *key, double *out, char *err, size_t errlen) {
    return meta_number(f, key, out, 1, err, errlen);
}
static int meta_float(const StFile *f, const char *key, float *out, char *err, size_t errlen) {
    double d;
    if (meta_number(f, key, &d, 0, err, errlen)) return -1;
    *out = strtof(st_find_meta(f, key), NULL); // directly, not through the double (%.9g round trip)
    if (!isfinite(*out)) {
        set_err(err, errlen, "checkpoint: metadata %s = %g is out of the float range", key, d);
        return -1;
    }
    return 0;
}
static int meta_ll(const StFile *f, const char *key, long long *out, char *err, size_t errlen) {
    const char *v;
    if (meta_str(f, key, &v, err, errlen)) return -1;
    char *end;
    *out = strtoll(v, &end, 10);
    if (end == v || *end) {
        set_err(err, errlen, "checkpoint: metadata %s = \"%.40s\" is not an integer", key, v);
        return -1;
    }
    return 0;
}
static int meta_int(const StFile *f, const char *key, int *out, char *err, size_t errlen) {
    long long v;
    if (meta_ll(f, key, &v, err, errlen)) return -1;
    if (v < -2147483647LL || v > 2147483647LL) {
        set_err(err, errlen, "checkpoint: metadata %s is out of range", key);
        return -1;
    }
    *out = (int)v;
    return 0;
}
static int meta_rng_read(const StFile *f, const char *key, Rng *r, char *err, size_t errlen) {
    const char *v;
    if (meta_str(f, key, &v, err, errlen)) return -1;
    const char *p = v;
    for (int i = 0; i < 4; i++) {
        char *end;
        unsigned long long x = strtoull(p, &end, 10);
        if (end == p || x > 0xffffffffull || (i < 3 && *end != ',') || (i == 3 && *end)) {
            set_err(err, errlen, "checkpoint: metadata %s = \"%.60s\" is not 4 numbers", key, v);
            return -1;
        }
        r->s[i] = (uint32_t)x;
        p = end + 1;
    }
    return 0;
}

static int parse_config(const StFile *f, TrainConfig *c, int *ntrain, int *ntest, char *err,
                        size_t errlen) {
    const char *v;
    if (meta_str(f, "checkpoint_format", &v, err, errlen)) {
        set_err(err, errlen, "not an excite checkpoint (no \"checkpoint_format\" metadata): a "
                "weights file cannot be resumed");
        return -1;
    }
    if (strcmp(v, CHECKPOINT_FORMAT) != 0) {
        set_err(err, errlen, "checkpoint format \"%.40s\" is not %s", v, CHECKPOINT_FORMAT);
        return -1;
    }
    *c = train_config_default();
    if (meta_str(f, "model", &v, err, errlen)) return -1;
    if (!strcmp(v, "CNN")) c->kind = MODEL_CNN;
    else if (!strcmp(v, "CNN_SE")) c->kind = MODEL_CNN_SE;
    else {
        set_err(err, errlen, "checkpoint: unknown model \"%.40s\"", v);
        return -1;
    }
    long long seed;
    if (meta_str(f, "config.seed", &v, err, errlen)) return -1;
    char *end;
    seed = (long long)strtoull(v, &end, 10);
    if (end == v || *end) {
        set_err(err, errlen, "checkpoint: config.seed is not an integer");
        return -1;
    }
    c->seed = (uint64_t)seed;
    if (meta_int(f, "config.epochs", &c->epochs, err, errlen) ||
        meta_int(f, "config.batch_size", &c->batch_size, err, errlen) ||
        meta_int(f, "config.augment", &c->augment, err, errlen) ||
        meta_float(f, "config.lr", &c->lr, err, errlen) ||
        meta_float(f, "config.weight_decay", &c->weight_decay, err, errlen) ||
        meta_float(f, "config.dropout", &c->dropout, err, errlen) ||
        meta_float(f, "config.plateau_factor", &c->plateau_factor, err, errlen) ||
        meta_int(f, "config.plateau_patience", &c->plateau_patience, err, errlen) ||
        meta_float(f, "config.plateau_threshold", &c->plateau_threshold, err, errlen) ||
        meta_float(f, "config.min_lr", &c->min_lr, err, errlen) ||
        meta_int(f, "config.val", &c->val, err, errlen) ||
        meta_float(f, "config.explode_abs", &c->explode_abs, err, errlen) ||
        meta_float(f, "config.explode_ratio", &c->explode_ratio, err, errlen) ||
        meta_int(f, "data.train_images", ntrain, err, errlen) ||
        meta_int(f, "data.test_images", ntest, err, errlen))
        return -1;
    return check_config(c, err, errlen);
}

int checkpoint_read_config(const uint8_t *data, size_t len, TrainConfig *cfg, int *train_images,
                           int *test_images, char *err, size_t errlen) {
    StFile f;
    char e[300];
    if (st_parse(&f, data, len, e, sizeof e)) {
        set_err(err, errlen, "checkpoint: %s", e);
        return -1;
    }
    int rc = parse_config(&f, cfg, train_images, test_images, err, errlen);
    st_free(&f);
    return rc;
}

// Load the state-dict part of f into m through model_load_safetensors, so every check of
// a weights file (names, shapes, dtypes, values) applies to checkpoints too.
static int load_state_dict_part(Model *m, const StFile *f, char *err, size_t errlen) {
    int n = 0;
    for (int i = 0; i < f->n_entries; i++)
        if (strncmp(f->entries[i].name, "adam.", 5) != 0) n++;
    StTensorIn *ti = calloc((size_t)(n ? n : 1), sizeof *ti);
    if (!ti) {
        set_err(err, errlen, "checkpoint: out of memory");
        return -1;
    }
    int k = 0;
    for (int i = 0; i < f->n_entries; i++) {
        const StEntry *e = &f->entries[i];
        if (strncmp(e->name, "adam.", 5) == 0) continue;
        ti[k].name = e->name;
        ti[k].dtype = e->dtype;
        ti[k].ndim = e->ndim;
        ti[k].shape = e->shape;
        ti[k].data = e->data;
        k++;
    }
    uint8_t *buf = NULL;
    size_t len = 0;
    char e[300];
    int rc = st_write(ti, k, NULL, 0, &buf, &len, e, sizeof e);
    free(ti);
    if (rc) {
        set_err(err, errlen, "checkpoint: %s", e);
        return -1;
    }
    rc = model_load_safetensors(m, buf, len);
    free(buf);
    if (rc) {
        set_err(err, errlen, "checkpoint: %s", model_error(m));
        return -1;
    }
    return 0;
}

static int load_moments(Model *m, const StFile *f, char *err, size_t errlen) {
    size_t off = 0;
    float *dst[2] = {model_adam_m(m), model_adam_v(m)};
    for (int i = 0; i < model_num_tensors(m); i++) {
        const Tensor *ts = model_tensor(m, i);
        if (!ts->trainable) continue;
        for (int w = 0; w < 2; w++) {
            char name[160];
            snprintf(name, sizeof name, "adam.%s.%s", w ? "v" : "m", ts->name);
            const StEntry *e = st_find(f, name);
            if (!e) {
                set_err(err, errlen, "checkpoint: tensor %s is missing", name);
                return -1;
            }
            if (e->dtype != ST_F32 || e->numel != ts->numel) {
                set_err(err, errlen, "checkpoint: tensor %s must be F32 with %zu values", name,
                        ts->numel);
                return -1;
            }
            memcpy(dst[w] + off, e->data, ts->numel * sizeof(float));
            for (size_t j = 0; j < ts->numel; j++) {
                float x = dst[w][off + j];
                if (!isfinite(x) || (w == 1 && x < 0)) {
                    set_err(err, errlen, "checkpoint: tensor %s holds an invalid value (%g)", name,
                            (double)x);
                    return -1;
                }
            }
        }
        off += ts->numel;
    }
    return 0;
}

Trainer *trainer_resume(const uint8_t *data, size_t len, const Dataset *train, const Dataset *test,
                        char *err, size_t errlen) {
    StFile f;
    char e[300];
    if (st_parse(&f, data, len, e, sizeof e)) {
        set_err(err, errlen, "checkpoint: %s", e);
        return NULL;
    }
    TrainConfig cfg;
    int ntrain = 0, ntest = 0;
    Trainer *t = NULL;
    if (parse_config(&f, &cfg, &ntrain, &ntest, err, errlen)) goto fail;
    if (train->n != ntrain || (test ? test->n : 0) != ntest) {
        set_err(err, errlen, "checkpoint was made with %d training and %d test images; the data "
                "given has %d and %d", ntrain, ntest, train->n, test ? test->n : 0);
        goto fail;
    }
    t = trainer_new(&cfg, train, test, err, errlen);
    if (!t) goto fail;
    LoopState *s = &t->s;
    long long adam_t = 0, ep_correct = 0, ep_seen = 0;
    float plateau_min_lr = s->plateau.min_lr;
    if (meta_int(&f, "state.epoch", &s->epoch, err, errlen) ||
        meta_int(&f, "state.position", &s->position, err, errlen) ||
        meta_int(&f, "state.step", &s->step, err, errlen) ||
        meta_float(&f, "state.lr", &s->lr, err, errlen) ||
        meta_best(&f, "state.plateau_best", &s->plateau.best, err, errlen) ||
        meta_int(&f, "state.plateau_bad_epochs", &s->plateau.num_bad_epochs, err, errlen) ||
        meta_double(&f, "state.loss_ema", &s->loss_ema, err, errlen) ||
        meta_best(&f, "state.best_loss", &s->best_loss, err, errlen) ||
        meta_int(&f, "state.best_epoch", &s->best_epoch, err, errlen) ||
        meta_double(&f, "state.epoch_loss_sum", &s->ep_loss_sum, err, errlen) ||
        meta_ll(&f, "state.epoch_correct", &ep_correct, err, errlen) ||
        meta_ll(&f, "state.epoch_seen", &ep_seen, err, errlen) ||
        meta_double(&f, "state.epoch_seconds", &s->ep_seconds, err, errlen) ||
        meta_ll(&f, "state.adam_t", &adam_t, err, errlen) ||
        meta_rng_read(&f, "state.rng_data", &s->data_rng, err, errlen) ||
        meta_rng_read(&f, "state.rng_model", model_rng(t->m), err, errlen))
        goto fail;
    s->plateau.min_lr = plateau_min_lr;
    const char *negative = s->loss_ema < 0 ? "state.loss_ema" : s->ep_loss_sum < 0 ? "state.epoch_loss_sum"
                           : s->ep_seconds < 0 ? "state.epoch_seconds" : NULL;
    if (negative) {
        set_err(err, errlen, "checkpoint: metadata %s is negative", negative);
        goto fail;
    }
    s->ep_correct = (long)ep_correct;
    s->ep_seen = (long)ep_seen;
    if (s->epoch < 0 || s->position < 0 || s->position > t->batches || s->step < 0 ||
        !(s->lr > 0) || adam_t < 0 || ep_correct < 0 || ep_seen < ep_correct) {
        set_err(err, errlen, "checkpoint: the loop state is inconsistent (epoch %d, batch %d of %d, "
                "step %d)", s->epoch, s->position, t->batches, s->step);
        goto fail;
    }
    if (load_state_dict_part(t->m, &f, err, errlen) || load_moments(t->m, &f, err, errlen)) goto fail;
    *model_adam_t(t->m) = adam_t;
    st_free(&f);
    return t;
fail:
    trainer_free(t);
    st_free(&f);
    return NULL;
}

// ---- weights files --------------------------------------------------------------------

int weights_detect_kind(const uint8_t *data, size_t len, ModelKind *kind, char *err, size_t errlen) {
    StFile f;
    char e[300];
    if (st_parse(&f, data, len, e, sizeof e)) {
        set_err(err, errlen, "%s", e);
        return -1;
    }
    *kind = st_find(&f, "ca1.fc.0.weight") ? MODEL_CNN_SE : MODEL_CNN;
    st_free(&f);
    return 0;
}

Model *model_from_bytes(const uint8_t *data, size_t len, int kind, int max_batch, char *err,
                        size_t errlen) {
    StFile f;
    char e[300];
    if (st_parse(&f, data, len, e, sizeof e)) {
        set_err(err, errlen, "%s", e);
        return NULL;
    }
    ModelKind k = kind >= 0 ? (ModelKind)kind
                            : st_find(&f, "ca1.fc.0.weight") ? MODEL_CNN_SE : MODEL_CNN;
    Model *m = model_create(k, 0, max_batch > 0 ? max_batch : 1);
    if (!m) {
        st_free(&f);
        set_err(err, errlen, "out of memory for the model");
        return NULL;
    }
    int rc;
    if (st_find_meta(&f, "checkpoint_format")) {
        rc = load_state_dict_part(m, &f, err, errlen);
    } else {
        rc = model_load_safetensors(m, data, len);
        if (rc) set_err(err, errlen, "%s", model_error(m));
    }
    st_free(&f);
    if (rc) {
        model_free(m);
        return NULL;
    }
    return m;
}
