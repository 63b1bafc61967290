//===- Passes.td - ffn dialect transformations -------------*- tablegen -*-===//
//
// Passes that work at the ffn level: raising the generic graph an importer
// produces (arith/math on tensors, linalg reductions and broadcasts) to ffn
// linears, activations, norms and FFN blocks.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_DIALECT_FFN_TRANSFORMS_PASSES_TD
#define FFN_DIALECT_FFN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

/// The option every raising pass has: explain why patterns did not match.
defvar RemarkFailuresOption =
    Option<"remarkFailures", "remark-failures", "bool", /*default=*/"false",
           "Emit a remark with the reason of every failed match">;

//===----------------------------------------------------------------------===//
// Exact rewrites
//===----------------------------------------------------------------------===//

def DedupWeights : Pass<"ffn-dedup-weights"> {
  let summary = "Store identical weight constants once";
  let description = [{
    Tensor constants (`dense_resource` blobs and dense attributes) with the
    same type and the same bytes become one constant, so a weight shared by
    several linears or `ffn.mlp` blocks (ALBERT-style sharing, or an exporter
    that duplicated an initializer) is stored, transposed and packed once.
    Candidates are grouped by a hash of their bytes and compared exactly on
    a hash hit; the first constant of a block is kept and the later copies
    in the same block are replaced by it. Splat attributes are left to CSE.
    Same bytes with a different shape or element type stay distinct.

    Every `ffn.mlp` that reads a merged constant records `dedup-weights` for
    the FFN report (its own parameter count is unchanged; the report's total
    counts distinct parameters); a block that receives the same constant
    twice gets one parameter for it. Run it after the rewrites that compute
    new weights, so their identical results merge too.
  }];
  let dependentDialects = ["::mlir::ffn::FFNDialect"];
  let statistics = [
    Statistic<"numMerged", "merged-constants",
              "Constants replaced by an identical one">,
  ];
}

