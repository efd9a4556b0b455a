// fuzz_safetensors.c - libFuzzer target for the safetensors reader (st_parse) and the model
// loader built on it (model_load_safetensors). Any input must give 0, or -1 with a message;
// never a crash, a read outside the buffer, undefined behaviour or a leak. A failed load must
// leave both models exactly as they were; a successful load must save back to a file that
// parses and loads again.
//
// Input format (byte 0 picks the mode, so a seed says what it exercises):
//   'H' u32le data_len, then header JSON: the file is u64le header_len, the header, and
//       data_len bytes of the repeating pattern 00 00 00 3f (0.5f as F32). This lets small
//       inputs reach the model's checks of names, shapes and dtypes, which need the
//       megabytes of a whole state dict.
//   anything else: the rest of the input is the file, byte for byte.
// Built by `make fuzz` (clang -fsanitize=fuzzer,address,undefined) and replayed over
// fuzz/regressions and fuzz/corpus by tests/test_regressions.c (where FUZZ_NO_ENTRY is set).
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"
#include "safetensors.h"

#ifndef FUZZ_CHECK
#define FUZZ_CHECK(cond, what) do { if (!(cond)) { \
    fprintf(stderr, "fuzz check failed: %s (%s:%d)\n", what, __FILE__, __LINE__); abort(); } } while (0)
#endif

enum { FST_MAX_DATA = 8 << 20, FST_MAX_HEADER = 1 << 20 };

static Model *fst_models[2];
static uint8_t *fst_synth;                  // header-mode file, built at the end of this block
static const size_t fst_synth_cap = 8 + FST_MAX_HEADER + FST_MAX_DATA;   // a multiple of 4

// The synthesised data section: 0.5f in every aligned F32 slot (the buffer end is aligned).
static uint8_t fst_pattern(size_t i) { return i % 4 == 3 ? 0x3f : 0x00; }

// A copy of every tensor of a model (parameters, buffers, num_batches_tracked), to check
// that a refused load changed nothing.
static uint8_t *fst_snap;
static size_t fst_snap_cap;

static const uint8_t *fst_tensor_bytes(const Tensor *t, size_t *n) {
    *n = t->numel * (t->dtype == DTYPE_I64 ? 8 : 4);
    return t->dtype == DTYPE_I64 ? (const uint8_t *)t->data_i64 : (const uint8_t *)t->data;
}

static void fst_snapshot(const Model *m) {
    size_t need = 0, n, at = 0;
    for (int i = 0; i < model_num_tensors(m); i++) { fst_tensor_bytes(model_tensor(m, i), &n); need += n; }
    if (need > fst_snap_cap) {
        free(fst_snap);
        fst_snap = malloc(need);
        FUZZ_CHECK(fst_snap != NULL, "out of memory");
        fst_snap_cap = need;
    }
    for (int i = 0; i < model_num_tensors(m); i++) {
        const uint8_t *p = fst_tensor_bytes(model_tensor(m, i), &n);
        memcpy(fst_snap + at, p, n);
        at += n;
    }
}

static int fst_unchanged(const Model *m) {
    size_t n, at = 0;
    for (int i = 0; i < model_num_tensors(m); i++) {
        const uint8_t *p = fst_tensor_bytes(model_tensor(m, i), &n);
        if (memcmp(fst_snap + at, p, n) != 0) return 0;
        at += n;
    }
    return 1;
}

static void fst_init(void) {
    if (fst_models[0]) return;
    fst_models[0] = model_create(MODEL_CNN, 1, 1);
    fst_models[1] = model_create(MODEL_CNN_SE, 2, 1);
    fst_synth = malloc(fst_synth_cap);
    FUZZ_CHECK(fst_models[0] && fst_models[1] && fst_synth, "out of memory at start");
    for (size_t i = 0; i < fst_synth_cap; i++) fst_synth[i] = fst_pattern(i);
}

// Release what fst_init allocated (for the regression replay, so LeakSanitizer stays quiet).
void fuzz_safetensors_cleanup(void) {
    model_free(fst_models[0]);
    model_free(fst_models[1]);
    fst_models[0] = fst_models[1] = NULL;
    free(fst_synth);
    fst_synth = NULL;
    free(fst_snap);
    fst_snap = NULL;
    fst_snap_cap = 0;
}

