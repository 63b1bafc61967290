//===- ChannelIdle.cpp - matcher of channel-idle FFNs (RePaViT) -----------===//
//
// See ChannelIdle.h. The matcher works on the ops as the importer writes
// them (extract_slice runs of the hidden value, insert_slice chains into a
// tensor.empty) and on tensor.concat, and checks that the runs form an exact
// partition of both the hidden channels and the joined value.
//
//===----------------------------------------------------------------------===//

#include "ChannelIdle.h"

#include "ffn/Utils/Dims.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace mlir::ffn;

/// True for the activations an FFN block may hold.
static bool isActivation(Operation *op) {
  return isa_and_nonnull<GeluOp, SiluOp, ReluOp>(op);
}

/// Offset along the last dimension of an `extract_slice`/`insert_slice`
/// that keeps every other dimension whole (`full` is the tensor whose
/// dimensions are kept: the source of an extract, the destination of an
/// insert), with unit strides and no rank reduction; nullopt otherwise.
static std::optional<int64_t> lastDimOffset(OffsetSizeAndStrideOpInterface op,
                                            Value fullValue,
                                            RankedTensorType part) {
  auto full = cast<RankedTensorType>(fullValue.getType());
  int64_t rank = full.getRank();
  // The channels are static; the token dimensions may be dynamic.
  if (rank < 1 || part.getRank() != rank || full.isDynamicDim(rank - 1) ||
      part.isDynamicDim(rank - 1))
    return std::nullopt;
  if (!llvm::all_of(op.getStaticStrides(), [](int64_t s) { return s == 1; }))
    return std::nullopt;
  ArrayRef<int64_t> offsets = op.getStaticOffsets();
  ArrayRef<int64_t> sizes = op.getStaticSizes();
  if (static_cast<int64_t>(offsets.size()) != rank ||
      static_cast<int64_t>(sizes.size()) != rank)
    return std::nullopt;
  SmallVector<OpFoldResult> mixedSizes = op.getMixedSizes();
  for (int64_t d = 0; d + 1 < rank; ++d) {
    if (offsets[d] != 0)
      return std::nullopt;
    if (!ShapedType::isDynamic(full.getDimSize(d))) {
      if (sizes[d] != full.getDimSize(d))
        return std::nullopt;
      continue;
    }
    // A dynamic token dimension: the slice's size must be the whole of it.
    if (getSizeOrigin(mixedSizes[d]) != getDimOrigin(fullValue, d))
      return std::nullopt;
  }
  if (ShapedType::isDynamic(offsets.back()) ||
      sizes.back() != part.getDimSize(rank - 1))
    return std::nullopt;
  return offsets.back();
}

/// Checks that `runs` (offset, size) partition [0, total) exactly.
static bool isPartition(SmallVector<std::pair<int64_t, int64_t>> runs,
                        int64_t total) {
  llvm::sort(runs);
  int64_t next = 0;
  for (auto [offset, size] : runs) {
    if (offset != next || size <= 0)
      return false;
    next += size;
  }
  return next == total;
}

