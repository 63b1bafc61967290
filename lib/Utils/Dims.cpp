//===- Dims.cpp - where dynamic sizes come from ---------------------------===//
//
// See Dims.h.
//
//===----------------------------------------------------------------------===//

#include "ffn/Utils/Dims.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"

using namespace mlir;
using namespace mlir::ffn;

/// The source dimension a collapse_shape result dimension `d` keeps: the
/// one dynamic dimension of its group when the others are 1; else nullopt.
static std::optional<int64_t> keptCollapsedDim(tensor::CollapseShapeOp op,
                                               int64_t d) {
  RankedTensorType srcType = op.getSrcType();
  std::optional<int64_t> dynamicIn;
  for (int64_t sd : op.getReassociationIndices()[d]) {
    if (srcType.isDynamicDim(sd)) {
      if (dynamicIn)
        return std::nullopt;
      dynamicIn = sd;
    } else if (srcType.getDimSize(sd) != 1) {
      return std::nullopt;
    }
  }
  return dynamicIn;
}

SizeOrigin mlir::ffn::getDimOrigin(Value tensor, int64_t d) {
  while (true) {
    auto type = cast<RankedTensorType>(tensor.getType());
    if (!type.isDynamicDim(d))
      return {};
    Operation *def = tensor.getDefiningOp();
    if (!def)
      return {tensor, d};
    if (auto empty = dyn_cast<tensor::EmptyOp>(def))
      return getSizeOrigin(empty.getMixedSizes()[d]);
    if (auto expand = dyn_cast<tensor::ExpandShapeOp>(def))
      return getSizeOrigin(expand.getMixedOutputShape()[d]);
    // Slices keep the sizes they were given (without rank reduction).
    if (auto slice = dyn_cast<tensor::ExtractSliceOp>(def);
        slice && slice.getSourceType().getRank() == type.getRank())
      return getSizeOrigin(slice.getMixedSizes()[d]);
    if (auto insert = dyn_cast<tensor::InsertSliceOp>(def)) {
      tensor = insert.getDest();
      continue;
    }
    if (auto dps = dyn_cast<DestinationStyleOpInterface>(def);
        dps && dps.hasPureTensorSemantics()) {
      tensor = dps.getTiedOpOperand(cast<OpResult>(tensor))->get();
      continue;
    }
    auto operandType =
        def->getNumOperands()
            ? dyn_cast<RankedTensorType>(def->getOperand(0).getType())
            : RankedTensorType();
    // Every ffn op maps tokens to tokens: its leading dimensions are its
    // input's.
    bool ffnTokens = def->getDialect() &&
                     def->getDialect()->getNamespace() == "ffn" &&
                     d < type.getRank() - 1;
    if (operandType && operandType.getRank() == type.getRank() &&
        operandType.isDynamicDim(d) &&
        (def->hasTrait<OpTrait::Elementwise>() || isa<tensor::CastOp>(def) ||
         ffnTokens)) {
      tensor = def->getOperand(0);
      continue;
    }
    if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(def))
      if (std::optional<int64_t> kept = keptCollapsedDim(collapse, d)) {
        tensor = collapse.getSrc();
        d = *kept;
        continue;
      }
    return {tensor, d};
  }
}

SizeOrigin mlir::ffn::getSizeOrigin(OpFoldResult size) {
  auto value = dyn_cast<Value>(size);
  if (!value)
    return {};
  if (auto dim = value.getDefiningOp<tensor::DimOp>())
    if (std::optional<int64_t> d = dim.getConstantIndex())
      return getDimOrigin(dim.getSource(), *d);
  return {value, -1};
}
