//===- Backend.h - LLVM code generation for ffn-compile ---------*- C++ -*-===//
//
// Target machine selection, LLVM optimisation and object emission.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_LIB_COMPILER_BACKEND_H
#define FFN_LIB_COMPILER_BACKEND_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Target/TargetMachine.h"
#include <memory>
#include <string>

namespace llvm {
class Module;
class raw_pwrite_stream;
} // namespace llvm

namespace mlir {
namespace ffn {
/// A target machine for `cpu` ("native": the host CPU and its features), or
/// an error message.
FailureOr<std::unique_ptr<llvm::TargetMachine>>
createCPUTargetMachine(StringRef cpu, std::string &error);

/// f32 lanes of the widest vector registers `tm` has (16, 8 or 4).
int64_t getVectorWidth(llvm::TargetMachine &tm);

/// Runs LLVM's optimisation pipeline at `optLevel` over `module`.
LogicalResult optimizeModule(llvm::Module &module, llvm::TargetMachine &tm,
                             unsigned optLevel, std::string &error);

/// Emits `module` as an object file into `os`.
LogicalResult emitObject(llvm::Module &module, llvm::TargetMachine &tm,
                         llvm::raw_pwrite_stream &os, std::string &error);
} // namespace ffn
} // namespace mlir

#endif // FFN_LIB_COMPILER_BACKEND_H
