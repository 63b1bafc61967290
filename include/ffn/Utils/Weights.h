//===- Weights.h - compile-time access to constant weights ------*- C++ -*-===//
//
// Helpers to read the float data of constant weights (dense or resource
// attributes) and to create new constants from data computed at compile time.
// Every weight transformation (transposition, packing, folding, factoring)
// goes through these, so large weights are never uniqued as
// DenseElementsAttr.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_UTILS_WEIGHTS_H
#define FFN_UTILS_WEIGHTS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/ArrayRef.h"
#include <optional>
#include <vector>

namespace mlir {
namespace ffn {

/// Float32 contents of a constant tensor, row-major. Views the attribute's
/// storage when it can; otherwise (splats, dense attributes) owns a copy.
class WeightData {
public:
  llvm::ArrayRef<float> values() const { return view; }
  RankedTensorType getType() const { return type; }

  /// The contents of `value` when it is an f32 `arith.constant` (dense or
  /// dense_resource), or std::nullopt.
  static std::optional<WeightData> fromValue(Value value);

private:
  RankedTensorType type;
  std::vector<float> owned;
  llvm::ArrayRef<float> view;
};

/// Creates an `arith.constant` of `type` holding `data` in a resource blob
/// named after `nameHint`.
Value createWeightConstant(OpBuilder &builder, Location loc,
                           RankedTensorType type, llvm::ArrayRef<float> data,
                           llvm::StringRef nameHint);

/// Creates an `arith.constant` of the i32 tensor `type` holding `data` in a
/// resource blob named after `nameHint` (sparse weights' indices).
Value createIndexConstant(OpBuilder &builder, Location loc,
                          RankedTensorType type, llvm::ArrayRef<int32_t> data,
                          llvm::StringRef nameHint);

/// The contents of `value` when it is a static i32 `arith.constant` (dense or
/// dense_resource), or std::nullopt.
std::optional<std::vector<int32_t>> readIndexConstant(Value value);

/// The keys of the resource blobs (dense_resource weights) that exactly one
/// operation under `root` refers to.
llvm::StringSet<> findSinglyReferencedWeights(Operation *root);

/// Stores a weight of `type` holding `data` in the blob of `old` instead of
/// a new one, so that a rewrite (transposition, permutation) does not hold
/// two copies of the weights: when `old` is an `arith.constant` with at
/// most one use whose mutable dense_resource blob has exactly data's size
/// and a key in `single` (findSinglyReferencedWeights), overwrites the blob
/// with `data` and returns a new constant of `type` on it. `old` must not be
/// read again. Returns null otherwise. Only for modules alone with their
/// weights: another module of the context could refer to the same blob.
Value reuseWeightConstant(OpBuilder &builder, Location loc,
                          RankedTensorType type, llvm::ArrayRef<float> data,
                          Value old, const llvm::StringSet<> &single);

/// Frees the blob of `attr` at once; nothing may read it again.
void releaseWeight(DenseResourceElementsAttr attr);

/// Frees the data of the builtin dialect's resource blobs (dense_resource
/// weights) that no operation under `root` refers to any more: weights
/// replaced by transformed copies (transposed, folded, fused) would otherwise
/// stay in the context until it is destroyed. With a null `root`, frees every
/// blob (once nothing will read them again). Returns the bytes freed.
size_t releaseUnusedWeights(MLIRContext *context, Operation *root);

} // namespace ffn
} // namespace mlir

#endif // FFN_UTILS_WEIGHTS_H
