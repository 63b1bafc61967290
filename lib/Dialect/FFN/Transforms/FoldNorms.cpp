//===- FoldNorms.cpp - fold norm affines and LayerScale into linears ------===//
//
// A norm's per-channel scale and bias, an inference batch norm, and a
// LayerScale factor after an FFN are affine maps on the channels of a value
// that a linear layer reads or produces. Folding them into the linear's
// constant weights and bias is exact up to fp32 round-off and removes an
// elementwise pass over the activations. This pass folds them into the
// linears of the `ffn.mlp` blocks next to them: on the input side into every
// linear that reads the block's input, on the output side into the linear
// that produces the block's result.
//
//===----------------------------------------------------------------------===//

#include "ffn/Dialect/FFN/IR/FFNOps.h"
#include "ffn/Dialect/FFN/Transforms/Passes.h"
#include "ffn/Dialect/FFN/Transforms/Transforms.h"
#include "ffn/Utils/Weights.h"

#include "RaiseMatchers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/Debug.h"

#include <cmath>

#define DEBUG_TYPE "ffn-fold-norms"

namespace mlir {
namespace ffn {
#define GEN_PASS_DEF_FOLDNORMS
#include "ffn/Dialect/FFN/Transforms/Passes.h.inc"
} // namespace ffn
} // namespace mlir

using namespace mlir;
using namespace mlir::ffn;

/// The name this pass records on the blocks it changes.
static constexpr llvm::StringLiteral kRewriteName = "fold-norms";

/// Passes `value` to `mlp` as a new parameter and returns the block argument
/// that stands for it in the body.
static BlockArgument addParam(RewriterBase &rewriter, MlpOp mlp, Value value) {
  rewriter.modifyOpInPlace(mlp, [&] { mlp.getArgsMutable().append(value); });
  return mlp.getBody().front().addArgument(value.getType(), value.getLoc());
}

/// Records the rewrite on `mlp` unless it is already recorded (one pattern
/// application per side of the block).
static void recordOnce(MlpOp mlp) {
  if (!llvm::is_contained(getApplied(mlp), kRewriteName))
    recordApplied(mlp, kRewriteName);
}

namespace {
/// A per-channel affine map `x -> x * scale + shift` over the last
/// dimension. An empty vector stands for ones (scale) or zeros (shift).
struct ChannelAffine {
  std::vector<float> scale;
  std::vector<float> shift;
};

/// A linear of an FFN block whose constant parameters a fold rewrites.
struct FoldTarget {
  LinearOp linear;
  std::optional<WeightData> weight;
  std::optional<WeightData> bias;
};
} // namespace

/// Reads the constant weight and bias of `linear` (inside `mlp`) into
/// `target`; fails with `reason` when they are not static f32 constants.
static LogicalResult readLinearParams(MlpOp mlp, LinearOp linear,
                                      FoldTarget &target, std::string &reason) {
  target.linear = linear;
  target.weight = WeightData::fromValue(getOuterValue(mlp, linear.getWeight()));
  if (!target.weight) {
    reason = "a linear's weight is not a static f32 constant";
    return failure();
  }
  if (Value bias = linear.getBias()) {
    target.bias = WeightData::fromValue(getOuterValue(mlp, bias));
    if (!target.bias) {
      reason = "a linear's bias is not a static f32 constant";
      return failure();
    }
  }
  return success();
}

