// train_settings.c - the table of train_settings.h as data, and the one setter, parser,
// formatter and range check of every training setting.
#include "train_settings.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "errors.h"
#include "train.h"

const TrainSetting TRAIN_SETTING[] = {
#define X(name, type, def, lo, hi, flag, arg, help) \
    {#name, TS_##type, def, lo, hi, flag, arg, help, offsetof(TrainConfig, name)},
    TRAIN_SETTINGS(X)
#undef X
};
const int TRAIN_SETTING_COUNT = (int)(sizeof TRAIN_SETTING / sizeof TRAIN_SETTING[0]);

const char *train_setting_type_name(TrainSettingType t) {
    static const char *const names[] = {"kind", "u64", "int", "bool", "float"};
    return (unsigned)t < 5 ? names[t] : "?";
}

int train_setting_index(const char *name) {
    for (int i = 0; name && i < TRAIN_SETTING_COUNT; i++)
        if (!strcmp(TRAIN_SETTING[i].name, name)) return i;
    return -1;
}

int train_setting_by_flag(const char *flag) {
    for (int i = 0; flag && i < TRAIN_SETTING_COUNT; i++)
        if (TRAIN_SETTING[i].flag && !strcmp(TRAIN_SETTING[i].flag, flag)) return i;
    return -1;
}

static void *field(TrainConfig *c, int i) { return (char *)c + TRAIN_SETTING[i].offset; }
static const void *cfield(const TrainConfig *c, int i) {
    return (const char *)c + TRAIN_SETTING[i].offset;
}

// What a setting accepts, for messages.
static void expected(int i, char *err, size_t errlen) {
    const TrainSetting *s = &TRAIN_SETTING[i];
    switch (s->type) {
    case TS_KIND: set_err(err, errlen, "must be cnn or cnn_se"); break;
    case TS_U64: set_err(err, errlen, "needs a non-negative integer"); break;
    case TS_BOOL: set_err(err, errlen, "must be 0 or 1"); break;
    case TS_INT: set_err(err, errlen, "needs an integer in %.0f..%.0f", s->min, s->max); break;
    case TS_FLOAT: set_err(err, errlen, "needs a number in [%g, %g]", s->min, s->max); break;
    }
}

int train_setting_set(TrainConfig *c, int i, double v, char *err, size_t errlen) {
    if (i < 0 || i >= TRAIN_SETTING_COUNT) {
        set_err(err, errlen, "is not a training setting");
        return -1;
    }
    const TrainSetting *s = &TRAIN_SETTING[i];
    int whole = isfinite(v) && v == floor(v);
    switch (s->type) {
    case TS_KIND:
    case TS_BOOL:
    case TS_INT:
        if (!whole || v < s->min || v > s->max) break;
        if (s->type == TS_KIND) *(ModelKind *)field(c, i) = (ModelKind)(int)v;
        else *(int *)field(c, i) = (int)v;
        return 0;
    case TS_U64:
        if (!whole || v < 0 || v >= 18446744073709551616.0) break;
        *(uint64_t *)field(c, i) = (uint64_t)v;
        return 0;
    case TS_FLOAT: {
        float f = (float)v;
        if (!isfinite(v) || !(f >= (float)s->min && f <= (float)s->max)) break;
        *(float *)field(c, i) = f;
        return 0;
    }
    }
    expected(i, err, errlen);
    return -1;
}

int train_setting_parse(TrainConfig *c, int i, const char *text, char *err, size_t errlen) {
    if (i < 0 || i >= TRAIN_SETTING_COUNT) {
        set_err(err, errlen, "is not a training setting");
        return -1;
    }
    const TrainSetting *s = &TRAIN_SETTING[i];
    const char *v = text ? text : "";
    char *end = NULL;
    errno = 0;
    switch (s->type) {
    case TS_KIND:
        if (!strcmp(v, "cnn") || !strcmp(v, "CNN")) return train_setting_set(c, i, MODEL_CNN, err, errlen);
        if (!strcmp(v, "cnn_se") || !strcmp(v, "CNN_SE") || !strcmp(v, "cnn-se"))
            return train_setting_set(c, i, MODEL_CNN_SE, err, errlen);
        break;
    case TS_U64: {
        unsigned long long x = strtoull(v, &end, 10);
        if (end == v || *end || errno || v[0] == '-' || v[0] == '+' || v[0] == ' ') break;
        *(uint64_t *)field(c, i) = (uint64_t)x;
        return 0;
    }
    case TS_BOOL:
    case TS_INT: {
        long long x = strtoll(v, &end, 10);
        if (end == v || *end || errno || x < (long long)s->min || x > (long long)s->max) break;
        *(int *)field(c, i) = (int)x;
        return 0;
    }
    case TS_FLOAT: {
        double x = strtod(v, &end);
        if (end == v || *end || !isfinite(x)) break;
        // directly, not through the double: "%.9g" of a float reads back to the same float
        float f = strtof(v, NULL);
        if (!(f >= (float)s->min && f <= (float)s->max)) break;
        *(float *)field(c, i) = f;
        return 0;
    }
    }
    expected(i, err, errlen);
    return -1;
}

double train_setting_get(const TrainConfig *c, int i) {
    if (i < 0 || i >= TRAIN_SETTING_COUNT) return NAN;
    const void *p = cfield(c, i);
    switch (TRAIN_SETTING[i].type) {
    case TS_KIND: return (double)*(const ModelKind *)p;
    case TS_U64: return (double)*(const uint64_t *)p;
    case TS_BOOL:
    case TS_INT: return *(const int *)p;
    case TS_FLOAT: return *(const float *)p;
    }
    return NAN;
}

void train_setting_format(const TrainConfig *c, int i, char *out, size_t n) {
    const void *p = cfield(c, i);
    switch (TRAIN_SETTING[i].type) {
    case TS_KIND: snprintf(out, n, "%s", model_kind_name(*(const ModelKind *)p)); break;
    case TS_U64: snprintf(out, n, "%llu", (unsigned long long)*(const uint64_t *)p); break;
    case TS_BOOL:
    case TS_INT: snprintf(out, n, "%d", *(const int *)p); break;
    case TS_FLOAT: snprintf(out, n, "%.9g", (double)*(const float *)p); break;
    }
}

TrainConfig train_config_default(void) {
    TrainConfig c;
    memset(&c, 0, sizeof c);
    for (int i = 0; i < TRAIN_SETTING_COUNT; i++) {
        char e[8];
        train_setting_set(&c, i, TRAIN_SETTING[i].def, e, sizeof e);   // defaults are in range
    }
    return c;
}

int train_config_check(const TrainConfig *c, char *err, size_t errlen) {
    TrainConfig scratch = *c;
    for (int i = 0; i < TRAIN_SETTING_COUNT; i++) {
        if (TRAIN_SETTING[i].type == TS_U64) continue;   // every value is one
        double v = train_setting_get(c, i);
        char e[160];
        if (train_setting_set(&scratch, i, v, e, sizeof e)) {
            set_err(err, errlen, "setting %s = %g: %s", TRAIN_SETTING[i].name, v, e);
            return -1;
        }
    }
    return 0;
}