def FoldNorms : Pass<"ffn-fold-norms"> {
  let summary = "Fold norm affine parameters and LayerScale into FFN linears";
  let description = [{
    Moves constant per-channel affine maps next to an `ffn.mlp` into the
    weights of its linears, removing elementwise passes over the activations.
    Exact up to fp32 round-off.

    - `ffn.layer_norm` / `ffn.rms_norm` with constant `scale` `g` (and
      `bias` `b`) whose result is used only as the input of `ffn.mlp` ops:
      the norm loses `scale` and `bias`, and every linear of those blocks
      that reads the block's input gets `W' = W diag(g)` and
      `c' = c + W b` (a bias is created when `b` is non-zero).
    - `ffn.batch_norm` with constant statistics, used the same way, is
      affine: `n = x s + t` with `s = scale / sqrt(variance + eps)` and
      `t = bias - mean s` fold entirely and the op disappears.
    - LayerScale: `arith.mulf(ffn.mlp(...), gamma)` with a constant
      per-feature (or splat) `gamma` and a block ending in a linear folds
      into that linear's rows: `W2' = diag(gamma) W2`, `b2' = gamma b2`.

    Nothing folds when a parameter or weight is not an f32 constant, when
    the normalised value (or the block's result, for LayerScale) has another
    user, or when the block's input is used by anything but linears. The new
    weights are resource constants passed as new operands of the block;
    each changed block records `fold-norms` for the FFN report.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::ffn::FFNDialect",
  ];
  let options = [RemarkFailuresOption];
}

def FuseHorizontal : Pass<"ffn-fuse-horizontal"> {
  let summary = "Fuse linears that read the same input into one wider linear";
  let description = [{
    Linears in one block that read the same value with constant f32 weights
    (the gate and up projections of a gated FFN; Q/K/V-style siblings at the
    top level of a function) become one `ffn.linear` whose weight is their
    weights concatenated along the output dimension, followed by one
    `tensor.extract_slice` per original linear along the last dimension.
    Biases are concatenated; a missing bias counts as zeros when another
    linear of the group has one. One wider GEMM reads the input once.

    A linear takes part only when its result has a single user (the slice
    then stays a view its consumer reads in place) and its result type is
    static. Inside an `ffn.mlp` the fused weight becomes a new operand of
    the block and the block records `fuse-horizontal` for the FFN report.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::ffn::FFNDialect",
    "::mlir::tensor::TensorDialect",
  ];
  let options = [RemarkFailuresOption];
}

def PermuteNeurons : Pass<"ffn-permute-neurons"> {
  let summary = "Sort the hidden neurons of FFN blocks by importance";
  let description = [{
    Reorders the hidden neurons of every encoder and gated `ffn.mlp` by a
    descending importance score: the rows of the up (and gate) weight and
    the matching bias entries, and the columns of the down weight (in the
    `[out, in]` layout of `ffn.linear`), all with the same permutation. The
    activation is elementwise and the down projection sums over the
    neurons, so the block computes the same function; only the order of the
    fp32 sums changes.

    Score `weight-norm` (the default): for neuron `j`,
    `|W1[j, :]| * |W2[:, j]|` (encoder) or `|Wg[j, :]| * |Wu[j, :]| *
    |Wd[:, j]|` (gated), with `|.|` the L2 norm; ties keep their order.
    `none` leaves every block as it is.

    Each recognised block gets `ffn.neuron_importance`, a
    `tensor<Hxf32>` of the scores in the new (descending) order: neuron `j`
    of the block is the `j`-th most important, which width slicing and
    block-diagonal rewrites rely on. A block whose neurons were already in
    order gets the attribute only; a permuted one also records
    `permute-neurons` for the FFN report.

    Blocks of any other form (channel-idle RePaViT FFNs, whose channel
    order matters; blocks after horizontal fusion; structured forms) and
    blocks whose weights are not f32 constants or are used twice in the
    body are left alone; `remark-failures` says why.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::ffn::FFNDialect",
  ];
  let options = [
    RemarkFailuresOption,
    Option<"score", "score", "std::string", /*default=*/"\"weight-norm\"",
           "Importance score: weight-norm or none">,
  ];
}

def RepavitReparam : Pass<"ffn-repavit-reparam"> {
  let summary = "Reparameterise channel-idle (RePaViT) FFNs";
  let description = [{
    A channel-idle `ffn.mlp` applies its activation to one run of hidden
    channels `a` and passes one run `l` through linearly:
    `y = W2a act(W1a x + b1a) + W2l (W1l x + b1l) + b2`. The linear branch
    collapses into one `D x D` matrix:

    - with a residual `arith.addf(x, ffn.mlp(x))` (either operand order,
      the block's result used only there) the add is merged and the new
      block replaces it:
      `y = W2a act(W1a x + b1a) + (I + W2l W1l) x + c`;
    - without one, `y = W2a act(W1a x + b1a) + (W2l W1l) x + c`;

    with `c = W2l b1l + b2`. The products are computed at compile time in
    double precision and stored as resource constants. With `k` active of
    `H` hidden channels the block's multiply-adds per token go from `2DH`
    to `2Dk + D^2` (8D^2 to 3D^2 at H = 4D, k = H/4). The two linears that
    read `x` are left for `ffn-fuse-horizontal` to fuse into one GEMM.

    Nothing changes when the active (or idle) channels are not a single
    contiguous run, when a weight or bias is not an f32 constant, or when an
    intermediate value of the block has another user. A rewritten block
    keeps its discardable attributes and records `repavit-reparam` for the
    FFN report.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::ffn::FFNDialect",
  ];
  let options = [RemarkFailuresOption];
}

//===----------------------------------------------------------------------===//
// Raising
//===----------------------------------------------------------------------===//

def RaiseActivations : Pass<"ffn-raise-activations"> {
  let summary = "Recognise decomposed GELU and SiLU as ffn activations";
  let description = [{
    Replaces the elementwise forms exporters emit by `ffn.gelu`,
    `ffn.gelu approximate<tanh>` and `ffn.silu`:

    - GELU, erf form: the product of `x`, `0.5` and `1 + erf(x / sqrt(2))`
      in any association and operand order, with `x / sqrt(2)` written as a
      division or as a multiplication by `0.70710678`, and `0.5` as a factor
      or a division by 2.
    - GELU, tanh form: the product of `x`, `0.5` and
      `1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3))`, with `x^3` as
      `math.powf(x, 3)` or `x * x * x`.
    - SiLU: `x * sigmoid(x)` and `x / (1 + exp(-x))`, with `sigmoid(x)` as
      `1 / (1 + exp(-x))`.

    Scalar constants are splats (seen through `linalg.broadcast`, reshapes
    and `linalg.fill`) and match with a relative tolerance of 1e-6. A
    pattern does not fire when one of its intermediate values has a user
    outside the pattern.
  }];
  let dependentDialects = ["::mlir::ffn::FFNDialect"];
  let options = [RemarkFailuresOption];
}

def RaiseLinear : Pass<"ffn-raise-linear"> {
  let summary = "Fold bias additions and constant scales into ffn.linear";
  let description = [{
    `arith.addf(ffn.linear(x, W), b)` becomes `ffn.linear(x, W, b)` when the
    linear has no bias and no other user and `b` is a constant 1-D vector
    broadcast over the leading dimensions (`linalg.broadcast`, possibly after
    reshapes that drop unit dimensions) or a splat constant. Either operand
    order. Non-constant addends stay additions: with a single token a
    residual looks like a bias row.

    `ffn.linear(x, W, b) * c` and `ffn.linear(x, W, b) / c` with a splat
    constant `c` and f32 constant `W` (and `b`) become a linear over the
    scaled weights.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::ffn::FFNDialect",
    "::mlir::tensor::TensorDialect",
  ];
  let options = [RemarkFailuresOption];
}

def RaiseMlp : Pass<"ffn-raise-mlp"> {
  let summary = "Outline transformer feed-forward networks into ffn.mlp";
  let description = [{
    Finds the two FFN shapes and moves each into one `ffn.mlp` block:

    - encoder: `ffn.linear(act(ffn.linear(x, W1, b1)), W2, b2)`;
    - gated: `ffn.linear(act(ffn.linear(x, Wg)) * ffn.linear(x, Wu), Wd)`,
      with the product in either order; the projection with the activation
      is the gate;

    - channel-idle (RePaViT): `ffn.linear(join(act(h[.., a]), h[.., l]),
      W2, b2)` with `h = ffn.linear(x, W1, b1)` cut along its channels by
      `tensor.extract_slice` and joined by `tensor.concat` or an
      `tensor.insert_slice` chain, the runs partitioning the channels;

    where `act` is `ffn.gelu`, `ffn.silu` or `ffn.relu`, biases are
    optional, and every intermediate value has no user outside the FFN. The
    block's operands are `x` then the weights and biases of the linears in
    order (up or gate, up, down). Norms and residual additions stay outside.
    Linears already inside an `ffn.mlp` are left alone.
  }];
  let dependentDialects = ["::mlir::ffn::FFNDialect"];
  let options = [RemarkFailuresOption];
}

def RaiseNorms : Pass<"ffn-raise-norms"> {
  let summary = "Recognise decomposed RMSNorm and LayerNorm";
  let description = [{
    Matches normalisations over the last dimension written with
    elementwise ops, sum reductions (`linalg.reduce` or a reducing
    `linalg.generic`) divided by the reduced size, and per-row broadcasts:

    - RMSNorm: `x / sqrt(mean(x^2) + eps)`, `x * rsqrt(mean(x^2) + eps)`
      and `x * (1 / sqrt(mean(x^2) + eps))`, with `x^2` as
      `math.powf(x, 2)` or `x * x`, becomes `ffn.rms_norm`;
    - LayerNorm: the same with `d = x - mean(x)` in place of `x` becomes
      `ffn.layer_norm`.

    A following multiplication by a constant per-feature vector (broadcast
    over the leading dimensions) becomes the norm's scale, and for LayerNorm
    an addition of one its bias; `(norm + b) * g` keeps its multiplication.

    Intermediate values with users outside the pattern block the match.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::ffn::FFNDialect",
    "::mlir::tensor::TensorDialect",
  ];
  let options = [RemarkFailuresOption];
}

#endif // FFN_DIALECT_FFN_TRANSFORMS_PASSES_TD
