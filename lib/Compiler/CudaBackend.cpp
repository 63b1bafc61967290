//===- CudaBackend.cpp - the NVIDIA GPU target of ffn-compile -------------===//
//
// --target=cuda reuses the whole CPU flow (FFN passes, LLVM IR for the host,
// object, glue, link) and changes three things: the lowering pipeline is
// ffn-lower-to-nvvm, whose kernels are compiled by the toolkit's ptxas and
// embedded in the host object; the toolkit and architecture are checked
// first; and the link adds the project's CUDA runtime (runtime/cuda).
//
//===----------------------------------------------------------------------===//

#include "CudaBackend.h"
#include "ffn/Pipelines/Pipelines.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace mlir::ffn;

LogicalResult mlir::ffn::checkCUDAOptions(MLIRContext &context,
                                          const CompileOptions &options) {
  Location loc = UnknownLoc::get(&context);
  if (!isSupportedGPUArch(options.gpuArch))
    return emitError(loc) << "unsupported GPU architecture '"
                          << options.gpuArch << "' (use sm_80 or sm_90)";
  std::string toolkit = resolveCUDAToolkit(options.cudaToolkit);
  SmallString<256> ptxas(toolkit);
  llvm::sys::path::append(ptxas, "bin", "ptxas");
  if (!llvm::sys::fs::can_execute(ptxas))
    return emitError(loc) << "--target=cuda needs the CUDA toolkit: no ptxas "
                             "at '"
                          << ptxas
                          << "' (set CUDA_HOME or --cuda-toolkit=DIR)";
  return success();
}

LogicalResult mlir::ffn::buildCUDAPipeline(OpPassManager &pm,
                                           const CompileOptions &options,
                                           llvm::raw_ostream &errs) {
  GPUPipelineOptions gpuOptions;
  gpuOptions.gpuArch = options.gpuArch;
  gpuOptions.toolkit = resolveCUDAToolkit(options.cudaToolkit);
  gpuOptions.gemm = options.gpuGemm;
  gpuOptions.gemmRemarks = options.printReport;
  return buildLowerToNVVMPipeline(pm, gpuOptions, errs);
}

/// The op a location names: its (first) ONNX node name, or file:line.
static std::string describeLocation(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location part : fused.getLocations())
      if (std::string text = describeLocation(part); !text.empty())
        return text;
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return (file.getFilename().getValue() + ":" + Twine(file.getLine()))
        .str();
  return "";
}

GPUGemmReport::GPUGemmReport(MLIRContext &context) {
  handler = std::make_unique<ScopedDiagnosticHandler>(
      &context, [this](Diagnostic &diag) -> LogicalResult {
        std::string message = diag.str();
        StringRef text(message);
        if (diag.getSeverity() != DiagnosticSeverity::Remark ||
            !text.consume_front("gpu gemm"))
          return failure(); // someone else's diagnostic
        Entry entry;
        entry.location = describeLocation(diag.getLocation());
        entry.message = text.ltrim(" :").str();
        entry.library = !text.contains(": generated");
        entries.push_back(std::move(entry));
        return success();
      });
}

void GPUGemmReport::print(llvm::raw_ostream &os) const {
  size_t library = llvm::count_if(entries, [](const Entry &e) {
    return e.library;
  });
  os << "GPU GEMMs: " << library << " cuBLAS, " << entries.size() - library
     << " generated (MxNxK, batch first)\n";
  for (const Entry &entry : entries)
    os << "  " << entry.message << "  " << entry.location << "\n";
}

FailureOr<std::vector<std::string>>
mlir::ffn::getCUDALinkInputs(MLIRContext &context,
                             const CompileOptions &options) {
  std::string runtime;
  if (const char *env = std::getenv("FFN_CUDA_RUNTIME_LIB")) {
    runtime = env;
  } else {
    SmallString<256> path(llvm::sys::path::parent_path(options.toolPath));
    llvm::sys::path::append(path, "..", "lib", "libffn_cuda_runtime.a");
    if (!llvm::sys::fs::exists(path)) {
      emitError(UnknownLoc::get(&context))
          << "cannot find the ffn CUDA runtime library (looked for '" << path
          << "'; build ffn with the CUDA toolkit or set "
             "FFN_CUDA_RUNTIME_LIB)";
      return failure();
    }
    runtime = std::string(path);
  }
  return std::vector<std::string>{runtime, "-ldl", "-lstdc++"};
}
