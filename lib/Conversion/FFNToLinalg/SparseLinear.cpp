//===- SparseLinear.cpp - kernels for pruned linear layers ----------------===//
//
// Lowers ffn.block_sparse_linear and ffn.csr_linear to register-tiled loops
// on tensors (scf + vector) that the CPU pipeline bufferises and runs on its
// OpenMP threads. Neither fits a linalg structured op (the kept blocks and
// columns are data), so the loops are written out here:
//
// - block-sparse: a thread per block row of the output; a register tile of
//   up to 6 token rows x 16 output channels accumulates over the kept blocks
//   of the row, one broadcast input value times one 16-wide weight row per
//   multiply-add step, the classic GEMM micro-kernel that skips zero blocks;
// - compressed rows: the input is transposed once so that each stored weight
//   multiplies a contiguous run of 64 tokens; a thread per group of output
//   channels, whose products are transposed back with the bias added.
//
// Token counts need not divide the tiles: the remainder runs with narrower
// tiles (down to one token).
//
//===----------------------------------------------------------------------===//

#include "ffn/Conversion/FFNToLinalg/FFNToLinalg.h"
#include "ffn/Dialect/FFN/IR/FFNOps.h"
#include "LinearLowering.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::ffn;

/// Accumulator registers a tile may use (of the 16 AVX2 registers: the rest
/// hold the weight row and the broadcast input).
static constexpr int64_t kAccumulatorRegisters = 12;
/// Lanes of one f32 register (AVX2).
static constexpr int64_t kLanes = 8;

namespace {
/// A half-open index range `[lower, upper)` walked in steps of `step`.
struct TileLoop {
  Value lower, upper;
  int64_t step;
};
} // namespace

/// Splits `[0, total)` into loops of decreasing steps `steps` (the last must
/// be 1): each runs over the largest prefix of what remains that its step
/// divides.
static SmallVector<TileLoop> splitRange(OpBuilder &b, Location loc,
                                        Value total,
                                        ArrayRef<int64_t> steps) {
  SmallVector<TileLoop> loops;
  Value lower = arith::ConstantIndexOp::create(b, loc, 0);
  for (int64_t step : steps) {
    Value upper = total;
    if (step != 1) {
      Value s = arith::ConstantIndexOp::create(b, loc, step);
      Value left = arith::SubIOp::create(b, loc, total, lower);
      Value whole = arith::MulIOp::create(
          b, loc, arith::DivUIOp::create(b, loc, left, s), s);
      upper = arith::AddIOp::create(b, loc, lower, whole);
    }
    loops.push_back({lower, upper, step});
    lower = upper;
  }
  return loops;
}

/// An index loaded from the i32 tensor `table` at `indices`.
static Value loadIndex(OpBuilder &b, Location loc, Value table,
                       ValueRange indices) {
  Value v = tensor::ExtractOp::create(b, loc, table, indices);
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
}

