//===- Evaluate.h - host evaluation of FFN blocks ---------------*- C++ -*-===//
//
// A small interpreter for the body of an `ffn.mlp` on host float buffers,
// with the block's parameters read from the constants feeding its operands.
// Approximate rewrites use it to measure the error they introduce: evaluate
// the block on calibration rows before and after the rewrite and compare.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_DIALECT_FFN_TRANSFORMS_EVALUATE_H
#define FFN_DIALECT_FFN_TRANSFORMS_EVALUATE_H

#include "ffn/Dialect/FFN/IR/FFNOps.h"
#include "mlir/Support/LLVM.h"
#include <cstdint>
#include <string>
#include <vector>

namespace mlir {
namespace ffn {

/// Number of random calibration rows approximate rewrites measure on by
/// default.
constexpr int64_t kDefaultCalibrationRows = 64;

/// Evaluates the body of `op` on `rows` token rows: `x` is `rows x D`
/// row-major, D the last dimension of the block's input (leading dimensions
/// of the block's types are flattened into rows, so `rows` need not match
/// them). Returns the block's output, `rows x D` row-major.
///
/// Parameters are read from the f32 constants (dense or dense_resource) that
/// feed the block's operands or are defined in its body. Supported ops:
/// `ffn.linear`, `ffn.block_diag_linear`, `ffn.gelu` (erf and tanh forms),
/// `ffn.silu`, `ffn.relu`, `arith.addf/subf/mulf/divf` on operands of one
/// shape, and the last-dimension slicing forms that channel-idle and
/// horizontally fused blocks use (`tensor.extract_slice`,
/// `tensor.insert_slice` into `tensor.empty`, `tensor.concat`). Anything
/// else, or a parameter that is not a constant, makes the evaluation fail;
/// the reason, naming the op, is written to
/// `whyNot` when given.
FailureOr<std::vector<float>> evaluateMlp(MlpOp op, ArrayRef<float> x,
                                          int64_t rows,
                                          std::string *whyNot = nullptr);

/// `‖got − ref‖₂ / ‖ref‖₂`, accumulated in double precision; the absolute
/// norm `‖got − ref‖₂` when `ref` is zero.
double relativeError(ArrayRef<float> ref, ArrayRef<float> got);

/// `max|got − ref| / max|ref|`, the relative error ffn-compile reports
/// (DESIGN.md); the absolute `max|got − ref|` when `ref` is zero.
double maxRelativeError(ArrayRef<float> ref, ArrayRef<float> got);

/// `rows x dim` samples of N(0, 1), row-major, from a fixed generator seeded
/// with `seed` (the same on every host). Tokens entering an FFN come out of
/// a LayerNorm/RMSNorm and are roughly unit-scale per feature, which is what
/// these rows model when no calibration data is given.
std::vector<float> randomRows(int64_t rows, int64_t dim, uint64_t seed);

} // namespace ffn
} // namespace mlir

#endif // FFN_DIALECT_FFN_TRANSFORMS_EVALUATE_H
