// conv_eval.c - one eval-mode block in one pass: conv2d (3x3, stride 1, padding 1) + bias,
// batch-norm with the running statistics, ReLU and, optionally, 2x2 max-pool
// (conv_block_eval in layers.h). Inference only; training uses the separate layers of
// layers.c, whose results the ones here equal except for the rounding of the conv sums.
// The Winograd transforms are in c/wino.c, shared with the training convolution
// (c/conv_train.c).
//
// The convolution takes one of two routes:
//  - Winograd F(2x2, 3x3) (Lavin & Gray) where it pays (wino_pays in c/wino.c: with every
//    GEMM kernel), when C >= WINO_MIN_C and H, W fit the 4-tile vector loops (H even, W a
//    multiple of 8): per 2x2 output tile and channel, the 4x4 input patch d and the
//    filter g become V = B^T d B and U = G g G^T; 16 GEMMs
//    M_xi (OC, tiles) = U_xi (OC, C) . V_xi (C, tiles) (K = C, each sum in channel order)
//    replace the 9-tap sums, and Y = A^T M A gives the tile: 16 multiplies per tile and
//    channel instead of 36. The transforms are exact up to rounding (their only constant,
//    1/2, is a power of two), so the result differs from the direct sum by rounding only
//    (tests/test_conv_eval.c bounds it against a double-precision direct convolution).
//  - otherwise im2col + GEMM per image, as conv2d_forward (conv1, 3 input channels).
// Both write the GEMM operands straight in the micro-kernels' packed layout
// (gemm_prepacked): im2col and the input transform the B panels, gemm_pack_a or the filter
// transform (cached between calls with the weights it came from) the A panels.
// Either way the epilogue works on four neighbouring 2x2 windows at once: conv + bias is
// written to `conv` (the page shows it), relu(bn(.)) to `act`, and the max of each window
// with its argmax to `pool`/`argmax`, all with the same float operations, in the same
// order, as conv2d_forward's bias add, batchnorm_forward_eval, relu_forward and
// maxpool2x2_forward. Shapes the vector loops do not fit run those functions instead.
// Four-wide vectors are GCC/Clang vector extensions: SIMD128 in WebAssembly, SSE natively.
#include "layers.h"
#include "gemm.h"
#include "threads.h"
#include "wino.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

enum { CHUNKS = 4 };

static int n_slices(int B) { return B < 1 ? 1 : B < CHUNKS ? B : CHUNKS; }
static int vec_ok(int H, int W) { return H % 2 == 0 && W % 8 == 0; }
static int wino_ok(int C, int H, int W) { return C >= WINO_MIN_C && vec_ok(H, W); }

// Images per Winograd chunk: V and M of a chunk (16 (C + OC) floats per tile) stay in L2.
static int wino_images(int B, int C, int H, int W, int OC) {
    size_t per = (size_t)16 * (C + OC) * (H / 2) * (W / 2);
    int n = (int)(WINO_CHUNK_FLOATS / per);
    int per_slice = (B + n_slices(B) - 1) / n_slices(B);
    n = n < 1 ? 1 : n;
    return n < per_slice ? n : per_slice;
}

// ---- the epilogue on four 2x2 windows ------------------------------------------------------
// y00..y11: the conv sums without bias at (row, col) offsets (0,0), (0,1), (1,0), (1,1) of
// four windows side by side; conv/act point at the first window's top-left element (row
// stride W), pool/argmax at its pooled element; i0 is that element's index in the H*W plane.
typedef struct { float bias, scale, shift; } Affine;

// Max of each window and its index, as maxpool2x2_forward's chain: a later element wins
// if greater or NaN.
static inline void pool4(float *pool, int32_t *argmax, int W, int32_t i0, v4 a00, v4 a01,
                         v4 a10, v4 a11) {
    v4i idx = splati(i0) + (v4i){0, 2, 4, 6}, bb = idx;
    v4 mm = a00;
    v4i c = (a01 > mm) | (a01 != a01);
    mm = sel(c, a01, mm); bb = seli(c, idx + 1, bb);
    c = (a10 > mm) | (a10 != a10);
    mm = sel(c, a10, mm); bb = seli(c, idx + W, bb);
    c = (a11 > mm) | (a11 != a11);
    mm = sel(c, a11, mm); bb = seli(c, idx + W + 1, bb);
    st(pool, mm);
    sti(argmax, bb);
}

