//===- ResolveDims.cpp - dynamic sizes read from the arguments ------------===//
//
// The importer sizes the tensors it creates for dynamic shapes (broadcasts,
// fills) with tensor.dim of nearby values. Each such read is a use of an
// intermediate value, which the raising matchers count. This pass moves
// every read back to the values the size comes from.
//
//===----------------------------------------------------------------------===//

#include "ffn/Dialect/FFN/Transforms/Passes.h"
#include "ffn/Utils/Dims.h"

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
/// tensor.dim of an op's result becomes the size it comes from (see
/// ffn/Utils/Dims.h): a size operand of the op that set it, or tensor.dim of
/// the tensor that does not take it from an operand.
struct DimOfSizeOrigin : public OpRewritePattern<tensor::DimOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tensor::DimOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<int64_t> index = op.getConstantIndex();
    if (!index || !op.getSource().getDefiningOp())
      return failure();
    SizeOrigin origin = getDimOrigin(op.getSource(), *index);
    if (!origin.value ||
        (origin.value == op.getSource() && origin.dim == *index))
      return failure();
    if (origin.dim < 0) {
      rewriter.replaceOp(op, origin.value);
      return success();
    }
    rewriter.replaceOpWithNewOp<tensor::DimOp>(op, origin.value, origin.dim);
    return success();
  }
};

struct ResolveDimsPass
    : public ffn::impl::ResolveDimsBase<ResolveDimsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<DimOfSizeOrigin>(&getContext());
    memref::populateResolveRankedShapedTypeResultDimsPatterns(patterns);
    tensor::DimOp::getCanonicalizationPatterns(patterns, &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
