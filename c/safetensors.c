// safetensors.c - strict safetensors reader/writer (see safetensors.h). The JSON parser is
// schema-directed (top-level object of tensor entries and one optional __metadata__ object
// of strings), so it needs no recursion and no generic value tree; anything else is refused.
#include "safetensors.h"
#include "errors.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const DTYPE_NAMES[ST_NUM_DTYPES] = {
    "BOOL", "U8", "I8", "U16", "I16", "F16", "BF16", "U32", "I32", "F32", "U64", "I64", "F64"};
static const size_t DTYPE_SIZES[ST_NUM_DTYPES] = {1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 8, 8, 8};

size_t st_dtype_size(StDType t) { return (unsigned)t < ST_NUM_DTYPES ? DTYPE_SIZES[t] : 0; }
const char *st_dtype_name(StDType t) { return (unsigned)t < ST_NUM_DTYPES ? DTYPE_NAMES[t] : "?"; }

// ---- JSON cursor ------------------------------------------------------------------------
typedef struct {
    const uint8_t *start, *p, *end;
    char *err;
    size_t errlen;
    int failed;
} Cur;

static int fail(Cur *c, const char *what) {
    if (!c->failed)
        set_err(c->err, c->errlen, "safetensors header: %s at header byte %zu", what,
                (size_t)(c->p - c->start));
    c->failed = 1;
    return -1;
}

static void skip_ws(Cur *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) c->p++;
}

static int expect(Cur *c, char ch) {
    skip_ws(c);
    if (c->p >= c->end) return fail(c, ch == '}' ? "unexpected end (missing '}')" : "unexpected end");
    if (*c->p != (uint8_t)ch) {
        char msg[40];
        snprintf(msg, sizeof msg, "expected '%c'", ch);
        return fail(c, msg);
    }
    c->p++;
    return 0;
}

// Peek the next non-space byte (or -1 at the end).
static int peek(Cur *c) {
    skip_ws(c);
    return c->p < c->end ? *c->p : -1;
}

static int hex4(Cur *c, uint32_t *v) {
    if (c->end - c->p < 4) return fail(c, "truncated \\u escape");
    uint32_t x = 0;
    for (int i = 0; i < 4; i++) {
        uint8_t h = c->p[i];
        x <<= 4;
        if (h >= '0' && h <= '9') x |= (uint32_t)(h - '0');
        else if (h >= 'a' && h <= 'f') x |= (uint32_t)(h - 'a' + 10);
        else if (h >= 'A' && h <= 'F') x |= (uint32_t)(h - 'A' + 10);
        else return fail(c, "bad \\u escape");
    }
    c->p += 4;
    *v = x;
    return 0;
}

// Length of a valid UTF-8 sequence starting at p (RFC 3629: no overlongs, no surrogates),
// or 0 if invalid.
static size_t utf8_len(const uint8_t *p, const uint8_t *end) {
    uint8_t b = p[0];
    size_t n;
    uint32_t cp;
    if (b < 0x80) return 1;
    if (b >= 0xC2 && b <= 0xDF) { n = 2; cp = b & 0x1F; }
    else if (b >= 0xE0 && b <= 0xEF) { n = 3; cp = b & 0x0F; }
    else if (b >= 0xF0 && b <= 0xF4) { n = 4; cp = b & 0x07; }
    else return 0;
    if ((size_t)(end - p) < n) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return 0;
    if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
    return n;
}

static size_t put_utf8(char *o, uint32_t cp) {
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12)); o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F)); return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18)); o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

