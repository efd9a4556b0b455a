// gemm.c - scalar reference GEMM and the dispatcher. See gemm.h.
#include "gemm.h"

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

void gemm(int transA, int transB, int M, int N, int K,
          const float *A, int lda, const float *B, int ldb,
          float *C, int ldc, int accumulate) {
    gemm_ref(transA, transB, M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}

const char *gemm_kernel_name(void) { return "scalar"; }
