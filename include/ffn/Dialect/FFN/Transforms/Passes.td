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
// Approximate rewrites
//===----------------------------------------------------------------------===//

def BlockDiag : Pass<"ffn-block-diag"> {
  let summary = "Project FFN weights onto K diagonal blocks after permutations";
  let description = [{
    Rewrites every encoder-form `ffn.mlp`, `act(x W1ᵀ + b1) W2ᵀ + b2` with
    f32 constant weights, into two `ffn.block_diag_linear` ops with `K`
    (`blocks`) diagonal blocks each, cutting the linear FLOPs to `1/K`:

    - the hidden neurons are permuted freely (rows of `W1` and `b1`,
      columns of `W2`);
    - the model-width channels are not: the first linear gathers its input
      channels (`input_permutation`) and the second gathers its output
      channels back into the model's order (`output_permutation`), an
      `O(T D)` copy each, merged into the transpositions the lowering does
      anyway.

    Exact case: when the non-zero pattern (`|w| > 0`) of `W1` and `W2`, seen
    as a graph over input channels, hidden neurons and output channels,
    splits into connected components that can be packed into `K` groups of
    `D/K` inputs, `H/K` neurons and `D/K` outputs (first-fit decreasing),
    the rewrite drops only zeros: the block gets `ffn.block_diag_exact`.

    Otherwise, the groups come from a balanced alternating clustering that
    maximises the weight energy (sum of squares) kept on the diagonal
    blocks: starting from contiguous groups, each neuron is assigned to the
    group whose input and output channels carry most of its energy in `W1`
    and `W2`, then each input (output) channel to the group whose neurons
    draw most of its energy, greedily by decreasing energy under equal
    group sizes; at most `iterations` rounds, stopping at the first that
    keeps no more energy. Off-diagonal entries are dropped.

    Either way the relative error of the block's output is measured with
    the block evaluator on `calibration-rows` random N(0, 1) rows (before
    against after) and recorded for the FFN report with `block-diag`; the
    kept energy fraction is stored as `ffn.block_diag_energy`. `K` must be
    at least 2 and divide the model width and the hidden width of every
    rewritten block, else the pass fails with an error at the block. Gated
    and other blocks are left alone (`remark-failures` says why).

    A block carrying `ffn.block_diag` (i64) is rewritten with that number
    of blocks instead of `blocks` (1: left alone); ffn-compile's error
    budget sets it per FFN.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::ffn::FFNDialect",
  ];
  let options = [
    RemarkFailuresOption,
    Option<"blocks", "blocks", "int64_t", /*default=*/"4",
           "Number of diagonal blocks K (>= 2)">,
    Option<"iterations", "iterations", "int64_t", /*default=*/"8",
           "Rounds of the alternating clustering (approximate case)">,
    Option<"calibrationRows", "calibration-rows", "int64_t",
           /*default=*/"64",
           "Random token rows the error of each block is measured on">,
  ];
}

def FFNFusion : Pass<"ffn-fusion"> {
  let summary = "Fuse runs of consecutive residual FFNs into one wide FFN";
  let description = [{
    FFN Fusion (Llama-Nemotron, 2025), an approximate rewrite: a run of
    residual FFN blocks with nothing between them,
    `x_{i+1} = x_i + F_i(norm(x_i))` for i = 0 .. L-1, becomes
    `x_L = x_0 + sum_i F_i(norm(x_0))`, in which every block reads the run's
    first input. The sum is exactly one wide `ffn.mlp`: the blocks' up (and
    gate) weights and biases stacked by rows, their down weights side by
    side, their output biases summed; the first block of the run becomes
    that wide block and the others go away.

    A run links blocks of the same form: the same normalisation (an
    `ffn.layer_norm` or `ffn.rms_norm` without scale and bias, what
    ffn-fold-norms leaves, with the same epsilon; or none), the same kind
    and body (activation, biases), f32 constant parameters; the output of
    each block feeds only the next block's normalisation and its residual
    add. Runs hold at most `max-run` blocks (0: no limit); a block carrying
    `ffn.fusion_max_run` (i64) caps the run that starts at it instead (1:
    no run starts there); ffn-compile sets it for its error budget and for
    `--ffn-fusion=auto`, whose runs it measures on calibration data
    (`findFusionChains` in FFNFusion.h gives it the chains).

    The approximation's error is measured on `calibration-rows` random
    N(0, 1) rows: the run applied sequentially against the fused block, on
    the run's summed FFN output `x_L - x_0`, and recorded with `ffn-fusion`
    for the FFN report on the fused block, which also lists the report ids
    of the blocks it absorbed (`ffn.fused_report_ids`).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::ffn::FFNDialect",
  ];
  let options = [
    RemarkFailuresOption,
    Option<"maxRun", "max-run", "int64_t", /*default=*/"0",
           "Most blocks fused into one (0: no limit)">,
    Option<"calibrationRows", "calibration-rows", "int64_t",
           /*default=*/"64",
           "Random token rows the error of each run is measured on">,
  ];
}

def LowRank : Pass<"ffn-lowrank"> {
  let summary = "Factor FFN weights into two thin matrices (truncated SVD)";
  let description = [{
    Every `ffn.linear` in an `ffn.mlp` whose weight `W` (`[m, n]` = `[out,
    in]`) is an f32 constant is factored by its SVD, computed at compile
    time in double precision with LAPACKE: `W ~= A B` with
    `A = U_r S_r^1/2` (`[m, r]`) and `B = S_r^1/2 V_rᵀ` (`[r, n]`), and the
    linear `x Wᵀ + b` becomes `t = x Bᵀ`, `y = t Aᵀ + b`. The factors are
    new resource constants passed to the block. The rank per matrix:

    - `mode=energy value=E`: the smallest `r` keeping `sum_{i<=r} s_i^2 >=
      E sum_i s_i^2`;
    - `mode=rank value=R`: `r = R` (at most `min(m, n)`);
    - `mode=flops value=F`: ranks for all matrices of the block such that
      its linear FLOPs are at most `F` times the dense ones, discarding the
      least relative energy: every matrix starts at rank 1, then a greedy
      step repeatedly takes the next singular value (or turns a matrix
      dense once the rank would give no saving) with the most relative
      energy `s_i^2 / |W|_F^2` per FLOP that still fits the budget.

    A matrix whose rank gives no saving (`r >= mn / (m + n)`) stays dense.
    Each block gets `ffn.lowrank_ranks`, the ranks of its constant-weight
    linears in body order (-1: dense); when at least one matrix was
    factored it also records `lowrank` and the relative error of the
    block's output measured on `calibration-rows` random N(0, 1) token rows
    (the block evaluator, before against after) for the FFN report. A block
    the evaluator cannot interpret is left alone with a warning.

    Activation-aware variant: on a block carrying `ffn.input_scale` (a scale
    `s` per input feature from calibration data; ffn-compile uses the square
    root of each feature's root mean square), the
    linears reading the block's input are factored from the SVD of
    `W diag(s)` (the factor B is scaled back by `diag(1/s)`), so that the
    ranks trade the error of the outputs `|X (W - A B)ᵀ|` on such inputs
    rather than that of the weights; the energy fractions are then those of
    the scaled matrix. ffn-compile sets the attribute from its calibration
    inputs.

    A block carrying `ffn.lowrank` (a string, `MODE:VALUE` or `none`) is
    factored with that setting instead of the options; ffn-compile's error
    budget sets it per FFN.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::ffn::FFNDialect",
  ];
  let options = [
    RemarkFailuresOption,
    Option<"mode", "mode", "std::string", /*default=*/"\"energy\"",
           "How ranks are chosen: energy, rank or flops">,
    Option<"value", "value", "double", /*default=*/"0.99",
           "The kept energy fraction (energy), the rank (rank) or the kept "
           "FLOP fraction (flops)">,
    Option<"calibrationRows", "calibration-rows", "int64_t",
           /*default=*/"64",
           "Random token rows the error of each block is measured on">,
    Option<"remarkRanks", "remark-ranks", "bool", /*default=*/"false",
           "Emit a remark per block with each matrix's rank and the error">,
  ];
}

def Sparsify : Pass<"ffn-sparsify"> {
  let summary = "Prune FFN weights by magnitude and pack them for sparse kernels";
  let description = [{
    Prunes the constant f32 weight of every `ffn.linear` in every `ffn.mlp`
    by magnitude, with one of three patterns (`sparsity`):

    - `N:M` (`2:4`): in each group of M consecutive input channels of an
      output row, the N largest magnitudes stay;
    - `block:BoxBi:R`: the weight is cut into blocks of Bo output x Bi input
      channels and each block row keeps its `round((1 - R) in / Bi)` blocks
      of largest Frobenius norm (the same count in every row, so that the
      kernel's threads get equal work);
    - `unstructured:R`: the fraction R of the weight with the smallest
      magnitudes is zeroed (one threshold per weight).

    With `pack` (the CPU default), pruned weights become kernels that skip
    the zeros: `block` gives `ffn.block_sparse_linear`, `N:M` and
    `unstructured` give `ffn.csr_linear` when at most `csr-max-density` of
    the weight is kept and a dense `ffn.linear` with the pruned weight
    otherwise: the compressed-row kernel reuses no input load across output
    channels, and on a BERT-base FFN (T=128, AVX2, 2 threads) it was as
    fast as the dense GEMM at about 25% kept, 0.5x at 50% (2:4) and 1.5x at
    10%. 2:4 therefore saves no time on AVX2 CPUs, which have no sparse
    matrix units. Without `pack` (the GPU pipeline), every pruned weight
    stays a dense `ffn.linear`.

    A linear whose shape the pattern does not fit (M or the block size not
    dividing its channels) stays dense; `remark-failures` says so. The
    relative error of each block's output is measured with the block
    evaluator on `calibration-rows` random N(0, 1) rows, before against
    after, and recorded for the FFN report with `sparsity`; the fraction
    of the pruned linears' multiply-adds their kernels still do (1 on the
    dense kernel) is stored as `ffn.sparsity_kept`. When pruning dropped only zeros the block gets
    `ffn.sparsity_exact`.

    A block carrying `ffn.sparsity` (a string: a setting or `none`) is pruned
    with that setting instead of `sparsity`; ffn-compile's error budget sets
    it per FFN.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::ffn::FFNDialect",
  ];
  let options = [
    RemarkFailuresOption,
    Option<"sparsity", "sparsity", "std::string", /*default=*/"\"2:4\"",
           "The pattern: N:M, block:BxB:RATIO or unstructured:RATIO">,
    Option<"pack", "pack", "bool", /*default=*/"true",
           "Pack pruned weights for the sparse CPU kernels">,
    Option<"csrMaxDensity", "csr-max-density", "double", /*default=*/"0.2",
           "The largest kept fraction a weight is packed in compressed rows "
           "at">,
    Option<"calibrationRows", "calibration-rows", "int64_t",
           /*default=*/"64",
           "Random token rows the error of each block is measured on">,
    Option<"remarkSparsity", "remark-sparsity", "bool", /*default=*/"false",
           "Emit a remark per block with each weight's kept fraction, "
           "kernel and the error">,
  ];
}

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
    Option<"reuseWeightBuffers", "reuse-weight-buffers", "bool",
           /*default=*/"false",
           "Write the permuted weights over the originals when nothing else "
           "refers to them (for a module alone with its weights: "
           "ffn-compile)">,
  ];
}

def WidthSlice : Pass<"ffn-width-slice"> {
  let summary = "Keep the most important hidden neurons of FFN blocks";
  let description = [{
    MatFormer-style width slicing, an approximate rewrite: an encoder or
    gated `ffn.mlp` with `H` hidden neurons keeps `m = round(width * H)` of
    them (at least one): the first `m` rows of the up (and gate) weight and
    bias and the first `m` columns of the down weight. Blocks that
    ffn-permute-neurons sorted (they carry `ffn.neuron_importance`) keep
    their first neurons, the most important; other blocks are sorted here
    by the same weight-norm score first. Exact only for models trained to be
    sliced (MatFormer) at a trained width.

    `widths`: one fraction in (0, 1] for every block, or one per block in
    the order of the module; 1 leaves a block dense. The pass measures the
    relative error `|y' - y| / |y|` on the block's output for
    `calibration-rows` random unit-scale rows, records it
    (`ffn.rel_error`) and `width-slice` for the FFN report. Blocks of other
    forms, or with parameters that are not f32 constants, stay as they are;
    `remark-failures` says why.

    A block carrying `ffn.width` (f64) keeps that fraction instead of the
    option's (1.0: left alone); ffn-compile's error budget sets it per FFN.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::ffn::FFNDialect",
  ];
  let options = [
    RemarkFailuresOption,
    ListOption<"widths", "widths", "double",
               "Fraction of hidden neurons kept: one for all blocks, or one "
               "per block">,
    Option<"calibrationRows", "calibration-rows", "int64_t",
           /*default=*/"64", "Random rows the error is measured on">,
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

def ResolveDims : Pass<"ffn-resolve-dims"> {
  let summary = "Read every dynamic size from the function's arguments";
  let description = [{
    Rewrites `tensor.dim` of op results into `tensor.dim` of the operands
    they take that size from, until the sizes come from the function's
    arguments (or ops that define sizes): through elementwise ops on tensors,
    token-wise ffn ops (their leading dimensions are their input's), and the
    upstream ops that reify their result shapes (linalg, tensor). Run before
    raising: a size read from an intermediate value is a use of it, and the
    matchers require single uses.
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
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
