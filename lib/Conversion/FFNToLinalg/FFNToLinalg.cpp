//===- FFNToLinalg.cpp - lower ffn ops to linalg --------------------------===//
//
// Lowers the ffn dialect to linalg on tensors: ffn.mlp bodies are inlined,
// linear layers become linalg.matmul over a compile-time transposed weight
// with the bias as the accumulator's initial value, and activations and norms
// become linalg.generic ops that the CPU pipeline fuses into the GEMM tiles.
//
//===----------------------------------------------------------------------===//

#include "ffn/Conversion/Passes.h"
#include "ffn/Dialect/FFN/IR/FFNOps.h"
#include "ffn/Utils/Weights.h"
#include "LinearLowering.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir {
namespace ffn {
#define GEN_PASS_DEF_CONVERTFFNTOLINALG
#include "ffn/Conversion/Passes.h.inc"
} // namespace ffn
} // namespace mlir

using namespace mlir;
using namespace mlir::ffn;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// An empty tensor with the shape of `like` (dynamic sizes taken from it).
static Value emptyLike(OpBuilder &b, Location loc, Value like) {
  auto type = cast<RankedTensorType>(like.getType());
  return tensor::EmptyOp::create(b, loc,
                                 tensor::getMixedSizes(b, loc, like),
                                 type.getElementType());
}

/// A float constant of type `type`.
static Value floatConst(OpBuilder &b, Location loc, Type type, double value) {
  return arith::ConstantOp::create(b, loc, type, b.getFloatAttr(type, value));
}

/// Indexing map of a per-feature vector read by an op over `rank` dims.
static AffineMap lastDimMap(MLIRContext *ctx, unsigned rank) {
  return AffineMap::get(rank, 0, getAffineDimExpr(rank - 1, ctx));
}

/// Indexing map of a per-row value (everything but the last dim).
static AffineMap rowMap(MLIRContext *ctx, unsigned rank) {
  SmallVector<AffineExpr> exprs;
  for (unsigned d = 0; d + 1 < rank; ++d)
    exprs.push_back(getAffineDimExpr(d, ctx));
  return AffineMap::get(rank, 0, exprs, ctx);
}

/// Builds a parallel linalg.generic producing a tensor shaped like `like`
/// from `inputs` read through `maps` (the output uses the identity).
static Value
buildElementwise(OpBuilder &b, Location loc, Value like, ValueRange inputs,
                 ArrayRef<AffineMap> inputMaps,
                 function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  auto type = cast<RankedTensorType>(like.getType());
  unsigned rank = type.getRank();
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{type}, inputs, ValueRange{emptyLike(b, loc, like)},
      maps, iters, [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value result = body(nb, nl, args.drop_back());
        linalg::YieldOp::create(nb, nl, result);
      });
  return generic.getResult(0);
}

/// Elementwise op over one tensor.
static Value
buildUnary(OpBuilder &b, Location loc, Value x,
           function_ref<Value(OpBuilder &, Location, Value)> body) {
  unsigned rank = cast<RankedTensorType>(x.getType()).getRank();
  return buildElementwise(b, loc, x, x, {b.getMultiDimIdentityMap(rank)},
                          [&](OpBuilder &nb, Location nl, ValueRange a) {
                            return body(nb, nl, a[0]);
                          });
}

/// Sum over the last dimension of `f(x)`: a tensor of rank-1 dims.
static Value
buildRowSum(OpBuilder &b, Location loc, Value x, ValueRange rowInputs,
            function_ref<Value(OpBuilder &, Location, ValueRange)> term) {
  auto type = cast<RankedTensorType>(x.getType());
  unsigned rank = type.getRank();
  Type elt = type.getElementType();
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, x);
  sizes.pop_back();
  Value init = tensor::EmptyOp::create(b, loc, sizes, elt);
  Value zero = floatConst(b, loc, elt, 0.0);
  init = linalg::FillOp::create(b, loc, zero, init).getResult(0);
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps{b.getMultiDimIdentityMap(rank)};
  SmallVector<Value> inputs{x};
  for (Value v : rowInputs) {
    inputs.push_back(v);
    maps.push_back(rowMap(ctx, rank));
  }
  maps.push_back(rowMap(ctx, rank));
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  iters.back() = utils::IteratorType::reduction;
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value t = term(nb, nl, args.drop_back());
        Value sum = arith::AddFOp::create(nb, nl, args.back(), t);
        linalg::YieldOp::create(nb, nl, sum);
      });
  return generic.getResult(0);
}

