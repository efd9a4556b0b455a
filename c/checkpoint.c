// checkpoint.c - checkpoints of a training run (checkpoint.h: what the file holds) and models
// from weights files. The settings go in and out through the table of train_settings.h; the
// loop state is the Trainer's (train_impl.h).
#include "checkpoint.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "errors.h"
#include "safetensors.h"
#include "train_impl.h"

#define CHECKPOINT_FORMAT "excite-checkpoint-1"


enum { META_MAX = 48 };
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

// A value kept by reference (it must outlive the write): the class names' JSON.
static void meta_ref(Meta *m, const char *key, const char *value) {
    if (m->n >= META_MAX) return;
    m->kv[2 * m->n] = key;
    m->kv[2 * m->n + 1] = value;
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
    for (int i = 0; i < TRAIN_SETTING_COUNT; i++) {
        char key[64], value[64];
        const char *name = TRAIN_SETTING[i].name;
        if (TRAIN_SETTING[i].type == TS_KIND) snprintf(key, sizeof key, "model");
        else snprintf(key, sizeof key, "config.%s", name);
        train_setting_format(c, i, value, sizeof value);
        meta_add(md, key, "%s", value);
    }
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
    // as in a weights file (model_save_safetensors): R and the names when not the lesson's
    char cjson[CLASSES_JSON_MAX];
    if (model_kind(m) == MODEL_CNN_SE && model_reduction(m) != REDUCTION_DEFAULT)
        meta_add(md, "reduction", "%d", model_reduction(m));
    if (!class_list_is_cifar(model_classes(m))) {
        class_list_to_json(model_classes(m), cjson, sizeof cjson);
        meta_ref(md, CLASSES_META_KEY, cjson);
    }
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

// Settings added after checkpoints were first written: an older checkpoint lacks them, and
// resumes with their default (which is what it was trained with).
static const char *const CHECKPOINT_NEWER_SETTINGS[] = {"reduction", "freeze_conv", "test_fraction"};
static int newer_setting(const char *name) {
    for (size_t i = 0; i < sizeof CHECKPOINT_NEWER_SETTINGS / sizeof *CHECKPOINT_NEWER_SETTINGS; i++)
        if (!strcmp(name, CHECKPOINT_NEWER_SETTINGS[i])) return 1;
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
    for (int i = 0; i < TRAIN_SETTING_COUNT; i++) {
        char key[64], e[160];
        if (TRAIN_SETTING[i].type == TS_KIND) snprintf(key, sizeof key, "model");
        else snprintf(key, sizeof key, "config.%s", TRAIN_SETTING[i].name);
        if (!st_find_meta(f, key) && newer_setting(TRAIN_SETTING[i].name)) continue;  // default
        if (meta_str(f, key, &v, err, errlen)) return -1;
        if (train_setting_parse(c, i, v, e, sizeof e)) {
            set_err(err, errlen, "checkpoint: metadata %s = \"%.40s\": %s", key, v, e);
            return -1;
        }
    }
    if (meta_int(f, "data.train_images", ntrain, err, errlen) ||
        meta_int(f, "data.test_images", ntest, err, errlen))
        return -1;
    return train_config_check(c, err, errlen);
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

// Load the state-dict part of f into m: model_load_st with the adam.* entries left to
// load_moments, so every check of a weights file (names, shapes, dtypes, values) applies to
// checkpoints too. The loop state is metadata (state.*), not tensors: nothing to skip there.
static int load_state_dict_part(Model *m, const StFile *f, char *err, size_t errlen) {
    if (model_load_st(m, f, "adam.")) {
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
    ModelKind fk;
    int fr;
    ClassList classes;
    if (model_file_shape(&f, &fk, &fr, &classes, e, sizeof e)) {
        set_err(err, errlen, "checkpoint: %s", e);
        goto fail;
    }
    t = trainer_new(&cfg, &classes, train, test, err, errlen);
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
    ModelKind fk;
    int r;
    ClassList classes;
    if (model_file_shape(&f, &fk, &r, &classes, err, errlen)) {
        st_free(&f);
        return NULL;
    }
    ModelKind k = kind >= 0 ? (ModelKind)kind : fk;
    Model *m = model_create_shaped(k, r, &classes, 0, max_batch > 0 ? max_batch : 1);
    if (!m) {
        st_free(&f);
        set_err(err, errlen, "out of memory for the model");
        return NULL;
    }
    int rc;
    if (st_find_meta(&f, "checkpoint_format")) {
        rc = load_state_dict_part(m, &f, err, errlen);
    } else {
        rc = model_load_st(m, &f, NULL);
        if (rc) set_err(err, errlen, "%s", model_error(m));
    }
    st_free(&f);
    if (rc) {
        model_free(m);
        return NULL;
    }
    return m;
}
