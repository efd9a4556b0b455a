// main.c - the command-line program `excite`: train, eval, predict, info.
// The only place in the core that prints and exits; everything else returns a status.
// Exit status: 0 success, 1 error (bad file, bad data...), 2 bad usage, 3 training diverged.
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cifar.h"
#include "cmd_se.h"
#include "gemm.h"
#include "image.h"
#include "model.h"
#include "safetensors.h"
#include "threads.h"
#include "train.h"


static const char *USAGE =
    "usage: excite <command> [options]    (excite <command> --help for details)\n"
    "\n"
    "  train     train CNN or CNN_SE on CIFAR-10 (progress, CSV logs, checkpoints)\n"
    "  eval      accuracy, per-class accuracy and confusion matrix of a weights file\n"
    "  predict   class probabilities of one PNG/JPEG image\n"
    "  info      what a weights or checkpoint file holds\n"
    "  se-stats  dead SE units, spread of s and test accuracy per SE block of weights files\n"
    "  robustness  test accuracy under blur, downscale, JPEG, brightness, contrast, noise\n"
    "  se-trace  a short CNN_SE run counting dead SE units every N steps\n"
    "\n"
    "Data: --data DIR, else $CIFAR10_DIR, else data/cifar10 (the official binary batches).\n"
    "Exit status: 0 ok, 1 error, 2 bad usage, 3 training diverged.\n";

// `excite train --help`: TRAIN_HELP_HEAD, one line per setting of TRAIN_SETTINGS
// (train_settings.h: flag, default, range, help), then TRAIN_HELP_TAIL.
static const char *TRAIN_HELP_HEAD =
    "usage: excite train [options]\n"
    "Trains on the CIFAR-10 training batches and evaluates on the test batch after every epoch.\n"
    "\n"
    "Settings (stored in checkpoints):\n";

static const char *TRAIN_HELP_TAIL =
    "\n"
    "Data and files:\n"
    "  --limit N               use the first N training images (default all 50000)\n"
    "  --test-limit N          use the first N test images (default all 10000)\n"
    "  --data DIR              CIFAR-10 folder\n"
    "  --csv PREFIX            write PREFIX-batches.csv (one row per batch) and PREFIX-epochs.csv\n"
    "                          (one row per epoch); rows are appended when resuming. The columns\n"
    "                          are described in c/train.h; the page's CSV downloads are the same\n"
    "  --checkpoint FILE       save the full training state at each epoch end\n"
    "  --resume FILE           continue a checkpoint exactly (same result as an uninterrupted run);\n"
    "                          settings come from the checkpoint, --epochs sets the new total;\n"
    "                          checkpoints keep going to FILE unless --checkpoint is given\n"
    "  --save FILE             final weights (safetensors, PyTorch state_dict names)\n"
    "  --save-best FILE        weights of the epoch with the lowest test (or --val) loss so far,\n"
    "                          rewritten whenever an epoch improves on it\n"
    "  --half                  save the final (and best) weights as F16\n"
    "  --threads N             threads (default: all cores; results do not depend on it)\n"
    "  --quiet                 no progress line\n"
    "\n"
    "Divergence guard: a non-finite loss or gradient, a loss above 1000, or (from step 10) a loss\n"
    "above 10 and 100x its running mean stops training; the model goes back to its last good\n"
    "state (saved with --save), the CSV rows so far are kept, and the exit status is 3.\n";

static const char *EVAL_HELP =
    "usage: excite eval --weights FILE [--model cnn|cnn_se] [--data DIR] [--test-limit N]\n"
    "                   [--batch N] [--threads N] [--predictions FILE]\n"
    "Evaluates on the CIFAR-10 test batch: loss, overall and per-class accuracy, and the\n"
    "confusion matrix (rows: true class, columns: predicted). The model kind is detected from\n"
    "the file (CNN_SE iff it holds ca1.fc.0.weight) unless --model is given.\n"
    "--predictions FILE writes the predicted class of every test image, one byte each.\n";

