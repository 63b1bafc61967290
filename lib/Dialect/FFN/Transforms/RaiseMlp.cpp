//===- RaiseMlp.cpp - outline feed-forward networks into ffn.mlp ----------===//
//
// Once linears and activations are ffn ops, an FFN is a small tree rooted at
// its down projection. This pass finds the encoder form (up, activation,
// down) and the gated form (gate with activation, up, product, down) and
// moves the tree into an `ffn.mlp` block, the unit every FFN rewrite and the
// report work on. The channel-idle form (RePaViT: the activation applied to
// some hidden channels, the rest passed through, see ChannelIdle.h) is
// outlined the same way. The block takes `x` and the linears' weights and biases as
// operands; the ops are cloned into it unchanged.
//
//===----------------------------------------------------------------------===//

#include "ffn/Dialect/FFN/IR/FFNOps.h"
#include "ffn/Dialect/FFN/Transforms/Passes.h"
#include "ffn/Dialect/FFN/Transforms/Transforms.h"
#include "ffn/Utils/Dims.h"

#include "ChannelIdle.h"
#include "RaiseMatchers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "ffn-raise-mlp"

namespace mlir {
namespace ffn {
#define GEN_PASS_DEF_RAISEMLP
#include "ffn/Dialect/FFN/Transforms/Passes.h.inc"
} // namespace ffn
} // namespace mlir

using namespace mlir;
using namespace mlir::ffn;
using namespace mlir::ffn::raise;

/// True for the activations an FFN block may hold.
static bool isActivation(Operation *op) {
  return isa_and_nonnull<GeluOp, SiluOp, ReluOp>(op);
}

/// Checks that an inner linear of the FFN (`role` names it in the reason)
/// has no user but the FFN.
static LogicalResult checkInnerLinear(LinearOp linear, StringRef role,
                                      std::string &reason) {
  if (!linear.getResult().hasOneUse()) {
    reason = (role + " projection has other users").str();
    return failure();
  }
  return success();
}

namespace {
/// The ops of one FFN, in the order they are cloned into the block.
struct FfnMatch {
  /// The token activation the FFN reads.
  Value input;
  /// Up (encoder) or gate and up (gated) projections, then the down one.
  SmallVector<LinearOp, 3> linears;
  /// The activation and, for the gated form, the product, in order.
  SmallVector<Operation *, 2> others;
};
} // namespace

/// Matches `act(linear(x, ...))` whose ops have a single use, returning the
/// linear, or null (with `reason` set).
static LinearOp matchActivatedLinear(Value value, std::string &reason) {
  Operation *act = value.getDefiningOp();
  if (!isActivation(act)) {
    reason = "not an activation";
    return nullptr;
  }
  if (!value.hasOneUse()) {
    reason = "the activation has other users";
    return nullptr;
  }
  auto linear = act->getOperand(0).getDefiningOp<LinearOp>();
  if (!linear) {
    reason = "the activation's input is not an ffn.linear";
    return nullptr;
  }
  if (failed(checkInnerLinear(linear, "the activated", reason)))
    return nullptr;
  return linear;
}

/// Matches the FFN whose down projection is `down`.
static FailureOr<FfnMatch> matchFfn(LinearOp down, std::string &reason) {
  Value hidden = down.getInput();
  Operation *def = hidden.getDefiningOp();
  if (!def) {
    reason = "the linear reads a block argument, not an activation or a gated "
             "product";
    return failure();
  }
  if (!hidden.hasOneUse()) {
    reason = "the hidden activation has other users";
    return failure();
  }
  FfnMatch match;
  if (isActivation(def)) {
    LinearOp up = matchActivatedLinear(hidden, reason);
    if (!up)
      return failure();
    match.input = up.getInput();
    match.linears = {up, down};
    match.others = {def};
    return match;
  }
  if (isa<tensor::InsertSliceOp, tensor::ConcatOp>(def)) {
    FailureOr<ChannelIdleMatch> idle = matchChannelIdle(down, reason);
    if (failed(idle))
      return failure();
    match.input = idle->up.getInput();
    match.linears = {idle->up, down};
    for (Operation *op : idle->interiorInBlockOrder())
      if (op != idle->up.getOperation())
        match.others.push_back(op);
    return match;
  }
  auto mul = dyn_cast<arith::MulFOp>(def);
  if (!mul) {
    reason = "the down projection's input is neither an activation nor a "
             "gated product";
    return failure();
  }
  // The gate is the branch with the activation.
  std::string factorReasons[2];
  LinearOp gates[2];
  for (unsigned i = 0; i < 2; ++i)
    gates[i] = matchActivatedLinear(mul->getOperand(i), factorReasons[i]);
  if (gates[0] && gates[1]) {
    reason = "both factors of the gated product are activated";
    return failure();
  }
  if (!gates[0] && !gates[1]) {
    reason = "no factor of the gated product is an activated linear (" +
             factorReasons[0] + "; " + factorReasons[1] + ")";
    return failure();
  }
  unsigned gateIndex = gates[0] ? 0 : 1;
  LinearOp gate = gates[gateIndex];
  Value upValue = mul->getOperand(1 - gateIndex);
  auto up = upValue.getDefiningOp<LinearOp>();
  if (!up) {
    reason = "the ungated factor is not an ffn.linear";
    return failure();
  }
  if (failed(checkInnerLinear(up, "the up", reason)))
    return failure();
  if (up.getInput() != gate.getInput()) {
    reason = "the gate and up projections read different inputs";
    return failure();
  }
  match.input = gate.getInput();
  match.linears = {gate, up, down};
  match.others = {gate.getResult().getUses().begin()->getOwner(), mul};
  return match;
}

