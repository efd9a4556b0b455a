// classes.h - the class names of a model and the train/test split of a labelled picture list.
//
// A model has N classes, CLASSES_MIN..CLASSES_MAX (2..10), label i named name[i]. Names are
// any UTF-8 (Chinese names work): 1..CLASS_NAME_MAX-1 bytes, no control characters, no '/' or
// '\\', not "." or ".." (a name is also an ImageFolder directory name). Two names that differ
// only in ASCII letter case are duplicates (folders "Cat" and "cat" collide on Windows and
// macOS), and so are equal names.
//
// In a safetensors file the names are the __metadata__ entry "classes": a JSON array of
// strings in label order, e.g. ["cat","dog","猫"] (non-ASCII raw or as \uXXXX escapes, as
// Python's json.dumps writes them). A file without "classes" whose fc2 has 10 outputs is a
// CIFAR-10 model (CIFAR_CLASSES); with another N and no "classes", the names are "class 0",
// "class 1", ... The CIFAR-10 list is never written, so CIFAR-10 files keep their bytes.
#ifndef EXCITE_CLASSES_H
#define EXCITE_CLASSES_H
#include <stddef.h>
#include <stdint.h>

enum { CLASSES_MIN = 2, CLASSES_MAX = 10, CLASS_NAME_MAX = 64,
       CLASSES_JSON_MAX = CLASSES_MAX * (6 * CLASS_NAME_MAX + 3) + 3 };
#define CLASSES_META_KEY "classes"

typedef struct {
    int n;
    char name[CLASSES_MAX][CLASS_NAME_MAX];
} ClassList;

void class_list_cifar(ClassList *c);                 // the 10 CIFAR-10 names
void class_list_numbered(ClassList *c, int n);       // "class 0" .. "class n-1"
int class_list_is_cifar(const ClassList *c);
int class_list_equal(const ClassList *a, const ClassList *b);
// One name as above: 0, or -1 with the reason in err.
int class_name_check(const char *name, char *err, size_t errlen);
// n in range, every name valid, no duplicates: 0, or -1 naming the problem.
int class_list_check(const ClassList *c, char *err, size_t errlen);
// names[0..n) into c, checked (class_list_check).
int class_list_set(ClassList *c, const char *const *names, int n, char *err, size_t errlen);
// The JSON form (out: CLASSES_JSON_MAX bytes always suffice). Returns 0, or -1 if it did not fit.
int class_list_to_json(const ClassList *c, char *out, size_t n);
// Parse the JSON form and check the list. 0, or -1 with a message.
int class_list_from_json(ClassList *c, const char *json, char *err, size_t errlen);

// ---- the split ----------------------------------------------------------------------------
// A seeded, stratified train/test split of n labelled pictures in their canonical order (the
// page's order and `excite train --images`'s: class by class in label order, each class's
// pictures in their order). For each class c = 0..N-1 in turn, with k pictures: its indices
// in list order are shuffled (Fisher-Yates, rng.h) by ONE generator seeded with
// seed ^ SPLIT_SEED_TAG and shared by the classes in label order; the first
// t = round(k * test_fraction) of the shuffled indices (half up, clamped to 1..k-1) are test
// pictures, the rest training pictures. train_idx and test_idx list them in list order
// (ascending indices), so both sets stay class by class. Every class needs at least 2
// pictures (one to train on, one to test). test_fraction in (0, 1).
// train_idx and test_idx need room for n ints each. Returns 0, or -1 with a message.
#define SPLIT_SEED_TAG 0x5B117E5700000000ull
int split_stratified(const uint8_t *labels, int n, const ClassList *classes, double test_fraction,
                     uint64_t seed, int *train_idx, int *n_train, int *test_idx, int *n_test,
                     char *err, size_t errlen);

#endif
