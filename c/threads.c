// threads.c - the worker pool behind parallel_for (see threads.h), over plain pthreads so the
// same code serves the native program and the threaded WebAssembly build (Emscripten
// -pthread). One job at a time: the caller publishes (fn, ctx, n), wakes the workers, and
// everybody, the caller included, takes items from a shared counter until none are left.
// Workers spin briefly before sleeping on a condition variable, so back-to-back jobs (the
// GEMMs of one training step) do not pay a wake-up each; the spin is short enough not to
// steal a shared core for long. A parallel_for called from inside an item runs serially.
// The pool only grows: threads_set(n) below the number started makes the extra workers
// sit out the jobs (asleep), since stopping and restarting threads is not possible
// synchronously in WebAssembly (a finished thread's worker returns to Emscripten's pool
// only through the event loop).
#include "threads.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__EMSCRIPTEN_PTHREADS__)
#include <emscripten.h>
// Workers of Emscripten's pre-started pool (-sPTHREAD_POOL_SIZE) not yet running a thread.
// A pthread_create beyond them would only start once this thread returned to the event
// loop, so a job waiting for it would never end: the pool grows at most by these.
EM_JS(int, free_pool_workers, (void), { return PThread.unusedWorkers.length; });
#endif

enum { MAX_THREADS = 64, SPIN_ITERS = 4000 }; // 4000 pauses: some 0.1 ms
// While profiling, threads_get() reports this many threads, so callers that size their
// split by it (gemm) cut their work as for 16 threads; everything still runs on the caller.
enum { PROFILE_PLAN = 16 };

static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t pool_done = PTHREAD_COND_INITIALIZER;
static pthread_t pool_threads[MAX_THREADS];
static int pool_size = 1;              // threads in use, the caller included
static int pool_started = 1;           // threads started, the caller included (>= pool_size)

// The current job. generation changes (under pool_mu) when a new job is published.
static atomic_uint job_generation;
static void (*job_fn)(void *ctx, int i);
static void *job_ctx;
static int job_workers;                // workers 1 .. job_workers take part in the job
static atomic_int job_busy;            // workers still inside the current job

static _Thread_local int in_parallel;  // nested parallel_for runs serially

static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

// Thread k of T (the caller is 0) starts on its own share of the items, [k n / T,
// (k + 1) n / T), the same share of every job: a thread keeps working on the same images from
// one pass to the next and finds them in its own cache (with two threads on cores that do
// not share a cache, taking items from one counter made the element-wise passes and batch
// norm barely faster than one thread). A thread done with its share takes the items left in
// the others', so a thread that is slowed down (another process on its core) holds nobody
// up. Which thread runs an item never changes its result.
typedef struct { _Alignas(64) atomic_int next; int end; } Share;
static Share job_share[MAX_THREADS];

static void run_items(void (*fn)(void *, int), void *ctx, int k, int T) {
    for (int d = 0; d < T; d++) {
        Share *sh = &job_share[(k + d) % T];
        for (;;) {
            int i = atomic_fetch_add_explicit(&sh->next, 1, memory_order_relaxed);
            if (i >= sh->end) break;
            fn(ctx, i);
        }
    }
}

static unsigned start_generation[MAX_THREADS]; // job_generation when worker i was started

static void *worker_main(void *arg) {
    int id = (int)(intptr_t)arg;        // 1 .. pool_started - 1
    in_parallel = 1;
    unsigned seen = start_generation[id];  // the jobs after it are this worker's
    int part = 1;                       // took part in the last job
    for (;;) {
        // Spin a little for the next job (only if taking part in jobs), then sleep.
        int spins = 0;
        while (part &&
               atomic_load_explicit(&job_generation, memory_order_acquire) == seen &&
               spins < SPIN_ITERS) {
            cpu_relax();
            spins++;
        }
        pthread_mutex_lock(&pool_mu);
        while (atomic_load(&job_generation) == seen)
            pthread_cond_wait(&pool_wake, &pool_mu);
        seen = atomic_load(&job_generation);
        void (*fn)(void *, int) = job_fn;
        void *ctx = job_ctx;
        part = id <= job_workers;
        pthread_mutex_unlock(&pool_mu);
        if (!part) continue;

        run_items(fn, ctx, id, job_workers + 1);

        if (atomic_fetch_sub_explicit(&job_busy, 1, memory_order_acq_rel) == 1) {
            pthread_mutex_lock(&pool_mu);
            pthread_cond_signal(&pool_done);
            pthread_mutex_unlock(&pool_mu);
        }
    }
    return NULL;
}

int threads_set(int n) {
    if (n < 1) n = 1;
    if (n > MAX_THREADS) n = MAX_THREADS;
    if (in_parallel) return pool_size;
#if defined(__EMSCRIPTEN_PTHREADS__)
    if (n > pool_started + free_pool_workers()) n = pool_started + free_pool_workers();
#endif
    while (pool_started < n) {
        start_generation[pool_started] = atomic_load(&job_generation);
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int rc = pthread_create(&pool_threads[pool_started], &attr, worker_main,
                                (void *)(intptr_t)pool_started);
        pthread_attr_destroy(&attr);
        if (rc != 0) break;
        pool_started++;
    }
    pool_size = n < pool_started ? n : pool_started;
    return pool_size;
}

int threads_max(void) {
#if defined(__EMSCRIPTEN_PTHREADS__)
    int m = pool_started + free_pool_workers();
    return m < MAX_THREADS ? m : MAX_THREADS;
#elif defined(__EMSCRIPTEN__)
    return 1;
#else
    return MAX_THREADS;
#endif
}

