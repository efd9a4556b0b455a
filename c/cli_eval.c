// cli_eval.c - `excite eval`, `excite predict` and `excite info`.
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"

static const char *EVAL_HELP =
    "usage: excite eval --weights FILE [--model cnn|cnn_se] [--data DIR] [--test-limit N]\n"
    "                   [--images DIR [--seed N] [--test-fraction X]]\n"
    "                   [--batch N] [--threads N] [--predictions FILE]\n"
    "Evaluates on the CIFAR-10 test batch: loss, overall and per-class accuracy, and the\n"
    "confusion matrix (rows: true class, columns: predicted), with the class names of the file.\n"
    "The model (kind, reduction ratio, classes) is detected from the file (CNN_SE iff it holds\n"
    "ca1.fc.0.weight) unless --model is given.\n"
    "--images DIR evaluates on the test split of an ImageFolder directory instead (the split\n"
    "of `excite train --images`: give the --seed and --test-fraction of the training run;\n"
    "defaults 1 and 0.2). Its classes must be the model's.\n"
    "--predictions FILE writes the predicted class of every test image, one byte each.\n";

static const char *PREDICT_HELP =
    "usage: excite predict IMAGE --weights FILE [--model cnn|cnn_se] [--digits N]\n"
    "                     [--dump-input FILE]\n"
    "Prints the class probabilities for a PNG or JPEG image, with the class names stored in\n"
    "the weights file (CIFAR-10's ten when it has none).\n"
    "A JPEG is first turned upright by its EXIF orientation. The image is centre-cropped to a\n"
    "square (side = the shorter side), then scaled to 32x32 by area averaging (each output\n"
    "pixel is the area-weighted mean of the pixels its square covers; smaller images are\n"
    "enlarged by the same rule). Transparency is ignored; colour profiles are not applied.\n"
    "The page turns the same file into the same 32x32 input.\n"
    "--digits N          digits after the point of the probabilities (default 4, at most 9)\n"
    "--dump-input FILE   also write the 32x32 network input: 3072 bytes, (3,32,32) R, G, B planes\n";

static const char *INFO_HELP =
    "usage: excite info FILE\n"
    "Lists the tensors of a safetensors weights or checkpoint file (name, dtype, shape),\n"
    "the parameter count, the model it loads as (CNN or CNN_SE) and the metadata. Exits 1\n"
    "if it loads as neither, saying why.\n";

// ---- eval / predict / info -------------------------------------------------------------

// The test set of `excite eval`: CIFAR-10's test batch, or the test split of an ImageFolder
// directory (its classes must be the model's). 0, or -1 (printed).
static int eval_data(Model *m, const char *images, const char *data, int limit, uint64_t seed,
                     double fraction, Dataset *test) {
    char err[1024];
    if (!images) {
        if (cifar_load(test, data_dir(data), 0, limit, err, sizeof err)) return fail(-1, "%s", err);
        return 0;
    }
    Dataset all, train;
    ClassList cl;
    if (imagefolder_load(images, &all, &cl, 0)) return -1;
    if (!class_list_equal(&cl, model_classes(m))) {
        char a[CLASSES_JSON_MAX], b[CLASSES_JSON_MAX];
        class_list_to_json(&cl, a, sizeof a);
        class_list_to_json(model_classes(m), b, sizeof b);
        dataset_free(&all);
        return fail(-1, "%s: the folder's classes %s are not the model's %s", images, a, b);
    }
    int rc = imagefolder_split(&all, &cl, fraction, seed, &train, test);
    dataset_free(&all);
    dataset_free(&train);
    if (!rc && limit > 0 && limit < test->n) test->n = limit;
    return rc;
}

