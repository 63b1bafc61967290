//===- FFNOps.h - ffn dialect operations ------------------------*- C++ -*-===//
//
// Declares the operations of the ffn dialect and small helpers to build and
// classify FFN blocks.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_DIALECT_FFN_IR_FFNOPS_H
#define FFN_DIALECT_FFN_IR_FFNOPS_H

#include "ffn/Dialect/FFN/IR/FFNDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/RegionKindInterface.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <string>

namespace mlir {
namespace ffn {
/// The forms an `ffn.mlp` body takes, as derived from its ops.
enum class MlpKind {
  /// up-projection, activation, down-projection (BERT, ViT, GPT-2).
  Encoder,
  /// gate and up projections, act(gate) * up, down-projection (Llama).
  Gated,
  /// up-projection, activation on some hidden channels only (the others
  /// pass through; slices joined again), down-projection (RePaViT).
  ChannelIdle,
  /// Anything else (for instance a body after a structural rewrite).
  Other,
};

/// Returns "encoder", "gated", "channel-idle" or "other".
llvm::StringRef stringifyMlpKind(MlpKind kind);
} // namespace ffn
} // namespace mlir

#define GET_OP_CLASSES
#include "ffn/Dialect/FFN/IR/FFNOps.h.inc"

namespace mlir {
namespace ffn {
/// Activation functions an FFN block can use.
enum class Activation { Gelu, GeluTanh, Silu, Relu };

/// Creates the activation `act` applied to `value`.
Value createActivation(OpBuilder &builder, Location loc, Activation act,
                       Value value);

/// Builds an encoder-form `ffn.mlp`: `act(x W1ᵀ + b1) W2ᵀ + b2`. Biases may
/// be null.
MlpOp buildEncoderMlp(OpBuilder &builder, Location loc, Value x, Value w1,
                      Value b1, Value w2, Value b2, Activation act);

/// The value `value` of `mlp`'s body stands for outside the block: the
/// matching operand for a block argument, `value` itself otherwise.
Value getOuterValue(MlpOp mlp, Value value);

/// `type` (a ranked tensor) with its last dimension set to `size`.
RankedTensorType withLastDim(Type type, int64_t size);

/// Passes `value` to `mlp` as a new parameter; returns its block argument.
BlockArgument addParam(MlpOp mlp, Value value);

/// Drops the parameters of `mlp` its body no longer uses, and the
/// `arith.constant`s that fed only them.
void dropUnusedParams(MlpOp mlp);

/// The name an FFN's location carries (an ONNX node name, directly or inside
/// a fused location), or an empty string.
std::string getLocationName(MlpOp op);

/// Name of the discardable ArrayAttr of strings on `ffn.mlp` listing the
/// rewrites applied to the block, in order; the FFN report prints it.
constexpr llvm::StringLiteral kAppliedAttrName = "ffn.applied";

/// Appends `rewrite` (e.g. "fold-norms") to the rewrites recorded on `op`.
void recordApplied(MlpOp op, llvm::StringRef rewrite);

/// The rewrites recorded on `op`, in the order they were applied.
llvm::SmallVector<llvm::StringRef> getApplied(MlpOp op);

/// Name of the discardable i64 attribute tying an `ffn.mlp` to its entry in
/// ffn-compile's FFN report across rewrites (which keep discardable
/// attributes when they rebuild a block).
constexpr llvm::StringLiteral kReportIdAttrName = "ffn.report_id";

/// Name of the discardable F64 attribute on `ffn.mlp` holding the relative
/// error (‖y' − y‖ / ‖y‖ on the block's output) that approximate rewrites
/// measured for the block; the FFN report prints it as `max_rel_error`.
constexpr llvm::StringLiteral kRelErrorAttrName = "ffn.rel_error";

/// Adds `error`, the relative error one approximate rewrite measured on the
/// output of `op`, to the error recorded on the block. Errors of successive
/// rewrites add up (a bound by the triangle inequality, to first order).
void recordRelError(MlpOp op, double error);

/// The relative error recorded on `op` by approximate rewrites, if any.
std::optional<double> getRelError(MlpOp op);

/// Name of the discardable `tensor<Hxf32>` attribute on `ffn.mlp` that
/// ffn-permute-neurons sets: the importance of the block's hidden neurons,
/// in their (descending) order.
constexpr llvm::StringLiteral kNeuronImportanceAttrName =
    "ffn.neuron_importance";

/// Name of the discardable i64 array attribute on `ffn.mlp` that
/// ffn-permute-neurons sets with the importance order: entry j is the
/// position neuron j had in the model. ffn-width-slice keeps the entries of
/// the neurons it keeps; rewrites that regroup neurons drop it. Patterns that
/// are defined on the model's neuron order (N:M and block sparsity of the
/// down projection) restore that order with it.
constexpr llvm::StringLiteral kNeuronOrderAttrName = "ffn.neuron_order";

/// Builds a gated-form `ffn.mlp`: `(act(x Wgᵀ) * (x Wuᵀ)) Wdᵀ`.
MlpOp buildGatedMlp(OpBuilder &builder, Location loc, Value x, Value wGate,
                    Value wUp, Value wDown, Activation act);
} // namespace ffn
} // namespace mlir

#endif // FFN_DIALECT_FFN_IR_FFNOPS_H
