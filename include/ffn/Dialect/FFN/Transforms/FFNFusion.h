//===- FFNFusion.h - the runs FFN Fusion can fuse ---------------*- C++ -*-===//
//
// The chains of residual FFN blocks ffn-fusion works on, for the pass itself
// and for ffn-compile, which measures on calibration data where a chain may
// be cut (`--ffn-fusion=auto`) and tells the pass through
// `ffn.fusion_max_run`.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_DIALECT_FFN_TRANSFORMS_FFNFUSION_H
#define FFN_DIALECT_FFN_TRANSFORMS_FFNFUSION_H

#include "ffn/Dialect/FFN/IR/FFNOps.h"
#include "mlir/Support/LLVM.h"

namespace mlir {
namespace ffn {

/// The maximal chains of residual FFN blocks under `root` that ffn-fusion
/// may fuse, in program order, each of at least two blocks:
/// `x_{i+1} = x_i + mlp_i(norm(x_i))` where the norm (an affine-free
/// `ffn.layer_norm` or `ffn.rms_norm`, or none) and the block's form are the
/// same along the chain, and each block's output feeds only the next block's
/// normalisation and residual add. Every block of a chain reads
/// `norm(x_i)`; fused into a run starting at block s, block i reads
/// `norm(x_s)` instead, which is the input of block s.
SmallVector<SmallVector<MlpOp>> findFusionChains(Operation *root);

} // namespace ffn
} // namespace mlir

#endif // FFN_DIALECT_FFN_TRANSFORMS_FFNFUSION_H
