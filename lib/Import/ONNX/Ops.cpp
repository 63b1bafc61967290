//===- Ops.cpp - ONNX op handlers -----------------------------------------===//
//
// One handler per ONNX op (and per opset range where the op's signature
// changed), selected by the node's op type and the model's opset. Handlers
// check arity, attributes, element types and shapes and report every problem
// as a diagnostic that names the node; they build upstream ops for generic
// computations and ffn ops for linear layers, activations and norms.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"

#include "ffn/Dialect/FFN/IR/FFNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/STLExtras.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

using namespace mlir;
using namespace mlir::ffn;
using namespace mlir::ffn::onnx_import;

namespace {
using Handler = LogicalResult (*)(NodeContext &);

/// An op handler and the first opset it applies to: the handler of a node is
/// the one with the largest `sinceVersion` not above the model's opset.
struct OpHandler {
  const char *opType;
  int64_t sinceVersion;
  Handler handler;
  /// Whether the handler takes inputs with dynamic dimensions; the others
  /// are only given static shapes (a diagnostic asks to pin the dimensions).
  bool dynamic = false;
};

/// Marks a handler that takes dynamic dimensions.
constexpr bool kDynamic = true;
} // namespace

LogicalResult onnx_import::checkArity(NodeContext &n, int min, int max) {
  if (n.numInputs() < min || n.numInputs() > max) {
    InFlightDiagnostic diag = n.emitError();
    diag << "expects ";
    if (min == max)
      diag << min;
    else
      diag << min << " to " << max;
    diag << " input" << (max == 1 ? "" : "s") << ", has " << n.numInputs();
    return diag;
  }
  return success();
}

LogicalResult onnx_import::requireStaticInputs(NodeContext &n) {
  int input = n.importer.firstDynamicInput(n);
  if (input < 0)
    return success();
  return n.emitError() << "input " << input << " ('" << n.node.input(input)
                       << "') has dynamic dimensions, which this form of the "
                          "op does not take yet: pin them with --shape "
                          "NAME=DIMS";
}

static ArrayRef<int64_t> shapeOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getShape();
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

/// Pow whose base and exponent types differ, or are integers (f32 base with
/// an int exponent, int base with an f32 exponent): both are computed in f64
/// and the result converted to the base's type, as numpy's power does.
static LogicalResult importMixedPow(NodeContext &n, Value lhs, Value rhs) {
  GraphImporter &g = n.importer;
  OpBuilder &b = g.getBuilder();
  auto isSupported = [](Type t) {
    return isa<Float32Type, Float64Type>(t) ||
           (t.isSignlessInteger() && !t.isInteger(1));
  };
  Type base = getElementTypeOrSelf(lhs.getType());
  Type exponent = getElementTypeOrSelf(rhs.getType());
  if (!isSupported(base) || !isSupported(exponent))
    return n.emitError() << "operands of types " << lhs.getType() << " and "
                         << rhs.getType() << " are not supported";
  FailureOr<std::pair<Value, Value>> operands = g.broadcastPair(n, lhs, rhs);
  if (failed(operands))
    return failure();
  ArrayRef<int64_t> shape = shapeOf(operands->first);
  auto toF64 = [&](Value v) -> Value {
    Type t = getElementTypeOrSelf(v.getType());
    auto type = RankedTensorType::get(shape, b.getF64Type());
    if (t.isF64())
      return v;
    if (isa<FloatType>(t))
      return arith::ExtFOp::create(b, n.loc, type, v);
    return arith::SIToFPOp::create(b, n.loc, type, v);
  };
  Value pow = math::PowFOp::create(b, n.loc, toF64(operands->first),
                                   toF64(operands->second));
  auto resultType = RankedTensorType::get(shape, base);
  Value result = pow;
  if (isa<Float32Type>(base))
    result = arith::TruncFOp::create(b, n.loc, resultType, pow);
  else if (isa<IntegerType>(base))
    result = arith::FPToSIOp::create(b, n.loc, resultType, pow);
  return g.setOutput(n, 0, result);
}

/// Add, Sub, Mul, Div, Pow: numpy broadcasting, then the arith/math op on
/// equal shapes. Add/Sub/Mul/Div of integers known at import (shape
/// arithmetic) are folded.
template <typename OpTy> static LogicalResult importBinary(NodeContext &n) {
  GraphImporter &g = n.importer;
  if (failed(checkArity(n, 2, 2)))
    return failure();
  if (allInputsKnownInts(n)) {
    if constexpr (std::is_same_v<OpTy, arith::AddFOp>)
      return foldIntBinary(n, '+');
    if constexpr (std::is_same_v<OpTy, arith::SubFOp>)
      return foldIntBinary(n, '-');
    if constexpr (std::is_same_v<OpTy, arith::MulFOp>)
      return foldIntBinary(n, '*');
    if constexpr (std::is_same_v<OpTy, arith::DivFOp>)
      return foldIntBinary(n, '/');
  }
  FailureOr<Value> lhs = g.getInput(n, 0);
  if (failed(lhs))
    return failure();
  FailureOr<Value> rhs = g.getInput(n, 1);
  if (failed(rhs))
    return failure();
  if constexpr (std::is_same_v<OpTy, math::PowFOp>) {
    if (getElementTypeOrSelf(lhs->getType()) !=
        getElementTypeOrSelf(rhs->getType()))
      return importMixedPow(n, *lhs, *rhs);
  }
  // Floats (f32, f64) take OpTy; integers (not booleans) its integer form.
  Type element = getElementTypeOrSelf(lhs->getType());
  bool isInt = element.isSignlessInteger() && !element.isInteger(1);
  if (!isa<RankedTensorType>(lhs->getType()) ||
      element != getElementTypeOrSelf(rhs->getType()) ||
      !(isa<Float32Type, Float64Type>(element) || isInt) ||
      (isInt && std::is_same_v<OpTy, math::PowFOp>)) {
    if constexpr (std::is_same_v<OpTy, math::PowFOp>)
      if (isInt)
        return importMixedPow(n, *lhs, *rhs);
    return n.emitError() << "operands of types " << lhs->getType() << " and "
                         << rhs->getType() << " are not supported (expected "
                         << "two f32 or f64 tensors"
                         << (std::is_same_v<OpTy, math::PowFOp>
                                 ? ""
                                 : ", or two integer tensors of one type")
                         << ")";
  }
  OpBuilder &b = g.getBuilder();
  FailureOr<std::pair<Value, Value>> operands = g.broadcastPair(n, *lhs, *rhs);
  if (failed(operands))
    return failure();
  auto [l, r] = *operands;
  if (!isInt)
    return g.setOutput(n, 0, OpTy::create(b, n.loc, l, r));
  Value result;
  if constexpr (std::is_same_v<OpTy, arith::AddFOp>)
    result = arith::AddIOp::create(b, n.loc, l, r);
  else if constexpr (std::is_same_v<OpTy, arith::SubFOp>)
    result = arith::SubIOp::create(b, n.loc, l, r);
  else if constexpr (std::is_same_v<OpTy, arith::MulFOp>)
    result = arith::MulIOp::create(b, n.loc, l, r);
  else if constexpr (std::is_same_v<OpTy, arith::DivFOp>)
    result = arith::DivSIOp::create(b, n.loc, l, r);
  return g.setOutput(n, 0, result);
}

