//===- Pipelines.h - named ffn pass pipelines -------------------*- C++ -*-===//
//
// The pass pipelines ffn-compile runs, registered for ffn-opt too:
// `ffn-lower-to-cpu` (ffn/linalg on tensors to the LLVM dialect) and
// `ffn-lower-to-nvvm` (the same, as host code launching NVIDIA GPU kernels
// embedded as a binary).
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
  PassOptions::Option<bool> fuseLowRank{
      *this, "fuse-low-rank",
      llvm::cl::desc("Low-rank pairs x·Bᵀ·Aᵀ in one thread tile of token "
                     "rows (the [rows, r] product stays in cache)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> reuseWeightBuffers{
      *this, "reuse-weight-buffers",
      llvm::cl::desc("Transform the weights in their own buffers and free "
                     "the ones a packed copy replaces at once (only for a "
                     "module alone with its weights; ffn-compile's final "
                     "build)"),
      llvm::cl::init(false)};
  PassOptions::Option<std::string> activationSparsity{
      *this, "activation-sparsity",
      llvm::cl::desc("Exact activation sparsity for ReLU FFNs (the down "
                     "projection reads only the weights of non-zero "
                     "neurons; pays for activations about 90% zero): never "
                     "(default), auto (1-token FFNs) or always"),
      llvm::cl::init("never")};
  PassOptions::Option<bool> activationSparsityRemarks{
      *this, "activation-sparsity-remarks",
      llvm::cl::desc("A remark for every FFN that gets activation sparsity"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> resultsAsOutParams{
      *this, "results-as-out-params",
      llvm::cl::desc("Public functions write their results into caller-"
                     "allocated out-parameters (on, the default: static "
                     "shapes); off: they return them as buffers the caller "
                     "frees with free() (dynamic shapes)"),
      llvm::cl::init(true)};
};

/// Appends ffn-lower-to-cpu: ffn → linalg → tiles and vectors → buffers →
/// OpenMP → LLVM dialect. The module's public functions take their results
/// as trailing out-parameters afterwards, or with `results-as-out-params=0`
/// return them as buffers the caller owns.
LogicalResult buildLowerToCPUPipeline(OpPassManager &pm,
                                      const CPUPipelineOptions &options,
                                      llvm::raw_ostream &errs);

/// The textual form of the pipeline, for documentation and debugging.
std::string getLowerToCPUPipelineText(const CPUPipelineOptions &options);

/// Options of `ffn-lower-to-nvvm`.
struct GPUPipelineOptions : public PassPipelineOptions<GPUPipelineOptions> {
  PassOptions::Option<std::string> gpuArch{
      *this, "gpu-arch",
      llvm::cl::desc("NVIDIA GPU architecture: sm_80 or sm_90"),
      llvm::cl::init("sm_90")};
  PassOptions::Option<std::string> toolkit{
      *this, "toolkit",
      llvm::cl::desc("CUDA toolkit (ptxas, fatbinary, libdevice); empty: "
                     "$CUDA_HOME, else /usr/local/cuda"),
      llvm::cl::init("")};
  PassOptions::Option<std::string> format{
      *this, "format",
      llvm::cl::desc("Embedded GPU code: fatbin (SASS + PTX), bin (cubin) "
                     "or isa (PTX text, JIT-compiled at load)"),
      llvm::cl::init("fatbin")};
  PassOptions::Option<int64_t> gemmThreadTile{
      *this, "gemm-thread-tile",
      llvm::cl::desc("GEMM outputs per thread along each output dimension"),
      llvm::cl::init(2)};
  PassOptions::Option<std::string> gemm{
      *this, "gemm",
      llvm::cl::desc("GEMMs: cublas (calls into cuBLAS where it takes the "
                     "op, generated code elsewhere) or generated (all "
                     "generated)"),
      llvm::cl::init("cublas")};
  PassOptions::Option<bool> gemmRemarks{
      *this, "gemm-remarks",
      llvm::cl::desc("A remark per GEMM saying whether it runs in cuBLAS or "
                     "as generated code"),
      llvm::cl::init(false)};
};

/// The GPU architectures ffn-lower-to-nvvm generates code for.
bool isSupportedGPUArch(llvm::StringRef arch);

/// The CUDA toolkit `options` name, $CUDA_HOME, or /usr/local/cuda.
std::string resolveCUDAToolkit(llvm::StringRef toolkit);

/// Appends ffn-lower-to-nvvm: ffn → linalg → block/thread tiles with fused
/// epilogues → buffers on the device → gpu.launch → outlined kernels → NVVM
/// → a gpu.binary from the toolkit's ptxas; the host side to the LLVM
/// dialect calling the `mgpu*` runtime (runtime/cuda). Public functions
/// take host buffers and return their results through out-parameters.
LogicalResult buildLowerToNVVMPipeline(OpPassManager &pm,
                                       const GPUPipelineOptions &options,
                                       llvm::raw_ostream &errs);

/// The textual form of the GPU pipeline.
std::string getLowerToNVVMPipelineText(const GPUPipelineOptions &options);

/// Registers the named pipelines with the global registry.
void registerPipelines();
} // namespace ffn
} // namespace mlir

#endif // FFN_PIPELINES_PIPELINES_H
