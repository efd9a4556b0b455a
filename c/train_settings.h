// train_settings.h - the training settings, described once. TRAIN_SETTINGS is the only list
// of them: TrainConfig's fields (train.h), the defaults, the range checks, `excite train`'s
// options and --help (c/main.c), the checkpoint's config.* metadata (c/checkpoint.c) and the
// WebAssembly setters and the table the page reads (wasm/api.c, ex.trainSettings in
// wasm/excite.mjs) all walk it. A new setting is one line here.
//
// X(name, type, default, min, max, flag, arg, help)
//   type      KIND (ModelKind), U64, INT, BOOL or FLOAT: the C type of the field
//   min, max  inclusive bounds, compared in the field's C type (a float setting: after
//             rounding to float, so a value the checkpoint wrote as "%.9g" reads back in range)
//   flag      the `excite train` option (--flag arg), or NULL: no option (the page and the
//             API can still set it; a checkpoint keeps it)
//   arg       the option's value in --help; "" for a BOOL flag, which takes no value
//   help      one line for --help (a '\n' continues it on the next line)
// In a checkpoint each setting is metadata config.<name> (kind: "model", its name CNN|CNN_SE).
// Settings added after the first checkpoint format (CHECKPOINT_NEWER_SETTINGS, checkpoint.c)
// take their default when an older checkpoint lacks them.
#ifndef EXCITE_TRAIN_SETTINGS_H
#define EXCITE_TRAIN_SETTINGS_H
#include <stddef.h>
#include <stdint.h>
#include "model.h"

#define TRAIN_SETTINGS(X)                                                                         \
    X(kind, KIND, 0, 0, 1, "model", "cnn|cnn_se", "network")                                      \
    X(reduction, INT, REDUCTION_DEFAULT, 1, REDUCTION_MAX, "reduction", "R",                      \
      "CNN_SE: the SE blocks' reduction ratio; hidden size C / R (integer division,\n"            \
      "as the lesson's ChannelAttention(in_channels, reduction_ratio=R))")                        \
    X(seed, U64, 1, 0, 18446744073709551615.0, "seed", "N",                                       \
      "one seed for initialisation, shuffling, augmentation, dropout")                            \
    X(epochs, INT, 10, 0, 100000, "epochs", "N", "epochs to train (with --resume: the new total)") \
    X(batch_size, INT, 64, 1, 4096, "batch", "N",                                                 \
      "batch size; the last batch of an epoch may be smaller")                                    \
    X(augment, BOOL, 0, 0, 1, "augment", "", "random crop (4-pixel padding) + horizontal flip")   \
    X(lr, FLOAT, 1e-3, 1e-12, 1e6, "lr", "X", "Adam learning rate")                               \
    X(weight_decay, FLOAT, 0, 0, 1e6, "weight-decay", "X", "Adam L2 weight decay")                \
    X(dropout, FLOAT, 0.5, 0, 0.999, "dropout", "P", "dropout probability before fc2")            \
    X(plateau_factor, FLOAT, 0.5, 1e-6, 0.999999, "plateau-factor", "X",                          \
      "ReduceLROnPlateau: the learning rate is multiplied by X when the watched loss\n"           \
      "has not improved for --plateau-patience epochs")                                           \
    X(plateau_patience, INT, 3, 0, 1000000, "plateau-patience", "N",                              \
      "epochs without improvement before the learning rate is reduced")                           \
    X(plateau_threshold, FLOAT, 1e-4, 0, 1, "plateau-threshold", "X",                             \
      "relative improvement of the loss that counts as one")                                      \
    X(min_lr, FLOAT, 0, 0, 1e6, "min-lr", "X", "the scheduler never goes below it")               \
    X(val, INT, 0, 0, 1073741824, "val", "N",                                                     \
      "hold out the last N training images as validation: the scheduler watches\n"              \
      "their loss; the test set is evaluated once, at the end")                                  \
    X(freeze_conv, BOOL, 0, 0, 1, "freeze-conv", "",                                              \
      "train only fc1 and fc2: the convolution blocks (conv, bn, SE) keep their weights\n"        \
      "(batch norm still updates its running statistics, as PyTorch in train mode)")              \
    X(test_fraction, FLOAT, 0.2, 0.01, 0.9, "test-fraction", "X",                                 \
      "--images: the fraction of each class held out as the test set (seeded, stratified)")      \
    X(explode_abs, FLOAT, 1e3, 1, 1e30, NULL, "X",                                                \
      "divergence guard: a loss above this stops the run")                                        \
    X(explode_ratio, FLOAT, 100, 1, 1e30, NULL, "X",                                              \
      "divergence guard: from step 10, a loss above 10 and this many times its running\n"        \
      "mean stops the run")

// The C type of each setting type.
#define TS_CTYPE_KIND ModelKind
#define TS_CTYPE_U64 uint64_t
#define TS_CTYPE_INT int
#define TS_CTYPE_BOOL int
#define TS_CTYPE_FLOAT float

typedef enum { TS_KIND, TS_U64, TS_INT, TS_BOOL, TS_FLOAT } TrainSettingType;

typedef struct {
    const char *name;           // the TrainConfig field
    TrainSettingType type;
    double def, min, max;
    const char *flag, *arg, *help;
    size_t offset;              // offsetof(TrainConfig, name)
} TrainSetting;

struct TrainConfig;
extern const TrainSetting TRAIN_SETTING[];
extern const int TRAIN_SETTING_COUNT;

const char *train_setting_type_name(TrainSettingType t);  // "kind", "u64", "int", "bool", "float"
int train_setting_index(const char *name);                // -1 if there is none
int train_setting_by_flag(const char *flag);              // -1 if there is none

// Set setting i of c from a number (the page, through wasm/api.c) or from text (the command
// line, a checkpoint: "cnn_se", "18446744073709551615", "0.001"). 0, or -1 with a message in
// err that says what is expected ("needs an integer in 1..4096", "must be cnn or cnn_se"),
// for the caller to put after the name it knows the setting by (--batch, config.batch_size).
int train_setting_set(struct TrainConfig *c, int i, double v, char *err, size_t errlen);
int train_setting_parse(struct TrainConfig *c, int i, const char *text, char *err, size_t errlen);
double train_setting_get(const struct TrainConfig *c, int i);   // seed: rounded to a double
// The value as text that train_setting_parse reads back to the same bits (checkpoints).
void train_setting_format(const struct TrainConfig *c, int i, char *out, size_t n);
// Every setting in its range: 0, or -1 with "setting <name>: ..." in err.
int train_config_check(const struct TrainConfig *c, char *err, size_t errlen);

#endif
