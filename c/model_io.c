// model_io.c - the state dict of a Model as safetensors: load (F32, F16 or BF16 floats, I64
// num_batches_tracked; checked in full before anything changes) and save (F32, or F16 with
// half), in memory, to files and from a parsed file (model_load_st: the checkpoint loader's
// way in). Tensor names and shapes are PyTorch's (model.h).
#include "model_impl.h"
#include "safetensors.h"
#include "errors.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void shape_str(char *out, size_t n, int ndim, const uint64_t *s) {
    size_t k = (size_t)snprintf(out, n, "[");
    for (int d = 0; d < ndim && k < n; d++)
        k += (size_t)snprintf(out + k, n - k, d ? ", %llu" : "%llu", (unsigned long long)s[d]);
    if (k < n) snprintf(out + k, n - k, "]");
}

static uint32_t rd32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

// Append ", 'name'" to a list, or ", ..." once it is full.
static void append_name(char *list, size_t cap, const char *name) {
    size_t k = strlen(list), n = strlen(name);
    if (k >= 5 && strcmp(list + k - 3, "...") == 0) return;
    const char *sep = k ? ", " : "";
    size_t ns = strlen(sep);
    if (k + ns + n + 2 + 6 < cap) {
        memcpy(list + k, sep, ns);
        list[k + ns] = '\'';
        memcpy(list + k + ns + 1, name, n);
        list[k + ns + 1 + n] = '\'';
        list[k + ns + n + 2] = 0;
    } else if (k + 6 < cap) {
        memcpy(list + k, ", ...", 6);
    }
}

// An entry of f the loader ignores: its name starts with skip (NULL: none is ignored).
static int skipped(const char *name, const char *skip) {
    return skip && strncmp(name, skip, strlen(skip)) == 0;
}

// The entry named name, or NULL if there is none or it is ignored.
static const StEntry *find_entry(const StFile *f, const char *name, const char *skip) {
    return skipped(name, skip) ? NULL : st_find(f, name);
}

int model_load_safetensors(Model *m, const uint8_t *data, size_t len) {
    StFile f;
    char err[256];
    if (st_parse(&f, data, len, err, sizeof err)) {
        model_set_error(m, "%s", err);
        return -1;
    }
    int rc = model_load_st(m, &f, NULL);
    st_free(&f);
    return rc;
}

