// gemm.c - the scalar reference GEMM, and the blocked, packed GEMM every fast kernel plugs
// into (see gemm.h). The register-tile micro-kernels live in c/gemm_<isa>.c; this file
// packs op(A) and op(B) into the panels they read (zero-padded to whole tiles, so edges
// need no special micro-kernel), walks the cache blocks, and splits the M/N tiles over the
// thread pool. K is blocked (KC) but never split between threads, and each element's sum
// runs in the same order whatever the split, so results do not depend on the thread count.
// Packing buffers are per thread, allocated on first use and kept.
#include "gemm.h"
#include "gemm_kernels.h"
#include "threads.h"
#include <stdlib.h>
#include <string.h>

void gemm_ref(int transA, int transB, int M, int N, int K,
              const float *A, int lda, const float *B, int ldb,
              float *C, int ldc, int accumulate) {
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < N; j++) {
            float sum = 0.0f;
            for (int k = 0; k < K; k++) {
                float a = transA ? A[(long)k * lda + i] : A[(long)i * lda + k];
                float b = transB ? B[(long)j * ldb + k] : B[(long)k * ldb + j];
                sum += a * b;
            }
            C[(long)i * ldc + j] = accumulate ? C[(long)i * ldc + j] + sum : sum;
        }
    }
}

// ---- portable scalar micro-kernel (4 x 8) ----------------------------------------------
void gemm_micro_scalar_4x8(int kc, const float *a, const float *b, float *c, long ldc,
                           int load_c) {
    float acc[4][8] = {{0}};
    for (int k = 0; k < kc; k++) {
        for (int i = 0; i < 4; i++) {
            float ai = a[i];
            for (int j = 0; j < 8; j++) acc[i][j] += ai * b[j];
        }
        a += 4;
        b += 8;
    }
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++)
            c[i * ldc + j] = load_c ? c[i * ldc + j] + acc[i][j] : acc[i][j];
}

// ---- kernel table ----------------------------------------------------------------------
// mr x nr register tile; kc x nc block of packed B (L2/L3), mc x kc block of packed A (L2).
typedef struct {
    const char *name;
    int mr, nr, kc, mc, nc;
    GemmMicroKernel fn;
    GemmPackT pack_t; // NULL: the packers' scalar transposing loops
    int pack_t_rows;  // pack_t handles row counts that are multiples of this
    GemmDot dot;      // NULL: gemm_dot_scalar
    GemmDotRows dotn; // NULL: one dot product at a time
    int dot_n;        // dotn's dot products per call
    int fma;          // 1: fused multiply-add (one rounding per step), 0: multiply, then add
} Kernel;

enum { MAX_TILE = 8 * 32 };

static const Kernel kernels[] = {
#if defined(__wasm_simd128__)
    {"wasm-simd128", 4, 8, 256, 64, 1024, gemm_micro_wasm_4x8, gemm_pack_t_wasm, 4, gemm_dot_wasm,
     gemm_dot3_wasm, 3, 0},
#endif
#if defined(__x86_64__) && !defined(__wasm__)
    {"avx512", 8, 32, 256, 128, 2048, gemm_micro_avx512_8x32, gemm_pack_t_avx2, 8, NULL,
     gemm_dot4_sse, 4, 1},
    {"avx2", 6, 16, 256, 120, 1024, gemm_micro_avx2_6x16, gemm_pack_t_avx2, 8, NULL, gemm_dot4_sse,
     4, 1},
#endif
    {"scalar", 4, 8, 256, 64, 1024, gemm_micro_scalar_4x8, NULL, 1, NULL, NULL, 1, 0},
};
enum { NUM_KERNELS = sizeof kernels / sizeof kernels[0] };

static int kernel_usable(const Kernel *k) {
#if defined(__x86_64__) && !defined(__wasm__)
    __builtin_cpu_init();
    if (k->fn == gemm_micro_avx512_8x32)
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
    if (k->fn == gemm_micro_avx2_6x16)
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    (void)k;
    return 1;
}

