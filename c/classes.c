// classes.c - class names (checks, the JSON form of the "classes" metadata) and the seeded,
// stratified train/test split. See classes.h.
#include "classes.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cifar.h"
#include "errors.h"
#include "rng.h"

void class_list_cifar(ClassList *c) {
    memset(c, 0, sizeof *c);
    c->n = 10;
    for (int i = 0; i < 10; i++) snprintf(c->name[i], CLASS_NAME_MAX, "%s", CIFAR_CLASSES[i]);
}

void class_list_numbered(ClassList *c, int n) {
    memset(c, 0, sizeof *c);
    c->n = n < 0 ? 0 : n > CLASSES_MAX ? CLASSES_MAX : n;
    for (int i = 0; i < c->n; i++) snprintf(c->name[i], CLASS_NAME_MAX, "class %d", i);
}

int class_list_equal(const ClassList *a, const ClassList *b) {
    if (a->n != b->n) return 0;
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->name[i], b->name[i])) return 0;
    return 1;
}

int class_list_is_cifar(const ClassList *c) {
    ClassList k;
    class_list_cifar(&k);
    return class_list_equal(c, &k);
}

// Length of the UTF-8 sequence at s (1..4), or 0 if it is not valid UTF-8 (overlong forms,
// surrogates and code points above U+10FFFF are not).
static int utf8_len(const unsigned char *s) {
    unsigned c = s[0];
    if (c < 0x80) return 1;
    int n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (!n || c > 0xF4) return 0;
    unsigned cp = c & (0x3Fu >> (n - 1));
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

int class_name_check(const char *name, char *err, size_t errlen) {
    size_t len = strlen(name);
    if (len == 0) return set_err(err, errlen, "a class name is empty"), -1;
    if (len >= CLASS_NAME_MAX)
        return set_err(err, errlen, "class name \"%.40s...\" is longer than %d bytes", name,
                       CLASS_NAME_MAX - 1), -1;
    if (!strcmp(name, ".") || !strcmp(name, ".."))
        return set_err(err, errlen, "\"%s\" cannot be a class name", name), -1;
    for (const unsigned char *p = (const unsigned char *)name; *p;) {
        if (*p < 0x20 || *p == 0x7F)
            return set_err(err, errlen, "class name \"%.60s\" holds a control character", name), -1;
        if (*p == '/' || *p == '\\')
            return set_err(err, errlen, "class name \"%.60s\" holds '%c' (names are folder names)",
                           name, *p), -1;
        int n = utf8_len(p);
        if (!n) return set_err(err, errlen, "class name \"%.60s\" is not valid UTF-8", name), -1;
        p += n;
    }
    return 0;
}

static int same_folded(const char *a, const char *b) {
    for (; *a && *b; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
        char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
        if (x != y) return 0;
    }
    return *a == *b;
}

int class_list_check(const ClassList *c, char *err, size_t errlen) {
    if (c->n < CLASSES_MIN || c->n > CLASSES_MAX)
        return set_err(err, errlen, "%d class%s: a model has %d to %d classes", c->n,
                       c->n == 1 ? "" : "es", CLASSES_MIN, CLASSES_MAX), -1;
    for (int i = 0; i < c->n; i++) {
        if (class_name_check(c->name[i], err, errlen)) return -1;
        for (int j = 0; j < i; j++)
            if (same_folded(c->name[i], c->name[j]))
                return set_err(err, errlen, "duplicate class names \"%s\" and \"%s\" (names that "
                               "differ only in letter case count as the same)", c->name[j],
                               c->name[i]), -1;
    }
    return 0;
}

int class_list_set(ClassList *c, const char *const *names, int n, char *err, size_t errlen) {
    ClassList t;
    memset(&t, 0, sizeof t);
    if (n < CLASSES_MIN || n > CLASSES_MAX) {
        t.n = n;
        return class_list_check(&t, err, errlen);
    }
    t.n = n;
    for (int i = 0; i < n; i++) {
        if (!names[i] || strlen(names[i]) >= CLASS_NAME_MAX)
            return class_name_check(names[i] ? names[i] : "", err, errlen), -1;
        memcpy(t.name[i], names[i], strlen(names[i]) + 1);
    }
    if (class_list_check(&t, err, errlen)) return -1;
    *c = t;
    return 0;
}

int class_list_to_json(const ClassList *c, char *out, size_t n) {
    size_t k = 0;
#define PUT(ch) do { if (k + 1 >= n) return -1; out[k++] = (ch); } while (0)
    PUT('[');
    for (int i = 0; i < c->n; i++) {
        if (i) PUT(',');
        PUT('"');
        for (const char *p = c->name[i]; *p; p++) {
            if (*p == '"' || *p == '\\') PUT('\\');
            PUT(*p);
        }
        PUT('"');
    }
    PUT(']');
#undef PUT
    out[k] = 0;
    return 0;
}

static const char *skip_ws(const char *p) {
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    return p;
}

static int hex4(const char *p, unsigned *v) {
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char ch = p[i];
        int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
              : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
        if (d < 0) return -1;
        *v = *v << 4 | (unsigned)d;
    }
    return 0;
}

