//===- Attention.cpp - ONNX ops of attention blocks -----------------------===//
//
// The ops that attention adds to a transformer layer beyond data movement:
// matrix products of two activations (QKᵀ, PV) with numpy batch
// broadcasting, and Softmax. Both become upstream linalg ops on tensors
// (linalg.matmul / linalg.batch_matmul; linalg.reduce, linalg.broadcast and
// elementwise arith/math) that the CPU pipeline lowers like any other linalg.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/Support/MathExtras.h"

#include <limits>
#include <numeric>

using namespace mlir;
using namespace mlir::ffn;
using namespace mlir::ffn::onnx_import;

static ArrayRef<int64_t> shapeOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getShape();
}

static int64_t product(ArrayRef<int64_t> shape) {
  return std::accumulate(shape.begin(), shape.end(), int64_t(1),
                         std::multiplies<int64_t>());
}

/// Whether the product of `shape` overflows int64.
static bool productOverflows(ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t d : shape)
    if (llvm::MulOverflow(count, d, count))
      return true;
  return false;
}

/// The product of `shape`, dynamic when a dimension is.
static int64_t productOrDynamic(ArrayRef<int64_t> shape) {
  return llvm::is_contained(shape, ShapedType::kDynamic) ? ShapedType::kDynamic
                                                          : product(shape);
}

/// A zero-filled f32 tensor of `sizes`.
static Value zeros(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes) {
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  Value empty = tensor::EmptyOp::create(b, loc, sizes, b.getF32Type());
  return linalg::FillOp::create(b, loc, ValueRange{zero}, ValueRange{empty})
      .getResult(0);
}



/// Groups the leading `batch` dimensions of a rank `batch + 2` tensor into
/// one (or reassociates the rows of a rank `rows + 1` tensor).
static SmallVector<ReassociationIndices> leadingGroup(int64_t grouped,
                                                      int64_t rank) {
  SmallVector<ReassociationIndices> groups;
  ReassociationIndices first(grouped);
  std::iota(first.begin(), first.end(), 0);
  groups.push_back(first);
  for (int64_t d = grouped; d < rank; ++d)
    groups.push_back({d});
  return groups;
}

