// conv_train.c - the Winograd F(2x2, 3x3) route of the training convolution: conv2d_forward
// and conv2d_backward (layers.h) call it for the shapes it takes (C, OC >= 8, H even, W a
// multiple of 8: the 3x3 convolutions of blocks 2 and 3), for the passes that pay with the
// current GEMM kernel (conv_wino_use); everything else runs c/layers.c's im2col + GEMM.
//
// All three products are 16 GEMMs, one per point xi of the 4x4 transformed tile, with
// 16 multiply-adds per tile and channel pair instead of 36 (2.25x fewer):
//  - forward:  M_xi (OC, tiles) = U_xi (OC, C) . V_xi (C, tiles), Y = A^T M A + bias;
//  - input gradient: the same with dout as the input and the filters rotated by 180
//    degrees and transposed (wino_filters(.., flip = 1)): dinp += A^T M' A;
//  - weight gradient: dU_xi (OC, C) = sum over tiles of dM_xi (OC, tiles) . V_xi^T
//    (tiles, C), with dM = A dY A^T the transposed output transform of the output
//    gradient, then dweight = G^T dU G (the transposed filter transform).
// U, V and the input gradient's operands are written straight in gemm_prepacked's packed
// layout (wino_filters, wino_inputs); for the weight gradient V and dM are written as
// row-major planes (wino_inputs with one panel as wide as the tiles) and gemm() packs them.
//
// Slicing (deterministic): the batch is cut into the caller's fixed slices (chunks, from
// the batch size only); a slice runs its images in groups of wino_group images (V and M of
// a group stay in L2). Forward and input gradient are per image, so the slicing does not
// change them. The weight gradient of a slice sums its groups' tiles in order (gemm's sum
// over k in order, groups accumulated in order) into the slice's own dU, transformed into
// its own partial dweight; conv2d_backward adds the partials in slice order. None of this
// depends on the thread count.
#include "conv_train.h"
#include "layers.h"
#include "gemm.h"
#include "threads.h"
#include "wino.h"
#include <stdlib.h>
#include <string.h>

// ---- per-thread scratch ---------------------------------------------------------------------
// The transforms' buffers (V and M, im2col's col) are per thread, not per slice: a thread
// runs its slices one after the other, and one buffer reused stays in cache (16 buffers, one
// per slice, cost 5-7% of a training step natively): thread_buffer(THREAD_BUF_CONV, n)
// (threads.h). NULL when out of memory: the caller then uses the slice's own region of its
// work buffer.

// Which passes pay with which GEMM kernel: wino_pays (c/wino.c, with the measurements).
int conv_wino_use(int pass, int C, int H, int W, int OC) {
    if (!wino_shape_ok(C, H, W) || !wino_shape_ok(OC, H, W)) return 0;
    return wino_pays(pass);
}

// Images per group: V and M of a group (16 (C + OC) floats per tile) stay in L2, and a
// group is never larger than a slice.
static int wino_group(int B, int chunks, int C, int H, int W, int OC) {
    size_t per = (size_t)16 * (C + OC) * (H / 2) * (W / 2);
    int n = (int)(WINO_CHUNK_FLOATS / per), per_slice = (B + chunks - 1) / chunks;
    n = n < 1 ? 1 : n;
    return n < per_slice ? n : per_slice;
}

// Per-slice scratch, in floats (each part rounded to 16 floats, so 64-byte aligned):
//   transforms: max over the passes of V (16 planes of Cin x up(tc, 32)) and M (16 x Cout x tc)
//   dU (16 x OC x C), dweight partial (OC x C x 9), dbias partial (OC, rounded)
static size_t vm_floats(int cin, int cout, int tc) {
    return up((size_t)16 * ((size_t)cin * up((size_t)tc, 32) + PLANE_PAD), 16) +
           up((size_t)16 * m_plane(cout, tc), 16);
}
static size_t slice_floats(int C, int OC, int tc) {
    size_t f = vm_floats(C, OC, tc), b = vm_floats(OC, C, tc);
    return (f > b ? f : b) + up((size_t)16 * OC * C, 16) + up((size_t)OC * C * 9, 16) +
           up((size_t)OC, 16);
}
// [U (any mr <= 32, either orientation) | 64-byte slack | the slices]
static size_t u_floats(int C, int OC) { return (size_t)16 * (C + 32) * (OC + 32); }

