//===- RepavitReparam.cpp - reparameterise channel-idle FFNs --------------===//
//
// RePaViT's structural reparameterisation. A channel-idle FFN activates one
// run of hidden channels and passes the other through linearly; the linear
// branch `W2l (W1l x + b1l)` is a `D x D` matrix applied to `x` plus a
// constant, and a residual `x + FFN(x)` adds the identity to that matrix:
//
//   y = W2a act(W1a x + b1a) + (I + W2l W1l) x + (W2l b1l + b2)
//
// The products are computed here, at compile time, in double precision, and
// the block is rebuilt around them: an activated branch of `k` channels and
// one `D x D` linear over the block's input, which ffn-fuse-horizontal then
// fuses with the branch's up projection into one GEMM.
//
//===----------------------------------------------------------------------===//

#include "ffn/Dialect/FFN/IR/FFNOps.h"
#include "ffn/Dialect/FFN/Transforms/Passes.h"
#include "ffn/Dialect/FFN/Transforms/Transforms.h"
#include "ffn/Utils/Weights.h"

#include "ChannelIdle.h"
#include "RaiseMatchers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/Support/Debug.h"

#include <vector>

#define DEBUG_TYPE "ffn-repavit-reparam"

namespace mlir {
namespace ffn {
#define GEN_PASS_DEF_REPAVITREPARAM
#include "ffn/Dialect/FFN/Transforms/Passes.h.inc"
} // namespace ffn
} // namespace mlir

using namespace mlir;
using namespace mlir::ffn;

/// The name this pass records on the blocks it changes.
static constexpr llvm::StringLiteral kRewriteName = "repavit-reparam";

/// The constant `value` of `mlp`'s body stands for (a block argument stands
/// for the block's operand), or std::nullopt.
static std::optional<WeightData> readConstant(MlpOp mlp, Value value) {
  if (auto arg = dyn_cast<BlockArgument>(value);
      arg && arg.getOwner() == &mlp.getBody().front())
    value = mlp.getArgs()[arg.getArgNumber()];
  return WeightData::fromValue(value);
}

/// Result type of `x` through a linear with `outFeatures` outputs.
static RankedTensorType withFeatures(Type x, int64_t outFeatures) {
  auto type = cast<RankedTensorType>(x);
  SmallVector<int64_t> shape(type.getShape());
  shape.back() = outFeatures;
  return RankedTensorType::get(shape, type.getElementType());
}

