//===- RaiseNorms.cpp - recognise decomposed RMSNorm and LayerNorm --------===//
//
// Llama-style exports write RMSNorm as Pow/ReduceMean/Add/Sqrt/Div/Mul (or
// with Reciprocal or a reciprocal square root), and older exports write
// LayerNorm the same way around `x - mean(x)`. The importer turns ReduceMean
// into a sum reduction divided by the reduced size and broadcasts per-row
// values back along the last dimension. The patterns here match the
// normalisation itself; separate patterns move a following per-feature
// scale (and, for LayerNorm, bias) into the norm, so the pieces compose
// whatever order the greedy driver visits them in.
//
//===----------------------------------------------------------------------===//

#include "ffn/Dialect/FFN/IR/FFNOps.h"
#include "ffn/Dialect/FFN/Transforms/Passes.h"
#include "ffn/Dialect/FFN/Transforms/Transforms.h"

#include "RaiseMatchers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "ffn-raise-norms"

namespace mlir {
namespace ffn {
#define GEN_PASS_DEF_RAISENORMS
#include "ffn/Dialect/FFN/Transforms/Passes.h.inc"
} // namespace ffn
} // namespace mlir

using namespace mlir;
using namespace mlir::ffn;
using namespace mlir::ffn::raise;

namespace {
/// What the denominator of a normalisation squares and adds.
struct MeanSquare {
  /// The value whose square is averaged.
  Value base;
  double epsilon = 0.0;
};
} // namespace

/// Matches `mean(base^2) + eps` (either order), seen through per-row shapes.
static std::optional<MeanSquare> matchMeanSquarePlusEps(Value value,
                                                        MatchState &state) {
  value = skipRowShapes(value, state);
  auto add = value.getDefiningOp<arith::AddFOp>();
  if (!add) {
    state.fail("expected mean(x^2) + epsilon under the square root");
    return std::nullopt;
  }
  Value mean;
  std::optional<double> epsilon = getSplatValue(add.getRhs());
  if (epsilon) {
    mean = add.getLhs();
  } else if ((epsilon = getSplatValue(add.getLhs()))) {
    mean = add.getRhs();
  } else {
    state.fail("the addition to the mean is not a constant epsilon");
    return std::nullopt;
  }
  state.add(add);
  Value squared = matchLastDimMean(mean, state);
  if (!squared)
    return std::nullopt;
  Value base = matchSquare(squared, state);
  if (!base)
    return std::nullopt;
  return MeanSquare{base, *epsilon};
}

/// Matches `sqrt(mean(base^2) + eps)`.
static std::optional<MeanSquare> matchRootMeanSquare(Value value,
                                                     MatchState &state) {
  value = skipRowShapes(value, state);
  auto sqrt = value.getDefiningOp<math::SqrtOp>();
  if (!sqrt) {
    state.fail("expected math.sqrt of mean(x^2) + epsilon");
    return std::nullopt;
  }
  state.add(sqrt);
  return matchMeanSquarePlusEps(sqrt.getOperand(), state);
}

/// Matches `rsqrt(mean(base^2) + eps)` or `1 / sqrt(mean(base^2) + eps)`.
static std::optional<MeanSquare> matchInverseRootMeanSquare(Value value,
                                                            MatchState &state) {
  value = skipRowShapes(value, state);
  if (auto rsqrt = value.getDefiningOp<math::RsqrtOp>()) {
    state.add(rsqrt);
    return matchMeanSquarePlusEps(rsqrt.getOperand(), state);
  }
  auto div = value.getDefiningOp<arith::DivFOp>();
  if (div && isSplatClose(div.getLhs(), 1.0)) {
    state.add(div);
    return matchRootMeanSquare(div.getRhs(), state);
  }
  state.fail("expected math.rsqrt(...) or 1 / math.sqrt(...)");
  return std::nullopt;
}