// Parse a JSON string into a malloc'ed NUL-terminated buffer. Decoded output is never longer
// than the raw input, so one allocation of the raw length suffices.
static int parse_string(Cur *c, char **out) {
    *out = NULL;
    if (expect(c, '"')) return -1;
    const uint8_t *q = c->p;
    while (q < c->end && *q != '"') q += (*q == '\\' && q + 1 < c->end) ? 2 : 1;
    if (q >= c->end) return fail(c, "unterminated string");
    char *s = malloc((size_t)(q - c->p) + 1);
    if (!s) return fail(c, "out of memory");
    size_t n = 0;
    while (*c->p != '"') {
        uint8_t b = *c->p;
        if (b < 0x20) { free(s); return fail(c, "control character in string"); }
        if (b == '\\') {
            c->p++;
            uint8_t e = *c->p++;
            switch (e) {
            case '"': s[n++] = '"'; break;
            case '\\': s[n++] = '\\'; break;
            case '/': s[n++] = '/'; break;
            case 'b': s[n++] = '\b'; break;
            case 'f': s[n++] = '\f'; break;
            case 'n': s[n++] = '\n'; break;
            case 'r': s[n++] = '\r'; break;
            case 't': s[n++] = '\t'; break;
            case 'u': {
                uint32_t cp, lo;
                if (hex4(c, &cp)) { free(s); return -1; }
                if (cp >= 0xDC00 && cp <= 0xDFFF) { free(s); return fail(c, "lone low surrogate"); }
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    if (c->end - c->p < 2 || c->p[0] != '\\' || c->p[1] != 'u') {
                        free(s); return fail(c, "lone high surrogate");
                    }
                    c->p += 2;
                    if (hex4(c, &lo)) { free(s); return -1; }
                    if (lo < 0xDC00 || lo > 0xDFFF) { free(s); return fail(c, "bad surrogate pair"); }
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                }
                if (cp == 0) { free(s); return fail(c, "\\u0000 in string"); }
                n += put_utf8(s + n, cp);
                break;
            }
            default:
                c->p--;
                free(s);
                return fail(c, "bad escape in string");
            }
        } else {
            size_t k = utf8_len(c->p, q);
            if (k == 0) { free(s); return fail(c, "invalid UTF-8 in string"); }
            memcpy(s + n, c->p, k);
            n += k;
            c->p += k;
        }
    }
    c->p++; // closing quote
    s[n] = 0;
    *out = s;
    return 0;
}

// A JSON number that must be a non-negative integer below 2^63.
static int parse_uint(Cur *c, uint64_t *v) {
    skip_ws(c);
    if (c->p >= c->end) return fail(c, "unexpected end");
    if (*c->p == '-') return fail(c, "negative number");
    if (*c->p < '0' || *c->p > '9') return fail(c, "expected a non-negative integer");
    if (*c->p == '0' && c->end - c->p > 1 && c->p[1] >= '0' && c->p[1] <= '9')
        return fail(c, "leading zero in number");
    uint64_t x = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        uint64_t d = (uint64_t)(*c->p - '0');
        if (x > (UINT64_C(0x7FFFFFFFFFFFFFFF) - d) / 10) return fail(c, "integer too large");
        x = x * 10 + d;
        c->p++;
    }
    if (c->p < c->end && (*c->p == '.' || *c->p == 'e' || *c->p == 'E'))
        return fail(c, "expected an integer, not a fraction");
    *v = x;
    return 0;
}

// ---- entries ----------------------------------------------------------------------------
static int grow(void **arr, int *cap, int n, size_t elem) {
    if (n < *cap) return 0;
    int nc = *cap ? *cap * 2 : 16;
    if (nc <= *cap || (size_t)nc > SIZE_MAX / elem) return -1;
    void *a = realloc(*arr, (size_t)nc * elem);
    if (!a) return -1;
    *arr = a;
    *cap = nc;
    return 0;
}

