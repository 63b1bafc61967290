//===- WeightObject.h - the weights as an object file of their own -*- C++ -*-===//
//
// Large constant globals (the model's weights, transposed and packed) leave
// the LLVM-dialect module before its translation to LLVM IR: their bytes are
// written straight from the MLIR resource blobs into an x86-64 ELF
// relocatable object holding one read-only section and one hidden symbol per
// weight, and each global becomes an external declaration of that symbol.
// LLVM then never holds a copy of the weights (nor does its object writer),
// so a compile keeps the weights in memory about once; the linker joins the
// two objects.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_LIB_COMPILER_WEIGHTOBJECT_H
#define FFN_LIB_COMPILER_WEIGHTOBJECT_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

#include <string>

namespace mlir {
namespace ffn {

/// Globals smaller than this stay in the LLVM module.
constexpr int64_t kMinExternalWeightBytes = 4096;

/// Moves every constant `llvm.mlir.global` of `module` whose initializer is a
/// resource blob of at least kMinExternalWeightBytes into an ELF object at
/// `path`, as hidden symbols `<prefix>_weight_<N>`; each such global is
/// renamed to its symbol and becomes an external, hidden, dso_local
/// declaration. Returns the number of globals moved (0 writes no file), or
/// failure with `error` set when the file cannot be written.
FailureOr<int64_t> externalizeWeights(ModuleOp module, StringRef prefix,
                                      StringRef path, std::string &error);

} // namespace ffn
} // namespace mlir

#endif // FFN_LIB_COMPILER_WEIGHTOBJECT_H
