//===- FuseHorizontal.cpp - fuse sibling linears into one wider linear ----===//
//
// Linears that read the same input (the gate and up projections of a gated
// FFN, Q/K/V projections) each stream the input through a GEMM of their own.
// With their weights concatenated along the output dimension they become one
// wider GEMM that reads the input once and keeps more of the machine busy on
// small token counts; slices of its result along the last dimension stand
// for the original results. The rewrite is exact: every output element is
// the same dot product as before.
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

#define DEBUG_TYPE "ffn-fuse-horizontal"

namespace mlir {
namespace ffn {
#define GEN_PASS_DEF_FUSEHORIZONTAL
#include "ffn/Dialect/FFN/Transforms/Passes.h.inc"
} // namespace ffn
} // namespace mlir

using namespace mlir;
using namespace mlir::ffn;

/// The name this pass records on the blocks it changes.
static constexpr llvm::StringLiteral kRewriteName = "fuse-horizontal";

/// The `ffn.mlp` whose body is the block of `op`, or null.
static MlpOp getEnclosingMlpBody(Operation *op) {
  auto mlp = dyn_cast_or_null<MlpOp>(op->getParentOp());
  if (mlp && op->getBlock() == &mlp.getBody().front())
    return mlp;
  return nullptr;
}

/// The constant `value` stands for: inside an `ffn.mlp` body, a block
/// argument stands for the block's operand.
static std::optional<WeightData> readConstant(MlpOp mlp, Value value) {
  if (auto arg = dyn_cast<BlockArgument>(value);
      mlp && arg && arg.getOwner() == &mlp.getBody().front())
    value = mlp.getArgs()[arg.getArgNumber()];
  return WeightData::fromValue(value);
}

namespace {
/// A linear taking part in a fusion, with its constant parameters.
struct Member {
  LinearOp linear;
  std::optional<WeightData> weight;
  std::optional<WeightData> bias;
};
} // namespace

/// Checks that `linear` can take part in a fusion and reads its parameters
/// into `member`; fails with `reason` otherwise.
static LogicalResult checkMember(LinearOp linear, MlpOp mlp, Member &member,
                                 std::string &reason) {
  // A slice consumed once stays a view its consumer reads in place; with
  // several consumers the fusion would trade a GEMM for copies.
  if (!linear.getResult().hasOneUse()) {
    reason = "the linear's result does not have exactly one user";
    return failure();
  }
  RankedTensorType type = linear.getResult().getType();
  // Token dimensions may be dynamic; the features are static.
  if (type.getRank() == 0 || type.isDynamicDim(type.getRank() - 1) ||
      !type.getElementType().isF32()) {
    reason = "the linear's result is not an f32 tensor of static features";
    return failure();
  }
  if (linear.getInput().getType().getShape().drop_back() !=
      type.getShape().drop_back()) {
    reason = "the linear's token dimensions differ from its input's";
    return failure();
  }
  member.linear = linear;
  member.weight = readConstant(mlp, linear.getWeight());
  if (!member.weight) {
    reason = "the linear's weight is not a static f32 constant";
    return failure();
  }
  if (Value bias = linear.getBias()) {
    member.bias = readConstant(mlp, bias);
    if (!member.bias) {
      reason = "the linear's bias is not a static f32 constant";
      return failure();
    }
  }
  return success();
}