static inline void epilogue4(float *conv, float *act, float *pool, int32_t *argmax, int W,
                             int32_t i0, v4 y00, v4 y01, v4 y10, v4 y11, Affine f) {
    v4 b = splat(f.bias), s = splat(f.scale), t = splat(f.shift), z = splat(0.0f);
    y00 += b; y01 += b; y10 += b; y11 += b;
    st(conv, __builtin_shufflevector(y00, y01, 0, 4, 1, 5));
    st(conv + 4, __builtin_shufflevector(y00, y01, 2, 6, 3, 7));
    st(conv + W, __builtin_shufflevector(y10, y11, 0, 4, 1, 5));
    st(conv + W + 4, __builtin_shufflevector(y10, y11, 2, 6, 3, 7));
    // relu(x * scale + shift): x < 0 ? 0 : x, so -0 and NaN pass as in relu_forward
    v4 a00 = y00 * s + t, a01 = y01 * s + t, a10 = y10 * s + t, a11 = y11 * s + t;
    a00 = sel(a00 < z, z, a00); a01 = sel(a01 < z, z, a01);
    a10 = sel(a10 < z, z, a10); a11 = sel(a11 < z, z, a11);
    st(act, __builtin_shufflevector(a00, a01, 0, 4, 1, 5));
    st(act + 4, __builtin_shufflevector(a00, a01, 2, 6, 3, 7));
    st(act + W, __builtin_shufflevector(a10, a11, 0, 4, 1, 5));
    st(act + W + 4, __builtin_shufflevector(a10, a11, 2, 6, 3, 7));
    if (pool) pool4(pool, argmax, W, i0, a00, a01, a10, a11);
}

// Channel o's bias and batch-norm affine map, computed as batchnorm_forward_eval does.
static Affine affine(const float *bias, const float *gamma, const float *beta,
                     const float *rmean, const float *rvar, float eps, int o) {
    float is = (float)(1.0 / sqrt((double)rvar[o] + (double)eps));
    float scale = gamma[o] * is;
    Affine f = {bias[o], scale, beta[o] - rmean[o] * scale};
    return f;
}

typedef struct {
    float *conv, *act, *pool;
    int32_t *argmax;
    const float *inp, *weight, *bias, *gamma, *beta, *rmean, *rvar;
    float eps;
    int B, C, H, W, OC, slices, ipc; // ipc: images per Winograd chunk
    int mr, nr;                      // the GEMM kernel's register tile
    const float *Ap;                 // packed weights (direct) or filter transforms (Winograd)
    float *scratch;                  // the slices' buffers (64-byte aligned)
    size_t slice_floats;
} Job;


// ---- direct route: im2col + GEMM per image -------------------------------------------------
// col (C*9, H*W) written straight into the packed-B layout of gemm_prepacked: column
// x' = y*W + x of row k = c*9 + ky*3 + kx is the input at (c, y+ky-1, x+kx-1), 0 outside.
// W is a multiple of 8 and nr of 8, so each run of 8 columns is contiguous in a panel.
static void im2col_packed(float *restrict Bp, const float *restrict img, int C, int H, int W,
                          int nr) {
    int K = C * 9;
    for (int c = 0; c < C; c++)
        for (int ky = 0; ky < 3; ky++)
            for (int kx = 0; kx < 3; kx++) {
                const float *plane = img + (size_t)c * H * W;
                int k = c * 9 + ky * 3 + kx, dx = kx - 1;
                int q = 0, r = 0; // column y*W + x0 = q*nr + r
                for (int y = 0; y < H; y++) {
                    int iy = y + ky - 1;
                    // (no pointer formed outside the plane: that alone is undefined behaviour)
                    const float *src = iy >= 0 && iy < H ? plane + (size_t)iy * W : plane;
                    for (int x0 = 0; x0 < W; x0 += 8, r += 8) {
                        if (r == nr) { q++; r = 0; }
                        float *d = Bp + ((size_t)q * K + k) * nr + r;
                        if (iy < 0 || iy >= H) { st(d, splat(0.0f)); st(d + 4, splat(0.0f)); continue; }
                        if (x0 + dx >= 0 && x0 + dx + 8 <= W) {
                            st(d, ld(src + x0 + dx));
                            st(d + 4, ld(src + x0 + dx + 4));
                            continue;
                        }
                        for (int i = 0; i < 8; i++) {
                            int ix = x0 + i + dx;
                            d[i] = ix >= 0 && ix < W ? src[ix] : 0.0f;
                        }
                    }
                }
            }
}

