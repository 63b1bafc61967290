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
    the `[in, out]` layout the CPU kernels stream through (with
    `reuse-weight-buffers`, in the original's buffer when nothing else reads
    it); other weights get a `linalg.transpose`. A block-diagonal linear becomes one
    `linalg.batch_matmul` over its blocks (weights `[K, in/K, out/K]`)
    between two copies that gather (or, without channel permutations,
    transpose) its input into `[K, rows, in/K]` and its product back to
    `[rows, out]`, adding the bias.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect",
  ];
  let options = [
    Option<"reuseWeightBuffers", "reuse-weight-buffers", "bool",
           /*default=*/"false",
           "Write transposed weights over the originals when only their "
           "linear reads them (for weights no other function or module "
           "refers to: ffn-compile's final build)">,
  ];
}

def CPUSkipZeroActivations : Pass<"ffn-cpu-skip-zero-activations",
                                  "::mlir::func::FuncOp"> {
  let summary = "Exact activation sparsity for ReLU FFNs at small token counts";
  let description = [{
    Applies to every `ffn.mlp` whose down projection reads a ReLU (encoder
    form) or a product with a ReLU factor (gated ReLU, dReLU), whose other
    linears read the block's input, and whose token count T (the product of
    the input's leading dimensions) is at most `max-tokens` (`mode=auto`;
    `always`: any T; `never`: none). The body is inlined, and the down
    projection `y = h W2ᵀ + b2` only touches the hidden neurons j for which
    some row of `h[:, j]` is non-zero:

    1. a compaction loop collects those j into an index list (branch free:
       `j` is always written at the current count, which grows by one when
       the column has a non-zero); for 2 to 8 tokens it also packs the kept
       columns of h as rows, so a neuron's activations share a cache line;
    2. an `scf.forall` over thread tiles of the model width D starts each
       tile of `y` from the bias, then walks the index list: for each kept
       neuron it reads the neuron's contiguous row of W2 transposed
       (`[H, D]`, transposed at compile time for constant weights) and adds
       `h[t, j]` times it to every token row, `vector-width` lanes at a time
       (`vector.fma`). Tiles are narrow enough (T rows of at most 12
       vectors) for LLVM to keep them in registers across the neuron loop.

    At T=1 the up (and gate) projections become the same kind of loop over
    all rows of W1ᵀ (`[D, H]`), with the encoder's ReLU applied to the
    tiles: a matrix-vector product that streams the weight once. From 2
    tokens on they stay linears, lowered by `convert-ffn-to-linalg` to the
    register-tiled GEMMs. Skipped neurons contribute exact zeros, so the
    result is the dense result up to the order of the floating-point sums.
    The loops use no linalg ops, so `ffn-cpu-tile-and-vectorize` leaves them
    as they are. With `remarks`, every FFN that gets the rewrite gets a
    remark.
  }];
  let options = [
    Option<"mode", "mode", "std::string", /*default=*/"\"auto\"",
           "auto (ReLU FFNs with at most max-tokens tokens), always (every "
           "ReLU FFN) or never">,
    Option<"maxTokens", "max-tokens", "int64_t", /*default=*/"1",
           "largest token count auto applies the rewrite to">,
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"16",
           "f32 lanes in a native vector register (16: AVX-512, 8: AVX2)">,
    Option<"remarks", "remarks", "bool", /*default=*/"false",
           "Emit a remark for every FFN that gets the rewrite">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect",
  ];
}

#endif // FFN_CONVERSION_PASSES_TD
