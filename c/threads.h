// threads.h - a small worker pool for the native program and the threaded WebAssembly build.
// Work is split into independent items (GEMM tiles, images of a batch); results never
// depend on the number of threads.
#ifndef EXCITE_THREADS_H
#define EXCITE_THREADS_H

// Use n threads in total (the caller included); n <= 1 runs everything on the caller.
// Returns the number actually in use.
int threads_set(int n);
int threads_get(void);
// Calls fn(ctx, i) for i in [0, n), spread over the pool; returns when all are done.
void parallel_for(int n, void (*fn)(void *ctx, int i), void *ctx);

#endif
