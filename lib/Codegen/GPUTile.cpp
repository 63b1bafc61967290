//===- GPUTile.cpp - block and thread tiles of linalg ops for GPUs --------===//
//
// The first GPU strategy: every linalg op on tensors becomes a nest of two
// scf.forall loops, block tiles outside and one-element (or small GEMM)
// thread tiles inside, with its single-use producers fused in where no
// element would be computed twice (the GEMM under an activation, the bias
// broadcast that initialises the accumulator, elementwise chains).
// ffn-gpu-map-forall later maps the two levels onto blocks and threads.
//
//===----------------------------------------------------------------------===//

#include "ffn/Codegen/Passes.h"

#include "GPULibraryGemm.h"
#include "TileAndFuse.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/Support/Debug.h"

#define DEBUG_TYPE "ffn-gpu-tile"

namespace mlir {
namespace ffn {
#define GEN_PASS_DEF_GPUTILE
#include "ffn/Codegen/Passes.h.inc"
} // namespace ffn
} // namespace mlir

using namespace mlir;
using namespace mlir::ffn;

/// Whether `op` is a contraction (a GEMM or batched GEMM).
static bool isContraction(Operation *op) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  return linalgOp && linalg::isaContractionOpInterface(linalgOp);
}

/// Whether the producer of `operand` can be fused into the tiles of its
/// consumer without computing any element twice: the consumer reads it
/// through a projected permutation that covers every parallel dimension of
/// the consumer (so each consumer tile reads a disjoint part of it).
static bool readsInjectively(linalg::LinalgOp consumer, OpOperand &operand) {
  AffineMap map = consumer.getMatchingIndexingMap(&operand);
  return map.isProjectedPermutation() &&
         map.getNumResults() == consumer.getNumParallelLoops();
}

/// The producers fused into the tiles of `root`: single-use linalg ops
/// reached through injective reads, with at most one contraction per tile.
static llvm::SmallPtrSet<Operation *, 8> collectFusable(linalg::LinalgOp root) {
  llvm::SmallPtrSet<Operation *, 8> fusable;
  bool haveContraction = isContraction(root);
  SmallVector<linalg::LinalgOp> worklist = {root};
  while (!worklist.empty()) {
    linalg::LinalgOp consumer = worklist.pop_back_val();
    for (OpOperand &operand : consumer->getOpOperands()) {
      auto producer = operand.get().getDefiningOp<linalg::LinalgOp>();
      if (!producer || !producer->hasOneUse() ||
          !isa<TilingInterface>(producer.getOperation()) ||
          producer->hasAttr(kLibraryGemmAttr) ||
          producer->getBlock() != root->getBlock() ||
          !readsInjectively(consumer, operand))
        continue;
      if (isContraction(producer)) {
        if (haveContraction)
          continue;
        haveContraction = true;
      }
      if (fusable.insert(producer).second)
        worklist.push_back(producer);
    }
  }
  return fusable;
}

/// Tiles `root` into scf.forall tiles of `sizes` (0: not tiled), fusing the
/// producers in `fusable`. Returns the tiled root, or failure.
static FailureOr<Operation *>
tileAndFuse(RewriterBase &rewriter, TilingInterface root,
            ArrayRef<int64_t> sizes,
            const llvm::SmallPtrSetImpl<Operation *> &fusable, bool threads) {
  MLIRContext *ctx = root->getContext();
  scf::SCFTilingOptions tiling;
  tiling.setTileSizes(getAsIndexOpFoldResult(ctx, sizes));
  tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  // The last tiled dimension maps to x, the one before to y, then z. The
  // mapping also keeps canonicalisation from folding one-tile loops away.
  unsigned tiled = llvm::count_if(sizes, [](int64_t s) { return s != 0; });
  SmallVector<Attribute> mapping;
  for (unsigned i = 0; i < tiled; ++i) {
    auto id = static_cast<gpu::MappingId>(tiled - 1 - i);
    mapping.push_back(threads ? Attribute(gpu::GPUThreadMappingAttr::get(ctx, id))
                              : Attribute(gpu::GPUBlockMappingAttr::get(ctx, id)));
  }
  tiling.setMapping(mapping);
  FailureOr<llvm::SetVector<Operation *>> result =
      tileAndFuseProducers(rewriter, root, tiling, fusable);
  if (failed(result) || result->empty())
    return failure();
  // The tiled root comes first; the fused producers follow it.
  return result->front();
}

namespace {
struct GPUTilePass : public ffn::impl::GPUTileBase<GPUTilePass> {
  using Base::Base;

