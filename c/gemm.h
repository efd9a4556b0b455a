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

// The kernels usable on this machine, best first (tests and benchmarks run each of them):
// gemm_kernel_name_at(i) for i in [0, gemm_num_kernels()). gemm_select(name) makes gemm()
// use that kernel (0 on success, -1 if it is not usable here); NULL or "auto" restores the
// automatic choice. Not meant to be changed while another thread is inside gemm().
int gemm_num_kernels(void);
const char *gemm_kernel_name_at(int i);
int gemm_select(const char *name);

#endif
