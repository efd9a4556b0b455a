// threads.c - serial placeholder of the worker pool (see threads.h).
#include "threads.h"

int threads_set(int n) { (void)n; return 1; }
int threads_get(void) { return 1; }
void parallel_for(int n, void (*fn)(void *ctx, int i), void *ctx) {
    for (int i = 0; i < n; i++) fn(ctx, i);
}
