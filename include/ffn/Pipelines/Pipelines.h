//===- Pipelines.h - named ffn pass pipelines -------------------*- C++ -*-===//
//
// The pass pipelines ffn-compile runs, registered for ffn-opt too:
// `ffn-lower-to-cpu` (ffn/linalg on tensors to the LLVM dialect).
//
//===----------------------------------------------------------------------===//

#ifndef FFN_PIPELINES_PIPELINES_H
#define FFN_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassOptions.h"
#include "mlir/Support/LLVM.h"

namespace mlir {
class OpPassManager;
namespace ffn {

/// Options of `ffn-lower-to-cpu`.
struct CPUPipelineOptions : public PassPipelineOptions<CPUPipelineOptions> {
  PassOptions::Option<int64_t> vectorWidth{
      *this, "vector-width",
      llvm::cl::desc("f32 lanes of a vector register: 16 (AVX-512) or 8 "
                     "(AVX2)"),
      llvm::cl::init(16)};
  PassOptions::Option<bool> parallel{
      *this, "parallel",
      llvm::cl::desc("Run thread tiles across all cores with OpenMP"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> vectorize{
      *this, "vectorize",
      llvm::cl::desc("Tile and vectorise (off: plain scalar loops on one "
                     "thread, for debugging only)"),
      llvm::cl::init(true)};
  PassOptions::Option<std::string> fuseFFN{
      *this, "fuse-ffn",
      llvm::cl::desc("Whole-FFN fusion, no [T, H] intermediate: auto (where "
                     "it pays), always or never"),
      llvm::cl::init("auto")};
};

/// Appends ffn-lower-to-cpu: ffn → linalg → tiles and vectors → buffers →
/// OpenMP → LLVM dialect. The module's public functions take their results
/// as trailing out-parameters afterwards.
LogicalResult buildLowerToCPUPipeline(OpPassManager &pm,
                                      const CPUPipelineOptions &options,
                                      llvm::raw_ostream &errs);

/// The textual form of the pipeline, for documentation and debugging.
std::string getLowerToCPUPipelineText(const CPUPipelineOptions &options);

/// Registers the named pipelines with the global registry.
void registerPipelines();
} // namespace ffn
} // namespace mlir

#endif // FFN_PIPELINES_PIPELINES_H
