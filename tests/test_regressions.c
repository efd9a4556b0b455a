// test_regressions.c - replays every committed fuzz input, fuzz/regressions/<name>/ (inputs
// that once crashed) and fuzz/corpus/<name>/ (the seeds), through the same checks as the
// libFuzzer targets, built with the ordinary compiler: plain in test-c, under ASan + UBSan +
// LeakSanitizer in test-asan. So a crash found by `make fuzz` stays fixed even where clang
// is missing. The fuzz directory is ./fuzz (make runs from the repository root) or
// $EXCITE_FUZZ_DIR. argv[1] (the reference directory) is not used.
#define _POSIX_C_SOURCE 200809L
#define FUZZ_NO_ENTRY
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *g_current = "";   // the input being replayed, named when a check fails
#define FUZZ_CHECK(cond, what) do { if (!(cond)) { \
    fprintf(stderr, "FAIL %s: %s (%s:%d)\n", g_current, what, __FILE__, __LINE__); abort(); } } while (0)

#include "../fuzz/fuzz_safetensors.c"
#include "../fuzz/fuzz_cifar.c"
#include "../fuzz/fuzz_image.c"
#include "../fuzz/fuzz_checkpoint.c"
#include "../fuzz/fuzz_exif.c"

typedef struct {
    const char *name;
    int (*run)(const uint8_t *data, size_t size);
} Target;

static const Target TARGETS[] = {
    {"safetensors", fuzz_safetensors},
    {"cifar", fuzz_cifar},
    {"image", fuzz_image},
    {"checkpoint", fuzz_checkpoint},
    {"exif", fuzz_exif},
};

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

// Runs every regular file of dir (sorted, README* skipped); returns how many, or -1.
static int replay_dir(const Target *t, const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return 0;   // a target may have no regressions yet
    char **names = NULL;
    int n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strncmp(e->d_name, "README", 6) == 0) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **grown = realloc(names, (size_t)cap * sizeof *names);
            if (!grown) { fprintf(stderr, "out of memory\n"); exit(1); }
            names = grown;
        }
        names[n] = malloc(strlen(e->d_name) + 1);
        if (!names[n]) { fprintf(stderr, "out of memory\n"); exit(1); }
        strcpy(names[n++], e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    int done = 0;
    for (int i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        FILE *f = fopen(path, "rb");
        if (!f) { fprintf(stderr, "cannot open %s\n", path); done = -1; break; }
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fseek(f, 0, SEEK_SET);
        // An exact-size copy, as libFuzzer passes it, so a read past the end is caught.
        uint8_t *buf = malloc(len > 0 ? (size_t)len : 1);
        if (!buf || (len > 0 && fread(buf, 1, (size_t)len, f) != (size_t)len)) {
            fprintf(stderr, "cannot read %s\n", path);
            fclose(f); free(buf); done = -1; break;
        }
        fclose(f);
        g_current = path;
        t->run(buf, (size_t)len);   // a failed check aborts, naming the file
        free(buf);
        done++;
    }
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
    return done;
}

int main(int argc, char **argv) {
    (void)argc; (void)argv;
    const char *root = getenv("EXCITE_FUZZ_DIR");
    if (!root) root = "fuzz";
    int total = 0;
    for (size_t i = 0; i < sizeof TARGETS / sizeof TARGETS[0]; i++) {
        const Target *t = &TARGETS[i];
        int counts[2];
        const char *kinds[2] = {"regressions", "corpus"};
        for (int k = 0; k < 2; k++) {
            char dir[512];
            snprintf(dir, sizeof dir, "%s/%s/%s", root, kinds[k], t->name);
            counts[k] = replay_dir(t, dir);
            if (counts[k] < 0) return 1;
        }
        if (counts[1] == 0) {
            fprintf(stderr, "FAIL: no seeds in %s/corpus/%s (run from the repository root)\n", root, t->name);
            return 1;
        }
        printf("%-12s %3d regression inputs, %3d seeds: no crash, every check held\n", t->name,
               counts[0], counts[1]);
        total += counts[0] + counts[1];
    }
    fuzz_safetensors_cleanup();
    fuzz_cifar_cleanup();
    fuzz_image_cleanup();
    fuzz_checkpoint_cleanup();
    fuzz_exif_cleanup();
    printf("regressions: %d inputs replayed\n", total);
    return 0;
}
