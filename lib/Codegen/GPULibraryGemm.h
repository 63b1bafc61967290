//===- GPULibraryGemm.h - GEMMs run by a library on the GPU -----*- C++ -*-===//
//
// What ffn-gpu-select-gemm and ffn-gpu-library-gemm share: the attribute
// that marks a contraction for a library call, and the match that says
// whether cuBLAS can take a contraction and in which layout.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_LIB_CODEGEN_GPULIBRARYGEMM_H
#define FFN_LIB_CODEGEN_GPULIBRARYGEMM_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Support/LLVM.h"
#include <string>

namespace mlir {
namespace ffn {

/// The attribute marking a contraction that runs as a library call: a
/// dictionary `{library = "cublas", beta = 0.0 | 1.0 : f32}`.
inline constexpr llvm::StringLiteral kLibraryGemmAttr = "ffn.gpu_library_gemm";

/// A contraction in the form a row-major GEMM library takes:
/// C[b?, m, n] = op(A)[b?, m, k] * op(B)[b?, k, n], where A is stored as
/// [b?, m, k] (or [b?, k, m] when transA) and B as [b?, k, n] (or [b?, n, k]
/// when transB).
struct LibraryGemm {
  bool batched = false;
  bool transA = false;
  bool transB = false;
  int64_t batch = 1, m = 0, n = 0, k = 0;

  /// "MxNxK", or "BxMxNxK" when batched.
  std::string shapeString() const;
};

/// Matches `op` (on tensors or buffers) against the GEMMs cuBLAS's SGEMM
/// takes; on failure, `why` says what does not fit.
FailureOr<LibraryGemm> matchLibraryGemm(linalg::LinalgOp op, std::string &why);

} // namespace ffn
} // namespace mlir

#endif // FFN_LIB_CODEGEN_GPULIBRARYGEMM_H
