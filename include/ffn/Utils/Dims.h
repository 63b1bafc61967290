//===- Dims.h - where dynamic sizes come from -------------------*- C++ -*-===//
//
// With dynamic shapes the size of a tensor's dimension is read at run time
// (tensor.dim). Many ops keep the sizes of an operand, so one size may be
// read from many tensors. The helpers here follow a size back to where it
// comes from, so that two reads of one size can be recognised as equal (the
// importer cancels them in shape arithmetic; matchers check that a slice
// keeps whole token rows).
//
//===----------------------------------------------------------------------===//

#ifndef FFN_UTILS_DIMS_H
#define FFN_UTILS_DIMS_H

#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/Value.h"

namespace mlir {
namespace ffn {

/// Where a dynamic size comes from: dimension `dim` of the tensor `value`,
/// which does not take it from an operand (a function argument, most
/// often); or, with `dim` -1, the index `value` itself (a size computed by
/// index arithmetic).
struct SizeOrigin {
  Value value;
  int64_t dim = -1;

  bool operator==(const SizeOrigin &other) const {
    return value == other.value && dim == other.dim;
  }
  bool operator!=(const SizeOrigin &other) const { return !(*this == other); }
};

/// The origin of dynamic dimension `d` of `tensor`, followed back through
/// ops that keep it: tensor.empty, expand_shape and extract_slice (their
/// size operands), insert_slice (its destination), destination-style ops
/// (their inits), casts, elementwise ops, the leading (token) dimensions of
/// ffn ops, and collapse_shape groups of one dynamic dimension among unit
/// ones. A static dimension has no origin (a null value).
SizeOrigin getDimOrigin(Value tensor, int64_t d);

/// The origin of `size`: through tensor.dim to getDimOrigin; a constant has
/// none (a null value).
SizeOrigin getSizeOrigin(OpFoldResult size);

} // namespace ffn
} // namespace mlir

#endif // FFN_UTILS_DIMS_H