  /// Block tile sizes of `op`: the innermost parallel dimension by up to
  /// blockTileX, the next by up to blockTileY (each the largest divisor of
  /// the dimension up to that size), the one before by 1 (grid z); other
  /// dimensions are not tiled.
  SmallVector<int64_t> blockTileSizes(linalg::LinalgOp op) const {
    SmallVector<int64_t> sizes(op.getNumLoops(), 0);
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    int64_t tiles[] = {blockTileX, blockTileY, 1};
    unsigned level = 0;
    for (int64_t d = op.getNumLoops() - 1; d >= 0 && level < 3; --d) {
      if (iterators[d] != utils::IteratorType::parallel)
        continue;
      int64_t size = tiles[level++];
      // The largest size up to the tile that divides the range: every tile
      // is then full and statically shaped. Partial tiles would give the
      // fused producers dynamically sized temporaries, which become
      // per-thread stack allocations in the kernels.
      if (!ShapedType::isDynamic(ranges[d])) {
        size = std::min(size, ranges[d]);
        while (size > 1 && ranges[d] % size != 0)
          --size;
      }
      sizes[d] = std::max<int64_t>(size, 1);
    }
    return sizes;
  }

  /// Thread tile sizes inside a block tile of `blockSizes`.
  SmallVector<int64_t> threadTileSizes(ArrayRef<int64_t> blockSizes,
                                       bool gemm) const {
    SmallVector<int64_t> sizes(blockSizes.size(), 0);
    unsigned level = 0;
    for (int64_t d = blockSizes.size() - 1; d >= 0 && level < 2; --d) {
      if (!blockSizes[d])
        continue;
      ++level;
      int64_t size = gemm ? gemmThreadTile : 1;
      sizes[d] = blockSizes[d] % size == 0 ? size : 1;
    }
    return sizes;
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (blockTileX < 1 || blockTileY < 1 || gemmThreadTile < 1) {
      func.emitError("ffn-gpu-tile: tile sizes must be positive");
      return signalPassFailure();
    }
    // Roots are visited consumers first, so that producers are fused into
    // their consumers' tiles before they would be tiled on their own.
    SmallVector<linalg::LinalgOp> roots;
    for (Operation &op : func.getBody().getOps())
      if (auto linalgOp = dyn_cast<linalg::LinalgOp>(&op))
        if (linalgOp.hasPureTensorSemantics() &&
            !linalgOp->hasAttr(kLibraryGemmAttr)) // a library call later
          roots.push_back(linalgOp);
    IRRewriter rewriter(&getContext());
    llvm::SmallPtrSet<Operation *, 16> erased;
    for (linalg::LinalgOp root : llvm::reverse(roots)) {
      if (erased.contains(root))
        continue;
      if (root.getNumParallelLoops() == 0) {
        root.emitError("ffn-gpu-tile: op without parallel dimensions is not "
                       "mapped to the GPU yet");
        return signalPassFailure();
      }
      llvm::SmallPtrSet<Operation *, 8> fusable = collectFusable(root);
      bool gemm = isContraction(root) ||
                  llvm::any_of(fusable, [](Operation *op) {
                    return isContraction(op);
                  });
      SmallVector<int64_t> blockSizes = blockTileSizes(root);
      SmallVector<int64_t> threadSizes = threadTileSizes(blockSizes, gemm);
      LLVM_DEBUG(llvm::dbgs() << "tiling " << root << "\n");
      // Every fused producer disappears from the top level (it has one use).
      for (Operation *op : fusable)
        erased.insert(op);
      FailureOr<Operation *> blockTile =
          tileAndFuse(rewriter, cast<TilingInterface>(root.getOperation()),
                      blockSizes, fusable, /*threads=*/false);
      if (failed(blockTile)) {
        root.emitError("ffn-gpu-tile: block tiling failed");
        return signalPassFailure();
      }
      // The same producers, now inside the block tile, are fused into the
      // thread tiles.
      llvm::SmallPtrSet<Operation *, 8> innerFusable;
      if (auto tiled = dyn_cast<linalg::LinalgOp>(*blockTile))
        innerFusable = collectFusable(tiled);
      if (failed(tileAndFuse(rewriter, cast<TilingInterface>(*blockTile),
                             threadSizes, innerFusable, /*threads=*/true))) {
        root.emitError("ffn-gpu-tile: thread tiling failed");
        return signalPassFailure();
      }
    }
  }
};
} // namespace
