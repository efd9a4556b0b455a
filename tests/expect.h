// expect.h - the C tests' CHECK(cond, fmt, ...): a false condition counts one failure in
// `failures` and prints where it is and why; main returns non-zero when failures > 0.
#ifndef EXCITE_EXPECT_H
#define EXCITE_EXPECT_H
#include <stdio.h>

static int failures = 0;
#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (!(cond)) {                                                     \
            failures++;                                                    \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);           \
            fprintf(stderr, __VA_ARGS__);                                  \
            fprintf(stderr, "\n");                                         \
        }                                                                  \
    } while (0)
#endif
