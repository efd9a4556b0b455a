// cli_se.c - `excite se-stats`, `excite robustness` and `excite se-trace` (cli_se.h).
// Readable tables on stdout, CSV with --csv FILE, messages on stderr.
#include "cli_se.h"
#include "cli.h"
#include "checkpoint.h"
#include "corrupt.h"
#include "se_stats.h"
#include "threads.h"
#include "train.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Options shared by the commands: --data DIR, --test-limit N, --threads N, --csv FILE,
// --help; other "--name value" pairs go to extra (NULL: refused). Positionals collected.
typedef struct {
    const char *data, *csv;
    int limit, threads;
    const char *files[64];
    int nfiles;
} Common;

// parse_int (cli.h) with the usage status: 0, or 2 after printing why.
static int parse_pos_int(const char *opt, const char *v, long lo, long hi, int *out) {
    return parse_int(opt, v, lo, hi, out) ? 2 : 0;
}

// 0: parsed; 1: --help shown; 2: bad usage (said).
static int parse_common(int argc, char **argv, Common *c, const char *cmd, const char *help,
                        int (*extra)(void *ctx, const char *name, const char *value), void *ctx) {
    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        if (strncmp(s, "--", 2) != 0) {
            if (c->nfiles == (int)(sizeof c->files / sizeof c->files[0]))
                return fail(2, "%s: at most 64 files", cmd);
            c->files[c->nfiles++] = s;
            continue;
        }
        const char *n = s + 2;
        if (!strcmp(n, "help")) {
            fputs(help, stdout);
            return 1;
        }
        if (i + 1 >= argc) return fail(2, "%s: --%s needs a value (see excite %s --help)", cmd, n, cmd);
        const char *v = argv[++i];
        if (!strcmp(n, "data")) c->data = v;
        else if (!strcmp(n, "csv")) c->csv = v;
        else if (!strcmp(n, "test-limit")) { if (parse_pos_int(n, v, 1, 1 << 30, &c->limit)) return 2; }
        else if (!strcmp(n, "threads")) { if (parse_pos_int(n, v, 1, 256, &c->threads)) return 2; }
        else {
            int e = extra ? extra(ctx, n, v) : 1;
            if (e == 2) return 2;
            if (e) return fail(2, "%s: unknown option --%s (see excite %s --help)", cmd, n, cmd);
        }
    }
    return 0;
}

static FILE *open_csv(const char *path) {
    if (!path) return NULL;
    FILE *f = fopen(path, "w");
    if (!f) fail(1, "%s: cannot write (%s)", path, strerror(errno));
    return f;
}

static int close_csv(FILE *f, const char *path) {
    if (f && fclose(f) != 0) return fail(1, "%s: write failed", path);
    return 0;
}

// ---- se-stats ---------------------------------------------------------------------------

static const char *SE_STATS_HELP =
    "usage: excite se-stats WEIGHTS... [--data DIR] [--test-limit N] [--csv FILE] [--threads N]\n"
    "For each CNN_SE weights file (or checkpoint) and each SE block, over the test images:\n"
    "  hidden   the block's hidden units (C/R, read from the file's shapes)\n"
    "  dead     the units that are zero after the ReLU on every image (they never change s),\n"
    "           their number, fraction and indices\n"
    "  spread   the mean over images of max - min of s over the channels\n"
    "  rare     the units above zero on fewer than 1% of the images (the dead ones included)\n"
    "  near0.5  the fraction of (image, channel) pairs with s within 0.01 of 0.5\n"
    "  acc      the file's test accuracy\n"
    "--csv FILE writes one row per file and block:\n"
    "  file,block,channels,hidden,dead,dead_fraction,dead_units,rare,rare_units,spread,near_half,\n"
    "  test_accuracy,test_loss   (dead_units, rare_units: the indices separated by spaces).\n";

