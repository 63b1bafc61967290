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

#include "NeuronLayout.h"
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
/// Sorts the neurons of one recognised `ffn.mlp` by descending score.
struct PermuteMlpNeurons : public OpRewritePattern<MlpOp> {
  /// With `single` (the blobs one op refers to), permuted weights overwrite
  /// their originals instead of being new blobs.
  PermuteMlpNeurons(MLIRContext *ctx, const llvm::StringSet<> *single)
      : OpRewritePattern(ctx), single(single) {}
  const llvm::StringSet<> *single;

  LogicalResult matchAndRewrite(MlpOp mlp,
                                PatternRewriter &rewriter) const override {
    if (mlp->hasAttr(kNeuronImportanceAttrName))
      return rewriter.notifyMatchFailure(mlp, "neurons already sorted");
    NeuronLayout layout;
    std::string reason;
    if (failed(matchNeuronLayout(mlp, layout, reason)))
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
    rewriter.modifyOpInPlace(mlp, [&] {
      mlp->setAttr(kNeuronOrderAttrName, rewriter.getDenseI64ArrayAttr(perm));
    });

    rewriter.setInsertionPoint(mlp);
    SmallVector<Operation *> replaced;
    for (const NeuronParam &p : layout.params) {
      std::vector<float> data = selectNeurons(p, perm);
      Value old = mlp.getArgs()[p.argIndex];
      Value updated =
          single ? reuseWeightConstant(rewriter, old.getLoc(),
                                       p.data.getType(), data, old, *single)
                 : Value();
      if (!updated)
        updated = createWeightConstant(rewriter, old.getLoc(),
                                       p.data.getType(), data,
                                       "permuted_weight");
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
    llvm::StringSet<> single;
    if (reuseWeightBuffers)
      single = findSinglyReferencedWeights(getOperation());
    patterns.add<PermuteMlpNeurons>(&getContext(),
                                    reuseWeightBuffers ? &single : nullptr);
    raise::applyRaisePatterns(getOperation(), std::move(patterns),
                              getArgument(), remarkFailures);
  }
};
} // namespace

void mlir::ffn::populatePermuteNeuronsPatterns(RewritePatternSet &patterns) {
  patterns.add<PermuteMlpNeurons>(patterns.getContext(), nullptr);
}
