//===- Compiler.h - the ffn-compile driver as a library ---------*- C++ -*-===//
//
// Everything ffn-compile does, as a library the tool and tests call: load a
// model, run the FFN passes for an optimisation level, lower it for a CPU,
// emit LLVM IR or an object file, and link executables and shared libraries
// around the generated model interface.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_COMPILER_COMPILER_H
#define FFN_COMPILER_COMPILER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlir {
class MLIRContext;
namespace ffn {

/// The artifact ffn-compile writes.
enum class EmitKind { Exe, Lib, Obj, LLVM, MLIR };

/// The cosine distance `--ffn-fusion=auto` allows between a block's output on
/// its own input and on its run's first input.
constexpr double kDefaultFusionMaxDistance = 0.05;

/// Settings of one compilation, as given on the ffn-compile command line.
struct CompileOptions {
  std::string inputPath;
  std::string outputPath;
  EmitKind emit = EmitKind::Exe;
  /// 0: no FFN rewrites; 1: canonicalisation; 2 (default): exact FFN
  /// rewrites; 3: as 2, plus LLVM's most aggressive settings.
  unsigned optLevel = 2;
  /// LLVM CPU name, or "native" for the host.
  std::string cpu = "native";
  /// Where to write the FFN report (JSON); empty: none. "-" means the table
  /// on stderr only.
  std::string reportPath;
  bool printReport = false;
  /// Keep the intermediate files (glue source, object) and say where.
  bool keepTemps = false;
  /// Path of the running ffn-compile, to find the runtime library beside it.
  std::string toolPath;
  /// `--shape NAME=2x128x768` pins for the dynamic dimensions of ONNX inputs.
  std::vector<std::string> shapes;
  /// "cpu" (default) or "cuda" (NVIDIA GPUs; see lib/Compiler/CudaBackend.h).
  std::string target = "cpu";
  /// For --target=cuda: the GPU architecture (sm_80, sm_90) and the CUDA
  /// toolkit (empty: $CUDA_HOME, else /usr/local/cuda).
  std::string gpuArch = "sm_90";
  std::string cudaToolkit;
  /// For --target=cuda: "cublas" (GEMMs cuBLAS takes call it, the others
  /// are generated) or "generated" (every GEMM is generated code).
  std::string gpuGemm = "cublas";
  /// CPU whole-FFN fusion: "auto" (where it pays), "always" or "never".
  std::string fuseFFN = "auto";
  /// CPU low-rank pairs (--lowrank's two thin GEMMs) in one thread tile of
  /// token rows.
  bool fuseLowRank = true;
  /// CPU exact activation sparsity for ReLU FFNs (the down projection skips
  /// the weights of zero neurons): "never" (default: it pays only for
  /// activations about 90% zero, which only the run knows), "auto" (1-token
  /// FFNs) or "always".
  std::string activationSparsity = "never";
  /// --ffn-width: fraction of hidden neurons every FFN keeps, or one per FFN
  /// in order; empty leaves the widths alone.
  std::vector<double> ffnWidths;
  /// Low-rank factorisation of the FFN weights (an approximate rewrite at
  /// -O2 and above): `energy:E`, `rank:R` or `flops:F`; empty: none.
  std::string lowRank;
  /// With calibration inputs (--calibration or --max-rel-error): factor the
  /// weights reading an FFN's input activation-aware (the SVD of
  /// `W diag(sqrt(rms of each input feature))`); false: plain SVD.
  bool lowRankActivationAware = true;
  /// Block-diagonal FFN weights with this many blocks (an approximate
  /// rewrite at -O2 and above; exact when the weights already are block
  /// structured); 0: none.
  int64_t blockDiag = 0;
  /// Magnitude pruning of the FFN weights (an approximate rewrite at -O2 and
  /// above): `N:M`, `block:BxB:RATIO` or `unstructured:RATIO`, packed for
  /// the sparse CPU kernels; empty: none.
  std::string sparsity;
  /// FFN Fusion (an approximate rewrite at -O2 and above): runs of up to
  /// this many consecutive residual FFNs become one wide FFN; 0: none.
  int64_t ffnFusion = 0;
  /// --ffn-fusion=auto[:D] (D defaults to kDefaultFusionMaxDistance): the
  /// runs are chosen on the calibration inputs instead; a block joins the
  /// run before it while the cosine distance between its output on its own
  /// input and on the run's first input is at most D (mean over token rows).
  /// Unset: no auto fusion.
  std::optional<double> ffnFusionMaxDistance;
  /// --max-rel-error: the largest error the approximate rewrites may cost,
  /// as `max|ref - got| / max|ref|` over the model's outputs on the
  /// calibration inputs; each FFN's rewrite is backed off until the measured
  /// error is within it. Unset: no budget.
  std::optional<double> maxRelError;
  /// --calibration: `NAME=FILE.npy` inputs the error is measured on, each
  /// holding one input of the model's shape or a stack of N of them
  /// (`[N, ...]`); inputs without a file get random data.
  std::vector<std::string> calibration;
};

/// A dynamic dimension in TensorInterface::shape (as in the runtime ABI;
/// MLIR's ShapedType::kDynamic is translated).
constexpr int64_t kDynamicDim = -1;

/// One input or output of the compiled model.
struct TensorInterface {
  std::string name;
  /// The shape; kDynamicDim for a dynamic dimension.
  std::vector<int64_t> shape;
  /// Per dimension, the name of a dynamic dimension (the ONNX dim_param,
  /// from the `ffn.dim_names` argument/result attribute); empty for static
  /// and unnamed dynamic dimensions. Empty, or one entry per dimension.
  std::vector<std::string> dimNames;
  /// The element type at the ABI (enum ffn_dtype of ffn/Runtime/ModelABI.h):
  /// FFN_DTYPE_F32 (0), F64, I64, I32, I16, I8 or BOOL (one byte, 0 or 1).
  int32_t dtype = 0;