static const Kernel *forced_kernel; // set by gemm_select (tests, benchmarks)

static const Kernel *pick_kernel(void) {
    if (forced_kernel) return forced_kernel;
    for (int i = 0; i < NUM_KERNELS; i++)
        if (kernel_usable(&kernels[i])) return &kernels[i];
    return &kernels[NUM_KERNELS - 1];
}

const char *gemm_kernel_name(void) { return pick_kernel()->name; }
int gemm_kernel_fma(void) { return pick_kernel()->fma; }

int gemm_num_kernels(void) {
    int n = 0;
    for (int i = 0; i < NUM_KERNELS; i++) n += kernel_usable(&kernels[i]);
    return n;
}

const char *gemm_kernel_name_at(int i) {
    for (int j = 0; j < NUM_KERNELS; j++)
        if (kernel_usable(&kernels[j]) && i-- == 0) return kernels[j].name;
    return NULL;
}

int gemm_select(const char *name) {
    if (!name || !strcmp(name, "auto")) { forced_kernel = NULL; return 0; }
    for (int i = 0; i < NUM_KERNELS; i++)
        if (!strcmp(name, kernels[i].name) && kernel_usable(&kernels[i])) {
            forced_kernel = &kernels[i];
            return 0;
        }
    return -1;
}

// ---- packing ---------------------------------------------------------------------------
// Ap: ceil(mc/MR) panels of kc x MR; rows past mc are zero.
static void pack_a(float *Ap, const float *A, int lda, int transA, int i0, int mc, int k0,
                   int kc, int MR, GemmPackT pack_t, int pt) {
    for (int p = 0; p < mc; p += MR) {
        float *dst = Ap + (size_t)p * kc;
        int rows = mc - p < MR ? mc - p : MR;
        if (!transA && pack_t && rows == MR && MR % pt == 0) {
            pack_t(dst, MR, A + (size_t)(i0 + p) * lda + k0, lda, MR, kc);
        } else if (!transA) {
            for (int i = 0; i < rows; i++) {
                const float *src = A + (size_t)(i0 + p + i) * lda + k0;
                for (int k = 0; k < kc; k++) dst[k * MR + i] = src[k];
            }
            for (int i = rows; i < MR; i++)
                for (int k = 0; k < kc; k++) dst[k * MR + i] = 0.0f;
        } else {
            for (int k = 0; k < kc; k++) {
                const float *src = A + (size_t)(k0 + k) * lda + i0 + p;
                float *d = dst + k * MR;
                for (int i = 0; i < rows; i++) d[i] = src[i];
                for (int i = rows; i < MR; i++) d[i] = 0.0f;
            }
        }
    }
}

// Bp: ceil(nc/NR) panels of kc x NR; columns past nc are zero.
static void pack_b(float *Bp, const float *B, int ldb, int transB, int k0, int kc, int j0,
                   int nc, int NR, GemmPackT pack_t, int pt) {
    for (int q = 0; q < nc; q += NR) {
        float *dst = Bp + (size_t)q * kc;
        int cols = nc - q < NR ? nc - q : NR;
        if (!transB) {
            for (int k = 0; k < kc; k++) {
                const float *src = B + (size_t)(k0 + k) * ldb + j0 + q;
                float *d = dst + k * NR;
#if defined(__wasm__)
                for (int j = 0; j < cols; j++) d[j] = src[j]; // a call per 8 floats costs more
#else
                memcpy(d, src, sizeof(float) * cols);
#endif
                for (int j = cols; j < NR; j++) d[j] = 0.0f;
            }
        } else if (pack_t && cols == NR && NR % pt == 0) {
            pack_t(dst, NR, B + (size_t)(j0 + q) * ldb + k0, ldb, NR, kc);
        } else {
            for (int j = 0; j < cols; j++) {
                const float *src = B + (size_t)(j0 + q + j) * ldb + k0;
                for (int k = 0; k < kc; k++) dst[k * NR + j] = src[k];
            }
            for (int j = cols; j < NR; j++)
                for (int k = 0; k < kc; k++) dst[k * NR + j] = 0.0f;
        }
    }
}