/// Collects the linears of `mlp` that read the block's input. Fails with
/// `reason` when the input has a user that is not the input of a linear
/// (the affine map could not be removed from it) or a linear's parameters
/// are not constant.
static LogicalResult collectInputLinears(MlpOp mlp,
                                         SmallVectorImpl<FoldTarget> &targets,
                                         std::string &reason) {
  BlockArgument input = mlp.getBody().front().getArgument(0);
  if (input.use_empty()) {
    reason = "the block does not use its input";
    return failure();
  }
  llvm::SetVector<Operation *> users;
  for (OpOperand &use : input.getUses()) {
    // Reading a dynamic size is not reading the values.
    if (isa<tensor::DimOp>(use.getOwner()))
      continue;
    auto linear = dyn_cast<LinearOp>(use.getOwner());
    if (!linear || use.getOperandNumber() != 0) {
      reason = "the block's input is used by something other than the input "
               "of an ffn.linear";
      return failure();
    }
    users.insert(linear);
  }
  // Block order, so that the new parameters come in a predictable order.
  SmallVector<Operation *> ordered(users.begin(), users.end());
  llvm::sort(ordered,
             [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  for (Operation *op : ordered) {
    FoldTarget &target = targets.emplace_back();
    if (failed(readLinearParams(mlp, cast<LinearOp>(op), target, reason)))
      return failure();
  }
  return success();
}

/// Collects the blocks that use `value` as their input; fails with `reason`
/// when `value` has any other user.
static LogicalResult collectMlpUsers(Value value, SmallVectorImpl<MlpOp> &mlps,
                                     std::string &reason) {
  if (value.use_empty()) {
    reason = "the normalised value has no users";
    return failure();
  }
  llvm::SetVector<Operation *> owners;
  for (OpOperand &use : value.getUses()) {
    auto mlp = dyn_cast<MlpOp>(use.getOwner());
    if (!mlp || use.getOperandNumber() != 0) {
      reason = "the normalised value has a user other than the input of an "
               "ffn.mlp";
      return failure();
    }
    owners.insert(mlp);
  }
  for (Operation *op : owners)
    mlps.push_back(cast<MlpOp>(op));
  return success();
}

/// Checks every block of `mlps` and collects the linears to fold into,
/// `targets[i]` for `mlps[i]`.
static LogicalResult
collectAllInputLinears(ArrayRef<MlpOp> mlps,
                       SmallVectorImpl<SmallVector<FoldTarget, 2>> &targets,
                       std::string &reason) {
  for (MlpOp mlp : mlps)
    if (failed(collectInputLinears(mlp, targets.emplace_back(), reason)))
      return failure();
  return success();
}

/// Replaces the parameters of `target.linear` inside `mlp` by new constants
/// `weight` and `bias`, passed as new block parameters. An empty vector
/// keeps the linear's current operand.
static void replaceLinearParams(RewriterBase &rewriter, MlpOp mlp,
                                const FoldTarget &target,
                                ArrayRef<float> weight, ArrayRef<float> bias) {
  LinearOp linear = target.linear;
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(mlp);
  Location loc = linear.getLoc();
  RankedTensorType weightType = target.weight->getType();
  BlockArgument weightArg, biasArg;
  if (!weight.empty())
    weightArg = addParam(rewriter, mlp,
                         createWeightConstant(rewriter, loc, weightType, weight,
                                              "folded_weight"));
  if (!bias.empty()) {
    auto biasType = RankedTensorType::get({weightType.getDimSize(0)},
                                          weightType.getElementType());
    biasArg = addParam(
        rewriter, mlp,
        createWeightConstant(rewriter, loc, biasType, bias, "folded_bias"));
  }
  rewriter.modifyOpInPlace(linear, [&] {
    if (weightArg)
      linear.getWeightMutable().assign(weightArg);
    if (biasArg)
      linear.getBiasMutable().assign(biasArg);
  });
}

/// Checks that `affine` has one entry per input feature of every target (a
/// dynamic feature dimension lets the verifiers accept mismatched sizes).
static LogicalResult checkAffineSizes(ArrayRef<SmallVector<FoldTarget, 2>> all,
                                      const ChannelAffine &affine,
                                      std::string &reason) {
  for (ArrayRef<FoldTarget> targets : all)
    for (const FoldTarget &target : targets) {
      size_t cols = target.weight->getType().getDimSize(1);
      if ((!affine.scale.empty() && affine.scale.size() != cols) ||
          (!affine.shift.empty() && affine.shift.size() != cols)) {
        reason = "the norm's parameters and a linear's weight disagree on "
                 "the number of features";
        return failure();
      }
    }
  return success();
}

/// Folds `affine`, applied to the input of `mlp`, into the linears
/// `targets` that read it: `W' = W diag(scale)`, `c' = c + W shift`.
static void foldIntoInputLinears(RewriterBase &rewriter, MlpOp mlp,
                                 ArrayRef<FoldTarget> targets,
                                 const ChannelAffine &affine) {
  bool hasShift = llvm::any_of(affine.shift, [](float v) { return v != 0; });
  for (const FoldTarget &target : targets) {
    RankedTensorType type = target.weight->getType();
    int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
    ArrayRef<float> w = target.weight->values();
    std::vector<float> weight;
    if (!affine.scale.empty()) {
      weight.assign(w.begin(), w.end());
      for (int64_t o = 0; o < rows; ++o)
        for (int64_t j = 0; j < cols; ++j)
          weight[o * cols + j] *= affine.scale[j];
    }
    std::vector<float> bias;
    if (hasShift) {
      bias.assign(rows, 0.0f);
      for (int64_t o = 0; o < rows; ++o) {
        double sum = target.bias ? target.bias->values()[o] : 0.0;
        for (int64_t j = 0; j < cols; ++j)
          sum += static_cast<double>(w[o * cols + j]) * affine.shift[j];
        bias[o] = static_cast<float>(sum);
      }
    }
    replaceLinearParams(rewriter, mlp, target, weight, bias);
  }
  recordOnce(mlp);
}

/// Reads a per-channel parameter; fails with `reason` naming it.
static LogicalResult readVector(Value value, StringRef name,
                                std::vector<float> &out, std::string &reason) {
  std::optional<WeightData> data = WeightData::fromValue(value);
  if (!data) {
    reason = ("the " + name + " is not a static f32 constant").str();
    return failure();
  }
  out.assign(data->values().begin(), data->values().end());
  return success();
}

namespace {
/// `ffn.layer_norm` / `ffn.rms_norm` with constant affine parameters whose
/// result only feeds `ffn.mlp` inputs: the parameters move into the blocks'
/// input linears and the norm keeps only the normalisation.
template <typename NormOp>
struct FoldNormAffine : public OpRewritePattern<NormOp> {
  using OpRewritePattern<NormOp>::OpRewritePattern;

  static Value getBiasOf(NormOp op) {
    if constexpr (std::is_same_v<NormOp, LayerNormOp>)
      return op.getBias();
    return Value();
  }

  LogicalResult matchAndRewrite(NormOp norm,
                                PatternRewriter &rewriter) const override {
    Value scale = norm.getScale();
    Value bias = getBiasOf(norm);
    if (!scale && !bias)
      return rewriter.notifyMatchFailure(norm, "no scale or bias to fold");
    std::string reason;
    ChannelAffine affine;
    if ((scale && failed(readVector(scale, "scale", affine.scale, reason))) ||
        (bias && failed(readVector(bias, "bias", affine.shift, reason))))
      return rewriter.notifyMatchFailure(norm, reason);
    SmallVector<MlpOp> mlps;
    SmallVector<SmallVector<FoldTarget, 2>> targets;
    if (failed(collectMlpUsers(norm.getResult(), mlps, reason)) ||
        failed(collectAllInputLinears(mlps, targets, reason)) ||
        failed(checkAffineSizes(targets, affine, reason)))
      return rewriter.notifyMatchFailure(norm, reason);

    LLVM_DEBUG(llvm::dbgs() << DEBUG_TYPE ": folding the affine of " << norm
                            << " into " << mlps.size() << " block(s)\n");
    for (auto [mlp, blockTargets] : llvm::zip_equal(mlps, targets))
      foldIntoInputLinears(rewriter, mlp, blockTargets, affine);
    rewriter.modifyOpInPlace(norm, [&] {
      norm.getScaleMutable().clear();
      if constexpr (std::is_same_v<NormOp, LayerNormOp>)
        norm.getBiasMutable().clear();
    });
    return success();
  }
};

/// `ffn.batch_norm` with constant statistics whose result only feeds
/// `ffn.mlp` inputs is the affine map `x s + t`; it folds entirely into the
/// blocks' input linears and disappears.
struct FoldBatchNorm : public OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(BatchNormOp bn,
                                PatternRewriter &rewriter) const override {
    std::string reason;
    std::vector<float> scale, bias, mean, variance;
    if (failed(readVector(bn.getScale(), "scale", scale, reason)) ||
        failed(readVector(bn.getBias(), "bias", bias, reason)) ||
        failed(readVector(bn.getMean(), "mean", mean, reason)) ||
        failed(readVector(bn.getVariance(), "variance", variance, reason)))
      return rewriter.notifyMatchFailure(bn, reason);
    size_t channels = scale.size();
    if (bias.size() != channels || mean.size() != channels ||
        variance.size() != channels)
      return rewriter.notifyMatchFailure(
          bn, "the statistics differ in their number of channels");
    double eps = bn.getEpsilon().convertToDouble();
    ChannelAffine affine;
    affine.scale.resize(channels);
    affine.shift.resize(channels);
    for (size_t c = 0; c < channels; ++c) {
      double denominator = static_cast<double>(variance[c]) + eps;
      if (!(denominator > 0))
        return rewriter.notifyMatchFailure(
            bn, "a variance plus epsilon is not positive");
      double s = scale[c] / std::sqrt(denominator);
      affine.scale[c] = static_cast<float>(s);
      affine.shift[c] = static_cast<float>(bias[c] - mean[c] * s);
    }
    SmallVector<MlpOp> mlps;
    SmallVector<SmallVector<FoldTarget, 2>> targets;
    if (failed(collectMlpUsers(bn.getResult(), mlps, reason)) ||
        failed(collectAllInputLinears(mlps, targets, reason)) ||
        failed(checkAffineSizes(targets, affine, reason)))
      return rewriter.notifyMatchFailure(bn, reason);

    LLVM_DEBUG(llvm::dbgs() << DEBUG_TYPE ": folding " << bn << " into "
                            << mlps.size() << " block(s)\n");
    for (auto [mlp, blockTargets] : llvm::zip_equal(mlps, targets))
      foldIntoInputLinears(rewriter, mlp, blockTargets, affine);
    rewriter.replaceOp(bn, bn.getInput());
    return success();
  }
};

/// LayerScale: `ffn.mlp(...) * gamma` with a constant per-feature (or
/// splat) `gamma` folds into the rows and bias of the linear producing the
/// block's result.
struct FoldLayerScale : public OpRewritePattern<arith::MulFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::MulFOp op,
                                PatternRewriter &rewriter) const override {
    // The block is the factor whose other factor is a constant per-feature
    // vector (either order).
    MlpOp mlp;
    std::optional<raise::FeatureVector> vector;
    std::string reason = "no factor is an ffn.mlp result";
    for (unsigned i = 0; i < 2 && !mlp; ++i) {
      auto candidate = op->getOperand(i).getDefiningOp<MlpOp>();
      if (!candidate)
        continue;
      vector = raise::matchFeatureVector(op->getOperand(1 - i));
      if (!vector || !vector->isConstant()) {
        reason = "the other factor is not a constant per-feature vector or "
                 "splat";
        continue;
      }
      mlp = candidate;
    }
    if (!mlp)
      return rewriter.notifyMatchFailure(op, reason);
    if (!mlp.getResult().hasOneUse())
      return rewriter.notifyMatchFailure(op,
                                         "the block's result has other users");
    if (op.getType() != mlp.getResult().getType())
      return rewriter.notifyMatchFailure(
          op, "the product's type differs from the block's");
    auto type = cast<RankedTensorType>(mlp.getResult().getType());
    int64_t features = type.getDimSize(type.getRank() - 1);
    if (ShapedType::isDynamic(features))
      return rewriter.notifyMatchFailure(op, "the feature count is dynamic");

    std::vector<float> gamma;
    if (vector->splat) {
      gamma.assign(features, static_cast<float>(*vector->splat));
    } else {
      std::optional<WeightData> data = WeightData::fromValue(vector->source);
      if (!data || data->values().size() != static_cast<size_t>(features))
        return rewriter.notifyMatchFailure(
            op, "the per-feature factor is not a static f32 constant with one "
                "element per feature");
      gamma.assign(data->values().begin(), data->values().end());
    }

    auto last = mlp.getYield().getValue().getDefiningOp<LinearOp>();
    if (!last)
      return rewriter.notifyMatchFailure(
          op, "the block's result is not produced by an ffn.linear");
    if (!last.getResult().hasOneUse())
      return rewriter.notifyMatchFailure(
          op, "the last linear's result has other users");
    FoldTarget target;
    if (failed(readLinearParams(mlp, last, target, reason)))
      return rewriter.notifyMatchFailure(op, reason);

    RankedTensorType wType = target.weight->getType();
    int64_t rows = wType.getDimSize(0), cols = wType.getDimSize(1);
    ArrayRef<float> w = target.weight->values();
    std::vector<float> weight(w.size());
    for (int64_t o = 0; o < rows; ++o)
      for (int64_t j = 0; j < cols; ++j)
        weight[o * cols + j] = gamma[o] * w[o * cols + j];
    std::vector<float> bias;
    if (target.bias) {
      ArrayRef<float> b = target.bias->values();
      bias.resize(b.size());
      for (int64_t o = 0; o < rows; ++o)
        bias[o] = gamma[o] * b[o];
    }
    LLVM_DEBUG(llvm::dbgs()
               << DEBUG_TYPE ": folding a LayerScale into " << last << "\n");
    replaceLinearParams(rewriter, mlp, target, weight, bias);
    recordOnce(mlp);
    rewriter.replaceOp(op, mlp.getResult());
    return success();
  }
};

struct FoldNormsPass : public ffn::impl::FoldNormsBase<FoldNormsPass> {
  using FoldNormsBase::FoldNormsBase;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    populateFoldNormsPatterns(patterns);
    // Drops the parameters the folds leave unused.
    MlpOp::getCanonicalizationPatterns(patterns, ctx);
    raise::applyRaisePatterns(getOperation(), std::move(patterns),
                              getArgument(), remarkFailures);
  }
};
} // namespace

void mlir::ffn::populateFoldNormsPatterns(RewritePatternSet &patterns) {
  patterns.add<FoldNormAffine<LayerNormOp>, FoldNormAffine<RMSNormOp>,
               FoldBatchNorm, FoldLayerScale>(patterns.getContext());
}
