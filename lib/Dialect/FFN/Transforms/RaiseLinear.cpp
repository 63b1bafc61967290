//===- RaiseLinear.cpp - fold biases and scales into ffn.linear -----------===//
//
// Importers turn `MatMul(x, W)` into a bias-free `ffn.linear` and the `Add`
// of the bias that follows it into a broadcasting `arith.addf`. This pass
// moves such biases into the linear, so that later passes see the linear
// layer whole, and folds constant scales of a linear into its weights.
//
//===----------------------------------------------------------------------===//

#include "ffn/Dialect/FFN/IR/FFNOps.h"
#include "ffn/Dialect/FFN/Transforms/Passes.h"
#include "ffn/Dialect/FFN/Transforms/Transforms.h"
#include "ffn/Utils/Weights.h"

#include "RaiseMatchers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "ffn-raise-linear"

namespace mlir {
namespace ffn {
#define GEN_PASS_DEF_RAISELINEAR
#include "ffn/Dialect/FFN/Transforms/Passes.h.inc"
} // namespace ffn
} // namespace mlir

using namespace mlir;
using namespace mlir::ffn;
using namespace mlir::ffn::raise;

namespace {
/// `ffn.linear(x, W) + b` -> `ffn.linear(x, W, b)` for a per-feature `b`.
struct FoldBiasAddIntoLinear : public OpRewritePattern<arith::AddFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::AddFOp op,
                                PatternRewriter &rewriter) const override {
    std::string reason = "neither operand is an ffn.linear";
    for (unsigned i = 0; i < 2; ++i) {
      Value side = op->getOperand(i);
      Value other = op->getOperand(1 - i);
      auto linear =
          matchBiaslessAddend<LinearOp>(side, op.getType(), "linear", reason);
      if (!linear)
        continue;
      std::optional<FeatureVector> bias = matchFeatureVector(other);
      if (!bias) {
        reason = "the addend is not a per-feature vector broadcast over the "
                 "leading dimensions or a splat constant";
        continue;
      }
      // Only constants: with a single token any [1, N] value looks like a
      // per-feature vector, and a residual must not become a bias.
      if (!bias->isConstant()) {
        reason = "the per-feature addend is not a constant";
        continue;
      }
      Type elementType = linear.getType().getElementType();
      if (bias->source &&
          cast<ShapedType>(bias->source.getType()).getElementType() !=
              elementType) {
        reason = "the bias element type differs from the linear's";
        continue;
      }
      int64_t features = linear.getWeight().getType().getDimSize(0);
      if (bias->splat && ShapedType::isDynamic(features)) {
        reason = "a splat bias needs a static number of output features";
        continue;
      }
      LLVM_DEBUG(llvm::dbgs()
                 << DEBUG_TYPE ": folding bias into " << linear << "\n");
      rewriter.setInsertionPoint(op);
      Value vector = materializeFeatureVector(rewriter, op.getLoc(), *bias,
                                              features, elementType);
      auto fused = LinearOp::create(
          rewriter, rewriter.getFusedLoc({linear.getLoc(), op.getLoc()}),
          op.getType(), linear.getInput(), linear.getWeight(), vector);
      rewriter.replaceOp(op, fused.getResult());
      rewriter.eraseOp(linear);
      return success();
    }
    return rewriter.notifyMatchFailure(op, reason);
  }
};

/// `ffn.linear(x, W, b) * c` (or `/ c`) with a splat `c` and constant f32
/// parameters -> `ffn.linear(x, c W, c b)`.
template <typename OpTy>
struct FoldScaleIntoLinear : public OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    constexpr bool isDivision = std::is_same_v<OpTy, arith::DivFOp>;
    LinearOp linear;
    std::optional<double> scale;
    for (unsigned i = 0; i < (isDivision ? 1u : 2u); ++i) {
      linear = op->getOperand(i).template getDefiningOp<LinearOp>();
      scale = getSplatValue(op->getOperand(1 - i));
      if (linear && scale)
        break;
      linear = nullptr;
    }
    if (!linear)
      return rewriter.notifyMatchFailure(
          op, "not an ffn.linear scaled by a splat constant");
    if (!linear.getResult().hasOneUse())
      return rewriter.notifyMatchFailure(op,
                                         "the linear's result has other users");
    if (linear.getType() != op.getType())
      return rewriter.notifyMatchFailure(
          op, "the result type differs from the linear's");
    if (isDivision && *scale == 0.0)
      return rewriter.notifyMatchFailure(op, "division by zero");
    std::optional<WeightData> weight =
        WeightData::fromValue(linear.getWeight());
    if (!weight)
      return rewriter.notifyMatchFailure(
          op, "the weight is not a static f32 constant");
    std::optional<WeightData> bias;
    if (linear.getBias()) {
      bias = WeightData::fromValue(linear.getBias());
      if (!bias)
        return rewriter.notifyMatchFailure(
            op, "the bias is not a static f32 constant");
    }

    auto scaled = [&](const WeightData &data) {
      std::vector<float> values(data.values().begin(), data.values().end());
      float c = static_cast<float>(*scale);
      for (float &v : values)
        v = isDivision ? v / c : v * c;
      return values;
    };
    LLVM_DEBUG(llvm::dbgs() << DEBUG_TYPE ": folding scale " << *scale
                            << " into " << linear << "\n");
    rewriter.setInsertionPoint(op);
    Location loc = rewriter.getFusedLoc({linear.getLoc(), op.getLoc()});
    Value newWeight = createWeightConstant(rewriter, loc, weight->getType(),
                                           scaled(*weight), "scaled_weight");
    Value newBias;
    if (bias)
      newBias = createWeightConstant(rewriter, loc, bias->getType(),
                                     scaled(*bias), "scaled_bias");
    auto fused = LinearOp::create(rewriter, loc, op.getType(),
                                  linear.getInput(), newWeight, newBias);
    rewriter.replaceOp(op, fused.getResult());
    rewriter.eraseOp(linear);
    return success();
  }
};

struct RaiseLinearPass : public ffn::impl::RaiseLinearBase<RaiseLinearPass> {
  using RaiseLinearBase::RaiseLinearBase;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateRaiseLinearPatterns(patterns);
    applyRaisePatterns(getOperation(), std::move(patterns), getArgument(),
                       remarkFailures);
  }
};
} // namespace

void mlir::ffn::populateRaiseLinearPatterns(RewritePatternSet &patterns) {
  patterns.add<FoldBiasAddIntoLinear, FoldScaleIntoLinear<arith::MulFOp>,
               FoldScaleIntoLinear<arith::DivFOp>>(patterns.getContext());
}
