//===- PermuteNeurons.cpp - sort the hidden neurons of FFNs by importance -===//
//
// The hidden neurons of an FFN can be listed in any order: permuting the rows
// of the up (and gate) projection, their biases and the columns of the down
// projection together computes the same function, because the activation is
// elementwise and the down projection sums over the neurons. This pass puts
// the neurons of every `ffn.mlp` in descending order of an importance score,
// so that approximate rewrites that keep a prefix of the neurons (width
// slicing) or group neighbouring neurons (block-diagonal forms) can work on
// contiguous ranges. The rewrite is exact up to the order of the fp32 sums in
// the down projection.
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
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Debug.h"

#include <cmath>
#include <numeric>

#define DEBUG_TYPE "ffn-permute-neurons"

namespace mlir {
namespace ffn {
#define GEN_PASS_DEF_PERMUTENEURONS
#include "ffn/Dialect/FFN/Transforms/Passes.h.inc"
} // namespace ffn
} // namespace mlir

using namespace mlir;
using namespace mlir::ffn;

/// The name this pass records on the blocks whose neurons it reorders.
static constexpr llvm::StringLiteral kRewriteName = "permute-neurons";

namespace {
/// One parameter of the block that the permutation rewrites: the index of
/// its block argument, its constant contents, and whether neurons are its
/// rows (up/gate weights and biases) or its columns (the down weight).
struct PermutedParam {
  unsigned argIndex;
  WeightData data;
  bool neuronsAreColumns;
};

/// The parameters of a recognised block and the factors of the score.
struct NeuronLayout {
  int64_t hidden = 0;
  SmallVector<PermutedParam> params;
};
} // namespace

/// The block argument number of `value` in `body`, or failure.
static FailureOr<unsigned> getArgIndex(Block &body, Value value) {
  auto arg = dyn_cast_or_null<BlockArgument>(value);
  if (!arg || arg.getOwner() != &body)
    return failure();
  return arg.getArgNumber();
}

/// Adds the weight (and bias) of `linear` to `layout`. `inputSide`: the
/// linear produces hidden neurons (rows are neurons); otherwise it consumes
/// them (weight columns are neurons, its bias is untouched).
static LogicalResult addLinear(MlpOp mlp, LinearOp linear, bool inputSide,
                               NeuronLayout &layout, std::string &reason) {
  Block &body = mlp.getBody().front();
  SmallVector<Value, 2> values = {linear.getWeight()};
  if (inputSide && linear.getBias())
    values.push_back(linear.getBias());
  for (Value value : values) {
    FailureOr<unsigned> index = getArgIndex(body, value);
    if (failed(index)) {
      reason = "a weight or bias is not a parameter of the block";
      return failure();
    }
    // Another user would see the permuted parameter too.
    if (!value.hasOneUse()) {
      reason = "a weight or bias is used more than once in the block";
      return failure();
    }
    std::optional<WeightData> data =
        WeightData::fromValue(mlp.getArgs()[*index]);
    if (!data) {
      reason = "a weight or bias is not a static f32 constant";
      return failure();
    }
    int64_t neurons = data->getType().getDimSize(
        inputSide || data->getType().getRank() == 1 ? 0 : 1);
    if (neurons != layout.hidden) {
      reason = "the linears disagree on the hidden width";
      return failure();
    }
    layout.params.push_back({*index, std::move(*data), !inputSide});
  }
  return success();
}

/// Recognises the encoder form `linear(act(linear(x, W1, b1)), W2, b2)` and
/// the gated form `linear(act(linear(x, Wg)) * linear(x, Wu), Wd)` with
/// elementwise activations and constant parameters; fills `layout`.
static LogicalResult matchLayout(MlpOp mlp, NeuronLayout &layout,
                                 std::string &reason) {
  MlpKind kind = mlp.getKind();
  if (kind != MlpKind::Encoder && kind != MlpKind::Gated) {
    reason = "the block is neither an encoder nor a gated FFN (its neuron "
             "order may matter)";
    return failure();
  }
  Block &body = mlp.getBody().front();
  Value x = body.getArgument(0);
  auto down = mlp.getYield().getValue().getDefiningOp<LinearOp>();
  if (!down) {
    reason = "the block's result is not a linear";
    return failure();
  }
  auto onlyUsedBy = [](Value v, Operation *user) {
    return v.hasOneUse() && *v.getUsers().begin() == user;
  };

  SmallVector<LinearOp, 2> inputLinears;
  Operation *act = nullptr;
  if (kind == MlpKind::Encoder) {
    act = down.getInput().getDefiningOp();
    auto up = act ? act->getOperand(0).getDefiningOp<LinearOp>() : LinearOp();
    if (!up || !onlyUsedBy(act->getResult(0), down) ||
        !onlyUsedBy(up.getResult(), act)) {
      reason = "the block is not linear -> activation -> linear";
      return failure();
    }
    inputLinears.push_back(up);
  } else {
    auto product = down.getInput().getDefiningOp<arith::MulFOp>();
    if (!product || !onlyUsedBy(product.getResult(), down)) {
      reason = "the down projection does not read the gated product";
      return failure();
    }
    Value lhs = product.getLhs(), rhs = product.getRhs();
    act = lhs.getDefiningOp();
    if (!act || !isa<GeluOp, SiluOp, ReluOp>(act)) {
      std::swap(lhs, rhs);
      act = lhs.getDefiningOp();
    }
    auto gate = act ? act->getOperand(0).getDefiningOp<LinearOp>() : LinearOp();
    auto upLinear = rhs.getDefiningOp<LinearOp>();
    if (!gate || !upLinear || !onlyUsedBy(act->getResult(0), product) ||
        !onlyUsedBy(gate.getResult(), act) ||
        !onlyUsedBy(upLinear.getResult(), product)) {
      reason = "the block is not act(linear) * linear -> linear";
      return failure();
    }
    inputLinears.push_back(gate);
    inputLinears.push_back(upLinear);
  }
  if (!isa<GeluOp, SiluOp, ReluOp>(act)) {
    reason = "the activation is not an elementwise ffn activation";
    return failure();
  }
  for (LinearOp linear : inputLinears)
    if (linear.getInput() != x) {
      reason = "a projection does not read the block's input";
      return failure();
    }

  layout.hidden = down.getInFeatures();
  if (ShapedType::isDynamic(layout.hidden)) {
    reason = "the hidden width is dynamic";
    return failure();
  }
  for (LinearOp linear : inputLinears)
    if (failed(addLinear(mlp, linear, /*inputSide=*/true, layout, reason)))
      return failure();
  return addLinear(mlp, down, /*inputSide=*/false, layout, reason);
}

