//===- SkipZeroActivations.cpp - exact activation sparsity on CPUs --------===//
//
// Lowers ReLU FFNs at small token counts (decode-style, T = 1..8) so that
// the down projection only reads the weights of the hidden neurons that are
// active for some token: after ReLU most neurons of a trained model are
// exactly zero, and at small T the down projection is bound by the memory
// traffic of its weight. The down projection becomes a compaction loop and
// vectorised loops adding rows of the transposed weight; at T=1 the up
// projections become the same loops over every row. See Passes.td.
//
//===----------------------------------------------------------------------===//

#include "ffn/Conversion/Passes.h"
#include "ffn/Dialect/FFN/IR/FFNOps.h"
#include "ffn/Utils/Weights.h"
#include "LinearLowering.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir {
namespace ffn {
#define GEN_PASS_DEF_CPUSKIPZEROACTIVATIONS
#include "ffn/Conversion/Passes.h.inc"
} // namespace ffn
} // namespace mlir

using namespace mlir;
using namespace mlir::ffn;

namespace {
/// A ReLU FFN: projections of the input (`ups`: one for the encoder form,
/// the fused gate+up or separate gate and up for the gated form), then
/// `down` on a hidden tensor that is a ReLU (encoder) or a product with a
/// ReLU factor (gated ReLU and dReLU), so most of its columns are zero.
struct ReluFFN {
  SmallVector<LinearOp> ups;
  LinearOp down;
  /// The encoder form's ReLU, fused into its up projection; null otherwise.
  ReluOp fusedRelu;
};

/// The loops of one projection `[T, K] x [K, N]` computed as sums of
/// weight rows.
struct RowProductPlan {
  int64_t tokens;    // T: rows of the input
  int64_t inner;     // K: the reduction (weight rows)
  int64_t width;     // N: the output columns
  int64_t tiles;     // thread tiles over N
  int64_t tileWidth; // N / tiles
  int64_t step;      // lanes per step of the column loop
};

struct CPUSkipZeroActivationsPass
    : public ffn::impl::CPUSkipZeroActivationsBase<CPUSkipZeroActivationsPass> {
  using Base::Base;
  void runOnOperation() override;
};
} // namespace

/// True for a static f32 tensor.
static bool isStaticF32(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && type.hasStaticShape() && type.getElementType().isF32();
}

/// Matches the body of `op` as a ReLU FFN: it yields `down(h)` with `h` a
/// ReLU or a product with a ReLU factor, every other linear reads the input
/// (block argument 0), and every linear has static f32 shapes.
static FailureOr<ReluFFN> matchReluFFN(MlpOp op) {
  Block &body = op.getBody().front();
  ReluFFN ffn;
  ffn.down = op.getYield().getValue().getDefiningOp<LinearOp>();
  if (!ffn.down)
    return failure();
  Value h = ffn.down.getInput();
  auto isRelu = [](Value v) { return v.getDefiningOp<ReluOp>() != nullptr; };
  bool reluHidden = isRelu(h);
  if (auto mul = h.getDefiningOp<arith::MulFOp>())
    reluHidden = isRelu(mul.getLhs()) || isRelu(mul.getRhs());
  if (!reluHidden)
    return failure();
  Value x = body.getArgument(0);
  for (LinearOp linear : body.getOps<LinearOp>()) {
    if (!isStaticF32(linear.getInput()) || !isStaticF32(linear.getResult()) ||
        !linear.getWeight().getType().hasStaticShape())
      return failure();
    if (linear == ffn.down)
      continue;
    if (linear.getInput() != x)
      return failure();
    ffn.ups.push_back(linear);
  }
  if (ffn.ups.empty())
    return failure();
  // Encoder form: the ReLU is the up projection's only user and the down
  // projection's input; it is applied on the up projection's tiles.
  if (auto relu = h.getDefiningOp<ReluOp>())
    if (ffn.ups.size() == 1 && relu.getInput() == ffn.ups[0].getResult() &&
        ffn.ups[0]->hasOneUse() && relu->hasOneUse())
      ffn.fusedRelu = relu;
  return ffn;
}

/// Rows of `h` (the product of every dimension but the last).
static int64_t tokenCount(RankedTensorType type) {
  int64_t rows = 1;
  for (int64_t d : type.getShape().drop_back())
    rows *= d;
  return rows;
}

/// Vector registers the output tile of a row product may fill: with the
/// tile this small, LLVM keeps it in registers across the loop over weight
/// rows (12 of the 16 AVX2 or 32 AVX-512 registers leave room for the
/// weight vector and the broadcast activations).
static constexpr int64_t kTileRegisters = 12;