namespace {
/// `x / sqrt(mean(x^2) + eps)`, `x * rsqrt(...)` and `x * (1 / sqrt(...))`
/// -> `ffn.rms_norm x`; the same over `d = x - mean(x)` -> `ffn.layer_norm x`.
template <typename OpTy>
struct RaiseNormalization : public OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    constexpr bool isDivision = std::is_same_v<OpTy, arith::DivFOp>;
    if (!isa<RankedTensorType>(op.getType()))
      return rewriter.notifyMatchFailure(op, "not an op on tensors");
    MatchState state;
    std::optional<MeanSquare> match;
    Value numerator;
    std::string reason;
    size_t bestDepth = 0;
    for (unsigned i = 0; i < (isDivision ? 1u : 2u); ++i) {
      numerator = op->getOperand(i);
      Value scale = op->getOperand(1 - i);
      match = isDivision ? matchRootMeanSquare(scale, state)
                         : matchInverseRootMeanSquare(scale, state);
      if (match && match->base != numerator) {
        state.fail("the mean squares another value than the one normalised");
        match.reset();
      }
      if (match)
        break;
      if (reason.empty() || state.mark() >= bestDepth) {
        reason = state.getReason();
        bestDepth = state.mark();
      }
      state.rollback(0);
    }
    if (!match)
      return rewriter.notifyMatchFailure(op, reason);

    // LayerNorm when the normalised value is x minus the mean of x.
    Value input = numerator;
    bool isLayerNorm = false;
    if (auto sub = numerator.getDefiningOp<arith::SubFOp>()) {
      size_t checkpoint = state.mark();
      if (matchLastDimMean(sub.getRhs(), state) == sub.getLhs()) {
        state.add(sub);
        input = sub.getLhs();
        isLayerNorm = true;
      } else {
        state.rollback(checkpoint);
      }
    }
    if (!state.checkContained(op))
      return rewriter.notifyMatchFailure(op, state.getReason());
    if (input.getType() != op.getType())
      return rewriter.notifyMatchFailure(
          op, "the normalised value's type differs from the result's");
    if (match->epsilon < 0.0)
      return rewriter.notifyMatchFailure(op, "epsilon is negative");

    FloatAttr epsilon =
        rewriter.getF32FloatAttr(static_cast<float>(match->epsilon));
    LLVM_DEBUG(llvm::dbgs()
               << DEBUG_TYPE << ": " << (isLayerNorm ? "LayerNorm" : "RMSNorm")
               << " at " << op.getLoc() << "\n");
    if (isLayerNorm)
      rewriter.replaceOpWithNewOp<LayerNormOp>(op, op.getType(), input, Value(),
                                               Value(), epsilon);
    else
      rewriter.replaceOpWithNewOp<RMSNormOp>(op, op.getType(), input, Value(),
                                             epsilon);
    return success();
  }
};

