//===- TensorOps.cpp - ONNX data movement and shape computations ----------===//
//
// Handlers for the ops that move data or compute shapes: Shape, Reshape,
// Transpose, Concat, Slice, Split, Squeeze, Unsqueeze, Gather,
// ConstantOfShape, Expand, Where, Equal, Cast, Range, and integer Add/Sub/
// Mul/Div.
//
// Exporters compute shapes at run time (`x.view(B, T, h, d)` becomes
// Shape → Gather → Unsqueeze → Concat → Reshape). With static shapes every
// such chain is a constant: integer tensors whose values are known at import
// are folded here (GraphImporter's KnownInts) and never become ops; only
// tensors of run-time data (f32 activations, masks compared at run time) are
// built, as tensor and linalg ops.
//
// With dynamic dimensions (ONNX dim_param) the data-movement ops keep the
// sizes GraphImporter::getDimSize traces to their origin: Concat, Split and
// Slice (along static or dynamic axes), Gather (run-time indices clamped to
// a dynamic axis), Where, Equal and Cast build the same ops with dynamic
// sizes; Slice bounds and Range limits computed from dynamic sizes
// (SymbolicInts, see Symbolic.cpp) are clamped with index arithmetic that
// folds what the operands tell (IndexMath), e.g. a causal mask cut to the
// sequence, or position ids arange(seq_len).
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <limits>
#include <numeric>

using namespace mlir;
using namespace mlir::ffn;
using namespace mlir::ffn::onnx_import;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

static std::string shapeStr(ArrayRef<int64_t> shape) {
  return GraphImporter::shapeStr(shape);
}

/// "[a, b, c]" for diagnostics.
static std::string listStr(ArrayRef<int64_t> values) {
  std::string s = "[";
  for (auto [i, v] : llvm::enumerate(values)) {
    if (i)
      s += ", ";
    s += std::to_string(v);
  }
  return s + "]";
}

static int64_t numElements(ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t d : shape)
    count *= d;
  return count;
}

/// Most elements a tensor folded at import may have: shape computations are
/// tiny, the largest real case is a causal-mask buffer (GPT-2's 1024x1024).
static constexpr int64_t kMaxFoldedElements = int64_t(1) << 24;

/// Checks that a tensor of `shape` is small enough to be folded at import
/// (and that its element count does not overflow).
static LogicalResult checkFoldSize(NodeContext &n, ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t d : shape)
    if (d < 0 || llvm::MulOverflow(count, d, count) ||
        count > kMaxFoldedElements)
      return n.emitError() << "the result of shape "
                           << GraphImporter::shapeStr(shape)
                           << " is computed from constants but too large to "
                              "fold at import (at most "
                           << kMaxFoldedElements << " elements)";
  return success();
}

/// Row-major strides of `shape`.
static SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

/// The multi-index of flat position `flat` in `shape`.
static SmallVector<int64_t> unflatten(int64_t flat, ArrayRef<int64_t> shape) {
  SmallVector<int64_t> index(shape.size());
  for (int64_t i = static_cast<int64_t>(shape.size()) - 1; i >= 0; --i) {
    index[i] = shape[i] ? flat % shape[i] : 0;
    flat = shape[i] ? flat / shape[i] : 0;
  }
  return index;
}

/// The flat position in a tensor of `shape` that element `index` of its numpy
/// broadcast (right-aligned, size-1 dimensions repeated) reads.
static int64_t broadcastSource(ArrayRef<int64_t> index,
                               ArrayRef<int64_t> shape) {
  int64_t offset = static_cast<int64_t>(index.size() - shape.size());
  int64_t flat = 0;
  for (size_t d = 0; d < shape.size(); ++d)
    flat = flat * shape[d] + (shape[d] == 1 ? 0 : index[offset + d]);
  return flat;
}

static KnownInts makeInts(Type element, ArrayRef<int64_t> shape,
                          SmallVector<int64_t> values) {
  KnownInts ints;
  ints.type = RankedTensorType::get(shape, element);
  ints.values = std::move(values);
  return ints;
}

/// `ints` with its values reinterpreted in `shape` (same element count).
static KnownInts reshapeInts(KnownInts ints, ArrayRef<int64_t> shape) {
  ints.type = RankedTensorType::get(shape, ints.type.getElementType());
  return ints;
}

/// `ints` broadcast to `shape`, a numpy broadcast of its shape.
static KnownInts broadcastInts(const KnownInts &ints, ArrayRef<int64_t> shape) {
  SmallVector<int64_t> values(numElements(shape));
  for (int64_t i = 0, e = values.size(); i < e; ++i)
    values[i] = ints.values[broadcastSource(unflatten(i, shape), ints.shape())];
  return makeInts(ints.type.getElementType(), shape, std::move(values));
}

/// `axis` in [-rank, rank) normalised to [0, rank), or a diagnostic naming
/// `what`.
static FailureOr<int64_t> normalizeAxis(NodeContext &n, int64_t axis,
                                        int64_t rank, StringRef what = "axis") {
  if (axis < -rank || axis >= rank)
    return n.emitError() << what << " " << axis << " is out of range for rank "
                         << rank;
  return axis < 0 ? axis + rank : axis;
}

/// Normalises a list of distinct axes for rank `rank`.
static FailureOr<SmallVector<int64_t>>
normalizeAxes(NodeContext &n, ArrayRef<int64_t> axes, int64_t rank) {
  SmallVector<int64_t> result;
  for (int64_t axis : axes) {
    FailureOr<int64_t> a = normalizeAxis(n, axis, rank);
    if (failed(a))
      return failure();
    if (llvm::is_contained(result, *a))
      return n.emitError() << "axis " << axis << " is given twice in "
                           << listStr(axes);
    result.push_back(*a);
  }
  return result;
}

static ArrayRef<int64_t> shapeOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getShape();
}

/// The known integer values of a 1-D (or scalar) input `i`, named `what`.
static FailureOr<SmallVector<int64_t>> getIntList(NodeContext &n, int i,
                                                  StringRef what) {
  GraphImporter &g = n.importer;
  if (!g.isKnownIntInput(n, i)) {
    if (failed(g.getInput(n, i)))
      return failure();
    return n.emitError() << what << " (input '" << n.node.input(i)
                         << "') must be known at import (a constant, or "
                            "computed from constants and static shapes)";
  }
  FailureOr<KnownInts> ints = g.getKnownIntInput(n, i);
  if (failed(ints))
    return failure();
  if (ints->rank() > 1)
    return n.emitError() << what << " must be a 1-D tensor, has shape "
                         << shapeStr(ints->shape());
  if (!ints->type.getElementType().isInteger(64) &&
      !ints->type.getElementType().isInteger(32))
    return n.emitError() << what << " has element type "
                         << ints->type.getElementType()
                         << "; expected int64 (or int32)";
  return std::move(ints->values);
}

/// The value of input `i` as a ranked tensor (of any element type).
static FailureOr<Value> getTensorInput(NodeContext &n, int i) {
  FailureOr<Value> value = n.importer.getInput(n, i);
  if (failed(value))
    return failure();
  if (!isa<RankedTensorType>(value->getType()))
    return n.emitError() << "input '" << n.node.input(i) << "' has type "
                         << value->getType() << "; expected a ranked tensor";
  return *value;
}

bool onnx_import::allInputsKnownInts(NodeContext &n) {
  bool any = false;
  for (int i = 0, e = n.numInputs(); i < e; ++i) {
    if (!n.hasInput(i))
      continue;
    if (!n.importer.isKnownIntInput(n, i))
      return false;
    any = true;
  }
  return any;
}

/// `value` reshaped to `shape` (same element count): collapse_shape and/or
/// expand_shape; through a 1-D tensor when no single reassociation exists.
static Value buildReshape(OpBuilder &b, Location loc, Value value,
                          ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getShape() == shape)
    return value;
  Type element = type.getElementType();
  auto resultType = RankedTensorType::get(shape, element);
  if (type.getNumElements() == 0)
    return tensor::EmptyOp::create(b, loc, shape, element);
  if (type.getRank() == 0)
    return tensor::ExpandShapeOp::create(b, loc, resultType, value,
                                         ArrayRef<ReassociationIndices>{});
  if (shape.empty())
    return tensor::CollapseShapeOp::create(b, loc, resultType, value,
                                           ArrayRef<ReassociationIndices>{});
  if (type.getRank() != static_cast<int64_t>(shape.size())) {
    std::optional<SmallVector<ReassociationIndices>> groups =
        getReassociationIndicesForReshape(type, resultType);
    if (groups) {
      if (type.getRank() > static_cast<int64_t>(shape.size()))
        return tensor::CollapseShapeOp::create(b, loc, resultType, value,
                                               *groups);
      return tensor::ExpandShapeOp::create(b, loc, resultType, value, *groups);
    }
  }
  Value flat = value;
  if (type.getRank() != 1) {
    ReassociationIndices all(type.getRank());
    std::iota(all.begin(), all.end(), 0);
    flat = tensor::CollapseShapeOp::create(
        b, loc, RankedTensorType::get({type.getNumElements()}, element), value,
        ArrayRef<ReassociationIndices>{all});
  }
  if (shape.size() == 1)
    return flat;
  ReassociationIndices all(shape.size());
  std::iota(all.begin(), all.end(), 0);
  return tensor::ExpandShapeOp::create(b, loc, resultType, flat,
                                       ArrayRef<ReassociationIndices>{all});
}

/// One sliced axis: elements start, start + step, ... (`size` of them).
struct AxisSlice {
  int64_t start = 0;
  int64_t size = 0;
  int64_t step = 1;
};

/// The slice of a dimension of size `dim` from ONNX starts/ends/steps, with
/// the spec's clamping of out-of-range and negative indices.
static AxisSlice clampSlice(int64_t start, int64_t end, int64_t step,
                            int64_t dim) {
  if (start < 0)
    start = start < -dim ? 0 : start + dim;
  if (end < 0)
    end = end < -dim ? -1 : end + dim;
  AxisSlice s;
  s.step = step;
  if (dim == 0)
    return s;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    s.start = start;
    s.size = end > start ? (end - start + step - 1) / step : 0;
  } else {
    start = std::clamp<int64_t>(start, 0, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
    s.start = start;
    s.size = start > end ? (start - end + (-step) - 1) / (-step) : 0;
  }
  if (s.size == 0)
    s.start = 0;
  return s;
}

/// The slice of `ints` given per axis.
static KnownInts sliceInts(const KnownInts &ints, ArrayRef<AxisSlice> slices) {
  SmallVector<int64_t> shape;
  for (const AxisSlice &s : slices)
    shape.push_back(s.size);
  SmallVector<int64_t> strides = stridesOf(ints.shape());
  SmallVector<int64_t> values(numElements(shape));
  for (int64_t i = 0, e = values.size(); i < e; ++i) {
    SmallVector<int64_t> index = unflatten(i, shape);
    int64_t flat = 0;
    for (size_t d = 0; d < slices.size(); ++d)
      flat += (slices[d].start + index[d] * slices[d].step) * strides[d];
    values[i] = ints.values[flat];
  }
  return makeInts(ints.type.getElementType(), shape, std::move(values));
}