static int parse_entry(Cur *c, StEntry *e) {
    int have_dtype = 0, have_shape = 0, have_off = 0;
    if (expect(c, '{')) return -1;
    if (peek(c) == '}') return fail(c, "empty tensor entry");
    for (;;) {
        char *key;
        if (parse_string(c, &key)) return -1;
        if (expect(c, ':')) { free(key); return -1; }
        if (strcmp(key, "dtype") == 0) {
            free(key);
            if (have_dtype++) return fail(c, "duplicate \"dtype\"");
            char *d;
            if (parse_string(c, &d)) return -1;
            int t;
            for (t = 0; t < ST_NUM_DTYPES; t++)
                if (strcmp(d, DTYPE_NAMES[t]) == 0) break;
            if (t == ST_NUM_DTYPES) {
                char msg[128];
                snprintf(msg, sizeof msg, "unknown dtype \"%.40s\" for tensor '%.40s'", d, e->name);
                free(d);
                return fail(c, msg);
            }
            free(d);
            e->dtype = (StDType)t;
        } else if (strcmp(key, "shape") == 0) {
            free(key);
            if (have_shape++) return fail(c, "duplicate \"shape\"");
            if (expect(c, '[')) return -1;
            e->ndim = 0;
            if (peek(c) == ']') c->p++;
            else for (;;) {
                if (e->ndim == ST_MAX_NDIM) return fail(c, "too many dimensions");
                if (parse_uint(c, &e->shape[e->ndim])) return -1;
                e->ndim++;
                int ch = peek(c);
                if (ch == ',') { c->p++; continue; }
                if (ch == ']') { c->p++; break; }
                return fail(c, "expected ',' or ']' in shape");
            }
        } else if (strcmp(key, "data_offsets") == 0) {
            free(key);
            if (have_off++) return fail(c, "duplicate \"data_offsets\"");
            if (expect(c, '[') || parse_uint(c, &e->begin) || expect(c, ',') ||
                parse_uint(c, &e->end) || expect(c, ']'))
                return -1;
        } else {
            char msg[96];
            snprintf(msg, sizeof msg, "unknown field \"%.40s\" in tensor entry", key);
            free(key);
            return fail(c, msg);
        }
        int ch = peek(c);
        if (ch == ',') { c->p++; continue; }
        if (ch == '}') { c->p++; break; }
        return fail(c, "expected ',' or '}' in tensor entry");
    }
    if (!have_dtype || !have_shape || !have_off) {
        char msg[120];
        snprintf(msg, sizeof msg, "tensor '%.60s' lacks \"%s\"", e->name,
                 !have_dtype ? "dtype" : !have_shape ? "shape" : "data_offsets");
        return fail(c, msg);
    }
    return 0;
}

static int parse_metadata(Cur *c, StFile *f, int *cap) {
    if (expect(c, '{')) return -1;
    if (peek(c) == '}') { c->p++; return 0; }
    for (;;) {
        if (grow((void **)&f->meta, cap, f->n_meta, sizeof(StMeta))) return fail(c, "out of memory");
        StMeta *m = &f->meta[f->n_meta];
        m->key = m->value = NULL;
        if (parse_string(c, &m->key)) return -1;
        f->n_meta++;
        if (expect(c, ':')) return -1;
        if (peek(c) != '"') return fail(c, "__metadata__ values must be strings");
        if (parse_string(c, &m->value)) return -1;
        int ch = peek(c);
        if (ch == ',') { c->p++; continue; }
        if (ch == '}') { c->p++; return 0; }
        return fail(c, "expected ',' or '}' in __metadata__");
    }
}