// ---- the blocked GEMM on a sub-block of C ----------------------------------------------
typedef struct {
    const Kernel *kern;
    int transA, transB, M, N, K;
    const float *A, *B;
    float *C;
    int lda, ldb, ldc, accumulate;
    int split_n, parts, tiles; // how the tiles are shared between work items
} Job;

static void gemm_block(const Job *g, int m0, int m1, int n0, int n1) {
    const Kernel *kn = g->kern;
    const int MR = kn->mr, NR = kn->nr;
    const int KC = kn->kc, MC = kn->mc, NC = kn->nc;
    int kc_max = g->K < KC ? g->K : KC;
    float *Ap = thread_buffer(THREAD_BUF_PACK_A, (size_t)MC * kc_max);
    float *Bp = thread_buffer(THREAD_BUF_PACK_B, (size_t)NC * kc_max);
    if (!Ap || !Bp) { // out of memory: fall back to the reference on this block
        for (int i = m0; i < m1; i++) {
            const float *Ai = g->transA ? g->A + i : g->A + (size_t)i * g->lda;
            gemm_ref(g->transA, g->transB, 1, n1 - n0, g->K, Ai, g->lda,
                     g->transB ? g->B + (size_t)n0 * g->ldb : g->B + n0, g->ldb,
                     g->C + (size_t)i * g->ldc + n0, g->ldc, g->accumulate);
        }
        return;
    }
    _Alignas(64) float tmp[MAX_TILE];
    for (int jc = n0; jc < n1; jc += NC) {
        int nc = n1 - jc < NC ? n1 - jc : NC;
        for (int pc = 0; pc < g->K; pc += KC) {
            int kc = g->K - pc < KC ? g->K - pc : KC;
            int load_c = g->accumulate || pc > 0;
            pack_b(Bp, g->B, g->ldb, g->transB, pc, kc, jc, nc, NR, kn->pack_t, kn->pack_t_rows);
            for (int ic = m0; ic < m1; ic += MC) {
                int mc = m1 - ic < MC ? m1 - ic : MC;
                pack_a(Ap, g->A, g->lda, g->transA, ic, mc, pc, kc, MR, kn->pack_t, kn->pack_t_rows);
                for (int jr = 0; jr < nc; jr += NR) {
                    int nr = nc - jr < NR ? nc - jr : NR;
                    const float *bp = Bp + (size_t)jr * kc;
                    for (int ir = 0; ir < mc; ir += MR) {
                        int mr = mc - ir < MR ? mc - ir : MR;
                        const float *ap = Ap + (size_t)ir * kc;
                        float *c = g->C + (size_t)(ic + ir) * g->ldc + jc + jr;
                        if (mr == MR && nr == NR) {
                            kn->fn(kc, ap, bp, c, g->ldc, load_c);
                        } else {
                            kn->fn(kc, ap, bp, tmp, NR, 0);
                            for (int i = 0; i < mr; i++)
                                for (int j = 0; j < nr; j++)
                                    c[(size_t)i * g->ldc + j] = load_c
                                        ? c[(size_t)i * g->ldc + j] + tmp[i * NR + j]
                                        : tmp[i * NR + j];
                        }
                    }
                }
            }
        }
    }
}

// Work item t of g->parts: an equal share of whole tiles along N or M.
static void gemm_part(void *ctx, int t) {
    const Job *g = ctx;
    int lo = (int)((long)g->tiles * t / g->parts), hi = (int)((long)g->tiles * (t + 1) / g->parts);
    if (lo == hi) return;
    if (g->split_n) {
        int NR = g->kern->nr, n0 = lo * NR, n1 = hi * NR < g->N ? hi * NR : g->N;
        gemm_block(g, 0, g->M, n0, n1);
    } else {
        int MR = g->kern->mr, m0 = lo * MR, m1 = hi * MR < g->M ? hi * MR : g->M;
        gemm_block(g, m0, m1, 0, g->N);
    }
}

