//===- TokenRows.h - token dimensions of linear layers ----------*- C++ -*-===//
//
// Shared by the lowerings of the ffn linear ops: the token dimensions of an
// input `[..., in]` collapsed into one row dimension and expanded back.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_LIB_CONVERSION_FFNTOLINALG_TOKENROWS_H
#define FFN_LIB_CONVERSION_FFNTOLINALG_TOKENROWS_H

#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/Builders.h"

namespace mlir {
namespace ffn {

/// `x` `[..., in]` as a `[rows, in]` matrix, and the reassociation that
/// undoes it (empty: x already was a matrix).
struct TokenRows {
  Value matrix;
  SmallVector<ReassociationIndices> reassoc;
};

/// Collapses (or, for a vector, expands) the token dimensions of `x`.
TokenRows collapseTokenRows(OpBuilder &b, Location loc, Value x);

/// The `[rows, n]` `product` reshaped like `rows.matrix`'s source `x` with
/// its last dimension `n`, then cast to `resultType`.
Value expandTokenRows(OpBuilder &b, Location loc, const TokenRows &rows,
                      Value x, Value product, OpFoldResult n,
                      RankedTensorType resultType);

} // namespace ffn
} // namespace mlir

#endif // FFN_LIB_CONVERSION_FFNTOLINALG_TOKENROWS_H