// Per slice: the packed col, H*W columns rounded up to whole panels (nr <= 32).
static size_t direct_slice_floats(int C, int H, int W) {
    return up((size_t)C * 9 * H * W, 16) + 32 * (size_t)C * 9;
}

static void direct_slice(void *ctx, int t) {
    const Job *j = ctx;
    int H = j->H, W = j->W, HW = H * W, K = j->C * 9, OC = j->OC, PW = W / 2;
    float *Bp = j->scratch + (size_t)t * j->slice_floats;
    for (int b = j->B * t / j->slices; b < j->B * (t + 1) / j->slices; b++) {
        float *cb = j->conv + (size_t)b * OC * HW, *ab = j->act + (size_t)b * OC * HW;
        im2col_packed(Bp, j->inp + (size_t)b * j->C * HW, j->C, H, W, j->nr);
        gemm_prepacked(OC, HW, K, j->Ap, Bp, cb, HW); // (OC,K) . (K,HW)
        for (int o = 0; o < OC; o++) {
            Affine f = affine(j->bias, j->gamma, j->beta, j->rmean, j->rvar, j->eps, o);
            size_t po = ((size_t)b * OC + o) * (HW / 4);
            for (int y = 0; y < H; y += 2)
                for (int x = 0; x < W; x += 8) {
                    size_t off = (size_t)o * HW + (size_t)y * W + x;
                    v4 r0a = ld(cb + off), r0b = ld(cb + off + 4);
                    v4 r1a = ld(cb + off + W), r1b = ld(cb + off + W + 4);
                    size_t pi = po + (size_t)(y / 2) * PW + x / 2;
                    epilogue4(cb + off, ab + off, j->pool ? j->pool + pi : NULL,
                              j->argmax ? j->argmax + pi : NULL, W, y * W + x,
                              __builtin_shufflevector(r0a, r0b, 0, 2, 4, 6),
                              __builtin_shufflevector(r0a, r0b, 1, 3, 5, 7),
                              __builtin_shufflevector(r1a, r1b, 0, 2, 4, 6),
                              __builtin_shufflevector(r1a, r1b, 1, 3, 5, 7), f);
                }
        }
    }
}

// ---- Winograd route ----------------------------------------------------------------------
// Y = A^T M A for every tile of images b0 .. b0+nb, then the epilogue. M_xi (OC, tc).
static void wino_outputs(const Job *j, const float *M, int b0, int nb, int tc) {
    int H = j->H, W = j->W, OC = j->OC, TW = W / 2, TH = H / 2, HW = H * W;
    size_t xs = m_plane(OC, tc);
    for (int b = 0; b < nb; b++)
        for (int o = 0; o < OC; o++) {
            Affine f = affine(j->bias, j->gamma, j->beta, j->rmean, j->rvar, j->eps, o);
            size_t plane = ((size_t)(b0 + b) * OC + o) * HW, pplane = plane / 4;
            const float *mo = M + (size_t)o * tc + (size_t)b * TH * TW;
            for (int ty = 0; ty < TH; ty++)
                for (int tx = 0; tx < TW; tx += 4) {
                    const float *src = mo + (size_t)ty * TW + tx;
                    v4 y00, y01, y10, y11;
                    wino_tile_out(src, xs, &y00, &y01, &y10, &y11);
                    size_t off = (size_t)(2 * ty) * W + 2 * tx, pi = pplane + (size_t)ty * TW + tx;
                    epilogue4(j->conv + plane + off, j->act + plane + off,
                              j->pool ? j->pool + pi : NULL, j->argmax ? j->argmax + pi : NULL,
                              W, (int32_t)off, y00, y01, y10, y11, f);
                }
        }
}

// Per slice: V (16 planes of C x up(tc, 32)), then M (16 x OC x tc).
static size_t wino_slice_floats(int C, int OC, int tc) {
    return (size_t)16 * (C * up((size_t)tc, 32) + PLANE_PAD) + 16 * m_plane(OC, tc);
}