namespace {
/// Fuses the fusable linears that read the input of `anchor` (including
/// `anchor`) in its block.
struct FuseSiblingLinears : public OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(LinearOp anchor,
                                PatternRewriter &rewriter) const override {
    MlpOp mlp = getEnclosingMlpBody(anchor);
    std::string reason;
    Member anchorMember;
    if (failed(checkMember(anchor, mlp, anchorMember, reason)))
      return rewriter.notifyMatchFailure(anchor, reason);

    Value input = anchor.getInput();
    Block *block = anchor->getBlock();
    llvm::SetVector<Operation *> siblings;
    for (OpOperand &use : input.getUses()) {
      auto linear = dyn_cast<LinearOp>(use.getOwner());
      if (linear && use.getOperandNumber() == 0 && linear->getBlock() == block)
        siblings.insert(linear);
    }
    // With a dynamic feature dimension of the input the verifiers accept
    // weights of different widths; only equal widths concatenate.
    int64_t inFeatures = anchorMember.weight->getType().getDimSize(1);
    SmallVector<Member> members;
    for (Operation *op : siblings) {
      Member member;
      std::string ignored;
      if (succeeded(checkMember(cast<LinearOp>(op), mlp, member, ignored)) &&
          member.weight->getType().getDimSize(1) == inFeatures)
        members.push_back(std::move(member));
    }
    if (members.size() < 2)
      return rewriter.notifyMatchFailure(
          anchor, "no other linear in the block reads the same input with "
                  "constant weights and a single user");
    llvm::sort(members, [](const Member &a, const Member &b) {
      return a.linear->isBeforeInBlock(b.linear);
    });

    // Concatenate the weights (row blocks of [out, in]) and the biases.
    bool anyBias = llvm::any_of(
        members, [](const Member &m) { return m.bias.has_value(); });
    int64_t outFeatures = 0;
    for (const Member &m : members)
      outFeatures += m.weight->getType().getDimSize(0);
    std::vector<float> weight;
    weight.reserve(outFeatures * inFeatures);
    std::vector<float> bias;
    for (const Member &m : members) {
      llvm::append_range(weight, m.weight->values());
      if (!anyBias)
        continue;
      if (m.bias)
        llvm::append_range(bias, m.bias->values());
      else
        bias.resize(bias.size() + m.weight->getType().getDimSize(0), 0.0f);
    }

    LLVM_DEBUG(llvm::dbgs() << DEBUG_TYPE ": fusing " << members.size()
                            << " linears reading " << input << "\n");
    SmallVector<Location> locs;
    for (Member &m : members)
      locs.push_back(m.linear.getLoc());
    Location loc = rewriter.getFusedLoc(locs);
    Type elementType = rewriter.getF32Type();
    auto weightType =
        RankedTensorType::get({outFeatures, inFeatures}, elementType);
    auto biasType = RankedTensorType::get({outFeatures}, elementType);
    Value newWeight, newBias;
    if (mlp) {
      // The body is isolated from above: new constants are new parameters.
      rewriter.setInsertionPoint(mlp);
      Value weightConst = createWeightConstant(rewriter, loc, weightType,
                                               weight, "fused_weight");
      Value biasConst;
      if (anyBias)
        biasConst =
            createWeightConstant(rewriter, loc, biasType, bias, "fused_bias");
      Block &body = mlp.getBody().front();
      rewriter.modifyOpInPlace(mlp, [&] {
        mlp.getArgsMutable().append(weightConst);
        if (biasConst)
          mlp.getArgsMutable().append(biasConst);
      });
      newWeight = body.addArgument(weightType, loc);
      if (biasConst)
        newBias = body.addArgument(biasType, loc);
    } else {
      rewriter.setInsertionPoint(members.front().linear);
      newWeight = createWeightConstant(rewriter, loc, weightType, weight,
                                       "fused_weight");
      if (anyBias)
        newBias =
            createWeightConstant(rewriter, loc, biasType, bias, "fused_bias");
    }

    auto inputType = cast<RankedTensorType>(input.getType());
    SmallVector<int64_t> shape(inputType.getShape());
    shape.back() = outFeatures;
    rewriter.setInsertionPoint(members.front().linear);
    auto fused = LinearOp::create(rewriter, loc,
                                  RankedTensorType::get(shape, elementType),
                                  input, newWeight, newBias);

    // One slice along the last dimension per original linear.
    int64_t rank = inputType.getRank();
    int64_t offset = 0;
    for (Member &m : members) {
      LinearOp linear = m.linear;
      RankedTensorType type = linear.getResult().getType();
      SmallVector<OpFoldResult> offsets(rank, rewriter.getIndexAttr(0));
      offsets.back() = rewriter.getIndexAttr(offset);
      rewriter.setInsertionPoint(linear);
      // Whole token rows (read from the input when dynamic), this linear's
      // features.
      SmallVector<OpFoldResult> sizes =
          tensor::getMixedSizes(rewriter, linear.getLoc(), input);
      sizes.back() = rewriter.getIndexAttr(type.getShape().back());
      SmallVector<OpFoldResult> strides(rank, rewriter.getIndexAttr(1));
      auto slice = tensor::ExtractSliceOp::create(rewriter, linear.getLoc(),
                                                  type, fused.getResult(),
                                                  offsets, sizes, strides);
      rewriter.replaceOp(linear, slice.getResult());
      offset += type.getShape().back();
    }
    if (mlp && !llvm::is_contained(getApplied(mlp), kRewriteName))
      recordApplied(mlp, kRewriteName);
    return success();
  }
};

struct FuseHorizontalPass
    : public ffn::impl::FuseHorizontalBase<FuseHorizontalPass> {
  using FuseHorizontalBase::FuseHorizontalBase;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    populateFuseHorizontalPatterns(patterns);
    // Drops the parameters the fusion leaves unused.
    MlpOp::getCanonicalizationPatterns(patterns, ctx);
    raise::applyRaisePatterns(getOperation(), std::move(patterns),
                              getArgument(), remarkFailures);
  }
};
} // namespace

void mlir::ffn::populateFuseHorizontalPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseSiblingLinears>(patterns.getContext());
}