static int cmp_name(const void *a, const void *b) {
    return strcmp((*(const StEntry *const *)a)->name, (*(const StEntry *const *)b)->name);
}
static int cmp_begin(const void *a, const void *b) {
    const StEntry *x = *(const StEntry *const *)a, *y = *(const StEntry *const *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

void st_free(StFile *f) {
    if (!f) return;
    for (int i = 0; i < f->n_entries; i++) free(f->entries[i].name);
    for (int i = 0; i < f->n_meta; i++) { free(f->meta[i].key); free(f->meta[i].value); }
    free(f->entries);
    free(f->meta);
    memset(f, 0, sizeof *f);
}

// Checks that need the whole header: sizes, ranges, duplicates, overlaps, holes.
static int check_layout(StFile *f, char *err, size_t errlen) {
    for (int i = 0; i < f->n_entries; i++) {
        StEntry *e = &f->entries[i];
        uint64_t numel = 1;
        for (int d = 0; d < e->ndim; d++) {
            if (e->shape[d] != 0 && numel > UINT64_MAX / e->shape[d]) {
                set_err(err, errlen, "safetensors: tensor '%s': shape too large", e->name);
                return -1;
            }
            numel *= e->shape[d];
        }
        uint64_t sz = st_dtype_size(e->dtype);
        if (numel > UINT64_MAX / sz) {
            set_err(err, errlen, "safetensors: tensor '%s': shape too large", e->name);
            return -1;
        }
        e->numel = numel;
        if (e->begin > e->end) {
            set_err(err, errlen, "safetensors: tensor '%s': data_offsets [%llu, %llu] are reversed",
                    e->name, (unsigned long long)e->begin, (unsigned long long)e->end);
            return -1;
        }
        if (e->end > f->data_len) {
            set_err(err, errlen,
                    "safetensors: tensor '%s': data_offsets end %llu is past the data section "
                    "(%llu bytes; file truncated?)",
                    e->name, (unsigned long long)e->end, (unsigned long long)f->data_len);
            return -1;
        }
        if (e->end - e->begin != numel * sz) {
            set_err(err, errlen,
                    "safetensors: tensor '%s': data_offsets span %llu bytes but %s shape needs %llu",
                    e->name, (unsigned long long)(e->end - e->begin), st_dtype_name(e->dtype),
                    (unsigned long long)(numel * sz));
            return -1;
        }
        e->data = f->data + e->begin;
    }
    if (f->n_entries <= 0) {
        if (f->data_len != 0) {
            set_err(err, errlen, "safetensors: %llu data bytes but no tensors",
                    (unsigned long long)f->data_len);
            return -1;
        }
        return 0;
    }
    StEntry **idx = malloc((size_t)f->n_entries * sizeof *idx);
    if (!idx) { set_err(err, errlen, "safetensors: out of memory"); return -1; }
    for (int i = 0; i < f->n_entries; i++) idx[i] = &f->entries[i];
    int rc = 0;
    qsort(idx, (size_t)f->n_entries, sizeof *idx, cmp_name);
    for (int i = 1; i < f->n_entries && !rc; i++)
        if (strcmp(idx[i - 1]->name, idx[i]->name) == 0) {
            set_err(err, errlen, "safetensors: tensor '%s' appears twice", idx[i]->name);
            rc = -1;
        }
    if (!rc) {
        qsort(idx, (size_t)f->n_entries, sizeof *idx, cmp_begin);
        uint64_t pos = 0;
        const StEntry *prev = NULL;
        for (int i = 0; i < f->n_entries && !rc; i++) {
            const StEntry *e = idx[i];
            if (e->begin < pos) {
                set_err(err, errlen, "safetensors: tensors '%s' and '%s' overlap", prev->name, e->name);
                rc = -1;
            } else if (e->begin > pos) {
                set_err(err, errlen, "safetensors: %llu unused bytes before tensor '%s'",
                        (unsigned long long)(e->begin - pos), e->name);
                rc = -1;
            }
            pos = e->end;
            prev = e;
        }
        if (!rc && pos != f->data_len) {
            set_err(err, errlen, "safetensors: %llu bytes after the last tensor",
                    (unsigned long long)(f->data_len - pos));
            rc = -1;
        }
    }
    free(idx);
    return rc;
}

int st_parse(StFile *f, const uint8_t *buf, size_t len, char *err, size_t errlen) {
    memset(f, 0, sizeof *f);
    if (err && errlen) err[0] = 0;
    if (len < 8) {
        set_err(err, errlen, "safetensors: file is %zu bytes, shorter than the 8-byte header length", len);
        return -1;
    }
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = (n << 8) | buf[i];
    if (n > ST_MAX_HEADER) {
        set_err(err, errlen, "safetensors: header length %llu is over the %llu-byte limit",
                (unsigned long long)n, (unsigned long long)ST_MAX_HEADER);
        return -1;
    }
    if (n > len - 8) {
        set_err(err, errlen, "safetensors: header length %llu is past the end of the file (%zu bytes; truncated?)",
                (unsigned long long)n, len);
        return -1;
    }
    if (n < 2) {
        set_err(err, errlen, "safetensors: header length %llu is too small for a JSON object",
                (unsigned long long)n);
        return -1;
    }
    f->header_len = n;
    f->data = buf + 8 + n;
    f->data_len = (uint64_t)(len - 8 - n);

    Cur c = {buf + 8, buf + 8, buf + 8 + n, err, errlen, 0};
    int cap_e = 0, cap_m = 0, have_meta = 0;
    if (peek(&c) != '{' || c.p != c.start) { fail(&c, "header does not start with '{'"); goto bad; }
    c.p++;
    if (peek(&c) == '}') c.p++;
    else for (;;) {
        char *key;
        if (parse_string(&c, &key)) goto bad;
        if (expect(&c, ':')) { free(key); goto bad; }
        if (strcmp(key, "__metadata__") == 0) {
            free(key);
            if (have_meta++) { fail(&c, "duplicate __metadata__"); goto bad; }
            if (parse_metadata(&c, f, &cap_m)) goto bad;
        } else {
            if (grow((void **)&f->entries, &cap_e, f->n_entries, sizeof(StEntry))) {
                free(key);
                fail(&c, "out of memory");
                goto bad;
            }
            StEntry *e = &f->entries[f->n_entries++];
            memset(e, 0, sizeof *e);
            e->name = key;
            if (parse_entry(&c, e)) {
                size_t k = err ? strlen(err) : 0;
                if (err && k + 1 < errlen && !strstr(err, "tensor '"))
                    snprintf(err + k, errlen - k, " (entry of tensor '%.60s')", e->name);
                goto bad;
            }
        }
        int ch = peek(&c);
        if (ch == ',') { c.p++; continue; }
        if (ch == '}') { c.p++; break; }
        fail(&c, ch < 0 ? "unexpected end of header (missing '}')" : "expected ',' or '}'");
        goto bad;
    }
    skip_ws(&c);
    if (c.p != c.end) { fail(&c, "trailing bytes after the JSON object"); goto bad; }
    if (check_layout(f, err, errlen)) goto bad;
    return 0;
bad:
    st_free(f);
    return -1;
}

const StEntry *st_find(const StFile *f, const char *name) {
    for (int i = 0; i < f->n_entries; i++)
        if (strcmp(f->entries[i].name, name) == 0) return &f->entries[i];
    return NULL;
}

const char *st_find_meta(const StFile *f, const char *key) {
    for (int i = 0; i < f->n_meta; i++)
        if (strcmp(f->meta[i].key, key) == 0) return f->meta[i].value;
    return NULL;
}

// ---- writer -----------------------------------------------------------------------------
typedef struct {
    char *s;
    size_t n, cap;
    int oom;
} Buf;

static void buf_put(Buf *b, const char *s, size_t k) {
    if (b->oom) return;
    if (b->n + k + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->n + k + 1) nc *= 2;
        char *t = realloc(b->s, nc);
        if (!t) { b->oom = 1; return; }
        b->s = t;
        b->cap = nc;
    }
    memcpy(b->s + b->n, s, k);
    b->n += k;
    b->s[b->n] = 0;
}
static void buf_str(Buf *b, const char *s) { buf_put(b, s, strlen(s)); }
static void buf_json_string(Buf *b, const char *s) {
    buf_put(b, "\"", 1);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') { char e[2] = {'\\', (char)ch}; buf_put(b, e, 2); }
        else if (ch < 0x20) { char e[8]; snprintf(e, sizeof e, "\\u%04x", ch); buf_put(b, e, 6); }
        else buf_put(b, (const char *)&ch, 1);
    }
    buf_put(b, "\"", 1);
}

