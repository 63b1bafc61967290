//===- CudaBlas.cpp - the GEMMs ffn-gpu-library-gemm hands to cuBLAS ------===//
//
// `ffn_cuda_sgemm` and `ffn_cuda_sgemm_batched`, called by host code that
// ffn-lower-to-nvvm built with `gemm=cublas`: C = alpha·op(A)·op(B) + beta·C
// on row-major f32 device buffers given as MLIR memref descriptors, run by
// cuBLAS's SGEMM through the usual transposition (a row-major matrix is the
// column-major view of its transpose, so C^T = op(B)^T · op(A)^T).
//
// cuBLAS is opened with dlopen, like the driver: FFN_CUBLAS_LIB, else
// libcublas.so.13, .12, then libcublas.so. Binaries therefore build, link
// and print --help without a GPU or cuBLAS, and a missing library or a
// failing call ends the process with `ffn-cuda: ...` naming the call and
// the cuBLAS status, exit code 1. The declarations below are our own (the
// few entry points and enum values used, as in cublas_api.h of CUDA 12/13).
//
// One handle per process, on the legacy default stream: the generated code
// waits for its kernels before calling here (gpu-async-region), and the
// streams it creates afterwards are blocking streams, which wait for work
// on the legacy stream; so the GEMM is ordered without a host round trip.
// Math is strict FP32 (CUBLAS_DEFAULT_MATH); FFN_CUDA_TF32=1 allows TF32
// tensor-core math, faster and less precise (10-bit mantissa products).
//
//===----------------------------------------------------------------------===//

#include "CudaRuntime.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <mutex>
#include <type_traits>

