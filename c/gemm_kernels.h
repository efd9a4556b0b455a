// gemm_kernels.h - the register-tile micro-kernels behind gemm() (private to c/gemm*.c).
// A micro-kernel computes one MR x NR tile of C over kc steps of packed operands:
//   a: packed A, kc columns of MR values (a[k*MR + i] = op(A)[i][k])
//   b: packed B, kc rows of NR values    (b[k*NR + j] = op(B)[k][j]), 64-byte aligned
//   c: the tile, row stride ldc;  load_c ? c += a.b : c = a.b
// Each element's sum runs over k in order, so a tile's result does not depend on where it
// lies in C or which thread computes it.
#ifndef EXCITE_GEMM_KERNELS_H
#define EXCITE_GEMM_KERNELS_H

typedef void (*GemmMicroKernel)(int kc, const float *a, const float *b, float *c, long ldc,
                                int load_c);

void gemm_micro_scalar_4x8(int kc, const float *a, const float *b, float *c, long ldc, int load_c);
#if defined(__x86_64__) && !defined(__wasm__)
void gemm_micro_avx2_6x16(int kc, const float *a, const float *b, float *c, long ldc, int load_c);
void gemm_micro_avx512_8x32(int kc, const float *a, const float *b, float *c, long ldc, int load_c);
#endif

// Optional transposing copy used by the packers: dst[k*ldd + r] = src[r*lds + k] for
// r < rows (a multiple of the kernel's pack_t_rows: 8 for AVX, 4 for SIMD128), k < kc.
typedef void (*GemmPackT)(float *dst, int ldd, const float *src, long lds, int rows, int kc);
#if defined(__x86_64__) && !defined(__wasm__)
void gemm_pack_t_avx2(float *dst, int ldd, const float *src, long lds, int rows, int kc);
#endif
// Dot product of a and b (K floats) as eight interleaved partial sums s[t] (t = k mod 8),
// returned as ((s0+s1)+(s2+s3))+((s4+s5)+(s6+s7)) plus the tail in order.
typedef float (*GemmDot)(const float *a, const float *b, int K);
float gemm_dot_scalar(const float *a, const float *b, int K);
// Several at once (the kernel table's dot_n, at most 4), r[q] = a . b[q * ldb ..], each with
// the same sums (the same bits) as GemmDot: more independent chains of additions (one dot
// product waits on its additions' latency).
typedef void (*GemmDotRows)(float r[4], const float *a, const float *b, long ldb, int K);
#if defined(__x86_64__) && !defined(__wasm__)
void gemm_dot4_sse(float r[4], const float *a, const float *b, long ldb, int K);
#endif
#if defined(__wasm_simd128__)
float gemm_dot_wasm(const float *a, const float *b, int K);
void gemm_dot3_wasm(float r[4], const float *a, const float *b, long ldb, int K);
void gemm_pack_t_wasm(float *dst, int ldd, const float *src, long lds, int rows, int kc);
#endif
#if defined(__wasm_simd128__)
void gemm_micro_wasm_4x8(int kc, const float *a, const float *b, float *c, long ldc, int load_c);
#endif

#endif