/// `max` (or `min`) of two tensors of one element type, broadcast: NaN
/// propagating for floats, signed for integers.
static FailureOr<Value> importExtremum(NodeContext &n, Value lhs, Value rhs,
                                      bool isMax) {
  GraphImporter &g = n.importer;
  Type element = getElementTypeOrSelf(lhs.getType());
  bool isInt = element.isSignlessInteger() && !element.isInteger(1);
  if (!isa<RankedTensorType>(lhs.getType()) ||
      element != getElementTypeOrSelf(rhs.getType()) ||
      !(isa<Float32Type, Float64Type>(element) || isInt))
    return n.emitError() << "operands of types " << lhs.getType() << " and "
                         << rhs.getType()
                         << " are not supported (expected f32, f64 or integer "
                            "tensors of one type)";
  OpBuilder &b = g.getBuilder();
  FailureOr<std::pair<Value, Value>> operands = g.broadcastPair(n, lhs, rhs);
  if (failed(operands))
    return failure();
  auto [l, r] = *operands;
  if (isInt)
    return isMax ? arith::MaxSIOp::create(b, n.loc, l, r).getResult()
                 : arith::MinSIOp::create(b, n.loc, l, r).getResult();
  return isMax ? arith::MaximumFOp::create(b, n.loc, l, r).getResult()
               : arith::MinimumFOp::create(b, n.loc, l, r).getResult();
}

/// Max and Min: the elementwise extremum of one or more inputs, broadcast.
template <bool IsMax> static LogicalResult importMaxMin(NodeContext &n) {
  GraphImporter &g = n.importer;
  if (failed(checkArity(n, 1, std::numeric_limits<int>::max())))
    return failure();
  FailureOr<Value> acc = g.getInput(n, 0);
  if (failed(acc))
    return failure();
  for (int i = 1; i < n.numInputs(); ++i) {
    FailureOr<Value> next = g.getInput(n, i);
    if (failed(next))
      return failure();
    acc = importExtremum(n, *acc, *next, IsMax);
    if (failed(acc))
      return failure();
  }
  return g.setOutput(n, 0, *acc);
}

/// Clip(x, min, max) = min(max(x, min), max), the bounds optional scalar
/// inputs (the form of opset 11 on; the importer reads opsets 13 and up).
static LogicalResult importClip(NodeContext &n) {
  GraphImporter &g = n.importer;
  if (failed(checkArity(n, 1, 3)))
    return failure();
  FailureOr<Value> x = g.getInput(n, 0);
  if (failed(x))
    return failure();
  Value result = *x;
  for (auto [index, isMax] : {std::pair{1, true}, std::pair{2, false}}) {
    if (!n.hasInput(index))
      continue;
    FailureOr<Value> bound = g.getInput(n, index);
    if (failed(bound))
      return failure();
    FailureOr<Value> clipped = importExtremum(n, result, *bound, isMax);
    if (failed(clipped))
      return failure();
    result = *clipped;
  }
  return g.setOutput(n, 0, result);
}

/// Unary ops that map onto one op of the same shape, on f32 or f64.
template <typename OpTy> static LogicalResult importUnary(NodeContext &n) {
  GraphImporter &g = n.importer;
  if (failed(checkArity(n, 1, 1)))
    return failure();
  FailureOr<Value> x = g.getInput(n, 0);
  if (failed(x))
    return failure();
  if (!isa<RankedTensorType>(x->getType()) ||
      !isa<Float32Type, Float64Type>(getElementTypeOrSelf(x->getType())))
    return n.emitError() << "input '" << n.node.input(0) << "' has type "
                         << x->getType() << "; expected an f32 or f64 tensor";
  return g.setOutput(n, 0, OpTy::create(g.getBuilder(), n.loc, *x));
}

static LogicalResult importReciprocal(NodeContext &n) {
  GraphImporter &g = n.importer;
  if (failed(checkArity(n, 1, 1)))
    return failure();
  FailureOr<Value> x = g.getF32Input(n, 0);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  FailureOr<Value> one = g.splatF32(n, type, 1.0f, *x);
  if (failed(one))
    return failure();
  return g.setOutput(n, 0,
                     arith::DivFOp::create(g.getBuilder(), n.loc, *one, *x));
}

/// Sigmoid(x) = 1 / (1 + exp(-x)).
static LogicalResult importSigmoid(NodeContext &n) {
  GraphImporter &g = n.importer;
  if (failed(checkArity(n, 1, 1)))
    return failure();
  FailureOr<Value> x = g.getF32Input(n, 0);
  if (failed(x))
    return failure();
  OpBuilder &b = g.getBuilder();
  auto type = cast<RankedTensorType>(x->getType());
  Value neg = arith::NegFOp::create(b, n.loc, *x);
  Value exp = math::ExpOp::create(b, n.loc, neg);
  FailureOr<Value> one = g.splatF32(n, type, 1.0f, *x);
  if (failed(one))
    return failure();
  Value sum = arith::AddFOp::create(b, n.loc, *one, exp);
  return g.setOutput(n, 0, arith::DivFOp::create(b, n.loc, *one, sum));
}

//===----------------------------------------------------------------------===//
// Activations and norms (ffn ops)
//===----------------------------------------------------------------------===//

static LogicalResult importRelu(NodeContext &n) {
  GraphImporter &g = n.importer;
  if (failed(checkArity(n, 1, 1)))
    return failure();
  FailureOr<Value> x = g.getF32Input(n, 0);
  if (failed(x))
    return failure();
  return g.setOutput(n, 0,
                     ReluOp::create(g.getBuilder(), n.loc, x->getType(), *x));
}

