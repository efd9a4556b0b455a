// test_badinputs.c - hostile weights files through the C core (issue 7, check 5): a
// safetensors header claiming a huge length, overlapping tensor offsets, NaN- and
// infinity-filled weights (F32 and F16). Each must be refused by model_load_safetensors with
// a message that names the problem, and the model must stay exactly as it was (compared
// byte for byte through a save before and after). Runs plain and under ASan/UBSan/LSan.
// The dataset-archive case (a path-traversal member name) concerns the page's JavaScript tar
// reader and is in tests/badinputs.test.mjs: the native program reads the CIFAR-10 batches
// from a directory and has no archive reader (scripts/get-data.sh checks the archive's MD5
// before tar extracts it).
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"
#include "safetensors.h"

static int failures = 0;

static void fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "FAIL: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    failures++;
}

static uint8_t *save(Model *m, int half, size_t *len) {
    uint8_t *buf = NULL;
    if (model_save_safetensors(m, half, &buf, len) != 0) {
        fprintf(stderr, "FAIL: save: %s\n", model_error(m));
        exit(1);
    }
    return buf;
}

// Load bad[0..len) into m: it must fail with a message containing each of the given words
// (case-sensitive, NULL-terminated list), and m must save to the same bytes as before.
static void expect_refused(Model *m, const char *what, const uint8_t *bad, size_t len, ...) {
    size_t before_len, after_len;
    uint8_t *before = save(m, 0, &before_len);
    int rc = model_load_safetensors(m, bad, len);
    const char *msg = model_error(m);
    if (rc == 0) {
        fail("%s: accepted", what);
    } else {
        va_list ap;
        va_start(ap, len);
        for (const char *word; (word = va_arg(ap, const char *)) != NULL;)
            if (!strstr(msg, word)) fail("%s: message lacks \"%s\": %s", what, word, msg);
        va_end(ap);
        printf("%-40s refused: %s\n", what, msg);
    }
    uint8_t *after = save(m, 0, &after_len);
    if (before_len != after_len || memcmp(before, after, before_len) != 0)
        fail("%s: the refused load changed the model", what);
    free(before);
    free(after);
}

static void put_u64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

// ---- a header claiming a huge length --------------------------------------------------
static void huge_header(Model *m, const uint8_t *good, size_t len) {
    uint8_t *bad = malloc(len);
    memcpy(bad, good, len);
    const uint64_t claims[] = {UINT64_MAX, (uint64_t)1 << 63, ST_MAX_HEADER + 1, (uint64_t)len - 8 + 1};
    const char *names[] = {"header length 2^64-1", "header length 2^63", "header length 100 MB + 1",
                           "header length file size - 7"};
    for (int i = 0; i < 4; i++) {
        put_u64(bad, claims[i]);
        char what[64];
        snprintf(what, sizeof what, "%s", names[i]);
        expect_refused(m, what, bad, len, "header length", NULL);
    }
    // too short to hold the 8-byte length itself
    expect_refused(m, "file of 7 bytes", good, 7, "8-byte", NULL);
    free(bad);
}

// ---- overlapping tensor offsets -------------------------------------------------------
// Writes a whole state-dict header by hand where tensor `victim` takes the bytes of the
// tensor before it (so the two overlap) and the data section shrinks by its size: every
// size, name, shape and dtype is right, only the offsets overlap.
static uint8_t *overlapping_file(const Model *m, const char *victim, size_t *out_len) {
    size_t cap = 1 << 16, hl = 0, data_len = 0, prev_begin = 0, victim_bytes = 0;
    char *h = malloc(cap);
    hl += (size_t)snprintf(h + hl, cap - hl, "{");
    for (int i = 0; i < model_num_tensors(m); i++) {
        const Tensor *t = model_tensor(m, i);
        size_t bytes = t->numel * (t->dtype == DTYPE_I64 ? 8 : 4);
        size_t begin = data_len;
        if (strcmp(t->name, victim) == 0) {
            begin = prev_begin;
            victim_bytes = bytes;
        } else {
            prev_begin = begin;
            data_len += bytes;
        }
        hl += (size_t)snprintf(h + hl, cap - hl, "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[", i ? "," : "",
                               t->name, t->dtype == DTYPE_I64 ? "I64" : "F32");
        for (int d = 0; d < t->ndim; d++) hl += (size_t)snprintf(h + hl, cap - hl, "%s%d", d ? "," : "", t->shape[d]);
        hl += (size_t)snprintf(h + hl, cap - hl, "],\"data_offsets\":[%zu,%zu]}", begin, begin + bytes);
    }
    hl += (size_t)snprintf(h + hl, cap - hl, "}");
    if (victim_bytes == 0) { fprintf(stderr, "FAIL: no tensor %s\n", victim); exit(1); }
    *out_len = 8 + hl + data_len;
    uint8_t *f = calloc(1, *out_len);
    put_u64(f, hl);
    memcpy(f + 8, h, hl);
    // finite data everywhere (0.25f), so only the offsets are wrong
    for (size_t i = 0; i + 4 <= data_len; i += 4) {
        float v = 0.25f;
        memcpy(f + 8 + hl + i, &v, 4);
    }
    free(h);
    return f;
}