namespace {

// The subset of cublas_api.h used here.
using cublasStatus_t = int;
using cublasHandle_t = struct cublasContext *;
using cudaStream_t = struct CUstream_st *;
constexpr cublasStatus_t kCublasSuccess = 0;
constexpr int kCublasOpN = 0, kCublasOpT = 1;
constexpr int kCublasDefaultMath = 0, kCublasTF32TensorOpMath = 3;
/// cudaStreamLegacy: the legacy default stream, whatever the default-stream
/// mode cuBLAS was built with.
const cudaStream_t kLegacyStream = reinterpret_cast<cudaStream_t>(0x1);

struct Blas {
  cublasStatus_t (*cublasCreate_v2)(cublasHandle_t *) = nullptr;
  cublasStatus_t (*cublasSetStream_v2)(cublasHandle_t, cudaStream_t) = nullptr;
  cublasStatus_t (*cublasSetMathMode)(cublasHandle_t, int) = nullptr;
  cublasStatus_t (*cublasSgemm_v2)(cublasHandle_t, int, int, int, int, int,
                                   const float *, const float *, int,
                                   const float *, int, const float *, float *,
                                   int) = nullptr;
  cublasStatus_t (*cublasSgemmStridedBatched)(cublasHandle_t, int, int, int,
                                              int, int, const float *,
                                              const float *, int, long long,
                                              const float *, int, long long,
                                              const float *, float *, int,
                                              long long, int) = nullptr;
  /// Optional (CUDA 11.4 and later).
  const char *(*cublasGetStatusName)(cublasStatus_t) = nullptr;
  cublasHandle_t handle = nullptr;
  std::mutex mutex;
};

/// The status's name, e.g. CUBLAS_STATUS_INVALID_VALUE.
const char *statusName(const Blas &blas, cublasStatus_t status) {
  if (blas.cublasGetStatusName)
    if (const char *name = blas.cublasGetStatusName(status))
      return name;
  switch (status) {
  case 1:
    return "CUBLAS_STATUS_NOT_INITIALIZED";
  case 3:
    return "CUBLAS_STATUS_ALLOC_FAILED";
  case 7:
    return "CUBLAS_STATUS_INVALID_VALUE";
  case 8:
    return "CUBLAS_STATUS_ARCH_MISMATCH";
  case 11:
    return "CUBLAS_STATUS_MAPPING_ERROR";
  case 13:
    return "CUBLAS_STATUS_EXECUTION_FAILED";
  case 14:
    return "CUBLAS_STATUS_INTERNAL_ERROR";
  case 15:
    return "CUBLAS_STATUS_NOT_SUPPORTED";
  case 16:
    return "CUBLAS_STATUS_LICENSE_ERROR";
  default:
    return "unknown cuBLAS status";
  }
}

void check(const Blas &blas, cublasStatus_t status, const char *call) {
  if (status == kCublasSuccess)
    return;
  char what[96];
  std::snprintf(what, sizeof(what), "%s failed", call);
  char detail[96];
  std::snprintf(detail, sizeof(detail), "%s (%d)", statusName(blas, status),
                status);
  ffn_cuda::fail(what, detail);
}

/// Opens cuBLAS (first call only) and resolves the entry points.
void *openLibrary() {
  const char *env = std::getenv("FFN_CUBLAS_LIB");
  if (env && *env) {
    if (void *lib = dlopen(env, RTLD_NOW | RTLD_LOCAL))
      return lib;
    ffn_cuda::fail("cannot load cuBLAS from FFN_CUBLAS_LIB", dlerror());
  }
  const char *error = nullptr;
  for (const char *name :
       {"libcublas.so.13", "libcublas.so.12", "libcublas.so"}) {
    if (void *lib = dlopen(name, RTLD_NOW | RTLD_LOCAL))
      return lib;
    error = dlerror();
  }
  ffn_cuda::fail("cannot load cuBLAS (tried libcublas.so.13, .12 and "
                 "libcublas.so; set FFN_CUBLAS_LIB to its path)",
                 error);
}

/// The process's cuBLAS handle, bound to the legacy default stream.
Blas &blas() {
  static Blas b;
  static std::once_flag once;
  std::call_once(once, [] {
    void *lib = openLibrary();
    auto resolve = [lib](auto &fn, const char *name, bool required) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(
          dlsym(lib, name));
      if (!fn && required) {
        char what[96];
        std::snprintf(what, sizeof(what), "the cuBLAS library lacks %s", name);
        ffn_cuda::fail(what, nullptr);
      }
    };
    resolve(b.cublasCreate_v2, "cublasCreate_v2", true);
    resolve(b.cublasSetStream_v2, "cublasSetStream_v2", true);
    resolve(b.cublasSetMathMode, "cublasSetMathMode", true);
    resolve(b.cublasSgemm_v2, "cublasSgemm_v2", true);
    resolve(b.cublasSgemmStridedBatched, "cublasSgemmStridedBatched", true);
    resolve(b.cublasGetStatusName, "cublasGetStatusName", false);
    // cuBLAS (through the CUDA runtime) uses the primary context that the
    // driver side made current.
    ffn_cuda::makeContextCurrent();
    check(b, b.cublasCreate_v2(&b.handle), "cublasCreate_v2");
    check(b, b.cublasSetStream_v2(b.handle, kLegacyStream),
          "cublasSetStream_v2");
    const char *tf32 = std::getenv("FFN_CUDA_TF32");
    bool allowTF32 = tf32 && std::strcmp(tf32, "1") == 0;
    check(b,
          b.cublasSetMathMode(b.handle, allowTF32 ? kCublasTF32TensorOpMath
                                                  : kCublasDefaultMath),
          "cublasSetMathMode");
  });
  return b;
}

/// A memref descriptor as MLIR's C interface passes it.
template <int Rank> struct MemRef {
  float *allocated;
  float *aligned;
  int64_t offset;
  int64_t sizes[Rank];
  int64_t strides[Rank];
};

/// A row-major matrix as cuBLAS takes it: the stored rows and columns, the
/// leading dimension (row stride) and, for batches, the matrix stride.
struct Matrix {
  float *data;
  int64_t rows, cols, ld, batchStride;
};

