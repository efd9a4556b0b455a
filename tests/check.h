// check.h - helpers shared by the C tests (header-only, static functions):
//   ref_load / ref_get   read a reference file written by a tests/ref_*.py script
//                        (format: see tests/ref_layers.py) and fetch a tensor by name;
//   rel_err / check_close  max relative error |got-want| / max(|want|, floor), where
//                        floor = CHECK_FLOOR_FRAC (3%) * max|want| over the tensor, and a
//                        printed table row "case tensor max_rel_err tol ok|FAIL".
// Why the floor: outputs that cancel to nearly zero carry the rounding of their large terms.
// At the floor a 1e-5 tolerance still allows only ~5 float32 ulps of the tensor's largest
// value, yet PyTorch's own float32 conv output is 8e-6 away from the exact (float64) result
// with a 1% floor, so a smaller floor would measure PyTorch's rounding, not ours.
// A missing or malformed reference file is an error (the test must fail, not skip).
#ifndef EXCITE_CHECK_H
#define EXCITE_CHECK_H
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_FLOOR_FRAC 3e-2
#define REF_MAX_TENSORS 64

typedef struct {
    char name[64];
    int ndim;
    int dims[8];
    size_t numel;
    float *data;
} RefTensor;

typedef struct {
    char path[512];
    int count;
    RefTensor t[REF_MAX_TENSORS];
} RefFile;

static int ref_read_u32(FILE *fp, uint32_t *v) {
    unsigned char b[4];
    if (fread(b, 1, 4, fp) != 4) return -1;
    *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return 0;
}

static void ref_free(RefFile *f) {
    for (int i = 0; i < f->count; i++) free(f->t[i].data);
    f->count = 0;
}

// Returns 0, or -1 after printing why to stderr. Assumes a little-endian host.
static int ref_load(RefFile *f, const char *path) {
    memset(f, 0, sizeof *f);
    size_t len = strlen(path) < sizeof f->path ? strlen(path) : sizeof f->path - 1;
    memcpy(f->path, path, len); // kept for messages; truncated if very long
    FILE *fp = fopen(path, "rb");
    if (!fp) { fprintf(stderr, "%s: cannot open (run tests/ref_*.py first)\n", path); return -1; }
    char magic[8];
    uint32_t count;
    if (fread(magic, 1, 8, fp) != 8 || memcmp(magic, "EXREF001", 8) || ref_read_u32(fp, &count) ||
        count > REF_MAX_TENSORS) {
        fprintf(stderr, "%s: bad header\n", path);
        fclose(fp);
        return -1;
    }
    for (uint32_t i = 0; i < count; i++) {
        RefTensor *t = &f->t[i];
        uint32_t len, ndim;
        if (ref_read_u32(fp, &len) || len >= sizeof t->name || fread(t->name, 1, len, fp) != len ||
            ref_read_u32(fp, &ndim) || ndim > 8) goto bad;
        t->name[len] = 0;
        t->ndim = (int)ndim;
        t->numel = 1;
        for (uint32_t d = 0; d < ndim; d++) {
            uint32_t v;
            if (ref_read_u32(fp, &v) || v > (1u << 24)) goto bad;
            t->dims[d] = (int)v;
            t->numel *= v;
        }
        t->data = malloc(t->numel * sizeof(float) + 1);
        f->count = (int)i + 1;
        if (!t->data || fread(t->data, sizeof(float), t->numel, fp) != t->numel) goto bad;
    }
    fclose(fp);
    return 0;
bad:
    fprintf(stderr, "%s: truncated or malformed tensor record\n", path);
    fclose(fp);
    ref_free(f);
    return -1;
}

// The tensor called name; exits with status 2 if it is missing (a broken reference set).
static RefTensor *ref_get(RefFile *f, const char *name) {
    for (int i = 0; i < f->count; i++)
        if (!strcmp(f->t[i].name, name)) return &f->t[i];
    fprintf(stderr, "%s: no tensor '%s'\n", f->path, name);
    exit(2);
}

// Max relative error as described above; any NaN/Inf mismatch gives INFINITY.
static double rel_err(const float *got, const float *want, size_t n) {
    double scale = 0, worst = 0;
    for (size_t i = 0; i < n; i++) scale = fmax(scale, fabs((double)want[i]));
    double floor = CHECK_FLOOR_FRAC * scale;
    if (floor == 0) floor = 1e-30;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)got[i] - want[i]) / fmax(fabs((double)want[i]), floor);
        if (!(e <= worst)) worst = isnan(e) ? INFINITY : e; // catches NaN
    }
    return worst;
}

// Prints one table row; returns 1 if the error exceeds tol, else 0.
static int check_close(const char *cs, const char *tensor, const float *got, const float *want,
                       size_t n, double tol) {
    double e = rel_err(got, want, n);
    int bad = !(e <= tol);
    printf("%-14s %-20s %10.2e %8.0e  %s\n", cs, tensor, e, tol, bad ? "FAIL" : "ok");
    return bad;
}

#endif
