//===- GPUMapForall.cpp - forall tiles to GPU-mapped parallel loops -------===//
//
// After bufferisation the block and thread tiles of ffn-gpu-tile are nested
// scf.forall loops. This pass turns them into scf.parallel loops carrying
// the mapping attribute convert-parallel-loops-to-gpu reads: outermost
// loops to blocks, the next level to threads, the last induction variable
// to x so that neighbouring threads touch neighbouring elements.
//
//===----------------------------------------------------------------------===//

#include "ffn/Codegen/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir {
namespace ffn {
#define GEN_PASS_DEF_GPUMAPFORALL
#include "ffn/Codegen/Passes.h.inc"
} // namespace ffn
} // namespace mlir

using namespace mlir;
using namespace mlir::ffn;

/// How deep `op` is nested in scf.parallel loops.
static unsigned parallelDepth(Operation *op) {
  unsigned depth = 0;
  for (Operation *parent = op->getParentOp(); parent;
       parent = parent->getParentOp())
    if (isa<scf::ParallelOp>(parent))
      ++depth;
  return depth;
}

namespace {
struct GPUMapForallPass
    : public ffn::impl::GPUMapForallBase<GPUMapForallPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    // Outer loops first: an inner loop's level is the number of parallel
    // loops around it once its parents are converted.
    SmallVector<scf::ForallOp> foralls;
    getOperation()->walk<WalkOrder::PreOrder>(
        [&](scf::ForallOp forall) { foralls.push_back(forall); });
    MLIRContext *ctx = &getContext();
    for (scf::ForallOp forall : foralls) {
      if (forall.getNumResults() != 0) {
        forall.emitError("ffn-gpu-map-forall: scf.forall still has tensor "
                         "results; run it after bufferisation");
        return signalPassFailure();
      }
      unsigned level = parallelDepth(forall);
      // Mapping attributes of ffn-gpu-tile (#gpu.block / #gpu.thread), or
      // none: then the nesting level decides.
      SmallVector<Attribute> forallMapping;
      if (std::optional<ArrayAttr> attrs = forall.getMapping())
        forallMapping.assign(attrs->begin(), attrs->end());
      scf::ParallelOp parallel;
      rewriter.setInsertionPoint(forall);
      if (failed(scf::forallToParallelLoop(rewriter, forall, &parallel))) {
        forall.emitError("ffn-gpu-map-forall: cannot convert to scf.parallel");
        return signalPassFailure();
      }
      unsigned rank = parallel.getNumLoops();
      SmallVector<gpu::ParallelLoopDimMappingAttr> mapping;
      AffineMap identity = AffineMap::getMultiDimIdentityMap(1, ctx);
      for (unsigned i = 0; i < rank; ++i) {
        unsigned fromLast = rank - 1 - i;
        gpu::Processor processor = gpu::Processor::Sequential;
        if (forallMapping.size() == rank) {
          if (auto block = dyn_cast<gpu::GPUBlockMappingAttr>(forallMapping[i]))
            processor = static_cast<gpu::Processor>(
                static_cast<int>(gpu::Processor::BlockX) +
                static_cast<int>(block.getBlock()));
          else if (auto thread =
                       dyn_cast<gpu::GPUThreadMappingAttr>(forallMapping[i]))
            processor = static_cast<gpu::Processor>(
                static_cast<int>(gpu::Processor::ThreadX) +
                static_cast<int>(thread.getThread()));
        } else if (level < 2 && fromLast < 3) {
          processor = static_cast<gpu::Processor>(
              static_cast<int>(level == 0 ? gpu::Processor::BlockX
                                          : gpu::Processor::ThreadX) +
              fromLast);
        }
        mapping.push_back(
            gpu::ParallelLoopDimMappingAttr::get(ctx, processor, identity,
                                                 identity));
      }
      if (failed(gpu::setMappingAttr(parallel, mapping))) {
        parallel.emitError("ffn-gpu-map-forall: invalid mapping");
        return signalPassFailure();
      }
    }
  }
};
} // namespace