int cmd_se_stats(int argc, char **argv) {
    Common c = {NULL, NULL, 0, default_threads(), {0}, 0};
    int r = parse_common(argc, argv, &c, "se-stats", SE_STATS_HELP, NULL, NULL);
    if (r) return r == 1 ? 0 : 2;
    if (!c.nfiles) return fail(2, "se-stats: give at least one weights file (see excite se-stats --help)");
    threads_set(c.threads);
    char err[1024];
    Dataset test = {0, NULL, NULL};
    if (cifar_load(&test, data_dir(c.data), 0, c.limit, err, sizeof err))
        return fail(1, "%s", err);
    FILE *csv = open_csv(c.csv);
    int status = c.csv && !csv ? 1 : 0;
    if (csv)
        fprintf(csv, "file,block,channels,hidden,dead,dead_fraction,dead_units,rare,rare_units,"
                     "spread,near_half,test_accuracy,test_loss\n");
    if (!status)
        printf("%-40s %-5s %6s %5s %8s %5s %7s %8s %7s  %s\n", "file", "block", "hidden", "dead",
               "fraction", "rare", "spread", "near0.5", "acc", "dead units");
    for (int i = 0; i < c.nfiles && !status; i++) {
        Model *m = load_weights(c.files[i], -1, EVAL_BATCH_MAX);
        if (!m) { status = 1; break; }
        SEStats st;
        if (se_stats_compute(m, &test, 100, &st, err, sizeof err)) {
            status = fail(1, "%s: %s", c.files[i], err);
            model_free(m);
            break;
        }
        for (int b = 0; b < NUM_BLOCKS; b++) {
            const SEBlockStats *s = &st.block[b];
            char units[SE_STATS_MAX_HIDDEN * 5] = "", rare[SE_STATS_MAX_HIDDEN * 5] = "";
            char *p = units, *q = rare;
            for (int j = 0; j < s->hidden; j++) {
                if (s->dead_unit[j])
                    p += snprintf(p, sizeof units - (size_t)(p - units), "%s%d", p == units ? "" : " ", j);
                if (s->rare_unit[j])
                    q += snprintf(q, sizeof rare - (size_t)(q - rare), "%s%d", q == rare ? "" : " ", j);
            }
            double frac = s->hidden ? (double)s->dead / s->hidden : 0;
            printf("%-40s ca%-3d %6d %5d %8.3f %5d %7.4f %8.4f %6.2f%%  %s\n", c.files[i], b + 1,
                   s->hidden, s->dead, frac, s->rare, s->spread, s->near_half, 100 * st.accuracy, units);
            if (csv)
                fprintf(csv, "%s,ca%d,%d,%d,%d,%.6f,%s,%d,%s,%.6f,%.6f,%.6f,%.6f\n", c.files[i], b + 1,
                        s->C, s->hidden, s->dead, frac, units, s->rare, rare, s->spread,
                        s->near_half, st.accuracy, st.loss);
        }
        model_free(m);
    }
    if (close_csv(csv, c.csv)) status = 1;
    dataset_free(&test);
    return status;
}

// ---- robustness -------------------------------------------------------------------------

static const char *ROBUSTNESS_HELP =
    "usage: excite robustness WEIGHTS... [--data DIR] [--test-limit N] [--csv FILE]\n"
    "                         [--seed N] [--threads N]\n"
    "Test accuracy of each weights file on the clean test images and under each corruption\n"
    "of c/corrupt.h (blur, downscale, jpeg, brightness, contrast, noise) at severities 1-3,\n"
    "generated from the test set (--seed: the noise, default 1). --csv FILE writes one row\n"
    "per file, corruption and severity:\n"
    "  file,model,corruption,severity,parameter,level,accuracy,loss\n"
    "(corruption \"clean\", severity 0: the test set itself).\n";

static int robustness_extra(void *ctx, const char *n, const char *v) {
    if (strcmp(n, "seed")) return 1;
    return parse_pos_int(n, v, 0, 2147483647, ctx) ? 2 : 0;
}

