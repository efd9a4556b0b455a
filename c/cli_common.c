// cli_common.c - what the commands of `excite` share: messages, files, options (cli.h).
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

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
int fail(int status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "excite: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    return status;
}

double now_seconds(void) {
    struct timespec ts;
    if (timespec_get(&ts, TIME_UTC) != TIME_UTC) return 0;
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

// Reads a whole file; returns 0 or -1 with a message in err.
int read_all(const char *path, uint8_t **out, size_t *len, char *err, size_t errlen) {
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


int parse_int(const char *opt, const char *v, long lo, long hi, int *out) {
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

int parse_kind(const char *v, int *kind) {
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
int next_opt(Args *a, const char *flags, const char **positional) {
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

const char *data_dir(const char *given) {
    if (given) return given;
    const char *e = getenv("CIFAR10_DIR");
    return e && *e ? e : "data/cifar10";
}

int default_threads(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

Model *load_weights(const char *path, int kind, int max_batch) {
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
int write_bytes(const char *path, const uint8_t *bytes, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return fail(-1, "%s: %s", path, strerror(errno));
    size_t w = fwrite(bytes, 1, n, f);
    if (fclose(f) != 0 || w != n) return fail(-1, "%s: write failed", path);
    return 0;
}


void print_eval(const EvalResult *r, const char *set) {
    printf("%s: %d images  loss %.4f  accuracy %.2f%%\n", set, r->n, r->loss, 100 * r->accuracy);
}

// Display columns of a code point in a terminal: 2 for East Asian wide characters (CJK,
// Hangul, full-width forms, emoji), else 1.
static int cp_cols(unsigned cp) {
    return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
           (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
           (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
           (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1FAFF) ||
           (cp >= 0x20000 && cp <= 0x3FFFD) ? 2 : 1;
}

// name in cols display columns, padded with spaces (left: on the right, else on the left);
// with cut, a longer name is cut at a character boundary. Names are valid UTF-8 (classes.h).
void print_cols(const char *name, int cols, int left, int cut) {
    const unsigned char *p = (const unsigned char *)name;
    int used = 0;
    size_t bytes = 0;
    while (p[bytes]) {
        unsigned c = p[bytes], cp = c;
        int n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (n > 1) cp = c & (0x3Fu >> (n - 1));
        for (int i = 1; i < n; i++) cp = cp << 6 | (p[bytes + i] & 0x3F);
        int w = cp_cols(cp);
        if (cut && used + w > cols) break;
        used += w;
        bytes += (size_t)n;
    }
    int pad = cols > used ? cols - used : 0;
    if (!left) printf("%*s", pad, "");
    fwrite(name, 1, bytes, stdout);
    if (left) printf("%*s", pad, "");
}

// Per-class accuracy and the confusion matrix, with the classes' names.
void print_eval_details(const EvalResult *r, const ClassList *names) {
    int N = r->num_classes;
    printf("\nper-class accuracy:\n");
    for (int c = 0; c < N; c++) {
        printf("  ");
        print_cols(names->name[c], 11, 1, 0);
        printf(" %6.2f%%  (%d/%d)\n",
               r->class_total[c] ? 100.0 * r->class_correct[c] / r->class_total[c] : 0.0,
               r->class_correct[c], r->class_total[c]);
    }
    printf("\nconfusion matrix (rows: true class, columns: predicted):\n%-11s", "");
    for (int c = 0; c < N; c++) {
        printf(" ");
        print_cols(names->name[c], 5, 0, 1);
    }
    printf("\n");
    for (int i = 0; i < N; i++) {
        print_cols(names->name[i], 11, 1, 1);
        for (int j = 0; j < N; j++) printf(" %5d", r->confusion[i][j]);
        printf("\n");
    }
}
