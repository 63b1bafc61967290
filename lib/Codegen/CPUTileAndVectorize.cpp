//===- CPUTileAndVectorize.cpp - tile and vectorise linalg for CPUs -------===//
//
// The CPU code generation strategy for linalg on tensors: thread tiles with
// fused GEMM epilogues, cache and register tiles, vectorisation of the
// register tiles and accumulator hoisting. See Passes.td for the outline.
//
//===----------------------------------------------------------------------===//

#include "ffn/Codegen/Passes.h"

#include "ffn/Utils/Weights.h"

#include "TileAndFuse.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Interfaces/ValueBoundsOpInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/Support/Debug.h"

#include <unordered_map>

#define DEBUG_TYPE "ffn-cpu-tile-and-vectorize"

namespace mlir {
namespace ffn {
#define GEN_PASS_DEF_CPUTILEANDVECTORIZE
#include "ffn/Codegen/Passes.h.inc"
} // namespace ffn
} // namespace mlir

using namespace mlir;
using namespace mlir::ffn;

namespace {
/// Register tile of a GEMM: mr rows, nr columns of the accumulator.
struct RegisterTile {
  int64_t mr;
  int64_t nr;
};

struct FFNChain;
struct FusedFFNTiles;

struct CPUTileAndVectorizePass
    : public ffn::impl::CPUTileAndVectorizeBase<CPUTileAndVectorizePass> {
  using Base::Base;
  void runOnOperation() override;

private:
  std::optional<FusedFFNTiles> planFFNFusion(linalg::LinalgOp down) const;
  std::optional<int64_t> planLowRankFusion(linalg::LinalgOp thin) const;

  RegisterTile registerTile() const {
    // AVX-512: 8x32 keeps 16 of 32 zmm registers as accumulators.
    // AVX2: 6x16 keeps 12 of 16 ymm registers as accumulators, enough to
    // cover the FMA latency, with 8 loads per 12 FMAs. Columns stay a power
    // of two so every row is whole native vectors.
    if (vectorWidth >= 16)
      return {8, 2 * vectorWidth};
    return {6, 2 * vectorWidth};
  }
  int64_t elementwiseTile() const { return 4 * vectorWidth; }
};
} // namespace

/// True for GEMMs the register-tile strategy handles: a 2-D contraction with
/// one reduction dimension.
static bool isGemm(linalg::LinalgOp op) {
  return isa<linalg::MatmulOp>(op) ||
         (linalg::isaContractionOpInterface(op) && op.getNumLoops() == 3 &&
          op.getNumReductionLoops() == 1);
}

/// The GEMM feeding an elementwise op whose result is only used there, or
/// null. Such a GEMM is fused into the elementwise op's thread tiles.
static linalg::LinalgOp fusableGemmProducer(linalg::LinalgOp op) {
  if (!isa<linalg::GenericOp>(op) || !linalg::isElementwise(op))
    return {};
  for (OpOperand *operand : op.getDpsInputOperands()) {
    auto producer = operand->get().getDefiningOp<linalg::LinalgOp>();
    if (!producer || !isGemm(producer) || !producer->hasOneUse())
      continue;
    if (!op.getMatchingIndexingMap(operand).isIdentity() ||
        op.getNumLoops() != 2)
      continue;
    return producer;
  }
  return {};
}

/// Most elements one vectorised op may cover: keeps every vector within a
/// few dozen registers however the tiling went.
static constexpr int64_t kMaxVectorElements = 1024;

/// The vector shape covering every instance of `op`: static loop ranges as
/// they are, dynamic ones (partial tiles) bounded from above.
static FailureOr<SmallVector<int64_t>> vectorSizesFor(linalg::LinalgOp op) {
  SmallVector<int64_t> sizes = op.getStaticLoopRanges();
  int64_t total = 1;
  for (auto [dim, size] : llvm::enumerate(sizes)) {
    if (ShapedType::isDynamic(size)) {
      Value operand;
      unsigned operandDim;
      if (failed(op.mapIterationSpaceDimToOperandDim(dim, operand, operandDim)))
        return failure();
      FailureOr<int64_t> bound = ValueBoundsConstraintSet::computeConstantBound(
          presburger::BoundType::UB, {operand, operandDim},
          /*stopCondition=*/nullptr, /*closedUB=*/true);
      if (failed(bound))
        return failure();
      size = *bound;
    }
    total *= size;
  }
  if (total > kMaxVectorElements || total == 0)
    return failure();
  return sizes;
}

/// A thread tile size for a dimension of `size`: a multiple of the register
/// tile `step`, at most `limit`, that divides `size` so that every tile is
/// full and static (preferring ones that give at least `minTiles` tiles, to
/// balance threads). When no multiple divides, the whole dimension is one
/// tile: its register loop then ends in one static remainder. Dynamic sizes
/// get `limit`.
static int64_t threadTileSize(int64_t size, int64_t limit, int64_t step,
                              int64_t minTiles) {
  limit = std::max(step, limit - limit % step);
  if (ShapedType::isDynamic(size))
    return limit;
  if (size <= limit && minTiles <= 1)
    return size;
  // Prefer an even number of tiles (threads come in pairs on most machines;
  // 11 tiles on 2 threads idle one of them for a twelfth of the time), then
  // at least `minTiles`, then anything that divides.
  for (int phase = 0; phase < 3; ++phase)
    for (int64_t t = std::min(limit, size); t >= 2 * step; t -= step) {
      if (t % step != 0 || size % t != 0)
        continue;
      int64_t tiles = size / t;
      if ((phase == 0 && tiles >= minTiles && (tiles % 2 == 0 || tiles == 1)) ||
          (phase == 1 && tiles >= minTiles) || phase == 2)
        return t;
    }
  return size;
}