  bool isDynamic() const {
    for (int64_t dim : shape)
      if (dim == kDynamicDim)
        return true;
    return false;
  }
  /// The name of dynamic dimension `d`, or "" (static or unnamed).
  llvm::StringRef getDimName(size_t d) const {
    return d < dimNames.size() && shape[d] == kDynamicDim
               ? llvm::StringRef(dimNames[d])
               : llvm::StringRef();
  }
};

/// The model's calling interface, derived from its entry function.
struct ModelInterface {
  std::string entryName;
  std::vector<TensorInterface> inputs;
  std::vector<TensorInterface> outputs;

  /// Whether an input or output has a dynamic dimension: the entry then
  /// returns its results as buffers the caller owns instead of writing them
  /// into out-parameters.
  bool isDynamic() const {
    for (const auto *list : {&inputs, &outputs})
      for (const TensorInterface &t : *list)
        if (t.isDynamic())
          return true;
    return false;
  }
};

/// Loads the model at `path`: parses an .mlir file, or imports an ONNX model
/// (.onnx, .onnxtext) with the input shapes pinned by `shapes` (each
/// `NAME=2x128x768`). Diagnostics go to the context's handler; returns null
/// on failure.
OwningOpRef<ModuleOp> loadModel(MLIRContext &context, StringRef path,
                                ArrayRef<std::string> shapes = {});

/// Finds the entry function (`@main`, or the only public function) and
/// checks that its signature is one the runtime supports: ranked tensors of
/// the ABI's element types, static or dynamic dimensions (named by an
/// `ffn.dim_names` array of strings, one per dimension, "" for static and
/// unnamed ones).
FailureOr<ModelInterface> getModelInterface(ModuleOp module);

/// Runs the compilation `options` describes. Errors are reported through
/// the context's diagnostic handler.
LogicalResult compile(MLIRContext &context, const CompileOptions &options);

} // namespace ffn
} // namespace mlir

#endif // FFN_COMPILER_COMPILER_H
