//===- CudaBackend.h - the NVIDIA GPU target of ffn-compile -----*- C++ -*-===//
//
// What --target=cuda adds to the CPU flow: option checks, the
// ffn-lower-to-nvvm pipeline in place of ffn-lower-to-cpu, and the CUDA
// runtime on the link line. Host code is still compiled for the host CPU.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_LIB_COMPILER_CUDABACKEND_H
#define FFN_LIB_COMPILER_CUDABACKEND_H

#include "ffn/Compiler/Compiler.h"
#include "mlir/IR/Diagnostics.h"
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlir {
class OpPassManager;
namespace ffn {
/// Checks --gpu-arch and that the CUDA toolkit has ptxas; diagnostics name
/// what is missing.
LogicalResult checkCUDAOptions(MLIRContext &context,
                               const CompileOptions &options);

/// Appends ffn-lower-to-nvvm configured from `options`.
LogicalResult buildCUDAPipeline(OpPassManager &pm,
                                const CompileOptions &options,
                                llvm::raw_ostream &errs);

/// The GEMM choices of a GPU build (cuBLAS or generated, per op), collected
/// from ffn-gpu-select-gemm's remarks while the pipeline runs (built with
/// `gemmRemarks` when `options.printReport`) and printed after it.
class GPUGemmReport {
public:
  explicit GPUGemmReport(MLIRContext &context);
  /// "GPU GEMMs: N cuBLAS, M generated" and one line per GEMM.
  void print(llvm::raw_ostream &os) const;

private:
  struct Entry {
    std::string location, message;
    bool library;
  };
  std::vector<Entry> entries;
  std::unique_ptr<ScopedDiagnosticHandler> handler;
};

/// The extra link inputs of a GPU artifact: the CUDA runtime library
/// (FFN_CUDA_RUNTIME_LIB overrides the one beside the tool) and libdl.
FailureOr<std::vector<std::string>>
getCUDALinkInputs(MLIRContext &context, const CompileOptions &options);
} // namespace ffn
} // namespace mlir

#endif // FFN_LIB_COMPILER_CUDABACKEND_H
