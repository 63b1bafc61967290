//===- FFNOps.td - ffn dialect operations ------------------*- tablegen -*-===//
//
// Operations of the ffn dialect: linear layers, activations, norms and the
// FFN block `ffn.mlp`.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_DIALECT_FFN_IR_FFNOPS_TD
#define FFN_DIALECT_FFN_IR_FFNOPS_TD

include "ffn/Dialect/FFN/IR/FFNDialect.td"
include "ffn/Dialect/FFN/IR/FFNAttrs.td"
include "mlir/IR/OpAsmInterface.td"
include "mlir/IR/RegionKindInterface.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def FFN_FloatTensor : RankedTensorOf<[AnyFloat]>;
def FFN_Vector : 1DTensorOf<[AnyFloat]>;
def FFN_Matrix : 2DTensorOf<[AnyFloat]>;

//===----------------------------------------------------------------------===//
// Linear layers
//===----------------------------------------------------------------------===//

def FFN_LinearOp : FFN_Op<"linear", [Pure]> {
  let summary = "Linear layer y = x · Wᵀ + b in the PyTorch weight layout";
  let description = [{
    Applies a dense linear layer to the last dimension of `input`. The weight
    is stored as PyTorch and ONNX exporters store it, `[out, in]`, so the op
    computes `y[..., o] = sum_i x[..., i] * W[o, i] + b[o]`. The bias is
    optional. Leading dimensions of `input` are token dimensions and are kept.

    ```mlir
    %y = ffn.linear %x, %w, %b
        : (tensor<128x768xf32>, tensor<3072x768xf32>, tensor<3072xf32>)
          -> tensor<128x3072xf32>
    %z = ffn.linear %x, %w : (tensor<2x7x40xf32>, tensor<100x40xf32>)
          -> tensor<2x7x100xf32>
    ```
  }];
  let arguments = (ins FFN_FloatTensor:$input, FFN_Matrix:$weight,
                       Optional<FFN_Vector>:$bias);
  let results = (outs FFN_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, $result)
  }];
  let extraClassDeclaration = [{
    /// Input features (the weight's second dimension).
    int64_t getInFeatures() { return getWeight().getType().getDimSize(1); }
    /// Output features (the weight's first dimension).
    int64_t getOutFeatures() { return getWeight().getType().getDimSize(0); }
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def FFN_BlockDiagLinearOp : FFN_Op<"block_diag_linear", [Pure]> {
  let summary = "Linear layer with a block-diagonal weight, channels permuted";
  let description = [{
    A linear layer whose `[out, in]` weight is block-diagonal with `K`
    blocks of `[out/K, in/K]`, stored as one `[K, out/K, in/K]` tensor:
    block `k` maps input channels `[k in/K, (k+1) in/K)` to output channels
    `[k out/K, (k+1) out/K)`. It costs `1/K` of the dense linear's FLOPs.

    Two optional channel permutations let a weight that is block-diagonal
    only after reordering its channels keep the model's channel order:
    `input_permutation` (`in` indices) gathers the input channels first,
    `output_permutation` (`out` indices) gathers the block product's
    channels, and the bias `[out]` is added last, in the output's order.
    In numpy terms:

    ```
    xp = x[..., input_permutation]             # identity when absent
    z[..., k, :] = xp[..., k, :] @ weight[k].T # both as [..., K, n/K]
    y = z[..., output_permutation] + bias      # identity / 0 when absent
    ```

    ```mlir
    %y = ffn.block_diag_linear %x, %w, %b
        {input_permutation = array<i64: 2, 0, 3, 1>}
        : (tensor<16x4xf32>, tensor<2x3x2xf32>, tensor<6xf32>)
          -> tensor<16x6xf32>
    ```
  }];
  let arguments = (ins FFN_FloatTensor:$input, 3DTensorOf<[AnyFloat]>:$weight,
                       Optional<FFN_Vector>:$bias,
                       OptionalAttr<DenseI64ArrayAttr>:$input_permutation,
                       OptionalAttr<DenseI64ArrayAttr>:$output_permutation);
  let results = (outs FFN_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, $result)
  }];
  let extraClassDeclaration = [{
    /// Number of diagonal blocks (the weight's first dimension).
    int64_t getNumBlocks() { return getWeight().getType().getDimSize(0); }
    /// Input features of the whole layer.
    int64_t getInFeatures() {
      return getNumBlocks() * getWeight().getType().getDimSize(2);
    }
    /// Output features of the whole layer.
    int64_t getOutFeatures() {
      return getNumBlocks() * getWeight().getType().getDimSize(1);
    }
  }];
  let hasVerifier = 1;
}

