// api.c - the exported C API of the WebAssembly module: thin wrappers over model.h, train.h,
// cifar.h and threads.h with plain scalar and pointer arguments, so that wasm/excite.mjs can
// call them. Objects (Model, Dataset, Trainer, TrainConfig) are handles: pointers into the
// module's memory that JavaScript passes back and never dereferences. Functions returning
// int give 0 on success and -1 on failure; the message is in ex_model_error(m),
// ex_trainer_error(t) or, for everything else, ex_last_error(). Nothing here prints.
// Not part of the native program; it also compiles natively (tests build it there).
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cifar.h"
#include "gemm.h"
#include "image.h"
#include "model.h"
#include "optim.h"
#include "safetensors.h"
#include "threads.h"
#include "train.h"

#ifdef __EMSCRIPTEN__
#include <emscripten.h>
#include <malloc.h>
#define API EMSCRIPTEN_KEEPALIVE
#else
#define API
#endif

static char last_error[512];

static void set_error(const char *msg) {
    snprintf(last_error, sizeof last_error, "%s", msg ? msg : "unknown error");
}

API const char *ex_last_error(void) { return last_error; }

// ---- runtime --------------------------------------------------------------------------
API int ex_threads_set(int n) { return threads_set(n); }
API int ex_threads_get(void) { return threads_get(); }
API int ex_threads_max(void) { return threads_max(); }
API const char *ex_gemm_kernel(void) { return gemm_kernel_name(); }
// The class names in label order (cifar.h CIFAR_CLASSES), or NULL outside 0..9.
API const char *ex_class_name(int i) { return i >= 0 && i < 10 ? CIFAR_CLASSES[i] : NULL; }

// Bytes currently allocated with malloc (for leak checks); -1 where unknown.
API double ex_heap_used(void) {
#ifdef __EMSCRIPTEN__
    struct mallinfo mi = mallinfo();
    return (double)mi.uordblks;
#else
    return -1;
#endif
}

// ---- models -----------------------------------------------------------------------------
// The class names as a JSON array (classes.h), or NULL/"" for CIFAR-10's; message in last_error.
static int classes_arg(ClassList *c, const char *json) {
    if (!json || !*json) {
        class_list_cifar(c);
        return 0;
    }
    return class_list_from_json(c, json, last_error, sizeof last_error);
}

// A model of any shape: reduction ratio R (CNN_SE), classes_json (NULL: CIFAR-10's 10);
// seed: a double holding an integer in [0, 2^53) (JavaScript numbers).
API Model *ex_model_create_shaped(int kind, int reduction, const char *classes_json, double seed,
                                  int max_batch) {
    ClassList c;
    if (classes_arg(&c, classes_json)) return NULL;
    if (model_shape_check((ModelKind)kind, reduction, &c, last_error, sizeof last_error)) return NULL;
    if (!(seed >= 0 && seed < 9007199254740992.0) || seed != floor(seed)) {
        set_error("seed must be an integer in [0, 2^53)");
        return NULL;
    }
    if (max_batch < 1 || max_batch > 4096) {
        set_error("max_batch must be in [1, 4096]");
        return NULL;
    }
    Model *m = model_create_shaped((ModelKind)kind, reduction, &c, (uint64_t)seed, max_batch);
    if (!m) set_error("out of memory creating the model");
    return m;
}

API void ex_model_free(Model *m) { model_free(m); }
API int ex_model_reduction(Model *m) { return model_reduction(m); }
API int ex_model_num_classes(Model *m) { return model_num_classes(m); }
API int ex_model_se_hidden(Model *m, int block) { return model_se_hidden(m, block); }
// The model's class names as a JSON array (valid until the next call).
API const char *ex_model_classes(Model *m) {
    static char json[CLASSES_JSON_MAX];
    class_list_to_json(model_classes(m), json, sizeof json);
    return json;
}
API int ex_model_set_classes(Model *m, const char *classes_json) {
    ClassList c;
    if (class_list_from_json(&c, classes_json, last_error, sizeof last_error)) return -1;
    if (model_set_classes(m, &c)) {
        set_error(model_error(m));
        return -1;
    }
    return 0;
}
// Fine-tuning: conv blocks and fc1 from pretrained weights (model_init_from).
API int ex_model_init_from(Model *m, const uint8_t *data, int len) {
    if (len <= 0) {
        set_error("pretrained weights: the file is empty");
        return -1;
    }
    char e[400];
    Model *src = model_from_bytes(data, (size_t)len, -1, 1, e, sizeof e);
    if (!src) {
        snprintf(last_error, sizeof last_error, "pretrained weights: %s", e);
        return -1;
    }
    int rc = model_init_from(m, src);
    if (rc) set_error(model_error(m));
    model_free(src);
    return rc;
}
API void ex_model_set_freeze_conv(Model *m, int on) { model_set_freeze_conv(m, on); }
API int ex_model_freeze_conv(Model *m) { return model_freeze_conv(m); }