/// Fewest thread tiles an op that is not a GEMM is split into (when it has
/// that many rows): enough to balance a few threads.
static constexpr int64_t kMinThreadTiles = 8;

/// Thread tile sizes for an op that is not a GEMM: its leading parallel
/// dimensions are split, outermost first, until there are at least
/// kMinThreadTiles tiles (attention's `[B, heads, T, T]` tensors with B = 1
/// split over the heads); the remaining dimensions stay whole. All zeros
/// when the op has no leading parallel dimension worth splitting.
static SmallVector<int64_t> leadingParallelTiles(linalg::LinalgOp op) {
  SmallVector<int64_t> sizes(op.getNumLoops(), 0);
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  int64_t needed = kMinThreadTiles;
  for (auto [dim, range] : llvm::enumerate(ranges)) {
    if (needed <= 1 || iterators[dim] != utils::IteratorType::parallel)
      break;
    if (ShapedType::isDynamic(range)) {
      // [batch, sequence, ...] with both dynamic: one batch row per tile
      // (the batch may be 1), the sequence split.
      bool laterDynamic = false;
      for (size_t later = dim + 1; later < ranges.size(); ++later)
        laterDynamic |= iterators[later] == utils::IteratorType::parallel &&
                        ShapedType::isDynamic(ranges[later]);
      if (laterDynamic) {
        sizes[dim] = 1;
        continue;
      }
      sizes[dim] = 16;
      break;
    }
    if (range == 1)
      continue;
    if (range < needed) {
      // One tile per index, and the next dimension splits the rest.
      sizes[dim] = 1;
      needed = llvm::divideCeil(needed, range);
      continue;
    }
    // The largest tile that divides the range into at least `needed` tiles.
    int64_t tile = range / needed;
    while (range % tile != 0)
      --tile;
    sizes[dim] = tile;
    break;
  }
  return sizes;
}

/// Tiles `root` with loops of `loopType` and tile `sizes`, fusing the
/// producers in `fusable` into the tiles. Returns the tiled and fused ops.
static FailureOr<llvm::SetVector<Operation *>>
tileAndFuse(RewriterBase &rewriter, TilingInterface root,
            ArrayRef<int64_t> sizes,
            const llvm::SmallPtrSetImpl<Operation *> &fusable,
            scf::SCFTilingOptions::LoopType loopType,
            ArrayRef<int64_t> interchange = {}) {
  scf::SCFTilingOptions tiling;
  tiling.setTileSizes(getAsIndexOpFoldResult(root->getContext(), sizes));
  tiling.setLoopType(loopType);
  if (!interchange.empty())
    tiling.setInterchange(interchange);
  return tileAndFuseProducers(rewriter, root, tiling, fusable);
}

/// Tiles `root` into scf.forall thread tiles of `sizes`, fusing the
/// producers in `fusable` into the tiles; `interchange` orders the tile
/// loops (the threads take consecutive runs of tiles in that order).
static FailureOr<llvm::SetVector<Operation *>>
tileForThreads(RewriterBase &rewriter, TilingInterface root,
               ArrayRef<int64_t> sizes,
               const llvm::SmallPtrSetImpl<Operation *> &fusable,
               ArrayRef<int64_t> interchange = {}) {
  return tileAndFuse(rewriter, root, sizes, fusable,
                     scf::SCFTilingOptions::LoopType::ForallOp, interchange);
}

/// The op initialising the accumulator of `gemm` (a zero fill or a
/// broadcast bias) when nothing else uses it, or null.
static Operation *accumulatorInit(linalg::LinalgOp gemm) {
  for (OpOperand &init : gemm.getDpsInitsMutable())
    if (Operation *def = init.get().getDefiningOp())
      if (isa<linalg::FillOp, linalg::BroadcastOp>(def) && def->hasOneUse())
        return def;
  return nullptr;
}

namespace {
/// An FFN in linalg form, `down(act(up(x)))`: the down projection GEMM, the
/// elementwise op between the projections (activation, bias, gating
/// product) and the up projection GEMMs it reads, with their accumulator
/// initialisations. Whole-FFN fusion tiles them together.
struct FFNChain {
  linalg::LinalgOp down;
  linalg::GenericOp act;
  SmallVector<Operation *> producers;
};
} // namespace

/// Matches the FFN whose down projection is `down`: its left operand is an
/// elementwise op used only there, which reads one or more GEMMs (the up and
/// gate projections) used only by it.
static std::optional<FFNChain> matchFFNChain(linalg::LinalgOp down) {
  if (!isa_and_nonnull<linalg::MatmulOp>(down.getOperation()))
    return std::nullopt;
  auto act =
      down.getDpsInputOperand(0)->get().getDefiningOp<linalg::GenericOp>();
  if (!act || !act->hasOneUse() || !linalg::isElementwise(act) ||
      act.getNumLoops() != 2 || act.getNumDpsInits() != 1)
    return std::nullopt;
  FFNChain chain{down, act, {}};
  llvm::SmallPtrSet<Operation *, 2> ups;
  for (OpOperand *operand : act.getDpsInputOperands()) {
    auto up = operand->get().getDefiningOp<linalg::MatmulOp>();
    if (!up || !up->hasOneUse() ||
        !act.getMatchingIndexingMap(operand).isIdentity())
      continue;
    chain.producers.push_back(up);
    ups.insert(up);
  }
  if (chain.producers.empty())
    return std::nullopt;
  // The accumulator initialisations, also when the gate and up projections
  // share one (CSE merges their zero fills).
  llvm::SetVector<Operation *> inits;
  for (Operation *up : ups) {
    Operation *init =
        cast<linalg::LinalgOp>(up).getDpsInitOperand(0)->get().getDefiningOp();
    if (isa_and_nonnull<linalg::FillOp, linalg::BroadcastOp>(init) &&
        llvm::all_of(init->getUsers(),
                     [&](Operation *user) { return ups.contains(user); }))
      inits.insert(init);
  }
  chain.producers.append(inits.begin(), inits.end());
  return chain;
}