template <int Rank> Matrix matrix(const MemRef<Rank> &m, const char *name) {
  Matrix r;
  r.data = m.aligned + m.offset;
  r.rows = m.sizes[Rank - 2];
  r.cols = m.sizes[Rank - 1];
  r.batchStride = Rank == 3 ? m.strides[0] : 0;
  // A single row has no meaningful row stride.
  r.ld = r.rows == 1 ? std::max<int64_t>(r.cols, 1) : m.strides[Rank - 2];
  if ((m.strides[Rank - 1] != 1 && r.cols > 1) || r.ld < r.cols ||
      r.ld > INT32_MAX || r.rows > INT32_MAX || r.cols > INT32_MAX) {
    char what[128];
    std::snprintf(what, sizeof(what),
                  "ffn_cuda_sgemm: operand %s is not a row-major matrix "
                  "cuBLAS can read (rows %lld, columns %lld, strides %lld, "
                  "%lld)",
                  name, static_cast<long long>(r.rows),
                  static_cast<long long>(r.cols),
                  static_cast<long long>(m.strides[Rank - 2]),
                  static_cast<long long>(m.strides[Rank - 1]));
    ffn_cuda::fail(what, nullptr);
  }
  return r;
}

/// C = alpha·op(A)·op(B) + beta·C over `batch` matrices (row-major).
void gemm(const Matrix &a, const Matrix &b, const Matrix &c, bool transA,
          bool transB, float alpha, float beta, int64_t batch) {
  int64_t m = transA ? a.cols : a.rows, k = transA ? a.rows : a.cols;
  int64_t kb = transB ? b.cols : b.rows, n = transB ? b.rows : b.cols;
  if (k != kb || c.rows != m || c.cols != n)
    ffn_cuda::fail("ffn_cuda_sgemm: operand shapes do not match", nullptr);
  if (m == 0 || n == 0 || batch == 0)
    return;
  Blas &lib = blas();
  // cuBLAS (the CUDA runtime) works in the calling thread's current
  // context: the primary context of FFN_CUDA_DEVICE, on every thread.
  ffn_cuda::makeContextCurrent();
  std::lock_guard<std::mutex> lock(lib.mutex);
  // Column-major: C^T (n x m) = op(B)^T (n x k) · op(A)^T (k x m).
  int opB = transB ? kCublasOpT : kCublasOpN;
  int opA = transA ? kCublasOpT : kCublasOpN;
  if (batch == 1) {
    check(lib,
          lib.cublasSgemm_v2(lib.handle, opB, opA, n, m, k, &alpha, b.data,
                             b.ld, a.data, a.ld, &beta, c.data, c.ld),
          "cublasSgemm_v2");
    return;
  }
  check(lib,
        lib.cublasSgemmStridedBatched(lib.handle, opB, opA, n, m, k, &alpha,
                                      b.data, b.ld, b.batchStride, a.data, a.ld,
                                      a.batchStride, &beta, c.data, c.ld,
                                      c.batchStride, batch),
        "cublasSgemmStridedBatched");
}

} // namespace

extern "C" {

/// 2-D: A [M, K] (or [K, M] when transA), B [K, N] (or [N, K]), C [M, N].
void _mlir_ciface_ffn_cuda_sgemm(MemRef<2> *a, MemRef<2> *b, MemRef<2> *c,
                                 int32_t transA, int32_t transB, float alpha,
                                 float beta) {
  gemm(matrix(*a, "A"), matrix(*b, "B"), matrix(*c, "C"), transA, transB, alpha,
       beta, 1);
}

/// Batched: the same with a leading batch dimension on every operand.
void _mlir_ciface_ffn_cuda_sgemm_batched(MemRef<3> *a, MemRef<3> *b,
                                         MemRef<3> *c, int32_t transA,
                                         int32_t transB, float alpha,
                                         float beta) {
  if (a->sizes[0] != c->sizes[0] || b->sizes[0] != c->sizes[0] ||
      c->sizes[0] > INT32_MAX)
    ffn_cuda::fail("ffn_cuda_sgemm_batched: batch sizes do not match", nullptr);
  gemm(matrix(*a, "A"), matrix(*b, "B"), matrix(*c, "C"), transA, transB, alpha,
       beta, c->sizes[0]);
}

} // extern "C"
