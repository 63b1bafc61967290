//===- ChannelIdle.h - matcher of channel-idle FFNs (RePaViT) ---*- C++ -*-===//
//
// A channel-idle FFN (RePaViT) applies its activation to only some of the
// hidden channels and passes the others through linearly:
//
//   h = linear(x, W1, b1)
//   y = linear(join(act(h[.., a0:a1]), h[.., l0:l1], ...), W2, b2)
//
// where the hidden value is cut along its last dimension by
// `tensor.extract_slice` (what ONNX Slice and Split import to) and joined
// again by `tensor.concat` or by a chain of `tensor.insert_slice` into a
// `tensor.empty` (what ONNX Concat imports to). This matcher is shared by
// the raising pass (which outlines the FFN into an `ffn.mlp`) and by
// `ffn-repavit-reparam` (which rewrites it).
//
//===----------------------------------------------------------------------===//

#ifndef FFN_LIB_DIALECT_FFN_TRANSFORMS_CHANNELIDLE_H
#define FFN_LIB_DIALECT_FFN_TRANSFORMS_CHANNELIDLE_H

#include "ffn/Dialect/FFN/IR/FFNOps.h"

#include "llvm/ADT/SmallVector.h"
#include <string>

namespace mlir {
namespace ffn {

/// One run of hidden channels of a channel-idle FFN.
struct ChannelPiece {
  /// The `tensor.extract_slice` of the hidden value.
  Operation *slice = nullptr;
  /// The activation applied to the slice; null for idle channels.
  Operation *act = nullptr;
  /// First hidden channel of the run and its length.
  int64_t hiddenOffset = 0;
  int64_t size = 0;
  /// Where the run lands in the joined value (the down projection's input).
  int64_t joinOffset = 0;
};

/// The ops of a channel-idle FFN ending in a down projection.
struct ChannelIdleMatch {
  LinearOp up;
  LinearOp down;
  /// The runs in the order of the joined value.
  SmallVector<ChannelPiece, 2> pieces;
  /// The ops that join the runs: a `tensor.concat`, or `tensor.empty`
  /// followed by the `tensor.insert_slice` chain.
  SmallVector<Operation *, 4> joinOps;

  /// Every op of the FFN but the down projection, in block order.
  SmallVector<Operation *> interiorInBlockOrder() const;
};

/// Matches the channel-idle FFN whose down projection is `down`: the
/// runs cover the hidden channels and the joined value exactly once, at
/// least one run is activated and one is not, and every intermediate value
/// (hidden, slices, activations, the join) is used only inside the FFN.
/// Fails with `reason` otherwise.
FailureOr<ChannelIdleMatch> matchChannelIdle(LinearOp down,
                                             std::string &reason);

} // namespace ffn
} // namespace mlir

#endif // FFN_LIB_DIALECT_FFN_TRANSFORMS_CHANNELIDLE_H
