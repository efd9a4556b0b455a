// test_safetensors.c - the safetensors reader against a corpus of broken files, all made here
// from a model's own saved weights (no dataset bytes): truncations at many points, bad and
// huge header lengths, bad JSON, unknown and wrong dtypes, wrong shapes, missing and extra
// tensors, overlapping or short offsets, duplicate names, NaN/inf values, negative
// num_batches_tracked, plus random header mutations. Each must fail with a message naming
// the problem, and the model must keep its previous weights (same bytes) and predictions.
// Also: files that must load (F16, BF16, escapes and metadata, header padding).
// Usage: test_safetensors [REFDIR] (unused). Exits 1 on any failure.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"
#include "safetensors.h"

static int failures, cases;
static Model *victim;
static uint8_t *victim_bytes;
static size_t victim_len;
static float victim_probs[NUM_CLASSES];
static float image[IMG_SIZE];

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (!(cond)) {                                                     \
            failures++;                                                    \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                    \
            printf(__VA_ARGS__);                                           \
            printf("\n");                                                  \
        }                                                                  \
    } while (0)

static void victim_unchanged(const char *what) {
    uint8_t *now;
    size_t len;
    float probs[NUM_CLASSES];
    CHECK(model_save_safetensors(victim, 0, &now, &len) == 0, "save");
    CHECK(len == victim_len && memcmp(now, victim_bytes, len) == 0, "%s: the model's weights changed", what);
    free(now);
    CHECK(model_predict(victim, image, probs) == 0 && memcmp(probs, victim_probs, sizeof probs) == 0,
          "%s: the model predicts differently", what);
}

// Loading must fail with a message containing each of the needles (NULL-terminated list).
static void expect_fail(const char *what, const uint8_t *buf, size_t len, const char *n1, const char *n2,
                        int verbose) {
    cases++;
    int rc = model_load_safetensors(victim, buf, len);
    const char *msg = model_error(victim);
    CHECK(rc == -1, "%s: accepted", what);
    CHECK(msg[0] != 0, "%s: empty message", what);
    CHECK(!n1 || strstr(msg, n1), "%s: message lacks '%s': %s", what, n1, msg);
    CHECK(!n2 || strstr(msg, n2), "%s: message lacks '%s': %s", what, n2, msg);
    if (verbose) printf("  %-34s -> %s\n", what, msg);
    victim_unchanged(what);
}

// ---- building files ---------------------------------------------------------------------
static uint8_t *from_header(const char *header, const uint8_t *data, size_t dlen, size_t *len) {
    size_t h = strlen(header);
    *len = 8 + h + dlen;
    uint8_t *b = malloc(*len + 1);
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)((uint64_t)h >> (8 * i));
    memcpy(b + 8, header, h);
    if (dlen) memcpy(b + 8 + h, data, dlen);
    return b;
}

// A valid model file with one textual edit of its header (first occurrence of `from`).
static uint8_t *edited(const uint8_t *good, size_t glen, const char *from, const char *to, size_t *len) {
    uint64_t h = 0;
    for (int i = 7; i >= 0; i--) h = (h << 8) | good[i];
    char *hdr = malloc(h + 1);
    memcpy(hdr, good + 8, h);
    hdr[h] = 0;
    char *at = strstr(hdr, from);
    if (!at) { printf("test bug: '%s' not in header\n", from); exit(2); }
    size_t nf = strlen(from), nt = strlen(to);
    char *out = malloc(h + nt + 1);
    memcpy(out, hdr, (size_t)(at - hdr));
    memcpy(out + (at - hdr), to, nt);
    strcpy(out + (at - hdr) + nt, at + nf);
    uint8_t *b = from_header(out, good + 8 + h, glen - 8 - h, len);
    free(hdr);
    free(out);
    return b;
}