// Class names checked as a model's (classes.h): 0, or -1 with the reason in last_error.
API int ex_classes_check(const char *classes_json) {
    ClassList c;
    return class_list_from_json(&c, classes_json, last_error, sizeof last_error);
}

// The seeded, stratified split (classes.h split_stratified) of n labels; sizes[0..2) =
// n_train, n_test; train_idx and test_idx need room for n ints each.
API int ex_split(const uint8_t *labels, int n, const char *classes_json, double test_fraction,
                 double seed, int *train_idx, int *test_idx, int *sizes) {
    ClassList c;
    if (classes_arg(&c, classes_json)) return -1;
    if (!(seed >= 0 && seed < 9007199254740992.0) || seed != floor(seed)) {
        set_error("seed must be an integer in [0, 2^53)");
        return -1;
    }
    if (n < 0) n = 0;
    return split_stratified(labels, n, &c, test_fraction, (uint64_t)seed, train_idx, &sizes[0],
                            test_idx, &sizes[1], last_error, sizeof last_error);
}
API const char *ex_model_error(Model *m) { return model_error(m); }
API int ex_model_kind(Model *m) { return (int)model_kind(m); }
API double ex_model_num_params(Model *m) { return (double)model_num_params(m); }
API void ex_model_set_dropout(Model *m, float p) { model_set_dropout(m, p); }

// The tensor table. A NULL model, a tensor index outside [0, ex_model_num_tensors) or a
// dimension outside [0, ndim) gives -1 (NULL for the pointers), the reason in ex_last_error().
static const Tensor *tensor_at(Model *m, int i) {
    if (!m) {
        set_error("no model (a NULL handle)");
        return NULL;
    }
    const Tensor *t = model_tensor(m, i);
    if (!t)
        snprintf(last_error, sizeof last_error, "tensor index %d is out of range [0, %d)", i,
                 model_num_tensors(m));
    return t;
}
API int ex_model_num_tensors(Model *m) {
    if (!m) { set_error("no model (a NULL handle)"); return -1; }
    return model_num_tensors(m);
}
API const char *ex_tensor_name(Model *m, int i) {
    const Tensor *t = tensor_at(m, i);
    return t ? t->name : NULL;
}
API int ex_tensor_ndim(Model *m, int i) {
    const Tensor *t = tensor_at(m, i);
    return t ? t->ndim : -1;
}
API int ex_tensor_dim(Model *m, int i, int d) {
    const Tensor *t = tensor_at(m, i);
    if (!t) return -1;
    if (d < 0 || d >= t->ndim) {
        snprintf(last_error, sizeof last_error, "dimension %d of tensor %s is out of range [0, %d)",
                 d, t->name, t->ndim);
        return -1;
    }
    return t->shape[d];
}
API int ex_tensor_numel(Model *m, int i) {
    const Tensor *t = tensor_at(m, i);
    return t ? (int)t->numel : -1;
}
API int ex_tensor_trainable(Model *m, int i) {
    const Tensor *t = tensor_at(m, i);
    return t ? t->trainable : -1;
}
API int ex_tensor_dtype(Model *m, int i) {
    const Tensor *t = tensor_at(m, i);
    return t ? (int)t->dtype : -1;
}
API void *ex_tensor_data(Model *m, int i) {
    const Tensor *t = tensor_at(m, i);
    if (!t) return NULL;
    return t->dtype == DTYPE_I64 ? (void *)t->data_i64 : (void *)t->data;
}

API int ex_model_load(Model *m, const uint8_t *data, int len) {
    if (len < 0) return -1;
    return model_load_safetensors(m, data, (size_t)len);
}

// Returns a malloc'ed buffer (the caller frees it with free) and its length in *len.
API uint8_t *ex_model_save(Model *m, int half, int *len) {
    uint8_t *out = NULL;
    size_t n = 0;
    if (model_save_safetensors(m, half, &out, &n) != 0) return NULL;
    if (n > 0x7fffffff) {
        free(out);
        set_error("safetensors file too large");
        return NULL;
    }
    *len = (int)n;
    return out;
}

