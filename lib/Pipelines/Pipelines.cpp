//===- Pipelines.cpp - named ffn pass pipelines ---------------------------===//
//
// The CPU pipeline is written as pass-pipeline text over registered pass
// names: the same text runs under ffn-opt, and it survives upstream renames
// of C++ pass constructors.
//
//===----------------------------------------------------------------------===//

#include "ffn/Pipelines/Pipelines.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::ffn;

std::string
mlir::ffn::getLowerToCPUPipelineText(const CPUPipelineOptions &options) {
  std::string text;
  llvm::raw_string_ostream os(text);
  // ffn → linalg, and elementwise chains fused into single generics.
  os << "func.func(convert-ffn-to-linalg,convert-elementwise-to-linalg),"
        "ffn-cpu-fuse-elementwise,canonicalize,cse,";
  if (options.vectorize)
    os << llvm::formatv("func.func(ffn-cpu-tile-and-vectorize{{vector-width={0} "
                        "fuse-ffn={1}}),canonicalize,cse,",
                        options.vectorWidth.getValue(),
                        options.fuseFFN.getValue());
  // Buffers: outputs become caller-owned out-parameters.
  os << "eliminate-empty-tensors,"
        "one-shot-bufferize{bufferize-function-boundaries "
        "function-boundary-type-conversion=identity-layout-map},"
        "buffer-results-to-out-params{hoist-static-allocs modify-public-functions},"
        "cse,canonicalize,buffer-deallocation-pipeline,"
        "ffn-cpu-expand-strided-copies,convert-linalg-to-loops,";
  // Thread tiles onto OpenMP.
  os << "scf-forall-to-parallel,";
  if (options.parallel)
    os << "convert-scf-to-openmp,";
  // Vector and scalar code down to LLVM.
  os << "ffn-cpu-lower-vector,convert-vector-to-scf{full-unroll},lower-affine,"
        "canonicalize,cse,fold-memref-alias-ops,expand-strided-metadata,"
        "lower-affine,convert-scf-to-cf,convert-vector-to-llvm,"
        "convert-math-to-llvm,convert-math-to-libm,finalize-memref-to-llvm,"
        "convert-arith-to-llvm,convert-index-to-llvm,convert-openmp-to-llvm,"
        "convert-func-to-llvm,convert-cf-to-llvm,convert-ub-to-llvm,"
        "reconcile-unrealized-casts,canonicalize";
  return text;
}

LogicalResult
mlir::ffn::buildLowerToCPUPipeline(OpPassManager &pm,
                                   const CPUPipelineOptions &options,
                                   llvm::raw_ostream &errs) {
  return parsePassPipeline(getLowerToCPUPipelineText(options), pm, errs);
}

void mlir::ffn::registerPipelines() {
  PassPipelineRegistration<CPUPipelineOptions>(
      "ffn-lower-to-cpu",
      "Lower ffn and linalg on tensors to the LLVM dialect for x86-64 CPUs: "
      "thread/cache/register tiling, vectorisation, bufferisation, OpenMP",
      [](OpPassManager &pm, const CPUPipelineOptions &options) {
        if (failed(buildLowerToCPUPipeline(pm, options, llvm::errs())))
          llvm::report_fatal_error("ffn-lower-to-cpu: invalid pipeline text");
      });
}