/// Thread tiles over the output width `d`: the widest tile whose T rows fit
/// in kTileRegisters vectors, a multiple of the vector width that divides
/// `d`; without one, the most of 8, 4 and 2 tiles that are whole multiples
/// of the vector width and at least four vectors wide; one tile otherwise.
static RowProductPlan planRowProduct(int64_t tokens, int64_t inner, int64_t d,
                                     int64_t vectorWidth) {
  RowProductPlan plan{tokens, inner, d, 1, d, vectorWidth};
  int64_t maxWidth =
      kTileRegisters / std::max<int64_t>(tokens, 1) * vectorWidth;
  bool found = false;
  for (int64_t tw = maxWidth - maxWidth % vectorWidth; tw >= vectorWidth;
       tw -= vectorWidth) {
    if (d % tw != 0 || d / tw < 2)
      continue;
    plan.tiles = d / tw;
    plan.tileWidth = tw;
    found = true;
    break;
  }
  for (int64_t tiles : {8, 4, 2}) {
    if (found || d % tiles != 0)
      continue;
    int64_t tw = d / tiles;
    if (tw % vectorWidth != 0 || tw < 4 * vectorWidth)
      continue;
    plan.tiles = tiles;
    plan.tileWidth = tw;
    found = true;
  }
  // Two native vectors per step when the tile allows: fewer loop branches
  // for the same loads.
  if (plan.tileWidth % (2 * vectorWidth) == 0)
    plan.step = 2 * vectorWidth;
  return plan;
}

/// What the compaction loop produces.
struct ActiveList {
  Value list;   // tensor<H x i32>: the kept columns, first `count` entries
  Value count;  // index
  Value packed; // tensor<H x T>: row k holds column list[k] of h; null
                // unless 2 <= T <= 8
};

/// The compaction loop: the indices (i32) of the columns of `h` `[T, H]`
/// holding a non-zero (or NaN) in some row, and their count. Branch free:
/// column j is always written at the current count, which only advances
/// when the column is kept. For 2 to 8 tokens the kept columns are also
/// copied into the rows of a packed `[H, T]` tensor, so that the product
/// reads a neuron's activations from one cache line instead of T.
static ActiveList buildActiveList(OpBuilder &b, Location loc, Value h,
                                  const RowProductPlan &plan) {
  Type i32 = b.getI32Type();
  Value list =
      tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{plan.inner}, i32);
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  Value cH = arith::ConstantIndexOp::create(b, loc, plan.inner);
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  bool pack = plan.tokens >= 2 && plan.tokens <= 8;
  SmallVector<Value> inits{list, c0};
  if (pack)
    inits.push_back(tensor::EmptyOp::create(
        b, loc, ArrayRef<int64_t>{plan.inner, plan.tokens}, b.getF32Type()));
  auto loop = scf::ForOp::create(
      b, loc, c0, cH, c1, inits,
      [&](OpBuilder &nb, Location nl, Value j, ValueRange args) {
        SmallVector<Value> values;
        // Some row of column j is not zero: `une` also keeps NaNs, which
        // must propagate as in the dense product.
        auto nonZero = [&](Value t) -> Value {
          Value v = tensor::ExtractOp::create(nb, nl, h, ValueRange{t, j});
          values.push_back(v);
          return arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::UNE, v,
                                       zero);
        };
        Value any;
        if (plan.tokens <= 8) {
          for (int64_t t = 0; t < plan.tokens; ++t) {
            Value nz = nonZero(arith::ConstantIndexOp::create(nb, nl, t));
            any = any ? arith::OrIOp::create(nb, nl, any, nz).getResult() : nz;
          }
        } else {
          Value cT = arith::ConstantIndexOp::create(nb, nl, plan.tokens);
          Value no = arith::ConstantIntOp::create(nb, nl, 0, 1);
          any = scf::ForOp::create(
                    nb, nl, c0, cT, c1, ValueRange{no},
                    [&](OpBuilder &ib, Location il, Value t, ValueRange acc) {
                      Value v = tensor::ExtractOp::create(ib, il, h,
                                                          ValueRange{t, j});
                      Value nz = arith::CmpFOp::create(
                          ib, il, arith::CmpFPredicate::UNE, v, zero);
                      scf::YieldOp::create(
                          ib, il,
                          ValueRange{arith::OrIOp::create(ib, il, acc[0], nz)});
                    })
                    .getResult(0);
        }
        Value jInt = arith::IndexCastOp::create(nb, nl, i32, j);
        Value written = tensor::InsertOp::create(nb, nl, jInt, args[0],
                                                 ValueRange{args[1]});
        Value inc = arith::IndexCastOp::create(
            nb, nl, nb.getIndexType(),
            arith::ExtUIOp::create(nb, nl, nb.getI64Type(), any));
        SmallVector<Value> results{written};
        if (pack) {
          Value packed = args[2];
          for (auto [t, v] : llvm::enumerate(values))
            packed = tensor::InsertOp::create(
                nb, nl, v, packed,
                ValueRange{args[1], arith::ConstantIndexOp::create(nb, nl, t)});
          results.push_back(packed);
        }
        Value count = arith::AddIOp::create(nb, nl, args[1], inc);
        results.insert(results.begin() + 1, count);
        scf::YieldOp::create(nb, nl, results);
      });
  return {loop.getResult(0), loop.getResult(1),
          pack ? loop.getResult(2) : Value()};
}