static const char *PREDICT_HELP =
    "usage: excite predict IMAGE --weights FILE [--model cnn|cnn_se] [--digits N]\n"
    "                     [--dump-input FILE]\n"
    "Prints the 10 class probabilities for a PNG or JPEG image.\n"
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

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int fail(int status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "excite: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    return status;
}

static double now_seconds(void) {
    struct timespec ts;
    if (timespec_get(&ts, TIME_UTC) != TIME_UTC) return 0;
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

// Reads a whole file; returns 0 or -1 with a message in err.
static int read_all(const char *path, uint8_t **out, size_t *len, char *err, size_t errlen) {
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open (%s)", path, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (!buf) break;
        if (n == cap) {
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        free(buf);
        snprintf(err, errlen, "%s: %s", path, buf ? "read error" : "out of memory");
        return -1;
    }
    *out = buf;
    *len = n;
    return 0;
}

// ---- option parsing --------------------------------------------------------------------

typedef struct {
    int argc;
    char **argv;
    int i;
    const char *name;   // current option without "--"
    const char *value;  // its value (after '=' or the next argument), NULL for flags
} Args;

static int parse_int(const char *opt, const char *v, long lo, long hi, int *out) {
    char *end;
    errno = 0;
    long x = v ? strtol(v, &end, 10) : 0;
    if (!v || end == v || *end || errno || x < lo || x > hi) {
        fail(2, "--%s needs an integer in %ld..%ld (got \"%s\")", opt, lo, hi, v ? v : "");
        return -1;
    }
    *out = (int)x;
    return 0;
}

static int parse_kind(const char *v, int *kind) {
    if (v && (!strcmp(v, "cnn") || !strcmp(v, "CNN"))) *kind = MODEL_CNN;
    else if (v && (!strcmp(v, "cnn_se") || !strcmp(v, "CNN_SE") || !strcmp(v, "cnn-se")))
        *kind = MODEL_CNN_SE;
    else {
        fail(2, "--model must be cnn or cnn_se (got \"%s\")", v ? v : "");
        return -1;
    }
    return 0;
}

// Splits argv into options (with values) and positional arguments. flags: option names that
// take no value, separated by '|' (e.g. "|augment|half|").
static int next_opt(Args *a, const char *flags, const char **positional) {
    *positional = NULL;
    if (a->i >= a->argc) return 0;
    char *s = a->argv[a->i++];
    if (strncmp(s, "--", 2) != 0 || s[2] == 0) {
        *positional = s;
        a->name = NULL;
        return 1;
    }
    static char name[64];
    const char *eq = strchr(s + 2, '=');
    size_t nl = eq ? (size_t)(eq - (s + 2)) : strlen(s + 2);
    if (nl >= sizeof name) nl = sizeof name - 1;
    memcpy(name, s + 2, nl);
    name[nl] = 0;
    a->name = name;
    char pat[70];
    snprintf(pat, sizeof pat, "|%s|", name);
    if (strstr(flags, pat)) {
        a->value = NULL;
        if (eq) return fail(2, "--%s takes no value", name), -1;
        return 1;
    }
    if (eq) a->value = eq + 1;
    else if (a->i < a->argc) a->value = a->argv[a->i++];
    else return fail(2, "--%s needs a value", name), -1;
    return 1;
}

static const char *data_dir(const char *given) {
    if (given) return given;
    const char *e = getenv("CIFAR10_DIR");
    return e && *e ? e : "data/cifar10";
}

static int default_threads(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

// ---- train -----------------------------------------------------------------------------

typedef struct {
    int tty, quiet;
    double start;          // wall clock at the start of this process's training
    int steps_at_start;
    int total_batches;     // over the whole run
    int eval_images, train_images_per_epoch, batch_size;
    double eval_total;     // evaluation seconds so far in this process
    double eval_last;      // the last evaluation's seconds (0: none yet)
    Trainer *trainer;
    const char *save_best; // weights of the epoch with the lowest evaluated loss
    int half, save_failed;
} Progress;

static void fmt_duration(char *out, size_t n, double s) {
    if (!(s >= 0) || s > 1e7) {
        snprintf(out, n, "?");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(out, n, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
    else snprintf(out, n, "%ld:%02ld", t / 60, t % 60);
}

// ETA = remaining batches x mean batch time of this process + remaining evaluations x the
// last evaluation's time (before the first one: its images at 1/3 of a training image).
static void on_progress(void *ctx, const Trainer *t, const BatchRecord *b, const EpochRecord *e) {
    Progress *p = ctx;
    const TrainConfig *c = trainer_config(t);
    if (e) {
        p->eval_total += e->eval_seconds;
        p->eval_last = e->eval_seconds;
        if (e->is_best && p->save_best && !p->save_failed) {
            Model *m = trainer_model(p->trainer);
            if (model_save_file(m, p->save_best, p->half)) {
                fail(1, "%s: %s", p->save_best, model_error(m));
                p->save_failed = 1;
            }
        }
        if (p->quiet) return;
        if (p->tty) fprintf(stderr, "\r%*s\r", 100, "");
        fprintf(stderr,
                "epoch %d/%d  train loss %.4f acc %5.2f%%  %s loss %.4f acc %5.2f%%  lr %.3g%s  %.1f s\n",
                e->epoch, c->epochs, e->train_loss, 100 * e->train_acc,
                e->is_val ? "val" : "test", e->test_loss, 100 * e->test_acc, (double)e->lr,
                e->next_lr != e->lr ? " (then reduced)" : "", e->seconds);
        if (e->is_best && p->save_best && !p->save_failed)
            fprintf(stderr, "excite: best %s loss so far: weights written to %s\n",
                    e->is_val ? "validation" : "test", p->save_best);
        return;
    }
    if (!b || p->quiet) return;
    int done = trainer_step_count(t) - p->steps_at_start;
    double train_wall = now_seconds() - p->start - p->eval_total;
    double per_batch = done > 0 ? train_wall / done : 0;
    int left_batches = p->total_batches - trainer_step_count(t);
    int left_evals = c->epochs - trainer_epoch(t);
    double eval_est = p->eval_last > 0 ? p->eval_last
                      : per_batch * p->eval_images / p->batch_size / 3.0;
    double eta = left_batches * per_batch + left_evals * eval_est;
    double rate = per_batch > 0 ? p->batch_size / per_batch : 0;
    char etas[32];
    fmt_duration(etas, sizeof etas, eta);
    int every = b->batches / 10 > 0 ? b->batches / 10 : 1;
    if (p->tty)
        fprintf(stderr, "\repoch %d/%d  batch %d/%d  loss %.4f  acc %5.1f%%  %.0f img/s  ETA %s   ",
                b->epoch, c->epochs, b->batch, b->batches, (double)b->loss, 100.0 * b->accuracy,
                rate, etas);
    else if (b->batch % every == 0 || b->batch == 1)
        fprintf(stderr, "epoch %d/%d  batch %d/%d  loss %.4f  acc %5.1f%%  %.0f img/s  ETA %s\n",
                b->epoch, c->epochs, b->batch, b->batches, (double)b->loss, 100.0 * b->accuracy,
                rate, etas);
}

static FILE *open_csv(const char *prefix, const char *suffix, int batch_file, int is_val) {
    char path[4200];
    snprintf(path, sizeof path, "%s-%s.csv", prefix, suffix);
    FILE *f = fopen(path, "a");
    if (!f) {
        fail(1, "%s: cannot open for writing (%s)", path, strerror(errno));
        return NULL;
    }
    if (ftell(f) == 0) train_csv_header(f, batch_file, is_val);
    return f;
}

// Closes a CSV file of open_csv; 0, or -1 with a message if any write to it failed.
static int close_csv(FILE *f, const char *prefix, const char *suffix) {
    errno = 0;
    int bad = fflush(f) != 0 || ferror(f);
    int e = errno;
    if (fclose(f) != 0 && !bad) { bad = 1; e = errno; }
    if (bad) fail(1, "%s-%s.csv: write failed%s%s%s", prefix, suffix, e ? " (" : "",
                  e ? strerror(e) : "", e ? ")" : "");
    return bad ? -1 : 0;
}

static void print_eval(const EvalResult *r, const char *set) {
    printf("%s: %d images  loss %.4f  accuracy %.2f%%\n", set, r->n, r->loss, 100 * r->accuracy);
}

// names: class names (batches.meta.txt) or NULL for the default English ones.
static void print_eval_details(const EvalResult *r, char names[10][32]) {
    const char *cls[10];
    for (int c = 0; c < 10; c++) cls[c] = names ? names[c] : CIFAR_CLASSES[c];
    printf("\nper-class accuracy:\n");
    for (int c = 0; c < 10; c++)
        printf("  %-11s %6.2f%%  (%d/%d)\n", cls[c],
               r->class_total[c] ? 100.0 * r->class_correct[c] / r->class_total[c] : 0.0,
               r->class_correct[c], r->class_total[c]);
    printf("\nconfusion matrix (rows: true class, columns: predicted):\n%-11s", "");
    for (int c = 0; c < 10; c++) printf(" %5.5s", cls[c]);
    printf("\n");
    for (int i = 0; i < 10; i++) {
        printf("%-11.11s", cls[i]);
        for (int j = 0; j < 10; j++) printf(" %5d", r->confusion[i][j]);
        printf("\n");
    }
}

// What `excite train` was asked to do (parse_train_args).
typedef struct {
    TrainConfig cfg;
    const char *data, *csv, *ckpt, *resume, *save, *save_best;
    int limit, test_limit, half, quiet, threads;
    int epochs_given;
    char setting_given[64];   // "--lr", ...: a setting option, which a checkpoint fixes
} TrainArgs;

static void print_train_help(void) {
    fputs(TRAIN_HELP_HEAD, stdout);
    TrainConfig d = train_config_default();
    for (int i = 0; i < TRAIN_SETTING_COUNT; i++) {
        const TrainSetting *s = &TRAIN_SETTING[i];
        if (!s->flag) continue;
        char opt[64], def[64], range[64] = "";
        snprintf(opt, sizeof opt, "--%s%s%s", s->flag, *s->arg ? " " : "", s->arg);
        train_setting_format(&d, i, def, sizeof def);
        if (s->type == TS_KIND) for (char *c = def; *c; c++) *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
        if (s->type == TS_BOOL) snprintf(def, sizeof def, "off");
        if (s->type == TS_FLOAT) snprintf(def, sizeof def, "%g", s->def);
        if (s->type == TS_INT) snprintf(range, sizeof range, "; %.0f..%.0f", s->min, s->max);
        if (s->type == TS_FLOAT) snprintf(range, sizeof range, "; %g..%g", s->min, s->max);
        printf("  %-22s  ", opt);
        for (const char *h = s->help; *h; h++) {
            if (*h == '\n') printf("\n%26s", "");
            else putchar(*h);
        }
        printf(" (default %s%s)\n", def, range);
    }
    fputs(TRAIN_HELP_TAIL, stdout);
}

// 0: parsed into o; 1: --help printed; 2: bad usage (message printed).
static int parse_train_args(int argc, char **argv, TrainArgs *o) {
    memset(o, 0, sizeof *o);
    o->cfg = train_config_default();
    o->threads = default_threads();
    // options without a value: the BOOL settings and these
    char flags[256] = "|half|quiet|help|";
    for (int i = 0; i < TRAIN_SETTING_COUNT; i++)
        if (TRAIN_SETTING[i].type == TS_BOOL && TRAIN_SETTING[i].flag)
            snprintf(flags + strlen(flags), sizeof flags - strlen(flags), "%s|", TRAIN_SETTING[i].flag);
    Args a = {argc, argv, 0, NULL, NULL};
    const char *pos;
    int r;
    while ((r = next_opt(&a, flags, &pos)) > 0) {
        if (pos) return fail(2, "train: unexpected argument \"%s\" (see excite train --help)", pos);
        const char *n = a.name, *v = a.value;
        int setting = train_setting_by_flag(n);
        if (setting >= 0) {
            char e[160];
            int bad = TRAIN_SETTING[setting].type == TS_BOOL
                          ? train_setting_set(&o->cfg, setting, 1, e, sizeof e)
                          : train_setting_parse(&o->cfg, setting, v, e, sizeof e);
            if (bad) return fail(2, "--%s %s (got \"%s\")", n, e, v ? v : "");
            // --epochs sets the new total of a resumed run; the others are the checkpoint's
            if (!strcmp(TRAIN_SETTING[setting].name, "epochs")) o->epochs_given = 1;
            else snprintf(o->setting_given, sizeof o->setting_given, "--%s", n);
        } else if (!strcmp(n, "help")) { print_train_help(); return 1; }
        else if (!strcmp(n, "data")) o->data = v;
        else if (!strcmp(n, "csv")) o->csv = v;
        else if (!strcmp(n, "checkpoint")) o->ckpt = v;
        else if (!strcmp(n, "resume")) o->resume = v;
        else if (!strcmp(n, "save")) o->save = v;
        else if (!strcmp(n, "save-best")) o->save_best = v;
        else if (!strcmp(n, "half")) o->half = 1;
        else if (!strcmp(n, "quiet")) o->quiet = 1;
        else if (!strcmp(n, "threads")) { if (parse_int(n, v, 1, 256, &o->threads)) return 2; }
        else if (!strcmp(n, "limit") || !strcmp(n, "test-limit")) {
            snprintf(o->setting_given, sizeof o->setting_given, "--%s", n);
            if (parse_int(n, v, 1, 1 << 30, n[0] == 'l' ? &o->limit : &o->test_limit)) return 2;
        } else return fail(2, "train: unknown option --%s (see excite train --help)", n);
    }
    if (r < 0) return 2;
    if (o->resume && o->setting_given[0])
        return fail(2, "train: %s cannot be combined with --resume: the checkpoint holds the "
                    "run's settings (only --epochs, --data, --csv, --checkpoint, --save, "
                    "--save-best, --half, --threads, --quiet apply)", o->setting_given);
    return 0;
}

// The data and the trainer of a run: a new one, or the checkpoint o->resume continued (its
// settings replace o->cfg, with --epochs as the new total). NULL: message printed.
static Trainer *open_trainer(TrainArgs *o, Dataset *train, Dataset *test) {
    char err[1024];
    uint8_t *ck = NULL;
    size_t cklen = 0;
    int train_images = o->limit, test_images = o->test_limit;
    if (o->resume) {
        if (read_all(o->resume, &ck, &cklen, err, sizeof err)) return fail(1, "%s", err), NULL;
        int epochs = o->cfg.epochs;
        if (checkpoint_read_config(ck, cklen, &o->cfg, &train_images, &test_images, err, sizeof err)) {
            free(ck);
            return fail(1, "%s: %s", o->resume, err), NULL;
        }
        if (o->epochs_given) o->cfg.epochs = epochs;
        if (!o->ckpt) o->ckpt = o->resume;
    }
    const char *dir = data_dir(o->data);
    if (cifar_load(train, dir, 1, train_images, err, sizeof err) ||
        cifar_load(test, dir, 0, test_images, err, sizeof err)) {
        free(ck);
        return fail(1, "%s", err), NULL;
    }
    if ((train_images > 0 && train->n < train_images) || (test_images > 0 && test->n < test_images))
        fprintf(stderr, "excite: note: only %d training and %d test images in %s\n", train->n,
                test->n, dir);
    Trainer *t = o->resume ? trainer_resume(ck, cklen, train, test, err, sizeof err)
                           : trainer_create(&o->cfg, train, test, err, sizeof err);
    free(ck);
    if (!t) return fail(1, "%s%s%s", o->resume ? o->resume : "", o->resume ? ": " : "", err), NULL;
    if (o->resume) trainer_set_epochs(t, o->cfg.epochs);
    o->cfg = *trainer_config(t);
    return t;
}

// Trains as o says: progress, CSV files, checkpoints, final evaluation and weights. Exit status.
static int run_train(TrainArgs *o) {
    threads_set(o->threads);
    Dataset train = {0, NULL, NULL}, test = {0, NULL, NULL};
    Trainer *t = open_trainer(o, &train, &test);
    if (!t) {
        dataset_free(&train);
        dataset_free(&test);
        return 1;
    }
    const TrainConfig cfg = o->cfg;
    const char *csv = o->csv;
    FILE *bcsv = NULL, *ecsv = NULL;
    int status = 0;
    if (csv) {
        bcsv = open_csv(csv, "batches", 1, cfg.val > 0);
        ecsv = bcsv ? open_csv(csv, "epochs", 0, cfg.val > 0) : NULL;
        if (!ecsv) {
            status = 1;
            goto done;
        }
    }
    char valtxt[48] = "";
    if (cfg.val) snprintf(valtxt, sizeof valtxt, " (+ %d for validation)", cfg.val);
    fprintf(stderr,
            "excite: %s, %zu parameters, %d training images%s, %d test images, batch %d, "
            "lr %g, %s, seed %llu, %d thread%s, gemm %s\n",
            model_kind_name(cfg.kind), model_num_params(trainer_model(t)), train.n - cfg.val,
            valtxt, test.n, cfg.batch_size, (double)cfg.lr,
            cfg.augment ? "augmented" : "no augmentation", (unsigned long long)cfg.seed,
            threads_get(), threads_get() == 1 ? "" : "s", gemm_kernel_name());
    if (o->resume)
        fprintf(stderr, "excite: resuming %s at epoch %d, batch %d (step %d), lr %g\n", o->resume,
                trainer_epoch(t) + 1, trainer_position(t), trainer_step_count(t),
                (double)trainer_lr(t));

    Progress p;
    memset(&p, 0, sizeof p);
    p.tty = isatty(2);
    p.quiet = o->quiet;
    p.start = now_seconds();
    p.steps_at_start = trainer_step_count(t);
    p.total_batches = cfg.epochs * trainer_batches(t);
    p.eval_images = cfg.val > 0 ? cfg.val : test.n;
    p.train_images_per_epoch = train.n - cfg.val;
    p.batch_size = cfg.batch_size;
    p.trainer = t;
    p.save_best = o->save_best;
    p.half = o->half;
    TrainRun run = {bcsv, ecsv, o->ckpt, on_progress, &p};
    int rc = trainer_run(t, &run);
    if (p.tty && !o->quiet) fprintf(stderr, "\r%*s\r", 100, "");
    if (rc == TRAIN_ERROR) {
        status = fail(1, "%s", trainer_error(t));
        goto done;
    }
    if (rc == TRAIN_DIVERGED) {
        fail(3, "%s", trainer_error(t));
        status = 3;
        if (csv) fprintf(stderr, "excite: the CSV rows so far are in %s-batches.csv and %s-epochs.csv\n", csv, csv);
    } else {
        EvalResult er;
        char err[1024];
        if (evaluate(trainer_model(t), &test, cfg.batch_size, &er, err, sizeof err)) {
            status = fail(1, "%s", err);
            goto done;
        }
        print_eval(&er, "test");
        fprintf(stderr, "excite: %.1f s of training in this run\n", now_seconds() - p.start);
    }
    if (p.save_failed && status == 0) status = 1;
    if (o->save) {
        if (model_save_file(trainer_model(t), o->save, o->half)) {
            status = fail(1, "%s: %s", o->save, model_error(trainer_model(t)));
            goto done;
        }
        fprintf(stderr, "excite: %s weights written to %s%s\n",
                rc == TRAIN_DIVERGED ? "last good" : "final", o->save, o->half ? " (F16)" : "");
    }
done:
    // A CSV file that could not be written fails the run (its rows are incomplete).
    if (bcsv && close_csv(bcsv, csv, "batches") && status == 0) status = 1;
    if (ecsv && close_csv(ecsv, csv, "epochs") && status == 0) status = 1;
    trainer_free(t);
    dataset_free(&train);
    dataset_free(&test);
    return status;
}

static int cmd_train(int argc, char **argv) {
    TrainArgs o;
    int r = parse_train_args(argc, argv, &o);
    if (r) return r == 1 ? 0 : r;
    return run_train(&o);
}

// ---- eval / predict / info -------------------------------------------------------------

static Model *load_weights(const char *path, int kind, int max_batch) {
    uint8_t *buf;
    size_t len;
    char err[1024];
    if (read_all(path, &buf, &len, err, sizeof err)) {
        fail(1, "%s", err);
        return NULL;
    }
    Model *m = model_from_bytes(buf, len, kind, max_batch, err, sizeof err);
    free(buf);
    if (!m) fail(1, "%s: %s", path, err);
    return m;
}

// Writes n bytes to path; on failure prints why and returns -1.
static int write_bytes(const char *path, const uint8_t *bytes, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return fail(-1, "%s: %s", path, strerror(errno));
    size_t w = fwrite(bytes, 1, n, f);
    if (fclose(f) != 0 || w != n) return fail(-1, "%s: write failed", path);
    return 0;
}

static int cmd_eval(int argc, char **argv) {
    const char *weights = NULL, *data = NULL, *predictions_path = NULL, *pos;
    int kind = -1, limit = 0, batch = 100, threads = default_threads(), r;
    Args a = {argc, argv, 0, NULL, NULL};
    while ((r = next_opt(&a, "|help|", &pos)) > 0) {
        if (pos) return fail(2, "eval: unexpected argument \"%s\" (see excite eval --help)", pos);
        const char *n = a.name, *v = a.value;
        int bad = 0;
        if (!strcmp(n, "help")) { fputs(EVAL_HELP, stdout); return 0; }
        else if (!strcmp(n, "weights")) weights = v;
        else if (!strcmp(n, "model")) bad = parse_kind(v, &kind);
        else if (!strcmp(n, "data")) data = v;
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
    if (cifar_load(&test, data_dir(data), 0, limit, err, sizeof err)) {
        model_free(m);
        return fail(1, "%s", err);
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
        char names[10][32];
        int have_names = cifar_class_names(names, data_dir(data), err, sizeof err) == 0;
        print_eval(&er, "test");
        print_eval_details(&er, have_names ? names : NULL);
    }
    free(pred);
    dataset_free(&test);
    model_free(m);
    return status;
}

static int cmd_predict(int argc, char **argv) {
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
    for (int c = 0; c < NUM_CLASSES; c++) {
        if (probs[c] > probs[best]) best = c;
        printf("  %-11s %.*f\n", CIFAR_CLASSES[c], digits, (double)probs[c]);
    }
    printf("prediction: %s (%.1f%%)\n", CIFAR_CLASSES[best], 100.0 * probs[best]);
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

static int cmd_info(int argc, char **argv) {
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
    if (kind >= 0) printf("model: %s\n", model_kind_name((ModelKind)kind));
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

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        fputs(USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "train")) return cmd_train(argc - 2, argv + 2);
    if (!strcmp(cmd, "eval")) return cmd_eval(argc - 2, argv + 2);
    if (!strcmp(cmd, "predict")) return cmd_predict(argc - 2, argv + 2);
    if (!strcmp(cmd, "info")) return cmd_info(argc - 2, argv + 2);
    if (!strcmp(cmd, "se-stats")) return cmd_se_stats(argc - 2, argv + 2, data_dir(NULL), default_threads());
    if (!strcmp(cmd, "robustness")) return cmd_robustness(argc - 2, argv + 2, data_dir(NULL), default_threads());
    if (!strcmp(cmd, "se-trace")) return cmd_se_trace(argc - 2, argv + 2, data_dir(NULL), default_threads());
    fprintf(stderr, "excite: unknown command \"%s\"\n\n%s", cmd, USAGE);
    return 2;
}
