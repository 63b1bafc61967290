//===- CPULowerVector.cpp - lower vector ops for the LLVM CPU backend -----===//
//
// Progressive lowering of the vector ops that vectorisation produces into
// the 1-D forms LLVM turns into good x86 code. Every group of patterns is
// applied on its own: mixing canonicalisation into these sets can keep the
// greedy driver from converging.
//
//===----------------------------------------------------------------------===//

#include "ffn/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace ffn {
#define GEN_PASS_DEF_CPULOWERVECTOR
#include "ffn/Codegen/Passes.h.inc"
} // namespace ffn
} // namespace mlir

using namespace mlir;

namespace {
struct CPULowerVectorPass
    : public ffn::impl::CPULowerVectorBase<CPULowerVectorPass> {
  void runOnOperation() override {
    Operation *root = getOperation();
    MLIRContext *ctx = &getContext();
    auto apply = [&](function_ref<void(RewritePatternSet &)> populate) {
      RewritePatternSet patterns(ctx);
      populate(patterns);
      return applyPatternsGreedily(root, std::move(patterns));
    };
    using Populate = void (*)(RewritePatternSet &);
    const Populate steps[] = {
        // Math functions as polynomials, so they vectorise.
        [](RewritePatternSet &p) {
          populateMathPolynomialApproximationPatterns(p);
        },
        // Contractions become outer products, then FMAs.
        [](RewritePatternSet &p) {
          vector::populateVectorContractLoweringPatterns(
              p, vector::VectorContractLowering::OuterProduct);
          vector::populateVectorMaskOpLoweringPatterns(p);
        },
        [](RewritePatternSet &p) {
          vector::populateVectorOuterProductLoweringPatterns(p);
          vector::populateVectorMultiReductionLoweringPatterns(
              p, vector::VectorMultiReductionLowering::InnerReduction);
          vector::populateVectorBroadcastLoweringPatterns(p);
        },
        [](RewritePatternSet &p) {
          vector::populateVectorTransferPermutationMapLoweringPatterns(p);
          vector::populateVectorTransposeLoweringPatterns(
              p, vector::VectorTransposeLowering::Shuffle1D);
          vector::populateVectorShapeCastLoweringPatterns(p);
        },
        [](RewritePatternSet &p) {
          vector::populateVectorTransferLoweringPatterns(
              p, /*maxTransferRank=*/1);
          vector::populateVectorMaskOpLoweringPatterns(p);
        },
    };
    for (Populate populate : steps)
      if (failed(apply(populate)))
        return signalPassFailure();
  }
};
} // namespace
