//===- FFNDialect.td - the ffn dialect ---------------------*- tablegen -*-===//
//
// The ffn dialect: the level at which the compiler reasons about transformer
// feed-forward networks (linear layers, activations, norms and the FFN block).
//
//===----------------------------------------------------------------------===//

#ifndef FFN_DIALECT_FFN_IR_FFNDIALECT_TD
#define FFN_DIALECT_FFN_IR_FFNDIALECT_TD

include "mlir/IR/OpBase.td"

def FFN_Dialect : Dialect {
  let name = "ffn";
  let cppNamespace = "::mlir::ffn";
  let summary = "Transformer feed-forward networks: linears, activations, norms, FFN blocks";
  let description = [{
    The `ffn` dialect holds what the ffn compiler reasons about when it
    optimises transformer feed-forward networks: linear layers in the
    PyTorch/ONNX weight layout (`W: [out, in]`), the activations used by FFNs
    (GELU in erf and tanh forms, SiLU, ReLU), the norms that precede them
    (layer norm, RMS norm, inference-form batch norm) and `ffn.mlp`, the FFN
    block as one unit on which the FFN rewrites act.

    All ops work on ranked tensors of floating-point values and have value
    semantics. Leading dimensions of activations are token dimensions
    (`[batch, seq, features]` or `[tokens, features]`); the last dimension is
    always the feature/channel dimension.
  }];
  let useDefaultAttributePrinterParser = 1;
}

class FFN_Op<string mnemonic, list<Trait> traits = []>
    : Op<FFN_Dialect, mnemonic, traits>;

#endif // FFN_DIALECT_FFN_IR_FFNDIALECT_TD
