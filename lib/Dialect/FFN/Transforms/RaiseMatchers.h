//===- RaiseMatchers.h - structural matchers for raising --------*- C++ -*-===//
//
// Helpers shared by the ffn-raise-* passes. Importers write broadcasting ops
// on tensors of equal shapes: a scalar is a splat constant (possibly
// broadcast or reshaped), a per-feature vector is a 1-D value broadcast over
// the leading dimensions, a per-row value (a reduction over the last
// dimension) is broadcast back along the last dimension, often after a
// reshape that drops a unit dimension. These helpers see through those forms
// and record the ops of a match so that a pattern can check that none of its
// intermediate values is used elsewhere.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_LIB_DIALECT_FFN_TRANSFORMS_RAISEMATCHERS_H
#define FFN_LIB_DIALECT_FFN_TRANSFORMS_RAISEMATCHERS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallVector.h"
#include <optional>
#include <string>

namespace mlir {
class RewritePatternSet;
namespace ffn {
namespace raise {

/// Applies `patterns` greedily to the regions of `root`. With `remarks`,
/// every failed match is reported as a remark "`passName`: reason" at the
/// op it was tried on (Debian's LLVM has no -debug-only).
void applyRaisePatterns(Operation *root, RewritePatternSet &&patterns,
                        llvm::StringRef passName, bool remarks);

/// Relative tolerance on the constants of decomposed forms (0.5, sqrt(2),
/// sqrt(2/pi), 0.044715, 1/N ...).
constexpr double kConstantRelTolerance = 1e-6;

/// True when `value` is within kConstantRelTolerance of `expected`.
bool isClose(double value, double expected);

/// The value of a float splat: a splat or scalar `arith.constant`, seen
/// through `linalg.broadcast`, `linalg.fill`, `tensor.splat`, reshapes and
/// `tensor.cast`. std::nullopt for anything else.
std::optional<double> getSplatValue(Value value);

/// True when `value` is a splat within tolerance of `expected`.
bool isSplatClose(Value value, double expected);

/// True when `op` is a `tensor.collapse_shape` or `tensor.expand_shape` that
/// only drops or inserts dimensions of static size 1.
bool isUnitReshape(Operation *op);

/// The state of one match attempt: the ops a successful rewrite makes dead
/// (the pattern's interior) and why the attempt failed.
class MatchState {
public:
  /// Records an interior op.
  void add(Operation *op) { interior.insert(op); }
  /// Records `why` as the reason of the failure and returns false.
  bool fail(const llvm::Twine &why) {
    reason = why.str();
    return false;
  }
  /// Records `why` as the reason of the failure and returns a null value.
  Value failValue(const llvm::Twine &why) {
    fail(why);
    return Value();
  }
  /// A checkpoint to roll back to when an alternative fails.
  size_t mark() const { return interior.size(); }
  void rollback(size_t checkpoint) {
    while (interior.size() > checkpoint)
      interior.pop_back();
  }
  /// The first interior op with a result used outside the interior and
  /// `root`, or null.
  Operation *findEscaping(Operation *root) const;
  /// Checks that no interior value escapes; records the reason otherwise.
  bool checkContained(Operation *root);

  llvm::ArrayRef<Operation *> getInterior() const {
    return interior.getArrayRef();
  }
  const std::string &getReason() const { return reason; }

private:
  llvm::SetVector<Operation *> interior;
  std::string reason;
};

/// Steps over per-row broadcasts (`linalg.broadcast` adding only the last
/// dimension) and unit reshapes, recording them in `state`.
Value skipRowShapes(Value value, MatchState &state);

/// A per-feature vector: a value equal along every dimension but the last.
struct FeatureVector {
  /// A value whose dimensions but the last are static 1 (often rank 1), or
  /// null when the vector is a splat.
  Value source;
  /// The splat value when the vector is a splat constant.
  std::optional<double> splat;

  /// True for a splat or a constant source.
  bool isConstant() const;
};

/// Matches `value` as a per-feature vector: a splat constant, or a value
/// broadcast over the leading dimensions by `linalg.broadcast` (seen through
/// unit reshapes), or a value whose leading dimensions are all 1.
std::optional<FeatureVector> matchFeatureVector(Value value);

/// The `OpTy` (an op with an optional bias, e.g. ffn.linear or
/// ffn.layer_norm) that defines `addend` when a bias added to it could be
/// folded in: it has no bias yet, `addend` has no other user, and the sum
/// has the same type. Otherwise null, with `reason` saying why; `what` names
/// the op in the reason.
template <typename OpTy>
OpTy matchBiaslessAddend(Value addend, Type sumType, llvm::StringRef what,
                         std::string &reason) {
  auto op = addend.getDefiningOp<OpTy>();
  if (!op)
    return nullptr;
  if (op.getBias()) {
    reason = ("the " + what + " already has a bias").str();
    return nullptr;
  }
  if (!addend.hasOneUse()) {
    reason = ("the " + what + "'s result has other users").str();
    return nullptr;
  }
  if (addend.getType() != sumType) {
    reason = ("the sum's type differs from the " + what + "'s").str();
    return nullptr;
  }
  return op;
}

/// Creates (or returns) the 1-D tensor of `features` elements of type
/// `elementType` that `vector` stands for. Returns null when a splat vector
/// needs a dynamic size.
Value materializeFeatureVector(OpBuilder &builder, Location loc,
                               const FeatureVector &vector, int64_t features,
                               Type elementType);

/// A product flattened over single-use `arith.mulf` and `arith.divf` by a
/// splat: its non-constant factors and the product of its constant ones.
struct Product {
  llvm::SmallVector<Value> factors;
  double scale = 1.0;
};

/// Flattens the product computed by `root` (an `arith.mulf`, or an
/// `arith.divf` by a splat). Nested products are flattened only when they
/// have a single use; their ops are recorded in `state`. Returns false when
/// `root` is not such a product.
bool flattenProduct(Operation *root, Product &product, MatchState &state);

/// Flattens the product `value` as an operand: descends into it when it is a
/// single-use product (recording it), otherwise makes it one factor.
void flattenFactor(Value value, Product &product, MatchState &state);

/// Matches a sum over the last dimension (`linalg.reduce` or a reducing
/// `linalg.generic` adding into a zero init) and returns the summed tensor.
Value matchLastDimSum(Value value, MatchState &state);

/// Matches the mean over the last dimension `sum(q) / N` (or
/// `sum(q) * (1/N)`), seen through per-row shapes, with N the static size of
/// the last dimension of q. Returns q.
Value matchLastDimMean(Value value, MatchState &state);

/// Matches `math.powf(base, 2)` or `base * base` and returns `base`.
Value matchSquare(Value value, MatchState &state);

} // namespace raise
} // namespace ffn
} // namespace mlir

#endif // FFN_LIB_DIALECT_FFN_TRANSFORMS_RAISEMATCHERS_H