SmallVector<Operation *> ChannelIdleMatch::interiorInBlockOrder() const {
  SmallVector<Operation *> ops{up};
  for (const ChannelPiece &piece : pieces) {
    ops.push_back(piece.slice);
    if (piece.act)
      ops.push_back(piece.act);
  }
  llvm::append_range(ops, joinOps);
  llvm::sort(ops,
             [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  return ops;
}

/// Collects the (source, offset) runs of the joined value `joined`, with
/// the ops that join them; fails with `reason`.
static LogicalResult
matchJoin(Value joined, SmallVectorImpl<std::pair<Value, int64_t>> &sources,
          SmallVectorImpl<Operation *> &joinOps, std::string &reason) {
  auto type = dyn_cast<RankedTensorType>(joined.getType());
  if (!type || type.getRank() < 1 || type.isDynamicDim(type.getRank() - 1)) {
    reason = "the down projection's input has no static channel count";
    return failure();
  }
  int64_t rank = type.getRank();
  if (auto concat = joined.getDefiningOp<tensor::ConcatOp>()) {
    if (static_cast<int64_t>(concat.getDim()) != rank - 1) {
      reason = "the concatenation is not along the channels";
      return failure();
    }
    int64_t offset = 0;
    for (Value input : concat.getInputs()) {
      sources.push_back({input, offset});
      offset += cast<RankedTensorType>(input.getType()).getDimSize(rank - 1);
    }
    joinOps.push_back(concat);
    return success();
  }
  Value current = joined;
  while (auto insert = current.getDefiningOp<tensor::InsertSliceOp>()) {
    if (!current.hasOneUse()) {
      reason = "a partial concatenation has other users";
      return failure();
    }
    std::optional<int64_t> offset =
        lastDimOffset(insert, insert.getDest(), insert.getSourceType());
    if (!offset) {
      reason = "an insert_slice does not write whole rows of channels";
      return failure();
    }
    sources.push_back({insert.getSource(), *offset});
    joinOps.push_back(insert);
    current = insert.getDest();
  }
  auto empty = current.getDefiningOp<tensor::EmptyOp>();
  if (joinOps.empty() || !empty) {
    reason = "the down projection's input is not a concatenation of channel "
             "runs";
    return failure();
  }
  joinOps.push_back(empty);
  std::reverse(joinOps.begin(), joinOps.end());
  return success();
}

FailureOr<ChannelIdleMatch> mlir::ffn::matchChannelIdle(LinearOp down,
                                                        std::string &reason) {
  ChannelIdleMatch match;
  match.down = down;
  Value joined = down.getInput();
  if (!joined.hasOneUse()) {
    reason = "the concatenated hidden value has other users";
    return failure();
  }
  SmallVector<std::pair<Value, int64_t>> sources;
  if (failed(matchJoin(joined, sources, match.joinOps, reason)))
    return failure();
  auto joinedType = cast<RankedTensorType>(joined.getType());
  int64_t rank = joinedType.getRank();

  SmallVector<std::pair<int64_t, int64_t>> joinRuns, hiddenRuns;
  unsigned active = 0;
  for (auto [source, joinOffset] : sources) {
    ChannelPiece piece;
    piece.joinOffset = joinOffset;
    Value sliced = source;
    if (isActivation(source.getDefiningOp())) {
      if (!source.hasOneUse()) {
        reason = "an activation has other users";
        return failure();
      }
      piece.act = source.getDefiningOp();
      sliced = piece.act->getOperand(0);
      ++active;
    }
    auto slice = sliced.getDefiningOp<tensor::ExtractSliceOp>();
    if (!slice) {
      reason = "a concatenated run is not a slice of the hidden value (or an "
               "activation of one)";
      return failure();
    }
    if (!sliced.hasOneUse()) {
      reason = "a slice of the hidden value has other users";
      return failure();
    }
    auto up = slice.getSource().getDefiningOp<LinearOp>();
    if (!up) {
      reason = "the sliced hidden value is not an ffn.linear";
      return failure();
    }
    if (match.up && match.up != up) {
      reason = "the runs slice different hidden values";
      return failure();
    }
    match.up = up;
    std::optional<int64_t> offset =
        lastDimOffset(slice, slice.getSource(), slice.getType());
    if (!offset) {
      reason = "a slice of the hidden value does not keep whole rows";
      return failure();
    }
    piece.slice = slice;
    piece.hiddenOffset = *offset;
    piece.size = slice.getType().getDimSize(rank - 1);
    joinRuns.push_back({piece.joinOffset, piece.size});
    hiddenRuns.push_back({piece.hiddenOffset, piece.size});
    match.pieces.push_back(piece);
  }
  if (active == 0 || active == match.pieces.size()) {
    reason = active ? "every channel run is activated (no idle channels)"
                    : "no channel run is activated";
    return failure();
  }
  auto hiddenType = cast<RankedTensorType>(match.up.getType());
  if (hiddenType.getRank() != rank ||
      !isPartition(hiddenRuns, hiddenType.getDimSize(rank - 1)) ||
      !isPartition(joinRuns, joinedType.getDimSize(rank - 1))) {
    reason = "the channel runs do not partition the hidden channels";
    return failure();
  }
  if (std::distance(match.up->use_begin(), match.up->use_end()) !=
      static_cast<std::ptrdiff_t>(match.pieces.size())) {
    reason = "the hidden value has users other than the channel runs";
    return failure();
  }
  llvm::sort(match.pieces, [](const ChannelPiece &a, const ChannelPiece &b) {
    return a.joinOffset < b.joinOffset;
  });
  if (llvm::any_of(match.interiorInBlockOrder(), [&](Operation *op) {
        return op->getBlock() != down->getBlock();
      })) {
    reason = "the FFN's ops are in different blocks";
    return failure();
  }
  return match;
}
