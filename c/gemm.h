// gemm.h - single-precision matrix multiply, the one hot loop under conv2d and linear.
// Row-major. C (M,N) = op(A) (M,K) . op(B) (K,N), or C += ... when accumulate != 0.
//   op(A) = A, stored (M,K) with row stride lda      (transA == 0)
//         = A^T, A stored (K,M) with row stride lda  (transA == 1)
//   op(B) = B, stored (K,N) with row stride ldb      (transB == 0)
//         = B^T, B stored (N,K) with row stride ldb  (transB == 1)
// gemm() picks the fastest kernel for the target (WebAssembly SIMD128, AVX-512, AVX2+FMA,
// or the scalar reference) and may split the M/N tiles over threads; it never splits K,
// so the result does not depend on the number of threads.
#ifndef EXCITE_GEMM_H
#define EXCITE_GEMM_H

void gemm(int transA, int transB, int M, int N, int K,
          const float *A, int lda, const float *B, int ldb,
          float *C, int ldc, int accumulate);

// The scalar reference every fast kernel is tested against.
void gemm_ref(int transA, int transB, int M, int N, int K,
              const float *A, int lda, const float *B, int ldb,
              float *C, int ldc, int accumulate);

// Name of the kernel gemm() uses ("wasm-simd128", "avx512", "avx2", "scalar").
const char *gemm_kernel_name(void);
// 1 if that kernel fuses each multiply-add (AVX2, AVX-512), 0 if it rounds the product and
// the sum apart (wasm-simd128, scalar): code that must give the GEMM's bits by another route
// (conv_direct.c) or whose speed depends on it (wino.c) asks.
int gemm_kernel_fma(void);

// The kernels usable on this machine, best first (tests and benchmarks run each of them):
// gemm_kernel_name_at(i) for i in [0, gemm_num_kernels()). gemm_select(name) makes gemm()
// use that kernel (0 on success, -1 if it is not usable here); NULL or "auto" restores the
// automatic choice. Not meant to be changed while another thread is inside gemm().
int gemm_num_kernels(void);
const char *gemm_kernel_name_at(int i);
int gemm_select(const char *name);

// ---- operands packed by the caller (c/conv_eval.c writes them in this layout directly) --
// The register tile (mr x nr) of the kernel gemm() uses now. Packed operands, as the
// micro-kernels read them (zero-padded to whole panels):
//   Ap: ceil(M/mr) panels of K x mr:  Ap[(p*K + k)*mr + i] = A[p*mr + i][k]
//   Bp: ceil(N/nr) panels of K x nr:  Bp[(q*K + k)*nr + j] = B[k][q*nr + j], 64-byte aligned
// gemm_prepacked: C (M,N) = A . B (row stride ldc), one thread, each element's sum over k
// in order. Packed for one kernel, operands are wrong for another: pack with the tile
// gemm_tile_shape gives just before, and do not gemm_select in between.
void gemm_tile_shape(int *mr, int *nr);
void gemm_prepacked(int M, int N, int K, const float *Ap, const float *Bp, float *C, int ldc);
// Ap (ceil(M/mr) * mr * K floats) = A (M,K), row stride lda, packed for gemm_prepacked.
void gemm_pack_a(float *Ap, const float *A, int lda, int M, int K);

#endif
