// cli.h - the parts of the command-line program `excite` (c/main.c dispatches to the commands;
// c/cli_*.c). The only code of the core that prints and exits; everything else returns a status.
#ifndef EXCITE_CLI_H
#define EXCITE_CLI_H
#include <stddef.h>
#include <stdint.h>
#include "cifar.h"
#include "classes.h"
#include "gemm.h"
#include "image.h"
#include "model.h"
#include "safetensors.h"
#include "threads.h"
#include "train.h"

// "excite: <message>" on stderr; returns status.
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
int fail(int status, const char *fmt, ...);
double now_seconds(void);
// A whole file into *out (malloc'ed); 0, or -1 with a message naming the file in err.
int read_all(const char *path, uint8_t **out, size_t *len, char *err, size_t errlen);
// Writes n bytes to path; on failure prints why and returns -1.
int write_bytes(const char *path, const uint8_t *bytes, size_t n);

// Options: next_opt splits argv into options (with values) and positional arguments.
typedef struct {
    int argc;
    char **argv;
    int i;
    const char *name;   // current option without "--"
    const char *value;  // its value (after '=' or the next argument), NULL for flags
} Args;
// flags: option names that take no value, separated by '|' (e.g. "|augment|half|").
// 1: an option or positional (*positional set), 0: done, -1: bad usage (printed).
int next_opt(Args *a, const char *flags, const char **positional);
int parse_int(const char *opt, const char *v, long lo, long hi, int *out);   // prints on failure
int parse_kind(const char *v, int *kind);
const char *data_dir(const char *given);   // --data, else $CIFAR10_DIR, else data/cifar10
int default_threads(void);
// A model from a weights file or checkpoint (kind < 0: from the file); NULL: message printed.
Model *load_weights(const char *path, int kind, int max_batch);

void print_eval(const EvalResult *r, const char *set);
// A class name in cols terminal columns (wide CJK characters count 2), padded with spaces on
// the right (left) or the left; cut: cut a longer name at a character boundary.
void print_cols(const char *name, int cols, int left, int cut);
void print_eval_details(const EvalResult *r, const ClassList *names);

// ---- ImageFolder (cli_images.c) -------------------------------------------------------------
// DIR/<class>/<picture>: the classes are the subdirectories, sorted by name in byte order
// (UTF-8: code-point order, as torchvision's ImageFolder sorts them); a class's pictures are
// its .png, .jpg and .jpeg files (any letter case), sorted by file name in byte order (as
// ImageFolder; the page exports zero-padded names, 0001.png, 0002.png, ..., so this is their
// numeric order). Each picture goes through c/image.c as `excite predict` (EXIF orientation,
// centre crop, area average to 32x32). Skipped with a warning naming the file: a file with
// another extension (hidden files, names starting with '.', are skipped silently), a file
// directly in DIR, a picture that does not decode (0 bytes, not PNG/JPEG, corrupt) or is larger
// than IMAGE_MAX_PIXELS. Errors: fewer than 2 or more than 10 classes, a class name that is
// not valid (classes.h), duplicate names (ignoring ASCII case), a class left with no picture.
// d: (n, 3, 32, 32) bytes and labels in canonical order (class by class); 0, or -1 (printed).
int imagefolder_load(const char *dir, Dataset *d, ClassList *classes, int quiet);
// The split of classes.h into two datasets (copies, in list order). 0, or -1 (printed).
int imagefolder_split(const Dataset *all, const ClassList *classes, double test_fraction,
                      uint64_t seed, Dataset *train, Dataset *test);

int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_info(int argc, char **argv);

#endif