/// The slice of `value` given per axis (positive steps).
static Value buildSlice(OpBuilder &b, Location loc, Value value,
                        ArrayRef<AxisSlice> slices) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> offsets, sizes, steps;
  bool whole = true;
  for (auto [d, s] : llvm::enumerate(slices)) {
    offsets.push_back(s.start);
    sizes.push_back(s.size);
    steps.push_back(s.step);
    whole &= s.start == 0 && s.step == 1 && s.size == type.getDimSize(d);
  }
  if (whole)
    return value;
  auto resultType = RankedTensorType::get(sizes, type.getElementType());
  // An empty slice reads nothing; its start may be the dimension's size,
  // which extract_slice rejects.
  if (llvm::is_contained(sizes, 0))
    return tensor::EmptyOp::create(b, loc, sizes, type.getElementType());
  return tensor::ExtractSliceOp::create(
      b, loc, resultType, value,
      getAsIndexOpFoldResult(b.getContext(), offsets),
      getAsIndexOpFoldResult(b.getContext(), sizes),
      getAsIndexOpFoldResult(b.getContext(), steps));
}

/// Whole-dimension slices of `shape`.
static SmallVector<AxisSlice> fullSlices(ArrayRef<int64_t> shape) {
  SmallVector<AxisSlice> slices;
  for (int64_t d : shape)
    slices.push_back({0, d, 1});
  return slices;
}

//===----------------------------------------------------------------------===//
// Index arithmetic on sizes that may be dynamic
//===----------------------------------------------------------------------===//

namespace {
/// Index arithmetic on OpFoldResults (constants or `index` values), folded
/// where the operands tell: constants, equal values, and signs known from
/// where a value comes from (dimension sizes are not negative).
struct IndexMath {
  OpBuilder &b;
  Location loc;

  static std::optional<int64_t> constant(OpFoldResult x) {
    return getConstantIntValue(x);
  }
  Value value(OpFoldResult x) {
    return getValueOrCreateConstantIndexOp(b, loc, x);
  }
  OpFoldResult index(int64_t v) { return b.getIndexAttr(v); }

  /// A lower bound of `x` where one is known: a constant; a dimension size
  /// (>= 0; >= 1 for a graph input's, as the runtime requires of dynamic
  /// dimensions); sums, products, quotients, minima and maxima of such.
  static std::optional<int64_t> lowerBound(OpFoldResult x) {
    if (std::optional<int64_t> c = constant(x))
      return c;
    Operation *def = cast<Value>(x).getDefiningOp();
    if (!def)
      return std::nullopt;
    if (auto dim = dyn_cast<tensor::DimOp>(def))
      return isa<BlockArgument>(dim.getSource()) ? 1 : 0;
    if (auto c = dyn_cast<arith::ConstantIndexOp>(def))
      return c.value();
    if (!isa<arith::AddIOp, arith::MulIOp, arith::DivSIOp, arith::CeilDivSIOp,
             arith::MinSIOp, arith::MaxSIOp>(def))
      return std::nullopt;
    std::optional<int64_t> l = lowerBound(def->getOperand(0));
    std::optional<int64_t> r = lowerBound(def->getOperand(1));
    if (isa<arith::MaxSIOp>(def)) {
      if (l && r)
        return std::max(*l, *r);
      return l ? l : r;
    }
    if (!l || !r)
      return std::nullopt;
    if (isa<arith::AddIOp>(def))
      return *l + *r;
    if (isa<arith::MinSIOp>(def))
      return std::min(*l, *r);
    // Products and quotients: of non-negative operands only.
    if (*l < 0 || *r < 0)
      return std::nullopt;
    if (isa<arith::MulIOp>(def))
      return *l * *r;
    return 0;
  }
  /// Whether `x` is known not to be negative.
  static bool nonNegative(OpFoldResult x) {
    std::optional<int64_t> l = lowerBound(x);
    return l && *l >= 0;
  }
  /// `x` as `base + offset` with a constant offset (`base` is `x` itself
  /// with offset 0 unless `x` is an addi of a constant).
  static std::pair<OpFoldResult, int64_t> splitOffset(OpFoldResult x) {
    if (auto v = dyn_cast<Value>(x))
      if (auto add = v.getDefiningOp<arith::AddIOp>()) {
        if (std::optional<int64_t> c = constant(add.getRhs()))
          return {add.getLhs(), *c};
        if (std::optional<int64_t> c = constant(add.getLhs()))
          return {add.getRhs(), *c};
      }
    return {x, 0};
  }

  OpFoldResult add(OpFoldResult x, OpFoldResult y) {
    std::optional<int64_t> cx = constant(x), cy = constant(y);
    if (cx && cy)
      return index(*cx + *cy);
    if (cx == 0)
      return y;
    if (cy == 0)
      return x;
    return arith::AddIOp::create(b, loc, value(x), value(y)).getResult();
  }
  OpFoldResult sub(OpFoldResult x, OpFoldResult y) {
    std::optional<int64_t> cx = constant(x), cy = constant(y);
    if (cx && cy)
      return index(*cx - *cy);
    if (cy == 0)
      return x;
    // (v + a) - (v + b) = a - b.
    auto [xBase, xOffset] = splitOffset(x);
    auto [yBase, yOffset] = splitOffset(y);
    if (xBase == yBase)
      return index(xOffset - yOffset);
    return arith::SubIOp::create(b, loc, value(x), value(y)).getResult();
  }
  OpFoldResult min(OpFoldResult x, OpFoldResult y) {
    std::optional<int64_t> cx = constant(x), cy = constant(y);
    if (cx && cy)
      return index(std::min(*cx, *cy));
    if (x == y)
      return x;
    // A constant at most the other's lower bound; a huge constant (INT_MAX,
    // INT64_MAX: exporters' "to the end") against a size.
    for (auto [c, other] : {std::pair(cx, y), std::pair(cy, x)}) {
      std::optional<int64_t> l = lowerBound(other);
      if (c && l && *c <= *l)
        return index(*c);
      if (c && *c >= std::numeric_limits<int32_t>::max())
        return other;
    }
    return arith::MinSIOp::create(b, loc, value(x), value(y)).getResult();
  }
  OpFoldResult max(OpFoldResult x, OpFoldResult y) {
    std::optional<int64_t> cx = constant(x), cy = constant(y);
    if (cx && cy)
      return index(std::max(*cx, *cy));
    if (x == y)
      return x;
    // A constant at most the other's lower bound.
    if (std::optional<int64_t> l = lowerBound(y); cx && l && *cx <= *l)
      return y;
    if (std::optional<int64_t> l = lowerBound(x); cy && l && *cy <= *l)
      return x;
    return arith::MaxSIOp::create(b, loc, value(x), value(y)).getResult();
  }
  /// ceil(x / d) for a positive constant d.
  OpFoldResult ceilDiv(OpFoldResult x, int64_t d) {
    if (d == 1)
      return x;
    if (std::optional<int64_t> c = constant(x))
      return index(llvm::divideCeilSigned(*c, d));
    return arith::CeilDivSIOp::create(b, loc, value(x), value(index(d)))
        .getResult();
  }
  /// `c < 0 ? negative : other`.
  OpFoldResult selectNegative(OpFoldResult c, OpFoldResult negative,
                              OpFoldResult other) {
    if (negative == other)
      return other;
    Value zero = value(index(0));
    Value isNegative = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                             value(c), zero);
    return arith::SelectOp::create(b, loc, isNegative, value(negative),
                                   value(other))
        .getResult();
  }

  /// An ONNX Slice bound (start or end, positive step) into a dimension of
  /// size `dim`: a negative bound counts from the end, then the bound is
  /// clamped into [0, dim].
  OpFoldResult sliceBound(OpFoldResult bound, OpFoldResult dim) {
    std::optional<int64_t> c = constant(bound);
    if (c && *c < 0)
      return max(add(bound, dim), index(0));
    if (c || nonNegative(bound))
      return min(bound, dim);
    return selectNegative(bound, max(add(bound, dim), index(0)),
                          min(bound, dim));
  }
};
} // namespace

/// The name of an ONNX data type for diagnostics.
static std::string dataTypeName(int64_t type) {
  if (onnx::TensorProto_DataType_IsValid(type))
    return onnx::TensorProto_DataType_Name(
        static_cast<onnx::TensorProto_DataType>(type));
  return "data type " + std::to_string(type);
}

//===----------------------------------------------------------------------===//
// Shape
//===----------------------------------------------------------------------===//

LogicalResult onnx_import::importShape(NodeContext &n) {
  GraphImporter &g = n.importer;
  if (failed(checkArity(n, 1, 1)))
    return failure();
  FailureOr<RankedTensorType> type = g.getInputType(n, 0);
  if (failed(type))
    return failure();
  int64_t rank = type->getRank();
  FailureOr<int64_t> start = g.getIntAttr(n, "start", 0);
  FailureOr<int64_t> end = g.getIntAttr(n, "end", rank);
  if (failed(start) || failed(end))
    return failure();
  if (n.opset < 15 && (g.findAttr(n, "start") || g.findAttr(n, "end")))
    return n.emitError() << "attributes 'start' and 'end' exist from opset 15 "
                            "on";
  int64_t s = std::clamp<int64_t>(*start < 0 ? *start + rank : *start, 0, rank);
  int64_t e = std::clamp<int64_t>(*end < 0 ? *end + rank : *end, 0, rank);
  SmallVector<int64_t> dims;
  for (int64_t d = s; d < e; ++d) {
    if (type->isDynamicDim(d))
      return n.emitError() << "dimension " << d << " of input '"
                           << n.node.input(0)
                           << "' is dynamic; shape computations on dynamic "
                              "dimensions are not supported yet";
    dims.push_back(type->getDimSize(d));
  }
  int64_t count = dims.size();
  return g.setKnownIntOutput(
      n, 0, makeInts(g.getBuilder().getI64Type(), {count}, std::move(dims)));
}

//===----------------------------------------------------------------------===//
// Reshape, Squeeze, Unsqueeze
//===----------------------------------------------------------------------===//