size_t conv_wino_work_floats(int B, int chunks, int C, int H, int W, int OC) {
    if (!wino_shape_ok(C, H, W) || !wino_shape_ok(OC, H, W)) return 0;
    int tc = wino_group(B, chunks, C, H, W, OC) * (H / 2) * (W / 2);
    return u_floats(C, OC) + 16 + (size_t)chunks * slice_floats(C, OC, tc);
}

typedef struct {
    float *out, *dinp, *dweight, *dbias;
    const float *inp, *bias, *dout, *U;
    int B, C, H, W, OC, chunks, group, mr, nr;
    float *slices;
    size_t slice;
} Job;

// out (or dinp) of images b0 .. b0+nb, channels `cout`, from M (cout, tc) planes:
// Y = A^T M A (+ bias[o] when bias is not NULL; added into `dst` when add != 0).
static void outputs(float *dst, const float *M, const float *bias, int add, int b0, int nb,
                    int cout, int H, int W, int tc) {
    int TW = W / 2, TH = H / 2, HW = H * W;
    size_t xs = m_plane(cout, tc);
    for (int b = 0; b < nb; b++)
        for (int o = 0; o < cout; o++) {
            float *plane = dst + ((size_t)(b0 + b) * cout + o) * HW;
            const float *mo = M + (size_t)o * tc + (size_t)b * TH * TW;
            v4 bo = splat(bias ? bias[o] : 0.0f);
            for (int ty = 0; ty < TH; ty++)
                for (int tx = 0; tx < TW; tx += 4) {
                    v4 y00, y01, y10, y11;
                    wino_tile_out(mo + (size_t)ty * TW + tx, xs, &y00, &y01, &y10, &y11);
                    float *r0 = plane + (size_t)(2 * ty) * W + 2 * tx, *r1 = r0 + W;
                    v4 a0 = __builtin_shufflevector(y00, y01, 0, 4, 1, 5);
                    v4 a1 = __builtin_shufflevector(y00, y01, 2, 6, 3, 7);
                    v4 c0 = __builtin_shufflevector(y10, y11, 0, 4, 1, 5);
                    v4 c1 = __builtin_shufflevector(y10, y11, 2, 6, 3, 7);
                    if (bias) { a0 += bo; a1 += bo; c0 += bo; c1 += bo; }
                    if (add) { a0 += ld(r0); a1 += ld(r0 + 4); c0 += ld(r1); c1 += ld(r1 + 4); }
                    st(r0, a0); st(r0 + 4, a1); st(r1, c0); st(r1 + 4, c1);
                }
        }
}

// One Winograd convolution pass over images b0 .. b0+nb: dst (nb, cout, H, W) (+)= conv of
// src (nb, cin, H, W) with the filters U (packed A, cout x cin per plane).
static void conv_group(const Job *j, float *tmp, float *dst, const float *src, const float *bias,
                       int add, int b0, int nb, int cin, int cout) {
    int tiles = (j->H / 2) * (j->W / 2), tc = j->group * tiles, n = nb * tiles;
    size_t vplane = (size_t)cin * up((size_t)tc, (size_t)j->nr) + PLANE_PAD;
    size_t uplane = up((size_t)cout, (size_t)j->mr) * cin;
    float *V = tmp, *M = V + up((size_t)16 * ((size_t)cin * up((size_t)tc, 32) + PLANE_PAD), 16);
    wino_inputs(V, vplane, src, b0, nb, cin, j->H, j->W, j->nr);
    for (int xi = 0; xi < 16; xi++) // (cout, n) = U_xi (cout, cin) . V_xi (cin, n)
        gemm_prepacked(cout, n, cin, j->U + xi * uplane, V + xi * vplane,
                       M + xi * m_plane(cout, tc), tc);
    outputs(dst, M, bias, add, b0, nb, cout, j->H, j->W, tc);
}

static void forward_slice(void *ctx, int t) {
    const Job *j = ctx;
    int tc = j->group * (j->H / 2) * (j->W / 2);
    float *tmp = thread_buffer(THREAD_BUF_CONV, vm_floats(j->C, j->OC, tc));
    if (!tmp) tmp = j->slices + (size_t)t * j->slice;
    int b1 = j->B * (t + 1) / j->chunks;
    for (int b0 = j->B * t / j->chunks; b0 < b1; b0 += j->group) {
        int nb = b1 - b0 < j->group ? b1 - b0 : j->group;
        conv_group(j, tmp, j->out, j->inp, j->bias, 0, b0, nb, j->C, j->OC);
    }
}