namespace {
/// How whole-FFN fusion tiles one FFN: thread tiles of `rowTile` tokens, in
/// which the hidden dimension is walked in blocks of `hiddenTile` neurons.
struct FusedFFNTiles {
  FFNChain chain;
  int64_t rowTile;
  int64_t hiddenTile;
};
} // namespace

/// Rows of a thread tile of a fused FFN with `rows` tokens: a divisor of
/// `rows` of at most `limit` giving an even number (at least two) of tiles,
/// preferring multiples of the register tile `mr`; none when there is no
/// such divisor (too few rows to split).
static std::optional<int64_t> fusedRowTile(int64_t rows, int64_t limit,
                                           int64_t mr) {
  if (ShapedType::isDynamic(rows))
    return std::nullopt;
  for (int phase = 0; phase < 2; ++phase)
    for (int64_t t = std::min(limit, rows / 2); t >= mr; --t) {
      if (rows % t != 0 || (rows / t) % 2 != 0)
        continue;
      if (phase == 1 || t % mr == 0)
        return t;
    }
  return std::nullopt;
}

/// Whole-FFN fusion: tiles `root` (the down projection or its elementwise
/// consumer) into thread tiles of whole token rows with every op of the FFN
/// fused in, then tiles the down projection's reduction over the hidden
/// dimension with the activation and the up projections fused into that
/// loop. Each step of the loop computes `act(x_tile · W1[:, block])` for one
/// block of neurons and accumulates its product with `W2[block, :]`, so the
/// `[T, H]` intermediate exists only as one `[rows, block]` tile per thread.
static LogicalResult tileFFNFused(RewriterBase &rewriter, linalg::LinalgOp root,
                                  const FusedFFNTiles &plan,
                                  const llvm::SmallPtrSetImpl<Operation *> &fusable) {
  SmallVector<int64_t> sizes(root.getNumLoops(), 0);
  sizes[0] = plan.rowTile;
  FailureOr<llvm::SetVector<Operation *>> tiled =
      tileForThreads(rewriter, cast<TilingInterface>(*root), sizes, fusable);
  if (failed(tiled))
    return failure();
  // The tiled down projection reads the tiled activation directly.
  linalg::LinalgOp down;
  for (Operation *op : *tiled) {
    auto matmul = dyn_cast<linalg::MatmulOp>(op);
    if (matmul && isa_and_nonnull<linalg::GenericOp>(
                      matmul.getDpsInputOperand(0)->get().getDefiningOp()))
      down = matmul;
  }
  if (!down)
    return failure();
  // Everything tiled above may be fused into the hidden loop except the
  // down projection's accumulator initialisation, which must run once.
  llvm::SmallPtrSet<Operation *, 8> inner(tiled->begin(), tiled->end());
  for (OpOperand &init : down.getDpsInitsMutable())
    inner.erase(init.get().getDefiningOp());
  SmallVector<int64_t> hiddenSizes = {0, 0, plan.hiddenTile};
  return tileAndFuse(rewriter, cast<TilingInterface>(*down), hiddenSizes,
                     inner, scf::SCFTilingOptions::LoopType::ForOp);
}
/// Tiles `op` with scf.for loops of `sizes`, then peels every loop whose
/// step does not divide its range, so that all but the last tile of each
/// loop have static sizes (and the last too when the range is static).
static LogicalResult tileWithLoops(RewriterBase &rewriter, TilingInterface op,
                                   ArrayRef<int64_t> sizes,
                                   Operation **tiledOp = nullptr) {
  scf::SCFTilingOptions tiling;
  tiling.setTileSizes(getAsIndexOpFoldResult(op->getContext(), sizes));
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> result =
      scf::tileUsingSCF(rewriter, op, tiling);
  if (failed(result))
    return failure();
  rewriter.replaceOp(op, result->replacements);
  if (tiledOp)
    *tiledOp = result->tiledOps.size() == 1 ? result->tiledOps.front()
                                            : nullptr;
  // Innermost first: peeling an outer loop clones the loops inside it, and
  // the clones must already be peeled.
  for (LoopLikeOpInterface loop : llvm::reverse(result->loops)) {
    auto forOp = dyn_cast<scf::ForOp>(loop.getOperation());
    scf::ForOp partial;
    if (forOp)
      (void)scf::peelForLoopAndSimplifyBounds(rewriter, forOp, partial);
  }
  return success();
}

/// True when every operand of `op` is read or written through a permutation
/// of all loop dimensions. Masked vectorisation is limited to such ops: reads
/// that broadcast under a mask do not verify in this MLIR version.
static bool hasOnlyPermutationMaps(linalg::LinalgOp op) {
  return llvm::all_of(op.getIndexingMapsArray(),
                      [](AffineMap map) { return map.isPermutation(); });
}