enum { ZERO_SLICE = 1 << 18 }; // bytes per item

typedef struct { unsigned char *p; size_t bytes; } ZeroJob;

static void zero_item(void *ctx, int t) {
    const ZeroJob *j = ctx;
    size_t lo = (size_t)t * ZERO_SLICE, len = j->bytes - lo < ZERO_SLICE ? j->bytes - lo : ZERO_SLICE;
    memset(j->p + lo, 0, len);
}

// ---- per-thread buffers ----------------------------------------------------------------
// Kept for the thread's lifetime; a pthread key's destructor frees them when a pool worker
// exits (threads_set shrinking the pool).
typedef struct { float *p[THREAD_BUFS]; size_t cap[THREAD_BUFS]; } ThreadBufs;
static _Thread_local ThreadBufs bufs;
static _Thread_local int bufs_registered;
static pthread_key_t bufs_key;
static pthread_once_t bufs_once = PTHREAD_ONCE_INIT;

static void bufs_free(void *p) {
    ThreadBufs *b = p;
    for (int i = 0; i < THREAD_BUFS; i++) {
        free(b->p[i]);
        b->p[i] = NULL;
        b->cap[i] = 0;
    }
}
static void bufs_key_init(void) { pthread_key_create(&bufs_key, bufs_free); }

float *thread_buffer(int slot, size_t n) {
    if (n > bufs.cap[slot]) {
        if (!bufs_registered) {
            pthread_once(&bufs_once, bufs_key_init);
            pthread_setspecific(bufs_key, &bufs);
            bufs_registered = 1;
        }
        free(bufs.p[slot]);
        bufs.p[slot] = aligned_alloc(64, (n * sizeof(float) + 63) & ~(size_t)63);
        bufs.cap[slot] = bufs.p[slot] ? n : 0;
    }
    return bufs.p[slot];
}

void parallel_zero(void *p, size_t bytes) {
    if (bytes < ZERO_SLICE) { memset(p, 0, bytes); return; }
    ZeroJob j = {p, bytes};
    parallel_for((int)((bytes + ZERO_SLICE - 1) / ZERO_SLICE), zero_item, &j);
}

enum { ADD_SLICE = 1 << 14 }; // floats per item

typedef struct { float *dst; const float *src; size_t stride, n; int k; } AddJob;

static void add_item(void *ctx, int t) {
    const AddJob *j = ctx;
    size_t lo = (size_t)t * ADD_SLICE, hi = j->n - lo < ADD_SLICE ? j->n : lo + ADD_SLICE;
    for (int s = 0; s < j->k; s++) {
        const float *src = j->src + s * j->stride;
        for (size_t i = lo; i < hi; i++) j->dst[i] += src[i];
    }
}

void parallel_add_slices(float *dst, const float *src, size_t stride, int k, size_t n) {
    AddJob j = {dst, src, stride, n, k};
    parallel_for((int)((n + ADD_SLICE - 1) / ADD_SLICE), add_item, &j);
}

static ThreadsProfile *profile;

int threads_get(void) { return profile ? PROFILE_PLAN : pool_size; }

static double (*profile_clock)(void);
static int profile_depth;

void threads_profile(ThreadsProfile *prof, double (*clock)(void)) {
    profile = clock ? prof : NULL;
    profile_clock = clock;
}

static void parallel_for_run(int n, void (*fn)(void *ctx, int i), void *ctx);

void parallel_for(int n, void (*fn)(void *ctx, int i), void *ctx) {
    if (!profile || profile_depth || in_parallel) {
        parallel_for_run(n, fn, ctx);
        return;
    }
    profile_depth = 1;
    double t0 = profile_clock();
    parallel_for_run(n, fn, ctx);
    double dt = profile_clock() - t0;
    profile_depth = 0;
    if (n <= 0) return;
    profile->parallel += dt;
    for (int k = 0; k < 4; k++) {
        int p = 2 << k;
        profile->bound[k] += dt * (double)((n + p - 1) / p) / (double)n;
    }
    profile->calls++;
}

static void parallel_for_run(int n, void (*fn)(void *ctx, int i), void *ctx) {
    if (n <= 0) return;
    if (pool_size <= 1 || n == 1 || in_parallel) {
        for (int i = 0; i < n; i++) fn(ctx, i);
        return;
    }
    int workers = pool_size - 1;
    pthread_mutex_lock(&pool_mu);
    job_workers = workers;
    job_fn = fn;
    job_ctx = ctx;
    for (int k = 0, T = workers + 1; k < T; k++) {
        atomic_store_explicit(&job_share[k].next, (int)((long long)n * k / T), memory_order_relaxed);
        job_share[k].end = (int)((long long)n * (k + 1) / T);
    }
    atomic_store(&job_busy, workers);
    atomic_fetch_add_explicit(&job_generation, 1, memory_order_release);
    pthread_cond_broadcast(&pool_wake);
    pthread_mutex_unlock(&pool_mu);

    in_parallel = 1;
    run_items(fn, ctx, 0, workers + 1);
    in_parallel = 0;

    // Wait for the workers to leave the job (they may still be finishing an item).
    int spins = 0;
    while (atomic_load_explicit(&job_busy, memory_order_acquire) > 0 && spins < SPIN_ITERS) {
        cpu_relax();
        spins++;
    }
    if (atomic_load(&job_busy) > 0) {
        pthread_mutex_lock(&pool_mu);
        while (atomic_load(&job_busy) > 0) pthread_cond_wait(&pool_done, &pool_mu);
        pthread_mutex_unlock(&pool_mu);
    }
}