def FFN_BlockSparseLinearOp : FFN_Op<"block_sparse_linear", [Pure]> {
  let summary = "Linear layer whose weight keeps M blocks per block row";
  let description = [{
    A linear layer whose `[out, in]` weight is block-sparse: split into
    blocks of `Bo x Bi` (output x input channels), every block row `r`
    (output channels `[r Bo, (r+1) Bo)`) keeps the same number `M` of
    blocks, and every other block is zero. `values` `[out/Bo, M, Bi, Bo]`
    holds the kept blocks transposed (input channel major) and
    `block_columns` `[out/Bo, M]` (i32) the input block index of each:

    ```
    y[..., r Bo + o] = sum_j sum_c x[..., block_columns[r, j] Bi + c]
                                   * values[r, j, c, o]    + bias[r Bo + o]
    ```

    It costs `M Bi / in` of the dense linear's FLOPs. `in_features` is the
    width of `x` (the number of input blocks is not in the operand shapes).
    Block indices must lie in `[0, in/Bi)`; they are not checked at run
    time.

    ```mlir
    %y = ffn.block_sparse_linear %x, %values, %cols, %b {in_features = 64}
        : (tensor<16x64xf32>, tensor<4x2x16x8xf32>, tensor<4x2xi32>,
           tensor<32xf32>) -> tensor<16x32xf32>
    ```
  }];
  let arguments = (ins FFN_FloatTensor:$input, 4DTensorOf<[AnyFloat]>:$values,
                       2DTensorOf<[I32]>:$block_columns,
                       Optional<FFN_Vector>:$bias, I64Attr:$in_features);
  let results = (outs FFN_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $values `,` $block_columns (`,` $bias^)? attr-dict `:`
    functional-type(operands, $result)
  }];
  let extraClassDeclaration = [{
    /// Input channels of one block.
    int64_t getBlockInSize() { return getValues().getType().getDimSize(2); }
    /// Output channels of one block.
    int64_t getBlockOutSize() { return getValues().getType().getDimSize(3); }
    /// Blocks kept in every block row.
    int64_t getBlocksPerRow() { return getValues().getType().getDimSize(1); }
    /// Output features of the layer.
    int64_t getOutFeatures() {
      return getValues().getType().getDimSize(0) * getBlockOutSize();
    }
    /// Multiply-adds per token.
    int64_t getMacsPerRow() { return getValues().getType().getNumElements(); }
  }];
  let hasVerifier = 1;
}