int conv_wino_forward(float *out, const float *inp, const float *weight, const float *bias,
                      int B, int C, int H, int W, int OC, int chunks, float *work) {
    if (B <= 0 || !conv_wino_use(CONV_FORWARD, C, H, W, OC)) return 0;
    int mr, nr;
    gemm_tile_shape(&mr, &nr);
    if (nr % 4 || mr > 32) return 0;
    int group = wino_group(B, chunks, C, H, W, OC);
    Job j = {out, NULL, NULL, NULL, inp, bias, NULL, work, B, C, H, W, OC, chunks, group, mr, nr,
             align64(work + u_floats(C, OC)), slice_floats(C, OC, group * (H / 2) * (W / 2))};
    wino_filters(work, weight, C, OC, mr, 0);
    parallel_for(chunks, forward_slice, &j);
    return 1;
}

// ---- weight gradient ----------------------------------------------------------------------
// dM_xi (OC, tc) row-major planes (row stride ldm, plane xi at xi * mplane) = A dY A^T for
// every 2x2 tile dY of dout, images b0 .. b0+nb, four tiles per vector.
static void dout_transform(float *dM, size_t mplane, int ldm, const float *dout, int b0, int nb,
                           int OC, int H, int W) {
    int TW = W / 2, TH = H / 2;
    for (int b = 0; b < nb; b++)
        for (int o = 0; o < OC; o++) {
            const float *plane = dout + ((size_t)(b0 + b) * OC + o) * H * W;
            for (int ty = 0; ty < TH; ty++)
                for (int tx = 0; tx < TW; tx += 4) {
                    const float *r0 = plane + (size_t)(2 * ty) * W + 2 * tx, *r1 = r0 + W;
                    v4 a = ld(r0), c = ld(r0 + 4), e = ld(r1), f = ld(r1 + 4);
                    v4 y[2][2] = { // dY[p][q] of the four tiles
                        {__builtin_shufflevector(a, c, 0, 2, 4, 6),
                         __builtin_shufflevector(a, c, 1, 3, 5, 7)},
                        {__builtin_shufflevector(e, f, 0, 2, 4, 6),
                         __builtin_shufflevector(e, f, 1, 3, 5, 7)}};
                    v4 r[4][2]; // A dY (4x2): rows y0, y0 + y1, y0 - y1, -y1
                    for (int q = 0; q < 2; q++) {
                        r[0][q] = y[0][q];
                        r[1][q] = y[0][q] + y[1][q];
                        r[2][q] = y[0][q] - y[1][q];
                        r[3][q] = -y[1][q];
                    }
                    float *d = dM + (size_t)o * ldm + (size_t)(b * TH + ty) * TW + tx;
                    for (int i = 0; i < 4; i++) { // (A dY) A^T: the same on the columns
                        st(d + (4 * i + 0) * mplane, r[i][0]);
                        st(d + (4 * i + 1) * mplane, r[i][0] + r[i][1]);
                        st(d + (4 * i + 2) * mplane, r[i][0] - r[i][1]);
                        st(d + (4 * i + 3) * mplane, -r[i][1]);
                    }
                }
        }
}

// dw (OC, C, 3, 3) = G^T dU G for the 16 planes dU_xi (OC, C).
static void filter_grad(float *dw, const float *dU, int C, int OC) {
    size_t plane = (size_t)OC * C;
    for (size_t oc = 0; oc < plane; oc++) {
        float u[16], s[3][4];
        for (int xi = 0; xi < 16; xi++) u[xi] = dU[xi * plane + oc];
        for (int k = 0; k < 4; k++) { // G^T (3x4) on the rows
            float h = (u[4 + k] + u[8 + k]) * 0.5f;
            s[0][k] = u[k] + h;
            s[1][k] = (u[4 + k] - u[8 + k]) * 0.5f;
            s[2][k] = h + u[12 + k];
        }
        float *g = dw + oc * 9;
        for (int i = 0; i < 3; i++) { // then on the columns
            float h = (s[i][1] + s[i][2]) * 0.5f;
            g[i * 3 + 0] = s[i][0] + h;
            g[i * 3 + 1] = (s[i][1] - s[i][2]) * 0.5f;
            g[i * 3 + 2] = h + s[i][3];
        }
    }
}

