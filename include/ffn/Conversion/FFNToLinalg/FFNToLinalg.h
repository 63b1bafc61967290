//===- FFNToLinalg.h - ffn to linalg conversion -----------------*- C++ -*-===//
//
// Patterns that lower ffn ops to linalg/tensor/arith/math on tensors.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_CONVERSION_FFNTOLINALG_FFNTOLINALG_H
#define FFN_CONVERSION_FFNTOLINALG_FFNTOLINALG_H

#include "mlir/IR/PatternMatch.h"

namespace mlir {
class Operation;
namespace ffn {
/// Adds the patterns lowering ffn.linear, activations and norms to linalg.
void populateFFNToLinalgPatterns(RewritePatternSet &patterns);

/// Adds the patterns lowering ffn.block_sparse_linear and ffn.csr_linear to
/// register-tiled vector loops (part of populateFFNToLinalgPatterns).
void populateSparseLinearPatterns(RewritePatternSet &patterns);

/// Replaces every `ffn.mlp` under `root` by the ops of its body.
void inlineMlpBodies(Operation *root);
} // namespace ffn
} // namespace mlir

#endif // FFN_CONVERSION_FFNTOLINALG_FFNTOLINALG_H