int st_write(const StTensorIn *t, int n, const char *const *meta_kv, int n_meta,
             uint8_t **out, size_t *out_len, char *err, size_t errlen) {
    *out = NULL;
    *out_len = 0;
    Buf h = {0};
    char num[64];
    uint64_t off = 0;
    buf_str(&h, "{");
    if (n_meta > 0) {
        buf_str(&h, "\"__metadata__\":{");
        for (int i = 0; i < n_meta; i++) {
            if (i) buf_str(&h, ",");
            buf_json_string(&h, meta_kv[2 * i]);
            buf_str(&h, ":");
            buf_json_string(&h, meta_kv[2 * i + 1]);
        }
        buf_str(&h, "}");
    }
    for (int i = 0; i < n; i++) {
        if ((unsigned)t[i].dtype >= ST_NUM_DTYPES || t[i].ndim < 0 || t[i].ndim > ST_MAX_NDIM) {
            set_err(err, errlen, "safetensors: tensor '%s': bad dtype or ndim", t[i].name);
            free(h.s);
            return -1;
        }
        if (i || n_meta > 0) buf_str(&h, ",");
        buf_json_string(&h, t[i].name);
        buf_str(&h, ":{\"dtype\":\"");
        buf_str(&h, DTYPE_NAMES[t[i].dtype]);
        buf_str(&h, "\",\"shape\":[");
        uint64_t numel = 1;
        for (int d = 0; d < t[i].ndim; d++) {
            snprintf(num, sizeof num, d ? ",%llu" : "%llu", (unsigned long long)t[i].shape[d]);
            buf_str(&h, num);
            numel *= t[i].shape[d];
        }
        uint64_t nb = numel * DTYPE_SIZES[t[i].dtype];
        snprintf(num, sizeof num, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)off,
                 (unsigned long long)(off + nb));
        buf_str(&h, num);
        off += nb;
    }
    buf_str(&h, "}");
    while (!h.oom && (h.n % 8) != 0) buf_str(&h, " ");
    if (h.oom || off > SIZE_MAX - 8 - h.n) {
        set_err(err, errlen, "safetensors: out of memory");
        free(h.s);
        return -1;
    }
    size_t total = 8 + h.n + (size_t)off;
    uint8_t *o = malloc(total);
    if (!o) { set_err(err, errlen, "safetensors: out of memory"); free(h.s); return -1; }
    uint64_t hl = h.n;
    for (int i = 0; i < 8; i++) o[i] = (uint8_t)(hl >> (8 * i));
    memcpy(o + 8, h.s, h.n);
    size_t pos = 8 + h.n;
    for (int i = 0; i < n; i++) {
        uint64_t numel = 1;
        for (int d = 0; d < t[i].ndim; d++) numel *= t[i].shape[d];
        size_t nb = (size_t)(numel * DTYPE_SIZES[t[i].dtype]);
        if (nb) memcpy(o + pos, t[i].data, nb);
        pos += nb;
    }
    free(h.s);
    *out = o;
    *out_len = total;
    return 0;
}