static float sum8(const float *r, int n) { // eight partial sums in a fixed order
    float p[8] = {0};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int t = 0; t < 8; t++) p[t] += r[i + t];
    float s = ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]));
    for (; i < n; i++) s += r[i];
    return s;
}

static void backward_slice(void *ctx, int t) {
    const Job *j = ctx;
    int C = j->C, OC = j->OC, H = j->H, W = j->W, HW = H * W, tiles = (H / 2) * (W / 2);
    int tc = j->group * tiles, tcp = (int)up((size_t)tc, 4);
    size_t vm = vm_floats(C, OC, tc), vm2 = vm_floats(OC, C, tc);
    float *own = j->slices + (size_t)t * j->slice, *dU = own + (vm > vm2 ? vm : vm2);
    float *tmp = thread_buffer(THREAD_BUF_CONV, vm > vm2 ? vm : vm2);
    if (!tmp) tmp = own;
    float *dw = dU + up((size_t)16 * OC * C, 16), *dbs = dw + up((size_t)OC * C * 9, 16);
    if (j->dbias) memset(dbs, 0, sizeof(float) * (size_t)OC);
    int b1 = j->B * (t + 1) / j->chunks, first = 1;
    for (int b0 = j->B * t / j->chunks; b0 < b1; b0 += j->group) {
        int nb = b1 - b0 < j->group ? b1 - b0 : j->group, n = nb * tiles;
        if (j->dbias)
            for (int b = b0; b < b0 + nb; b++)
                for (int o = 0; o < OC; o++)
                    dbs[o] += sum8(j->dout + ((size_t)b * OC + o) * HW, HW);
        if (j->dweight) { // dU_xi (OC, C) += dM_xi (OC, n) . V_xi^T (n, C)
            size_t vplane = (size_t)C * tcp + PLANE_PAD, mplane = (size_t)OC * tcp + PLANE_PAD;
            float *V = tmp, *dM = tmp + up(16 * vplane, 16);
            wino_inputs(V, vplane, j->inp, b0, nb, C, H, W, tcp);
            dout_transform(dM, mplane, tcp, j->dout, b0, nb, OC, H, W);
            for (int xi = 0; xi < 16; xi++)
                gemm(0, 1, OC, C, n, dM + xi * mplane, tcp, V + xi * vplane, tcp,
                     dU + (size_t)xi * OC * C, C, !first);
            first = 0;
        }
        if (j->dinp) conv_group(j, tmp, j->dinp, j->dout, NULL, 1, b0, nb, OC, C);
    }
    if (j->dweight) filter_grad(dw, dU, C, OC);
}

int conv_wino_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                       const float *inp, const float *weight, int B, int C, int H, int W, int OC,
                       int chunks, float *work) {
    int mr, nr;
    gemm_tile_shape(&mr, &nr);
    if (B <= 0 || nr % 4 || mr > 32) return 0;
    if (!conv_wino_use(CONV_DINP, C, H, W, OC)) dinp = NULL;
    if (!conv_wino_use(CONV_DWEIGHT, C, H, W, OC)) dweight = dbias = NULL;
    if (!dinp && !dweight && !dbias) return 0;
    int group = wino_group(B, chunks, C, H, W, OC), tc = group * (H / 2) * (W / 2);
    Job j = {NULL, dinp, dweight, dbias, inp, NULL, dout, work, B, C, H, W, OC, chunks, group,
             mr, nr, align64(work + u_floats(C, OC)), slice_floats(C, OC, tc)};
    if (dinp) wino_filters(work, weight, C, OC, mr, 1);
    parallel_for(chunks, backward_slice, &j);
    size_t vm = vm_floats(C, OC, tc), vm2 = vm_floats(OC, C, tc);
    size_t at = (vm > vm2 ? vm : vm2) + up((size_t)16 * OC * C, 16), nw = (size_t)OC * C * 9;
    // the slices' partials in slice order: independent of the thread count
    if (dweight) parallel_add_slices(dweight, j.slices + at, j.slice, chunks, nw);
    for (int t = 0; dbias && t < chunks; t++) {
        const float *dbs = j.slices + t * j.slice + at + up(nw, 16);
        for (int o = 0; o < OC; o++) dbias[o] += dbs[o];
    }
    return (dinp ? 1 : 0) | (dweight || dbias ? 2 : 0);
}
