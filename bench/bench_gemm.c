// bench_gemm.c - GFLOP/s of gemm() on the model's GEMM shapes (batch 64), per kernel and
// thread count. Not a test: it prints figures and asserts nothing.
//   bench_gemm [threads] [kernel]    (kernel: a gemm_kernel_name_at() name; default all)
// Builds natively (build/bench/bench_gemm) and with emcc (build/bench/bench_gemm.js).
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "gemm.h"
#include "threads.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct { const char *what; int ta, tb, M, N, K, reps; } Shape;

// One training step of the CNN at batch 64, as the layers call gemm (conv per image,
// linear per batch): forward, weight gradient, input gradient.
static const Shape shapes[] = {
    {"conv1 fwd   W.col", 0, 0, 32, 1024, 27, 64},
    {"conv1 dW    dout.col^T", 0, 1, 32, 27, 1024, 64},
    {"conv2 fwd", 0, 0, 64, 256, 288, 64},
    {"conv2 dW", 0, 1, 64, 288, 256, 64},
    {"conv2 dcol  W^T.dout", 1, 0, 288, 256, 64, 64},
    {"conv3 fwd", 0, 0, 128, 64, 576, 64},
    {"conv3 dW", 0, 1, 128, 576, 64, 64},
    {"conv3 dcol", 1, 0, 576, 64, 128, 64},
    {"fc1 fwd     x.W^T", 0, 1, 64, 512, 2048, 1},
    {"fc1 dx      dout.W", 0, 0, 64, 2048, 512, 1},
    {"fc1 dW      dout^T.x", 1, 0, 512, 2048, 64, 1},
    {"conv1 fwd batched", 0, 0, 32, 65536, 27, 1},
    {"conv2 fwd batched", 0, 0, 64, 16384, 288, 1},
    {"conv3 fwd batched", 0, 0, 128, 4096, 576, 1},
};

int main(int argc, char **argv) {
    int nt = argc > 1 ? atoi(argv[1]) : 1;
    const char *only = argc > 2 ? argv[2] : NULL;
    setvbuf(stdout, NULL, _IOLBF, 0);
    threads_set(nt);
    size_t maxa = 0, maxb = 0, maxc = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        const Shape *p = &shapes[s];
        if ((size_t)p->M * p->K > maxa) maxa = (size_t)p->M * p->K;
        if ((size_t)p->K * p->N > maxb) maxb = (size_t)p->K * p->N;
        if ((size_t)p->M * p->N > maxc) maxc = (size_t)p->M * p->N;
    }
    float *A = malloc(maxa * 4), *B = malloc(maxb * 4), *C = malloc(maxc * 4);
    if (!A || !B || !C) return 1;
    for (size_t i = 0; i < maxa; i++) A[i] = (float)(i % 7) * 0.1f - 0.3f;
    for (size_t i = 0; i < maxb; i++) B[i] = (float)(i % 5) * 0.1f - 0.2f;
    memset(C, 0, maxc * 4);
    for (int k = 0; k < gemm_num_kernels(); k++) {
        const char *name = gemm_kernel_name_at(k);
        if (only && strcmp(only, name)) continue;
        gemm_select(name);
        printf("kernel %s, %d thread(s)\n", name, threads_get());
        double total_flop = 0, total_t = 0;
        for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
            const Shape *p = &shapes[s];
            int lda = p->ta ? p->M : p->K, ldb = p->tb ? p->K : p->N;
            // Best single call over several passes, times the calls per step: on a shared
            // machine the fastest call is the one nobody else interrupted.
            double best = 1e30;
            for (int rep = 0; rep < 4 * p->reps + 8; rep++) {
                double t0 = now();
                gemm(p->ta, p->tb, p->M, p->N, p->K, A, lda, B, ldb, C, p->N, 0);
                double t = now() - t0;
                if (rep >= 2 && t < best) best = t; // the first calls are warm-up
            }
            best *= p->reps;
            double flop = 2.0 * p->M * p->N * p->K * p->reps;
            if (s < 11) { total_flop += flop; total_t += best; }
            printf("  %-24s %c%c M=%-4d N=%-5d K=%-5d x%-3d %8.3f ms %7.1f GFLOP/s\n", p->what,
                   p->ta ? 'T' : 'N', p->tb ? 'T' : 'N', p->M, p->N, p->K, p->reps,
                   best * 1e3, flop / best * 1e-9);
        }
        printf("  one training step's GEMMs (per image conv): %.2f ms, %.1f GFLOP/s\n",
               total_t * 1e3, total_flop / total_t * 1e-9);
    }
    free(A); free(B); free(C);
    return 0;
}