/// True when `op` reads or writes a tensor of booleans (i1). Such tiles stay
/// scalar: in memory an i1 element takes one byte, which scalar loads and
/// stores respect, but vector transfers of i1 read and write packed bits,
/// so a vectorised op would misread a mask written by a scalar one.
static bool readsOrWritesBooleans(linalg::LinalgOp op) {
  return llvm::any_of(op->getOperands(), [](Value v) {
    auto type = dyn_cast<ShapedType>(v.getType());
    return type && type.getElementType().isInteger(1);
  });
}

/// Marks the register-tile GEMMs whose constant B operand may be packed.
static constexpr llvm::StringLiteral kPackBAttr = "ffn.pack_b";
/// Marks GEMM tiles of a dynamic row count tiled by rows, not yet by
/// columns and K.
static constexpr llvm::StringLiteral kRowsTiledAttr = "ffn.rows_tiled";

/// Iterations of `op` when all its loops are static.
static std::optional<int64_t> staticTripCount(linalg::LinalgOp op) {
  int64_t n = 1;
  for (int64_t r : op.getStaticLoopRanges()) {
    if (ShapedType::isDynamic(r))
      return std::nullopt;
    n *= r;
  }
  return n;
}

namespace {
/// Rewrites register-tile GEMMs to read their constant B operand from a
/// packed copy `Bp[ceil(N/nr)][K][nr]` (Bp[p][k][r] = B[k][p*nr + r], zero
/// padded), made once per constant at compile time. Constants with equal
/// type and contents share one packed copy: ffn-dedup-weights leaves one
/// constant per shared weight, but the lowering transposes it once per
/// linear, into separate blobs. With `release` (the blobs one op refers
/// to), a constant whose last reader has been pointed at its packed copy is
/// erased and its blob freed at once, so that the pass does not hold every
/// weight twice.
class WeightPacker {
public:
  WeightPacker(int64_t nr, const llvm::StringSet<> *release)
      : nr(nr), release(release) {}

  /// Points `op`'s B operand at the packed weight. `op` must read B columns
  /// starting at a multiple of nr, at most nr wide. Leaves `op` unchanged
  /// when B is not a slice of an f32 constant.
  void rewrite(RewriterBase &rewriter, linalg::MatmulOp op) {
    Value b = op.getDpsInputOperand(1)->get();
    auto bType = cast<RankedTensorType>(b.getType());
    if (!bType.hasStaticShape() || bType.getDimSize(1) > nr)
      return;
    // Walk the slices back to the constant, adding up their offsets.
    SmallVector<tensor::ExtractSliceOp> chain;
    Value source = b;
    while (auto slice = source.getDefiningOp<tensor::ExtractSliceOp>()) {
      if (!slice.hasUnitStride() || slice.getSourceType().getRank() != 2 ||
          slice.getType().getRank() != 2)
        return;
      chain.push_back(slice);
      source = slice.getSource();
    }
    Value packed = getPacked(rewriter, source, op);
    if (!packed)
      return;
    Location loc = op.getLoc();
    rewriter.setInsertionPoint(op);
    AffineExpr d0, d1;
    bindDims(rewriter.getContext(), d0, d1);
    OpFoldResult row = rewriter.getIndexAttr(0), col = rewriter.getIndexAttr(0);
    for (tensor::ExtractSliceOp slice : chain) {
      SmallVector<OpFoldResult> offsets = slice.getMixedOffsets();
      row = affine::makeComposedFoldedAffineApply(rewriter, loc, d0 + d1,
                                                  {row, offsets[0]});
      col = affine::makeComposedFoldedAffineApply(rewriter, loc, d0 + d1,
                                                  {col, offsets[1]});
    }
    OpFoldResult panel = affine::makeComposedFoldedAffineApply(
        rewriter, loc, d0.floorDiv(nr), {col});
    Value slice = tensor::ExtractSliceOp::create(
        rewriter, loc, bType, packed,
        {panel, row, rewriter.getIndexAttr(0)},
        {rewriter.getIndexAttr(1), rewriter.getIndexAttr(bType.getDimSize(0)),
         rewriter.getIndexAttr(bType.getDimSize(1))},
        {rewriter.getIndexAttr(1), rewriter.getIndexAttr(1),
         rewriter.getIndexAttr(1)});
    rewriter.modifyOpInPlace(
        op, [&] { op.getDpsInputOperand(1)->set(slice); });
    if (release)
      eraseIfUnused(rewriter, b);
  }

private:
  /// Erases the slices leading from `value` to its constant as they become
  /// unused, then the constant, freeing its blob when no other op refers
  /// to it.
  void eraseIfUnused(RewriterBase &rewriter, Value value) {
    while (Operation *def = value.getDefiningOp()) {
      if (!def->use_empty())
        return;
      if (auto slice = dyn_cast<tensor::ExtractSliceOp>(def)) {
        value = slice.getSource();
        rewriter.eraseOp(def);
        continue;
      }
      auto constant = dyn_cast<arith::ConstantOp>(def);
      if (!constant)
        return;
      auto attr = dyn_cast<DenseResourceElementsAttr>(constant.getValue());
      packed.erase(value);
      rewriter.eraseOp(def);
      if (attr && release->contains(attr.getRawHandle().getKey()))
        releaseWeight(attr);
      return;
    }
  }