LogicalResult onnx_import::importGeneralMatMul(NodeContext &n) {
  GraphImporter &g = n.importer;
  OpBuilder &b = g.getBuilder();
  FailureOr<Value> lhs = g.getF32Input(n, 0);
  if (failed(lhs))
    return failure();
  FailureOr<Value> rhs = g.getF32Input(n, 1);
  if (failed(rhs))
    return failure();
  ArrayRef<int64_t> aGiven = shapeOf(*lhs), bGiven = shapeOf(*rhs);
  if (aGiven.empty() || bGiven.empty())
    return n.emitError() << "MatMul operands must not be scalars (shapes "
                         << GraphImporter::shapeStr(aGiven) << " and "
                         << GraphImporter::shapeStr(bGiven) << ")";
  // numpy: a 1-D left operand is a row, a 1-D right operand a column; the
  // added dimension is removed from the result.
  bool aVector = aGiven.size() == 1, bVector = bGiven.size() == 1;
  SmallVector<int64_t> aShape(aGiven), bShape(bGiven);
  if (aVector)
    aShape.insert(aShape.begin(), 1);
  if (bVector)
    bShape.push_back(1);
  int64_t m = aShape[aShape.size() - 2], k = aShape.back();
  int64_t bk = bShape[bShape.size() - 2], nCols = bShape.back();
  // A dynamic reduced dimension (attention's keys) is taken to match.
  if (ShapedType::isDynamic(k))
    k = bk;
  if (k != bk && !ShapedType::isDynamic(bk))
    return n.emitError() << "inner dimensions do not match: "
                         << GraphImporter::shapeStr(aGiven) << " and "
                         << GraphImporter::shapeStr(bGiven);
  ArrayRef<int64_t> aBatch = ArrayRef<int64_t>(aShape).drop_back(2);
  ArrayRef<int64_t> bBatch = ArrayRef<int64_t>(bShape).drop_back(2);
  FailureOr<SmallVector<int64_t>> batch = g.broadcastShapes(n, aBatch, bBatch);
  if (failed(batch))
    return failure();
  Type f32 = b.getF32Type();
  Value a = *lhs, bv = *rhs;
  if (aVector)
    a = tensor::ExpandShapeOp::create(
        b, n.loc, RankedTensorType::get(aShape, f32), a,
        SmallVector<ReassociationIndices>{{0, 1}});
  if (bVector)
    bv = tensor::ExpandShapeOp::create(
        b, n.loc, RankedTensorType::get(bShape, f32), bv,
        SmallVector<ReassociationIndices>{{0, 1}});

  {
    SmallVector<int64_t> all;
    for (int64_t d : *batch)
      if (!ShapedType::isDynamic(d))
        all.push_back(d);
    for (int64_t d : {m, k, nCols})
      if (!ShapedType::isDynamic(d))
        all.push_back(d);
    if (productOverflows(all))
      return n.emitError() << "the product of shapes "
                           << GraphImporter::shapeStr(aGiven) << " and "
                           << GraphImporter::shapeStr(bGiven)
                           << " is too large";
  }
  int64_t nb = batch->size();
  SmallVector<int64_t> fullShape(*batch);
  fullShape.append({m, nCols});
  Value result;
  if (bShape.size() == 2) {
    // A 2-D right operand: the batch dimensions of the left one are more
    // rows of one matrix product.
    SmallVector<int64_t> rowDims(aBatch);
    rowDims.push_back(m);
    int64_t rows = productOrDynamic(rowDims);
    Value a2 = a;
    if (aShape.size() > 2)
      a2 = tensor::CollapseShapeOp::create(
          b, n.loc, RankedTensorType::get({rows, k}, f32), a,
          leadingGroup(aShape.size() - 1, aShape.size()));
    result = linalg::MatmulOp::create(
                 b, n.loc, RankedTensorType::get({rows, nCols}, f32),
                 ValueRange{a2, bv},
                 zeros(b, n.loc,
                       {g.getDimSize(n.loc, a2, 0), g.getDimSize(n.loc, bv, 1)}))
                 .getResult(0);
    if (aShape.size() > 2) {
      SmallVector<OpFoldResult> outSizes = g.getMixedSizes(n.loc, a);
      outSizes.back() = g.getDimSize(n.loc, bv, 1);
      result = tensor::ExpandShapeOp::create(
          b, n.loc, RankedTensorType::get(fullShape, f32), result,
          leadingGroup(fullShape.size() - 1, fullShape.size()), outSizes);
    }
  } else {
    // Both operands broadcast to the batch shape, the batch dimensions
    // collapsed into one: linalg.batch_matmul.
    SmallVector<int64_t> aFull(*batch), bFull(*batch);
    aFull.append({m, k});
    bFull.append({k, nCols});
    // Each operand's own sizes first: the other only gives the batch sizes
    // it broadcasts to.
    FailureOr<Value> aB = g.broadcastToDynamic(n, a, aFull, {a, bv});
    FailureOr<Value> bB = g.broadcastToDynamic(n, bv, bFull, {bv, a});
    if (failed(aB) || failed(bB))
      return failure();
    a = *aB;
    bv = *bB;
    int64_t batchSize = productOrDynamic(*batch);
    auto collapse = [&](Value v, int64_t rows, int64_t cols) -> Value {
      if (nb == 1)
        return v;
      auto type = RankedTensorType::get({batchSize, rows, cols}, f32);
      if (nb == 0)
        return tensor::ExpandShapeOp::create(
            b, n.loc, type, v, SmallVector<ReassociationIndices>{{0, 1}, {2}});
      return tensor::CollapseShapeOp::create(b, n.loc, type, v,
                                             leadingGroup(nb, nb + 2));
    };
    Value a3 = collapse(a, m, k), b3 = collapse(bv, k, nCols);
    result = linalg::BatchMatmulOp::create(
                 b, n.loc, RankedTensorType::get({batchSize, m, nCols}, f32),
                 ValueRange{a3, b3},
                 zeros(b, n.loc,
                       {g.getDimSize(n.loc, a3, 0), g.getDimSize(n.loc, a3, 1),
                        g.getDimSize(n.loc, b3, 2)}))
                 .getResult(0);
    if (nb != 1) {
      SmallVector<OpFoldResult> outSizes = g.getMixedSizes(n.loc, a);
      outSizes.back() = g.getDimSize(n.loc, bv, nb + 1);
      result = tensor::ExpandShapeOp::create(
          b, n.loc, RankedTensorType::get(fullShape, f32), result,
          leadingGroup(nb, nb + 2), outSizes);
    }
  }
  // Drop the dimensions added for vector operands.
  if (aVector || bVector) {
    SmallVector<int64_t> shape(*batch);
    SmallVector<bool> kept(nb, true);
    if (!aVector)
      shape.push_back(m);
    kept.push_back(!aVector);
    if (!bVector)
      shape.push_back(nCols);
    kept.push_back(!bVector);
    result = tensor::CollapseShapeOp::create(
        b, n.loc, RankedTensorType::get(shape, f32), result,
        unitDimReassociation(nb + 2, kept));
  }
  return g.setOutput(n, 0, result);
}