static void wino_slice(void *ctx, int t) {
    const Job *j = ctx;
    int C = j->C, OC = j->OC, tiles = (j->H / 2) * (j->W / 2), tc = j->ipc * tiles;
    size_t vplane = (size_t)C * up((size_t)tc, (size_t)j->nr) + PLANE_PAD;
    size_t uplane = up((size_t)OC, (size_t)j->mr) * C;
    float *V = j->scratch + (size_t)t * j->slice_floats;
    float *M = V + 16 * (C * up((size_t)tc, 32) + PLANE_PAD);
    int b1 = j->B * (t + 1) / j->slices;
    for (int b0 = j->B * t / j->slices; b0 < b1; b0 += j->ipc) {
        int nb = b1 - b0 < j->ipc ? b1 - b0 : j->ipc, n = nb * tiles;
        wino_inputs(V, vplane, j->inp, b0, nb, C, j->H, j->W, j->nr);
        for (int xi = 0; xi < 16; xi++) // (OC, n) = U_xi (OC, C) . V_xi (C, n)
            gemm_prepacked(OC, n, C, j->Ap + xi * uplane, V + xi * vplane, M + xi * m_plane(OC, tc), tc);
        wino_outputs(j, M, b0, nb, tc);
    }
}

// ---- work and cache sizes ------------------------------------------------------------------
// Packed weights (mr <= 32) or filter transforms.
static size_t ap_floats(int C, int OC) { return wino_u_floats(C, OC); }

// work: [packed weights or U (when there is no cache) | 64-byte slack | the slices' buffers]
size_t conv_block_eval_work_floats(int B, int C, int H, int W, int OC) {
    size_t direct = ap_floats(C, OC) + 16 + n_slices(B) * direct_slice_floats(C, H, W);
    direct = direct > conv2d_work_floats(B, C, H, W, OC) ? direct : conv2d_work_floats(B, C, H, W, OC);
    if (!wino_ok(C, H, W)) return direct;
    int tc = wino_images(B, C, H, W, OC) * (H / 2) * (W / 2);
    size_t wino = ap_floats(C, OC) + 16 + n_slices(B) * wino_slice_floats(C, OC, tc);
    return wino > direct ? wino : direct;
}

// The cache (Winograd route): a copy of the weights (OC*C*9), the tile height mr the
// transforms after it were packed for (one float slot holding an int, padded to 16), then
// the packed filter transforms.
size_t conv_block_eval_cache_floats(int C, int OC) {
    return (size_t)OC * C * 9 + 16 + ap_floats(C, OC);
}

void conv_block_eval(float *conv, float *act, float *pool, int32_t *argmax,
                     const float *inp, const float *weight, const float *bias,
                     const float *gamma, const float *beta,
                     const float *running_mean, const float *running_var, float eps,
                     int B, int C, int H, int W, int OC, float *cache, float *work) {
    if (B <= 0) return;
    int mr, nr;
    gemm_tile_shape(&mr, &nr);
    if (!vec_ok(H, W) || nr % 8 || mr > 32) { // the separate layers
        conv2d_forward(conv, inp, weight, bias, B, C, H, W, OC, work);
        batchnorm_forward_eval(act, conv, gamma, beta, running_mean, running_var, B, OC, H * W, eps);
        relu_forward(act, act, (size_t)B * OC * H * W);
        if (pool) maxpool2x2_forward(pool, argmax, act, B, OC, H, W);
        return;
    }
    Job j = {conv, act, pool, pool ? argmax : NULL, inp, weight, bias, gamma, beta, running_mean,
             running_var, eps, B, C, H, W, OC, n_slices(B), wino_images(B, C, H, W, OC), 0, 0,
             NULL, NULL, 0};
    j.mr = mr;
    j.nr = nr;
    if (!wino_ok(C, H, W) || !wino_pays(WINO_FORWARD)) {
        gemm_pack_a(work, weight, C * 9, OC, C * 9); // a fast copy: no cache needed
        j.Ap = work;
        j.scratch = align64(work + ap_floats(C, OC));
        j.slice_floats = direct_slice_floats(C, H, W);
        parallel_for(j.slices, direct_slice, &j);
        return;
    }
    // The filter transforms, packed for this tile height.
    size_t nw = (size_t)OC * C * 9;
    float *U = cache ? cache + nw + 16 : work;
    int valid = 0;
    if (cache) { // valid if the copy holds the same bits as the weights (no float compare: NaN)
        v4i diff = splati(0);
        size_t i = 0;
        for (; i + 4 <= nw; i += 4) {
            v4i x, y;
            memcpy(&x, weight + i, sizeof x);
            memcpy(&y, cache + i, sizeof y);
            diff |= x ^ y;
        }
        int tag;
        memcpy(&tag, cache + nw, sizeof tag);
        valid = !(diff[0] | diff[1] | diff[2] | diff[3]) && tag == j.mr;
        for (; i < nw; i++) valid &= !memcmp(weight + i, cache + i, sizeof(float));
    }
    if (!valid) {
        wino_filters(U, weight, C, OC, j.mr, 0);
        if (cache) {
            memcpy(cache, weight, nw * sizeof(float));
            memcpy(cache + nw, &j.mr, sizeof j.mr);
        }
    }
    j.Ap = U;
    j.scratch = align64(work + ap_floats(C, OC));
    j.slice_floats = wino_slice_floats(C, OC, j.ipc * (H / 2) * (W / 2));
    parallel_for(j.slices, wino_slice, &j);
}