static Value cst(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

//===----------------------------------------------------------------------===//
// ffn.block_sparse_linear
//===----------------------------------------------------------------------===//

namespace {
struct BlockSparseLinearToLoops
    : public OpRewritePattern<BlockSparseLinearOp> {
  using OpRewritePattern::OpRewritePattern;

  /// One tile of `rows` tokens from `t` x `width` channels from `o0` of
  /// block row `r`, written into `slice` (`[M, Bo]`).
  static Value emitTile(OpBuilder &b, Location loc, BlockSparseLinearOp op,
                        Value x, Value slice, Value r, Value t, int64_t o0,
                        int64_t width, int64_t rows) {
    Type elt = op.getInput().getType().getElementType();
    auto vecType = VectorType::get({width}, elt);
    int64_t bi = op.getBlockInSize(), bo = op.getBlockOutSize();
    Value zero = cst(b, loc, 0), pad = arith::ConstantOp::create(
                                         b, loc, elt, b.getZeroAttr(elt));
    Value start;
    if (Value bias = op.getBias()) {
      Value at = arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, r, cst(b, loc, bo)),
          cst(b, loc, o0));
      start = vector::TransferReadOp::create(b, loc, vecType, bias,
                                             ValueRange{at}, pad,
                                             ArrayRef<bool>{true});
    } else {
      start = arith::ConstantOp::create(
          b, loc, vecType, DenseElementsAttr::get(vecType, b.getZeroAttr(elt)));
    }
    SmallVector<Value> inits(rows, start);
    auto blocks = scf::ForOp::create(
        b, loc, zero, cst(b, loc, op.getBlocksPerRow()), cst(b, loc, 1),
        inits, [&](OpBuilder &b, Location loc, Value j, ValueRange accs) {
          Value col = arith::MulIOp::create(
              b, loc, loadIndex(b, loc, op.getBlockColumns(), {r, j}),
              cst(b, loc, bi));
          auto channels = scf::ForOp::create(
              b, loc, cst(b, loc, 0), cst(b, loc, bi), cst(b, loc, 1), accs,
              [&](OpBuilder &b, Location loc, Value c, ValueRange accs) {
                Value w = vector::TransferReadOp::create(
                    b, loc, vecType, op.getValues(),
                    ValueRange{r, j, c, cst(b, loc, o0)}, pad,
                    ArrayRef<bool>{true});
                Value k = arith::AddIOp::create(b, loc, col, c);
                SmallVector<Value> next;
                for (int64_t i = 0; i < rows; ++i) {
                  Value row = arith::AddIOp::create(b, loc, t, cst(b, loc, i));
                  Value xs =
                      tensor::ExtractOp::create(b, loc, x, ValueRange{row, k});
                  Value xb = vector::BroadcastOp::create(b, loc, vecType, xs);
                  next.push_back(
                      vector::FMAOp::create(b, loc, xb, w, accs[i]));
                }
                scf::YieldOp::create(b, loc, next);
              });
          scf::YieldOp::create(b, loc, channels.getResults());
        });
    for (int64_t i = 0; i < rows; ++i) {
      Value row = arith::AddIOp::create(b, loc, t, cst(b, loc, i));
      slice = vector::TransferWriteOp::create(
                  b, loc, blocks.getResult(i), slice,
                  ValueRange{row, cst(b, loc, o0)}, ArrayRef<bool>{true})
                  .getResult();
    }
    return slice;
  }

  LogicalResult matchAndRewrite(BlockSparseLinearOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    Type elt = op.getInput().getType().getElementType();
    TokenRows tokens = collapseTokenRows(rewriter, loc, x);
    Value x2d = tokens.matrix;
    int64_t bo = op.getBlockOutSize(), out = op.getOutFeatures();
    int64_t blockRows = out / bo;
    OpFoldResult m = tensor::getMixedSize(rewriter, loc, x2d, 0);
    Value mValue = getValueOrCreateConstantIndexOp(rewriter, loc, m);
    Value init = tensor::EmptyOp::create(
        rewriter, loc, SmallVector<OpFoldResult>{m, rewriter.getIndexAttr(out)},
        elt);

    // Output channel chunks of a block row: 16 wide, then the rest.
    SmallVector<std::pair<int64_t, int64_t>> chunks;
    for (int64_t o0 = 0; o0 < bo; o0 += 2 * kLanes)
      chunks.push_back({o0, std::min<int64_t>(2 * kLanes, bo - o0)});

    auto forall = scf::ForallOp::create(
        rewriter, loc, ArrayRef<OpFoldResult>{rewriter.getIndexAttr(blockRows)},
        ValueRange{init}, std::nullopt,
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Value r = args[0], shared = args[1];
          Value o = arith::MulIOp::create(b, loc, r, cst(b, loc, bo));
          SmallVector<OpFoldResult> offsets{b.getIndexAttr(0), o};
          SmallVector<OpFoldResult> sizes{m, b.getIndexAttr(bo)};
          SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
          Value slice = tensor::ExtractSliceOp::create(b, loc, shared, offsets,
                                                       sizes, strides);
          for (auto chunk : chunks) {
            int64_t o0 = chunk.first, width = chunk.second;
            int64_t registers = (width + kLanes - 1) / kLanes;
            int64_t tile = std::max<int64_t>(1, kAccumulatorRegisters / registers);
            // The remainder in tiles of 4, 2, 1 rows (128 = 21 x 6 + 2).
            SmallVector<int64_t> steps{tile};
            for (int64_t s : {4, 2, 1})
              if (s < tile)
                steps.push_back(s);
            for (TileLoop loop : splitRange(b, loc, mValue, steps)) {
              auto tiles = scf::ForOp::create(
                  b, loc, loop.lower, loop.upper, cst(b, loc, loop.step),
                  ValueRange{slice},
                  [&](OpBuilder &b, Location loc, Value t, ValueRange iter) {
                    scf::YieldOp::create(
                        b, loc,
                        emitTile(b, loc, op, x2d, iter[0], r, t, o0, width,
                                 loop.step));
                  });
              slice = tiles.getResult(0);
            }
          }
          auto inParallel = scf::InParallelOp::create(b, loc);
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(inParallel.getBody());
          tensor::ParallelInsertSliceOp::create(b, loc, slice, shared, offsets,
                                                sizes, strides);
        });
    Value result =
        expandTokenRows(rewriter, loc, tokens, x, forall.getResult(0),
                        rewriter.getIndexAttr(out), op.getResult().getType());
    rewriter.replaceOp(op, result);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// ffn.csr_linear
//===----------------------------------------------------------------------===//

struct CsrLinearToLoops : public OpRewritePattern<CsrLinearOp> {
  using OpRewritePattern::OpRewritePattern;

  /// Token tiles: 8 registers, one register, one token.
  static constexpr int64_t kTokenTile = 8 * kLanes;
  /// Output channels per thread tile, at most.
  static constexpr int64_t kChannelsPerThread = 32;

  LogicalResult matchAndRewrite(CsrLinearOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    Value x = op.getInput();
    Type elt = op.getInput().getType().getElementType();
    TokenRows tokens = collapseTokenRows(rewriter, loc, x);
    Value x2d = tokens.matrix;
    int64_t in = op.getInFeatures(), out = op.getOutFeatures();
    OpFoldResult m = tensor::getMixedSize(rewriter, loc, x2d, 0);
    Value mValue = getValueOrCreateConstantIndexOp(rewriter, loc, m);
    auto idx = [&](int64_t v) -> OpFoldResult {
      return rewriter.getIndexAttr(v);
    };

    // xT [in, M]: each stored weight reads a contiguous run of tokens.
    Value xT = linalg::TransposeOp::create(
                   rewriter, loc, x2d,
                   tensor::EmptyOp::create(rewriter, loc,
                                           SmallVector<OpFoldResult>{idx(in), m},
                                           elt),
                   ArrayRef<int64_t>{1, 0})
                   .getResult()[0];
    Value yTInit = tensor::EmptyOp::create(
        rewriter, loc, SmallVector<OpFoldResult>{idx(out), m}, elt);
    int64_t group = kChannelsPerThread;
    while (out % group != 0)
      group /= 2;
    Value pad = arith::ConstantOp::create(rewriter, loc, elt,
                                          rewriter.getZeroAttr(elt));

    auto forall = scf::ForallOp::create(
        rewriter, loc, ArrayRef<OpFoldResult>{idx(out / group)},
        ValueRange{yTInit}, std::nullopt,
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Value g = args[0], shared = args[1];
          Value first = arith::MulIOp::create(b, loc, g, cst(b, loc, group));
          SmallVector<OpFoldResult> offsets{first, b.getIndexAttr(0)};
          SmallVector<OpFoldResult> sizes{b.getIndexAttr(group), m};
          SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
          Value slice = tensor::ExtractSliceOp::create(b, loc, shared, offsets,
                                                       sizes, strides);
          auto channels = scf::ForOp::create(
              b, loc, cst(b, loc, 0), cst(b, loc, group), cst(b, loc, 1),
              ValueRange{slice},
              [&](OpBuilder &b, Location loc, Value n, ValueRange iter) {
                Value row = arith::AddIOp::create(b, loc, first, n);
                Value begin = loadIndex(b, loc, op.getRowOffsets(), {row});
                Value end = loadIndex(
                    b, loc, op.getRowOffsets(),
                    {arith::AddIOp::create(b, loc, row, cst(b, loc, 1))});
                Value s = iter[0];
                for (TileLoop loop :
                     splitRange(b, loc, mValue, {kTokenTile, kLanes, 1})) {
                  auto vecType = VectorType::get({loop.step}, elt);
                  auto tiles = scf::ForOp::create(
                      b, loc, loop.lower, loop.upper, cst(b, loc, loop.step),
                      ValueRange{s},
                      [&](OpBuilder &b, Location loc, Value t,
                          ValueRange iter) {
                        Value zero = arith::ConstantOp::create(
                            b, loc, vecType,
                            DenseElementsAttr::get(vecType,
                                                   b.getZeroAttr(elt)));
                        auto sum = scf::ForOp::create(
                            b, loc, begin, end, cst(b, loc, 1),
                            ValueRange{zero},
                            [&](OpBuilder &b, Location loc, Value p,
                                ValueRange acc) {
                              Value c = loadIndex(b, loc, op.getColumns(), {p});
                              Value w = tensor::ExtractOp::create(
                                  b, loc, op.getValues(), ValueRange{p});
                              Value wb = vector::BroadcastOp::create(
                                  b, loc, vecType, w);
                              Value xv = vector::TransferReadOp::create(
                                  b, loc, vecType, xT, ValueRange{c, t}, pad,
                                  ArrayRef<bool>{true});
                              scf::YieldOp::create(
                                  b, loc,
                                  ValueRange{vector::FMAOp::create(
                                      b, loc, wb, xv, acc[0])});
                            });
                        Value written =
                            vector::TransferWriteOp::create(
                                b, loc, sum.getResult(0), iter[0],
                                ValueRange{n, t}, ArrayRef<bool>{true})
                                .getResult();
                        scf::YieldOp::create(b, loc, written);
                      });
                  s = tiles.getResult(0);
                }
                scf::YieldOp::create(b, loc, s);
              });
          auto inParallel = scf::InParallelOp::create(b, loc);
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(inParallel.getBody());
          tensor::ParallelInsertSliceOp::create(b, loc, channels.getResult(0),
                                                shared, offsets, sizes,
                                                strides);
        });

    // y [M, out] = yTᵀ (+ bias).
    Value yT = forall.getResult(0);
    Value yInit = tensor::EmptyOp::create(
        rewriter, loc, SmallVector<OpFoldResult>{m, idx(out)}, elt);
    SmallVector<Value> inputs{yT};
    SmallVector<AffineMap> maps{AffineMap::get(
        2, 0, {getAffineDimExpr(1, ctx), getAffineDimExpr(0, ctx)}, ctx)};
    if (Value bias = op.getBias()) {
      inputs.push_back(bias);
      maps.push_back(AffineMap::get(2, 0, getAffineDimExpr(1, ctx)));
    }
    maps.push_back(rewriter.getMultiDimIdentityMap(2));
    bool hasBias = inputs.size() == 2;
    Value y2d =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{yInit.getType()}, inputs,
            ValueRange{yInit}, maps,
            SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
            [&](OpBuilder &b, Location loc, ValueRange a) {
              Value v = hasBias ? arith::AddFOp::create(b, loc, a[0], a[1])
                                : a[0];
              linalg::YieldOp::create(b, loc, v);
            })
            .getResult(0);
    Value result = expandTokenRows(rewriter, loc, tokens, x, y2d, idx(out),
                                   op.getResult().getType());
    rewriter.replaceOp(op, result);
    return success();
  }
};
} // namespace

void mlir::ffn::populateSparseLinearPatterns(RewritePatternSet &patterns) {
  patterns.add<BlockSparseLinearToLoops, CsrLinearToLoops>(
      patterns.getContext());
}