int model_load_st(Model *m, const StFile *f, const char *skip) {
    // every model tensor present, with a usable dtype and the right shape
    char missing[200] = "";
    int nmissing = 0;
    for (int i = 0; i < m->ntensors; i++) {
        const Tensor *t = &m->tensors[i];
        const StEntry *e = find_entry(f, t->name, skip);
        if (!e) {
            append_name(missing, sizeof missing, t->name);
            nmissing++;
            continue;
        }
        int ok = t->dtype == DTYPE_I64 ? e->dtype == ST_I64
                                      : (e->dtype == ST_F32 || e->dtype == ST_F16 || e->dtype == ST_BF16);
        if (!ok) {
            model_set_error(m, "tensor '%s' has dtype %s, expected %s", t->name, st_dtype_name(e->dtype),
                            t->dtype == DTYPE_I64 ? "I64" : "F32, F16 or BF16");
            return -1;
        }
        uint64_t want[4];
        for (int d = 0; d < t->ndim; d++) want[d] = (uint64_t)t->shape[d];
        int same = e->ndim == t->ndim;
        for (int d = 0; same && d < t->ndim; d++) same = e->shape[d] == want[d];
        if (!same) {
            char a[96], b[96];
            shape_str(a, sizeof a, e->ndim, e->shape);
            shape_str(b, sizeof b, t->ndim, want);
            model_set_error(m, "tensor '%s' has shape %s in the file, the %s model expects %s",
                            t->name, a, model_kind_name(m->kind), b);
            return -1;
        }
    }
    if (nmissing) {
        model_set_error(m, "%d tensor%s missing from the file (not a %s weights file?): %s", nmissing,
                        nmissing > 1 ? "s" : "", model_kind_name(m->kind), missing);
        return -1;
    }
    int nentries = 0;
    for (int i = 0; i < f->n_entries; i++) nentries += !skipped(f->entries[i].name, skip);
    if (nentries != m->ntensors) { // names are unique and all ours are present: extras
        char extra[200] = "";
        int nextra = 0;
        for (int i = 0; i < f->n_entries; i++) {
            const char *name = f->entries[i].name;
            if (skipped(name, skip) || model_find_tensor(m, name)) continue;
            append_name(extra, sizeof extra, name);
            nextra++;
        }
        model_set_error(m, "%d unexpected tensor%s in the file (not a %s weights file?): %s", nextra,
                        nextra > 1 ? "s" : "", model_kind_name(m->kind), extra);
        return -1;
    }
    // the class names (metadata "classes", or the defaults for N) and R (metadata "reduction")
    ModelKind fk;
    int fr;
    ClassList names;
    char e[300];
    if (model_file_shape(f, &fk, &fr, &names, e, sizeof e)) {
        model_set_error(m, "%s", e);
        return -1;
    }
    if (names.n != m->num_classes) {
        model_set_error(m, "the file names %d classes, its fc2 has %d outputs", names.n,
                        m->num_classes);
        return -1;
    }
    if (model_has_se(m) && st_find_meta(f, "reduction") && fr != m->reduction) {
        model_set_error(m, "the file's reduction ratio is %d, the model's %d", fr, m->reduction);
        return -1;
    }
    // decode into a staging copy, checking values, then commit everything at once
    float *stage = malloc((m->nparams + m->nbuffers) * sizeof(float));
    if (!stage) {
        model_set_error(m, "out of memory");
        return -1;
    }
    int64_t nbt[NUM_BLOCKS];
    int k = 0;
    for (int i = 0; i < m->ntensors; i++) {
        const Tensor *t = &m->tensors[i];
        const StEntry *e = find_entry(f, t->name, skip);
        if (t->dtype == DTYPE_I64) {
            uint64_t u = (uint64_t)rd32(e->data) | (uint64_t)rd32(e->data + 4) << 32;
            int64_t v = (int64_t)u;
            if (v < 0) {
                model_set_error(m, "tensor '%s' is negative (%lld)", t->name, (long long)v);
                free(stage);
                return -1;
            }
            nbt[k++] = v;
            continue;
        }
        float *dst = stage + t->offset;
        for (size_t j = 0; j < t->numel; j++) {
            float v;
            if (e->dtype == ST_F32) {
                uint32_t u = rd32(e->data + 4 * j);
                memcpy(&v, &u, 4);
            } else {
                uint16_t h = (uint16_t)(e->data[2 * j] | e->data[2 * j + 1] << 8);
                v = e->dtype == ST_F16 ? st_f16_to_f32(h) : st_bf16_to_f32(h);
            }
            if (!isfinite(v)) {
                model_set_error(m, "tensor '%s' holds a non-finite value (%g at index %zu)", t->name,
                                (double)v, j);
                free(stage);
                return -1;
            }
            dst[j] = v;
        }
    }
    memcpy(m->params, stage, (m->nparams + m->nbuffers) * sizeof(float));
    memcpy(m->nbt, nbt, sizeof nbt);
    m->classes = names;
    m->can_undo = 0; // the step before is not the step before these weights
    free(stage);
    m->err[0] = 0;
    return 0;
}

int model_save_safetensors(Model *m, int half, uint8_t **out, size_t *len) {
    StTensorIn in[MAX_TENSORS];
    uint64_t shapes[MAX_TENSORS][4];
    uint16_t *h16 = NULL;
    if (half) {
        h16 = malloc((m->nparams + m->nbuffers) * sizeof(uint16_t));
        if (!h16) { model_set_error(m, "out of memory"); return -1; }
        for (size_t i = 0; i < m->nparams + m->nbuffers; i++) h16[i] = st_f32_to_f16(m->params[i]);
    }
    for (int i = 0; i < m->ntensors; i++) {
        const Tensor *t = &m->tensors[i];
        for (int d = 0; d < t->ndim; d++) shapes[i][d] = (uint64_t)t->shape[d];
        in[i].name = t->name;
        in[i].ndim = t->ndim;
        in[i].shape = shapes[i];
        if (t->dtype == DTYPE_I64) {
            in[i].dtype = ST_I64;
            in[i].data = t->data_i64; // little-endian hosts only (x86, arm, wasm)
        } else {
            in[i].dtype = half ? ST_F16 : ST_F32;
            in[i].data = half ? (const void *)(h16 + t->offset) : (const void *)t->data;
        }
    }
    // reduction and classes only when they are not the lesson's (R = 16 and N = 10 files keep
    // their bytes)
    char rtxt[16], cjson[CLASSES_JSON_MAX];
    const char *meta[8] = {"format", "pt", "model", model_kind_name(m->kind)};
    int nmeta = 2;
    if (model_has_se(m) && m->reduction != REDUCTION_DEFAULT) {
        snprintf(rtxt, sizeof rtxt, "%d", m->reduction);
        meta[2 * nmeta] = "reduction";
        meta[2 * nmeta++ + 1] = rtxt;
    }
    if (!class_list_is_cifar(&m->classes)) {
        class_list_to_json(&m->classes, cjson, sizeof cjson);
        meta[2 * nmeta] = CLASSES_META_KEY;
        meta[2 * nmeta++ + 1] = cjson;
    }
    char err[256];
    int rc = st_write(in, m->ntensors, meta, nmeta, out, len, err, sizeof err);
    free(h16);
    if (rc) model_set_error(m, "%s", err);
    return rc;
}

