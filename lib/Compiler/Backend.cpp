//===- Backend.cpp - LLVM code generation for ffn-compile -----------------===//
//
// Builds the x86-64 target machine (the host's CPU and features by default,
// or a named CPU), runs LLVM's optimisation pipeline and emits the object.
//
//===----------------------------------------------------------------------===//

#include "Backend.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

using namespace mlir;
using namespace mlir::ffn;

FailureOr<std::unique_ptr<llvm::TargetMachine>>
mlir::ffn::createCPUTargetMachine(StringRef cpu, std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return failure();
  std::string cpuName = cpu.str();
  std::string features;
  if (cpu == "native") {
    cpuName = llvm::sys::getHostCPUName().str();
    llvm::SubtargetFeatures list;
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      list.AddFeature(feature.first(), feature.second);
    features = list.getString();
  } else {
    std::unique_ptr<llvm::MCSubtargetInfo> info(
        target->createMCSubtargetInfo(triple, cpuName, ""));
    if (!info || !info->isCPUStringValid(cpuName)) {
      error = "unknown CPU '" + cpuName +
              "' (try native, x86-64-v3, x86-64-v4, skylake-avx512, znver4)";
      return failure();
    }
  }
  llvm::TargetOptions options;
  // Static constructors (the GPU target registers its kernel modules from
  // one) must go to .init_array: glibc does not run a .ctors section, and
  // LLVM's default is .ctors.
  options.UseInitArray = true;
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple, cpuName, features, options, llvm::Reloc::PIC_, std::nullopt,
      llvm::CodeGenOptLevel::Aggressive));
  if (!tm) {
    error = "cannot create a target machine for " + triple.str();
    return failure();
  }
  return tm;
}

int64_t mlir::ffn::getVectorWidth(llvm::TargetMachine &tm) {
  const llvm::MCSubtargetInfo *info = tm.getMCSubtargetInfo();
  if (info->checkFeatures("+avx512f"))
    return 16;
  if (info->checkFeatures("+avx2") || info->checkFeatures("+avx"))
    return 8;
  return 4;
}

LogicalResult mlir::ffn::optimizeModule(llvm::Module &module,
                                        llvm::TargetMachine &tm,
                                        unsigned optLevel, std::string &error) {
  auto transformer =
      makeOptimizingTransformer(optLevel, /*sizeLevel=*/0, &tm);
  if (llvm::Error err = transformer(&module)) {
    error = llvm::toString(std::move(err));
    return failure();
  }
  return success();
}

LogicalResult mlir::ffn::emitObject(llvm::Module &module,
                                    llvm::TargetMachine &tm,
                                    llvm::raw_pwrite_stream &os,
                                    std::string &error) {
  llvm::legacy::PassManager pm;
  if (tm.addPassesToEmitFile(pm, os, nullptr,
                             llvm::CodeGenFileType::ObjectFile)) {
    error = "the target cannot emit object files";
    return failure();
  }
  pm.run(module);
  return success();
}