def FFN_CsrLinearOp : FFN_Op<"csr_linear", [Pure]> {
  let summary = "Linear layer with a sparse weight in compressed rows";
  let description = [{
    A linear layer whose `[out, in]` weight is stored in compressed sparse
    rows: output channel `o` has the non-zero weights
    `values[row_offsets[o] : row_offsets[o+1]]` at the input channels
    `columns[...]` (same range; both i32). Unstructured and N:M (2:4)
    magnitude pruning produce it.

    ```
    y[..., o] = sum_{p in [row_offsets[o], row_offsets[o+1])}
                    values[p] * x[..., columns[p]]          + bias[o]
    ```

    It costs `nnz / (out in)` of the dense linear's FLOPs. `in_features` is
    the width of `x`. Offsets must be non-decreasing within
    `[0, nnz]` and columns within `[0, in)`; they are not checked at run
    time.

    ```mlir
    %y = ffn.csr_linear %x, %offsets, %columns, %values {in_features = 8}
        : (tensor<4x8xf32>, tensor<5xi32>, tensor<10xi32>, tensor<10xf32>)
          -> tensor<4x4xf32>
    ```
  }];
  let arguments = (ins FFN_FloatTensor:$input, 1DTensorOf<[I32]>:$row_offsets,
                       1DTensorOf<[I32]>:$columns, FFN_Vector:$values,
                       Optional<FFN_Vector>:$bias, I64Attr:$in_features);
  let results = (outs FFN_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $row_offsets `,` $columns `,` $values (`,` $bias^)? attr-dict
    `:` functional-type(operands, $result)
  }];
  let extraClassDeclaration = [{
    /// Output features of the layer.
    int64_t getOutFeatures() {
      return getRowOffsets().getType().getDimSize(0) - 1;
    }
    /// Multiply-adds per token (the stored non-zeros).
    int64_t getMacsPerRow() { return getValues().getType().getDimSize(0); }
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

class FFN_ActivationOp<string mnemonic, list<Trait> traits = []>
    : FFN_Op<mnemonic, !listconcat(traits, [Pure, Elementwise,
                                            SameOperandsAndResultType])> {
  let results = (outs FFN_FloatTensor:$result);
}

def FFN_GeluOp : FFN_ActivationOp<"gelu"> {
  let summary = "Gaussian error linear unit, erf or tanh form";
  let description = [{
    `gelu(x) = 0.5 x (1 + erf(x / sqrt(2)))`, or with `approximate<tanh>`
    `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))` as GPT-2 uses it.

    ```mlir
    %a = ffn.gelu %h : tensor<128x3072xf32>
    %b = ffn.gelu %h approximate<tanh> : tensor<128x3072xf32>
    ```
  }];
  let arguments = (ins FFN_FloatTensor:$input,
      DefaultValuedAttr<FFN_GeluApproximationAttr,
                        "::mlir::ffn::GeluApproximation::none">:$approximate);
  let assemblyFormat = [{
    $input (`approximate` `` $approximate^)? attr-dict `:` type($result)
  }];
}

def FFN_SiluOp : FFN_ActivationOp<"silu"> {
  let summary = "Sigmoid linear unit (swish): x * sigmoid(x)";
  let description = [{
    ```mlir
    %a = ffn.silu %g : tensor<16x2816xf32>
    ```
  }];
  let arguments = (ins FFN_FloatTensor:$input);
  let assemblyFormat = "$input attr-dict `:` type($result)";
}

def FFN_ReluOp : FFN_ActivationOp<"relu"> {
  let summary = "Rectified linear unit: max(x, 0)";
  let description = [{
    ```mlir
    %a = ffn.relu %h : tensor<128x3072xf32>
    ```
  }];
  let arguments = (ins FFN_FloatTensor:$input);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Norms
//===----------------------------------------------------------------------===//

def FFN_LayerNormOp : FFN_Op<"layer_norm", [Pure, AttrSizedOperandSegments]> {
  let summary = "Layer normalisation over the last dimension";
  let description = [{
    `y = (x - mean(x)) / sqrt(var(x) + epsilon) * scale + bias`, with mean and
    (biased) variance taken over the last dimension. `scale` and `bias` are
    optional so that folding them into the next linear layer leaves a plain
    normalisation.

    ```mlir
    %n = ffn.layer_norm %x scale %g bias %b {epsilon = 1.0e-12 : f32}
        : (tensor<128x768xf32>, tensor<768xf32>, tensor<768xf32>)
          -> tensor<128x768xf32>
    ```
  }];
  let arguments = (ins FFN_FloatTensor:$input, Optional<FFN_Vector>:$scale,
                       Optional<FFN_Vector>:$bias,
                       DefaultValuedAttr<F32Attr, "1.0e-5f">:$epsilon);
  let results = (outs FFN_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`scale` $scale^)? (`bias` $bias^)? attr-dict `:`
    functional-type(operands, $result)
  }];
  let hasVerifier = 1;
}

def FFN_RMSNormOp : FFN_Op<"rms_norm", [Pure]> {
  let summary = "Root-mean-square normalisation over the last dimension";
  let description = [{
    `y = x / sqrt(mean(x^2) + epsilon) * scale` over the last dimension, as in
    Llama. `scale` is optional.

    ```mlir
    %n = ffn.rms_norm %x scale %g {epsilon = 1.0e-06 : f32}
        : (tensor<16x1024xf32>, tensor<1024xf32>) -> tensor<16x1024xf32>
    ```
  }];
  let arguments = (ins FFN_FloatTensor:$input, Optional<FFN_Vector>:$scale,
                       DefaultValuedAttr<F32Attr, "1.0e-5f">:$epsilon);
  let results = (outs FFN_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`scale` $scale^)? attr-dict `:` functional-type(operands, $result)
  }];
  let hasVerifier = 1;
}