// ---- SE and max-pool, eval mode ----------------------------------------------------------
// se_forward followed by maxpool2x2_forward(out), in two passes over each image instead of
// three: the channel means (eight partial sums, two 4-wide vectors added lane by lane in a
// fixed order, instead of se_forward's one running sum), the two small layers as
// se_forward, then out = inp * s and its max-pool together.
void se_pool_eval(float *out, float *pool, int32_t *argmax, float *pooled, float *hidden_pre,
                  float *hidden, float *z, float *s, const float *inp, const float *w1,
                  const float *w2, int B, int C, int H, int W, int R) {
    int HW = H * W;
    if (!vec_ok(H, W)) {
        se_forward(out, pooled, hidden_pre, hidden, z, s, inp, w1, w2, B, C, HW, R);
        maxpool2x2_forward(pool, argmax, out, B, C, H, W);
        return;
    }
    for (int b = 0; b < B; b++) {
        const float *x = inp + (size_t)b * C * HW;
        float *pb = pooled + (size_t)b * C, *hp = hidden_pre + (size_t)b * R;
        float *hb = hidden + (size_t)b * R, *zb = z + (size_t)b * C, *sb = s + (size_t)b * C;
        for (int c = 0; c < C; c++) {
            const float *xc = x + (size_t)c * HW;
            v4 s0 = splat(0.0f), s1 = s0;
            for (int i = 0; i < HW; i += 8) { s0 += ld(xc + i); s1 += ld(xc + i + 4); }
            v4 t = s0 + s1;
            pb[c] = ((t[0] + t[1]) + (t[2] + t[3])) / (float)HW;
        }
        for (int r = 0; r < R; r++) { // (R) = w1 (R,C) . pooled (C)
            float sum = 0;
            for (int c = 0; c < C; c++) sum += w1[(size_t)r * C + c] * pb[c];
            hp[r] = sum;
            hb[r] = sum > 0 ? sum : 0;
        }
        for (int c = 0; c < C; c++) { // (C) = w2 (C,R) . hidden (R)
            float sum = 0;
            for (int r = 0; r < R; r++) sum += w2[(size_t)c * R + r] * hb[r];
            zb[c] = sum;
            sb[c] = 1 / (1 + expf(-sum));
        }
        for (int c = 0; c < C; c++) {
            size_t plane = ((size_t)b * C + c) * HW, pplane = plane / 4;
            v4 sc = splat(sb[c]);
            for (int y = 0; y < H; y += 2)
                for (int xx = 0; xx < W; xx += 8) {
                    size_t off = plane + (size_t)y * W + xx;
                    v4 r0a = ld(inp + off) * sc, r0b = ld(inp + off + 4) * sc;
                    v4 r1a = ld(inp + off + W) * sc, r1b = ld(inp + off + W + 4) * sc;
                    st(out + off, r0a); st(out + off + 4, r0b);
                    st(out + off + W, r1a); st(out + off + W + 4, r1b);
                    size_t pi = pplane + (size_t)(y / 2) * (W / 2) + xx / 2;
                    pool4(pool + pi, argmax + pi, W, y * W + xx,
                          __builtin_shufflevector(r0a, r0b, 0, 2, 4, 6),
                          __builtin_shufflevector(r0a, r0b, 1, 3, 5, 7),
                          __builtin_shufflevector(r1a, r1b, 0, 2, 4, 6),
                          __builtin_shufflevector(r1a, r1b, 1, 3, 5, 7));
                }
        }
    }
}