LogicalResult onnx_import::importReshape(NodeContext &n) {
  GraphImporter &g = n.importer;
  if (failed(checkArity(n, 2, 2)))
    return failure();
  FailureOr<int64_t> allowZero = g.getIntAttr(n, "allowzero", 0);
  if (failed(allowZero))
    return failure();
  FailureOr<RankedTensorType> type = g.getInputType(n, 0);
  if (failed(type))
    return failure();
  FailureOr<SmallVector<int64_t>> requested = getIntList(n, 1, "shape");
  if (failed(requested))
    return failure();
  ArrayRef<int64_t> in = type->getShape();
  SmallVector<int64_t> shape;
  int64_t inferred = -1, known = 1;
  for (auto [i, entry] : llvm::enumerate(*requested)) {
    int64_t d = entry;
    if (d == 0 && !*allowZero) {
      if (i >= in.size())
        return n.emitError()
               << "shape " << listStr(*requested) << " copies dimension " << i
               << " (a 0 entry) of an input of rank " << in.size();
      d = in[i];
    } else if (d == -1) {
      if (inferred >= 0)
        return n.emitError() << "shape " << listStr(*requested)
                             << " has more than one -1 entry";
      inferred = i;
      shape.push_back(1);
      continue;
    } else if (d < -1) {
      return n.emitError() << "shape " << listStr(*requested)
                           << " has the invalid entry " << d;
    }
    if (d == 0 && *allowZero && llvm::is_contained(*requested, -1))
      return n.emitError() << "shape " << listStr(*requested)
                           << " has both 0 and -1 entries with allowzero=1";
    shape.push_back(d);
    if (llvm::MulOverflow(known, d, known))
      return n.emitError() << "shape " << listStr(*requested)
                           << " has too many elements";
  }
  int64_t count = type->getNumElements();
  if (inferred >= 0) {
    if (known == 0 || count % known != 0)
      return n.emitError() << "cannot reshape " << shapeStr(in) << " (" << count
                           << " elements) to " << listStr(*requested);
    shape[inferred] = count / known;
  } else if (known != count) {
    return n.emitError() << "cannot reshape " << shapeStr(in) << " (" << count
                         << " elements) to " << listStr(*requested) << " ("
                         << known << " elements)";
  }
  if (g.isKnownIntInput(n, 0)) {
    FailureOr<KnownInts> ints = g.getKnownIntInput(n, 0);
    if (failed(ints))
      return failure();
    return g.setKnownIntOutput(n, 0, reshapeInts(std::move(*ints), shape));
  }
  FailureOr<Value> x = getTensorInput(n, 0);
  if (failed(x))
    return failure();
  return g.setOutput(n, 0, buildReshape(g.getBuilder(), n.loc, *x, shape));
}

/// Squeeze/Unsqueeze: the axes input (opset 13 on), known at import.
static FailureOr<std::optional<SmallVector<int64_t>>>
getAxesInput(NodeContext &n, int i) {
  GraphImporter &g = n.importer;
  if (g.findAttr(n, "axes"))
    return n.emitError() << "axes is an input from opset 13 on, not an "
                            "attribute";
  if (!n.hasInput(i))
    return std::optional<SmallVector<int64_t>>();
  FailureOr<SmallVector<int64_t>> axes = getIntList(n, i, "axes");
  if (failed(axes))
    return failure();
  return std::optional<SmallVector<int64_t>>(std::move(*axes));
}

/// Sets the output of a Squeeze or Unsqueeze of input 0 (`type`) to
/// `shape`, which removes or inserts the unit dimensions marked false in
/// `kept` (indexed over the higher-rank side). Known integer inputs are
/// reshaped at import; tensors get a collapse or expand of those dims.
static LogicalResult setUnitDimReshape(NodeContext &n, RankedTensorType type,
                                       ArrayRef<int64_t> shape,
                                       ArrayRef<bool> kept) {
  GraphImporter &g = n.importer;
  if (g.isKnownIntInput(n, 0)) {
    FailureOr<KnownInts> ints = g.getKnownIntInput(n, 0);
    if (failed(ints))
      return failure();
    return g.setKnownIntOutput(n, 0, reshapeInts(std::move(*ints), shape));
  }
  FailureOr<Value> x = getTensorInput(n, 0);
  if (failed(x))
    return failure();
  int64_t inRank = type.getRank(), outRank = shape.size();
  if (inRank == outRank)
    return g.setOutput(n, 0, *x);
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  auto reassoc = unitDimReassociation(std::max(inRank, outRank), kept);
  OpBuilder &b = g.getBuilder();
  Value result =
      outRank < inRank
          ? Value(tensor::CollapseShapeOp::create(b, n.loc, resultType, *x,
                                                  reassoc))
          : Value(tensor::ExpandShapeOp::create(b, n.loc, resultType, *x,
                                                reassoc));
  return g.setOutput(n, 0, result);
}

LogicalResult onnx_import::importSqueeze(NodeContext &n) {
  GraphImporter &g = n.importer;
  if (failed(checkArity(n, 1, 2)))
    return failure();
  FailureOr<RankedTensorType> type = g.getInputType(n, 0);
  if (failed(type))
    return failure();
  auto axes = getAxesInput(n, 1);
  if (failed(axes))
    return failure();
  int64_t rank = type->getRank();
  SmallVector<bool> kept(rank, true);
  if (*axes) {
    FailureOr<SmallVector<int64_t>> normalized = normalizeAxes(n, **axes, rank);
    if (failed(normalized))
      return failure();
    for (int64_t a : *normalized) {
      if (type->getDimSize(a) != 1)
        return n.emitError() << "cannot squeeze axis " << a << " of size "
                             << type->getDimSize(a) << " (input shape "
                             << shapeStr(type->getShape()) << ")";
      kept[a] = false;
    }
  } else {
    for (int64_t d = 0; d < rank; ++d)
      kept[d] = type->getDimSize(d) != 1;
  }
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d)
    if (kept[d])
      shape.push_back(type->getDimSize(d));
  return setUnitDimReshape(n, *type, shape, kept);
}

LogicalResult onnx_import::importUnsqueeze(NodeContext &n) {
  GraphImporter &g = n.importer;
  if (failed(checkArity(n, 1, 2)))
    return failure();
  FailureOr<RankedTensorType> type = g.getInputType(n, 0);
  if (failed(type))
    return failure();
  auto axes = getAxesInput(n, 1);
  if (failed(axes))
    return failure();
  if (!*axes)
    return n.emitError() << "missing input 1 (axes)";
  int64_t rank = type->getRank() + static_cast<int64_t>((*axes)->size());
  FailureOr<SmallVector<int64_t>> normalized = normalizeAxes(n, **axes, rank);
  if (failed(normalized))
    return failure();
  SmallVector<bool> kept(rank, true);
  for (int64_t a : *normalized)
    kept[a] = false;
  SmallVector<int64_t> shape;
  for (int64_t d = 0, src = 0; d < rank; ++d)
    shape.push_back(kept[d] ? type->getDimSize(src++) : 1);
  return setUnitDimReshape(n, *type, shape, kept);
}

//===----------------------------------------------------------------------===//
// Transpose
//===----------------------------------------------------------------------===//

LogicalResult onnx_import::importTranspose(NodeContext &n) {
  GraphImporter &g = n.importer;
  if (failed(checkArity(n, 1, 1)))
    return failure();
  FailureOr<RankedTensorType> type = g.getInputType(n, 0);
  if (failed(type))
    return failure();
  int64_t rank = type->getRank();
  FailureOr<std::optional<SmallVector<int64_t>>> given =
      g.getIntsAttr(n, "perm");
  if (failed(given))
    return failure();
  SmallVector<int64_t> perm;
  if (*given) {
    perm = **given;
    SmallVector<bool> seen(rank, false);
    bool valid = static_cast<int64_t>(perm.size()) == rank;
    for (int64_t p : perm) {
      if (!valid || p < 0 || p >= rank || seen[p]) {
        valid = false;
        break;
      }
      seen[p] = true;
    }
    if (!valid)
      return n.emitError() << "perm " << listStr(perm)
                           << " is not a permutation of the " << rank
                           << " dimensions of input shape "
                           << shapeStr(type->getShape());
  } else {
    for (int64_t d = rank - 1; d >= 0; --d)
      perm.push_back(d);
  }
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(type->getDimSize(p));
  if (g.isKnownIntInput(n, 0)) {
    FailureOr<KnownInts> ints = g.getKnownIntInput(n, 0);
    if (failed(ints))
      return failure();
    SmallVector<int64_t> strides = stridesOf(ints->shape());
    SmallVector<int64_t> values(ints->values.size());
    for (int64_t i = 0, e = values.size(); i < e; ++i) {
      SmallVector<int64_t> index = unflatten(i, shape);
      int64_t flat = 0;
      for (int64_t d = 0; d < rank; ++d)
        flat += index[d] * strides[perm[d]];
      values[i] = ints->values[flat];
    }
    return g.setKnownIntOutput(
        n, 0, makeInts(ints->type.getElementType(), shape, std::move(values)));
  }
  FailureOr<Value> x = getTensorInput(n, 0);
  if (failed(x))
    return failure();
  bool identity = llvm::all_of(llvm::enumerate(perm), [](auto p) {
    return static_cast<int64_t>(p.index()) == p.value();
  });
  if (identity)
    return g.setOutput(n, 0, *x);
  OpBuilder &b = g.getBuilder();
  SmallVector<OpFoldResult> inSizes = g.getMixedSizes(n.loc, *x);
  SmallVector<OpFoldResult> sizes;
  for (int64_t p : perm)
    sizes.push_back(inSizes[p]);
  Value init = tensor::EmptyOp::create(b, n.loc, sizes, type->getElementType());
  return g.setOutput(
      n, 0,
      linalg::TransposeOp::create(b, n.loc, *x, init, perm).getResult()[0]);
}

//===----------------------------------------------------------------------===//
// Concat, Slice, Split
//===----------------------------------------------------------------------===//

/// Concat of tensors with dynamic dimensions into `shape` (dynamic where
/// every input is; the axis where any is): each input cast to the static
/// sizes of the others, inserted at the running offset along `axis`.
static LogicalResult importDynamicConcat(NodeContext &n, int64_t axis,
                                         ArrayRef<int64_t> shape,
                                         Type element) {
  GraphImporter &g = n.importer;
  OpBuilder &b = g.getBuilder();
  IndexMath m{b, n.loc};
  int64_t rank = shape.size();
  SmallVector<Value> inputs;
  for (int i = 0, e = n.numInputs(); i < e; ++i) {
    FailureOr<Value> x = getTensorInput(n, i);
    if (failed(x))
      return failure();
    auto type = cast<RankedTensorType>(x->getType());
    SmallVector<int64_t> castShape(type.getShape());
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis && type.isDynamicDim(d))
        castShape[d] = shape[d];
    Value input = *x;
    if (ArrayRef<int64_t>(castShape) != type.getShape())
      input = tensor::CastOp::create(
          b, n.loc, RankedTensorType::get(castShape, element), input);
    inputs.push_back(input);
  }
  if (inputs.size() == 1)
    return g.setOutput(n, 0, inputs[0]);
  // The sizes off the axis from the first input that has them dynamic; along
  // the axis, the sum.
  SmallVector<OpFoldResult> sizes = g.getMixedSizes(n.loc, inputs[0]);
  for (int64_t d = 0; d < rank; ++d) {
    if (d == axis || !ShapedType::isDynamic(shape[d]))
      continue;
    for (Value input : inputs)
      if (cast<RankedTensorType>(input.getType()).isDynamicDim(d)) {
        sizes[d] = g.getDimSize(n.loc, input, d);
        break;
      }
  }
  SmallVector<SmallVector<OpFoldResult>> inputSizes;
  OpFoldResult total = b.getIndexAttr(0);
  for (Value input : inputs) {
    inputSizes.push_back(g.getMixedSizes(n.loc, input));
    total = m.add(total, inputSizes.back()[axis]);
  }
  sizes[axis] = total;
  Value result = tensor::EmptyOp::create(b, n.loc, sizes, element);
  OpFoldResult offset = b.getIndexAttr(0);
  for (auto [input, inSizes] : llvm::zip(inputs, inputSizes)) {
    if (IndexMath::constant(inSizes[axis]) == 0)
      continue;
    SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0)),
        strides(rank, b.getIndexAttr(1));
    offsets[axis] = offset;
    result = tensor::InsertSliceOp::create(b, n.loc, input, result, offsets,
                                           inSizes, strides);
    offset = m.add(offset, inSizes[axis]);
  }
  return g.setOutput(n, 0, result);
}

