// threads.h - a small worker pool for the native program and the threaded WebAssembly build.
// Work is split into independent items (GEMM tiles, images of a batch); results never
// depend on the number of threads.
#ifndef EXCITE_THREADS_H
#define EXCITE_THREADS_H
#include <stddef.h>

// Use n threads in total (the caller included); n <= 1 runs everything on the caller.
// Returns the number actually in use.
int threads_set(int n);
// n above threads_max() gives threads_max(). Threads, once started, stay: a smaller n lets
// the extra ones sleep. Call it (and parallel_for) from one thread only.
int threads_get(void);
// The most threads threads_set can give: in the threaded WebAssembly build, the threads
// started plus the free workers of Emscripten's pool; 1 in the other WebAssembly builds.
int threads_max(void);
// Calls fn(ctx, i) for i in [0, n), spread over the pool; returns when all are done.
void parallel_for(int n, void (*fn)(void *ctx, int i), void *ctx);

// Per-thread buffers: a 64-byte aligned buffer of at least n floats that belongs to the
// calling thread and its slot (THREAD_BUF_*), kept and reused (a larger n may move it, and
// the old contents are lost); NULL when out of memory. Freed when a pool worker exits.
enum { THREAD_BUF_CONV, THREAD_BUF_PACK_A, THREAD_BUF_PACK_B, THREAD_BUFS };
float *thread_buffer(int slot, size_t n);

// memset(p, 0, bytes) in fixed slices over the pool (large gradient buffers).
void parallel_zero(void *p, size_t bytes);

// dst[i] += src[t * stride + i] for t = 0 .. k-1 in that order, for i in [0, n), in fixed
// slices of i over the pool: the same sums as the serial loop, whatever the thread count
// (the per-slice partial weight gradients of the convolutions).
void parallel_add_slices(float *dst, const float *src, size_t stride, int k, size_t n);

// Profiling (bench/bench_model.c): while a ThreadsProfile is set, every outermost
// parallel_for adds its duration by clock() (seconds) to parallel, and to bound[k] that
// duration times ceil(n / p) / n for p = 2, 4, 8, 16 threads (k = 0..3): what the call
// would take on p threads if its n items took equal times. Meanwhile threads_get() says 16,
// so work split by the thread count (gemm) is cut as for 16 threads. NULL stops.
typedef struct {
    double parallel, bound[4];
    long calls;
} ThreadsProfile;
void threads_profile(ThreadsProfile *prof, double (*clock)(void));

#endif