/// Lanes `[off, off + n)` of row `row` of `src` as a vector of n floats.
static Value readRow(OpBuilder &b, Location loc, Value src, Value row,
                     Value off, int64_t n) {
  auto vType = VectorType::get({n}, b.getF32Type());
  Value pad = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  return vector::TransferReadOp::create(
      b, loc, vType, src, ValueRange{row, off}, pad, ArrayRef<bool>{true});
}

/// Writes the n-lane vector `v` at `[row, off]` of `dest`.
static Value writeRow(OpBuilder &b, Location loc, Value v, Value dest,
                      Value row, Value off) {
  return vector::TransferWriteOp::create(b, loc, v, dest, ValueRange{row, off},
                                         ArrayRef<bool>{true})
      .getResult();
}

/// Calls `body(b, loc, offset, lanes, acc)` for the columns of a tile
/// `width` wide, `step` lanes at a time, then once for a static remainder;
/// threads the tensor `acc` through and returns it.
static Value forEachChunk(
    OpBuilder &b, Location loc, int64_t width, int64_t step, Value acc,
    function_ref<Value(OpBuilder &, Location, Value, int64_t, Value)> body) {
  int64_t main = width - width % step;
  if (main > 0) {
    Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
    Value cMain = arith::ConstantIndexOp::create(b, loc, main);
    Value cStep = arith::ConstantIndexOp::create(b, loc, step);
    acc = scf::ForOp::create(
              b, loc, c0, cMain, cStep, ValueRange{acc},
              [&](OpBuilder &nb, Location nl, Value d, ValueRange args) {
                scf::YieldOp::create(
                    nb, nl, ValueRange{body(nb, nl, d, step, args[0])});
              })
              .getResult(0);
  }
  if (width % step != 0)
    acc = body(b, loc, arith::ConstantIndexOp::create(b, loc, main),
               width % step, acc);
  return acc;
}