int cmd_robustness(int argc, char **argv) {
    Common c = {NULL, NULL, 0, default_threads(), {0}, 0};
    int seed = 1;
    int r = parse_common(argc, argv, &c, "robustness", ROBUSTNESS_HELP, robustness_extra, &seed);
    if (r) return r == 1 ? 0 : 2;
    if (!c.nfiles) return fail(2, "robustness: give at least one weights file (see excite robustness --help)");
    threads_set(c.threads);
    char err[1024];
    Dataset test = {0, NULL, NULL};
    if (cifar_load(&test, data_dir(c.data), 0, c.limit, err, sizeof err))
        return fail(1, "%s", err);
    Model *models[64] = {0};
    int status = 0;
    for (int i = 0; i < c.nfiles && !status; i++)
        if (!(models[i] = load_weights(c.files[i], -1, EVAL_BATCH_MAX))) status = 1;
    FILE *csv = status ? NULL : open_csv(c.csv);
    if (c.csv && !csv) status = 1;
    if (csv) fprintf(csv, "file,model,corruption,severity,parameter,level,accuracy,loss\n");
    if (!status) {
        printf("%-11s %3s %8s", "corruption", "sev", "level");
        for (int i = 0; i < c.nfiles; i++) {
            const char *b = strrchr(c.files[i], '/');
            printf(" %14.14s", b ? b + 1 : c.files[i]);
        }
        printf("\n");
    }
    double sum[64] = {0};
    int count = 0;
    for (int k = -1; k < CORRUPT_COUNT && !status; k++) {
        for (int sev = k < 0 ? 0 : 1; sev <= (k < 0 ? 0 : CORRUPT_SEVERITIES) && !status; sev++) {
            Dataset d = {0, NULL, NULL};
            if (corrupt_dataset(&d, &test, k < 0 ? CORRUPT_BLUR : (CorruptKind)k, sev,
                                (uint64_t)seed, err, sizeof err)) {
                status = fail(1, "%s", err);
                break;
            }
            const char *name = k < 0 ? "clean" : corrupt_name((CorruptKind)k);
            const char *pname = k < 0 ? "" : corrupt_level_name((CorruptKind)k);
            double level = k < 0 ? 0 : corrupt_level((CorruptKind)k, sev);
            printf("%-11s %3d %8g", name, sev, level);
            for (int i = 0; i < c.nfiles && !status; i++) {
                EvalResult er;
                if (evaluate(models[i], &d, 100, &er, err, sizeof err)) {
                    status = fail(1, "%s: %s", c.files[i], err);
                    break;
                }
                printf(" %13.2f%%", 100 * er.accuracy);
                if (k >= 0) sum[i] += er.accuracy;
                if (csv)
                    fprintf(csv, "%s,%s,%s,%d,%s,%g,%.6f,%.6f\n", c.files[i],
                            model_kind_name(model_kind(models[i])), name, sev, pname, level,
                            er.accuracy, er.loss);
            }
            printf("\n");
            fflush(stdout);
            if (k >= 0) count++;
            dataset_free(&d);
        }
    }
    if (!status && count) {
        printf("%-11s %3s %8s", "mean", "1-3", "");
        for (int i = 0; i < c.nfiles; i++) printf(" %13.2f%%", 100 * sum[i] / count);
        printf("\n");
    }
    if (close_csv(csv, c.csv)) status = 1;
    for (int i = 0; i < c.nfiles; i++) model_free(models[i]);
    dataset_free(&test);
    return status;
}

// ---- se-trace ---------------------------------------------------------------------------

static const char *SE_TRACE_HELP =
    "usage: excite se-trace [--steps N] [--every N] [--probe N] [--seed N] [--lr X] [--reduction R]\n"
    "                       [--weight-decay X] [--batch N] [--augment 0|1] [--val N]\n"
    "                       [--warmup N] [--se-init X] [--data DIR] [--csv FILE] [--threads N]\n"
    "Trains CNN_SE as excite train does (defaults: the shipped recipe's first steps: batch 64,\n"
    "lr 0.001, augmentation on, the last 5000 training images held out) for --steps batches\n"
    "(default 700, about one epoch) and, before the first step and every --every steps (default\n"
    "25), counts each SE block's dead hidden units (zero after the ReLU on every one of the\n"
    "first --probe test images, default 1000) and the mean spread of s on them.\n"
    "Experiments (not settings of excite train):\n"
    "  --warmup N    the learning rate rises linearly from lr/N to lr over the first N steps\n"
    "  --se-init X   the SE linears' initial weights (caN.fc.0, caN.fc.2) multiplied by X\n"
    "  --se-positive 1  the setting se_positive_init (excite train --se-positive-init): the\n"
    "                first SE linears' initial weights (caN.fc.0) made non-negative\n"
    "--csv FILE: step,lr,loss (mean since the last row),caN_dead,caN_spread,caN_hidden,caN_rare\n"
    "(N = 1..3; rare: above zero on fewer than 1% of the probe images, dead included)\n";