namespace {
/// The folded parameters of a reparameterised block (row-major f32).
struct Folded {
  int64_t dim = 0, active = 0;
  std::vector<float> w1a, b1a, w2a, bias, merged;
};

/// Rewrites a channel-idle `ffn.mlp` (and the residual add after it).
struct ReparamChannelIdle : public OpRewritePattern<MlpOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MlpOp mlp,
                                PatternRewriter &rewriter) const override {
    Block &body = mlp.getBody().front();
    auto down = mlp.getYield().getValue().getDefiningOp<LinearOp>();
    if (!down)
      return rewriter.notifyMatchFailure(
          mlp, "the block's result is not produced by an ffn.linear");
    std::string reason;
    FailureOr<ChannelIdleMatch> match = matchChannelIdle(down, reason);
    if (failed(match))
      return rewriter.notifyMatchFailure(mlp, reason);
    if (match->up.getInput() != body.getArgument(0))
      return rewriter.notifyMatchFailure(
          mlp, "the up projection does not read the block's input");
    if (match->pieces.size() != 2)
      return rewriter.notifyMatchFailure(
          mlp, "the active (or idle) channels are not one contiguous run");
    // Anything else in the body would be dropped by the rebuild.
    llvm::SmallPtrSet<Operation *, 8> matched;
    for (Operation *op : match->interiorInBlockOrder())
      matched.insert(op);
    matched.insert(down);
    for (Operation &op : body.without_terminator())
      if (!matched.contains(&op) && !isa<arith::ConstantOp, tensor::DimOp>(op))
        return rewriter.notifyMatchFailure(
            mlp, "the block holds ops outside the channel-idle FFN");

    LinearOp up = match->up;
    std::optional<WeightData> w1 = readConstant(mlp, up.getWeight());
    std::optional<WeightData> w2 = readConstant(mlp, down.getWeight());
    std::optional<WeightData> b1, b2;
    if (up.getBias())
      b1 = readConstant(mlp, up.getBias());
    if (down.getBias())
      b2 = readConstant(mlp, down.getBias());
    if (!w1 || !w2 || (up.getBias() && !b1) || (down.getBias() && !b2))
      return rewriter.notifyMatchFailure(
          mlp, "a weight or bias is not a static f32 constant");
    int64_t dim = w1->getType().getDimSize(1);
    int64_t hidden = w1->getType().getDimSize(0);
    if (w2->getType().getDimSize(0) != dim ||
        w2->getType().getDimSize(1) != hidden)
      return rewriter.notifyMatchFailure(
          mlp, "the projections' weights disagree on the widths");

    // A residual `x + mlp(x)` merges into the identity.
    Operation *residual = nullptr;
    if (mlp.getResult().hasOneUse()) {
      auto add = dyn_cast<arith::AddFOp>(*mlp.getResult().user_begin());
      if (add && add.getType() == mlp.getType() &&
          llvm::is_contained(add->getOperands(), mlp.getInput()))
        residual = add;
    }

    const ChannelPiece *act = nullptr, *idle = nullptr;
    for (const ChannelPiece &piece : match->pieces)
      (piece.act ? act : idle) = &piece;
    Folded f = fold(*w1, b1, *w2, b2, *act, *idle, residual != nullptr);
    LLVM_DEBUG(llvm::dbgs() << DEBUG_TYPE ": reparameterising " << mlp
                            << (residual ? " with its residual" : "") << "\n");
    MlpOp newOp = rebuild(rewriter, mlp, residual, *act, f);
    if (residual) {
      rewriter.replaceOp(residual, newOp.getResult());
      rewriter.eraseOp(mlp);
    } else {
      rewriter.replaceOp(mlp, newOp.getResult());
    }
    return success();
  }

  /// Computes the folded parameters in double precision.
  static Folded fold(const WeightData &w1, const std::optional<WeightData> &b1,
                     const WeightData &w2, const std::optional<WeightData> &b2,
                     const ChannelPiece &act, const ChannelPiece &idle,
                     bool identity) {
    Folded f;
    int64_t d = w1.getType().getDimSize(1);
    int64_t h = w2.getType().getDimSize(1);
    int64_t k = act.size, l = idle.size;
    f.dim = d;
    f.active = k;
    ArrayRef<float> W1 = w1.values(), W2 = w2.values();
    f.w1a.assign(W1.begin() + act.hiddenOffset * d,
                 W1.begin() + (act.hiddenOffset + k) * d);
    if (b1)
      f.b1a.assign(b1->values().begin() + act.hiddenOffset,
                   b1->values().begin() + act.hiddenOffset + k);
    f.w2a.resize(d * k);
    for (int64_t i = 0; i < d; ++i)
      for (int64_t j = 0; j < k; ++j)
        f.w2a[i * k + j] = W2[i * h + act.joinOffset + j];
    // M = W2l W1l (+ I); c = W2l b1l + b2.
    std::vector<double> row(d);
    f.merged.resize(d * d);
    std::vector<double> bias(d, 0.0);
    for (int64_t i = 0; i < d; ++i) {
      std::fill(row.begin(), row.end(), 0.0);
      double c = b2 ? b2->values()[i] : 0.0;
      for (int64_t j = 0; j < l; ++j) {
        double w = W2[i * h + idle.joinOffset + j];
        const float *src = W1.data() + (idle.hiddenOffset + j) * d;
        for (int64_t m = 0; m < d; ++m)
          row[m] += w * src[m];
        if (b1)
          c += w * b1->values()[idle.hiddenOffset + j];
      }
      if (identity)
        row[i] += 1.0;
      for (int64_t m = 0; m < d; ++m)
        f.merged[i * d + m] = static_cast<float>(row[m]);
      bias[i] = c;
    }
    if (b1 || b2)
      f.bias.assign(bias.begin(), bias.end());
    return f;
  }

  /// Builds the reparameterised block before `anchor` (the residual add or
  /// the old block), carrying the old block's discardable attributes.
  static MlpOp rebuild(PatternRewriter &rewriter, MlpOp mlp,
                       Operation *residual, const ChannelPiece &act,
                       const Folded &f) {
    rewriter.setInsertionPoint(residual ? residual : mlp.getOperation());
    Location loc = mlp.getLoc();
    Type elt = rewriter.getF32Type();
    auto matrix = [&](int64_t rows, int64_t cols) {
      return RankedTensorType::get({rows, cols}, elt);
    };
    auto vector = [&](int64_t n) { return RankedTensorType::get({n}, elt); };
    int64_t d = f.dim, k = f.active;
    Value x = mlp.getInput();
    Value w1a = createWeightConstant(rewriter, loc, matrix(k, d), f.w1a,
                                     "repavit_w1_active");
    Value b1a = f.b1a.empty() ? Value()
                              : createWeightConstant(rewriter, loc, vector(k),
                                                     f.b1a, "repavit_b1_active");
    Value w2a = createWeightConstant(rewriter, loc, matrix(d, k), f.w2a,
                                     "repavit_w2_active");
    Value bias = f.bias.empty() ? Value()
                                : createWeightConstant(rewriter, loc, vector(d),
                                                       f.bias, "repavit_bias");
    Value merged = createWeightConstant(rewriter, loc, matrix(d, d), f.merged,
                                        "repavit_linear_branch");
    SmallVector<Value> operands{x, w1a};
    if (b1a)
      operands.push_back(b1a);
    operands.push_back(w2a);
    if (bias)
      operands.push_back(bias);
    operands.push_back(merged);

    auto newOp = MlpOp::create(rewriter, loc, mlp.getType(), operands);
    newOp->setDiscardableAttrs(mlp->getDiscardableAttrDictionary());
    SmallVector<Location> locs(operands.size(), loc);
    Block *block = rewriter.createBlock(
        &newOp.getBody(), {}, ValueRange(operands).getTypes(), locs);
    unsigned next = 0;
    Value bx = block->getArgument(next++);
    Value bw1a = block->getArgument(next++);
    Value bb1a = b1a ? block->getArgument(next++) : Value();
    Value bw2a = block->getArgument(next++);
    Value bbias = bias ? block->getArgument(next++) : Value();
    Value bmerged = block->getArgument(next++);

    Value hidden = LinearOp::create(rewriter, act.slice->getLoc(),
                                    withFeatures(x.getType(), k), bx, bw1a,
                                    bb1a);
    IRMapping mapping;
    mapping.map(act.act->getOperand(0), hidden);
    Value activated = rewriter.clone(*act.act, mapping)->getResult(0);
    Value linearBranch = LinearOp::create(rewriter, loc, x.getType(), bx,
                                          bmerged, Value());
    Value activeBranch = LinearOp::create(rewriter, loc, x.getType(),
                                          activated, bw2a, bbias);
    Value sum = arith::AddFOp::create(rewriter, loc, activeBranch, linearBranch);
    YieldOp::create(rewriter, loc, sum);
    recordApplied(newOp, kRewriteName);
    return newOp;
  }
};

struct RepavitReparamPass
    : public ffn::impl::RepavitReparamBase<RepavitReparamPass> {
  using RepavitReparamBase::RepavitReparamBase;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateRepavitReparamPatterns(patterns);
    raise::applyRaisePatterns(getOperation(), std::move(patterns),
                              getArgument(), remarkFailures);
  }
};
} // namespace

void mlir::ffn::populateRepavitReparamPatterns(RewritePatternSet &patterns) {
  patterns.add<ReparamChannelIdle>(patterns.getContext());
}