/// `y = h Wᵀ + bias` as a sum of rows of `wt` (`Wᵀ`, `[K, N]`) scaled by
/// the columns of `h` (`[T, K]`): over the K indices in `list` (i32, `count`
/// of them) when `list` is given, over all K otherwise; `packed` (with a
/// list, or null) holds the list's columns of `h` as rows; `bias` is an
/// `[N]` tensor or null. With `relu`, the result goes through max(·, 0) before
/// it leaves the tile. Returns `[T, N]`.
static Value buildRowProduct(OpBuilder &b, Location loc, Value h, Value wt,
                             Value bias, const RowProductPlan &plan, Value list,
                             Value count, Value packed, bool relu) {
  Type f32 = b.getF32Type();
  int64_t T = plan.tokens, tw = plan.tileWidth;
  Value init =
      tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{T, plan.width}, f32);
  auto forall = scf::ForallOp::create(
      b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(plan.tiles)},
      ValueRange{init}, std::nullopt);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(forall.getTerminator());
  Value tile = forall.getInductionVars()[0];
  Value out = forall.getRegionIterArgs()[0];
  Value base = arith::MulIOp::create(
      b, loc, tile, arith::ConstantIndexOp::create(b, loc, tw));
  SmallVector<OpFoldResult> offsets{b.getIndexAttr(0), base};
  SmallVector<OpFoldResult> sizes{b.getIndexAttr(T), b.getIndexAttr(tw)};
  SmallVector<OpFoldResult> strides{b.getIndexAttr(1), b.getIndexAttr(1)};
  Value acc =
      tensor::ExtractSliceOp::create(b, loc, out, offsets, sizes, strides);
  auto rowIndex = [&](OpBuilder &nb, Location nl, int64_t t) -> Value {
    return arith::ConstantIndexOp::create(nb, nl, t);
  };

  // The tile starts from the bias (or zero).
  acc = forEachChunk(
      b, loc, tw, plan.step, acc,
      [&](OpBuilder &nb, Location nl, Value d, int64_t n, Value a) -> Value {
        Value v;
        if (bias) {
          Value col = arith::AddIOp::create(nb, nl, base, d);
          auto vType = VectorType::get({n}, f32);
          Value pad = arith::ConstantOp::create(nb, nl, nb.getF32FloatAttr(0));
          v = vector::TransferReadOp::create(
              nb, nl, vType, bias, ValueRange{col}, pad, ArrayRef<bool>{true});
        } else {
          v = arith::ConstantOp::create(
              nb, nl,
              DenseElementsAttr::get(VectorType::get({n}, f32),
                                     nb.getF32FloatAttr(0.0f)));
        }
        for (int64_t t = 0; t < T; ++t)
          a = writeRow(nb, nl, v, a, rowIndex(nb, nl, t), d);
        return a;
      });

  // For each listed (or every) row j: acc[t, :] += h[t, j] * wt[j, tile].
  Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
  Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
  if (!list)
    count = arith::ConstantIndexOp::create(b, loc, plan.inner);
  acc = scf::ForOp::create(
            b, loc, c0, count, c1, ValueRange{acc},
            [&](OpBuilder &nb, Location nl, Value k, ValueRange args) {
              Value j = k;
              if (list) {
                Value jInt =
                    tensor::ExtractOp::create(nb, nl, list, ValueRange{k});
                j = arith::IndexCastOp::create(nb, nl, nb.getIndexType(), jInt);
              }
              auto axpy = [&](OpBuilder &ib, Location il, Value d, int64_t n,
                              Value a, ArrayRef<Value> scales,
                              ArrayRef<Value> rows) -> Value {
                Value col = arith::AddIOp::create(ib, il, base, d);
                Value w = readRow(ib, il, wt, j, col, n);
                auto vType = VectorType::get({n}, f32);
                for (auto [s, row] : llvm::zip(scales, rows)) {
                  Value sv = vector::BroadcastOp::create(ib, il, vType, s);
                  Value y = readRow(ib, il, a, row, d, n);
                  Value r = vector::FMAOp::create(ib, il, sv, w, y);
                  a = writeRow(ib, il, r, a, row, d);
                }
                return a;
              };
              Value a = args[0];
              if (T <= 8) {
                // Every token's activation once per neuron; the D loop
                // reads the neuron's weights once for all tokens.
                SmallVector<Value> scales, rows;
                for (int64_t t = 0; t < T; ++t) {
                  rows.push_back(rowIndex(nb, nl, t));
                  scales.push_back(
                      packed ? tensor::ExtractOp::create(
                                   nb, nl, packed, ValueRange{k, rows.back()})
                             : tensor::ExtractOp::create(
                                   nb, nl, h, ValueRange{rows.back(), j}));
                }
                a = forEachChunk(nb, nl, tw, plan.step, a,
                                 [&](OpBuilder &ib, Location il, Value d,
                                     int64_t n, Value acc) {
                                   return axpy(ib, il, d, n, acc, scales, rows);
                                 });
              } else {
                Value cT = arith::ConstantIndexOp::create(nb, nl, T);
                a = scf::ForOp::create(
                        nb, nl, c0, cT, c1, ValueRange{a},
                        [&](OpBuilder &tb, Location tl, Value t,
                            ValueRange targs) {
                          Value s = tensor::ExtractOp::create(tb, tl, h,
                                                              ValueRange{t, j});
                          Value r = forEachChunk(
                              tb, tl, tw, plan.step, targs[0],
                              [&](OpBuilder &ib, Location il, Value d,
                                  int64_t n, Value acc) {
                                return axpy(ib, il, d, n, acc, {s}, {t});
                              });
                          scf::YieldOp::create(tb, tl, ValueRange{r});
                        })
                        .getResult(0);
              }
              scf::YieldOp::create(nb, nl, ValueRange{a});
            })
            .getResult(0);

  if (relu)
    acc = forEachChunk(
        b, loc, tw, plan.step, acc,
        [&](OpBuilder &nb, Location nl, Value d, int64_t n, Value a) -> Value {
          Value zero = arith::ConstantOp::create(
              nb, nl,
              DenseElementsAttr::get(VectorType::get({n}, f32),
                                     nb.getF32FloatAttr(0.0f)));
          for (int64_t t = 0; t < T; ++t) {
            Value row = rowIndex(nb, nl, t);
            // arith.maximumf, as convert-ffn-to-linalg lowers ffn.relu:
            // NaNs propagate.
            Value v = arith::MaximumFOp::create(
                nb, nl, readRow(nb, nl, a, row, d, n), zero);
            a = writeRow(nb, nl, v, a, row, d);
          }
          return a;
        });

  b.setInsertionPointToStart(forall.getTerminator().getBody());
  tensor::ParallelInsertSliceOp::create(b, loc, acc, out, offsets, sizes,
                                        strides);
  return forall.getResult(0);
}