LogicalResult onnx_import::importConcat(NodeContext &n) {
  GraphImporter &g = n.importer;
  if (n.numInputs() < 1)
    return n.emitError() << "expects at least 1 input, has 0";
  if (!g.findAttr(n, "axis"))
    return n.emitError() << "missing attribute 'axis'";
  FailureOr<int64_t> axisAttr = g.getIntAttr(n, "axis", 0);
  if (failed(axisAttr))
    return failure();
  SmallVector<RankedTensorType> types;
  for (int i = 0, e = n.numInputs(); i < e; ++i) {
    FailureOr<RankedTensorType> type = g.getInputType(n, i);
    if (failed(type))
      return failure();
    types.push_back(*type);
  }
  int64_t rank = types[0].getRank();
  if (rank == 0)
    return n.emitError() << "cannot concatenate scalars";
  FailureOr<int64_t> axis = normalizeAxis(n, *axisAttr, rank);
  if (failed(axis))
    return failure();
  SmallVector<int64_t> shape(types[0].getShape());
  shape[*axis] = 0;
  // Dynamic dimensions are taken to equal the sizes they meet; the result
  // has a dynamic axis when an input has.
  bool dynamic = false;
  for (auto [i, type] : llvm::enumerate(types)) {
    bool matches = type.getRank() == rank &&
                   type.getElementType() == types[0].getElementType();
    for (int64_t d = 0; matches && d < rank; ++d) {
      if (d == *axis)
        continue;
      if (type.isDynamicDim(d) || ShapedType::isDynamic(shape[d])) {
        dynamic = true;
        if (!type.isDynamicDim(d))
          shape[d] = type.getDimSize(d);
        continue;
      }
      matches = type.getDimSize(d) == shape[d];
    }
    if (!matches)
      return n.emitError() << "input " << i << " of type " << type
                           << " does not match input 0 of type " << types[0]
                           << " outside axis " << *axis;
    if (type.isDynamicDim(*axis))
      dynamic = true;
    if (type.isDynamicDim(*axis) || ShapedType::isDynamic(shape[*axis]))
      shape[*axis] = ShapedType::kDynamic;
    else
      shape[*axis] += type.getDimSize(*axis);
  }
  Type element = types[0].getElementType();
  if (allInputsKnownInts(n)) {
    // Concatenate the known values block by block.
    int64_t outer = numElements(ArrayRef<int64_t>(shape).take_front(*axis));
    SmallVector<int64_t> values;
    SmallVector<KnownInts> inputs;
    for (int i = 0, e = n.numInputs(); i < e; ++i) {
      FailureOr<KnownInts> ints = g.getKnownIntInput(n, i);
      if (failed(ints))
        return failure();
      inputs.push_back(std::move(*ints));
    }
    for (int64_t o = 0; o < outer; ++o)
      for (const KnownInts &ints : inputs) {
        int64_t block = numElements(ints.shape().drop_front(*axis));
        values.append(ints.values.begin() + o * block,
                      ints.values.begin() + (o + 1) * block);
      }
    return g.setKnownIntOutput(n, 0, makeInts(element, shape, values));
  }
  OpBuilder &b = g.getBuilder();
  if (n.numInputs() == 1) {
    FailureOr<Value> x = getTensorInput(n, 0);
    if (failed(x))
      return failure();
    return g.setOutput(n, 0, *x);
  }
  if (dynamic)
    return importDynamicConcat(n, *axis, shape, element);
  Value result = tensor::EmptyOp::create(b, n.loc, shape, element);
  int64_t offset = 0;
  for (int i = 0, e = n.numInputs(); i < e; ++i) {
    FailureOr<Value> x = getTensorInput(n, i);
    if (failed(x))
      return failure();
    ArrayRef<int64_t> xShape = shapeOf(*x);
    if (xShape[*axis] == 0)
      continue;
    SmallVector<int64_t> offsets(rank, 0), strides(rank, 1);
    offsets[*axis] = offset;
    result = tensor::InsertSliceOp::create(
        b, n.loc, *x, result, getAsIndexOpFoldResult(b.getContext(), offsets),
        getAsIndexOpFoldResult(b.getContext(), xShape),
        getAsIndexOpFoldResult(b.getContext(), strides));
    offset += xShape[*axis];
  }
  return g.setOutput(n, 0, result);
}

/// `x` (of sizes `dims`) sliced by mixed offsets, sizes and strides: `x`
/// itself for the whole tensor, a tensor.empty for an empty slice (its start
/// may be the dimension's size, which extract_slice rejects), else
/// extract_slice.
static Value buildMixedSlice(GraphImporter &g, Location loc, Value x,
                             ArrayRef<OpFoldResult> dims,
                             ArrayRef<OpFoldResult> offsets,
                             ArrayRef<OpFoldResult> sizes,
                             ArrayRef<OpFoldResult> strides) {
  OpBuilder &b = g.getBuilder();
  bool whole = true;
  for (auto [offset, size, stride, dim] :
       llvm::zip(offsets, sizes, strides, dims))
    whole &= IndexMath::constant(offset) == 0 &&
             IndexMath::constant(stride) == 1 && size == dim;
  if (whole)
    return x;
  Type element = getElementTypeOrSelf(x.getType());
  if (llvm::any_of(sizes,
                   [](OpFoldResult s) { return IndexMath::constant(s) == 0; }))
    return tensor::EmptyOp::create(b, loc, sizes, element);
  return tensor::ExtractSliceOp::create(b, loc, x, offsets, sizes, strides);
}

/// Slice of a tensor with dynamic dimensions, or with bounds computed from
/// dynamic sizes (symbolic integers): the spec's clamping of negative and
/// out-of-range bounds done on index values, folded where they are known.
/// Positive steps only. A bool tensor known at import (a causal-mask
/// buffer) is sliced as i8 and compared with zero.
static LogicalResult importDynamicSlice(NodeContext &n) {
  GraphImporter &g = n.importer;
  OpBuilder &b = g.getBuilder();
  FailureOr<RankedTensorType> type = g.getInputType(n, 0);
  if (failed(type))
    return failure();
  int64_t rank = type->getRank();
  FailureOr<SymbolicInts> starts = g.getSymbolicIntInput(n, 1);
  if (failed(starts))
    return failure();
  FailureOr<SymbolicInts> ends = g.getSymbolicIntInput(n, 2);
  if (failed(ends))
    return failure();
  if (starts->type.getRank() != 1 || ends->type.getRank() != 1)
    return n.emitError() << "starts and ends must be 1-D tensors";
  size_t count = starts->elements.size();
  if (ends->elements.size() != count)
    return n.emitError() << "starts and ends differ in length (" << count
                         << " and " << ends->elements.size() << ")";
  SmallVector<int64_t> axes, steps(count, 1);
  if (n.hasInput(3)) {
    FailureOr<SmallVector<int64_t>> given = getIntList(n, 3, "axes");
    if (failed(given))
      return failure();
    if (given->size() != count)
      return n.emitError() << "axes " << listStr(*given)
                           << " and starts differ in length";
    FailureOr<SmallVector<int64_t>> normalized = normalizeAxes(n, *given, rank);
    if (failed(normalized))
      return failure();
    axes = std::move(*normalized);
  } else {
    if (static_cast<int64_t>(count) > rank)
      return n.emitError() << "starts has more entries than the input has "
                              "dimensions ("
                           << rank << ")";
    for (int64_t d = 0, e = count; d < e; ++d)
      axes.push_back(d);
  }
  if (n.hasInput(4)) {
    FailureOr<SmallVector<int64_t>> given = getIntList(n, 4, "steps");
    if (failed(given))
      return failure();
    if (given->size() != count)
      return n.emitError() << "steps " << listStr(*given)
                           << " and starts differ in length";
    steps = std::move(*given);
  }
  for (int64_t step : steps) {
    if (step == 0)
      return n.emitError() << "steps must not be 0";
    if (step < 0)
      return n.emitError() << "negative steps " << listStr(steps)
                           << " on run-time data are not supported yet";
  }
  Value x;
  bool fromBool = false;
  if (g.isKnownIntInput(n, 0)) {
    FailureOr<KnownInts> ints = g.getKnownIntInput(n, 0);
    if (failed(ints))
      return failure();
    if (ints->type.getElementType().isInteger(1)) {
      fromBool = true;
      ints->type = RankedTensorType::get(ints->shape(), b.getI8Type());
    }
    x = g.materializeInts(n.loc, *ints);
  } else {
    FailureOr<Value> given = getTensorInput(n, 0);
    if (failed(given))
      return failure();
    x = *given;
  }
  IndexMath m{b, n.loc};
  SmallVector<OpFoldResult> dims = g.getMixedSizes(n.loc, x);
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0)), sizes(dims),
      strides(rank, b.getIndexAttr(1));
  for (auto [i, axis] : llvm::enumerate(axes)) {
    OpFoldResult start = m.sliceBound(starts->elements[i], dims[axis]);
    OpFoldResult end = m.sliceBound(ends->elements[i], dims[axis]);
    OpFoldResult size =
        m.ceilDiv(m.max(m.sub(end, start), b.getIndexAttr(0)), steps[i]);
    offsets[axis] = start;
    sizes[axis] = size;
    strides[axis] = b.getIndexAttr(steps[i]);
  }
  Value result = buildMixedSlice(g, n.loc, x, dims, offsets, sizes, strides);
  if (fromBool) {
    // Compared with zero where it is read (see importWhere).
    auto i8Type = cast<RankedTensorType>(result.getType());
    FailureOr<Value> zero =
        g.emptyTensor(n, i8Type.getShape(), b.getI8Type(), result);
    if (failed(zero))
      return failure();
    Value scalar = arith::ConstantOp::create(b, n.loc, b.getI8IntegerAttr(0));
    Value zeros =
        linalg::FillOp::create(b, n.loc, ValueRange{scalar}, ValueRange{*zero})
            .getResult(0);
    result = arith::CmpIOp::create(b, n.loc, arith::CmpIPredicate::ne, result,
                                   zeros);
  }
  return g.setOutput(n, 0, result);
}

