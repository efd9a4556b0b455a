// cli_images.c - an ImageFolder directory as a labelled dataset, and the train/test split of
// classes.h as two datasets (cli.h describes the rules).
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"

typedef struct {
    char **v;
    int n, cap;
} Names;

static int names_add(Names *l, const char *s) {
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 64;
        char **v = realloc(l->v, (size_t)cap * sizeof *v);
        if (!v) return -1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n] = strdup(s);
    return l->v[l->n] ? (l->n++, 0) : -1;
}
static void names_free(Names *l) {
    for (int i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}
static int by_bytes(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int has_image_ext(const char *name) {
    const char *dot = strrchr(name, '.');
    if (!dot) return 0;
    char ext[8] = "";
    size_t n = strlen(dot + 1);
    if (n >= sizeof ext) return 0;
    for (size_t i = 0; i <= n; i++) {
        char c = dot[1 + i];
        ext[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    return !strcmp(ext, "png") || !strcmp(ext, "jpg") || !strcmp(ext, "jpeg");
}

// The entries of dir (without "." and ".."), sorted in byte order: subdirectories in dirs,
// the rest in files. 0, or -1 (printed).
static int list_dir(const char *dir, Names *dirs, Names *files) {
    DIR *d = opendir(dir);
    if (!d) return fail(-1, "%s: cannot open the folder (%s)", dir, strerror(errno));
    struct dirent *e;
    char path[4096];
    int rc = 0;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        Names *to = is_dir(path) ? dirs : files;
        if (to && names_add(to, e->d_name)) { rc = fail(-1, "out of memory listing %s", dir); break; }
    }
    closedir(d);
    if (dirs && dirs->n > 1) qsort(dirs->v, (size_t)dirs->n, sizeof *dirs->v, by_bytes);
    if (files && files->n > 1) qsort(files->v, (size_t)files->n, sizeof *files->v, by_bytes);
    return rc;
}

// Append one decoded picture to d (grown as needed).
static int dataset_push(Dataset *d, int *cap, const uint8_t *img, int label) {
    if (d->n == *cap) {
        int nc = *cap ? 2 * *cap : 256;
        uint8_t *im = realloc(d->images, (size_t)nc * IMG_SIZE), *lb;
        if (!im) return -1;
        d->images = im;
        lb = realloc(d->labels, (size_t)nc);
        if (!lb) return -1;
        d->labels = lb;
        *cap = nc;
    }
    memcpy(d->images + (size_t)d->n * IMG_SIZE, img, IMG_SIZE);
    d->labels[d->n++] = (uint8_t)label;
    return 0;
}

int imagefolder_load(const char *dir, Dataset *d, ClassList *classes, int quiet) {
    memset(d, 0, sizeof *d);
    memset(classes, 0, sizeof *classes);
    Names dirs = {0}, files = {0};
    if (list_dir(dir, &dirs, &files)) return -1;
    int rc = -1, cap = 0, skipped = 0;
    char err[512];
    for (int i = 0; i < files.n; i++)
        if (files.v[i][0] != '.' && !quiet)
            fprintf(stderr, "excite: warning: %s/%s skipped: not in a class folder\n", dir, files.v[i]);
    // hidden folders (".git", "__MACOSX" is not hidden but holds no pictures of ours) are skipped
    int nd = 0;
    for (int i = 0; i < dirs.n; i++)
        if (dirs.v[i][0] != '.') dirs.v[nd++] = dirs.v[i];
        else free(dirs.v[i]);
    dirs.n = nd;
    if (nd < CLASSES_MIN || nd > CLASSES_MAX) {
        fail(1, "%s: %d class folder%s; an ImageFolder directory needs %d to %d (DIR/<class>/"
             "<picture>.png|jpg)%s", dir, nd, nd == 1 ? "" : "s", CLASSES_MIN, CLASSES_MAX,
             nd > CLASSES_MAX ? ": merge or remove some" : nd == 1 ? ": add another class" : "");
        goto done;
    }
    classes->n = nd;
    for (int c = 0; c < nd; c++) {
        if (class_name_check(dirs.v[c], err, sizeof err)) { fail(1, "%s: %s", dir, err); goto done; }
        snprintf(classes->name[c], CLASS_NAME_MAX, "%s", dirs.v[c]);
    }
    if (class_list_check(classes, err, sizeof err)) { fail(1, "%s: %s", dir, err); goto done; }
    for (int c = 0; c < nd; c++) {
        char cdir[4096];
        snprintf(cdir, sizeof cdir, "%s/%s", dir, dirs.v[c]);
        Names pics = {0}, sub = {0};
        if (list_dir(cdir, &sub, &pics)) goto done;
        for (int i = 0; i < sub.n; i++)
            if (sub.v[i][0] != '.' && !quiet)
                fprintf(stderr, "excite: warning: %s/%s/ skipped: folders inside a class folder "
                        "are not read\n", cdir, sub.v[i]);
        names_free(&sub);
        int before = d->n;
        for (int i = 0; i < pics.n; i++) {
            const char *name = pics.v[i];
            if (name[0] == '.') continue;
            char path[4200];
            snprintf(path, sizeof path, "%s/%s", cdir, name);
            if (!has_image_ext(name)) {
                if (!quiet) fprintf(stderr, "excite: warning: %s skipped: not a .png, .jpg or .jpeg file\n", path);
                skipped++;
                continue;
            }
            uint8_t *buf = NULL, img[IMG_SIZE];
            size_t len = 0;
            int bad = read_all(path, &buf, &len, err, sizeof err);
            if (!bad && len == 0) { bad = 1; snprintf(err, sizeof err, "the file is empty (0 bytes)"); }
            if (!bad) bad = image_decode_32(img, buf, len, NULL, err, sizeof err) != IMAGE_OK;
            free(buf);
            if (bad) {
                if (!quiet) fprintf(stderr, "excite: warning: %s skipped: %s\n", path, err);
                skipped++;
                continue;
            }
            if (dataset_push(d, &cap, img, c)) {
                names_free(&pics);
                fail(1, "out of memory reading %s", dir);
                goto done;
            }
        }
        names_free(&pics);
        if (d->n == before) {
            fail(1, "%s: class \"%s\" has no picture (.png, .jpg or .jpeg that decodes)", dir,
                 classes->name[c]);
            goto done;
        }
    }
    if (skipped && !quiet) fprintf(stderr, "excite: %d file%s skipped in %s\n", skipped, skipped == 1 ? "" : "s", dir);
    rc = 0;
done:
    names_free(&dirs);
    names_free(&files);
    if (rc) dataset_free(d);
    return rc;
}

static int take(Dataset *out, const Dataset *all, const int *idx, int n) {
    out->n = n;
    out->labels = malloc((size_t)(n ? n : 1));
    out->images = malloc((size_t)(n ? n : 1) * IMG_SIZE);
    if (!out->labels || !out->images) return -1;
    for (int i = 0; i < n; i++) {
        out->labels[i] = all->labels[idx[i]];
        memcpy(out->images + (size_t)i * IMG_SIZE, all->images + (size_t)idx[i] * IMG_SIZE, IMG_SIZE);
    }
    return 0;
}

int imagefolder_split(const Dataset *all, const ClassList *classes, double test_fraction,
                      uint64_t seed, Dataset *train, Dataset *test) {
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    int *tr = malloc((size_t)(all->n ? all->n : 1) * sizeof *tr);
    int *te = malloc((size_t)(all->n ? all->n : 1) * sizeof *te);
    int ntr = 0, nte = 0, rc = 0;
    char err[400];
    if (!tr || !te) rc = fail(-1, "out of memory for the split");
    else if (split_stratified(all->labels, all->n, classes, test_fraction, seed, tr, &ntr, te, &nte,
                              err, sizeof err))
        rc = fail(-1, "%s", err);
    else if (take(train, all, tr, ntr) || take(test, all, te, nte))
        rc = fail(-1, "out of memory for the split");
    free(tr);
    free(te);
    if (rc) { dataset_free(train); dataset_free(test); }
    return rc;
}