/// The size of the last dimension of `x` as a float scalar.
static Value lastDimAsFloat(OpBuilder &b, Location loc, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  Type elt = type.getElementType();
  int64_t size = type.getDimSize(type.getRank() - 1);
  if (!ShapedType::isDynamic(size))
    return floatConst(b, loc, elt, static_cast<double>(size));
  Value dim = tensor::DimOp::create(b, loc, x, type.getRank() - 1);
  Value asInt = arith::IndexCastOp::create(b, loc, b.getI64Type(), dim);
  return arith::SIToFPOp::create(b, loc, elt, asInt);
}

//===----------------------------------------------------------------------===//
// ffn.mlp
//===----------------------------------------------------------------------===//

void mlir::ffn::inlineMlpBodies(Operation *root) {
  SmallVector<MlpOp> mlps;
  root->walk([&](MlpOp op) { mlps.push_back(op); });
  IRRewriter rewriter(root->getContext());
  for (MlpOp op : mlps) {
    Block &body = op.getBody().front();
    Value result = op.getYield().getValue();
    // A yielded block argument stands for the matching operand; inlining
    // erases the argument.
    if (auto arg = dyn_cast<BlockArgument>(result); arg && arg.getOwner() == &body)
      result = op.getArgs()[arg.getArgNumber()];
    rewriter.eraseOp(op.getYield());
    rewriter.inlineBlockBefore(&body, op, op.getArgs());
    rewriter.replaceOp(op, result);
  }
}

Value mlir::ffn::transposeWeight(OpBuilder &b, Location loc, Value weight,
                                 const llvm::StringSet<> *reuse) {
  auto wType = cast<RankedTensorType>(weight.getType());
  auto tType = RankedTensorType::get(
      {wType.getDimSize(1), wType.getDimSize(0)}, wType.getElementType());
  DenseElementsAttr dense;
  if (matchPattern(weight, m_Constant(&dense)) && dense.isSplat())
    return arith::ConstantOp::create(b, loc, tType, dense.resizeSplat(tType));
  if (std::optional<WeightData> data = WeightData::fromValue(weight)) {
    int64_t rows = wType.getDimSize(0), cols = wType.getDimSize(1);
    ArrayRef<float> src = data->values();
    std::vector<float> dst(src.size());
    // Blocked transposition keeps both sides cache friendly on big weights.
    constexpr int64_t kBlock = 64;
    for (int64_t r0 = 0; r0 < rows; r0 += kBlock)
      for (int64_t c0 = 0; c0 < cols; c0 += kBlock)
        for (int64_t r = r0, re = std::min(rows, r0 + kBlock); r < re; ++r)
          for (int64_t c = c0, ce = std::min(cols, c0 + kBlock); c < ce; ++c)
            dst[c * rows + r] = src[r * cols + c];
    if (reuse)
      if (Value reused = reuseWeightConstant(b, loc, tType, dst, weight, *reuse))
        return reused;
    return createWeightConstant(b, loc, tType, dst, "weight_t");
  }
  Value init = tensor::EmptyOp::create(
      b, loc,
      SmallVector<OpFoldResult>{tensor::getMixedSize(b, loc, weight, 1),
                                tensor::getMixedSize(b, loc, weight, 0)},
      wType.getElementType());
  return linalg::TransposeOp::create(b, loc, weight, init,
                                     ArrayRef<int64_t>{1, 0})
      .getResult()[0];
}

//===----------------------------------------------------------------------===//
// ffn.linear
//===----------------------------------------------------------------------===//

//===----------------------------------------------------------------------===//
// Token rows and transposed weights (LinearLowering.h)
//===----------------------------------------------------------------------===//

