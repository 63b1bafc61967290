//===- WidthSlice.cpp - keep the most important hidden neurons of FFNs ---===//
//
// MatFormer-style width slicing: an FFN block keeps the first `m` of its `H`
// hidden neurons, `W1[:m]`, `b1[:m]`, `W2[:, :m]` (gated: the rows of Wg and
// Wu, the columns of Wd). After ffn-permute-neurons the first neurons are
// the most important by weight norm; a block that was not sorted is sorted
// here first. Exact for MatFormer-trained models sliced at a trained width;
// structured pruning otherwise, so the pass measures the error it introduces
// on the block (ffn/Dialect/FFN/Transforms/Evaluate.h) and records it for the
// report.
//
//===----------------------------------------------------------------------===//

#include "ffn/Dialect/FFN/IR/FFNOps.h"
#include "ffn/Dialect/FFN/Transforms/Evaluate.h"
#include "ffn/Dialect/FFN/Transforms/Passes.h"
#include "ffn/Utils/Weights.h"

#include "NeuronLayout.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Debug.h"

#include <cmath>
#include <numeric>

#define DEBUG_TYPE "ffn-width-slice"

namespace mlir {
namespace ffn {
#define GEN_PASS_DEF_WIDTHSLICE
#include "ffn/Dialect/FFN/Transforms/Passes.h.inc"
} // namespace ffn
} // namespace mlir

using namespace mlir;
using namespace mlir::ffn;

/// The name this pass records on the blocks it slices.
static constexpr llvm::StringLiteral kRewriteName = "width-slice";

/// Neurons a block of `hidden` neurons keeps at `width` (at least one).
static int64_t keptNeurons(int64_t hidden, double width) {
  return std::clamp<int64_t>(std::llround(width * hidden), 1, hidden);
}

/// The neurons of `mlp` in descending importance: the block's own order when
/// ffn-permute-neurons sorted it, otherwise sorted by weight norm here.
static SmallVector<int64_t> neuronsByImportance(MlpOp mlp,
                                                const NeuronLayout &layout) {
  SmallVector<int64_t> order(layout.hidden);
  std::iota(order.begin(), order.end(), 0);
  if (mlp->hasAttr(kNeuronImportanceAttrName))
    return order;
  std::vector<double> score = weightNormScores(layout);
  llvm::stable_sort(order,
                    [&](int64_t a, int64_t b) { return score[a] > score[b]; });
  return order;
}

/// Slices `mlp` to the neurons `kept`, in that order.
static void sliceBlock(MlpOp mlp, const NeuronLayout &layout,
                       ArrayRef<int64_t> kept) {
  OpBuilder builder(mlp);
  int64_t count = kept.size();
  Block &body = mlp.getBody().front();
  for (const NeuronParam &p : layout.params) {
    Value old = mlp.getArgs()[p.argIndex];
    RankedTensorType type = withNeurons(p, count);
    Value sliced = createWeightConstant(builder, old.getLoc(), type,
                                        selectNeurons(p, kept), "sliced_weight");
    mlp->setOperand(p.argIndex, sliced);
    body.getArgument(p.argIndex).setType(type);
    if (Operation *def = old.getDefiningOp(); def && old.use_empty())
      def->erase();
  }
  for (Value v : layout.hiddenValues) {
    auto type = cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> shape(type.getShape());
    shape.back() = count;
    v.setType(type.clone(shape));
  }
  // The model positions of the kept neurons (without the attribute, the
  // neurons are in the model's order).
  auto order = mlp->getAttrOfType<DenseI64ArrayAttr>(kNeuronOrderAttrName);
  SmallVector<int64_t> keptOrder;
  for (int64_t j : kept)
    keptOrder.push_back(order ? order[j] : j);
  mlp->setAttr(kNeuronOrderAttrName, builder.getDenseI64ArrayAttr(keptOrder));
  if (auto scores =
          mlp->getAttrOfType<DenseElementsAttr>(kNeuronImportanceAttrName)) {
    SmallVector<float> all(scores.getValues<float>());
    SmallVector<float> keptScores;
    for (int64_t j : kept)
      keptScores.push_back(all[j]);
    mlp->setAttr(kNeuronImportanceAttrName,
                 DenseElementsAttr::get(
                     RankedTensorType::get({count}, builder.getF32Type()),
                     ArrayRef<float>(keptScores)));
  }
}

