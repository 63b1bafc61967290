//===- Passes.td - ffn conversion passes -------------------*- tablegen -*-===//
//
// Conversions out of the ffn dialect.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_CONVERSION_PASSES_TD
#define FFN_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertFFNToLinalg : Pass<"convert-ffn-to-linalg"> {
  let summary = "Lower ffn ops to linalg, tensor, arith and math on tensors";
  let description = [{
    Inlines every `ffn.mlp` body and lowers linear layers to `linalg.matmul`
    (the bias becomes the accumulator's initial value), activations and norms
    to `linalg.generic`. Constant weights are transposed at compile time to
    the `[in, out]` layout the CPU kernels stream through; other weights get
    a `linalg.transpose`. A block-diagonal linear becomes one
    `linalg.batch_matmul` over its blocks (weights `[K, in/K, out/K]`)
    between two copies that gather (or, without channel permutations,
    transpose) its input into `[K, rows, in/K]` and its product back to
    `[rows, out]`, adding the bias.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // FFN_CONVERSION_PASSES_TD