int cmd_eval(int argc, char **argv) {
    const char *weights = NULL, *data = NULL, *images = NULL, *predictions_path = NULL, *pos;
    int kind = -1, limit = 0, batch = 100, threads = default_threads(), r;
    TrainConfig split = train_config_default();   // --seed and --test-fraction of --images
    Args a = {argc, argv, 0, NULL, NULL};
    while ((r = next_opt(&a, "|help|", &pos)) > 0) {
        if (pos) return fail(2, "eval: unexpected argument \"%s\" (see excite eval --help)", pos);
        const char *n = a.name, *v = a.value;
        int bad = 0;
        char e[160];
        if (!strcmp(n, "help")) { fputs(EVAL_HELP, stdout); return 0; }
        else if (!strcmp(n, "weights")) weights = v;
        else if (!strcmp(n, "model")) bad = parse_kind(v, &kind);
        else if (!strcmp(n, "data")) data = v;
        else if (!strcmp(n, "images")) images = v;
        else if (!strcmp(n, "seed") || !strcmp(n, "test-fraction")) {
            int i = train_setting_by_flag(n);
            if (train_setting_parse(&split, i, v, e, sizeof e))
                return fail(2, "--%s %s (got \"%s\")", n, e, v);
        }
        else if (!strcmp(n, "test-limit")) bad = parse_int(n, v, 1, 1 << 30, &limit);
        else if (!strcmp(n, "batch")) bad = parse_int(n, v, 1, 4096, &batch);
        else if (!strcmp(n, "threads")) bad = parse_int(n, v, 1, 256, &threads);
        else if (!strcmp(n, "predictions")) predictions_path = v;
        else return fail(2, "eval: unknown option --%s (see excite eval --help)", n);
        if (bad) return 2;
    }
    if (r < 0) return 2;
    if (!weights) return fail(2, "eval: --weights FILE is required (see excite eval --help)");
    threads_set(threads);
    Model *m = load_weights(weights, kind, batch);
    if (!m) return 1;
    char err[1024];
    Dataset test = {0, NULL, NULL};
    if (eval_data(m, images, data, limit, split.seed, split.test_fraction, &test)) {
        model_free(m);
        return 1;
    }
    EvalResult er;
    int status = 0;
    uint8_t *pred = predictions_path ? malloc((size_t)test.n) : NULL;
    if (predictions_path && !pred) {
        status = fail(1, "eval: out of memory");
    } else if (evaluate_predictions(m, &test, batch, &er, pred, err, sizeof err)) {
        status = fail(1, "%s", err);
    } else if (pred && write_bytes(predictions_path, pred, (size_t)test.n)) {
        status = 1;
    } else {
        printf("model: %s (%s)\n", model_kind_name(model_kind(m)), weights);
        print_eval(&er, "test");
        print_eval_details(&er, model_classes(m));
    }
    free(pred);
    dataset_free(&test);
    model_free(m);
    return status;
}

int cmd_predict(int argc, char **argv) {
    const char *weights = NULL, *image = NULL, *dump = NULL, *pos;
    int kind = -1, r, digits = 4;
    Args a = {argc, argv, 0, NULL, NULL};
    while ((r = next_opt(&a, "|help|", &pos)) > 0) {
        if (pos) {
            if (image) return fail(2, "predict: one image at a time (got \"%s\" and \"%s\")", image, pos);
            image = pos;
            continue;
        }
        const char *n = a.name, *v = a.value;
        if (!strcmp(n, "help")) { fputs(PREDICT_HELP, stdout); return 0; }
        else if (!strcmp(n, "weights")) weights = v;
        else if (!strcmp(n, "model")) { if (parse_kind(v, &kind)) return 2; }
        else if (!strcmp(n, "threads")) { int th; if (parse_int(n, v, 1, 256, &th)) return 2; threads_set(th); }
        else if (!strcmp(n, "digits")) { if (parse_int(n, v, 0, 9, &digits)) return 2; }
        else if (!strcmp(n, "dump-input")) dump = v;
        else return fail(2, "predict: unknown option --%s (see excite predict --help)", n);
    }
    if (r < 0) return 2;
    if (!image) return fail(2, "predict: an IMAGE file is required (see excite predict --help)");
    if (!weights) return fail(2, "predict: --weights FILE is required (see excite predict --help)");
    uint8_t *buf;
    size_t len;
    char err[1024];
    if (read_all(image, &buf, &len, err, sizeof err)) return fail(1, "%s", err);
    uint8_t img[IMG_SIZE];
    ImageInfo info;
    int rc = image_decode_32(img, buf, len, &info, err, sizeof err);
    free(buf);
    if (rc) return fail(1, "%s: %s", image, err);
    if (dump && write_bytes(dump, img, IMG_SIZE)) return 1;
    Model *m = load_weights(weights, kind, 1);
    if (!m) return 1;
    float x[IMG_SIZE], probs[NUM_CLASSES];
    const ClassList *cls = model_classes(m);
    image_normalize(x, img);
    if (model_predict(m, x, probs)) {
        int s = fail(1, "%s", model_error(m));
        model_free(m);
        return s;
    }
    printf("image: %s (%s, %dx%d, %d channel%s", image, info.format, info.w, info.h,
           info.channels, info.channels == 1 ? "" : "s");
    if (info.orientation != 1)
        printf(", EXIF orientation %d: upright %dx%d", info.orientation, info.width, info.height);
    printf(") -> centre %dx%d -> 32x32\n", info.side, info.side);
    printf("model: %s (%s)\n", model_kind_name(model_kind(m)), weights);
    int best = 0;
    for (int c = 0; c < cls->n; c++) {
        if (probs[c] > probs[best]) best = c;
        printf("  ");
        print_cols(cls->name[c], 11, 1, 0);
        printf(" %.*f\n", digits, (double)probs[c]);
    }
    printf("prediction: %s (%.1f%%)\n", cls->name[best], 100.0 * probs[best]);
    model_free(m);
    return 0;
}