// ---- operands packed by the caller (see gemm.h) -----------------------------------------
void gemm_tile_shape(int *mr, int *nr) {
    const Kernel *k = pick_kernel();
    *mr = k->mr;
    *nr = k->nr;
}

void gemm_pack_a(float *Ap, const float *A, int lda, int M, int K) {
    const Kernel *kn = pick_kernel();
    if (M > 0 && K > 0) pack_a(Ap, A, lda, 0, 0, M, 0, K, kn->mr, kn->pack_t, kn->pack_t_rows);
}

void gemm_prepacked(int M, int N, int K, const float *Ap, const float *Bp, float *C, int ldc) {
    const Kernel *kn = pick_kernel();
    const int MR = kn->mr, NR = kn->nr;
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {
        for (int i = 0; i < M; i++) memset(C + (size_t)i * ldc, 0, sizeof(float) * N);
        return;
    }
    _Alignas(64) float tmp[MAX_TILE];
    for (int pc = 0; pc < K; pc += kn->kc) { // K in blocks, so a panel's block stays in L1
        int kc = K - pc < kn->kc ? K - pc : kn->kc, load_c = pc > 0;
        for (int jr = 0; jr < N; jr += NR) {
            int nr = N - jr < NR ? N - jr : NR;
            const float *bp = Bp + (size_t)jr * K + (size_t)pc * NR;
            for (int ir = 0; ir < M; ir += MR) {
                int mr = M - ir < MR ? M - ir : MR;
                const float *ap = Ap + (size_t)ir * K + (size_t)pc * MR;
                float *c = C + (size_t)ir * ldc + jr;
                if (mr == MR && nr == NR) {
                    kn->fn(kc, ap, bp, c, ldc, load_c);
                } else {
                    kn->fn(kc, ap, bp, tmp, NR, 0);
                    for (int i = 0; i < mr; i++)
                        for (int j = 0; j < nr; j++)
                            c[(size_t)i * ldc + j] = load_c ? c[(size_t)i * ldc + j] + tmp[i * NR + j]
                                                            : tmp[i * NR + j];
                }
            }
        }
    }
}

// ---- a few rows times B^T: dot products, no packing ------------------------------------
// For M <= GEMV_MAX_M with op(A) = A and op(B) = B^T (a linear layer on one image), every
// element is a contiguous dot product; packing B would copy all of it for one use. Each
// dot product runs eight interleaved partial sums added in a fixed order (the SIMD128
// version keeps them in two f32x4 registers, so it gives the same bits). The fast kernels
// take several dot products at once, each with the same bits: x86 four (gemm_dot4_sse;
// natively fc1 on one image 0.080 -> 0.060 ms), SIMD128 three (gemm_dot3_wasm; V8 has 16
// vector registers on x64: four rows spill, 0.127 ms against one row's 0.094, three rows
// 0.078 ms, fc1's 512 x 2048 product, fastest of 200).
enum { GEMV_MAX_M = 2 };

float gemm_dot_scalar(const float *a, const float *b, int K) {
    float s[8] = {0};
    int k = 0;
    for (; k + 8 <= K; k += 8)
        for (int t = 0; t < 8; t++) s[t] += a[k + t] * b[k + t];
    float r = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    for (; k < K; k++) r += a[k] * b[k];
    return r;
}