static LogicalResult importGelu(NodeContext &n) {
  GraphImporter &g = n.importer;
  if (failed(checkArity(n, 1, 1)))
    return failure();
  FailureOr<std::string> approximate =
      g.getStringAttr(n, "approximate", "none");
  if (failed(approximate))
    return failure();
  GeluApproximation kind;
  if (*approximate == "none")
    kind = GeluApproximation::none;
  else if (*approximate == "tanh")
    kind = GeluApproximation::tanh;
  else
    return n.emitError() << "unknown approximate='" << *approximate
                         << "' (expected 'none' or 'tanh')";
  FailureOr<Value> x = g.getF32Input(n, 0);
  if (failed(x))
    return failure();
  auto attr = GeluApproximationAttr::get(g.getContext(), kind);
  return g.setOutput(
      n, 0, GeluOp::create(g.getBuilder(), n.loc, x->getType(), *x, attr));
}

/// `value` (scale or bias of a norm) as a vector of `features` elements:
/// unchanged if it is one, its unit dimensions collapsed, or a broadcast
/// single element.
static FailureOr<Value> toFeatureVector(NodeContext &n, Value value,
                                        StringRef what, int64_t features) {
  GraphImporter &g = n.importer;
  auto type = cast<RankedTensorType>(value.getType());
  ArrayRef<int64_t> shape = type.getShape();
  if (shape.size() == 1 && shape[0] == features)
    return value;
  auto vectorType = RankedTensorType::get({features}, type.getElementType());
  if (type.getNumElements() == features && !shape.empty() &&
      shape.back() == features) {
    SmallVector<bool> kept(shape.size(), false);
    kept.back() = true;
    return tensor::CollapseShapeOp::create(
               g.getBuilder(), n.loc, vectorType, value,
               unitDimReassociation(shape.size(), kept))
        .getResult();
  }
  if (type.getNumElements() == 1) {
    SmallVector<bool> kept(shape.size(), false);
    Value scalar = value;
    if (!shape.empty())
      scalar = tensor::CollapseShapeOp::create(
          g.getBuilder(), n.loc,
          RankedTensorType::get({}, type.getElementType()), value,
          unitDimReassociation(shape.size(), kept));
    return g.broadcastTo(n.loc, scalar, {features});
  }
  return n.emitError() << what << " has shape "
                       << GraphImporter::shapeStr(shape) << "; expected "
                       << features << " elements for the normalised axis";
}

/// tensor.dim of each dynamic dimension of `x` before `axis`.
static SmallVector<Value> leadingDynamicSizes(OpBuilder &b, Location loc,
                                              Value x, int64_t axis) {
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<Value> sizes;
  for (int64_t d = 0; d < axis; ++d)
    if (type.isDynamicDim(d))
      sizes.push_back(tensor::DimOp::create(b, loc, x, d));
  return sizes;
}

/// The sum of `x` over its dimensions from `axis` on, divided by `count`:
/// a tensor of the leading dimensions.
static Value meanOverTrailing(NodeContext &n, Value x, int64_t axis,
                              int64_t count) {
  GraphImporter &g = n.importer;
  OpBuilder &b = g.getBuilder();
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> dims;
  for (int64_t d = axis; d < type.getRank(); ++d)
    dims.push_back(d);
  ArrayRef<int64_t> kept = type.getShape().take_front(axis);
  Type f32 = type.getElementType();
  Value zero = arith::ConstantOp::create(b, n.loc, b.getF32FloatAttr(0.0f));
  Value empty = tensor::EmptyOp::create(b, n.loc, kept, f32,
                                        leadingDynamicSizes(b, n.loc, x, axis));
  Value init =
      linalg::FillOp::create(b, n.loc, ValueRange{zero}, ValueRange{empty})
          .getResult(0);
  auto reduce = linalg::ReduceOp::create(
      b, n.loc, ValueRange{x}, ValueRange{init}, dims,
      [](OpBuilder &nested, Location loc, ValueRange args) {
        Value sum = arith::AddFOp::create(nested, loc, args[0], args[1]);
        linalg::YieldOp::create(nested, loc, sum);
      });
  Value sum = reduce.getResult(0);
  // The sum has the leading dimensions of `x`: its own sizes serve.
  FailureOr<Value> divisors =
      g.splatF32(n, cast<RankedTensorType>(sum.getType()),
                 static_cast<float>(count), sum);
  return arith::DivFOp::create(b, n.loc, sum, *divisors);
}

/// LayerNormalization over the dimensions from `axis` on, with the Mean and
/// InvStdDev outputs (X's shape with those dimensions 1): the definition's
/// decomposition in reductions and elementwise ops, for what ffn.layer_norm
/// (last axis, Y only) does not cover.
static LogicalResult buildDecomposedLayerNorm(NodeContext &n, Value x,
                                              int64_t axis, float epsilon) {
  GraphImporter &g = n.importer;
  OpBuilder &b = g.getBuilder();
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  ArrayRef<int64_t> shape = type.getShape();
  int64_t count = 1;
  for (int64_t d = axis; d < rank; ++d) {
    if (ShapedType::isDynamic(shape[d]))
      return n.emitError() << "normalising over dynamic dimension " << d
                           << " is not supported; pin it with --shape";
    count *= shape[d];
  }
  SmallVector<int64_t> reducedDims;
  for (int64_t d = axis; d < rank; ++d)
    reducedDims.push_back(d);
  auto spread = [&](Value v) -> Value {
    Value init = tensor::EmptyOp::create(b, n.loc, shape, type.getElementType(),
                                         leadingDynamicSizes(b, n.loc, x, rank));
    return linalg::BroadcastOp::create(b, n.loc, v, init, reducedDims)
        .getResult()[0];
  };
  // Scale and bias broadcast (numpy, from the right) to the normalised
  // dimensions.
  SmallVector<Value> params;
  for (int i = 1; i < 3; ++i) {
    FailureOr<Value> p = g.getOptionalF32Input(n, i);
    if (failed(p))
      return failure();
    if (!*p) {
      params.push_back(Value());
      continue;
    }
    ArrayRef<int64_t> pShape = shapeOf(*p);
    FailureOr<SmallVector<int64_t>> joint =
        g.broadcastShapes(n, shape.drop_front(axis), pShape);
    if (failed(joint))
      return failure();
    if (ArrayRef<int64_t>(*joint) != shape.drop_front(axis))
      return n.emitError() << (i == 1 ? "scale" : "bias") << " of shape "
                           << GraphImporter::shapeStr(pShape)
                           << " does not broadcast to the normalised shape "
                           << GraphImporter::shapeStr(shape.drop_front(axis));
    FailureOr<Value> param = g.broadcastToDynamic(n, *p, shape, x);
    if (failed(param))
      return failure();
    params.push_back(*param);
  }
  Value mean = meanOverTrailing(n, x, axis, count);
  Value diff = arith::SubFOp::create(b, n.loc, x, spread(mean));
  Value square = arith::MulFOp::create(b, n.loc, diff, diff);
  Value variance = meanOverTrailing(n, square, axis, count);
  auto keptType = cast<RankedTensorType>(variance.getType());
  FailureOr<Value> one = g.splatF32(n, keptType, 1.0f, variance);
  FailureOr<Value> eps = g.splatF32(n, keptType, epsilon, variance);
  if (failed(one) || failed(eps))
    return failure();
  Value invStdDev = arith::DivFOp::create(
      b, n.loc, *one,
      math::SqrtOp::create(b, n.loc,
                           arith::AddFOp::create(b, n.loc, variance, *eps)));
  Value y = arith::MulFOp::create(b, n.loc, diff, spread(invStdDev));
  y = arith::MulFOp::create(b, n.loc, y, params[0]);
  if (params[1])
    y = arith::AddFOp::create(b, n.loc, y, params[1]);
  if (failed(g.setOutput(n, 0, y)))
    return failure();
  SmallVector<int64_t> statShape(shape.take_front(axis));
  statShape.append(rank - axis, 1);
  SmallVector<bool> kept;
  for (int64_t d = 0; d < rank; ++d)
    kept.push_back(d < axis);
  for (auto [i, stat] : llvm::enumerate(ArrayRef<Value>{mean, invStdDev})) {
    Value expanded = tensor::ExpandShapeOp::create(
        b, n.loc, RankedTensorType::get(statShape, type.getElementType()), stat,
        unitDimReassociation(rank, kept));
    if (failed(g.setOutput(n, i + 1, expanded)))
      return failure();
  }
  return success();
}