/// Reduces `x` over `axis` with `combine`, starting from `initValue`.
static Value
reduceAxis(OpBuilder &b, Location loc, Value x, int64_t axis, float initValue,
           function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, x);
  sizes.erase(sizes.begin() + axis);
  Value init = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(initValue));
  Value empty = tensor::EmptyOp::create(b, loc, sizes, b.getF32Type());
  Value filled =
      linalg::FillOp::create(b, loc, ValueRange{init}, ValueRange{empty})
          .getResult(0);
  return linalg::ReduceOp::create(
             b, loc, ValueRange{x}, ValueRange{filled}, {axis},
             [&](OpBuilder &nested, Location l, ValueRange args) {
               linalg::YieldOp::create(nested, l,
                                       combine(nested, l, args[0], args[1]));
             })
      .getResult(0);
}

/// `reduced` (`x` reduced over `axis`) broadcast back to the shape of `x`.
static Value broadcastAxis(OpBuilder &b, Location loc, Value reduced, Value x,
                           int64_t axis) {
  Value empty = tensor::EmptyOp::create(
      b, loc, tensor::getMixedSizes(b, loc, x),
      cast<RankedTensorType>(x.getType()).getElementType());
  return linalg::BroadcastOp::create(b, loc, reduced, empty, {axis})
      .getResult()[0];
}

/// Softmax (opset 13 on: along one axis), numerically stable:
/// exp(x - max) / sum(exp(x - max)).
LogicalResult onnx_import::importSoftmax(NodeContext &n) {
  GraphImporter &g = n.importer;
  OpBuilder &b = g.getBuilder();
  if (failed(checkArity(n, 1, 1)))
    return failure();
  FailureOr<int64_t> axisAttr = g.getIntAttr(n, "axis", -1);
  if (failed(axisAttr))
    return failure();
  FailureOr<Value> x = g.getF32Input(n, 0);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  if (*axisAttr < -rank || *axisAttr >= rank)
    return n.emitError() << "axis " << *axisAttr << " is out of range for rank "
                         << rank;
  int64_t axis = *axisAttr < 0 ? *axisAttr + rank : *axisAttr;
  Value max =
      reduceAxis(b, n.loc, *x, axis, -std::numeric_limits<float>::infinity(),
                 [](OpBuilder &nb, Location l, Value in, Value acc) -> Value {
                   return arith::MaximumFOp::create(nb, l, in, acc);
                 });
  Value shifted = arith::SubFOp::create(
      b, n.loc, *x, broadcastAxis(b, n.loc, max, *x, axis));
  Value exp = math::ExpOp::create(b, n.loc, shifted);
  Value sum =
      reduceAxis(b, n.loc, exp, axis, 0.0f,
                 [](OpBuilder &nb, Location l, Value in, Value acc) -> Value {
                   return arith::AddFOp::create(nb, l, in, acc);
                 });
  return g.setOutput(
      n, 0,
      arith::DivFOp::create(b, n.loc, exp,
                            broadcastAxis(b, n.loc, sum, *x, axis)));
}