TokenRows mlir::ffn::collapseTokenRows(OpBuilder &b, Location loc, Value x) {
  auto xType = cast<RankedTensorType>(x.getType());
  int64_t rank = xType.getRank();
  TokenRows rows{x, {}};
  if (rank == 1) {
    rows.reassoc = {{0, 1}};
    auto t = RankedTensorType::get({1, xType.getDimSize(0)},
                                   xType.getElementType());
    rows.matrix = tensor::ExpandShapeOp::create(b, loc, t, x, rows.reassoc);
  } else if (rank > 2) {
    ReassociationIndices lead;
    for (int64_t d = 0; d < rank - 1; ++d)
      lead.push_back(d);
    rows.reassoc = {lead, {rank - 1}};
    rows.matrix = tensor::CollapseShapeOp::create(b, loc, x, rows.reassoc);
  }
  return rows;
}

Value mlir::ffn::expandTokenRows(OpBuilder &b, Location loc,
                                 const TokenRows &rows, Value x, Value product,
                                 OpFoldResult n, RankedTensorType resultType) {
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  Value result = product;
  if (rank == 1) {
    result = tensor::CollapseShapeOp::create(b, loc, product, rows.reassoc);
  } else if (rank > 2) {
    // Leading sizes from x, the last from the weight (never from the op
    // being replaced).
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, x);
    sizes.back() = n;
    SmallVector<int64_t> staticSizes;
    SmallVector<Value> dynamicSizes;
    dispatchIndexOpFoldResults(sizes, dynamicSizes, staticSizes);
    auto type = RankedTensorType::get(
        staticSizes, cast<RankedTensorType>(product.getType()).getElementType());
    result = tensor::ExpandShapeOp::create(b, loc, type, product, rows.reassoc,
                                           sizes);
  }
  // The declared result type may be less static than what was computed.
  if (result.getType() != resultType)
    result = tensor::CastOp::create(b, loc, resultType, result);
  return result;
}

namespace {
struct LinearToMatmul : public OpRewritePattern<LinearOp> {
  /// With `reuse` (the blobs one op refers to), transposed weights overwrite
  /// their originals.
  LinearToMatmul(MLIRContext *ctx, const llvm::StringSet<> *reuse = nullptr)
      : OpRewritePattern(ctx, /*benefit=*/reuse ? 2 : 1), reuse(reuse) {}
  const llvm::StringSet<> *reuse;

