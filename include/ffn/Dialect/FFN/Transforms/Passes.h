//===- Passes.h - ffn dialect transformations -------------------*- C++ -*-===//
//
// Declares the passes that work at the ffn level, their registration, and the
// `ffn-raise` pipeline that lifts an imported graph to the ffn dialect.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_DIALECT_FFN_TRANSFORMS_PASSES_H
#define FFN_DIALECT_FFN_TRANSFORMS_PASSES_H

#include "ffn/Dialect/FFN/IR/FFNDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class OpPassManager;
namespace ffn {
#define GEN_PASS_DECL
#define GEN_PASS_REGISTRATION
#include "ffn/Dialect/FFN/Transforms/Passes.h.inc"

/// Appends the `ffn-raise` pipeline to `pm`: canonicalize, cse, then
/// ffn-raise-linear, ffn-raise-activations, ffn-raise-norms and
/// ffn-raise-mlp. The passes are op-agnostic; `pm` may be anchored on a
/// module or a function.
void buildRaisePipeline(OpPassManager &pm);

/// Registers `ffn-raise` with the global pipeline registry.
void registerRaisePipeline();
} // namespace ffn
} // namespace mlir

#endif // FFN_DIALECT_FFN_TRANSFORMS_PASSES_H