// Returns 1 if st_parse accepted the file.
static int fst_check_parse(const uint8_t *buf, size_t len) {
    StFile f;
    char err[256];
    err[0] = '\0';
    if (st_parse(&f, buf, len, err, sizeof err) != 0) {
        FUZZ_CHECK(err[0] != '\0', "st_parse failed without a message");
        FUZZ_CHECK(memchr(err, '\0', sizeof err) != NULL, "st_parse message not terminated");
        return 0;
    }
    FUZZ_CHECK(f.n_entries >= 0 && f.n_meta >= 0, "negative counts");
    FUZZ_CHECK(f.data >= buf && f.data_len <= len && (size_t)(f.data - buf) <= len - f.data_len,
               "data section outside the buffer");
    uint64_t sum = 0;
    for (int i = 0; i < f.n_entries; i++) {
        const StEntry *e = &f.entries[i];
        FUZZ_CHECK(e->dtype >= 0 && e->dtype < ST_NUM_DTYPES, "dtype out of range");
        FUZZ_CHECK(e->ndim >= 0 && e->ndim <= ST_MAX_NDIM, "ndim out of range");
        FUZZ_CHECK(e->begin <= e->end && e->end <= f.data_len, "offsets outside the data");
        FUZZ_CHECK(e->data == f.data + e->begin, "data pointer != data + begin");
        uint64_t numel = 1;
        for (int d = 0; d < e->ndim; d++) numel *= e->shape[d];
        FUZZ_CHECK(numel == e->numel, "numel != product of shape");
        FUZZ_CHECK(e->end - e->begin == e->numel * st_dtype_size(e->dtype), "byte size != numel * dtype size");
        for (uint64_t k = e->begin; k < e->end; k++) sum += f.data[k];   // every byte readable
        FUZZ_CHECK(st_find(&f, e->name) != NULL, "st_find misses a parsed name");
        FUZZ_CHECK(st_dtype_name(e->dtype) != NULL, "no dtype name");
    }
    for (int i = 0; i < f.n_meta; i++)
        FUZZ_CHECK(st_find_meta(&f, f.meta[i].key) != NULL, "st_find_meta misses a parsed key");
    (void)sum;
    st_free(&f);
    return 1;
}

// A file st_parse refused must be refused by the loader too (then the model is not even
// copied: the loader parses before anything else). Otherwise a refused load must leave the
// model as it was; an accepted one holds only finite values and saves to a file that
// loads back to the same state.
static void fst_check_load(const uint8_t *buf, size_t len, int parsed) {
    for (int k = 0; k < 2; k++) {
        Model *m = fst_models[k];
        if (parsed) fst_snapshot(m);
        if (model_load_safetensors(m, buf, len) != 0) {
            const char *msg = model_error(m);
            FUZZ_CHECK(msg != NULL && msg[0] != '\0', "load failed without a message");
            FUZZ_CHECK(!parsed || fst_unchanged(m), "failed load changed the model");
            continue;
        }
        FUZZ_CHECK(parsed, "the model loaded a file that st_parse refuses");
        for (int i = 0; i < model_num_tensors(m); i++) {
            const Tensor *t = model_tensor(m, i);
            if (t->dtype != DTYPE_F32) continue;
            for (size_t j = 0; j < t->numel; j++)
                FUZZ_CHECK(isfinite(t->data[j]), "load accepted a non-finite value");
        }
        uint8_t *out = NULL;
        size_t out_len = 0;
        FUZZ_CHECK(model_save_safetensors(m, 0, &out, &out_len) == 0, "save after load failed");
        fst_snapshot(m);
        FUZZ_CHECK(model_load_safetensors(m, out, out_len) == 0, "reload of a saved file failed");
        FUZZ_CHECK(fst_unchanged(m), "save + load is not the identity");
        free(out);
    }
}

int fuzz_safetensors(const uint8_t *data, size_t size) {
    fst_init();
    if (size >= 5 && data[0] == 'H') {
        uint32_t data_len = (uint32_t)data[1] | (uint32_t)data[2] << 8 | (uint32_t)data[3] << 16 |
                            (uint32_t)data[4] << 24;
        size_t hlen = size - 5;
        if (data_len > FST_MAX_DATA || hlen > FST_MAX_HEADER) return 0;
        size_t len = 8 + hlen + data_len;
        // The file ends where the buffer ends, so a read past its end is a heap overflow.
        uint8_t *file = fst_synth + (fst_synth_cap - len);
        for (int i = 0; i < 8; i++) file[i] = (uint8_t)((uint64_t)hlen >> (8 * i));
        memcpy(file + 8, data + 5, hlen);
        fst_check_load(file, len, fst_check_parse(file, len));
        // Restore the pattern where the header was, for the next input.
        for (size_t i = fst_synth_cap - len; i < fst_synth_cap - data_len; i++)
            fst_synth[i] = fst_pattern(i);
        return 0;
    }
    const uint8_t *file = size ? data + 1 : data;
    size_t len = size ? size - 1 : 0;
    fst_check_load(file, len, fst_check_parse(file, len));
    return 0;
}

#ifndef FUZZ_NO_ENTRY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_safetensors(data, size); }
#endif
