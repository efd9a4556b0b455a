// wino.c - the Winograd F(2x2, 3x3) filter and input transforms, written straight into the
// packed operand layout of gemm_prepacked (see wino.h). Used by conv_block_eval (eval) and
// the training convolution.
//
// Where Winograd is used (wino_pays), measured per GEMM kernel on the shapes of blocks 2 and
// 3 at batch 64, one thread (2-core AMD EPYC Zen 5; fastest of 11-15 runs in one process,
// alternating the routes; build/bench/bench_model --profile and --profile-infer agree):
//  - wasm-simd128 (no FMA): every pass; forward 2.7-2.8x, input gradient 2.1-2.4x, weight
//    gradient 1.9-2.4x faster than im2col + GEMM (the scalar kernel: the same code paths,
//    so native scalar and WebAssembly give the same bits);
//  - AVX-512 / AVX2 (FMA): the forward (training 1.4-1.8x; eval blocks 2-3 1.6-2x at
//    batch 64, about even at batch 1) and the input gradient (1.2-1.6x); the weight
//    gradient is not faster (AVX-512, block 3: 5.9 vs 4.7 ms), so it stays on im2col.
#include "wino.h"
#include "gemm.h"
#include "threads.h"
#include <string.h>

int wino_pays(int pass) { return pass != WINO_DWEIGHT || !gemm_kernel_fma(); }

// The filter transform of panels p0 .. p1 (mr rows each) of every plane; each U element
// depends on one filter only, so how the panels are split does not change the result.
typedef struct {
    float *U;
    const float *weight;
    int C, mr, flip, rows, cols, panels, parts;
    size_t plane;
} FilterJob;

// U[xi] of four filters at once (lanes), the same float operations as one at a time.
static inline void filter4(v4 r[16], const v4 g[9]) {
    v4 u[4][3], h = splat(0.5f);
    for (int k = 0; k < 3; k++) {
        u[0][k] = g[k];
        u[1][k] = ((g[k] + g[3 + k]) + g[6 + k]) * h;
        u[2][k] = ((g[k] - g[3 + k]) + g[6 + k]) * h;
        u[3][k] = g[6 + k];
    }
    for (int i = 0; i < 4; i++) {
        r[i * 4 + 0] = u[i][0];
        r[i * 4 + 1] = ((u[i][0] + u[i][1]) + u[i][2]) * h;
        r[i * 4 + 2] = ((u[i][0] - u[i][1]) + u[i][2]) * h;
        r[i * 4 + 3] = u[i][2];
    }
}

static void filters_part(void *ctx, int t) {
    const FilterJob *j = ctx;
    int p0 = j->panels * t / j->parts, p1 = j->panels * (t + 1) / j->parts, C = j->C;
    int mr = j->mr, cols = j->cols, r1 = p1 * mr < j->rows ? p1 * mr : j->rows;
    for (int xi = 0; xi < 16; xi++) // the panels' rows past `rows` stay zero
        memset(j->U + xi * j->plane + (size_t)p0 * mr * cols, 0,
               (size_t)(p1 - p0) * mr * cols * sizeof(float));
    // up to four neighbouring rows of one panel per step; lane l is row + l
    for (int row = p0 * mr, n; row < r1; row += n) {
        n = r1 - row < 4 ? r1 - row : 4;
        n = mr - row % mr < n ? mr - row % mr : n;
        for (int col = 0; col < cols; col++) {
            v4 g[9], r[16];
            for (int l = 0; l < 4; l++) {
                int rl = row + (l < n ? l : 0);
                int o = j->flip ? col : rl, c = j->flip ? rl : col;
                const float *w = j->weight + ((size_t)o * C + c) * 9;
                for (int k = 0; k < 9; k++) g[k][l] = j->flip ? w[8 - k] : w[k];
            }
            filter4(r, g);
            size_t at = ((size_t)(row / mr) * mr * cols) + (size_t)col * mr + row % mr;
            for (int xi = 0; xi < 16; xi++)
                for (int l = 0; l < n; l++) j->U[xi * j->plane + at + l] = r[xi][l];
        }
    }
}

void wino_filters(float *U, const float *weight, int C, int OC, int mr, int flip) {
    int rows = flip ? C : OC, cols = flip ? OC : C; // of each U_xi
    int panels = (rows + mr - 1) / mr;
    FilterJob j = {U, weight, C, mr, flip, rows, cols, panels, panels < 8 ? panels : 8,
                   (size_t)panels * mr * cols};
    parallel_for(j.parts, filters_part, &j);
}

void wino_inputs(float *V, size_t vplane, const float *inp, int b0, int nb, int C, int H,
                 int W, int nr) {
    int TW = W / 2, TH = H / 2;
    const v4 z = splat(0.0f);
    for (int b = 0; b < nb; b++)
        for (int c = 0; c < C; c++) {
            const float *plane = inp + ((size_t)(b0 + b) * C + c) * H * W;
            for (int ty = 0; ty < TH; ty++)
                for (int tx = 0; tx < TW; tx += 4) {
                    v4 d[4][4]; // d[r][j]: patch row r, column j of four tiles
                    int x0 = 2 * tx;
                    for (int r = 0; r < 4; r++) {
                        int y = 2 * ty - 1 + r;
                        if (y < 0 || y >= H) { d[r][0] = d[r][1] = d[r][2] = d[r][3] = z; continue; }
                        const float *row = plane + (size_t)y * W + x0;
                        v4 a = ld(row), bq = ld(row + 4);
                        v4 ev = __builtin_shufflevector(a, bq, 0, 2, 4, 6);
                        v4 od = __builtin_shufflevector(a, bq, 1, 3, 5, 7);
                        v4 prev = splat(x0 > 0 ? row[-1] : 0.0f);
                        v4 next = splat(x0 + 8 < W ? row[8] : 0.0f);
                        d[r][0] = __builtin_shufflevector(prev, od, 0, 4, 5, 6);
                        d[r][1] = ev;
                        d[r][2] = od;
                        d[r][3] = __builtin_shufflevector(ev, next, 1, 2, 3, 4);
                    }
                    v4 w[4][4]; // B^T d, then (B^T d) B
                    for (int k = 0; k < 4; k++) {
                        w[0][k] = d[0][k] - d[2][k];
                        w[1][k] = d[1][k] + d[2][k];
                        w[2][k] = d[2][k] - d[1][k];
                        w[3][k] = d[1][k] - d[3][k];
                    }
                    int t = (b * TH + ty) * TW + tx;
                    float *dst = V + ((size_t)(t / nr) * C + c) * nr + t % nr;
                    for (int i = 0; i < 4; i++) {
                        st(dst + (4 * i + 0) * vplane, w[i][0] - w[i][2]);
                        st(dst + (4 * i + 1) * vplane, w[i][1] + w[i][2]);
                        st(dst + (4 * i + 2) * vplane, w[i][2] - w[i][1]);
                        st(dst + (4 * i + 3) * vplane, w[i][1] - w[i][3]);
                    }
                }
        }
}

