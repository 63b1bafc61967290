//===- ResolveDims.cpp - dynamic sizes read from the arguments ------------===//
//
// The importer sizes the tensors it creates for dynamic shapes (broadcasts,
// fills) with tensor.dim of nearby values. Each such read is a use of an
// intermediate value, which the raising matchers count. This pass moves
// every read back to the values the size comes from.
//
//===----------------------------------------------------------------------===//

#include "ffn/Dialect/FFN/IR/FFNDialect.h"
#include "ffn/Dialect/FFN/Transforms/Passes.h"

#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace ffn {
#define GEN_PASS_DEF_RESOLVEDIMS
#include "ffn/Dialect/FFN/Transforms/Passes.h.inc"
} // namespace ffn
} // namespace mlir

using namespace mlir;
using namespace mlir::ffn;

namespace {
/// tensor.dim of the result of an elementwise op on tensors (all operands
/// and results have one shape) is tensor.dim of its first tensor operand.
/// tensor.dim of a token-wise ffn op's result, in a leading dimension, is
/// that of its input.
struct DimOfShapePreservingOp : public OpRewritePattern<tensor::DimOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tensor::DimOp op,
                                PatternRewriter &rewriter) const override {
    auto result = dyn_cast<OpResult>(op.getSource());
    if (!result)
      return failure();
    Operation *def = result.getOwner();
    std::optional<int64_t> index = op.getConstantIndex();
    if (!index || def->getNumOperands() == 0)
      return failure();
    auto resultType = cast<RankedTensorType>(result.getType());
    auto operandType = dyn_cast<RankedTensorType>(def->getOperand(0).getType());
    if (!operandType || operandType.getRank() != resultType.getRank())
      return failure();
    bool elementwise = def->hasTrait<OpTrait::Elementwise>() &&
                       operandType.getShape() == resultType.getShape();
    // Every ffn op maps tokens to tokens: the leading dimensions of its
    // results are those of its first operand (the input).
    bool tokenWise = isa<FFNDialect>(def->getDialect()) &&
                     *index < resultType.getRank() - 1;
    if (!elementwise && !tokenWise)
      return failure();
    rewriter.replaceOpWithNewOp<tensor::DimOp>(op, def->getOperand(0),
                                               op.getIndex());
    return success();
  }
};

struct ResolveDimsPass
    : public ffn::impl::ResolveDimsBase<ResolveDimsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<DimOfShapePreservingOp>(&getContext());
    memref::populateResolveRankedShapedTypeResultDimsPatterns(patterns);
    tensor::DimOp::getCanonicalizationPatterns(patterns, &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