LogicalResult onnx_import::importSlice(NodeContext &n) {
  GraphImporter &g = n.importer;
  if (failed(checkArity(n, 3, 5)))
    return failure();
  if (g.firstDynamicInput(n) == 0 || g.isSymbolicIntInput(n, 1) ||
      g.isSymbolicIntInput(n, 2))
    return importDynamicSlice(n);
  FailureOr<RankedTensorType> type = g.getInputType(n, 0);
  if (failed(type))
    return failure();
  int64_t rank = type->getRank();
  FailureOr<SmallVector<int64_t>> starts = getIntList(n, 1, "starts");
  if (failed(starts))
    return failure();
  FailureOr<SmallVector<int64_t>> ends = getIntList(n, 2, "ends");
  if (failed(ends))
    return failure();
  if (starts->size() != ends->size())
    return n.emitError() << "starts " << listStr(*starts) << " and ends "
                         << listStr(*ends) << " differ in length";
  SmallVector<int64_t> axes, steps(starts->size(), 1);
  if (n.hasInput(3)) {
    FailureOr<SmallVector<int64_t>> given = getIntList(n, 3, "axes");
    if (failed(given))
      return failure();
    if (given->size() != starts->size())
      return n.emitError() << "axes " << listStr(*given) << " and starts "
                           << listStr(*starts) << " differ in length";
    FailureOr<SmallVector<int64_t>> normalized = normalizeAxes(n, *given, rank);
    if (failed(normalized))
      return failure();
    axes = std::move(*normalized);
  } else {
    if (static_cast<int64_t>(starts->size()) > rank)
      return n.emitError() << "starts " << listStr(*starts)
                           << " has more entries than the input has "
                              "dimensions ("
                           << rank << ")";
    for (int64_t d = 0, e = starts->size(); d < e; ++d)
      axes.push_back(d);
  }
  if (n.hasInput(4)) {
    FailureOr<SmallVector<int64_t>> given = getIntList(n, 4, "steps");
    if (failed(given))
      return failure();
    if (given->size() != starts->size())
      return n.emitError() << "steps " << listStr(*given) << " and starts "
                           << listStr(*starts) << " differ in length";
    steps = std::move(*given);
  }
  SmallVector<AxisSlice> slices = fullSlices(type->getShape());
  bool negativeStep = false;
  for (auto [i, axis] : llvm::enumerate(axes)) {
    if (steps[i] == 0)
      return n.emitError() << "steps must not be 0";
    negativeStep |= steps[i] < 0;
    slices[axis] =
        clampSlice((*starts)[i], (*ends)[i], steps[i], type->getDimSize(axis));
  }
  if (g.isKnownIntInput(n, 0)) {
    FailureOr<KnownInts> ints = g.getKnownIntInput(n, 0);
    if (failed(ints))
      return failure();
    return g.setKnownIntOutput(n, 0, sliceInts(*ints, slices));
  }
  if (negativeStep)
    return n.emitError() << "negative steps " << listStr(steps)
                         << " on run-time data are not supported yet";
  FailureOr<Value> x = getTensorInput(n, 0);
  if (failed(x))
    return failure();
  return g.setOutput(n, 0, buildSlice(g.getBuilder(), n.loc, *x, slices));
}

/// Split along `axis` into pieces of `sizes`.
static LogicalResult buildSplit(NodeContext &n, RankedTensorType type,
                                int64_t axis, ArrayRef<int64_t> sizes) {
  GraphImporter &g = n.importer;
  if (static_cast<int>(sizes.size()) != n.node.output_size())
    return n.emitError() << "splits into " << sizes.size() << " parts but has "
                         << n.node.output_size() << " outputs";
  int64_t total = 0;
  for (int64_t s : sizes) {
    if (s < 0)
      return n.emitError() << "split " << listStr(sizes)
                           << " has a negative size";
    total += s;
  }
  if (total != type.getDimSize(axis))
    return n.emitError() << "split " << listStr(sizes) << " sums to " << total
                         << " but axis " << axis << " has size "
                         << type.getDimSize(axis);
  std::optional<KnownInts> ints;
  Value x;
  if (g.isKnownIntInput(n, 0)) {
    FailureOr<KnownInts> given = g.getKnownIntInput(n, 0);
    if (failed(given))
      return failure();
    ints = std::move(*given);
  } else {
    FailureOr<Value> given = getTensorInput(n, 0);
    if (failed(given))
      return failure();
    x = *given;
  }
  if (!type.hasStaticShape()) {
    // Dynamic dimensions off the (static) split axis keep their sizes.
    OpBuilder &b = g.getBuilder();
    int64_t rank = type.getRank();
    SmallVector<OpFoldResult> dims = g.getMixedSizes(n.loc, x);
    int64_t offset = 0;
    for (auto [i, size] : llvm::enumerate(sizes)) {
      SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0)),
          pieceSizes(dims), strides(rank, b.getIndexAttr(1));
      offsets[axis] = b.getIndexAttr(offset);
      pieceSizes[axis] = b.getIndexAttr(size);
      offset += size;
      if (failed(g.setOutput(n, i,
                             buildMixedSlice(g, n.loc, x, dims, offsets,
                                             pieceSizes, strides))))
        return failure();
    }
    return success();
  }
  int64_t offset = 0;
  for (auto [i, size] : llvm::enumerate(sizes)) {
    SmallVector<AxisSlice> slices = fullSlices(type.getShape());
    slices[axis] = {offset, size, 1};
    offset += size;
    LogicalResult result =
        ints ? g.setKnownIntOutput(n, i, sliceInts(*ints, slices))
             : g.setOutput(n, i, buildSlice(g.getBuilder(), n.loc, x, slices));
    if (failed(result))
      return failure();
  }
  return success();
}

/// Split takes dynamic dimensions but the one it splits.
static LogicalResult checkStaticSplitAxis(NodeContext &n, RankedTensorType type,
                                          int64_t axis) {
  if (!type.isDynamicDim(axis))
    return success();
  return n.emitError() << "splitting dynamic dimension " << axis
                       << " of input shape " << shapeStr(type.getShape())
                       << " is not supported: pin it with --shape NAME=DIMS";
}

/// Split, opsets 13 to 17: sizes from the optional `split` input, else equal
/// parts, one per output.
LogicalResult onnx_import::importSplit13(NodeContext &n) {
  GraphImporter &g = n.importer;
  if (failed(checkArity(n, 1, 2)))
    return failure();
  if (g.findAttr(n, "split"))
    return n.emitError() << "split is an input from opset 13 on, not an "
                            "attribute";
  FailureOr<RankedTensorType> type = g.getInputType(n, 0);
  if (failed(type))
    return failure();
  FailureOr<int64_t> axisAttr = g.getIntAttr(n, "axis", 0);
  if (failed(axisAttr))
    return failure();
  FailureOr<int64_t> axis = normalizeAxis(n, *axisAttr, type->getRank());
  if (failed(axis))
    return failure();
  int64_t parts = n.node.output_size();
  if (parts < 1)
    return n.emitError() << "has no outputs";
  if (failed(checkStaticSplitAxis(n, *type, *axis)))
    return failure();
  int64_t dim = type->getDimSize(*axis);
  SmallVector<int64_t> sizes;
  if (n.hasInput(1)) {
    FailureOr<SmallVector<int64_t>> split = getIntList(n, 1, "split");
    if (failed(split))
      return failure();
    sizes = std::move(*split);
  } else {
    if (dim % parts != 0)
      return n.emitError() << "axis " << *axis << " of size " << dim
                           << " does not split into " << parts
                           << " equal parts";
    sizes.assign(parts, dim / parts);
  }
  return buildSplit(n, *type, *axis, sizes);
}

/// Split from opset 18: the `num_outputs` attribute or the `split` input; with
/// num_outputs the last part may be smaller.
LogicalResult onnx_import::importSplit18(NodeContext &n) {
  GraphImporter &g = n.importer;
  if (failed(checkArity(n, 1, 2)))
    return failure();
  FailureOr<RankedTensorType> type = g.getInputType(n, 0);
  if (failed(type))
    return failure();
  FailureOr<int64_t> axisAttr = g.getIntAttr(n, "axis", 0);
  if (failed(axisAttr))
    return failure();
  FailureOr<int64_t> axis = normalizeAxis(n, *axisAttr, type->getRank());
  if (failed(axis))
    return failure();
  if (failed(checkStaticSplitAxis(n, *type, *axis)))
    return failure();
  int64_t dim = type->getDimSize(*axis);
  bool hasNum = g.findAttr(n, "num_outputs");
  if (hasNum && n.hasInput(1))
    return n.emitError() << "has both the 'split' input and the "
                            "'num_outputs' attribute";
  SmallVector<int64_t> sizes;
  if (n.hasInput(1)) {
    FailureOr<SmallVector<int64_t>> split = getIntList(n, 1, "split");
    if (failed(split))
      return failure();
    sizes = std::move(*split);
  } else {
    FailureOr<int64_t> num = g.getIntAttr(n, "num_outputs", 0);
    if (failed(num))
      return failure();
    if (!hasNum) {
      // Neither given: equal parts, one per output (as before opset 18).
      *num = n.node.output_size();
      if (*num < 1 || dim % *num != 0)
        return n.emitError()
               << "axis " << *axis << " of size " << dim
               << " does not split into " << *num << " equal parts";
    }
    if (*num < 1 || *num != n.node.output_size())
      return n.emitError() << "num_outputs is " << *num << " but the node has "
                           << n.node.output_size() << " outputs";
    int64_t chunk = llvm::divideCeil(dim, *num);
    int64_t left = dim;
    for (int64_t i = 0; i < *num; ++i) {
      int64_t size = std::min(chunk, left);
      sizes.push_back(size);
      left -= size;
    }
  }
  return buildSplit(n, *type, *axis, sizes);
}

//===----------------------------------------------------------------------===//
// Gather
//===----------------------------------------------------------------------===//