#if defined(__x86_64__) && !defined(__wasm__)
// GemmDot4 for the x86 kernels: gemm_dot_scalar's eight partial sums as lanes 0-3 and 4-7
// of two 4-wide vectors (GCC vector extensions: SSE), added in its order: the same bits.
typedef float f4 __attribute__((vector_size(16)));
static inline f4 ld4(const float *p) { f4 v; memcpy(&v, p, sizeof v); return v; }
static float sum_lanes(f4 s0, f4 s1) {
    return ((s0[0] + s0[1]) + (s0[2] + s0[3])) + ((s1[0] + s1[1]) + (s1[2] + s1[3]));
}
void gemm_dot4_sse(float r[4], const float *a, const float *b, long ldb, int K) {
    const float *b0 = b, *b1 = b + ldb, *b2 = b + 2 * ldb, *b3 = b + 3 * ldb;
    f4 z = {0, 0, 0, 0}, s00 = z, s01 = z, s10 = z, s11 = z, s20 = z, s21 = z, s30 = z, s31 = z;
    int k = 0;
    for (; k + 8 <= K; k += 8) {
        f4 x0 = ld4(a + k), x1 = ld4(a + k + 4);
        s00 += x0 * ld4(b0 + k); s01 += x1 * ld4(b0 + k + 4);
        s10 += x0 * ld4(b1 + k); s11 += x1 * ld4(b1 + k + 4);
        s20 += x0 * ld4(b2 + k); s21 += x1 * ld4(b2 + k + 4);
        s30 += x0 * ld4(b3 + k); s31 += x1 * ld4(b3 + k + 4);
    }
    r[0] = sum_lanes(s00, s01); r[1] = sum_lanes(s10, s11);
    r[2] = sum_lanes(s20, s21); r[3] = sum_lanes(s30, s31);
    for (; k < K; k++) {
        r[0] += a[k] * b0[k]; r[1] += a[k] * b1[k]; r[2] += a[k] * b2[k]; r[3] += a[k] * b3[k];
    }
}
#endif

static void gemv_cols(const Job *g, int n0, int n1) {
    GemmDot dot = g->kern->dot ? g->kern->dot : gemm_dot_scalar;
    GemmDotRows dotn = g->kern->dotn;
    int nd = g->kern->dot_n;
    for (int i = 0; i < g->M; i++) {
        const float *a = g->A + (size_t)i * g->lda;
        float *c = g->C + (size_t)i * g->ldc;
        int j = n0;
        for (float r[4]; dotn && j + nd <= n1; j += nd) { // nd outputs at a time
            dotn(r, a, g->B + (size_t)j * g->ldb, g->ldb, g->K);
            for (int q = 0; q < nd; q++) c[j + q] = g->accumulate ? c[j + q] + r[q] : r[q];
        }
        for (; j < n1; j++) {
            float r = dot(a, g->B + (size_t)j * g->ldb, g->K);
            c[j] = g->accumulate ? c[j] + r : r;
        }
    }
}

static void gemv_part(void *ctx, int t) {
    const Job *g = ctx;
    gemv_cols(g, (int)((long)g->N * t / g->parts), (int)((long)g->N * (t + 1) / g->parts));
}

// Below this many multiply-adds a GEMM is not worth waking a second thread for.
#define GEMM_PARALLEL_MIN 200000.0

void gemm(int transA, int transB, int M, int N, int K,
          const float *A, int lda, const float *B, int ldb,
          float *C, int ldc, int accumulate) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {
        if (!accumulate)
            for (int i = 0; i < M; i++) memset(C + (size_t)i * ldc, 0, sizeof(float) * N);
        return;
    }
    Job g = {pick_kernel(), transA, transB, M, N, K, A, B, C, lda, ldb, ldc, accumulate,
             0, 1, 1};
    int nt = threads_get();
    if (M <= GEMV_MAX_M && !transA && transB) {
        g.parts = nt > 1 && (double)M * N * K >= GEMM_PARALLEL_MIN && N >= nt ? nt : 1;
        parallel_for(g.parts, gemv_part, &g);
        return;
    }
    if (nt > 1 && (double)M * N * K >= GEMM_PARALLEL_MIN) {
        int tiles_m = (M + g.kern->mr - 1) / g.kern->mr;
        int tiles_n = (N + g.kern->nr - 1) / g.kern->nr;
        // Split N when it has enough tiles (each part then packs only its share of B).
        g.split_n = tiles_n >= 2 * nt || tiles_n >= tiles_m;
        g.tiles = g.split_n ? tiles_n : tiles_m;
        g.parts = g.tiles < nt ? g.tiles : nt;
        if (g.parts > 1) {
            parallel_for(g.parts, gemm_part, &g);
            return;
        }
    }
    gemm_block(&g, 0, M, 0, N);
}