typedef struct {
    int steps, every, probe, batch, augment, val, warmup, seed, positive, reduction;
    double lr, wd, se_init;
} TraceOpts;

static int parse_double(const char *opt, const char *v, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end || errno || !(x >= lo && x <= hi))
        return fail(2, "--%s needs a number in %g..%g (got \"%s\")", opt, lo, hi, v);
    *out = x;
    return 0;
}

static int trace_extra(void *ctx, const char *n, const char *v) {
    TraceOpts *o = ctx;
    int bad;
    if (!strcmp(n, "steps")) bad = parse_pos_int(n, v, 0, 1 << 30, &o->steps);
    else if (!strcmp(n, "every")) bad = parse_pos_int(n, v, 1, 1 << 30, &o->every);
    else if (!strcmp(n, "probe")) bad = parse_pos_int(n, v, 3, 10000, &o->probe);
    else if (!strcmp(n, "batch")) bad = parse_pos_int(n, v, 1, 4096, &o->batch);
    else if (!strcmp(n, "augment")) bad = parse_pos_int(n, v, 0, 1, &o->augment);
    else if (!strcmp(n, "val")) bad = parse_pos_int(n, v, 0, 49999, &o->val);
    else if (!strcmp(n, "warmup")) bad = parse_pos_int(n, v, 0, 1 << 30, &o->warmup);
    else if (!strcmp(n, "reduction")) bad = parse_pos_int(n, v, 1, REDUCTION_MAX, &o->reduction);
    else if (!strcmp(n, "se-positive")) bad = parse_pos_int(n, v, 0, 1, &o->positive);
    else if (!strcmp(n, "seed")) bad = parse_pos_int(n, v, 0, 2147483647, &o->seed);
    else if (!strcmp(n, "lr")) bad = parse_double(n, v, 1e-12, 1e6, &o->lr);
    else if (!strcmp(n, "weight-decay")) bad = parse_double(n, v, 0, 1e6, &o->wd);
    else if (!strcmp(n, "se-init")) bad = parse_double(n, v, 0, 1e6, &o->se_init);
    else return 1;
    return bad ? 2 : 0;
}

static int trace_row(Model *m, const Dataset *probe, int step, double lr, double loss, FILE *csv) {
    SEStats st;
    char err[512];
    if (se_stats_compute(m, probe, 100, &st, err, sizeof err)) return fail(1, "%s", err);
    printf("%6d %9.3g %8.4f", step, lr, loss);
    for (int b = 0; b < NUM_BLOCKS; b++) printf("   %2d/%-2d", st.block[b].dead, st.block[b].hidden);
    for (int b = 0; b < NUM_BLOCKS; b++) printf(" %7.4f", st.block[b].spread);
    printf("\n");
    fflush(stdout);
    if (csv) {
        fprintf(csv, "%d,%.6g,%.6f", step, lr, loss);
        for (int b = 0; b < NUM_BLOCKS; b++) fprintf(csv, ",%d", st.block[b].dead);
        for (int b = 0; b < NUM_BLOCKS; b++) fprintf(csv, ",%.6f", st.block[b].spread);
        for (int b = 0; b < NUM_BLOCKS; b++) fprintf(csv, ",%d", st.block[b].hidden);
        for (int b = 0; b < NUM_BLOCKS; b++) fprintf(csv, ",%d", st.block[b].rare);
        fprintf(csv, "\n");
    }
    return 0;
}