/// A linalg.generic over Gather's result [data[:axis], indices,
/// data[axis+1:]] that reads each index from `indices` (an integer tensor)
/// and extracts the element of `data`. With `clampIndices`, a negative index
/// is wrapped and any index clamped into the axis (run-time indices: ONNX
/// leaves out-of-range ones undefined, and they must not read out of
/// bounds); without, the indices are known to be in range.
static Value buildGather(GraphImporter &g, Location loc, Value data,
                         RankedTensorType dataType, int64_t axis,
                         Value indices, bool clampIndices) {
  OpBuilder &b = g.getBuilder();
  auto indexType = cast<RankedTensorType>(indices.getType());
  ArrayRef<int64_t> dataShape = dataType.getShape();
  SmallVector<int64_t> shape(dataShape.take_front(axis));
  llvm::append_range(shape, indexType.getShape());
  llvm::append_range(shape, dataShape.drop_front(axis + 1));
  Type element = dataType.getElementType();
  auto resultType = RankedTensorType::get(shape, element);
  int64_t indexRank = indexType.getRank();
  int64_t resultRank = resultType.getRank();
  int64_t dataRank = dataType.getRank();
  int64_t dim = dataType.getDimSize(axis);
  SmallVector<AffineExpr> indexExprs;
  for (int64_t d = 0; d < indexRank; ++d)
    indexExprs.push_back(b.getAffineDimExpr(axis + d));
  SmallVector<AffineMap> maps = {
      AffineMap::get(resultRank, 0, indexExprs, b.getContext()),
      b.getMultiDimIdentityMap(resultRank)};
  // The result's sizes: the data's around the axis, the indices' in it.
  SmallVector<OpFoldResult> dataSizes = g.getMixedSizes(loc, data);
  SmallVector<OpFoldResult> sizes(ArrayRef(dataSizes).take_front(axis));
  llvm::append_range(sizes, g.getMixedSizes(loc, indices));
  llvm::append_range(sizes, ArrayRef(dataSizes).drop_front(axis + 1));
  Value init = tensor::EmptyOp::create(b, loc, sizes, element);
  // A dynamic axis is clamped to its run-time size.
  Value dynamicDim;
  if (ShapedType::isDynamic(dim) && clampIndices)
    dynamicDim = getValueOrCreateConstantIndexOp(b, loc, dataSizes[axis]);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{resultType}, ValueRange{indices}, ValueRange{init},
      maps,
      SmallVector<utils::IteratorType>(resultRank,
                                       utils::IteratorType::parallel),
      [&](OpBuilder &nested, Location loc, ValueRange args) {
        Type indexTy = nested.getIndexType();
        Value i = arith::IndexCastOp::create(nested, loc, indexTy, args[0]);
        if (clampIndices) {
          Value zero = arith::ConstantIndexOp::create(nested, loc, 0);
          Value size, last;
          if (dynamicDim) {
            size = dynamicDim;
            last = arith::SubIOp::create(
                nested, loc, size,
                arith::ConstantIndexOp::create(nested, loc, 1));
          } else {
            size = arith::ConstantIndexOp::create(nested, loc, dim);
            last = arith::ConstantIndexOp::create(nested, loc, dim - 1);
          }
          Value negative = arith::CmpIOp::create(
              nested, loc, arith::CmpIPredicate::slt, i, zero);
          Value wrapped = arith::AddIOp::create(nested, loc, i, size);
          i = arith::SelectOp::create(nested, loc, negative, wrapped, i);
          i = arith::MaxSIOp::create(nested, loc, i, zero);
          i = arith::MinSIOp::create(nested, loc, i, last);
        }
        SmallVector<Value> where;
        for (int64_t d = 0; d < dataRank; ++d) {
          if (d < axis)
            where.push_back(linalg::IndexOp::create(nested, loc, d));
          else if (d == axis)
            where.push_back(i);
          else
            where.push_back(
                linalg::IndexOp::create(nested, loc, d - 1 + indexRank));
        }
        Value v = tensor::ExtractOp::create(nested, loc, data, where);
        linalg::YieldOp::create(nested, loc, v);
      });
  return generic.getResult(0);
}

/// Gather along `axis` of `dataType` with indices computed at run time (an
/// embedding lookup of token ids): a linalg.generic over the result that
/// reads each index, wraps a negative one and clamps it into the axis (ONNX
/// leaves out-of-range indices undefined; they must not read out of bounds),
/// and extracts the element.
static LogicalResult importRuntimeGather(NodeContext &n,
                                         RankedTensorType dataType,
                                         int64_t axis) {
  GraphImporter &g = n.importer;
  FailureOr<Value> indices = getTensorInput(n, 1);
  if (failed(indices))
    return failure();
  auto indexType = cast<RankedTensorType>(indices->getType());
  Type indexElement = indexType.getElementType();
  if (!indexElement.isInteger(64) && !indexElement.isInteger(32))
    return n.emitError() << "indices have type " << indexType
                         << "; expected int64 or int32";
  FailureOr<Value> x = getTensorInput(n, 0);
  if (failed(x))
    return failure();
  return g.setOutput(n, 0,
                     buildGather(g, n.loc, *x, dataType, axis, *indices,
                                 /*clampIndices=*/true));
}

LogicalResult onnx_import::importGather(NodeContext &n) {
  GraphImporter &g = n.importer;
  OpBuilder &b = g.getBuilder();
  if (failed(checkArity(n, 2, 2)))
    return failure();
  FailureOr<RankedTensorType> type = g.getInputType(n, 0);
  if (failed(type))
    return failure();
  if (type->getRank() == 0)
    return n.emitError() << "data must have at least one dimension";
  FailureOr<int64_t> axisAttr = g.getIntAttr(n, "axis", 0);
  if (failed(axisAttr))
    return failure();
  FailureOr<int64_t> axis = normalizeAxis(n, *axisAttr, type->getRank());
  if (failed(axis))
    return failure();
  // Indices into a dynamic axis are wrapped and clamped at run time too.
  if (!g.isKnownIntInput(n, 1) || type->isDynamicDim(*axis))
    return importRuntimeGather(n, *type, *axis);
  FailureOr<KnownInts> indices = g.getKnownIntInput(n, 1);
  if (failed(indices))
    return failure();
  if (indices->type.getElementType().isInteger(1))
    return n.emitError() << "indices must be int64 or int32, not bool";
  int64_t dim = type->getDimSize(*axis);
  for (int64_t &i : indices->values) {
    if (i < -dim || i >= dim)
      return n.emitError() << "index " << i << " is out of range for axis "
                           << *axis << " of size " << dim;
    if (i < 0)
      i += dim;
  }
  ArrayRef<int64_t> dataShape = type->getShape();
  SmallVector<int64_t> shape(dataShape.take_front(*axis));
  llvm::append_range(shape, indices->shape());
  llvm::append_range(shape, dataShape.drop_front(*axis + 1));

  if (g.isKnownIntInput(n, 0)) {
    FailureOr<KnownInts> data = g.getKnownIntInput(n, 0);
    if (failed(data))
      return failure();
    int64_t outer = numElements(dataShape.take_front(*axis));
    int64_t inner = numElements(dataShape.drop_front(*axis + 1));
    SmallVector<int64_t> values;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i : indices->values)
        for (int64_t k = 0; k < inner; ++k)
          values.push_back(data->values[(o * dim + i) * inner + k]);
    return g.setKnownIntOutput(
        n, 0, makeInts(data->type.getElementType(), shape, values));
  }

  FailureOr<Value> x = getTensorInput(n, 0);
  if (failed(x))
    return failure();
  Type element = type->getElementType();
  auto resultType = RankedTensorType::get(shape, element);
  int64_t count = indices->values.size();
  bool contiguous = indices->rank() <= 1 && count > 0;
  for (int64_t i = 1; contiguous && i < count; ++i)
    contiguous = indices->values[i] == indices->values[0] + i;
  if (contiguous) {
    // One index (rank-reducing for a scalar index) or a range of them.
    SmallVector<int64_t> offsets(type->getRank(), 0),
        strides(type->getRank(), 1);
    SmallVector<OpFoldResult> sizes = g.getMixedSizes(n.loc, *x);
    offsets[*axis] = indices->values[0];
    sizes[*axis] = b.getIndexAttr(count);
    return g.setOutput(n, 0,
                       tensor::ExtractSliceOp::create(
                           b, n.loc, resultType, *x,
                           getAsIndexOpFoldResult(b.getContext(), offsets),
                           sizes,
                           getAsIndexOpFoldResult(b.getContext(), strides)));
  }
  // Anything else: a generic that reads the index from a constant tensor and
  // extracts the element of the data.
  KnownInts i64Indices = *indices;
  i64Indices.type = RankedTensorType::get(indices->shape(), b.getI64Type());
  Value indexTensor = g.materializeInts(n.loc, i64Indices);
  return g.setOutput(n, 0,
                     buildGather(g, n.loc, *x, *type, *axis, indexTensor,
                                 /*clampIndices=*/false));
}

//===----------------------------------------------------------------------===//
// ConstantOfShape, Expand, Range
//===----------------------------------------------------------------------===//

LogicalResult onnx_import::importConstantOfShape(NodeContext &n) {
  GraphImporter &g = n.importer;
  OpBuilder &b = g.getBuilder();
  if (failed(checkArity(n, 1, 1)))
    return failure();
  FailureOr<SmallVector<int64_t>> shape = getIntList(n, 0, "shape");
  if (failed(shape))
    return failure();
  for (int64_t d : *shape)
    if (d < 0)
      return n.emitError() << "shape " << listStr(*shape)
                           << " has a negative dimension";
  const onnx::AttributeProto *attr = g.findAttr(n, "value");
  Type element = b.getF32Type();
  float floatValue = 0.0f;
  int64_t intValue = 0;
  if (attr) {
    if (!attr->has_t())
      return n.emitError() << "attribute 'value' must be a tensor";
    FailureOr<TensorData> data =
        g.readAttrTensor(n, attr->t(), "attribute 'value'");
    if (failed(data))
      return failure();
    if (data->type.getNumElements() != 1)
      return n.emitError() << "attribute 'value' must hold one element, has "
                           << data->type.getNumElements();
    element = data->type.getElementType();
    if (element.isF32())
      std::memcpy(&floatValue, data->bytes.data(), sizeof(float));
    else
      intValue = GraphImporter::toKnownInts(*data).values[0];
  }
  if (!element.isF32()) {
    if (failed(checkFoldSize(n, *shape)))
      return failure();
    return g.setKnownIntOutput(
        n, 0,
        makeInts(element, *shape,
                 SmallVector<int64_t>(numElements(*shape), intValue)));
  }
  return g.setOutput(
      n, 0,
      g.splatF32(n.loc, RankedTensorType::get(*shape, element), floatValue));
}

LogicalResult onnx_import::importExpand(NodeContext &n) {
  GraphImporter &g = n.importer;
  if (failed(checkArity(n, 2, 2)))
    return failure();
  FailureOr<RankedTensorType> type = g.getInputType(n, 0);
  if (failed(type))
    return failure();
  FailureOr<SmallVector<int64_t>> requested = getIntList(n, 1, "shape");
  if (failed(requested))
    return failure();
  FailureOr<SmallVector<int64_t>> shape =
      g.broadcastShapes(n, type->getShape(), *requested);
  if (failed(shape))
    return failure();
  if (g.isKnownIntInput(n, 0)) {
    FailureOr<KnownInts> ints = g.getKnownIntInput(n, 0);
    if (failed(ints))
      return failure();
    if (failed(checkFoldSize(n, *shape)))
      return failure();
    return g.setKnownIntOutput(n, 0, broadcastInts(*ints, *shape));
  }
  FailureOr<Value> x = getTensorInput(n, 0);
  if (failed(x))
    return failure();
  return g.setOutput(n, 0, g.broadcastTo(n.loc, *x, *shape));
}