// ---- half precision ---------------------------------------------------------------------
static float bits_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static uint32_t f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

float st_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1F, man = h & 0x3FF;
    if (exp == 0x1F) return bits_f32(sign | 0x7F800000u | (man << 13));        // inf / nan
    if (exp == 0) {
        if (man == 0) return bits_f32(sign);                                     // +-0
        float v = (float)man * (1.0f / 16777216.0f);                             // man * 2^-24
        return sign ? -v : v;
    }
    return bits_f32(sign | ((exp + 112) << 23) | (man << 13));
}

uint16_t st_f32_to_f16(float f) {
    uint32_t u = f32_bits(f);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000);
    uint32_t a = u & 0x7FFFFFFFu;
    if (a >= 0x7F800000u) return (uint16_t)(sign | 0x7C00 | (a > 0x7F800000u ? 0x200 : 0));
    if (a >= 0x477FF000u) return (uint16_t)(sign | 0x7C00);                     // rounds to inf
    if (a < 0x38800000u) {                                                       // subnormal or 0
        // value * 2^24 rounded to nearest even gives the subnormal mantissa
        float v = bits_f32(a) * 16777216.0f;
        uint32_t m = (uint32_t)v;
        float frac = v - (float)m;
        if (frac > 0.5f || (frac == 0.5f && (m & 1))) m++;
        return (uint16_t)(sign | m);
    }
    uint32_t exp = (a >> 23) - 112, man = a & 0x7FFFFF;
    uint32_t h = (exp << 10) | (man >> 13);
    uint32_t rest = man & 0x1FFF;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) h++;
    return (uint16_t)(sign | h);
}

float st_bf16_to_f32(uint16_t h) { return bits_f32((uint32_t)h << 16); }