  LogicalResult matchAndRewrite(LinearOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    Type elt = cast<RankedTensorType>(x.getType()).getElementType();

    // Collapse the token dims into one row dim: [..., in] -> [rows, in].
    TokenRows rows = collapseTokenRows(rewriter, loc, x);
    Value rows2d = rows.matrix;

    Value wT = transposeWeight(rewriter, loc, op.getWeight(), reuse);
    OpFoldResult m = tensor::getMixedSize(rewriter, loc, rows2d, 0);
    OpFoldResult n = tensor::getMixedSize(rewriter, loc, wT, 1);
    Value init = tensor::EmptyOp::create(rewriter, loc,
                                         SmallVector<OpFoldResult>{m, n}, elt);
    // The bias is the accumulator's starting value: no separate add pass.
    if (Value bias = op.getBias())
      init = linalg::BroadcastOp::create(rewriter, loc, bias, init,
                                         ArrayRef<int64_t>{0})
                 .getResult()[0];
    else
      init = linalg::FillOp::create(rewriter, loc,
                                    floatConst(rewriter, loc, elt, 0.0), init)
                 .getResult(0);
    Value product = linalg::MatmulOp::create(rewriter, loc, init.getType(),
                                             ValueRange{rows2d, wT}, init)
                        .getResult(0);

    Value result = expandTokenRows(rewriter, loc, rows, x, product, n,
                                   op.getResult().getType());
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// ffn.block_diag_linear
//===----------------------------------------------------------------------===//

/// Iterator types of an op whose `n` loops are all parallel.
static SmallVector<utils::IteratorType> allParallel(unsigned n) {
  return SmallVector<utils::IteratorType>(n, utils::IteratorType::parallel);
}

/// Lowers a block-diagonal linear to one `linalg.batch_matmul` over its
/// blocks: x `[M, in]` is gathered (or, without an input permutation,
/// transposed) into `[K, M, in/K]`, multiplied by the weight blocks
/// transposed at compile time to `[K, in/K, out/K]`, and the `[K, M, out/K]`
/// product is gathered (transposed) back to `[M, out]` with the bias added
/// in the same pass. The CPU code generator gives each block's GEMM its own
/// thread tile with the register-tiled GEMM code.
struct BlockDiagLinearToBatchMatmul
    : public OpRewritePattern<BlockDiagLinearOp> {
  using OpRewritePattern::OpRewritePattern;

  /// The weight blocks in `[K, in/K, out/K]` layout.
  static Value transposedBlocks(PatternRewriter &rewriter, Location loc,
                                Value weight) {
    auto wType = cast<RankedTensorType>(weight.getType());
    int64_t k = wType.getDimSize(0), ob = wType.getDimSize(1),
            ib = wType.getDimSize(2);
    auto tType = RankedTensorType::get({k, ib, ob}, wType.getElementType());
    if (std::optional<WeightData> data = WeightData::fromValue(weight)) {
      ArrayRef<float> src = data->values();
      std::vector<float> dst(src.size());
      for (int64_t b = 0; b < k; ++b)
        for (int64_t o = 0; o < ob; ++o)
          for (int64_t i = 0; i < ib; ++i)
            dst[(b * ib + i) * ob + o] = src[(b * ob + o) * ib + i];
      return createWeightConstant(rewriter, loc, tType, dst, "weight_blocks_t");
    }
    Value init = tensor::EmptyOp::create(rewriter, loc, tType.getShape(),
                                         wType.getElementType());
    return linalg::TransposeOp::create(rewriter, loc, weight, init,
                                       ArrayRef<int64_t>{0, 2, 1})
        .getResult()[0];
  }

  /// A constant `tensor<N x index>` holding `perm`.
  static Value indexTable(OpBuilder &b, Location loc, ArrayRef<int64_t> perm) {
    auto type = RankedTensorType::get({static_cast<int64_t>(perm.size())},
                                      b.getIndexType());
    SmallVector<APInt> values;
    for (int64_t p : perm)
      values.push_back(APInt(64, p));
    return arith::ConstantOp::create(b, loc,
                                     DenseElementsAttr::get(type, values));
  }

  LogicalResult matchAndRewrite(BlockDiagLinearOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value x = op.getInput();
    Type elt = cast<RankedTensorType>(x.getType()).getElementType();
    int64_t k = op.getNumBlocks();
    auto wType = op.getWeight().getType();
    int64_t ob = wType.getDimSize(1), ib = wType.getDimSize(2);

    // [..., in] -> [M, in].
    TokenRows tokens = collapseTokenRows(rewriter, loc, x);
    Value x2d = tokens.matrix;
    OpFoldResult m = tensor::getMixedSize(rewriter, loc, x2d, 0);
    auto cst = [&](int64_t v) -> OpFoldResult {
      return rewriter.getIndexAttr(v);
    };

    // A [K, M, in/K]: block k's input channels, token-major.
    Value a = tensor::EmptyOp::create(
        rewriter, loc, SmallVector<OpFoldResult>{cst(k), m, cst(ib)}, elt);
    if (std::optional<ArrayRef<int64_t>> perm = op.getInputPermutation()) {
      Value table = indexTable(rewriter, loc, *perm);
      a = linalg::GenericOp::create(
              rewriter, loc, TypeRange{a.getType()}, ValueRange{},
              ValueRange{a}, {rewriter.getMultiDimIdentityMap(3)},
              allParallel(3),
              [&](OpBuilder &b, Location l, ValueRange) {
                Value blk = linalg::IndexOp::create(b, l, 0);
                Value row = linalg::IndexOp::create(b, l, 1);
                Value col = linalg::IndexOp::create(b, l, 2);
                Value c = arith::AddIOp::create(
                    b, l,
                    arith::MulIOp::create(
                        b, l, blk, arith::ConstantIndexOp::create(b, l, ib)),
                    col);
                Value src = tensor::ExtractOp::create(b, l, table, c);
                Value v = tensor::ExtractOp::create(b, l, x2d,
                                                    ValueRange{row, src});
                linalg::YieldOp::create(b, l, v);
              })
              .getResult(0);
    } else {
      SmallVector<OpFoldResult> sizes{m, cst(k), cst(ib)};
      SmallVector<int64_t> staticSizes;
      SmallVector<Value> dynamicSizes;
      dispatchIndexOpFoldResults(sizes, dynamicSizes, staticSizes);
      Value x3d = tensor::ExpandShapeOp::create(
          rewriter, loc, RankedTensorType::get(staticSizes, elt), x2d,
          SmallVector<ReassociationIndices>{{0}, {1, 2}}, sizes);
      a = linalg::TransposeOp::create(rewriter, loc, x3d, a,
                                      ArrayRef<int64_t>{1, 0, 2})
              .getResult()[0];
    }

    // C [K, M, out/K] = A x B, one GEMM per block.
    Value bT = transposedBlocks(rewriter, loc, op.getWeight());
    Value c = tensor::EmptyOp::create(
        rewriter, loc, SmallVector<OpFoldResult>{cst(k), m, cst(ob)}, elt);
    Value zero = floatConst(rewriter, loc, elt, 0.0);
    c = linalg::FillOp::create(rewriter, loc, zero, c).getResult(0);
    c = linalg::BatchMatmulOp::create(rewriter, loc, c.getType(),
                                      ValueRange{a, bT}, c)
            .getResult(0);

    // [K, M, out/K] -> [M, out] (+ bias).
    Value bias = op.getBias();
    Value y;
    if (std::optional<ArrayRef<int64_t>> perm = op.getOutputPermutation()) {
      Value table = indexTable(rewriter, loc, *perm);
      Value init = tensor::EmptyOp::create(
          rewriter, loc, SmallVector<OpFoldResult>{m, cst(k * ob)}, elt);
      SmallVector<Value> inputs{table};
      SmallVector<AffineMap> maps{lastDimMap(ctx, 2)};
      if (bias) {
        inputs.push_back(bias);
        maps.push_back(lastDimMap(ctx, 2));
      }
      maps.push_back(rewriter.getMultiDimIdentityMap(2));
      y = linalg::GenericOp::create(
              rewriter, loc, TypeRange{init.getType()}, inputs,
              ValueRange{init}, maps,
              allParallel(2),
              [&](OpBuilder &b, Location l, ValueRange args) {
                Value row = linalg::IndexOp::create(b, l, 0);
                Value width = arith::ConstantIndexOp::create(b, l, ob);
                Value blk = arith::DivUIOp::create(b, l, args[0], width);
                Value col = arith::RemUIOp::create(b, l, args[0], width);
                Value v = tensor::ExtractOp::create(b, l, c,
                                                    ValueRange{blk, row, col});
                if (bias)
                  v = arith::AddFOp::create(b, l, v, args[1]);
                linalg::YieldOp::create(b, l, v);
              })
              .getResult(0);
    } else {
      // A transposition into [M, K, out/K], bias read as [K, out/K].
      Value init = tensor::EmptyOp::create(
          rewriter, loc, SmallVector<OpFoldResult>{m, cst(k), cst(ob)}, elt);
      AffineExpr d0, d1, d2;
      bindDims(ctx, d0, d1, d2);
      SmallVector<Value> inputs{c};
      SmallVector<AffineMap> maps{AffineMap::get(3, 0, {d1, d0, d2}, ctx)};
      if (bias) {
        inputs.push_back(tensor::ExpandShapeOp::create(
            rewriter, loc, RankedTensorType::get({k, ob}, elt), bias,
            SmallVector<ReassociationIndices>{{0, 1}}));
        maps.push_back(AffineMap::get(3, 0, {d1, d2}, ctx));
      }
      maps.push_back(rewriter.getMultiDimIdentityMap(3));
      Value y3d =
          linalg::GenericOp::create(
              rewriter, loc, TypeRange{init.getType()}, inputs,
              ValueRange{init}, maps,
              allParallel(3),
              [&](OpBuilder &b, Location l, ValueRange args) {
                Value v = args[0];
                if (bias)
                  v = arith::AddFOp::create(b, l, v, args[1]);
                linalg::YieldOp::create(b, l, v);
              })
              .getResult(0);
      y = tensor::CollapseShapeOp::create(
          rewriter, loc, y3d, SmallVector<ReassociationIndices>{{0}, {1, 2}});
    }

    // Back to the input's token dimensions.
    Value result = expandTokenRows(rewriter, loc, tokens, x, y, cst(k * ob),
                                   op.getResult().getType());
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

struct GeluToLinalg : public OpRewritePattern<GeluOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GeluOp op,
                                PatternRewriter &rewriter) const override {
    bool useTanh = op.getApproximate() == GeluApproximation::tanh;
    Value result = buildUnary(
        rewriter, op.getLoc(), op.getInput(),
        [&](OpBuilder &b, Location loc, Value x) -> Value {
          Type t = x.getType();
          Value half = floatConst(b, loc, t, 0.5);
          Value one = floatConst(b, loc, t, 1.0);
          Value inner;
          if (useTanh) {
            // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
            Value x3 = arith::MulFOp::create(
                b, loc, arith::MulFOp::create(b, loc, x, x), x);
            Value poly = arith::AddFOp::create(
                b, loc, x,
                arith::MulFOp::create(b, loc, floatConst(b, loc, t, 0.044715),
                                      x3));
            Value arg = arith::MulFOp::create(
                b, loc, floatConst(b, loc, t, 0.7978845608028654), poly);
            inner = math::TanhOp::create(b, loc, arg);
          } else {
            // 0.5 x (1 + erf(x / sqrt(2)))
            Value arg = arith::MulFOp::create(
                b, loc, x, floatConst(b, loc, t, 0.7071067811865476));
            inner = math::ErfOp::create(b, loc, arg);
          }
          Value onePlus = arith::AddFOp::create(b, loc, one, inner);
          return arith::MulFOp::create(
              b, loc, arith::MulFOp::create(b, loc, half, x), onePlus);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct SiluToLinalg : public OpRewritePattern<SiluOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SiluOp op,
                                PatternRewriter &rewriter) const override {
    Value result = buildUnary(
        rewriter, op.getLoc(), op.getInput(),
        [&](OpBuilder &b, Location loc, Value x) -> Value {
          // x * sigmoid(x) = x / (1 + exp(-x))
          Type t = x.getType();
          Value e = math::ExpOp::create(b, loc,
                                        arith::NegFOp::create(b, loc, x));
          Value den =
              arith::AddFOp::create(b, loc, floatConst(b, loc, t, 1.0), e);
          return arith::DivFOp::create(b, loc, x, den);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct ReluToLinalg : public OpRewritePattern<ReluOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReluOp op,
                                PatternRewriter &rewriter) const override {
    Value result = buildUnary(
        rewriter, op.getLoc(), op.getInput(),
        [&](OpBuilder &b, Location loc, Value x) -> Value {
          return arith::MaximumFOp::create(b, loc, x,
                                           floatConst(b, loc, x.getType(), 0.0));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Norms
//===----------------------------------------------------------------------===//

/// `y = norm(x) * scale + bias` where `normed` gives norm(x) from the
/// generic's block arguments (x first, then `rowInputs`), and scale/bias are
/// optional per-feature vectors.
static Value buildNormalize(
    OpBuilder &b, Location loc, Value x, ValueRange rowInputs, Value scale,
    Value bias,
    function_ref<Value(OpBuilder &, Location, ValueRange)> normed) {
  MLIRContext *ctx = b.getContext();
  unsigned rank = cast<RankedTensorType>(x.getType()).getRank();
  SmallVector<Value> inputs{x};
  SmallVector<AffineMap> maps{b.getMultiDimIdentityMap(rank)};
  for (Value v : rowInputs) {
    inputs.push_back(v);
    maps.push_back(rowMap(ctx, rank));
  }
  unsigned numRow = rowInputs.size();
  for (Value v : {scale, bias})
    if (v) {
      inputs.push_back(v);
      maps.push_back(lastDimMap(ctx, rank));
    }
  return buildElementwise(
      b, loc, x, inputs, maps, [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value y = normed(nb, nl, a.take_front(1 + numRow));
        unsigned next = 1 + numRow;
        if (scale)
          y = arith::MulFOp::create(nb, nl, y, a[next++]);
        if (bias)
          y = arith::AddFOp::create(nb, nl, y, a[next++]);
        return y;
      });
}

/// Per-row `1 / sqrt(sum / n + eps)` from a row sum.
static Value buildRowRsqrt(OpBuilder &b, Location loc, Value rowSum, Value n,
                           float eps) {
  unsigned rank = cast<RankedTensorType>(rowSum.getType()).getRank();
  Type elt = cast<RankedTensorType>(rowSum.getType()).getElementType();
  return buildElementwise(
      b, loc, rowSum, rowSum, {b.getMultiDimIdentityMap(rank)},
      [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        Value mean = arith::DivFOp::create(nb, nl, a[0], n);
        Value shifted = arith::AddFOp::create(nb, nl, mean,
                                              floatConst(nb, nl, elt, eps));
        return math::RsqrtOp::create(nb, nl, shifted);
      });
}

struct LayerNormToLinalg : public OpRewritePattern<LayerNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LayerNormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    Value n = lastDimAsFloat(rewriter, loc, x);
    Value sum = buildRowSum(rewriter, loc, x, {},
                            [](OpBuilder &, Location, ValueRange a) {
                              return a[0];
                            });
    unsigned rowRank = cast<RankedTensorType>(sum.getType()).getRank();
    Value mean = buildElementwise(
        rewriter, loc, sum, sum, {rewriter.getMultiDimIdentityMap(rowRank)},
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          return arith::DivFOp::create(b, l, a[0], n);
        });
    Value sqSum = buildRowSum(
        rewriter, loc, x, mean, [](OpBuilder &b, Location l, ValueRange a) {
          Value d = arith::SubFOp::create(b, l, a[0], a[1]);
          return arith::MulFOp::create(b, l, d, d).getResult();
        });
    Value inv = buildRowRsqrt(rewriter, loc, sqSum, n,
                              op.getEpsilon().convertToFloat());
    Value result = buildNormalize(
        rewriter, loc, x, ValueRange{mean, inv}, op.getScale(), op.getBias(),
        [](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value d = arith::SubFOp::create(b, l, a[0], a[1]);
          return arith::MulFOp::create(b, l, d, a[2]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct RMSNormToLinalg : public OpRewritePattern<RMSNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RMSNormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    Value n = lastDimAsFloat(rewriter, loc, x);
    Value sqSum = buildRowSum(rewriter, loc, x, {},
                              [](OpBuilder &b, Location l, ValueRange a) {
                                return arith::MulFOp::create(b, l, a[0], a[0])
                                    .getResult();
                              });
    Value inv = buildRowRsqrt(rewriter, loc, sqSum, n,
                              op.getEpsilon().convertToFloat());
    Value result = buildNormalize(
        rewriter, loc, x, ValueRange{inv}, op.getScale(), Value(),
        [](OpBuilder &b, Location l, ValueRange a) -> Value {
          return arith::MulFOp::create(b, l, a[0], a[1]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct BatchNormToLinalg : public OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BatchNormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    MLIRContext *ctx = rewriter.getContext();
    unsigned rank = op.getInput().getType().getRank();
    float eps = op.getEpsilon().convertToFloat();
    Type elt = op.getInput().getType().getElementType();
    AffineMap chan = lastDimMap(ctx, rank);
    Value result = buildElementwise(
        rewriter, loc, x,
        ValueRange{x, op.getScale(), op.getBias(), op.getMean(),
                   op.getVariance()},
        {rewriter.getMultiDimIdentityMap(rank), chan, chan, chan, chan},
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value inv = math::RsqrtOp::create(
              b, l, arith::AddFOp::create(b, l, a[4], floatConst(b, l, elt, eps)));
          Value d = arith::SubFOp::create(b, l, a[0], a[3]);
          Value y = arith::MulFOp::create(
              b, l, arith::MulFOp::create(b, l, d, inv), a[1]);
          return arith::AddFOp::create(b, l, y, a[2]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

struct ConvertFFNToLinalgPass
    : public ffn::impl::ConvertFFNToLinalgBase<ConvertFFNToLinalgPass> {
  using Base::Base;
  void runOnOperation() override {
    inlineMlpBodies(getOperation());
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addIllegalDialect<FFNDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(ctx);
    llvm::StringSet<> single;
    if (reuseWeightBuffers) {
      single = findSinglyReferencedWeights(getOperation());
      // The higher benefit: it takes the linears before the plain pattern.
      patterns.add<LinearToMatmul>(ctx, &single);
    }
    populateFFNToLinalgPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

void mlir::ffn::populateFFNToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<LinearToMatmul, GeluToLinalg, SiluToLinalg, ReluToLinalg,
               LayerNormToLinalg, RMSNormToLinalg, BatchNormToLinalg>(
      patterns.getContext());
  patterns.add<BlockDiagLinearToBatchMatmul>(patterns.getContext());
  populateSparseLinearPatterns(patterns);
}