API int ex_model_train_step(Model *m, const float *x, const uint8_t *y, int B, float lr,
                            float beta1, float beta2, float eps, float weight_decay,
                            float *loss, int *correct) {
    AdamConfig cfg = adam_default();
    cfg.lr = lr;
    cfg.beta1 = beta1;
    cfg.beta2 = beta2;
    cfg.eps = eps;
    cfg.weight_decay = weight_decay;
    return model_train_step(m, x, y, B, &cfg, loss, correct);
}

API int ex_model_eval_batch(Model *m, const float *x, const uint8_t *y, int B, double *loss_sum,
                            int *correct, uint8_t *pred) {
    return model_eval_batch(m, x, y, B, loss_sum, correct, pred);
}

// Eval-mode forward; returns the (B,10) logits (inside the model) or NULL.
API const float *ex_model_logits(Model *m, const float *x, int B) {
    if (model_forward(m, x, B, 0) != 0) return NULL;
    return model_logits(m);
}

API int ex_model_predict(Model *m, const float *x, float *probs) {
    return model_predict(m, x, probs);
}

// Feature map of image 0 of the last forward; dims[0..3) = C, H, W. NULL if not available.
API const float *ex_model_feature_map(Model *m, int block, int which, int *dims) {
    return model_feature_map(m, block, (MapKind)which, 0, &dims[0], &dims[1], &dims[2]);
}

// SE internals of image 0: ptrs[0..5) = pooled, hidden_pre, hidden, z, s; dims = C, R.
API int ex_model_se_view(Model *m, int block, const float **ptrs, int *dims) {
    SEView v;
    if (model_se_view(m, block, 0, &v) != 0) return -1;
    ptrs[0] = v.pooled;
    ptrs[1] = v.hidden_pre;
    ptrs[2] = v.hidden;
    ptrs[3] = v.z;
    ptrs[4] = v.s;
    dims[0] = v.C;
    dims[1] = v.R;
    return 0;
}

// cam: room for 32*32 floats; hw = H, W.
API int ex_model_gradcam(Model *m, const float *x, int cls, int block, float *cam, int *hw) {
    return model_gradcam(m, x, cls, block, cam, &hw[0], &hw[1]);
}

// ---- images and datasets ----------------------------------------------------------------
API void ex_normalize(float *out, const uint8_t *img, int B) {
    for (int b = 0; b < B; b++) image_normalize(out + (size_t)b * IMG_SIZE, img + (size_t)b * IMG_SIZE);
}

API int ex_image_fit(uint8_t *out, const uint8_t *pixels, int w, int h, int channels) {
    return image_fit_32(out, pixels, w, h, channels, last_error, sizeof last_error);
}

// Pictures (c/image.h): a PNG/JPEG file decoded, turned upright and fitted as `excite
// predict` does, or decoded pixels fitted; the result holds the input and the view.
API int ex_image_max_pixels(void) { return IMAGE_MAX_PIXELS; }
API int ex_image_view_max(void) { return IMAGE_VIEW_MAX; }
API ImagePicture *ex_picture_create(void) {
    ImagePicture *p = calloc(1, sizeof *p);
    if (!p) set_error("out of memory for a picture");
    return p;
}
API void ex_picture_free(ImagePicture *p) { free(p); }
// Both return IMAGE_OK (0) or an IMAGE_ERR_* code (message in ex_last_error()).
API int ex_picture_file(ImagePicture *p, const uint8_t *buf, int len) {
    if (!p || !buf || len < 0) {
        set_error("picture: no file");
        return IMAGE_ERR_FORMAT;
    }
    return image_picture_file(p, buf, (size_t)len, last_error, sizeof last_error);
}
API int ex_picture_pixels(ImagePicture *p, const uint8_t *pixels, int w, int h, int channels) {
    if (!p) {
        set_error("picture: no picture");
        return IMAGE_ERR_FORMAT;
    }
    return image_picture_pixels(p, pixels, w, h, channels, last_error, sizeof last_error);
}
API uint8_t *ex_picture_input(ImagePicture *p) { return p->input; }
API uint8_t *ex_picture_view(ImagePicture *p) { return p->view; }
API const char *ex_picture_format(ImagePicture *p) { return p->info.format ? p->info.format : ""; }
// out[0..11) = w, h, channels, orientation, width, height, side, x0, y0, view_w, view_h
// (what is known after a failure too: w, h of a picture too large).
API void ex_picture_info(ImagePicture *p, int *out) {
    const ImageInfo *i = &p->info;
    int v[11] = {i->w, i->h, i->channels, i->orientation, i->width, i->height, i->side, i->x0,
                 i->y0, p->view_w, p->view_h};
    memcpy(out, v, sizeof v);
}

