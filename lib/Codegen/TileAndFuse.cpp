//===- TileAndFuse.cpp - tile an op and fuse chosen producers -------------===//

#include "TileAndFuse.h"

using namespace mlir;

FailureOr<llvm::SetVector<Operation *>> mlir::ffn::tileAndFuseProducers(
    RewriterBase &rewriter, TilingInterface root,
    const scf::SCFTilingOptions &tiling,
    const llvm::SmallPtrSetImpl<Operation *> &fusable) {
  scf::SCFTileAndFuseOptions options;
  options.setTilingOptions(tiling);
  options.setFusionControlFn(
      [&](tensor::ExtractSliceOp, OpResult producer,
          bool) -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
        if (fusable.contains(producer.getOwner()))
          return scf::SCFTileAndFuseOptions::ControlFnResult{};
        return std::nullopt;
      });
  rewriter.setInsertionPoint(root);
  FailureOr<scf::SCFTileAndFuseResult> result =
      scf::tileConsumerAndFuseProducersUsingSCF(rewriter, root, options);
  if (failed(result))
    return failure();
  for (OpResult res : root->getResults())
    if (Value replacement = result->replacements.lookup(res))
      rewriter.replaceAllUsesWith(res, replacement);
  if (root->use_empty())
    rewriter.eraseOp(root);
  return result->tiledAndFusedOps;
}