static void overlap(Model *m) {
    const char *victims[] = {"fc2.bias", "conv1.bias", "bn1.running_var"};
    for (int i = 0; i < 3; i++) {
        size_t len;
        uint8_t *f = overlapping_file(m, victims[i], &len);
        char what[64];
        snprintf(what, sizeof what, "overlapping offsets (%s)", victims[i]);
        expect_refused(m, what, f, len, "overlap", NULL);
        free(f);
    }
    // a small file: two tensors sharing 4 bytes, sizes right, no hole
    const char *hdr = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                      "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
    size_t hl = strlen(hdr), len = 8 + hl + 12;
    uint8_t *f = calloc(1, len);
    put_u64(f, hl);
    memcpy(f + 8, hdr, hl);
    StFile st;
    char err[256];
    if (st_parse(&st, f, len, err, sizeof err) == 0) {
        fail("st_parse accepted two overlapping tensors");
        st_free(&st);
    } else if (!strstr(err, "overlap")) {
        fail("st_parse message lacks \"overlap\": %s", err);
    } else {
        printf("%-40s refused: %s\n", "st_parse: two tensors share 4 bytes", err);
    }
    free(f);
}

// ---- NaN / infinity in the weights ----------------------------------------------------
static void set_tensor(uint8_t *file, size_t len, const char *name, int half, float value, int all) {
    StFile st;
    char err[256];
    if (st_parse(&st, file, len, err, sizeof err) != 0) { fprintf(stderr, "FAIL: %s\n", err); exit(1); }
    for (int i = 0; i < st.n_entries; i++) {
        StEntry *e = &st.entries[i];
        if (e->dtype != ST_F32 && e->dtype != ST_F16) continue;
        if (!all && strcmp(e->name, name) != 0) continue;
        uint8_t *p = file + (e->data - file);   // writable: the entry points into file
        for (uint64_t k = 0; k < e->numel; k++) {
            if (half) {
                uint16_t hv = st_f32_to_f16(value);
                memcpy(p + 2 * k, &hv, 2);
            } else {
                memcpy(p + 4 * k, &value, 4);
            }
        }
    }
    st_free(&st);
}

static void nonfinite(Model *m) {
    for (int half = 0; half <= 1; half++) {
        size_t len;
        uint8_t *good = save(m, half, &len);
        uint8_t *bad = malloc(len);
        const char *fmt = half ? "F16" : "F32";
        char what[64];

        memcpy(bad, good, len);
        set_tensor(bad, len, NULL, half, NAN, 1);
        snprintf(what, sizeof what, "%s: every weight NaN", fmt);
        expect_refused(m, what, bad, len, "non-finite", "nan", NULL);

        memcpy(bad, good, len);
        set_tensor(bad, len, "bn2.running_var", half, INFINITY, 0);
        snprintf(what, sizeof what, "%s: bn2.running_var infinite", fmt);
        expect_refused(m, what, bad, len, "non-finite", "bn2.running_var", NULL);

        memcpy(bad, good, len);
        set_tensor(bad, len, "fc2.bias", half, -INFINITY, 0);
        snprintf(what, sizeof what, "%s: fc2.bias -infinity", fmt);
        expect_refused(m, what, bad, len, "non-finite", "fc2.bias", NULL);

        // and the untouched file still loads (the refusals were about the values)
        if (model_load_safetensors(m, good, len) != 0) fail("%s: the good file is refused: %s", fmt, model_error(m));
        free(good);
        free(bad);
    }
}

int main(int argc, char **argv) {
    (void)argc; (void)argv;
    for (int k = 0; k < 2; k++) {
        ModelKind kind = k ? MODEL_CNN_SE : MODEL_CNN;
        Model *m = model_create(kind, 7 + (uint64_t)k, 1);
        if (!m) { fprintf(stderr, "FAIL: model_create\n"); return 1; }
        printf("== %s\n", model_kind_name(kind));
        size_t len;
        uint8_t *good = save(m, 0, &len);
        huge_header(m, good, len);
        overlap(m);
        nonfinite(m);
        free(good);
        model_free(m);
    }
    if (failures) {
        fprintf(stderr, "test_badinputs: %d failures\n", failures);
        return 1;
    }
    printf("test_badinputs: every hostile weights file refused with a message, models unchanged\n");
    return 0;
}