// An empty dataset of n images for JavaScript to fill (ex_dataset_images/labels).
API Dataset *ex_dataset_create(int n) {
    if (n < 1 || n > 1000000) {
        set_error("dataset size must be in [1, 1000000]");
        return NULL;
    }
    Dataset *d = calloc(1, sizeof *d);
    if (d) {
        d->n = n;
        d->labels = malloc((size_t)n);
        d->images = malloc((size_t)n * IMG_SIZE);
    }
    if (!d || !d->labels || !d->images) {
        if (d) dataset_free(d);
        free(d);
        set_error("out of memory creating the dataset");
        return NULL;
    }
    return d;
}
API uint8_t *ex_dataset_images(Dataset *d) { return d->images; }
API uint8_t *ex_dataset_labels(Dataset *d) { return d->labels; }
// Labels must be 0..9 before a dataset is used; returns the first bad index, or -1.
API int ex_dataset_check(Dataset *d) {
    for (int i = 0; i < d->n; i++)
        if (d->labels[i] >= NUM_CLASSES) return i;
    return -1;
}
API void ex_dataset_free(Dataset *d) {
    if (!d) return;
    dataset_free(d);
    free(d);
}

// out[0..4) = n, loss, accuracy, N; class_total/class_correct (10, the first N used),
// confusion (10*10 as [true][predicted], the first N rows and columns used).
API int ex_evaluate(Model *m, const Dataset *d, int batch_size, double *out, int *class_total,
                    int *class_correct, int *confusion) {
    EvalResult r;
    if (evaluate(m, d, batch_size, &r, last_error, sizeof last_error) != 0) return -1;
    out[0] = r.n;
    out[1] = r.loss;
    out[2] = r.accuracy;
    out[3] = r.num_classes;
    memcpy(class_total, r.class_total, sizeof r.class_total);
    memcpy(class_correct, r.class_correct, sizeof r.class_correct);
    memcpy(confusion, r.confusion, sizeof r.confusion);
    return 0;
}

// Images [start, start + count) of d as one eval batch (count <= EVAL_BATCH_MAX): the core's
// evaluate of them (out, class_total, class_correct, confusion as ex_evaluate), the predicted
// class of each in predictions[count] and its softmax probabilities in probs[count*N], for
// the page's Evaluate panel (mistakes, the paired comparison of two models).
API int ex_evaluate_images(Model *m, const Dataset *d, int start, int count, double *out,
                           int *class_total, int *class_correct, int *confusion,
                           uint8_t *predictions, float *probs) {
    if (!m || !d || start < 0 || count <= 0 || count > EVAL_BATCH_MAX || start > d->n - count) {
        set_error("evaluate: the images asked for are not in the dataset");
        return -1;
    }
    Dataset view = {.n = count, .labels = d->labels + start,
                    .images = d->images + (size_t)start * IMG_SIZE};
    EvalResult r;
    if (evaluate_predictions(m, &view, count, &r, predictions, last_error, sizeof last_error))
        return -1;
    out[0] = r.n;
    out[1] = r.loss;
    out[2] = r.accuracy;
    out[3] = r.num_classes;
    memcpy(class_total, r.class_total, sizeof r.class_total);
    memcpy(class_correct, r.class_correct, sizeof r.class_correct);
    memcpy(confusion, r.confusion, sizeof r.confusion);
    memcpy(probs, model_probs(m), (size_t)count * (size_t)r.num_classes * sizeof(float));
    return 0;
}

// The model kind of a safetensors file (0 CNN, 1 CNN_SE; -1: not a weights file).
API int ex_weights_kind(const uint8_t *data, int len) {
    ModelKind k;
    if (weights_detect_kind(data, (size_t)len, &k, last_error, sizeof last_error)) return -1;
    return (int)k;
}

// What model a weights file or checkpoint is for (model_file_shape): out[0..2) = kind, R;
// the class names' JSON in ex_weights_classes() until the next call. -1: not a weights file.
static char weights_classes[CLASSES_JSON_MAX];
API int ex_weights_shape(const uint8_t *data, int len, int *out) {
    StFile f;
    if (len < 0 || st_parse(&f, data, (size_t)len, last_error, sizeof last_error)) return -1;
    ModelKind k;
    ClassList c;
    int rc = model_file_shape(&f, &k, &out[1], &c, last_error, sizeof last_error);
    st_free(&f);
    if (rc) return -1;
    out[0] = (int)k;
    class_list_to_json(&c, weights_classes, sizeof weights_classes);
    return 0;
}
API const char *ex_weights_classes(void) { return weights_classes; }