void CPUSkipZeroActivationsPass::runOnOperation() {
  if (mode != "auto" && mode != "always" && mode != "never") {
    getOperation().emitError()
        << "ffn-cpu-skip-zero-activations: mode must be auto, always or "
           "never, not '"
        << mode << "'";
    return signalPassFailure();
  }
  if (vectorWidth < 1) {
    getOperation().emitError()
        << "ffn-cpu-skip-zero-activations: vector-width must be positive";
    return signalPassFailure();
  }
  if (mode == "never")
    return;
  SmallVector<MlpOp> mlps;
  getOperation().walk([&](MlpOp op) { mlps.push_back(op); });
  IRRewriter rewriter(&getContext());
  for (MlpOp op : mlps) {
    FailureOr<ReluFFN> match = matchReluFFN(op);
    if (failed(match))
      continue;
    LinearOp down = match->down;
    int64_t tokens = tokenCount(down.getInput().getType());
    if (mode == "auto" && tokens > maxTokens)
      continue;
    auto w2Type = down.getWeight().getType();
    int64_t hidden = w2Type.getDimSize(1), width = w2Type.getDimSize(0);
    if (remarks) {
      std::string name = getLocationName(op);
      // At the FFN's location, without the op dump op.emitRemark adds.
      emitRemark(op.getLoc()) << "activation-sparsity: FFN"
                              << (name.empty() ? "" : " '" + name + "'")
                              << " skips zero ReLU activations (T=" << tokens
                              << ", H=" << hidden << ", D=" << width << ")";
    }

    // Inline the body (block arguments become the operands), then replace
    // the linears; the ops between them (slices, ReLU, product) stay.
    Block &body = op.getBody().front();
    rewriter.eraseOp(op.getYield());
    rewriter.inlineBlockBefore(&body, op, op.getArgs());
    // Up projections: x W1ᵀ + b1 as every row of W1ᵀ scaled by a column of
    // x, the encoder's ReLU on the tiles.
    for (LinearOp up : match->ups) {
      // From 2 tokens on, the GEMM code generation does better (its
      // register tiles hold several rows); at T=1 it is a matrix-vector
      // product, where the sum of rows streams the weight once.
      if (tokens > 1)
        continue;
      rewriter.setInsertionPoint(up);
      Location loc = up.getLoc();
      auto wType = up.getWeight().getType();
      RowProductPlan plan = planRowProduct(tokens, wType.getDimSize(1),
                                           wType.getDimSize(0), vectorWidth);
      TokenRows rows = collapseTokenRows(rewriter, loc, up.getInput());
      Value x = rows.matrix;
      Value wt = transposeWeight(rewriter, loc, up.getWeight());
      bool fuseRelu = match->fusedRelu != nullptr;
      Value h2d = buildRowProduct(rewriter, loc, x, wt, up.getBias(), plan,
                                  Value(), Value(), Value(), fuseRelu);
      Value h = expandTokenRows(rewriter, loc, rows, up.getInput(), h2d,
                                rewriter.getIndexAttr(wType.getDimSize(0)),
                                up.getResult().getType());
      if (fuseRelu) {
        rewriter.replaceOp(match->fusedRelu, h);
        rewriter.eraseOp(up);
      } else {
        rewriter.replaceOp(up, h);
      }
    }
    // y = h W2ᵀ + b2: the rows of W2ᵀ of the active neurons only.
    rewriter.setInsertionPoint(down);
    Location loc = down.getLoc();
    RowProductPlan downPlan =
        planRowProduct(tokens, hidden, width, vectorWidth);
    TokenRows rows = collapseTokenRows(rewriter, loc, down.getInput());
    Value h = rows.matrix;
    Value w2t = transposeWeight(rewriter, loc, down.getWeight());
    ActiveList active = buildActiveList(rewriter, loc, h, downPlan);
    Value y2d = buildRowProduct(rewriter, loc, h, w2t, down.getBias(), downPlan,
                                active.list, active.count, active.packed,
                                /*relu=*/false);
    Value y = expandTokenRows(rewriter, loc, rows, down.getInput(), y2d,
                              rewriter.getIndexAttr(width),
                              down.getResult().getType());
    rewriter.replaceOp(down, y);
    rewriter.replaceOp(op, y);
  }
}