// The model's tensors as writer input, optionally dropping one or adding one.
static uint8_t *rewritten(Model *m, const char *drop, const char *add, size_t *len) {
    StTensorIn in[40];
    uint64_t shapes[40][4], one[1] = {4};
    float extra[4] = {1, 2, 3, 4};
    int n = 0;
    for (int i = 0; i < model_num_tensors(m); i++) {
        const Tensor *t = model_tensor(m, i);
        if (drop && strcmp(t->name, drop) == 0) continue;
        for (int d = 0; d < t->ndim; d++) shapes[n][d] = (uint64_t)t->shape[d];
        in[n].name = t->name;
        in[n].dtype = t->dtype == DTYPE_I64 ? ST_I64 : ST_F32;
        in[n].ndim = t->ndim;
        in[n].shape = shapes[n];
        in[n].data = t->dtype == DTYPE_I64 ? (const void *)t->data_i64 : (const void *)t->data;
        n++;
    }
    if (add) in[n++] = (StTensorIn){add, ST_F32, 1, one, extra};
    uint8_t *out;
    char err[200];
    if (st_write(in, n, NULL, 0, &out, len, err, sizeof err)) { printf("test bug: %s\n", err); exit(2); }
    return out;
}

// Byte offset of tensor `name`'s data in a file.
static size_t data_pos(const uint8_t *buf, size_t len, const char *name) {
    StFile f;
    char err[200];
    if (st_parse(&f, buf, len, err, sizeof err)) { printf("test bug: %s\n", err); exit(2); }
    const StEntry *e = st_find(&f, name);
    size_t pos = (size_t)(e->data - buf);
    st_free(&f);
    return pos;
}

// ---- parser-level cases (small hand-written headers) ------------------------------------
static void parser_cases(void) {
    // names_a: the problem is in tensor a's entry, so the message must name 'a'
    static const struct { const char *header; size_t dlen; const char *needle; int names_a; } bad[] = {
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "overlap", 1},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16, "twice", 1},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "span", 1},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "reversed", 1},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 12, "after the last", 0},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "unused bytes", 1},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,800]}}", 8, "past the data", 1},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,8]}}", 8,
         "too large", 1},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "negative", 1},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", 8, "fraction", 1},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[02],\"data_offsets\":[0,8]}}", 8, "leading zero", 1},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]}}", 8, "too large", 1},
        {"{\"a\":{\"dtype\":\"Q8\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "unknown dtype", 1},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "lacks", 1},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":1}}", 8, "unknown field", 1},
        {"{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "duplicate", 1},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},}", 8, "header", 0},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", 8, "missing '}'", 0},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}x", 8, "trailing", 0},
        {"[\"a\"]", 0, "start with", 0},
        {" {}", 0, "start with", 0},
        {"{\"__metadata__\":{\"k\":1}}", 0, "strings", 0},
        {"{\"__metadata__\":{\"k\":\"v\"},\"__metadata__\":{}}", 0, "duplicate", 0},
        {"{\"__metadata__\":{\"k\":\"\\ud800\"}}", 0, "surrogate", 0},
        {"{\"__metadata__\":{\"k\":\"\\u0000\"}}", 0, "\\u0000", 0},
        {"{\"__metadata__\":{\"k\":\"\\x\"}}", 0, "escape", 0},
        {"{\"__metadata__\":{\"k\":\"\xc3\x28\"}}", 0, "UTF-8", 0},
        {"{\"__metadata__\":{\"k\":\"tab\there\"}}", 0, "control", 0},
        {"{\"__metadata__\":{\"k\":\"v}}", 0, "unterminated", 0},
        {"{}", 4, "no tensors", 0},
    };
    uint8_t data[16] = {0};
    char err[256];
    printf("parser: hand-written headers\n");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t len;
        uint8_t *b = from_header(bad[i].header, data, bad[i].dlen, &len);
        StFile f;
        cases++;
        int rc = st_parse(&f, b, len, err, sizeof err);
        CHECK(rc == -1, "header %zu accepted: %s", i, bad[i].header);
        CHECK(strstr(err, bad[i].needle) != NULL, "header %zu: message lacks '%s': %s", i, bad[i].needle, err);
        if (rc == 0) st_free(&f);
        printf("  %-2zu -> %s\n", i, err);
        CHECK(!bad[i].names_a || strstr(err, "'a'"), "header %zu: message does not name tensor 'a': %s", i, err);
        free(b);
    }
    // accepted: escapes, metadata, padding, empty file, scalar, zero-size tensor
    const char *good = "{\"__metadata__\":{\"na\\u00efve\":\"\\ud83d\\ude00 \\\"q\\\" \\/\\n\"},"
                       "\"s\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]},"
                       "\"z\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[8,8]}}      ";
    size_t len;
    uint8_t *b = from_header(good, data, 8, &len);
    StFile f;
    cases++;
    int rc = st_parse(&f, b, len, err, sizeof err);
    CHECK(rc == 0, "good header refused: %s", err);
    if (rc == 0) {
        const char *v = st_find_meta(&f, "na\xc3\xafve");
        CHECK(v && strcmp(v, "\xf0\x9f\x98\x80 \"q\" /\n") == 0, "escapes decoded wrongly");
        CHECK(f.n_entries == 2 && st_find(&f, "s")->ndim == 0 && st_find(&f, "s")->numel == 1 &&
                  st_find(&f, "z")->numel == 0,
              "entries");
        st_free(&f);
    }
    free(b);
    b = from_header("{}", data, 0, &len);
    CHECK(st_parse(&f, b, len, err, sizeof err) == 0 && f.n_entries == 0, "empty file refused: %s", err);
    st_free(&f);
    free(b);
    // writer escapes what it must and reads back
    uint64_t sh[1] = {2};
    float v2[2] = {1.5f, -2};
    StTensorIn t = {"we\"ird\\name\x01", ST_F32, 1, sh, v2};
    const char *meta[2] = {"k\"", "v\\\x02"};
    CHECK(st_write(&t, 1, meta, 1, &b, &len, err, sizeof err) == 0, "write");
    CHECK(len % 8 == 0 || ((len - 8) % 8) == 0, "header padded");
    CHECK(st_parse(&f, b, len, err, sizeof err) == 0 && st_find(&f, "we\"ird\\name\x01") &&
              strcmp(st_find_meta(&f, "k\""), "v\\\x02") == 0,
          "writer round trip: %s", err);
    st_free(&f);
    free(b);
    // half-precision conversions
    float probe[] = {0.0f, -0.0f, 1.0f, -2.5f, 65504.0f, 6.1035156e-05f, 5.9604645e-08f, 3.0e-08f, 1e-9f, 0.333333f};
    for (size_t i = 0; i < sizeof probe / sizeof probe[0]; i++) {
        float back = st_f16_to_f32(st_f32_to_f16(probe[i]));
        double tol = fabs(probe[i]) * (1.0 / 2048) + 2.99e-8;
        CHECK(fabs((double)back - probe[i]) <= tol, "f16 round trip of %g gave %g", (double)probe[i], (double)back);
    }
    CHECK(isinf(st_f16_to_f32(st_f32_to_f16(1e6f))), "f16 overflow is inf");
    CHECK(isnan(st_f16_to_f32(st_f32_to_f16(NAN))), "f16 NaN stays NaN");
    CHECK(st_bf16_to_f32(0x3F80) == 1.0f, "bf16 1.0");
}