// ---- training settings: a TrainConfig edited by name ----------------------------------
API TrainConfig *ex_config_create(void) {
    TrainConfig *c = malloc(sizeof *c);
    if (!c) {
        set_error("out of memory");
        return NULL;
    }
    *c = train_config_default();
    return c;
}
API void ex_config_free(TrainConfig *c) { free(c); }

// Field names are TrainConfig's (TRAIN_SETTINGS, c/train_settings.h). Returns -1 for an
// unknown name or a value out of the setting's range.
API int ex_config_set(TrainConfig *c, const char *key, double v) {
    int i = train_setting_index(key);
    if (i < 0) {
        snprintf(last_error, sizeof last_error, "unknown training setting '%s'", key);
        return -1;
    }
    char e[160];
    if (train_setting_set(c, i, v, e, sizeof e) == 0) return 0;
    snprintf(last_error, sizeof last_error, "training setting %s: value %g out of range (%s)", key, v, e);
    return -1;
}

API double ex_config_get(const TrainConfig *c, const char *key) {
    return train_setting_get(c, train_setting_index(key));
}

// The table itself, for ex.trainSettings: setting i's name, type ("kind", "u64", "int",
// "bool", "float"), `excite train` flag ("" if none) and help (what 0..3), and its default,
// min and max (what 0..2).
API int ex_settings_count(void) { return TRAIN_SETTING_COUNT; }
API const char *ex_setting_text(int i, int what) {
    if (i < 0 || i >= TRAIN_SETTING_COUNT) return "";
    const TrainSetting *s = &TRAIN_SETTING[i];
    switch (what) {
    case 0: return s->name;
    case 1: return train_setting_type_name(s->type);
    case 2: return s->flag ? s->flag : "";
    case 3: return s->help;
    }
    return "";
}
API double ex_setting_number(int i, int what) {
    if (i < 0 || i >= TRAIN_SETTING_COUNT) return NAN;
    const TrainSetting *s = &TRAIN_SETTING[i];
    return what == 0 ? s->def : what == 1 ? s->min : what == 2 ? s->max : NAN;
}

// ---- CSV rows (train.h: the columns and their meaning) ----------------------------------
// The header line of the batches (batch_file 1) or epochs file, without '\n'.
API const char *ex_csv_header(int batch_file, int is_val) {
    return batch_file ? TRAIN_CSV_BATCH_COLUMNS : is_val ? TRAIN_CSV_EPOCH_COLUMNS_VAL
                                                        : TRAIN_CSV_EPOCH_COLUMNS;
}
// A row of the batches file from rec[8] as ex_trainer_step fills it.
API const char *ex_csv_batch_row(const double *rec) {
    static char row[TRAIN_CSV_ROW_MAX];
    BatchRecord r = {.epoch = (int)rec[0], .batch = (int)rec[1], .batches = (int)rec[2],
                     .step = (int)rec[3], .loss = (float)rec[4], .accuracy = (float)rec[5],
                     .lr = (float)rec[6], .images_per_sec = rec[7]};
    train_csv_batch_row(row, sizeof row, &r);
    return row;
}
// A row of the epochs file from rec[9] as ex_trainer_end_epoch fills it.
API const char *ex_csv_epoch_row(const double *rec) {
    static char row[TRAIN_CSV_ROW_MAX];
    EpochRecord r = {.epoch = (int)rec[0], .train_loss = rec[1], .train_acc = rec[2],
                     .test_loss = rec[3], .test_acc = rec[4], .is_val = rec[5] != 0,
                     .lr = (float)rec[6], .next_lr = (float)rec[7], .seconds = rec[8]};
    train_csv_epoch_row(row, sizeof row, &r);
    return row;
}

