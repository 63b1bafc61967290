//===- Passes.h - ffn code generation passes --------------------*- C++ -*-===//
//
// Declares the CPU code generation passes and their registration.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_CODEGEN_PASSES_H
#define FFN_CODEGEN_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
namespace ffn {
#define GEN_PASS_DECL
#define GEN_PASS_REGISTRATION
#include "ffn/Codegen/Passes.h.inc"
} // namespace ffn
} // namespace mlir

#endif // FFN_CODEGEN_PASSES_H