/// Range with bounds computed from dynamic sizes (position ids
/// `arange(seq_len)`): a linalg.generic over a 1-D tensor of
/// max(ceil((limit - start) / delta), 0) elements, each start + i * delta.
/// The delta must be known at import.
static LogicalResult importSymbolicRange(NodeContext &n) {
  GraphImporter &g = n.importer;
  OpBuilder &b = g.getBuilder();
  OpFoldResult args[3];
  Type element;
  for (int i = 0; i < 3; ++i) {
    FailureOr<SymbolicInts> ints = g.getSymbolicIntInput(n, i);
    if (failed(ints))
      return failure();
    if (ints->elements.size() != 1 || ints->type.getRank() > 1)
      return n.emitError() << "input " << i << " must be a scalar";
    args[i] = ints->elements[0];
    if (i == 0)
      element = ints->type.getElementType();
    else if (ints->type.getElementType() != element)
      return n.emitError() << "inputs of element types " << element << " and "
                           << ints->type.getElementType();
  }
  std::optional<int64_t> delta = IndexMath::constant(args[2]);
  if (!delta)
    return n.emitError() << "a range with bounds computed from dynamic sizes "
                            "takes a delta known at import";
  if (*delta == 0)
    return n.emitError() << "delta must not be 0";
  IndexMath m{b, n.loc};
  OpFoldResult span =
      *delta > 0 ? m.sub(args[1], args[0]) : m.sub(args[0], args[1]);
  OpFoldResult count =
      m.max(m.ceilDiv(span, *delta > 0 ? *delta : -*delta), b.getIndexAttr(0));
  Value init =
      tensor::EmptyOp::create(b, n.loc, ArrayRef<OpFoldResult>{count}, element);
  auto resultType = cast<RankedTensorType>(init.getType());
  Value start = IndexMath::constant(args[0]) == 0 ? Value() : m.value(args[0]);
  auto generic = linalg::GenericOp::create(
      b, n.loc, TypeRange{resultType}, ValueRange{}, ValueRange{init},
      ArrayRef<AffineMap>{b.getMultiDimIdentityMap(1)},
      ArrayRef<utils::IteratorType>{utils::IteratorType::parallel},
      [&](OpBuilder &nested, Location loc, ValueRange) {
        Value i = linalg::IndexOp::create(nested, loc, 0);
        if (*delta != 1)
          i = arith::MulIOp::create(
              nested, loc, i,
              arith::ConstantIndexOp::create(nested, loc, *delta));
        Value v = start ? arith::AddIOp::create(nested, loc, start, i) : i;
        linalg::YieldOp::create(
            nested, loc,
            Value(arith::IndexCastOp::create(nested, loc, element, v)));
      });
  return g.setOutput(n, 0, generic.getResult(0));
}

LogicalResult onnx_import::importRange(NodeContext &n) {
  GraphImporter &g = n.importer;
  if (failed(checkArity(n, 3, 3)))
    return failure();
  bool symbolic = false, shapeValues = true;
  for (int i = 0; i < 3; ++i) {
    symbolic |= g.isSymbolicIntInput(n, i);
    shapeValues &= g.isSymbolicIntInput(n, i) || g.isKnownIntInput(n, i);
  }
  if (symbolic && shapeValues)
    return importSymbolicRange(n);
  if (!allInputsKnownInts(n)) {
    for (int i = 0; i < 3; ++i)
      if (failed(g.getInput(n, i)))
        return failure();
    return n.emitError() << "only integer ranges known at import are "
                            "supported";
  }
  int64_t args[3];
  Type element;
  for (int i = 0; i < 3; ++i) {
    FailureOr<KnownInts> ints = g.getKnownIntInput(n, i);
    if (failed(ints))
      return failure();
    if (ints->values.size() != 1)
      return n.emitError() << "input " << i << " must be a scalar, has shape "
                           << shapeStr(ints->shape());
    args[i] = ints->values[0];
    element = ints->type.getElementType();
  }
  if (args[2] == 0)
    return n.emitError() << "delta must not be 0";
  int64_t span;
  if (llvm::SubOverflow(args[1], args[0], span))
    return n.emitError() << "the range overflows int64";
  int64_t count =
      span == 0 || (span > 0) != (args[2] > 0)
          ? 0
          : (span > 0 ? (span - 1) / args[2] + 1 : (span + 1) / args[2] + 1);
  if (failed(checkFoldSize(n, {count})))
    return failure();
  SmallVector<int64_t> values;
  for (int64_t i = 0; i < count; ++i)
    values.push_back(args[0] + i * args[2]);
  return g.setKnownIntOutput(n, 0, makeInts(element, {count}, values));
}

//===----------------------------------------------------------------------===//
// Integer arithmetic, Equal, Where, Cast
//===----------------------------------------------------------------------===//

/// The known inputs 0 and 1 with their broadcast shape, for binary folds.
static FailureOr<std::tuple<KnownInts, KnownInts, SmallVector<int64_t>>>
getIntOperands(NodeContext &n) {
  GraphImporter &g = n.importer;
  FailureOr<KnownInts> lhs = g.getKnownIntInput(n, 0);
  if (failed(lhs))
    return failure();
  FailureOr<KnownInts> rhs = g.getKnownIntInput(n, 1);
  if (failed(rhs))
    return failure();
  if (lhs->type.getElementType() != rhs->type.getElementType())
    return n.emitError() << "operand types " << lhs->type << " and "
                         << rhs->type << " differ";
  FailureOr<SmallVector<int64_t>> shape =
      g.broadcastShapes(n, lhs->shape(), rhs->shape());
  if (failed(shape))
    return failure();
  return std::make_tuple(std::move(*lhs), std::move(*rhs), std::move(*shape));
}

LogicalResult onnx_import::foldIntBinary(NodeContext &n, char op) {
  auto operands = getIntOperands(n);
  if (failed(operands))
    return failure();
  auto &[lhs, rhs, shape] = *operands;
  if (lhs.type.getElementType().isInteger(1))
    return n.emitError() << "arithmetic on booleans is not supported";
  if (failed(checkFoldSize(n, shape)))
    return failure();
  SmallVector<int64_t> values(numElements(shape));
  for (int64_t i = 0, e = values.size(); i < e; ++i) {
    SmallVector<int64_t> index = unflatten(i, shape);
    int64_t l = lhs.values[broadcastSource(index, lhs.shape())];
    int64_t r = rhs.values[broadcastSource(index, rhs.shape())];
    bool overflow = false;
    switch (op) {
    case '+':
      overflow = llvm::AddOverflow(l, r, values[i]);
      break;
    case '-':
      overflow = llvm::SubOverflow(l, r, values[i]);
      break;
    case '*':
      overflow = llvm::MulOverflow(l, r, values[i]);
      break;
    default:
      if (r == 0)
        return n.emitError() << "integer division by zero";
      overflow = l == std::numeric_limits<int64_t>::min() && r == -1;
      if (!overflow)
        values[i] = l / r;
      break;
    }
    if (overflow)
      return n.emitError() << "integer overflow in " << l << " " << op << " "
                           << r;
  }
  return n.importer.setKnownIntOutput(
      n, 0, makeInts(lhs.type.getElementType(), shape, values));
}

LogicalResult onnx_import::importEqual(NodeContext &n) {
  GraphImporter &g = n.importer;
  OpBuilder &b = g.getBuilder();
  if (failed(checkArity(n, 2, 2)))
    return failure();
  if (allInputsKnownInts(n)) {
    auto operands = getIntOperands(n);
    if (failed(operands))
      return failure();
    auto &[lhs, rhs, shape] = *operands;
    if (failed(checkFoldSize(n, shape)))
      return failure();
    SmallVector<int64_t> values(numElements(shape));
    for (int64_t i = 0, e = values.size(); i < e; ++i) {
      SmallVector<int64_t> index = unflatten(i, shape);
      values[i] = lhs.values[broadcastSource(index, lhs.shape())] ==
                  rhs.values[broadcastSource(index, rhs.shape())];
    }
    return g.setKnownIntOutput(n, 0, makeInts(b.getI1Type(), shape, values));
  }
  FailureOr<Value> lhs = getTensorInput(n, 0);
  if (failed(lhs))
    return failure();
  FailureOr<Value> rhs = getTensorInput(n, 1);
  if (failed(rhs))
    return failure();
  Type element = getElementTypeOrSelf(lhs->getType());
  if (element != getElementTypeOrSelf(rhs->getType()))
    return n.emitError() << "operand types " << lhs->getType() << " and "
                         << rhs->getType() << " differ";
  FailureOr<std::pair<Value, Value>> operands = g.broadcastPair(n, *lhs, *rhs);
  if (failed(operands))
    return failure();
  auto [l, r] = *operands;
  Value result;
  if (isa<FloatType>(element))
    result = arith::CmpFOp::create(b, n.loc, arith::CmpFPredicate::OEQ, l, r);
  else
    result = arith::CmpIOp::create(b, n.loc, arith::CmpIPredicate::eq, l, r);
  return g.setOutput(n, 0, result);
}

/// Whether `value` is all zeros: a splat zero constant or a fill with zero.
static bool isZeroFill(Value value) {
  if (matchPattern(value, m_Zero()))
    return true;
  auto fill = value.getDefiningOp<linalg::FillOp>();
  return fill && matchPattern(fill.getInputs()[0], m_Zero());
}

