// wino.h - Winograd F(2x2, 3x3) (Lavin & Gray) pieces shared by the eval block (c/conv_eval.c)
// and the training convolution (c/conv_train.c); private to the core.
// Per 2x2 output tile and channel, the 4x4 input patch d and the 3x3 filter g become
// V = B^T d B and U = G g G^T; Y = A^T (sum_c U . V) A is the tile. The only constant in the
// transforms, 1/2, is a power of two, so they are exact up to rounding.
// Four-wide vectors are GCC/Clang vector extensions: SIMD128 in WebAssembly, SSE natively;
// every operation is a single IEEE float operation, so the scalar and vector builds agree.
#ifndef EXCITE_WINO_H
#define EXCITE_WINO_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef float v4 __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));

static inline v4 ld(const float *p) { v4 v; memcpy(&v, p, sizeof v); return v; }
static inline void st(float *p, v4 v) { memcpy(p, &v, sizeof v); }
static inline void sti(int32_t *p, v4i v) { memcpy(p, &v, sizeof v); }
static inline v4 splat(float x) { v4 v = {x, x, x, x}; return v; }
static inline v4i splati(int32_t x) { v4i v = {x, x, x, x}; return v; }
static inline v4 sel(v4i m, v4 a, v4 b) { return (v4)((m & (v4i)a) | (~m & (v4i)b)); }
static inline v4i seli(v4i m, v4i a, v4i b) { return (m & a) | (~m & b); }

static inline size_t up(size_t n, size_t m) { return (n + m - 1) / m * m; }
static inline float *align64(float *p) { return (float *)(((uintptr_t)p + 63) & ~(uintptr_t)63); }

// WINO_MIN_C: fewer input channels do not pay for the transforms (conv1 has 3).
// WINO_CHUNK_FLOATS: V and M of one group of images stay in L2 (see wino_images).
// PLANE_PAD: the 16 planes of V and of M are this many floats further apart than their
// size: plane sizes are multiples of 4 KiB here, and 16 streams 4 KiB apart would share
// one L1 set.
enum { WINO_MIN_C = 8, WINO_CHUNK_FLOATS = 98304, PLANE_PAD = 16 };

// The shapes the vector loops handle: H even, W a multiple of 8 (four tiles per vector).
static inline int wino_shape_ok(int C, int H, int W) {
    return C >= WINO_MIN_C && H % 2 == 0 && W % 8 == 0;
}
static inline size_t m_plane(int OC, int tc) { return (size_t)OC * tc + PLANE_PAD; }

// The three products of a convolution: the output (eval and training), the input gradient
// and the weight gradient. wino_pays(pass): 1 if Winograd is faster than im2col + GEMM for
// that pass with the current GEMM kernel (the measurements are in c/wino.c).
enum { WINO_FORWARD, WINO_DINP, WINO_DWEIGHT };
int wino_pays(int pass);

// Floats of U for any mr <= 32 (also >= the direct route's packed weights, (OC + 32) * C * 9).
static inline size_t wino_u_floats(int C, int OC) { return (size_t)16 * C * (OC + 32); }

// U_xi (OC, C) = (G g G^T)[xi] for g = weight[o][c] (3x3, weight (OC,C,3,3)), each packed as
// gemm_prepacked's A (panels of mr rows, rows past OC zero): plane xi starts at
// xi * up(OC, mr) * C. With flip != 0, the filters of the input gradient instead: U_xi
// (C, OC) from g'[c][o] = weight[o][c] rotated by 180 degrees (planes of up(C, mr) * OC).
void wino_filters(float *U, const float *weight, int C, int OC, int mr, int flip);

// V_xi (C, tiles) for images b0 .. b0+nb of inp (B,C,H,W), each packed as gemm_prepacked's
// B (panels of nr tiles; plane xi starts at xi * vplane): tile t = (image, ty, tx)
// row-major, four tiles (one row of them, side by side) per vector (nr is a multiple of 4,
// so they share a panel). With nr >= up(nb * tiles, 4), V_xi is a row-major (C, nr) matrix.
void wino_inputs(float *V, size_t vplane, const float *inp, int b0, int nb, int C, int H,
                 int W, int nr);

// Y = A^T M A of four tiles side by side: src points at the first tile of plane 0 of M,
// planes xs floats apart; y00..y11 are the tiles' outputs at (row, col) offsets (0,0),
// (0,1), (1,0), (1,1).
static inline void wino_tile_out(const float *src, size_t xs, v4 *y00, v4 *y01, v4 *y10,
                                 v4 *y11) {
    v4 s[2][4];
    for (int k = 0; k < 4; k++) {
        v4 m0 = ld(src + k * xs), m1 = ld(src + (4 + k) * xs);
        v4 m2 = ld(src + (8 + k) * xs), m3 = ld(src + (12 + k) * xs);
        s[0][k] = (m0 + m1) + m2;
        s[1][k] = (m1 - m2) - m3;
    }
    *y00 = (s[0][0] + s[0][1]) + s[0][2];
    *y01 = (s[0][1] - s[0][2]) - s[0][3];
    *y10 = (s[1][0] + s[1][1]) + s[1][2];
    *y11 = (s[1][1] - s[1][2]) - s[1][3];
}

#endif