/// `norm(x) * g` (either order) with a constant per-feature `g` -> the norm
/// with scale `g`, for an `ffn.rms_norm` without scale or an
/// `ffn.layer_norm` without scale and bias.
struct FoldScaleIntoNorm : public OpRewritePattern<arith::MulFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::MulFOp op,
                                PatternRewriter &rewriter) const override {
    std::string reason = "neither operand is an ffn norm";
    for (unsigned i = 0; i < 2; ++i) {
      Value normed = op->getOperand(i);
      Operation *norm = normed.getDefiningOp();
      auto rms = dyn_cast_or_null<RMSNormOp>(norm);
      auto layer = dyn_cast_or_null<LayerNormOp>(norm);
      if (!rms && !layer)
        continue;
      if (rms && rms.getScale()) {
        reason = "the rms_norm already has a scale";
        continue;
      }
      if (layer && (layer.getScale() || layer.getBias())) {
        reason = "the layer_norm already has a scale or a bias";
        continue;
      }
      if (!normed.hasOneUse()) {
        reason = "the norm's result has other users";
        continue;
      }
      if (normed.getType() != op.getType()) {
        reason = "the product's type differs from the norm's";
        continue;
      }
      std::optional<FeatureVector> scale =
          matchFeatureVector(op->getOperand(1 - i));
      if (!scale || !scale->isConstant()) {
        reason = "the other factor is not a constant per-feature vector";
        continue;
      }
      auto type = cast<RankedTensorType>(normed.getType());
      if (scale->source &&
          cast<ShapedType>(scale->source.getType()).getElementType() !=
              type.getElementType()) {
        reason = "the scale's element type differs from the norm's";
        continue;
      }
      int64_t features = type.getDimSize(type.getRank() - 1);
      if (scale->splat && ShapedType::isDynamic(features)) {
        reason = "a splat scale needs a static number of features";
        continue;
      }
      rewriter.setInsertionPoint(op);
      Value vector = materializeFeatureVector(rewriter, op.getLoc(), *scale,
                                              features, type.getElementType());
      Location loc = rewriter.getFusedLoc({norm->getLoc(), op.getLoc()});
      Value result;
      if (rms)
        result = RMSNormOp::create(rewriter, loc, type, rms.getInput(), vector,
                                   rms.getEpsilonAttr());
      else
        result = LayerNormOp::create(rewriter, loc, type, layer.getInput(),
                                     vector, Value(), layer.getEpsilonAttr());
      rewriter.replaceOp(op, result);
      rewriter.eraseOp(norm);
      return success();
    }
    return rewriter.notifyMatchFailure(op, reason);
  }
};

/// `layer_norm(x) + b` (either order) with a constant per-feature `b` -> the
/// layer_norm with bias `b`.
struct FoldBiasIntoLayerNorm : public OpRewritePattern<arith::AddFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::AddFOp op,
                                PatternRewriter &rewriter) const override {
    std::string reason = "neither operand is an ffn.layer_norm";
    for (unsigned i = 0; i < 2; ++i) {
      Value normed = op->getOperand(i);
      auto layer = matchBiaslessAddend<LayerNormOp>(normed, op.getType(),
                                                    "layer_norm", reason);
      if (!layer)
        continue;
      std::optional<FeatureVector> bias =
          matchFeatureVector(op->getOperand(1 - i));
      if (!bias || !bias->isConstant()) {
        reason = "the addend is not a constant per-feature vector";
        continue;
      }
      auto type = cast<RankedTensorType>(normed.getType());
      if (bias->source &&
          cast<ShapedType>(bias->source.getType()).getElementType() !=
              type.getElementType()) {
        reason = "the bias element type differs from the norm's";
        continue;
      }
      int64_t features = type.getDimSize(type.getRank() - 1);
      if (bias->splat && ShapedType::isDynamic(features)) {
        reason = "a splat bias needs a static number of features";
        continue;
      }
      rewriter.setInsertionPoint(op);
      Value vector = materializeFeatureVector(rewriter, op.getLoc(), *bias,
                                              features, type.getElementType());
      Location loc = rewriter.getFusedLoc({layer.getLoc(), op.getLoc()});
      Value result =
          LayerNormOp::create(rewriter, loc, type, layer.getInput(),
                              layer.getScale(), vector, layer.getEpsilonAttr());
      rewriter.replaceOp(op, result);
      rewriter.eraseOp(layer);
      return success();
    }
    return rewriter.notifyMatchFailure(op, reason);
  }
};

struct RaiseNormsPass : public ffn::impl::RaiseNormsBase<RaiseNormsPass> {
  using RaiseNormsBase::RaiseNormsBase;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateRaiseNormPatterns(patterns);
    applyRaisePatterns(getOperation(), std::move(patterns), getArgument(),
                       remarkFailures);
  }
};
} // namespace

void mlir::ffn::populateRaiseNormPatterns(RewritePatternSet &patterns) {
  patterns
      .add<RaiseNormalization<arith::DivFOp>, RaiseNormalization<arith::MulFOp>,
           FoldScaleIntoNorm, FoldBiasIntoLayerNorm>(patterns.getContext());
}