int cmd_se_trace(int argc, char **argv) {
    Common c = {NULL, NULL, 0, default_threads(), {0}, 0};
    TraceOpts o = {700, 25, 1000, 64, 1, 5000, 0, 1, 0, REDUCTION_DEFAULT, 1e-3, 0, 1};
    int r = parse_common(argc, argv, &c, "se-trace", SE_TRACE_HELP, trace_extra, &o);
    if (r) return r == 1 ? 0 : 2;
    if (c.nfiles) return fail(2, "se-trace: unexpected argument \"%s\"", c.files[0]);
    threads_set(c.threads);
    char err[1024];
    const char *dir = data_dir(c.data);
    Dataset train = {0, NULL, NULL}, probe = {0, NULL, NULL};
    if (cifar_load(&train, dir, 1, c.limit, err, sizeof err) ||
        cifar_load(&probe, dir, 0, o.probe, err, sizeof err)) {
        dataset_free(&train);
        return fail(1, "%s", err);
    }
    TrainConfig cfg = train_config_default();
    cfg.kind = MODEL_CNN_SE;
    cfg.reduction = o.reduction;
    cfg.se_positive_init = o.positive;
    cfg.seed = (uint64_t)o.seed;
    cfg.batch_size = o.batch;
    cfg.augment = o.augment;
    cfg.lr = (float)o.lr;
    cfg.weight_decay = (float)o.wd;
    cfg.val = o.val;
    cfg.epochs = 1000;
    int status = 0;
    Trainer *t = trainer_create(&cfg, &train, &probe, err, sizeof err);
    if (!t) status = fail(1, "se-trace: %s", err);
    FILE *csv = status ? NULL : open_csv(c.csv);
    if (c.csv && !csv) status = 1;
    if (!status && o.se_init != 1) {
        Model *m = trainer_model(t);
        for (int i = 0; i < model_num_tensors(m); i++) {
            const Tensor *x = model_tensor(m, i);
            if (strncmp(x->name, "ca", 2) || !strstr(x->name, ".weight")) continue;
            for (size_t k = 0; k < x->numel; k++) x->data[k] *= (float)o.se_init;
        }
    }
    if (!status) {
        printf("%6s %9s %8s   %-5s   %-5s   %-5s %7s %7s %7s   (dead of %d test images)\n",
               "step", "lr", "loss", "ca1", "ca2", "ca3", "spr1", "spr2", "spr3", probe.n);
        if (csv) fprintf(csv, "step,lr,loss,ca1_dead,ca2_dead,ca3_dead,ca1_spread,ca2_spread,ca3_spread,"
                          "ca1_hidden,ca2_hidden,ca3_hidden,ca1_rare,ca2_rare,ca3_rare\n");
        status = trace_row(trainer_model(t), &probe, 0, o.lr, 0, csv);
    }
    double loss_sum = 0;
    int loss_n = 0;
    for (int step = 1; step <= o.steps && !status; step++) {
        double lr = o.warmup > 0 && step <= o.warmup ? o.lr * step / o.warmup : o.lr;
        if (o.warmup > 0 && step <= o.warmup + 1 && trainer_set_lr(t, (float)lr)) {
            status = fail(1, "se-trace: %s", trainer_error(t));
            break;
        }
        BatchRecord br;
        if (trainer_step(t, &br) != TRAIN_OK) {
            status = fail(1, "se-trace: %s", trainer_error(t));
            break;
        }
        loss_sum += br.loss;
        loss_n++;
        if (trainer_epoch_finished(t)) {
            EpochRecord er;
            if (trainer_end_epoch(t, &er)) {
                status = fail(1, "se-trace: %s", trainer_error(t));
                break;
            }
        }
        if (step % o.every == 0 || step == o.steps) {
            status = trace_row(trainer_model(t), &probe, step, br.lr, loss_sum / loss_n, csv);
            loss_sum = 0;
            loss_n = 0;
        }
    }
    if (close_csv(csv, c.csv)) status = 1;
    trainer_free(t);
    dataset_free(&train);
    dataset_free(&probe);
    return status;
}
