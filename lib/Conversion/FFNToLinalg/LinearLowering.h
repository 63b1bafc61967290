//===- LinearLowering.h - pieces the linear lowerings share -----*- C++ -*-===//
//
// Shared by the lowerings of the ffn linear ops (dense, block-diagonal,
// sparse, skip-zero-activations): the token dimensions of an input
// `[..., in]` collapsed into one row dimension and expanded back, and the
// `[out, in]` weight transposed for a row-major GEMM.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_LIB_CONVERSION_FFNTOLINALG_LINEARLOWERING_H
#define FFN_LIB_CONVERSION_FFNTOLINALG_LINEARLOWERING_H

#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringSet.h"

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

/// The `[rows, cols]` `weight` as `[cols, rows]`: transposed at compile time
/// when it is a constant (a splat stays a splat), by linalg.transpose
/// otherwise.
Value transposeWeight(OpBuilder &b, Location loc, Value weight,
                      const llvm::StringSet<> *reuse = nullptr);

} // namespace ffn
} // namespace mlir

#endif // FFN_LIB_CONVERSION_FFNTOLINALG_LINEARLOWERING_H