// ---- the training loop (train.h) --------------------------------------------------------
API Trainer *ex_trainer_create(const TrainConfig *c, const Dataset *train, const Dataset *test) {
    return trainer_create(c, train, test, last_error, sizeof last_error);
}
// The same for the classes of classes_json (NULL: CIFAR-10's).
API Trainer *ex_trainer_create_classes(const TrainConfig *c, const char *classes_json,
                                       const Dataset *train, const Dataset *test) {
    ClassList cl;
    if (classes_arg(&cl, classes_json)) return NULL;
    return trainer_create_classes(c, &cl, train, test, last_error, sizeof last_error);
}
// Fine-tuning before the first step (trainer_init_weights); message in ex_trainer_error.
API int ex_trainer_init_weights(Trainer *t, const uint8_t *data, int len) {
    if (len < 0) return -1;
    return trainer_init_weights(t, data, (size_t)len);
}
API void ex_trainer_free(Trainer *t) { trainer_free(t); }
API Model *ex_trainer_model(Trainer *t) { return trainer_model(t); }
API const TrainConfig *ex_trainer_config(Trainer *t) { return trainer_config(t); }
API const char *ex_trainer_error(Trainer *t) { return trainer_error(t); }

// out[0..8) = epoch, position, batches, step_count, lr, done, epoch_finished
API void ex_trainer_status(Trainer *t, double *out) {
    out[0] = trainer_epoch(t);
    out[1] = trainer_position(t);
    out[2] = trainer_batches(t);
    out[3] = trainer_step_count(t);
    out[4] = trainer_lr(t);
    out[5] = trainer_done(t);
    out[6] = trainer_epoch_finished(t);
}
API void ex_trainer_set_epochs(Trainer *t, int epochs) { trainer_set_epochs(t, epochs); }
API int ex_trainer_set_lr(Trainer *t, float lr) { return trainer_set_lr(t, lr); }

// One batch. out[0..8) = epoch, batch, batches, step, loss, accuracy, lr, images_per_sec.
// Returns TRAIN_OK (0), TRAIN_ERROR (-1) or TRAIN_DIVERGED (-2).
API int ex_trainer_step(Trainer *t, double *out) {
    BatchRecord r;
    int rc = trainer_step(t, &r);
    if (rc != TRAIN_OK) return rc;
    out[0] = r.epoch;
    out[1] = r.batch;
    out[2] = r.batches;
    out[3] = r.step;
    out[4] = r.loss;
    out[5] = r.accuracy;
    out[6] = r.lr;
    out[7] = r.images_per_sec;
    return rc;
}

// out[0..10) = epoch, train_loss, train_acc, test_loss, test_acc, is_val, lr, next_lr, seconds
API int ex_trainer_end_epoch(Trainer *t, double *out) {
    EpochRecord r;
    int rc = trainer_end_epoch(t, &r);
    if (rc != TRAIN_OK) return rc;
    out[0] = r.epoch;
    out[1] = r.train_loss;
    out[2] = r.train_acc;
    out[3] = r.test_loss;
    out[4] = r.test_acc;
    out[5] = r.is_val;
    out[6] = r.lr;
    out[7] = r.next_lr;
    out[8] = r.seconds;
    return rc;
}

API uint8_t *ex_trainer_checkpoint(Trainer *t, int *len) {
    uint8_t *out = NULL;
    size_t n = 0;
    if (trainer_save_checkpoint(t, &out, &n) != 0) return NULL;
    if (n > 0x7fffffff) {
        free(out);
        set_error("checkpoint too large");
        return NULL;
    }
    *len = (int)n;
    return out;
}

API Trainer *ex_trainer_resume(const uint8_t *data, int len, const Dataset *train,
                               const Dataset *test) {
    if (len < 0) return NULL;
    return trainer_resume(data, (size_t)len, train, test, last_error, sizeof last_error);
}

// The settings of a checkpoint (a new TrainConfig to free) and, in sizes, the numbers of
// training and test images it was made with.
API TrainConfig *ex_checkpoint_config(const uint8_t *data, int len, int *sizes) {
    TrainConfig *c = ex_config_create();
    if (!c) return NULL;
    if (len < 0 || checkpoint_read_config(data, (size_t)len, c, &sizes[0], &sizes[1], last_error,
                                          sizeof last_error) != 0) {
        free(c);
        return NULL;
    }
    return c;
}

// ---- ReduceLROnPlateau alone (optim.h), for loops driven from JavaScript -----------------
// state[0] = best (may be +inf), state[1] = num_bad_epochs; updated in place.
API float ex_plateau_step(double *state, double metric, float lr, float factor, int patience,
                          float threshold, float min_lr) {
    Plateau p = plateau_default();
    p.factor = factor;
    p.patience = patience;
    p.threshold = threshold;
    p.min_lr = min_lr;
    p.best = state[0];
    p.num_bad_epochs = (int)state[1];
    float out = plateau_step(&p, metric, lr);
    state[0] = p.best;
    state[1] = p.num_bad_epochs;
    return out;
}