static LogicalResult importLayerNormalization(NodeContext &n) {
  GraphImporter &g = n.importer;
  if (failed(checkArity(n, 2, 3)))
    return failure();
  FailureOr<Value> x = g.getF32Input(n, 0);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  FailureOr<int64_t> axis = g.getIntAttr(n, "axis", -1);
  FailureOr<float> epsilon = g.getFloatAttr(n, "epsilon", 1e-5f);
  if (failed(axis) || failed(epsilon))
    return failure();
  if (rank == 0)
    return n.emitError() << "input must have at least one dimension";
  if (*axis < -rank || *axis >= rank)
    return n.emitError() << "axis " << *axis << " is out of range for rank "
                         << rank;
  int64_t normAxis = *axis < 0 ? *axis + rank : *axis;
  if (*epsilon < 0)
    return n.emitError() << "epsilon must not be negative";
  if (normAxis != rank - 1 || n.hasOutput(1) || n.hasOutput(2))
    return buildDecomposedLayerNorm(n, *x, normAxis, *epsilon);
  int64_t features = type.getDimSize(rank - 1);
  if (ShapedType::isDynamic(features))
    return n.emitError() << "normalising over a dynamic dimension is not "
                            "supported; pin it with --shape";
  FailureOr<Value> scale = g.getF32Input(n, 1);
  if (failed(scale))
    return failure();
  FailureOr<Value> bias = g.getOptionalF32Input(n, 2);
  if (failed(bias))
    return failure();
  scale = toFeatureVector(n, *scale, "scale", features);
  if (failed(scale))
    return failure();
  if (*bias) {
    bias = toFeatureVector(n, *bias, "bias", features);
    if (failed(bias))
      return failure();
  }
  OpBuilder &b = g.getBuilder();
  return g.setOutput(n, 0,
                     LayerNormOp::create(b, n.loc, type, *x, *scale, *bias,
                                         b.getF32FloatAttr(*epsilon)));
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

namespace {
/// The sum-based reductions.
enum class Reduction {
  Sum,       // ReduceSum
  Mean,      // ReduceMean: the sum over the element count
  SumSquare, // ReduceSumSquare: the sum of squares
  L2,        // ReduceL2: the square root of the sum of squares
};
} // namespace

/// The reduction `kind` of `x` over `axes` (absent: all), as a linalg.reduce
/// sum (of squares for SumSquare and L2), then divided by the element count
/// (Mean) or its square root taken (L2).
static LogicalResult buildReduceSum(NodeContext &n, Value x,
                                    std::optional<SmallVector<int64_t>> axes,
                                    Reduction kind) {
  GraphImporter &g = n.importer;
  OpBuilder &b = g.getBuilder();
  FailureOr<int64_t> keepDims = g.getIntAttr(n, "keepdims", 1);
  if (failed(keepDims))
    return failure();
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rank = type.getRank();
  if (llvm::is_contained(type.getShape(), 0))
    return n.emitError() << "reductions of tensors with a zero-size "
                            "dimension are not supported";
  SmallVector<bool> reduced(rank, !axes || axes->empty());
  if (axes && !axes->empty()) {
    for (int64_t axis : *axes) {
      if (axis < -rank || axis >= rank)
        return n.emitError()
               << "axis " << axis << " is out of range for rank " << rank;
      int64_t a = axis < 0 ? axis + rank : axis;
      if (reduced[a])
        return n.emitError() << "axis " << axis << " is given twice";
      reduced[a] = true;
    }
  }
  SmallVector<int64_t> dims, keptShape, outShape;
  SmallVector<Value> keptSizes;
  int64_t count = 1;
  for (int64_t d = 0; d < rank; ++d) {
    if (reduced[d]) {
      if (type.isDynamicDim(d) && kind == Reduction::Mean)
        return n.emitError() << "a mean over dynamic dimension " << d
                             << " is not supported; pin it with --shape";
      dims.push_back(d);
      count *= type.getDimSize(d);
      outShape.push_back(1);
    } else {
      keptShape.push_back(type.getDimSize(d));
      outShape.push_back(type.getDimSize(d));
      if (type.isDynamicDim(d))
        keptSizes.push_back(tensor::DimOp::create(b, n.loc, x, d));
    }
  }
  if (dims.empty())
    return g.setOutput(n, 0, x);

  Type f32 = type.getElementType();
  auto keptType = RankedTensorType::get(keptShape, f32);
  Value zero = arith::ConstantOp::create(b, n.loc, b.getF32FloatAttr(0.0f));
  Value empty = tensor::EmptyOp::create(b, n.loc, keptShape, f32, keptSizes);
  Value init =
      linalg::FillOp::create(b, n.loc, ValueRange{zero}, ValueRange{empty})
          .getResult(0);
  bool squares = kind == Reduction::SumSquare || kind == Reduction::L2;
  auto reduce = linalg::ReduceOp::create(
      b, n.loc, ValueRange{x}, ValueRange{init}, dims,
      [&](OpBuilder &nested, Location loc, ValueRange args) {
        Value term = args[0];
        if (squares)
          term = arith::MulFOp::create(nested, loc, term, term);
        Value sum = arith::AddFOp::create(nested, loc, term, args[1]);
        linalg::YieldOp::create(nested, loc, sum);
      });
  Value result = reduce.getResult(0);
  if (kind == Reduction::Mean) {
    FailureOr<Value> divisor =
        g.splatF32(n, keptType, static_cast<float>(count), result);
    if (failed(divisor))
      return failure();
    result = arith::DivFOp::create(b, n.loc, result, *divisor);
  }
  if (kind == Reduction::L2)
    result = math::SqrtOp::create(b, n.loc, result);
  if (*keepDims) {
    SmallVector<bool> kept;
    for (int64_t d = 0; d < rank; ++d)
      kept.push_back(!reduced[d]);
    result = tensor::ExpandShapeOp::create(
        b, n.loc, RankedTensorType::get(outShape, f32), result,
        unitDimReassociation(rank, kept));
  }
  return g.setOutput(n, 0, result);
}

/// A reduction with its axes as an attribute (ReduceMean, ReduceL2 and
/// ReduceSumSquare before opset 18, ReduceSum before 13).
static LogicalResult importReduceAxesAttr(NodeContext &n, Reduction kind) {
  GraphImporter &g = n.importer;
  if (failed(checkArity(n, 1, 1)))
    return failure();
  FailureOr<Value> x = g.getF32Input(n, 0);
  if (failed(x))
    return failure();
  FailureOr<std::optional<SmallVector<int64_t>>> axes =
      g.getIntsAttr(n, "axes");
  if (failed(axes))
    return failure();
  return buildReduceSum(n, *x, *axes, kind);
}

/// A reduction with its axes as an optional constant input (ReduceMean,
/// ReduceL2 and ReduceSumSquare from opset 18, ReduceSum from 13).
static LogicalResult importReduceAxesInput(NodeContext &n, Reduction kind) {
  GraphImporter &g = n.importer;
  if (failed(checkArity(n, 1, 2)))
    return failure();
  if (g.findAttr(n, "axes"))
    return n.emitError() << "axes is an input from opset 18 on, not an "
                            "attribute";
  FailureOr<Value> x = g.getF32Input(n, 0);
  if (failed(x))
    return failure();
  std::optional<SmallVector<int64_t>> axes;
  if (n.hasInput(1)) {
    if (!g.isConstantInput(n, 1)) {
      if (failed(g.getInput(n, 1)))
        return failure();
      return n.emitError() << "non-constant axes are not supported";
    }
    FailureOr<SmallVector<int64_t>> given = g.getI64ConstantInput(n, 1);
    if (failed(given))
      return failure();
    axes = std::move(*given);
  }
  if (!axes || axes->empty()) {
    FailureOr<int64_t> noop = g.getIntAttr(n, "noop_with_empty_axes", 0);
    if (failed(noop))
      return failure();
    if (*noop)
      return g.setOutput(n, 0, *x);
  }
  return buildReduceSum(n, *x, axes, kind);
}

/// The handlers of a reduction: axes as an attribute, or (ReduceSum from
/// opset 13, the others from 18) as an input.
template <Reduction kind>
static LogicalResult importReduceWithAttr(NodeContext &n) {
  return importReduceAxesAttr(n, kind);
}
template <Reduction kind>
static LogicalResult importReduceWithInput(NodeContext &n) {
  return importReduceAxesInput(n, kind);
}

//===----------------------------------------------------------------------===//
// Linear layers
//===----------------------------------------------------------------------===//

/// Writes the [cols, rows] transpose of the row-major [rows, cols] `src`,
/// each element times `scale`, to `dst`.
static void transposeInto(ArrayRef<float> src, int64_t rows, int64_t cols,
                          float scale, MutableArrayRef<float> dst) {
  constexpr int64_t kBlock = 64;
  for (int64_t r0 = 0; r0 < rows; r0 += kBlock)
    for (int64_t c0 = 0; c0 < cols; c0 += kBlock)
      for (int64_t r = r0, re = std::min(rows, r0 + kBlock); r < re; ++r)
        for (int64_t c = c0, ce = std::min(cols, c0 + kBlock); c < ce; ++c)
          dst[c * rows + r] = src[r * cols + c] * scale;
}

/// MatMul(x[..., K], W[K, N]) with a constant 2-D W and a non-constant x:
/// ffn.linear with Wᵀ. Every other MatMul (two activations, a constant left
/// operand, a constant of rank other than 2) is a general matrix product.
static LogicalResult importMatMul(NodeContext &n) {
  GraphImporter &g = n.importer;
  if (failed(checkArity(n, 2, 2)))
    return failure();
  FailureOr<RankedTensorType> wType = g.getInputType(n, 1);
  if (failed(wType))
    return failure();
  if (!g.isConstantInput(n, 1) || g.isConstantInput(n, 0) ||
      wType->getRank() != 2)
    return importGeneralMatMul(n);
  FailureOr<Value> x = g.getF32Input(n, 0);
  if (failed(x))
    return failure();
  FailureOr<F32Constant> w = g.getF32ConstantInput(n, 1);
  if (failed(w))
    return failure();
  ArrayRef<int64_t> xShape = shapeOf(*x);
  ArrayRef<int64_t> wShape = w->type.getShape();
  if (xShape.empty())
    return n.emitError() << "the left operand of MatMul must not be a scalar";
  if (wShape.size() != 2)
    return n.emitError() << "the constant right operand of MatMul has shape "
                         << GraphImporter::shapeStr(wShape)
                         << "; only 2-D weights are supported";
  int64_t k = wShape[0], outFeatures = wShape[1];
  if (ShapedType::isDynamic(xShape.back()))
    return n.emitError() << "the reduced dimension of the left operand ("
                         << GraphImporter::shapeStr(xShape)
                         << ") is dynamic; pin it with --shape";
  if (xShape.back() != k)
    return n.emitError() << "inner dimensions do not match: "
                         << GraphImporter::shapeStr(xShape) << " and "
                         << GraphImporter::shapeStr(wShape);
  auto wtType =
      RankedTensorType::get({outFeatures, k}, w->type.getElementType());
  std::string key = n.node.input(1) + "/transposed";
  Value wt = g.getDerivedConstant(key);
  if (!wt) {
    wt = g.createF32Constant(
        n.loc, wtType, n.node.input(1) + "_T", [&](MutableArrayRef<float> dst) {
          transposeInto(w->values, k, outFeatures, 1.0f, dst);
        });
    g.setDerivedConstant(key, wt);
  }
  SmallVector<int64_t> resultShape(xShape);
  resultShape.back() = outFeatures;
  auto resultType =
      RankedTensorType::get(resultShape, w->type.getElementType());
  return g.setOutput(
      n, 0,
      LinearOp::create(g.getBuilder(), n.loc, resultType, *x, wt, Value()));
}

/// The transpose of the 2-D `value`.
static Value transpose2D(OpBuilder &b, Location loc, Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> shape = {type.getDimSize(1), type.getDimSize(0)};
  Value init = tensor::EmptyOp::create(b, loc, shape, type.getElementType());
  return linalg::TransposeOp::create(b, loc, value, init,
                                     ArrayRef<int64_t>{1, 0})
      .getResult()[0];
}

/// Gemm that is not a linear layer (a non-constant B, or transA):
/// alpha·op(A)·op(B) + beta·C as a linalg.matmul and elementwise ops.
static LogicalResult importGeneralGemm(NodeContext &n, int64_t transA,
                                       int64_t transB, float alpha,
                                       float beta) {
  GraphImporter &g = n.importer;
  OpBuilder &b = g.getBuilder();
  FailureOr<Value> a = g.getF32Input(n, 0);
  if (failed(a))
    return failure();
  FailureOr<Value> bv = g.getF32Input(n, 1);
  if (failed(bv))
    return failure();
  for (Value v : {*a, *bv})
    if (shapeOf(v).size() != 2)
      return n.emitError() << "operand of shape "
                           << GraphImporter::shapeStr(shapeOf(v))
                           << "; Gemm takes 2-D A and B";
  Value lhs = transA ? transpose2D(b, n.loc, *a) : *a;
  Value rhs = transB ? transpose2D(b, n.loc, *bv) : *bv;
  int64_t m = shapeOf(lhs)[0], k = shapeOf(lhs)[1];
  int64_t bK = shapeOf(rhs)[0], cols = shapeOf(rhs)[1];
  if (k != bK)
    return n.emitError() << "inner dimensions do not match: op(A) is "
                         << GraphImporter::shapeStr(shapeOf(lhs))
                         << ", op(B) is "
                         << GraphImporter::shapeStr(shapeOf(rhs));
  auto resultType = RankedTensorType::get({m, cols}, b.getF32Type());
  Value zero = arith::ConstantOp::create(b, n.loc, b.getF32FloatAttr(0.0f));
  Value empty = tensor::EmptyOp::create(b, n.loc, resultType.getShape(),
                                        b.getF32Type());
  Value init =
      linalg::FillOp::create(b, n.loc, ValueRange{zero}, ValueRange{empty})
          .getResult(0);
  Value result = linalg::MatmulOp::create(b, n.loc, resultType,
                                          ValueRange{lhs, rhs}, init)
                     .getResult(0);
  if (alpha != 1.0f)
    result = arith::MulFOp::create(b, n.loc, result,
                                   g.splatF32(n.loc, resultType, alpha));
  if (n.hasInput(2)) {
    FailureOr<Value> c = g.getF32Input(n, 2);
    if (failed(c))
      return failure();
    FailureOr<SmallVector<int64_t>> shape =
        g.broadcastShapes(n, resultType.getShape(), shapeOf(*c));
    if (failed(shape))
      return failure();
    if (ArrayRef<int64_t>(*shape) != resultType.getShape())
      return n.emitError() << "C of shape "
                           << GraphImporter::shapeStr(shapeOf(*c))
                           << " does not broadcast to the result shape "
                           << GraphImporter::shapeStr(resultType.getShape());
    Value addend = g.broadcastTo(n.loc, *c, resultType.getShape());
    if (beta != 1.0f)
      addend = arith::MulFOp::create(b, n.loc, addend,
                                     g.splatF32(n.loc, resultType, beta));
    result = arith::AddFOp::create(b, n.loc, result, addend);
  }
  return g.setOutput(n, 0, result);
}

/// Gemm(A[M, K], B, C) with a constant B: ffn.linear with the [N, K] weight
/// alpha·B (transposed unless transB), and beta·C as the bias when it is a
/// constant vector of N elements (otherwise added after).
static LogicalResult importGemm(NodeContext &n) {
  GraphImporter &g = n.importer;
  OpBuilder &b = g.getBuilder();
  if (failed(checkArity(n, 2, 3)))
    return failure();
  FailureOr<int64_t> transA = g.getIntAttr(n, "transA", 0);
  FailureOr<int64_t> transB = g.getIntAttr(n, "transB", 0);
  FailureOr<float> alpha = g.getFloatAttr(n, "alpha", 1.0f);
  FailureOr<float> beta = g.getFloatAttr(n, "beta", 1.0f);
  if (failed(transA) || failed(transB) || failed(alpha) || failed(beta))
    return failure();
  if (*transA != 0 || !g.isConstantInput(n, 1)) {
    if (failed(requireStaticInputs(n)))
      return failure();
    return importGeneralGemm(n, *transA, *transB, *alpha, *beta);
  }
  FailureOr<Value> a = g.getF32Input(n, 0);
  if (failed(a))
    return failure();
  ArrayRef<int64_t> aShape = shapeOf(*a);
  if (aShape.size() != 2)
    return n.emitError() << "A has shape " << GraphImporter::shapeStr(aShape)
                         << "; Gemm takes a 2-D A";

  // The weight in [N, K] layout.
  Value weight;
  int64_t m = aShape[0], k = aShape[1], outFeatures;
  if (ShapedType::isDynamic(k))
    return n.emitError() << "A has shape " << GraphImporter::shapeStr(aShape)
                         << "; a dynamic reduced dimension is not supported";
  {
    FailureOr<F32Constant> bConst = g.getF32ConstantInput(n, 1);
    if (failed(bConst))
      return failure();
    ArrayRef<int64_t> bShape = bConst->type.getShape();
    if (bShape.size() != 2)
      return n.emitError() << "B has shape " << GraphImporter::shapeStr(bShape)
                           << "; Gemm takes a 2-D B";
    int64_t bK = *transB ? bShape[1] : bShape[0];
    outFeatures = *transB ? bShape[0] : bShape[1];
    if (bK != k)
      return n.emitError() << "inner dimensions do not match: A is "
                           << GraphImporter::shapeStr(aShape) << ", B is "
                           << GraphImporter::shapeStr(bShape)
                           << " (transB=" << *transB << ")";
    auto wType = RankedTensorType::get({outFeatures, k}, b.getF32Type());
    if (*transB && *alpha == 1.0f) {
      FailureOr<Value> given = g.getF32Input(n, 1);
      if (failed(given))
        return failure();
      weight = *given;
    } else if (*transB) {
      float scale = *alpha;
      weight = g.createF32Constant(n.loc, wType, n.node.input(1) + "_scaled",
                                   [&](MutableArrayRef<float> dst) {
                                     for (auto [d, s] :
                                          llvm::zip(dst, bConst->values))
                                       d = s * scale;
                                   });
    } else {
      weight = g.createF32Constant(n.loc, wType, n.node.input(1) + "_T",
                                   [&](MutableArrayRef<float> dst) {
                                     transposeInto(bConst->values, k,
                                                   outFeatures, *alpha, dst);
                                   });
    }
  }

  // The bias: beta·C as a [N] vector when C is constant and has N elements
  // (or one); otherwise C is added after the linear layer.
  auto resultType = RankedTensorType::get({m, outFeatures}, b.getF32Type());
  Value bias, addend;
  if (n.hasInput(2)) {
    if (g.isConstantInput(n, 2)) {
      FailureOr<F32Constant> c = g.getF32ConstantInput(n, 2);
      if (failed(c))
        return failure();
      ArrayRef<int64_t> cShape = c->type.getShape();
      auto vectorType = RankedTensorType::get({outFeatures}, b.getF32Type());
      bool isVector = c->type.getNumElements() == outFeatures &&
                      !cShape.empty() && cShape.back() == outFeatures;
      float scale = *beta;
      if (isVector && cShape.size() == 1 && scale == 1.0f) {
        FailureOr<Value> given = g.getF32Input(n, 2);
        if (failed(given))
          return failure();
        bias = *given;
      } else if (isVector || c->type.getNumElements() == 1) {
        bias = g.createF32Constant(n.loc, vectorType, n.node.input(2) + "_bias",
                                   [&](MutableArrayRef<float> dst) {
                                     for (int64_t i = 0; i < outFeatures; ++i)
                                       dst[i] =
                                           c->values[isVector ? i : 0] * scale;
                                   });
      } else {
        FailureOr<SmallVector<int64_t>> shape =
            g.broadcastShapes(n, resultType.getShape(), cShape);
        if (failed(shape))
          return failure();
        if (ArrayRef<int64_t>(*shape) != resultType.getShape())
          return n.emitError()
                 << "C of shape " << GraphImporter::shapeStr(cShape)
                 << " does not broadcast to the result shape "
                 << GraphImporter::shapeStr(resultType.getShape());
        if (scale == 1.0f) {
          FailureOr<Value> given = g.getF32Input(n, 2);
          if (failed(given))
            return failure();
          addend = *given;
        } else {
          addend = g.createF32Constant(
              n.loc, c->type, n.node.input(2) + "_scaled",
              [&](MutableArrayRef<float> dst) {
                for (auto [d, v] : llvm::zip(dst, c->values))
                  d = v * scale;
              });
        }
      }
    } else {
      FailureOr<Value> c = g.getF32Input(n, 2);
      if (failed(c))
        return failure();
      if (*beta != 1.0f)
        return n.emitError() << "beta=" << *beta
                             << " with a non-constant C is not supported yet";
      FailureOr<SmallVector<int64_t>> shape =
          g.broadcastShapes(n, resultType.getShape(), shapeOf(*c));
      if (failed(shape))
        return failure();
      if (ArrayRef<int64_t>(*shape) != resultType.getShape())
        return n.emitError()
               << "C of shape " << GraphImporter::shapeStr(shapeOf(*c))
               << " does not broadcast to the result shape "
               << GraphImporter::shapeStr(resultType.getShape());
      addend = *c;
    }
  }
  Value result = LinearOp::create(b, n.loc, resultType, *a, weight, bias);
  if (addend) {
    FailureOr<Value> spread =
        g.broadcastToDynamic(n, addend, resultType.getShape(), result);
    if (failed(spread))
      return failure();
    result = arith::AddFOp::create(b, n.loc, result, *spread);
  }
  return g.setOutput(n, 0, result);
}

//===----------------------------------------------------------------------===//
// Constants and plumbing
//===----------------------------------------------------------------------===//

static LogicalResult importConstant(NodeContext &n) {
  GraphImporter &g = n.importer;
  OpBuilder &b = g.getBuilder();
  if (failed(checkArity(n, 0, 0)))
    return failure();
  if (n.node.attribute_size() != 1)
    return n.emitError() << "expects exactly one value attribute, has "
                         << n.node.attribute_size();
  onnx::AttributeProto &attr = *n.node.mutable_attribute(0);
  StringRef name = attr.name();
  if (name == "value") {
    if (!attr.has_t())
      return n.emitError() << "attribute 'value' must be a tensor";
    return g.setPendingConstant(n, 0, attr.mutable_t());
  }
  if (name == "value_float") {
    auto type = RankedTensorType::get({}, b.getF32Type());
    return g.setOutput(n, 0, g.splatF32(n.loc, type, attr.f()));
  }
  if (name == "value_floats") {
    SmallVector<float> values(attr.floats().begin(), attr.floats().end());
    auto type = RankedTensorType::get({static_cast<int64_t>(values.size())},
                                      b.getF32Type());
    return g.setOutput(
        n, 0,
        g.createF32Constant(n.loc, type, values,
                            n.hasOutput(0) ? n.node.output(0) : n.name));
  }
  if (name == "value_int" || name == "value_ints") {
    SmallVector<int64_t> values;
    if (name == "value_int")
      values.push_back(attr.i());
    else
      values.assign(attr.ints().begin(), attr.ints().end());
    SmallVector<int64_t> shape;
    if (name == "value_ints")
      shape.push_back(values.size());
    KnownInts ints;
    ints.type = RankedTensorType::get(shape, b.getI64Type());
    ints.values = std::move(values);
    return g.setKnownIntOutput(n, 0, std::move(ints));
  }
  return n.emitError() << "attribute '" << name << "' is not supported";
}

static LogicalResult importIdentity(NodeContext &n) {
  if (failed(checkArity(n, 1, 1)))
    return failure();
  FailureOr<Value> x = n.importer.getInput(n, 0);
  if (failed(x))
    return failure();
  return n.importer.setOutput(n, 0, *x);
}

//===----------------------------------------------------------------------===//
// Dispatch
//===----------------------------------------------------------------------===//

static const OpHandler kHandlers[] = {
    {"Add", 1, importBinary<arith::AddFOp>, kDynamic},
    {"BatchNormalization", 9, importBatchNormalization, kDynamic},
    {"Cast", 1, importCast, kDynamic},
    {"Clip", 11, importClip, kDynamic},
    {"Concat", 1, importConcat, kDynamic},
    {"Constant", 1, importConstant},
    {"ConstantOfShape", 9, importConstantOfShape},
    {"Conv", 1, importConv, kDynamic},
    {"Div", 1, importBinary<arith::DivFOp>, kDynamic},
    {"Equal", 1, importEqual, kDynamic},
    {"Erf", 1, importUnary<math::ErfOp>, kDynamic},
    {"Exp", 1, importUnary<math::ExpOp>, kDynamic},
    {"Expand", 8, importExpand},
    {"Flatten", 1, importFlatten, kDynamic},
    {"Gather", 1, importGather, kDynamic},
    {"Gelu", 20, importGelu, kDynamic},
    {"Gemm", 1, importGemm, kDynamic},
    {"Identity", 1, importIdentity, kDynamic},
    {"LayerNormalization", 17, importLayerNormalization, kDynamic},
    {"MatMul", 1, importMatMul, kDynamic},
    {"Max", 8, importMaxMin<true>, kDynamic},
    {"Min", 8, importMaxMin<false>, kDynamic},
    {"Mul", 1, importBinary<arith::MulFOp>, kDynamic},
    {"Neg", 1, importUnary<arith::NegFOp>, kDynamic},
    {"Pow", 1, importBinary<math::PowFOp>, kDynamic},
    {"Range", 11, importRange},
    {"Reciprocal", 1, importReciprocal, kDynamic},
    {"ReduceL2", 1, importReduceWithAttr<Reduction::L2>, kDynamic},
    {"ReduceL2", 18, importReduceWithInput<Reduction::L2>, kDynamic},
    {"ReduceMean", 1, importReduceWithAttr<Reduction::Mean>, kDynamic},
    {"ReduceMean", 18, importReduceWithInput<Reduction::Mean>, kDynamic},
    {"ReduceSum", 1, importReduceWithAttr<Reduction::Sum>, kDynamic},
    {"ReduceSum", 13, importReduceWithInput<Reduction::Sum>, kDynamic},
    {"ReduceSumSquare", 1, importReduceWithAttr<Reduction::SumSquare>, kDynamic},
    {"ReduceSumSquare", 18, importReduceWithInput<Reduction::SumSquare>, kDynamic},
    {"Relu", 1, importRelu, kDynamic},
    {"Reshape", 5, importReshape},
    {"Shape", 1, importShape},
    {"Sigmoid", 1, importSigmoid, kDynamic},
    {"Slice", 10, importSlice, kDynamic},
    {"Softmax", 13, importSoftmax, kDynamic},
    {"Split", 13, importSplit13, kDynamic},
    {"Split", 18, importSplit18, kDynamic},
    {"Sqrt", 1, importUnary<math::SqrtOp>, kDynamic},
    {"Squeeze", 13, importSqueeze, kDynamic},
    {"Sub", 1, importBinary<arith::SubFOp>, kDynamic},
    {"Tanh", 1, importUnary<math::TanhOp>, kDynamic},
    {"Transpose", 1, importTranspose, kDynamic},
    {"Unsqueeze", 13, importUnsqueeze, kDynamic},
    {"Where", 9, importWhere, kDynamic},
};

LogicalResult onnx_import::importOp(NodeContext &n) {
  StringRef domain = n.node.domain();
  if (!domain.empty() && domain != "ai.onnx")
    return n.emitError() << "unsupported op";
  const OpHandler *best = nullptr;
  int64_t firstVersion = 0;
  for (const OpHandler &entry : kHandlers) {
    if (n.node.op_type() != entry.opType)
      continue;
    if (!firstVersion || entry.sinceVersion < firstVersion)
      firstVersion = entry.sinceVersion;
    if (entry.sinceVersion <= n.opset &&
        (!best || entry.sinceVersion > best->sinceVersion))
      best = &entry;
  }
  if (!best) {
    InFlightDiagnostic diag = n.emitError() << "unsupported op";
    if (firstVersion)
      diag << " (" << n.node.op_type() << " is supported from opset "
           << firstVersion << " on)";
    return diag;
  }
  if (std::optional<LogicalResult> symbolic = importWithSymbolicInts(n))
    return *symbolic;
  if (!best->dynamic) {
    int dynamicInput = n.importer.firstDynamicInput(n);
    if (dynamicInput >= 0) {
      FailureOr<RankedTensorType> type =
          n.importer.getInputType(n, dynamicInput);
      InFlightDiagnostic diag = n.emitError();
      diag << "input " << dynamicInput << " ('" << n.node.input(dynamicInput)
           << "')";
      if (succeeded(type))
        diag << " has dynamic shape "
             << GraphImporter::shapeStr(type->getShape());
      diag << "; this op takes static shapes only so far: pin the model's "
              "dynamic dimensions with --shape NAME=DIMS";
      return diag;
    }
  }
  return best->handler(n);
}

std::vector<ONNXOpSupport> mlir::ffn::getSupportedONNXOps() {
  std::vector<ONNXOpSupport> ops;
  for (const OpHandler &entry : kHandlers) {
    int64_t from = std::max(entry.sinceVersion, kMinONNXOpset);
    auto it = llvm::find_if(ops, [&](const ONNXOpSupport &op) {
      return op.opType == entry.opType;
    });
    if (it == ops.end())
      ops.push_back({entry.opType, from, kMaxONNXOpset});
    else
      it->minOpset = std::min(it->minOpset, from);
  }
  llvm::sort(ops, [](const ONNXOpSupport &a, const ONNXOpSupport &b) {
    return a.opType < b.opType;
  });
  return ops;
}