// ---- model-level corpus -----------------------------------------------------------------
static void model_cases(int quick) {
    Model *src = model_create(MODEL_CNN, 7, 1);
    uint8_t *good, *b;
    size_t glen, len;
    CHECK(src && model_save_safetensors(src, 0, &good, &glen) == 0, "save");
    uint64_t hl = 0;
    for (int i = 7; i >= 0; i--) hl = (hl << 8) | good[i];

    printf("model: broken CNN weight files (victim model keeps its weights every time)\n");
    // truncations
    size_t cuts[] = {0, 1, 7, 8, 9, 8 + 1, 8 + (size_t)hl / 2, 8 + (size_t)hl - 1, 8 + (size_t)hl,
                     8 + (size_t)hl + 1, glen / 2, glen - 9, glen - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        char what[64];
        snprintf(what, sizeof what, "truncated to %zu of %zu bytes", cuts[i], glen);
        expect_fail(what, good, cuts[i], NULL, NULL, i == 0 || i == 6 || i == 12);
    }
    int steps = quick ? 16 : 200;
    for (int i = 1; i < steps; i++) {
        char what[64];
        size_t cut = glen * (size_t)i / (size_t)steps;
        snprintf(what, sizeof what, "truncated to %zu bytes", cut);
        expect_fail(what, good, cut, NULL, NULL, 0);
    }
    // header length field
    b = malloc(glen);
    memcpy(b, good, glen);
    uint64_t bad_len[] = {glen, glen - 7, (uint64_t)1 << 40, UINT64_MAX, 1, 0};
    const char *needle[] = {"past the end", "past the end", "limit", "limit", "too small", "too small"};
    for (int k = 0; k < 6; k++) {
        for (int i = 0; i < 8; i++) b[i] = (uint8_t)(bad_len[k] >> (8 * i));
        char what[64];
        snprintf(what, sizeof what, "header length %llu", (unsigned long long)bad_len[k]);
        expect_fail(what, b, glen, needle[k], NULL, 1);
    }
    free(b);
    // JSON and schema
    static const struct { const char *what, *from, *to, *n1, *n2; } edits[] = {
        {"bad JSON (missing colon)", "\"conv1.weight\":", "\"conv1.weight\" ", "expected ':'", NULL},
        {"bad JSON (missing quote)", "\"conv1.bias\"", "conv1.bias\"", NULL, NULL},
        {"bad JSON (not an object)", "{", "[", "start with", NULL},
        {"unknown dtype", "\"F32\"", "\"F33\"", "F33", "conv1.weight"},
        {"wrong dtype (I32 for F32)", "\"F32\"", "\"I32\"", "I32", "conv1.weight"},
        {"wrong dtype (F64 num_batches)", "\"I64\"", "\"F64\"", "F64", "bn1.num_batches_tracked"},
        {"wrong shape (same size)", "[32,3,3,3]", "[32,3,9,1]", "conv1.weight", "[32, 3, 3, 3]"},
        {"wrong shape (size)", "[32,3,3,3]", "[32,3,3,2]", "conv1.weight", "span"},
        {"wrong rank", "\"shape\":[32]", "\"shape\":[32,1]", "conv1.bias", "[32, 1]"},
        {"renamed tensor", "\"fc2.bias\"", "\"fc2.beta\"", "fc2.bias", "missing"},
        {"overlapping offsets", "[3456,3584]", "[3452,3580]", "overlap", "conv1.bias"},
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        b = edited(good, glen, edits[i].from, edits[i].to, &len);
        expect_fail(edits[i].what, b, len, edits[i].n1, edits[i].n2, 1);
        free(b);
    }
    // missing and extra tensors
    b = rewritten(src, "bn2.running_var", NULL, &len);
    expect_fail("missing tensor", b, len, "bn2.running_var", "missing", 1);
    free(b);
    b = rewritten(src, NULL, "ca1.fc.0.weight", &len);
    expect_fail("extra tensor (an SE weight)", b, len, "ca1.fc.0.weight", "unexpected", 1);
    free(b);
    Model *se = model_create(MODEL_CNN_SE, 7, 1);
    uint8_t *seb;
    size_t selen;
    model_save_safetensors(se, 0, &seb, &selen);
    expect_fail("CNN_SE file into a CNN", seb, selen, "ca1.fc.0.weight", "CNN", 1);
    free(seb);
    model_free(se);
    // values
    b = malloc(glen);
    memcpy(b, good, glen);
    size_t pos = data_pos(good, glen, "conv2.weight") + 5 * 4;
    float nanv = NAN, infv = -INFINITY;
    memcpy(b + pos, &nanv, 4);
    expect_fail("NaN in conv2.weight[5]", b, glen, "conv2.weight", "non-finite", 1);
    memcpy(b + pos, &infv, 4);
    expect_fail("-inf in conv2.weight[5]", b, glen, "conv2.weight", "non-finite", 1);
    memcpy(b, good, glen);
    pos = data_pos(good, glen, "bn3.num_batches_tracked");
    int64_t neg = -3;
    memcpy(b + pos, &neg, 8);
    expect_fail("negative num_batches_tracked", b, glen, "bn3.num_batches_tracked", "negative", 1);
    free(b);
    // F16 file with an inf
    model_save_safetensors(src, 1, &b, &len);
    pos = data_pos(b, len, "fc1.weight");
    b[pos + 6] = 0x00;
    b[pos + 7] = 0x7C; // fc1.weight[3] = +inf in half precision
    expect_fail("F16 file with inf in fc1.weight[3]", b, len, "fc1.weight", "non-finite", 1);
    free(b);

    // random header mutations: fail cleanly or (if the meaning is unchanged) load
    Rng r;
    rng_seed(&r, 2024);
    int n_mut = quick ? 300 : 3000, refused = 0;
    b = malloc(glen);
    for (int i = 0; i < n_mut; i++) {
        memcpy(b, good, glen);
        int flips = 1 + (int)rng_below(&r, 3);
        for (int k = 0; k < flips; k++) {
            size_t at = 8 + rng_below(&r, (uint32_t)hl);
            b[at] = (uint8_t)rng_below(&r, 256);
        }
        int rc = model_load_safetensors(victim, b, glen);
        if (rc == 0) {
            // loaded: must equal the source weights, then restore the victim
            uint8_t *now;
            size_t nl;
            model_save_safetensors(victim, 0, &now, &nl);
            CHECK(nl == glen && memcmp(now, good, glen) == 0, "mutation %d loaded different weights", i);
            free(now);
            CHECK(model_load_safetensors(victim, victim_bytes, victim_len) == 0, "restore");
        } else {
            refused++;
            CHECK(model_error(victim)[0] != 0, "mutation %d: empty message", i);
            victim_unchanged("mutation");
        }
        cases++;
    }
    printf("  %d random header mutations: %d refused, %d loaded the same weights\n", n_mut, refused, n_mut - refused);
    free(b);

    // files that must load: F16, BF16 (victim then restored)
    model_save_safetensors(src, 1, &b, &len);
    CHECK(model_load_safetensors(victim, b, len) == 0, "F16 file refused: %s", model_error(victim));
    free(b);
    {
        StTensorIn in[40];
        uint64_t shapes[40][4];
        uint16_t *bf[40] = {0};
        int n = model_num_tensors(src);
        for (int i = 0; i < n; i++) {
            const Tensor *t = model_tensor(src, i);
            for (int d = 0; d < t->ndim; d++) shapes[i][d] = (uint64_t)t->shape[d];
            in[i] = (StTensorIn){t->name, t->dtype == DTYPE_I64 ? ST_I64 : ST_BF16, t->ndim, shapes[i],
                                 t->data_i64};
            if (t->dtype != DTYPE_I64) {
                bf[i] = malloc(t->numel * 2);
                for (size_t j = 0; j < t->numel; j++) {
                    uint32_t u;
                    memcpy(&u, &t->data[j], 4);
                    bf[i][j] = (uint16_t)(u >> 16);
                }
                in[i].data = bf[i];
            }
        }
        char err[200];
        CHECK(st_write(in, n, NULL, 0, &b, &len, err, sizeof err) == 0, "bf16 write");
        CHECK(model_load_safetensors(victim, b, len) == 0, "BF16 file refused: %s", model_error(victim));
        const Tensor *t = model_find_tensor(victim, "conv2.weight"), *ts = model_find_tensor(src, "conv2.weight");
        CHECK(fabsf(t->data[0] - ts->data[0]) <= fabsf(ts->data[0]) / 128, "bf16 values");
        free(b);
        for (int i = 0; i < n; i++) free(bf[i]);
    }
    CHECK(model_load_safetensors(victim, victim_bytes, victim_len) == 0, "restore");
    victim_unchanged("restore");
    printf("  F16 and BF16 files load\n");
    // load_file on a missing path
    CHECK(model_load_file(victim, "/nonexistent/weights.safetensors") == -1 &&
              strstr(model_error(victim), "/nonexistent/weights.safetensors"),
          "missing file");
    victim_unchanged("missing file");
    free(good);
    model_free(src);
}

int main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    int quick = getenv("EXCITE_QUICK") != NULL;
    victim = model_create(MODEL_CNN, 123, 1);
    if (!victim) return 2;
    Rng r;
    rng_seed(&r, 5);
    for (int i = 0; i < IMG_SIZE; i++) image[i] = rng_range(&r, -2, 2);
    // give the victim non-default running statistics and counters too
    AdamConfig cfg = adam_default();
    float x[2 * IMG_SIZE];
    uint8_t y[2] = {3, 4};
    for (int i = 0; i < 2 * IMG_SIZE; i++) x[i] = rng_range(&r, -2, 2);
    if (model_train_step(victim, x, y, 2, &cfg, NULL, NULL)) return 2;
    model_save_safetensors(victim, 0, &victim_bytes, &victim_len);
    model_predict(victim, image, victim_probs);

    parser_cases();
    model_cases(quick);
    free(victim_bytes);
    model_free(victim);
    if (failures) { printf("test_safetensors: %d FAILED (%d cases)\n", failures, cases); return 1; }
    printf("test_safetensors: all %d cases passed\n", cases);
    return 0;
}
