/* Calls the CUDA runtime's GEMM entry point directly, as host code built
 * with gemm=cublas does: argv[1] "ok" passes consistent 2x2 operands,
 * "mismatch" a C of the wrong shape. Used by gpu-gemm-runtime.test. */
#include <stdint.h>
#include <string.h>

typedef struct {
  float *allocated, *aligned;
  int64_t offset, sizes[2], strides[2];
} MemRef2D;

void _mlir_ciface_ffn_cuda_sgemm(MemRef2D *a, MemRef2D *b, MemRef2D *c,
                                 int32_t transA, int32_t transB, float alpha,
                                 float beta);

int main(int argc, char **argv) {
  float a[4] = {1, 2, 3, 4}, b[4] = {1, 0, 0, 1}, c[6] = {0};
  MemRef2D A = {a, a, 0, {2, 2}, {2, 1}};
  MemRef2D B = {b, b, 0, {2, 2}, {2, 1}};
  MemRef2D C = {c, c, 0, {2, 2}, {2, 1}};
  if (argc > 1 && strcmp(argv[1], "mismatch") == 0)
    C.sizes[1] = 3, C.strides[0] = 3;
  _mlir_ciface_ffn_cuda_sgemm(&A, &B, &C, 0, 0, 1.0f, 0.0f);
  return 0;
}