/// The weight-norm score of every neuron: the product of the L2 norms of
/// its rows in the up (and gate) weights and of its column in the down
/// weight. Biases do not take part.
static std::vector<double> weightNormScores(const NeuronLayout &layout) {
  std::vector<double> score(layout.hidden, 1.0);
  for (const PermutedParam &p : layout.params) {
    RankedTensorType type = p.data.getType();
    if (type.getRank() != 2)
      continue;
    int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
    ArrayRef<float> v = p.data.values();
    std::vector<double> sq(layout.hidden, 0.0);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        double e = v[r * cols + c];
        sq[p.neuronsAreColumns ? c : r] += e * e;
      }
    for (int64_t j = 0; j < layout.hidden; ++j)
      score[j] *= std::sqrt(sq[j]);
  }
  return score;
}

/// `data` with its neurons (rows, or columns) in the order `perm`:
/// new neuron j is old neuron perm[j].
static std::vector<float> permute(const PermutedParam &p,
                                  ArrayRef<int64_t> perm) {
  RankedTensorType type = p.data.getType();
  ArrayRef<float> src = p.data.values();
  std::vector<float> dst(src.size());
  if (type.getRank() == 1) {
    for (size_t j = 0; j < perm.size(); ++j)
      dst[j] = src[perm[j]];
    return dst;
  }
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  if (p.neuronsAreColumns) {
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        dst[r * cols + c] = src[r * cols + perm[c]];
  } else {
    for (int64_t r = 0; r < rows; ++r)
      std::copy_n(src.begin() + perm[r] * cols, cols, dst.begin() + r * cols);
  }
  return dst;
}

namespace {
/// Sorts the neurons of one recognised `ffn.mlp` by descending score.
struct PermuteMlpNeurons : public OpRewritePattern<MlpOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MlpOp mlp,
                                PatternRewriter &rewriter) const override {
    if (mlp->hasAttr(kNeuronImportanceAttrName))
      return rewriter.notifyMatchFailure(mlp, "neurons already sorted");
    NeuronLayout layout;
    std::string reason;
    if (failed(matchLayout(mlp, layout, reason)))
      return rewriter.notifyMatchFailure(mlp, reason);

    std::vector<double> score = weightNormScores(layout);
    SmallVector<int64_t> perm(layout.hidden);
    std::iota(perm.begin(), perm.end(), 0);
    // Stable: equal scores keep their order, so the result is deterministic.
    llvm::stable_sort(
        perm, [&](int64_t a, int64_t b) { return score[a] > score[b]; });
    SmallVector<float> sorted;
    for (int64_t j : perm)
      sorted.push_back(static_cast<float>(score[j]));
    auto scoreType =
        RankedTensorType::get({layout.hidden}, rewriter.getF32Type());
    auto scoreAttr = DenseElementsAttr::get(scoreType, ArrayRef<float>(sorted));

    bool identity = llvm::all_of(llvm::enumerate(perm), [](auto it) {
      return static_cast<int64_t>(it.index()) == it.value();
    });
    LLVM_DEBUG(llvm::dbgs()
               << DEBUG_TYPE ": " << layout.hidden << " neurons, "
               << (identity ? "already in order" : "permuted") << "\n");
    rewriter.modifyOpInPlace(
        mlp, [&] { mlp->setAttr(kNeuronImportanceAttrName, scoreAttr); });
    if (identity)
      return success();

    rewriter.setInsertionPoint(mlp);
    SmallVector<Operation *> replaced;
    for (const PermutedParam &p : layout.params) {
      std::vector<float> data = permute(p, perm);
      Value old = mlp.getArgs()[p.argIndex];
      Value updated = createWeightConstant(
          rewriter, old.getLoc(), p.data.getType(), data, "permuted_weight");
      rewriter.modifyOpInPlace(mlp,
                               [&] { mlp->setOperand(p.argIndex, updated); });
      if (Operation *def = old.getDefiningOp(); def && old.use_empty())
        rewriter.eraseOp(def);
    }
    recordApplied(mlp, kRewriteName);
    return success();
  }
};

struct PermuteNeuronsPass
    : public ffn::impl::PermuteNeuronsBase<PermuteNeuronsPass> {
  using PermuteNeuronsBase::PermuteNeuronsBase;

  void runOnOperation() override {
    if (score == "none")
      return;
    if (score != "weight-norm") {
      getOperation()->emitError()
          << "ffn-permute-neurons: unknown score '" << score
          << "' (expected weight-norm or none)";
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    populatePermuteNeuronsPatterns(patterns);
    raise::applyRaisePatterns(getOperation(), std::move(patterns),
                              getArgument(), remarkFailures);
  }
};
} // namespace

void mlir::ffn::populatePermuteNeuronsPatterns(RewritePatternSet &patterns) {
  patterns.add<PermuteMlpNeurons>(patterns.getContext());
}
