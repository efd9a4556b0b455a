// cli_train.c - `excite train`: options from the settings table, the data (CIFAR-10 or an
// ImageFolder directory), progress, CSV logs, checkpoints, the final weights.
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

// `excite train --help`: TRAIN_HELP_HEAD, one line per setting of TRAIN_SETTINGS
// (train_settings.h: flag, default, range, help), then TRAIN_HELP_TAIL.
static const char *TRAIN_HELP_HEAD =
    "usage: excite train [options]\n"
    "Trains on the CIFAR-10 training batches and evaluates on the test batch after every epoch,\n"
    "or on your pictures (--images DIR: an ImageFolder directory, split into train and test).\n"
    "\n"
    "Settings (stored in checkpoints):\n";

static const char *TRAIN_HELP_TAIL =
    "\n"
    "Data and files:\n"
    "  --limit N               use the first N training images (default all 50000)\n"
    "  --test-limit N          use the first N test images (default all 10000)\n"
    "  --data DIR              CIFAR-10 folder\n"
    "  --images DIR            train on DIR/<class>/<picture>.png|jpg|jpeg instead (2..10 classes,\n"
    "                          sorted by name; pictures sorted by file name, any size, each made\n"
    "                          32x32 as by excite predict); a seeded, stratified split keeps\n"
    "                          --test-fraction of each class for testing (same seed, same split)\n"
    "  --init FILE             fine-tune: convolution blocks and fc1 from these weights (same model\n"
    "                          and reduction ratio, e.g. weights/cnn_se.safetensors), fc2 new for\n"
    "                          the classes; with --freeze-conv only fc1 and fc2 train\n"
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

// What `excite train` was asked to do (parse_train_args).
typedef struct {
    TrainConfig cfg;
    const char *data, *images, *init, *csv, *ckpt, *resume, *save, *save_best;
    int limit, test_limit, half, quiet, threads;
    int epochs_given;
    ClassList classes;        // the data's (CIFAR-10's, or the --images folder's)
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
        else if (!strcmp(n, "images")) o->images = v;
        else if (!strcmp(n, "init")) { o->init = v; snprintf(o->setting_given, sizeof o->setting_given, "--init"); }
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
                    "run's settings (only --epochs, --data, --images, --csv, --checkpoint, --save, "
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
    if (o->images) {   // the split of this run's seed and test fraction (a checkpoint's on resume)
        Dataset all;
        int rc = imagefolder_load(o->images, &all, &o->classes, 0);   // warnings even with --quiet
        if (!rc) rc = imagefolder_split(&all, &o->classes, o->cfg.test_fraction, o->cfg.seed, train, test);
        dataset_free(&all);
        if (rc) { free(ck); return NULL; }
        if (train_images > 0 && train_images < train->n) train->n = train_images;
        if (test_images > 0 && test_images < test->n) test->n = test_images;
    } else {
        const char *dir = data_dir(o->data);
        if (cifar_load(train, dir, 1, train_images, err, sizeof err) ||
            cifar_load(test, dir, 0, test_images, err, sizeof err)) {
            free(ck);
            return fail(1, "%s", err), NULL;
        }
        if ((train_images > 0 && train->n < train_images) || (test_images > 0 && test->n < test_images))
            fprintf(stderr, "excite: note: only %d training and %d test images in %s\n", train->n,
                    test->n, dir);
        class_list_cifar(&o->classes);
    }
    Trainer *t = o->resume ? trainer_resume(ck, cklen, train, test, err, sizeof err)
                           : trainer_create_classes(&o->cfg, &o->classes, train, test, err, sizeof err);
    free(ck);
    if (!t) return fail(1, "%s%s%s", o->resume ? o->resume : "", o->resume ? ": " : "", err), NULL;
    if (o->resume && o->images && !class_list_equal(&o->classes, model_classes(trainer_model(t)))) {
        trainer_free(t);
        return fail(1, "%s: the checkpoint's classes are not the folder's (%s)", o->resume, o->images), NULL;
    }
    if (o->init) {
        uint8_t *w = NULL;
        size_t wlen = 0;
        int bad = read_all(o->init, &w, &wlen, err, sizeof err);
        if (bad) fail(1, "%s", err);
        else if ((bad = trainer_init_weights(t, w, wlen)))
            fail(1, "%s: %s", o->init, trainer_error(t));
        free(w);
        if (bad) { trainer_free(t); return NULL; }
    }
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
    if (o->images) {
        const ClassList *c = model_classes(trainer_model(t));
        fprintf(stderr, "excite: %d classes from %s:", c->n, o->images);
        for (int i = 0; i < c->n; i++) fprintf(stderr, " %s%s", c->name[i], i + 1 < c->n ? "," : "");
        fprintf(stderr, "; test fraction %g\n", (double)cfg.test_fraction);
    }
    if (cfg.kind == MODEL_CNN_SE && cfg.reduction != REDUCTION_DEFAULT)
        fprintf(stderr, "excite: reduction ratio %d (SE hidden sizes %d, %d, %d)\n", cfg.reduction,
                model_se_hidden(trainer_model(t), 0), model_se_hidden(trainer_model(t), 1),
                model_se_hidden(trainer_model(t), 2));
    if (o->init || cfg.freeze_conv)
        fprintf(stderr, "excite: %s%s%s\n", o->init ? "fine-tuning from " : "",
                o->init ? o->init : "", cfg.freeze_conv ? (o->init ? "; convolution blocks frozen"
                : "convolution blocks frozen") : "");
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

int cmd_train(int argc, char **argv) {
    TrainArgs o;
    int r = parse_train_args(argc, argv, &o);
    if (r) return r == 1 ? 0 : r;
    return run_train(&o);
}

