//===- Pipelines.cpp - named ffn pass pipelines ---------------------------===//
//
// The CPU and GPU pipelines are written as pass-pipeline text over registered pass
// names: the same text runs under ffn-opt, and it survives upstream renames
// of C++ pass constructors.
//
//===----------------------------------------------------------------------===//

#include "ffn/Pipelines/Pipelines.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/FormatVariadic.h"
#include <cstdlib>

using namespace mlir;
using namespace mlir::ffn;

std::string
mlir::ffn::getLowerToCPUPipelineText(const CPUPipelineOptions &options) {
  std::string text;
  llvm::raw_string_ostream os(text);
  // ReLU FFNs at small T: the down projection skips zero activations.
  if (options.vectorize && options.activationSparsity.getValue() != "never")
    os << llvm::formatv("func.func(ffn-cpu-skip-zero-activations{{mode={0} "
                        "vector-width={1} remarks={2}}),",
                        options.activationSparsity.getValue(),
                        options.vectorWidth.getValue(),
                        options.activationSparsityRemarks.getValue());
  // ffn → linalg, and elementwise chains fused into single generics.
  os << llvm::formatv("func.func(convert-ffn-to-linalg{{reuse-weight-buffers={0}}",
                      options.reuseWeightBuffers.getValue())
     << ",convert-elementwise-to-linalg),"
        "ffn-cpu-fuse-elementwise,canonicalize,cse,";
  if (options.vectorize)
    os << llvm::formatv("func.func(ffn-cpu-tile-and-vectorize{{vector-width={0} "
                        "fuse-ffn={1} fuse-low-rank={2} release-weights={3}}),"
                        "canonicalize,cse,",
                        options.vectorWidth.getValue(),
                        options.fuseFFN.getValue(),
                        options.fuseLowRank.getValue(),
                        options.reuseWeightBuffers.getValue());
  // Buffers: outputs become caller-owned out-parameters. Without them
  // (dynamic shapes: the caller cannot size the outputs) public functions
  // return their results as new buffers the caller owns: the deallocation
  // pipeline clones a returned buffer it does not own (an argument, a
  // constant), and the clones become allocations and copies.
  os << "eliminate-empty-tensors,"
        "one-shot-bufferize{bufferize-function-boundaries "
        "function-boundary-type-conversion=identity-layout-map},";
  if (options.resultsAsOutParams)
    os << "buffer-results-to-out-params{hoist-static-allocs "
          "modify-public-functions},";
  os << "cse,canonicalize,buffer-deallocation-pipeline,";
  if (!options.resultsAsOutParams)
    os << "convert-bufferization-to-memref,";
  os << "ffn-cpu-expand-strided-copies,convert-linalg-to-loops,";
  // Thread tiles onto OpenMP.
  os << "scf-forall-to-parallel,";
  if (options.parallel)
    os << "convert-scf-to-openmp,";
  // Vector and scalar code down to LLVM.
  os << "ffn-cpu-lower-vector,convert-vector-to-scf{full-unroll},lower-affine,"
        "canonicalize,cse,fold-memref-alias-ops,expand-strided-metadata,"
        "lower-affine,convert-scf-to-cf,convert-vector-to-llvm,"
        "convert-math-to-llvm,convert-math-to-libm,";
  // Returned buffers are freed by the caller with free(): aligned_alloc makes
  // their aligned pointer the allocated one.
  os << (options.resultsAsOutParams
             ? "finalize-memref-to-llvm,"
             : "finalize-memref-to-llvm{use-aligned-alloc},");
  os << "convert-arith-to-llvm,convert-index-to-llvm,convert-openmp-to-llvm,"
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

bool mlir::ffn::isSupportedGPUArch(llvm::StringRef arch) {
  return arch == "sm_80" || arch == "sm_90";
}

std::string mlir::ffn::resolveCUDAToolkit(llvm::StringRef toolkit) {
  if (!toolkit.empty())
    return toolkit.str();
  if (const char *env = std::getenv("CUDA_HOME"))
    if (*env)
      return env;
  return "/usr/local/cuda";
}

std::string
mlir::ffn::getLowerToNVVMPipelineText(const GPUPipelineOptions &options) {
  std::string text;
  llvm::raw_string_ostream os(text);
  // ffn → linalg, elementwise chains fused, then block and thread tiles.
  os << "func.func(convert-ffn-to-linalg,convert-elementwise-to-linalg),"
        "ffn-cpu-fuse-elementwise,canonicalize,cse,"
     << llvm::formatv("func.func(ffn-gpu-select-gemm{{library={0} "
                      "remarks={1}},ffn-gpu-tile{{gemm-thread-tile={2}}),",
                      options.gemm.getValue() == "cublas" ? "cublas" : "none",
                      options.gemmRemarks.getValue(),
                      options.gemmThreadTile.getValue())
     << "canonicalize,cse,";
  // Buffers, then everything the host touches moves to the device.
  os << "eliminate-empty-tensors,"
        "one-shot-bufferize{bufferize-function-boundaries "
        "function-boundary-type-conversion=identity-layout-map},"
        "buffer-results-to-out-params{hoist-static-allocs modify-public-functions},"
        "cse,canonicalize,buffer-deallocation-pipeline,"
        "ffn-gpu-library-gemm,"
        "ffn-gpu-device-memory,ffn-cpu-expand-strided-copies,"
        "convert-linalg-to-loops,";
  // Tiles → mapped parallel loops → gpu.launch → outlined kernels, launched
  // on one stream per call.
  os << "func.func(ffn-gpu-map-forall,convert-parallel-loops-to-gpu),"
        "canonicalize,cse,gpu-kernel-outlining,func.func(gpu-async-region),";
  // Kernels to NVVM and a binary; host code to the LLVM dialect.
  std::string toolkit = resolveCUDAToolkit(options.toolkit);
  os << "convert-nvgpu-to-nvvm,convert-vector-to-scf,convert-scf-to-cf,"
        "convert-nvvm-to-llvm,convert-func-to-llvm,expand-strided-metadata,"
     << llvm::formatv("nvvm-attach-target{{chip={0} features=+ptx80 O=3},",
                      options.gpuArch.getValue())
     << "lower-affine,convert-arith-to-llvm,convert-index-to-llvm,"
        "canonicalize,cse,"
        "gpu.module(convert-gpu-to-nvvm,canonicalize,cse,"
        "reconcile-unrealized-casts),"
        "gpu-to-llvm,"
     << llvm::formatv("gpu-module-to-binary{{format={0} toolkit={1}},",
                      options.format.getValue(), toolkit)
     << "convert-math-to-llvm,convert-cf-to-llvm,convert-ub-to-llvm,"
        "canonicalize,cse,reconcile-unrealized-casts";
  return text;
}

LogicalResult
mlir::ffn::buildLowerToNVVMPipeline(OpPassManager &pm,
                                    const GPUPipelineOptions &options,
                                    llvm::raw_ostream &errs) {
  if (!isSupportedGPUArch(options.gpuArch)) {
    errs << "ffn-lower-to-nvvm: unsupported GPU architecture '"
         << options.gpuArch << "' (use sm_80 or sm_90)\n";
    return failure();
  }
  llvm::StringRef format = options.format;
  if (format != "fatbin" && format != "bin" && format != "isa") {
    errs << "ffn-lower-to-nvvm: unknown GPU binary format '" << format
         << "' (use fatbin, bin or isa)\n";
    return failure();
  }
  llvm::StringRef gemm = options.gemm;
  if (gemm != "cublas" && gemm != "generated") {
    errs << "ffn-lower-to-nvvm: unknown GEMM strategy '" << gemm
         << "' (use cublas or generated)\n";
    return failure();
  }
  return parsePassPipeline(getLowerToNVVMPipelineText(options), pm, errs);
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
  PassPipelineRegistration<GPUPipelineOptions>(
      "ffn-lower-to-nvvm",
      "Lower ffn and linalg on tensors to host code in the LLVM dialect that "
      "launches NVIDIA GPU kernels (block/thread tiles with fused epilogues, "
      "NVVM, a binary built with the CUDA toolkit's ptxas)",
      [](OpPassManager &pm, const GPUPipelineOptions &options) {
        if (failed(buildLowerToNVVMPipeline(pm, options, llvm::errs())))
          llvm::report_fatal_error("ffn-lower-to-nvvm: invalid options");
      });
}