int model_load_file(Model *m, const char *path) {
    FILE *fp = fopen(path, "rb");
    if (!fp) { model_set_error(m, "cannot open %s", path); return -1; }
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            size_t nc = cap ? cap * 2 : (size_t)1 << 20;
            uint8_t *b = realloc(buf, nc);
            if (!b) { free(buf); fclose(fp); model_set_error(m, "out of memory reading %s", path); return -1; }
            buf = b;
            cap = nc;
        }
        size_t r = fread(buf + n, 1, cap - n, fp);
        n += r;
        if (r == 0) break;
    }
    int bad = ferror(fp);
    fclose(fp);
    if (bad) { free(buf); model_set_error(m, "error reading %s", path); return -1; }
    int rc = model_load_safetensors(m, buf, n);
    free(buf);
    if (rc) {
        char e[sizeof m->err];
        memcpy(e, m->err, sizeof e);
        model_set_error(m, "%.100s: %.200s", path, e);
    }
    return rc;
}

int model_save_file(Model *m, const char *path, int half) {
    uint8_t *buf;
    size_t n;
    if (model_save_safetensors(m, half, &buf, &n)) return -1;
    FILE *fp = fopen(path, "wb");
    if (!fp) { free(buf); model_set_error(m, "cannot write %s", path); return -1; }
    size_t w = fwrite(buf, 1, n, fp);
    int rc = fclose(fp);
    free(buf);
    if (w != n || rc != 0) { model_set_error(m, "error writing %s", path); return -1; }
    return 0;
}

// ---- the shape a file is for ------------------------------------------------------------
static const char *const SE_W1[NUM_BLOCKS] = {"ca1.fc.0.weight", "ca2.fc.0.weight", "ca3.fc.0.weight"};

int model_file_shape(const StFile *f, ModelKind *kind, int *reduction, ClassList *classes,
                     char *err, size_t errlen) {
    *kind = st_find(f, SE_W1[0]) ? MODEL_CNN_SE : MODEL_CNN;
    *reduction = REDUCTION_DEFAULT;
    const char *rm = st_find_meta(f, "reduction");
    if (rm) {
        char *end;
        long r = strtol(rm, &end, 10);
        if (end == rm || *end || r < 1 || r > REDUCTION_MAX)
            return set_err(err, errlen, "metadata \"reduction\" = \"%.20s\" is not an integer in "
                           "1..%d", rm, REDUCTION_MAX), -1;
        *reduction = (int)r;
    }
    if (*kind == MODEL_CNN_SE) {
        int hidden[NUM_BLOCKS], usable = 1;
        for (int i = 0; i < NUM_BLOCKS; i++) {
            const StEntry *e = st_find(f, SE_W1[i]);
            usable &= e && e->ndim == 2 && e->shape[0] >= 1 && e->shape[0] <= 128;
            hidden[i] = usable ? (int)e->shape[0] : 0;
        }
        // a missing or malformed SE tensor: the loader names it (the lesson's R meanwhile)
        int found = !usable;
        for (int r = REDUCTION_MAX; r >= 1 && !found; r--) {
            if (rm && r != *reduction) continue;
            int ok = 1;
            for (int i = 0; i < NUM_BLOCKS; i++) ok &= blk_c(i) / r == hidden[i];
            if (ok) { *reduction = r; found = 1; }
        }
        if (!found)
            return set_err(err, errlen, "the SE hidden sizes (%d, %d, %d) are C / R of no "
                           "reduction ratio R%s", hidden[0], hidden[1], hidden[2],
                           rm ? " (metadata \"reduction\")" : " in 1..32"), -1;
    }
    // a missing or malformed fc2: the loader names it (CIFAR-10's N meanwhile)
    const StEntry *fc2 = st_find(f, "fc2.weight");
    int n = fc2 && fc2->ndim == 2 && fc2->shape[0] <= 1000 ? (int)fc2->shape[0] : 10;
    if (n < CLASSES_MIN || n > CLASSES_MAX)
        return set_err(err, errlen, "fc2 has %d outputs: a model has %d to %d classes", n,
                       CLASSES_MIN, CLASSES_MAX), -1;
    const char *cm = st_find_meta(f, CLASSES_META_KEY);
    if (cm) {
        if (class_list_from_json(classes, cm, err, errlen)) return -1;
        if (classes->n != n)
            return set_err(err, errlen, "metadata \"classes\" names %d classes, fc2 has %d outputs",
                           classes->n, n), -1;
    } else if (n == 10) {
        class_list_cifar(classes);
    } else {
        class_list_numbered(classes, n);
    }
    return 0;
}
