//===- DedupWeights.cpp - store identical weight constants once -----------===//
//
// Models that share weights between layers (ALBERT, universal transformers)
// or exporters that write one initializer per use arrive with several
// constants holding the same bytes. Resource blobs are not uniqued, so
// nothing else merges them: each copy would be transposed, packed and
// embedded in the artifact on its own. This pass finds constants with equal
// type and contents (hash of the bytes, exact comparison on a hit) and keeps
// one per block. Later passes then see one SSA value, and the CPU packer
// makes one packed copy of it.
//
//===----------------------------------------------------------------------===//

#include "ffn/Dialect/FFN/IR/FFNOps.h"
#include "ffn/Dialect/FFN/Transforms/Passes.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/Debug.h"
#include "llvm/Support/xxhash.h"

#define DEBUG_TYPE "ffn-dedup-weights"

namespace mlir {
namespace ffn {
#define GEN_PASS_DEF_DEDUPWEIGHTS
#include "ffn/Dialect/FFN/Transforms/Passes.h.inc"
} // namespace ffn
} // namespace mlir

using namespace mlir;
using namespace mlir::ffn;

/// The name this pass records on the blocks whose weights it merged.
static constexpr llvm::StringLiteral kRewriteName = "dedup-weights";

/// The row-major bytes of a constant tensor, or std::nullopt when the pass
/// does not consider it: splats (uniqued, CSE merges them), sub-byte
/// element types, unloaded blobs.
static std::optional<ArrayRef<char>> getConstantBytes(Attribute attr) {
  auto elements = dyn_cast<ElementsAttr>(attr);
  if (!elements)
    return std::nullopt;
  auto type = dyn_cast<RankedTensorType>(elements.getType());
  if (!type || !type.hasStaticShape() ||
      !type.getElementType().isIntOrFloat() ||
      type.getElementType().getIntOrFloatBitWidth() % 8 != 0)
    return std::nullopt;
  size_t size = type.getNumElements() *
                (type.getElementType().getIntOrFloatBitWidth() / 8);
  ArrayRef<char> bytes;
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    bytes = blob->getData();
  } else if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    if (dense.isSplat())
      return std::nullopt;
    bytes = dense.getRawData();
  } else {
    return std::nullopt;
  }
  if (bytes.size() != size)
    return std::nullopt;
  return bytes;
}

namespace {
/// A constant kept as the representative of its contents.
struct Kept {
  Operation *op;
  RankedTensorType type;
  ArrayRef<char> bytes;
};

struct DedupWeightsPass : public ffn::impl::DedupWeightsBase<DedupWeightsPass> {
  using DedupWeightsBase::DedupWeightsBase;

  void runOnOperation() override {
    // Candidates per block, in block order: the first of equal constants
    // dominates the others' uses.
    llvm::MapVector<Block *, SmallVector<Operation *>> candidates;
    getOperation()->walk([&](Operation *op) {
      if (op->getNumResults() != 1 || !op->hasTrait<OpTrait::ConstantLike>() ||
          !isa<RankedTensorType>(op->getResult(0).getType()))
        return;
      candidates[op->getBlock()].push_back(op);
    });

    llvm::SetVector<Operation *> merged;
    for (auto &[block, ops] : candidates) {
      llvm::DenseMap<uint64_t, SmallVector<Kept, 1>> seen;
      for (Operation *op : ops) {
        Attribute attr;
        if (!matchPattern(op->getResult(0), m_Constant(&attr)))
          continue;
        std::optional<ArrayRef<char>> bytes = getConstantBytes(attr);
        if (!bytes)
          continue;
        auto type = cast<RankedTensorType>(op->getResult(0).getType());
        ArrayRef<uint8_t> raw(reinterpret_cast<const uint8_t *>(bytes->data()),
                              bytes->size());
        uint64_t hash = llvm::xxh3_64bits(raw);
        SmallVector<Kept, 1> &bucket = seen[hash];
        Kept *match = llvm::find_if(bucket, [&](const Kept &k) {
          return k.type == type && k.bytes == *bytes;
        });
        if (match == bucket.end()) {
          bucket.push_back({op, type, *bytes});
          continue;
        }
        LLVM_DEBUG(llvm::dbgs()
                   << DEBUG_TYPE ": " << op->getLoc() << " duplicates "
                   << match->op->getLoc() << "\n");
        op->getResult(0).replaceAllUsesWith(match->op->getResult(0));
        op->erase();
        merged.insert(match->op);
        ++numMerged;
      }
    }

    // Record the rewrite on the blocks that read a merged constant, and give
    // a block that now receives one constant twice a single parameter.
    llvm::SetVector<Operation *> mlps;
    for (Operation *op : merged)
      for (Operation *user : op->getResult(0).getUsers())
        if (auto mlp = dyn_cast<MlpOp>(user))
          mlps.insert(mlp);
    for (Operation *op : mlps) {
      auto mlp = cast<MlpOp>(op);
      if (!llvm::is_contained(getApplied(mlp), kRewriteName))
        recordApplied(mlp, kRewriteName);
    }
    if (mlps.empty())
      return;
    RewritePatternSet patterns(&getContext());
    MlpOp::getCanonicalizationPatterns(patterns, &getContext());
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingOps);
    (void)applyOpPatternsGreedily(mlps.getArrayRef(), std::move(patterns),
                                  config);
  }
};
} // namespace