namespace {
struct WidthSlicePass : public ffn::impl::WidthSliceBase<WidthSlicePass> {
  using WidthSliceBase::WidthSliceBase;

  void runOnOperation() override {
    SmallVector<MlpOp> blocks;
    getOperation()->walk([&](MlpOp op) { blocks.push_back(op); });
    if (!widths.empty() && widths.size() != 1 &&
        widths.size() != blocks.size()) {
      getOperation()->emitError()
          << "ffn-width-slice: " << widths.size()
          << " widths given for " << blocks.size()
          << " FFN block(s); give one width, or one per block in order";
      return signalPassFailure();
    }
    for (double w : widths)
      if (!(w > 0.0 && w <= 1.0)) {
        getOperation()->emitError()
            << "ffn-width-slice: width " << w
            << " is not a fraction in (0, 1]";
        return signalPassFailure();
      }

    for (auto [index, mlp] : llvm::enumerate(blocks)) {
      // The block's own setting (kWidthAttrName) wins over the option.
      double width = 1.0;
      if (Attribute attr = mlp->getAttr(kWidthAttrName)) {
        auto value = dyn_cast<FloatAttr>(attr);
        if (!value || !(value.getValueAsDouble() > 0.0 &&
                        value.getValueAsDouble() <= 1.0)) {
          mlp.emitError() << "ffn-width-slice: " << kWidthAttrName << " = "
                          << attr << " is not a fraction in (0, 1]";
          return signalPassFailure();
        }
        width = value.getValueAsDouble();
      } else if (!widths.empty()) {
        width = widths.size() == 1 ? widths[0] : widths[index];
      }
      if (width >= 1.0)
        continue;
      NeuronLayout layout;
      std::string reason;
      if (failed(matchNeuronLayout(mlp, layout, reason))) {
        if (remarkFailures)
          mlp.emitRemark() << "ffn-width-slice: not sliced: " << reason;
        continue;
      }
      int64_t count = keptNeurons(layout.hidden, width);
      if (count == layout.hidden)
        continue;
      // The error is measured on the block's output for random unit-scale
      // rows, before and after.
      auto inputType = cast<RankedTensorType>(mlp.getInput().getType());
      std::vector<float> x =
          randomRows(calibrationRows, inputType.getShape().back(), /*seed=*/0);
      FailureOr<std::vector<float>> before =
          evaluateMlp(mlp, x, calibrationRows, &reason);
      if (failed(before)) {
        mlp.emitWarning() << "ffn-width-slice: not sliced: cannot measure "
                             "its error: "
                          << reason;
        continue;
      }
      SmallVector<int64_t> order = neuronsByImportance(mlp, layout);
      sliceBlock(mlp, layout, ArrayRef<int64_t>(order).take_front(count));
      FailureOr<std::vector<float>> after =
          evaluateMlp(mlp, x, calibrationRows, &reason);
      if (failed(after)) {
        mlp.emitError() << "ffn-width-slice: cannot evaluate the sliced "
                           "block: "
                        << reason;
        return signalPassFailure();
      }
      double error = relativeError(*before, *after);
      LLVM_DEBUG(llvm::dbgs() << DEBUG_TYPE ": " << layout.hidden << " -> "
                              << count << " neurons, error " << error
                              << "\n");
      recordApplied(mlp, kRewriteName);
      recordRelError(mlp, error);
    }
  }
};
} // namespace