static int is_buffer_name(const char *name) {
    size_t l = strlen(name);
    const char *suf[3] = {"running_mean", "running_var", "num_batches_tracked"};
    for (int i = 0; i < 3; i++) {
        size_t sl = strlen(suf[i]);
        if (l >= sl && !strcmp(name + l - sl, suf[i])) return 1;
    }
    return 0;
}

int cmd_info(int argc, char **argv) {
    const char *path = NULL, *pos;
    int r;
    Args a = {argc, argv, 0, NULL, NULL};
    while ((r = next_opt(&a, "|help|", &pos)) > 0) {
        if (pos) {
            if (path) return fail(2, "info: one file at a time");
            path = pos;
            continue;
        }
        if (!strcmp(a.name, "help")) { fputs(INFO_HELP, stdout); return 0; }
        return fail(2, "info: unknown option --%s (see excite info --help)", a.name);
    }
    if (r < 0) return 2;
    if (!path) return fail(2, "info: a FILE is required (see excite info --help)");
    uint8_t *buf;
    size_t len;
    char err[1024];
    if (read_all(path, &buf, &len, err, sizeof err)) return fail(1, "%s", err);
    StFile f;
    if (st_parse(&f, buf, len, err, sizeof err)) {
        free(buf);
        return fail(1, "%s: %s", path, err);
    }
    uint64_t params = 0, buffers = 0, adam = 0;
    printf("%s: %zu bytes, %d tensors\n", path, len, f.n_entries);
    for (int i = 0; i < f.n_entries; i++) {
        const StEntry *e = &f.entries[i];
        char shape[160] = "(";
        for (int d = 0; d < e->ndim; d++) {
            char s[24];
            snprintf(s, sizeof s, "%s%llu", d ? ", " : "", (unsigned long long)e->shape[d]);
            strncat(shape, s, sizeof shape - strlen(shape) - 2);
        }
        strcat(shape, ")");
        printf("  %-28s %-4s %s\n", e->name, st_dtype_name(e->dtype), shape);
        if (!strncmp(e->name, "adam.", 5)) adam += e->numel;
        else if (is_buffer_name(e->name)) buffers += e->numel;
        else params += e->numel;
    }
    printf("parameters: %llu (trainable)  buffers: %llu", (unsigned long long)params,
           (unsigned long long)buffers);
    if (adam) printf("  Adam moments: %llu", (unsigned long long)adam);
    printf("\n");
    // The model is the one the file loads as (every check eval and predict make), if any.
    char why[2][600];
    int kind = -1, first = st_find(&f, "ca1.fc.0.weight") ? 1 : 0; // the likely one first
    for (int j = 0; j < 2 && kind < 0; j++) {
        int k = j ? 1 - first : first;
        Model *m = model_from_bytes(buf, len, k, 1, why[k], sizeof why[k]);
        if (m) kind = k;
        model_free(m);
    }
    if (kind >= 0) {
        Model *m = model_from_bytes(buf, len, kind, 1, why[0], sizeof why[0]);
        if (m) {
            printf("model: %s", model_kind_name((ModelKind)kind));
            if (kind == MODEL_CNN_SE)
                printf(" (reduction ratio %d: SE hidden sizes %d, %d, %d)", model_reduction(m),
                       model_se_hidden(m, 0), model_se_hidden(m, 1), model_se_hidden(m, 2));
            const ClassList *c = model_classes(m);
            printf("\nclasses: %d:", c->n);
            for (int i = 0; i < c->n; i++) printf(" %s%s", c->name[i], i + 1 < c->n ? "," : "");
            printf("\n");
        }
        model_free(m);
    }
    if (st_find_meta(&f, "checkpoint_format")) printf("kind: training checkpoint (excite train --resume)\n");
    if (f.n_meta) {
        printf("metadata:\n");
        for (int i = 0; i < f.n_meta; i++) printf("  %s = %s\n", f.meta[i].key, f.meta[i].value);
    }
    st_free(&f);
    free(buf);
    if (kind < 0)
        return fail(1, "%s: does not load as CNN or as CNN_SE. As CNN: %s. As CNN_SE: %s", path,
                    why[0], why[1]);
    return 0;
}