// One JSON string at *pp (after the opening quote) into out[CLASS_NAME_MAX]; 0 or -1.
static int parse_name(const char **pp, char *out, const char **why) {
    const char *p = *pp;
    size_t k = 0;
    for (;;) {
        unsigned cp;
        if (!*p) return *why = "unterminated string", -1;
        if (*p == '"') break;
        if (*p != '\\') {
            if (k + 1 >= CLASS_NAME_MAX) return *why = "a name is too long", -1;
            out[k++] = *p++;
            continue;
        }
        p++;
        switch (*p) {
        case '"': case '\\': case '/': cp = (unsigned char)*p; p++; break;
        case 'b': cp = 8; p++; break;
        case 'f': cp = 12; p++; break;
        case 'n': cp = 10; p++; break;
        case 'r': cp = 13; p++; break;
        case 't': cp = 9; p++; break;
        case 'u':
            if (hex4(p + 1, &cp)) return *why = "bad \\u escape", -1;
            p += 5;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (p[0] != '\\' || p[1] != 'u' || hex4(p + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                    return *why = "unpaired surrogate in a \\u escape", -1;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                p += 6;
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return *why = "unpaired surrogate in a \\u escape", -1;
            }
            break;
        default: return *why = "bad escape", -1;
        }
        unsigned char b[4];
        int nb = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        if (nb == 1) b[0] = (unsigned char)cp;
        else if (nb == 2) { b[0] = (unsigned char)(0xC0 | cp >> 6); b[1] = (unsigned char)(0x80 | (cp & 0x3F)); }
        else if (nb == 3) { b[0] = (unsigned char)(0xE0 | cp >> 12); b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F)); b[2] = (unsigned char)(0x80 | (cp & 0x3F)); }
        else { b[0] = (unsigned char)(0xF0 | cp >> 18); b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F)); b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F)); b[3] = (unsigned char)(0x80 | (cp & 0x3F)); }
        if (cp == 0) return *why = "a name holds a NUL character", -1;
        if (k + (size_t)nb >= CLASS_NAME_MAX) return *why = "a name is too long", -1;
        memcpy(out + k, b, (size_t)nb);
        k += (size_t)nb;
    }
    out[k] = 0;
    *pp = p + 1;
    return 0;
}

int class_list_from_json(ClassList *c, const char *json, char *err, size_t errlen) {
    ClassList t;
    memset(&t, 0, sizeof t);
    const char *p = skip_ws(json ? json : ""), *why = NULL;
    if (*p != '[') { why = "not a JSON array"; goto bad; }
    p = skip_ws(p + 1);
    if (*p != ']') {
        for (;;) {
            if (*p != '"') { why = "expected a string"; goto bad; }
            if (t.n >= CLASSES_MAX)
                return set_err(err, errlen, "more than %d classes: a model has %d to %d",
                               CLASSES_MAX, CLASSES_MIN, CLASSES_MAX), -1;
            p++;
            if (parse_name(&p, t.name[t.n], &why)) goto bad;
            t.n++;
            p = skip_ws(p);
            if (*p == ',') { p = skip_ws(p + 1); continue; }
            if (*p == ']') break;
            why = "expected ',' or ']'";
            goto bad;
        }
    }
    if (*skip_ws(p + 1)) { why = "text after the array"; goto bad; }
    if (class_list_check(&t, err, errlen)) return -1;
    *c = t;
    return 0;
bad:
    set_err(err, errlen, "the class names are not a JSON array of strings (%s)", why);
    return -1;
}

// ---- the split ----------------------------------------------------------------------------
int split_stratified(const uint8_t *labels, int n, const ClassList *classes, double test_fraction,
                     uint64_t seed, int *train_idx, int *n_train, int *test_idx, int *n_test,
                     char *err, size_t errlen) {
    *n_train = *n_test = 0;
    if (!(test_fraction > 0 && test_fraction < 1))
        return set_err(err, errlen, "the test fraction %g must be between 0 and 1", test_fraction), -1;
    int N = classes->n;
    for (int i = 0; i < n; i++)
        if (labels[i] >= N)
            return set_err(err, errlen, "picture %d has label %d; there are %d classes", i,
                           labels[i], N), -1;
    int *idx = malloc((size_t)(n > 0 ? n : 1) * sizeof *idx);
    uint8_t *is_test = calloc((size_t)(n > 0 ? n : 1), 1);
    if (!idx || !is_test) {
        free(idx); free(is_test);
        return set_err(err, errlen, "split: out of memory"), -1;
    }
    Rng r;
    rng_seed(&r, seed ^ SPLIT_SEED_TAG);
    for (int c = 0; c < N; c++) {
        int k = 0;
        for (int i = 0; i < n; i++)
            if (labels[i] == c) idx[k++] = i;
        if (k < 2) {
            set_err(err, errlen, "class \"%s\" has %d picture%s: each class needs at least 2 (one "
                    "to train on, one to test)", classes->name[c], k, k == 1 ? "" : "s");
            free(idx); free(is_test);
            return -1;
        }
        int t = (int)floor(k * test_fraction + 0.5);
        if (t < 1) t = 1;
        if (t > k - 1) t = k - 1;
        rng_shuffle(&r, idx, k);
        for (int j = 0; j < t; j++) is_test[idx[j]] = 1;
    }
    for (int i = 0; i < n; i++) {
        if (is_test[i]) test_idx[(*n_test)++] = i;
        else train_idx[(*n_train)++] = i;
    }
    free(idx);
    free(is_test);
    return 0;
}