  /// The packed copy of the constant `weight` for `user`, or null.
  Value getPacked(RewriterBase &rewriter, Value weight, Operation *user) {
    auto it = packed.find(weight);
    if (it != packed.end())
      return it->second;
    Value result;
    if (std::optional<WeightData> data = WeightData::fromValue(weight)) {
      ArrayRef<int64_t> shape = data->getType().getShape();
      int64_t k = shape[0], n = shape[1], panels = llvm::divideCeil(n, nr);
      std::vector<float> dst(panels * k * nr, 0.0f);
      ArrayRef<float> src = data->values();
      for (int64_t row = 0; row < k; ++row)
        for (int64_t c = 0; c < n; ++c)
          dst[((c / nr) * k + row) * nr + c % nr] = src[row * n + c];
      auto type = RankedTensorType::get({panels, k, nr},
                                        data->getType().getElementType());
      // An equal packed copy made before serves `user` too when it is
      // defined before `user` in a block enclosing it. Compared packed (the
      // weights they came from may be freed by now); bitwise: -0.0 and 0.0
      // (or NaN payloads) are different weights.
      StringRef bytes(reinterpret_cast<const char *>(dst.data()),
                      dst.size() * sizeof(float));
      size_t hash = static_cast<size_t>(
          llvm::hash_combine(type, llvm::hash_value(bytes)));
      for (Value prior : byContents[hash]) {
        std::optional<WeightData> priorData = WeightData::fromValue(prior);
        if (!priorData || priorData->getType() != type ||
            StringRef(reinterpret_cast<const char *>(
                          priorData->values().data()),
                      priorData->values().size() * sizeof(float)) != bytes)
          continue;
        Operation *def = prior.getDefiningOp();
        Operation *ancestor = def->getBlock()->findAncestorOpInBlock(*user);
        // Not cached per `weight`: each user checks dominance itself.
        if (ancestor && def->isBeforeInBlock(ancestor))
          return prior;
      }
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointAfterValue(weight);
      result = createWeightConstant(rewriter, weight.getLoc(), type, dst,
                                    "weight_packed");
      byContents[hash].push_back(result);
    }
    packed[weight] = result;
    return result;
  }

  int64_t nr;
  const llvm::StringSet<> *release;
  llvm::DenseMap<Value, Value> packed;
  /// Packed copies by a hash of their type and contents.
  std::unordered_map<size_t, SmallVector<Value, 1>> byContents;
};
} // namespace

/// Applies the canonicalisation patterns of every loaded dialect plus the
/// folding of tensor subsets into vector transfers.
static LogicalResult canonicalize(Operation *root) {
  MLIRContext *ctx = root->getContext();
  RewritePatternSet patterns(ctx);
  for (Dialect *dialect : ctx->getLoadedDialects())
    dialect->getCanonicalizationPatterns(patterns);
  for (RegisteredOperationName op : ctx->getRegisteredOperations())
    op.getCanonicalizationPatterns(patterns, ctx);
  return applyPatternsGreedily(root, std::move(patterns));
}

/// Whole-FFN fusion applies to an FFN chain whose tokens split into at
/// least two row tiles and whose hidden dimension splits into register-
/// aligned blocks. In `auto` mode it is used where it pays: when the `[T, H]`
/// intermediate reaches fuse-ffn-min-bytes (16 MiB by default). Below that
/// the fused code was measured up to 7% slower (fewer, taller thread tiles
/// stream the weights once per tile); above it, faster, and it always saves
/// the intermediate's memory (docs/performance.md).
std::optional<FusedFFNTiles>
CPUTileAndVectorizePass::planFFNFusion(linalg::LinalgOp down) const {
  if (fuseFFN == "never")
    return std::nullopt;
  std::optional<FFNChain> chain = matchFFNChain(down);
  if (!chain)
    return std::nullopt;
  SmallVector<int64_t> ranges = down.getStaticLoopRanges();
  int64_t rows = ranges[0], hidden = ranges[2];
  if (ShapedType::isDynamic(hidden))
    return std::nullopt;
  RegisterTile reg = registerTile();
  std::optional<int64_t> rowTile = fusedRowTile(rows, threadTileM, reg.mr);
  if (!rowTile)
    return std::nullopt;
  int64_t hiddenBlock = threadTileSize(hidden, hiddenTile, reg.nr, 2);
  if (hiddenBlock >= hidden)
    return std::nullopt;
  if (fuseFFN == "auto" &&
      rows * hidden * 4 < fuseFFNMinBytes)
    return std::nullopt;
  return FusedFFNTiles{*chain, *rowTile, hiddenBlock};
}

/// The thin GEMM of a low-rank pair: the GEMM whose `[T, r]` product is
/// `gemm`'s left operand and used nowhere else (ffn-lowrank's `t = x·Bᵀ`
/// before `y = t·Aᵀ + b`), or null.
static linalg::LinalgOp thinProducer(linalg::LinalgOp gemm) {
  if (!isa<linalg::MatmulOp>(gemm.getOperation()))
    return {};
  auto thin = gemm.getDpsInputOperand(0)->get().getDefiningOp<linalg::MatmulOp>();
  if (!thin || !thin->hasOneUse())
    return {};
  return thin;
}