LogicalResult onnx_import::importWhere(NodeContext &n) {
  GraphImporter &g = n.importer;
  if (failed(checkArity(n, 3, 3)))
    return failure();
  SmallVector<RankedTensorType> types;
  for (int i = 0; i < 3; ++i) {
    FailureOr<RankedTensorType> type = g.getInputType(n, i);
    if (failed(type))
      return failure();
    types.push_back(*type);
  }
  if (!types[0].getElementType().isInteger(1))
    return n.emitError() << "condition has type " << types[0]
                         << "; expected a bool tensor";
  if (types[1].getElementType() != types[2].getElementType())
    return n.emitError() << "X and Y have different types: " << types[1]
                         << " and " << types[2];
  FailureOr<SmallVector<int64_t>> shape =
      g.broadcastShapes(n, types[0].getShape(), types[1].getShape());
  if (failed(shape))
    return failure();
  shape = g.broadcastShapes(n, *shape, types[2].getShape());
  if (failed(shape))
    return failure();
  if (allInputsKnownInts(n)) {
    if (failed(checkFoldSize(n, *shape)))
      return failure();
    SmallVector<KnownInts> ints;
    for (int i = 0; i < 3; ++i) {
      FailureOr<KnownInts> given = g.getKnownIntInput(n, i);
      if (failed(given))
        return failure();
      ints.push_back(std::move(*given));
    }
    SmallVector<int64_t> values(numElements(*shape));
    for (int64_t i = 0, e = values.size(); i < e; ++i) {
      SmallVector<int64_t> index = unflatten(i, *shape);
      bool c = ints[0].values[broadcastSource(index, ints[0].shape())];
      const KnownInts &pick = c ? ints[1] : ints[2];
      values[i] = pick.values[broadcastSource(index, pick.shape())];
    }
    return g.setKnownIntOutput(
        n, 0, makeInts(types[1].getElementType(), *shape, values));
  }
  // One linalg.generic reading each operand through its broadcast map. A
  // condition known at import is an i8 constant compared with zero in the
  // body: boolean (i1) tensors in memory are best avoided, as vectorised i1
  // loads read bits where scalar stores write bytes.
  OpBuilder &b = g.getBuilder();
  SmallVector<Value> operands;
  Value cond;
  if (g.isKnownIntInput(n, 0)) {
    FailureOr<KnownInts> ints = g.getKnownIntInput(n, 0);
    if (failed(ints))
      return failure();
    ints->type = RankedTensorType::get(ints->shape(), b.getI8Type());
    cond = g.materializeInts(n.loc, *ints);
  } else {
    FailureOr<Value> value = getTensorInput(n, 0);
    if (failed(value))
      return failure();
    cond = *value;
    // An i8 tensor compared with zero (a sliced mask buffer, see
    // importDynamicSlice) is read as it is: the body compares.
    if (auto cmp = cond.getDefiningOp<arith::CmpIOp>();
        cmp && cmp.getPredicate() == arith::CmpIPredicate::ne &&
        getElementTypeOrSelf(cmp.getLhs().getType()).isInteger(8) &&
        isZeroFill(cmp.getRhs()))
      cond = cmp.getLhs();
  }
  operands.push_back(cond);
  for (int i = 1; i < 3; ++i) {
    FailureOr<Value> value = getTensorInput(n, i);
    if (failed(value))
      return failure();
    operands.push_back(*value);
  }
  int64_t rank = shape->size();
  // Dynamic operand dimensions where the result is static take its size.
  for (Value &operand : operands) {
    auto opType = cast<RankedTensorType>(operand.getType());
    int64_t offset = rank - opType.getRank();
    SmallVector<int64_t> castShape(opType.getShape());
    for (int64_t d = 0; d < opType.getRank(); ++d)
      if (opType.isDynamicDim(d) &&
          !ShapedType::isDynamic((*shape)[offset + d]))
        castShape[d] = (*shape)[offset + d];
    if (ArrayRef<int64_t>(castShape) != opType.getShape())
      operand = tensor::CastOp::create(
          b, n.loc, RankedTensorType::get(castShape, opType.getElementType()),
          operand);
  }
  SmallVector<AffineMap> maps;
  for (Value operand : operands) {
    ArrayRef<int64_t> opShape = shapeOf(operand);
    int64_t offset = rank - static_cast<int64_t>(opShape.size());
    SmallVector<AffineExpr> exprs;
    for (auto [d, size] : llvm::enumerate(opShape))
      exprs.push_back(size == 1 && (*shape)[offset + d] != 1
                          ? b.getAffineConstantExpr(0)
                          : b.getAffineDimExpr(offset + d));
    maps.push_back(AffineMap::get(rank, 0, exprs, b.getContext()));
  }
  maps.push_back(b.getMultiDimIdentityMap(rank));
  Type element = types[1].getElementType();
  auto resultType = RankedTensorType::get(*shape, element);
  // Dynamic sizes from X and Y first (the condition is often a smaller
  // mask).
  FailureOr<Value> init = g.emptyTensor(
      n, *shape, element, {operands[1], operands[2], operands[0]});
  if (failed(init))
    return failure();
  auto generic = linalg::GenericOp::create(
      b, n.loc, TypeRange{resultType}, operands, ValueRange{*init}, maps,
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &nested, Location loc, ValueRange args) {
        Value c = args[0];
        if (!c.getType().isInteger(1)) {
          Value zero = arith::ConstantOp::create(
              nested, loc, nested.getIntegerAttr(c.getType(), 0));
          c = arith::CmpIOp::create(nested, loc, arith::CmpIPredicate::ne, c,
                                    zero);
        }
        linalg::YieldOp::create(
            nested, loc,
            Value(arith::SelectOp::create(nested, loc, c, args[1], args[2])));
      });
  return g.setOutput(n, 0, generic.getResult(0));
}

LogicalResult onnx_import::importCast(NodeContext &n) {
  GraphImporter &g = n.importer;
  OpBuilder &b = g.getBuilder();
  if (failed(checkArity(n, 1, 1)))
    return failure();
  if (!g.findAttr(n, "to"))
    return n.emitError() << "missing attribute 'to'";
  FailureOr<int64_t> to = g.getIntAttr(n, "to", 0);
  if (failed(to))
    return failure();
  Type target;
  switch (*to) {
  case onnx::TensorProto::FLOAT:
    target = b.getF32Type();
    break;
  case onnx::TensorProto::INT64:
    target = b.getI64Type();
    break;
  case onnx::TensorProto::INT32:
    target = b.getI32Type();
    break;
  case onnx::TensorProto::BOOL:
    target = b.getI1Type();
    break;
  case onnx::TensorProto::DOUBLE:
    target = b.getF64Type();
    break;
  case onnx::TensorProto::INT16:
    target = b.getIntegerType(16);
    break;
  case onnx::TensorProto::INT8:
    target = b.getI8Type();
    break;
  default:
    break;
  }
  FailureOr<RankedTensorType> type = g.getInputType(n, 0);
  if (failed(type))
    return failure();
  Type source = type->getElementType();
  auto unsupported = [&]() {
    return n.emitError() << "Cast of " << source << " to " << dataTypeName(*to)
                         << " is not supported yet";
  };
  if (!target)
    return unsupported();

  // Known integers: folded (to f32, a constant; to f64 at run time).
  if (g.isKnownIntInput(n, 0) && !target.isF64()) {
    FailureOr<KnownInts> ints = g.getKnownIntInput(n, 0);
    if (failed(ints))
      return failure();
    if (target.isF32()) {
      SmallVector<float> floats;
      for (int64_t v : ints->values)
        floats.push_back(static_cast<float>(v));
      return g.setOutput(
          n, 0,
          g.createF32Constant(n.loc,
                              RankedTensorType::get(ints->shape(), target),
                              floats, n.node.output(0)));
    }
    for (int64_t &v : ints->values)
      v = target.isInteger(1)    ? v != 0
          : target.isInteger(32) ? static_cast<int32_t>(v)
          : target.isInteger(16) ? static_cast<int16_t>(v)
          : target.isInteger(8)  ? static_cast<int8_t>(v)
                                 : v;
    ints->type = RankedTensorType::get(ints->shape(), target);
    return g.setKnownIntOutput(n, 0, std::move(*ints));
  }
  if (source == target) {
    FailureOr<Value> x = g.getInput(n, 0);
    if (failed(x))
      return failure();
    return g.setOutput(n, 0, *x);
  }
  // f32 constants cast to integers (shape arithmetic done in floats): folded.
  if (source.isF32() && isa<IntegerType>(target) && g.isConstantInput(n, 0)) {
    FailureOr<F32Constant> c = g.getF32ConstantInput(n, 0);
    if (failed(c))
      return failure();
    SmallVector<int64_t> values;
    for (float v : c->values) {
      if (!std::isfinite(v) || std::fabs(v) > 9.2e18f)
        return n.emitError() << "cannot cast " << v << " to " << target;
      values.push_back(target.isInteger(1) ? v != 0.0f
                                           : static_cast<int64_t>(v));
    }
    return g.setKnownIntOutput(n, 0,
                               makeInts(target, c->type.getShape(), values));
  }
  // Run-time data, between f32, f64, signed integers and bool: numpy's
  // conversions (floats to integers truncate, to bool compare with zero).
  FailureOr<Value> x = getTensorInput(n, 0);
  if (failed(x))
    return failure();
  auto resultType = RankedTensorType::get(type->getShape(), target);
  auto isFloat = [](Type t) { return isa<Float32Type, Float64Type>(t); };
  auto isInt = [](Type t) { return t.isSignlessInteger(); };
  unsigned sourceWidth = source.getIntOrFloatBitWidth();
  unsigned targetWidth = target.getIntOrFloatBitWidth();
  Value result;
  if (!(isFloat(source) || isInt(source)))
    return unsupported();
  if (target.isInteger(1)) {
    auto operandType = cast<RankedTensorType>(x->getType());
    Value zero;
    if (operandType.hasStaticShape()) {
      zero = arith::ConstantOp::create(
          b, n.loc, operandType,
          DenseElementsAttr::get(operandType,
                                 b.getZeroAttr(operandType.getElementType())));
    } else {
      Type element = operandType.getElementType();
      Value empty = tensor::EmptyOp::create(
          b, n.loc, g.getMixedSizes(n.loc, *x), element);
      Value scalar = arith::ConstantOp::create(
          b, n.loc, cast<TypedAttr>(b.getZeroAttr(element)));
      zero = linalg::FillOp::create(b, n.loc, ValueRange{scalar},
                                    ValueRange{empty})
                 .getResult(0);
    }
    result = isFloat(source)
                 ? Value(arith::CmpFOp::create(
                       b, n.loc, arith::CmpFPredicate::UNE, *x, zero))
                 : Value(arith::CmpIOp::create(
                       b, n.loc, arith::CmpIPredicate::ne, *x, zero));
  } else if (isFloat(source) && isFloat(target)) {
    result = sourceWidth < targetWidth
                 ? Value(arith::ExtFOp::create(b, n.loc, resultType, *x))
                 : Value(arith::TruncFOp::create(b, n.loc, resultType, *x));
  } else if (isInt(source) && isFloat(target)) {
    result = source.isInteger(1)
                 ? Value(arith::UIToFPOp::create(b, n.loc, resultType, *x))
                 : Value(arith::SIToFPOp::create(b, n.loc, resultType, *x));
  } else if (isFloat(source)) {
    result = arith::FPToSIOp::create(b, n.loc, resultType, *x);
  } else if (sourceWidth < targetWidth) {
    result = source.isInteger(1)
                 ? Value(arith::ExtUIOp::create(b, n.loc, resultType, *x))
                 : Value(arith::ExtSIOp::create(b, n.loc, resultType, *x));
  } else {
    result = arith::TruncIOp::create(b, n.loc, resultType, *x);
  }
  return g.setOutput(n, 0, result);
}