namespace {
/// Outlines the FFN rooted at a down projection into an `ffn.mlp`.
struct OutlineMlp : public OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(LinearOp down,
                                PatternRewriter &rewriter) const override {
    if (down->getParentOfType<MlpOp>())
      return rewriter.notifyMatchFailure(down, "already inside an ffn.mlp");
    std::string reason;
    FailureOr<FfnMatch> match = matchFfn(down, reason);
    if (failed(match))
      return rewriter.notifyMatchFailure(down, reason);
    Value input = match->input;
    if (input.getType() != down.getType())
      return rewriter.notifyMatchFailure(
          down, "the FFN's output type differs from its input type");
    auto inOtherBlock = [&](Operation *op) {
      return op->getBlock() != down->getBlock();
    };
    if (llvm::any_of(match->linears,
                     [&](LinearOp op) { return inOtherBlock(op); }) ||
        llvm::any_of(match->others, inOtherBlock))
      return rewriter.notifyMatchFailure(
          down, "the FFN's ops are in different blocks");

    // Operands: x, then each linear's weight and bias.
    SmallVector<Value> operands{input};
    for (LinearOp linear : match->linears) {
      operands.push_back(linear.getWeight());
      if (Value bias = linear.getBias())
        operands.push_back(bias);
    }
    SmallVector<Location> locs;
    SmallVector<Location> argLocs;
    for (Value v : operands)
      argLocs.push_back(v.getLoc());
    for (LinearOp linear : match->linears)
      locs.push_back(linear.getLoc());
    for (Operation *op : match->others)
      locs.push_back(op->getLoc());

    // Clone in dominance order: projections reading x, the activation (and
    // product), then the down projection.
    SmallVector<Operation *> order;
    for (LinearOp linear : ArrayRef(match->linears).drop_back())
      order.push_back(linear);
    llvm::append_range(order, match->others);
    order.push_back(down);

    // What the ops read from outside besides the operands: constants
    // (cloned into the block) and, with dynamic token dimensions, sizes of
    // x (read again from the block's x). Anything else stays outside.
    llvm::SmallPtrSet<Operation *, 16> inFFN(order.begin(), order.end());
    llvm::SetVector<Operation *> constants;
    SmallVector<std::pair<Value, int64_t>> sizesOfX;
    auto xType = cast<RankedTensorType>(input.getType());
    for (Operation *op : order)
      for (Value v : op->getOperands()) {
        Operation *def = v.getDefiningOp();
        if (llvm::is_contained(operands, v) || (def && inFFN.contains(def)))
          continue;
        if (def && def->hasTrait<OpTrait::ConstantLike>()) {
          constants.insert(def);
          continue;
        }
        std::optional<int64_t> dimOfX;
        if (v.getType().isIndex()) {
          SizeOrigin origin = getSizeOrigin(v);
          for (int64_t d = 0; d < xType.getRank() && !dimOfX; ++d)
            if (xType.isDynamicDim(d) && getDimOrigin(input, d) == origin)
              dimOfX = d;
        }
        if (!dimOfX)
          return rewriter.notifyMatchFailure(
              down, "an op of the FFN reads a value from outside it");
        sizesOfX.push_back({v, *dimOfX});
      }

    LLVM_DEBUG(llvm::dbgs()
               << DEBUG_TYPE ": outlining the FFN ending in " << down << "\n");
    rewriter.setInsertionPoint(down);
    auto mlp = MlpOp::create(rewriter, rewriter.getFusedLoc(locs),
                             input.getType(), operands);
    Block *body = rewriter.createBlock(
        &mlp.getBody(), {}, ValueRange(operands).getTypes(), argLocs);
    IRMapping mapping;
    // Values passed more than once (a weight shared by two linears) map to
    // their first block argument.
    for (unsigned i = operands.size(); i-- > 0;)
      mapping.map(operands[i], body->getArgument(i));

    rewriter.setInsertionPointToStart(body);
    for (Operation *op : constants)
      rewriter.clone(*op, mapping);
    for (auto [size, d] : sizesOfX)
      if (!mapping.contains(size))
        mapping.map(size, tensor::DimOp::create(rewriter, size.getLoc(),
                                                body->getArgument(0), d)
                              .getResult());
    for (Operation *op : order)
      rewriter.clone(*op, mapping);
    YieldOp::create(rewriter, down.getLoc(), mapping.lookup(down.getResult()));

    rewriter.replaceOp(down, mlp.getResult());
    // A tensor.empty a channel-idle join wrote into may have other users.
    for (Operation *op : llvm::reverse(ArrayRef(order).drop_back()))
      if (op->use_empty())
        rewriter.eraseOp(op);
    return success();
  }
};

struct RaiseMlpPass : public ffn::impl::RaiseMlpBase<RaiseMlpPass> {
  using RaiseMlpBase::RaiseMlpBase;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateRaiseMlpPatterns(patterns);
    applyRaisePatterns(getOperation(), std::move(patterns), getArgument(),
                       remarkFailures);
  }
};
} // namespace

void mlir::ffn::populateRaiseMlpPatterns(RewritePatternSet &patterns) {
  patterns.add<OutlineMlp>(patterns.getContext());
}