/// Tiles `root` (the wide GEMM of a low-rank pair, or its elementwise
/// consumer) into thread tiles of `rowTile` whole token rows with the thin
/// GEMM and the other `fusable` producers fused in. Inside a tile, the wide
/// GEMM (and its consumer) then walks its columns in blocks of about
/// `columnTile`, so that the slice of its weight one block reads stays in
/// the cache while the register tiles go down the rows; the thin product is
/// computed once per tile, before that loop.
static LogicalResult
tileLowRankFused(RewriterBase &rewriter, linalg::LinalgOp root, int64_t rowTile,
                 int64_t columnTile, int64_t nr,
                 const llvm::SmallPtrSetImpl<Operation *> &fusable) {
  SmallVector<int64_t> sizes(root.getNumLoops(), 0);
  sizes[0] = rowTile;
  FailureOr<llvm::SetVector<Operation *>> tiled =
      tileForThreads(rewriter, cast<TilingInterface>(*root), sizes, fusable);
  if (failed(tiled))
    return failure();
  // The tiled wide GEMM reads the tiled thin one; the tiled root is the op
  // of the set nothing else in it reads.
  linalg::LinalgOp wide, rootTile;
  for (Operation *op : *tiled) {
    auto matmul = dyn_cast<linalg::MatmulOp>(op);
    if (matmul && isa_and_nonnull<linalg::MatmulOp>(
                      matmul.getDpsInputOperand(0)->get().getDefiningOp()))
      wide = matmul;
    if (llvm::none_of(op->getUsers(),
                      [&](Operation *user) { return tiled->contains(user); }))
      rootTile = dyn_cast<linalg::LinalgOp>(op);
  }
  if (!wide || !rootTile)
    return failure();
  int64_t columns = wide.getStaticLoopRanges()[1];
  int64_t block = threadTileSize(columns, columnTile, nr, 1);
  if (ShapedType::isDynamic(columns) || block >= columns)
    return success();
  llvm::SmallPtrSet<Operation *, 4> inner;
  if (rootTile != wide)
    inner.insert(wide);
  if (Operation *init = accumulatorInit(wide))
    inner.insert(init);
  SmallVector<int64_t> columnSizes(rootTile.getNumLoops(), 0);
  columnSizes[1] = block;
  return tileAndFuse(rewriter, cast<TilingInterface>(*rootTile), columnSizes,
                     inner, scf::SCFTilingOptions::LoopType::ForOp);
}

/// Low-rank pair fusion: thread tiles of whole token rows compute both GEMMs
/// of the pair, so each tile's `[rows, r]` product stays in cache and the
/// pair takes one parallel loop instead of two (on a BERT-base FFN it was
/// 0.97x to 1.6x the separate GEMMs' speed for ranks up to 384, 0.86x to
/// 1.00x at 512; docs/performance.md). Returns the rows of a tile, or none where the
/// pair keeps separate GEMM tiles: ranks above fuse-low-rank-max-rank, or
/// too few rows for two tiles (the separate GEMMs split the columns among
/// the threads instead).
std::optional<int64_t>
CPUTileAndVectorizePass::planLowRankFusion(linalg::LinalgOp thin) const {
  if (!fuseLowRank)
    return std::nullopt;
  SmallVector<int64_t> ranges = thin.getStaticLoopRanges();
  if (ShapedType::isDynamic(ranges[1]) || ranges[1] > fuseLowRankMaxRank)
    return std::nullopt;
  return fusedRowTile(ranges[0], threadTileM, registerTile().mr);
}