def FFN_BatchNormOp : FFN_Op<"batch_norm", [Pure]> {
  let summary = "Batch normalisation in inference form, channels last";
  let description = [{
    `y = (x - mean) / sqrt(variance + epsilon) * scale + bias` with per-channel
    running statistics. Channels are the last dimension (token-major layout,
    as RePaViT-style FFNs use it); the importer transposes ONNX's
    channels-first form where needed.

    ```mlir
    %n = ffn.batch_norm %x, %s, %b, %m, %v {epsilon = 1.0e-05 : f32}
        : (tensor<197x384xf32>, tensor<384xf32>, tensor<384xf32>,
           tensor<384xf32>, tensor<384xf32>) -> tensor<197x384xf32>
    ```
  }];
  let arguments = (ins FFN_FloatTensor:$input, FFN_Vector:$scale,
                       FFN_Vector:$bias, FFN_Vector:$mean, FFN_Vector:$variance,
                       DefaultValuedAttr<F32Attr, "1.0e-5f">:$epsilon);
  let results = (outs FFN_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale `,` $bias `,` $mean `,` $variance attr-dict `:`
    functional-type(operands, $result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// The FFN block
//===----------------------------------------------------------------------===//

def FFN_MlpOp : FFN_Op<"mlp", [IsolatedFromAbove, SingleBlock,
                               RecursiveMemoryEffects,
                               RecursivelySpeculatable]> {
  let summary = "A transformer feed-forward network as one unit";
  let description = [{
    The FFN block: the unit every FFN rewrite acts on and that the report
    lists. The first operand is the token activation `x`; the other operands
    are the FFN's parameters (weights and biases). The body is a single block
    whose arguments are the operands in order; it computes the FFN from them
    with ordinary ops (ffn linears and activations, arith on tensors, and any
    structured forms later rewrites produce) and ends in `ffn.yield`. The
    region is isolated from above, so the block sees its parameters only
    through its arguments, and the result has the type of `x`: an FFN maps the
    model width back to itself.

    Encoder form (BERT, ViT, GPT-2):

    ```mlir
    %y = ffn.mlp(%x, %w1, %b1, %w2, %b2) : (tensor<128x768xf32>,
        tensor<3072x768xf32>, tensor<3072xf32>, tensor<768x3072xf32>,
        tensor<768xf32>) -> tensor<128x768xf32> {
    ^bb0(%a: tensor<128x768xf32>, %p1: tensor<3072x768xf32>,
         %q1: tensor<3072xf32>, %p2: tensor<768x3072xf32>, %q2: tensor<768xf32>):
      %h = ffn.linear %a, %p1, %q1 : (tensor<128x768xf32>, tensor<3072x768xf32>,
          tensor<3072xf32>) -> tensor<128x3072xf32>
      %g = ffn.gelu %h : tensor<128x3072xf32>
      %o = ffn.linear %g, %p2, %q2 : (tensor<128x3072xf32>, tensor<768x3072xf32>,
          tensor<768xf32>) -> tensor<128x768xf32>
      ffn.yield %o : tensor<128x768xf32>
    }
    ```

    The gated form (Llama) computes `silu(x Wgᵀ) * (x Wuᵀ)` with `arith.mulf`
    and projects it down with a third linear.
  }];
  let arguments = (ins Variadic<AnyRankedTensor>:$args);
  let results = (outs FFN_FloatTensor:$result);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    `(` $args `)` attr-dict `:` functional-type($args, $result) $body
  }];
  let extraClassDeclaration = [{
    /// The token activation the FFN is applied to.
    ::mlir::Value getInput() { return getArgs().front(); }
    /// The FFN's weights and biases.
    ::mlir::OperandRange getParams() { return getArgs().drop_front(); }
    /// The terminator of the body.
    YieldOp getYield();
    /// The form of the block, derived from its body.
    MlpKind getKind();
  }];
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
  let hasCanonicalizer = 1;
}

def FFN_YieldOp : FFN_Op<"yield", [Pure, Terminator, ReturnLike,
                                   HasParent<"MlpOp">]> {
  let summary = "Terminates the body of ffn.mlp with the FFN's output";
  let description = [{
    ```mlir
    ffn.yield %o : tensor<128x768xf32>
    ```
  }];
  let arguments = (ins FFN_FloatTensor:$value);
  let assemblyFormat = "$value attr-dict `:` type($value)";
}

#endif // FFN_DIALECT_FFN_IR_FFNOPS_TD
