//===- Passes.h - ffn dialect transformations -------------------*- C++ -*-===//
//
// Declares the passes that work at the ffn level, their registration, and the
// `ffn-raise` pipeline that lifts an imported graph to the ffn dialect.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_DIALECT_FFN_TRANSFORMS_PASSES_H
#define FFN_DIALECT_FFN_TRANSFORMS_PASSES_H

#include "ffn/Dialect/FFN/IR/FFNDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class OpPassManager;
namespace ffn {
#define GEN_PASS_DECL
#define GEN_PASS_REGISTRATION
#include "ffn/Dialect/FFN/Transforms/Passes.h.inc"

/// Per-block settings of the approximate rewrites. An `ffn.mlp` that carries
/// one of these discardable attributes is rewritten with that setting
/// instead of the pass's option: ffn-compile's error budget sets them FFN by
/// FFN, and tests use them to give blocks different settings.
///
/// `ffn.width` (f64): the fraction of hidden neurons ffn-width-slice keeps;
/// 1.0 leaves the block alone.
constexpr llvm::StringLiteral kWidthAttrName = "ffn.width";
/// `ffn.lowrank` (string): ffn-lowrank's `MODE:VALUE` for the block
/// (`energy:0.9`, `rank:64`, `flops:0.5`), or `none`.
constexpr llvm::StringLiteral kLowRankAttrName = "ffn.lowrank";
/// `ffn.block_diag` (i64): ffn-block-diag's number of blocks for the block;
/// 1 leaves the block alone.
constexpr llvm::StringLiteral kBlockDiagAttrName = "ffn.block_diag";
/// `ffn.sparsity` (string): ffn-sparsify's setting for the block (`2:4`,
/// `block:32x32:0.5`, `unstructured:0.7`), or `none`.
constexpr llvm::StringLiteral kSparsityAttrName = "ffn.sparsity";
/// `ffn.fusion_max_run` (i64): the most blocks ffn-fusion fuses into a run
/// that starts at the block; 1: none starts there.
constexpr llvm::StringLiteral kFusionMaxRunAttrName = "ffn.fusion_max_run";

/// `ffn.input_scale` (`tensor<Dxf32>`): a positive scale per input feature of
/// the block, from calibration data (ffn-compile uses the square root of
/// each feature's root mean square). ffn-lowrank then factors the
/// weights reading the block's input activation-aware: the SVD of
/// `W diag(s)`, so that the error `|X (W - A B)ᵀ|` rather than `|W - A B|`
/// is what the rank trades. ffn-compile's error budget sets it.
constexpr llvm::StringLiteral kInputScaleAttrName = "ffn.input_scale";

/// The report ids (`ffn.report_id`) of the blocks ffn-fusion fused into a
/// block, on that block (i64 array).
constexpr llvm::StringLiteral kFusedReportIdsAttrName = "ffn.fused_report_ids";

/// Appends the `ffn-raise` pipeline to `pm`: canonicalize, cse, then
/// ffn-raise-linear, ffn-raise-activations, ffn-raise-norms and
/// ffn-raise-mlp. The passes are op-agnostic; `pm` may be anchored on a
/// module or a function.
void buildRaisePipeline(OpPassManager &pm);

/// Registers `ffn-raise` with the global pipeline registry.
void registerRaisePipeline();
} // namespace ffn
} // namespace mlir

#endif // FFN_DIALECT_FFN_TRANSFORMS_PASSES_H
