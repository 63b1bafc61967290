//===- Transforms.h - ffn rewrite pattern sets ------------------*- C++ -*-===//
//
// The rewrite patterns behind the ffn-level passes, exposed so that other
// passes and pipelines can combine them in one greedy application.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_DIALECT_FFN_TRANSFORMS_TRANSFORMS_H
#define FFN_DIALECT_FFN_TRANSFORMS_TRANSFORMS_H

namespace mlir {
class RewritePatternSet;
namespace ffn {

/// Bias additions (`ffn.linear + broadcast(b)`) become the linear's bias;
/// splat scales of a linear with constant parameters fold into the weights.
void populateRaiseLinearPatterns(RewritePatternSet &patterns);

/// Decomposed GELU (erf and tanh forms) and SiLU become ffn activations.
void populateRaiseActivationPatterns(RewritePatternSet &patterns);

/// Decomposed RMSNorm and LayerNorm become ffn norms; per-feature scales and
/// biases applied to them become their operands.
void populateRaiseNormPatterns(RewritePatternSet &patterns);

/// Encoder and gated FFNs built from ffn linears and activations become
/// `ffn.mlp` blocks.
void populateRaiseMlpPatterns(RewritePatternSet &patterns);

/// Constant norm scales and biases, inference batch norms and LayerScale
/// factors next to `ffn.mlp` blocks fold into the blocks' linears.
void populateFoldNormsPatterns(RewritePatternSet &patterns);

/// Channel-idle (RePaViT) FFN blocks become an activated branch plus one
/// linear over the block's input (merging a residual add).
void populateRepavitReparamPatterns(RewritePatternSet &patterns);

/// Linears reading the same input with constant weights become one linear
/// with concatenated weights followed by slices.
void populateFuseHorizontalPatterns(RewritePatternSet &patterns);

/// The hidden neurons of encoder and gated `ffn.mlp` blocks with constant
/// weights are sorted by descending weight-norm importance.
void populatePermuteNeuronsPatterns(RewritePatternSet &patterns);

} // namespace ffn
} // namespace mlir

#endif // FFN_DIALECT_FFN_TRANSFORMS_TRANSFORMS_H