void CPUTileAndVectorizePass::runOnOperation() {
  func::FuncOp func = getOperation();
  MLIRContext *ctx = &getContext();
  IRRewriter rewriter(ctx);
  RegisterTile reg = registerTile();
  if (fuseFFN != "auto" && fuseFFN != "always" && fuseFFN != "never") {
    func.emitError() << "ffn-cpu-tile-and-vectorize: fuse-ffn must be auto, "
                        "always or never, not '"
                     << fuseFFN << "'";
    return signalPassFailure();
  }

  // 1. Thread tiles. Roots are visited last-to-first so that a GEMM is
  //    claimed by its elementwise consumer before it is seen on its own.
  SmallVector<linalg::LinalgOp> topLevel;
  for (Operation &op : func.getBody().getOps())
    if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
      topLevel.push_back(linalgOp);
  llvm::SmallPtrSet<Operation *, 16> claimed;
  for (linalg::LinalgOp op : llvm::reverse(topLevel)) {
    if (claimed.contains(op) || !op.hasPureTensorSemantics())
      continue;
    llvm::SmallPtrSet<Operation *, 4> fusable;
    SmallVector<int64_t> sizes(op.getNumLoops(), 0);
    SmallVector<int64_t> interchange;
    linalg::LinalgOp gemm = isGemm(op) ? op : fusableGemmProducer(op);
    if (gemm) {
      if (gemm != op)
        fusable.insert(gemm);
      // The accumulator's initial value (zero fill or broadcast bias).
      if (Operation *init = accumulatorInit(gemm))
        fusable.insert(init);
      if (std::optional<FusedFFNTiles> fused = planFFNFusion(gemm)) {
        fusable.insert(fused->chain.act);
        fusable.insert(fused->chain.producers.begin(),
                       fused->chain.producers.end());
        claimed.insert(fusable.begin(), fusable.end());
        if (failed(tileFFNFused(rewriter, op, *fused, fusable)))
          LLVM_DEBUG(llvm::dbgs() << "FFN fusion failed for " << op << "\n");
        continue;
      }
      linalg::LinalgOp thin = thinProducer(gemm);
      if (std::optional<int64_t> rowTile =
              thin ? planLowRankFusion(thin) : std::nullopt) {
        // Whole rows: every column of both GEMMs in the tile.
        fusable.insert(thin);
        if (Operation *init = thin.getDpsInitOperand(0)->get().getDefiningOp();
            isa_and_nonnull<linalg::FillOp, linalg::BroadcastOp>(init))
          fusable.insert(init);
        claimed.insert(fusable.begin(), fusable.end());
        if (failed(tileLowRankFused(rewriter, op, *rowTile, threadTileN,
                                    reg.nr, fusable)))
          LLVM_DEBUG(llvm::dbgs()
                     << "low-rank pair fusion failed for " << op << "\n");
        continue;
      }
      SmallVector<int64_t> ranges = gemm.getStaticLoopRanges();
      sizes[0] = threadTileSize(ranges[0], threadTileM, reg.mr, 1);
      // With a single row of tiles, split the columns enough to feed
      // several threads.
      int64_t rowTiles = ShapedType::isDynamic(ranges[0])
                             ? 2
                             : llvm::divideCeil(ranges[0], sizes[0]);
      sizes[1] = threadTileSize(ranges[1], threadTileN, reg.nr,
                                rowTiles >= 2 ? 1 : 4);
      // A dynamic row count ends in a short row of tiles. Threads take
      // consecutive runs of tiles: column-major order spreads the short
      // ones over all threads instead of giving them to the last.
      if (ShapedType::isDynamic(ranges[0])) {
        interchange.assign({1, 0});
        for (int64_t d = 2, e = op.getNumLoops(); d < e; ++d)
          interchange.push_back(d);
      }
    } else if (isa<linalg::BatchMatmulOp>(op)) {
      // A batch of GEMMs (attention): one GEMM per tile, turned into a
      // linalg.matmul below so that it gets the GEMM register tiles.
      sizes[0] = 1;
      if (Operation *init = accumulatorInit(op))
        fusable.insert(init);
    } else {
      // Everything else: split the leading parallel dimensions.
      sizes = leadingParallelTiles(op);
      if (llvm::all_of(sizes, [](int64_t s) { return s == 0; }))
        continue;
    }
    claimed.insert(fusable.begin(), fusable.end());
    if (failed(tileForThreads(rewriter, cast<TilingInterface>(*op), sizes,
                              fusable, interchange)))
      LLVM_DEBUG(llvm::dbgs() << "thread tiling failed for " << op << "\n");
  }
  // Make the single-GEMM tiles of batch matmuls plain matmuls (canonicalize
  // below drops the producers fusion left without users). Only batch
  // matmuls: a one-row GEMM (T = 1) must stay a linalg.matmul, whose
  // register tiles read the [K, N] weight by contiguous rows; as a
  // linalg.vecmat it would be vectorised along K, gathering weight columns.
  {
    SmallVector<Operation *> batched;
    func.walk([&](linalg::BatchMatmulOp op) { batched.push_back(op); });
    RewritePatternSet patterns(ctx);
    linalg::populateContractionOpRankReducingPatterns(patterns);
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingOps);
    if (!batched.empty() &&
        failed(applyOpPatternsGreedily(batched, std::move(patterns), config)))
      return signalPassFailure();
  }
  if (failed(canonicalize(func)))
    return signalPassFailure();

  // 2. Cache and register tiles.
  SmallVector<linalg::LinalgOp> all;
  func.walk([&](linalg::LinalgOp op) {
    if (op.hasPureTensorSemantics())
      all.push_back(op);
  });
  // GEMMs: cache blocks over K first (peeling the last block when K does not
  // divide), then register tiles of every block, remainders included.
  SmallVector<linalg::LinalgOp> gemms, others;
  for (linalg::LinalgOp op : all)
    (isGemm(op) ? gemms : others).push_back(op);
  SmallVector<linalg::LinalgOp> kBlocked = std::move(gemms);
  gemms.clear();
  for (linalg::LinalgOp op : kBlocked) {
    int64_t k = op.getStaticLoopRanges()[2];
    if (ShapedType::isDynamic(k) || k > cacheTileK) {
      if (failed(tileWithLoops(rewriter, cast<TilingInterface>(*op),
                               {0, 0, cacheTileK})))
        gemms.push_back(op);
      continue;
    }
    gemms.push_back(op);
  }
  func.walk([&](linalg::LinalgOp op) {
    if (isGemm(op) && op.hasPureTensorSemantics() &&
        op->getParentOfType<scf::ForOp>() && !llvm::is_contained(gemms, op))
      gemms.push_back(op);
  });
  bool dynamicFunction = llvm::any_of(func.getArgumentTypes(), [](Type t) {
    auto shaped = dyn_cast<ShapedType>(t);
    return shaped && !shaped.hasStaticShape();
  });
  bool rowsFirst = false;
  for (linalg::LinalgOp gemm : gemms) {
    // Register tiles read B columns at multiples of nr: the thread tile
    // offsets are multiples of nr (or zero) by construction. Mark them so
    // their constant B can be read from nr-wide panels below.
    if (isa<linalg::MatmulOp>(gemm))
      gemm->setAttr(kPackBAttr, rewriter.getUnitAttr());
    // A row count known only at run time leaves a last tile of fewer than
    // mr rows, of unknown size. Such GEMMs are tiled by rows first: mr-row
    // tiles, and one-row tiles for the rest (both static, so both
    // vectorise), then each by columns and K as below.
    if (dynamicFunction && ShapedType::isDynamic(gemm.getStaticLoopRanges()[0])) {
      gemm->setAttr(kRowsTiledAttr, rewriter.getUnitAttr());
      (void)tileWithLoops(rewriter, cast<TilingInterface>(*gemm),
                          {reg.mr, 0, 0});
      rowsFirst = true;
      continue;
    }
    (void)tileWithLoops(rewriter, cast<TilingInterface>(*gemm),
                        {reg.mr, reg.nr, 1});
  }
  if (rowsFirst) {
    if (failed(canonicalize(func)))
      return signalPassFailure();
    auto rowTiles = [&] {
      SmallVector<linalg::LinalgOp> ops;
      func.walk([&](linalg::LinalgOp op) {
        if (op->hasAttr(kRowsTiledAttr) && op.hasPureTensorSemantics())
          ops.push_back(op);
      });
      return ops;
    };
    for (linalg::LinalgOp op : rowTiles())
      if (ShapedType::isDynamic(op.getStaticLoopRanges()[0]))
        (void)tileWithLoops(rewriter, cast<TilingInterface>(*op), {1, 0, 0});
    if (failed(canonicalize(func)))
      return signalPassFailure();
    for (linalg::LinalgOp op : rowTiles()) {
      op->removeAttr(kRowsTiledAttr);
      (void)tileWithLoops(rewriter, cast<TilingInterface>(*op),
                          {0, reg.nr, 1});
    }
  }

  for (linalg::LinalgOp op : others) {
    unsigned loops = op.getNumLoops();
    if (loops == 0)
      continue;
    SmallVector<int64_t> sizes;
    // Other ops: the innermost dimension fills a few registers, the others
    // are walked one at a time.
    sizes.assign(loops, 1);
    sizes.back() = elementwiseTile();
    std::optional<int64_t> trips = op.getStaticLoopRanges().empty()
                                       ? std::nullopt
                                       : staticTripCount(op);
    if (trips && *trips <= elementwiseTile())
      continue;
    (void)tileWithLoops(rewriter, cast<TilingInterface>(*op), sizes);
  }

  // Fold the tile sizes that are static into the types before vectorising.
  if (failed(canonicalize(func)))
    return signalPassFailure();

  // Constant weights (now with static tile shapes) are read by the register tiles from panels of nr
  // contiguous columns, packed at compile time: the K loop then streams
  // through memory instead of striding over whole rows.
  llvm::StringSet<> single;
  if (releaseWeights)
    single = findSinglyReferencedWeights(func);
  WeightPacker packer(reg.nr, releaseWeights ? &single : nullptr);
  func.walk([&](linalg::MatmulOp op) {
    if (!op->hasAttr(kPackBAttr))
      return;
    op->removeAttr(kPackBAttr);
    packer.rewrite(rewriter, op);
  });


  // 3. Vectorise the register tiles; partial tiles get masks sized by the
  //    upper bound of their extent.
  SmallVector<linalg::LinalgOp> tiles;
  func.walk([&](linalg::LinalgOp op) {
    if (op.hasPureTensorSemantics())
      tiles.push_back(op);
  });
  for (linalg::LinalgOp op : tiles) {
    if (readsOrWritesBooleans(op)) {
      LLVM_DEBUG(llvm::dbgs() << "boolean tensor left scalar: " << op << "\n");
      continue;
    }
    FailureOr<SmallVector<int64_t>> sizes = vectorSizesFor(op);
    if (failed(sizes)) {
      LLVM_DEBUG(llvm::dbgs() << "no bounded vector sizes: " << op << "\n");
      continue;
    }
    bool dynamic = llvm::any_of(op.getStaticLoopRanges(), ShapedType::isDynamic);
    // Partial tiles of dynamic size get masks in static functions (the
    // partial thread tiles of ops with permutation maps). In functions with
    // dynamic shapes partial tiles (the peeled remainders) stay scalar
    // loops: their masked forms do not survive the lowering in MLIR 22.
    if (dynamic && (!hasOnlyPermutationMaps(op) || dynamicFunction)) {
      LLVM_DEBUG(llvm::dbgs() << "partial tile left scalar: " << op << "\n");
      continue;
    }
    ArrayRef<int64_t> maskSizes = dynamic ? ArrayRef<int64_t>(*sizes)
                                          : ArrayRef<int64_t>();
    if (failed(linalg::vectorizeOpPrecondition(op, maskSizes))) {
      LLVM_DEBUG(llvm::dbgs() << "not vectorisable: " << op << "\n");
      continue;
    }
    rewriter.setInsertionPoint(op);
    // GEMM tiles become vector.contract, which lowers to FMAs; the generic
    // form would give separate multiplies and adds.
    FailureOr<linalg::VectorizationResult> result = linalg::vectorize(
        rewriter, op, maskSizes, /*inputScalableVecDims=*/{},
        /*vectorizeNDExtract=*/false, /*flatten1DDepthwiseConv=*/false,
        /*assumeDynamicDimsMatchVecSizes=*/false,
        /*createNamedContraction=*/isGemm(op));
    if (failed(result))
      continue;
    if (!result->replacements.empty())
      rewriter.replaceOp(op, result->replacements);
    else
      rewriter.eraseOp(op);
  }
  if (failed(canonicalize(func)))
    return signalPassFailure();

  // 4. Keep accumulators in registers across the K loops.
  SmallVector<LoopLikeOpInterface> loops;
  func.walk([&](scf::ForOp loop) { loops.push_back(loop); });
  for (LoopLikeOpInterface loop : loops)
    hoistLoopInvariantSubsets(rewriter, loop);
  if (failed(canonicalize(func)))
    return signalPassFailure();

  // 5. Unroll the K loops of register tiles (those carrying vector
  //    accumulators) a few times: fewer loop branches, more freedom for the
  //    scheduler between the loads of one step and the FMAs of the last.
  if (kUnroll > 1) {
    SmallVector<scf::ForOp> kLoops;
    func.walk([&](scf::ForOp loop) {
      if (!loop.getInitArgs().empty() &&
          llvm::all_of(loop.getInitArgs(), [](Value v) {
            return isa<VectorType>(v.getType());
          }))
        kLoops.push_back(loop);
    });
    for (scf::ForOp loop : kLoops)
      (void)loopUnrollByFactor(loop, kUnroll);
    if (failed(canonicalize(func)))
      return signalPassFailure();
  }
}
