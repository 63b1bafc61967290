//===- CPUFuseElementwise.cpp - elementwise fusion that keeps GEMMs -------===//
//
// Elementwise producer/consumer fusion plus reshape sinking by collapsing:
// the [B*T, D] GEMMs of rank-3 models keep their consumers at rank 2, where
// the CPU strategy fuses them into the GEMM tiles. Reshapes are never
// propagated into contractions.
//
//===----------------------------------------------------------------------===//

#include "ffn/Codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace ffn {
#define GEN_PASS_DEF_CPUFUSEELEMENTWISE
#include "ffn/Codegen/Passes.h.inc"
} // namespace ffn
} // namespace mlir

using namespace mlir;

/// True when `op` may change shape or absorb a neighbour: elementwise
/// generics only, never contractions or reductions.
static bool isElementwiseGeneric(Operation *op) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
  return generic && linalg::isElementwise(generic);
}

namespace {
struct CPUFuseElementwisePass
    : public ffn::impl::CPUFuseElementwiseBase<CPUFuseElementwisePass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    // Fuse an elementwise producer into an elementwise consumer.
    linalg::populateElementwiseOpsFusionPatterns(
        patterns, [](OpOperand *operand) {
          return isElementwiseGeneric(operand->get().getDefiningOp()) &&
                 isElementwiseGeneric(operand->getOwner());
        });
    // expand_shape -> elementwise consumer: collapse the consumer instead.
    linalg::populateFoldReshapeOpsByCollapsingPatterns(
        patterns,
        [](OpOperand *operand) {
          return isElementwiseGeneric(operand->getOwner());
        });
    tensor::populateFoldTensorEmptyPatterns(patterns);
    tensor::ExpandShapeOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::CollapseShapeOp::getCanonicalizationPatterns(patterns, ctx);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
