//===- Symbolic.cpp - shape computations on dynamic dimensions ------------===//
//
// Exporters compute shapes at run time: `x.view(B, T, h, d)` becomes
// Shape → Gather → Unsqueeze → Concat → Reshape. With static shapes the
// importer folds these chains to known integers (TensorOps.cpp). With
// dynamic dimensions the same chains are folded to SymbolicInts: 0-D or 1-D
// integer tensors whose elements are constants or `index` values read from
// tensors (tensor.dim). This file imports the shape computations on such
// values (Shape, Gather, Unsqueeze, Squeeze, Concat, Slice, Cast and integer
// arithmetic) and the ops that take them as shapes (Reshape, ConstantOfShape,
// Expand), which get dynamic result sizes; a Slice of a tensor with symbolic
// bounds and a Range to a symbolic limit go to their handlers in
// TensorOps.cpp, which take them. Anything else that reads symbolic
// integers gets them materialised as a run-time tensor.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace mlir::ffn;
using namespace mlir::ffn::onnx_import;

/// The static size an element stands for, or kDynamic.
static int64_t staticSize(OpFoldResult size) {
  std::optional<int64_t> c = getConstantIntValue(size);
  return c ? *c : ShapedType::kDynamic;
}

/// "[2, ?, 64]" for diagnostics.
static std::string elementsStr(const SymbolicInts &ints) {
  std::string s = "[";
  for (auto [i, e] : llvm::enumerate(ints.elements)) {
    if (i)
      s += ", ";
    std::optional<int64_t> c = getConstantIntValue(e);
    s += c ? std::to_string(*c) : "?";
  }
  return s + "]";
}


/// `lhs op rhs` on index sizes, folded when both are constants.
static FailureOr<OpFoldResult> combine(NodeContext &n, char op,
                                       OpFoldResult lhs, OpFoldResult rhs) {
  GraphImporter &g = n.importer;
  OpBuilder &b = g.getBuilder();
  std::optional<int64_t> l = getConstantIntValue(lhs);
  std::optional<int64_t> r = getConstantIntValue(rhs);
  if (op == '/' && r && *r == 0)
    return n.emitError() << "integer division by zero";
  if (l && r) {
    int64_t result = 0;
    bool overflow = false;
    switch (op) {
    case '+':
      overflow = llvm::AddOverflow(*l, *r, result);
      break;
    case '-':
      overflow = llvm::SubOverflow(*l, *r, result);
      break;
    case '*':
      overflow = llvm::MulOverflow(*l, *r, result);
      break;
    default:
      overflow = *l == std::numeric_limits<int64_t>::min() && *r == -1;
      result = overflow ? 0 : *l / *r;
      break;
    }
    if (overflow)
      return n.emitError() << "integer overflow in " << *l << " " << op << " "
                           << *r;
    return OpFoldResult(b.getIndexAttr(result));
  }
  // Neutral elements keep the symbol as it is.
  if ((op == '*' && l == 1) || (op == '+' && l == 0))
    return rhs;
  if ((op == '*' || op == '/') && r == 1)
    return lhs;
  if ((op == '+' || op == '-') && r == 0)
    return lhs;
  // One size less itself (klen - qlen of one sequence).
  if (op == '-' && lhs == rhs)
    return OpFoldResult(b.getIndexAttr(0));
  Value lv = g.indexValue(n.loc, lhs), rv = g.indexValue(n.loc, rhs);
  Value result;
  switch (op) {
  case '+':
    result = arith::AddIOp::create(b, n.loc, lv, rv);
    break;
  case '-':
    result = arith::SubIOp::create(b, n.loc, lv, rv);
    break;
  case '*':
    result = arith::MulIOp::create(b, n.loc, lv, rv);
    break;
  default:
    // ONNX integer Div truncates; sizes are not negative.
    result = arith::DivSIOp::create(b, n.loc, lv, rv);
    break;
  }
  return OpFoldResult(result);
}

/// The product of `numerator` over the product of `denominator`. Dynamic
/// sizes that are one value on both sides cancel (GraphImporter::getDimSize
/// gives sizes of one origin one value), so that `[B, T, 4, 8]` reshaped to
/// `[B, T, -1]` infers a static 32.
static FailureOr<OpFoldResult> divideProducts(NodeContext &n,
                                              ArrayRef<OpFoldResult> numerator,
                                              ArrayRef<OpFoldResult> denominator) {
  OpBuilder &b = n.importer.getBuilder();
  int64_t num = 1, den = 1;
  SmallVector<Value> numValues, denValues;
  for (auto [sizes, constant, values] :
       {std::tie(numerator, num, numValues),
        std::tie(denominator, den, denValues)})
    for (OpFoldResult size : sizes) {
      if (std::optional<int64_t> c = getConstantIntValue(size)) {
        if (llvm::MulOverflow(constant, *c, constant))
          return n.emitError() << "the shape has too many elements";
      } else {
        values.push_back(cast<Value>(size));
      }
    }
  SmallVector<Value> remaining;
  for (Value v : denValues) {
    auto it = llvm::find(numValues, v);
    if (it != numValues.end())
      numValues.erase(it);
    else
      remaining.push_back(v);
  }
  if (den == 0)
    return n.emitError() << "cannot infer a -1 dimension next to a 0 one";
  OpFoldResult result = b.getIndexAttr(1);
  if (remaining.empty() && num % den == 0) {
    result = b.getIndexAttr(num / den);
    for (Value v : numValues) {
      FailureOr<OpFoldResult> r = combine(n, '*', result, v);
      if (failed(r))
        return failure();
      result = *r;
    }
    return result;
  }
  // Sizes of different origins: computed at run time.
  OpFoldResult dividend = b.getIndexAttr(num), divisor = b.getIndexAttr(den);
  for (Value v : numValues) {
    FailureOr<OpFoldResult> r = combine(n, '*', dividend, v);
    if (failed(r))
      return failure();
    dividend = *r;
  }
  for (Value v : remaining) {
    FailureOr<OpFoldResult> r = combine(n, '*', divisor, v);
    if (failed(r))
      return failure();
    divisor = *r;
  }
  return combine(n, '/', dividend, divisor);
}

//===----------------------------------------------------------------------===//
// Shape computations
//===----------------------------------------------------------------------===//

/// Shape of a tensor with dynamic dimensions.
static LogicalResult symbolicShape(NodeContext &n) {
  GraphImporter &g = n.importer;
  if (failed(checkArity(n, 1, 1)))
    return failure();
  FailureOr<Value> x = g.getInput(n, 0);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  FailureOr<int64_t> start = g.getIntAttr(n, "start", 0);
  FailureOr<int64_t> end = g.getIntAttr(n, "end", rank);
  if (failed(start) || failed(end))
    return failure();
  int64_t s = std::clamp<int64_t>(*start < 0 ? *start + rank : *start, 0, rank);
  int64_t e = std::clamp<int64_t>(*end < 0 ? *end + rank : *end, 0, rank);
  SmallVector<OpFoldResult> sizes = g.getMixedSizes(n.loc, *x);
  SymbolicInts ints;
  ints.elements.assign(sizes.begin() + s, sizes.begin() + std::max(s, e));
  ints.type = RankedTensorType::get(
      {static_cast<int64_t>(ints.elements.size())}, g.getBuilder().getI64Type());
  return g.setSymbolicIntOutput(n, 0, std::move(ints));
}

/// Gather of elements of a 1-D symbolic tensor at indices known at import.
static LogicalResult symbolicGather(NodeContext &n) {
  GraphImporter &g = n.importer;
  if (failed(checkArity(n, 2, 2)))
    return failure();
  FailureOr<SymbolicInts> data = g.getSymbolicIntInput(n, 0);
  if (failed(data))
    return failure();
  FailureOr<int64_t> axis = g.getIntAttr(n, "axis", 0);
  if (failed(axis))
    return failure();
  if (data->type.getRank() != 1 || (*axis != 0 && *axis != -1))
    return n.emitError() << "gathering from the shape " << elementsStr(*data)
                         << " takes a 1-D tensor and axis 0";
  if (!g.isKnownIntInput(n, 1))
    return n.emitError() << "indices into the shape " << elementsStr(*data)
                         << " must be known at import";
  FailureOr<KnownInts> indices = g.getKnownIntInput(n, 1);
  if (failed(indices))
    return failure();
  if (indices->rank() > 1)
    return n.emitError() << "indices into a shape must be 0-D or 1-D";
  int64_t size = data->elements.size();
  SymbolicInts result;
  result.type = RankedTensorType::get(indices->shape(),
                                      data->type.getElementType());
  for (int64_t i : indices->values) {
    if (i < -size || i >= size)
      return n.emitError() << "index " << i << " is out of range for the "
                           << size << " elements of the shape "
                           << elementsStr(*data);
    result.elements.push_back(data->elements[i < 0 ? i + size : i]);
  }
  return g.setSymbolicIntOutput(n, 0, std::move(result));
}

/// Unsqueeze of a 0-D symbolic value to 1-D, or Squeeze of a 1-element one
/// to 0-D: the elements stay, the type changes.
static LogicalResult symbolicUnitReshape(NodeContext &n, bool squeeze) {
  GraphImporter &g = n.importer;
  FailureOr<SymbolicInts> data = g.getSymbolicIntInput(n, 0);
  if (failed(data))
    return failure();
  int64_t rank = data->type.getRank();
  std::optional<SmallVector<int64_t>> axes;
  if (n.hasInput(1)) {
    FailureOr<KnownInts> given = g.getKnownIntInput(n, 1);
    if (failed(given))
      return failure();
    axes = given->values;
  }
  bool valid = squeeze ? rank == 1 && data->elements.size() == 1 &&
                             (!axes || (axes->size() == 1 &&
                                        ((*axes)[0] == 0 || (*axes)[0] == -1)))
                       : rank == 0 && axes && axes->size() == 1 &&
                             ((*axes)[0] == 0 || (*axes)[0] == -1);
  if (!valid)
    return n.emitError() << (squeeze ? "Squeeze" : "Unsqueeze")
                         << " of the shape values " << elementsStr(*data)
                         << " is only supported between 0-D and 1-D";
  data->type = RankedTensorType::get(
      squeeze ? ArrayRef<int64_t>{} : ArrayRef<int64_t>{1},
      data->type.getElementType());
  return g.setSymbolicIntOutput(n, 0, std::move(*data));
}

/// Concat of 1-D symbolic and known integer tensors.
static LogicalResult symbolicConcat(NodeContext &n) {
  GraphImporter &g = n.importer;
  SymbolicInts result;
  for (int i = 0, e = n.numInputs(); i < e; ++i) {
    FailureOr<SymbolicInts> part = g.getSymbolicIntInput(n, i);
    if (failed(part))
      return failure();
    if (part->type.getRank() != 1)
      return n.emitError() << "concatenating shape values takes 1-D tensors";
    if (i == 0)
      result.type = part->type;
    else if (part->type.getElementType() != result.type.getElementType())
      return n.emitError() << "inputs of element types "
                           << result.type.getElementType() << " and "
                           << part->type.getElementType();
    llvm::append_range(result.elements, part->elements);
  }
  result.type = RankedTensorType::get(
      {static_cast<int64_t>(result.elements.size())},
      result.type.getElementType());
  return g.setSymbolicIntOutput(n, 0, std::move(result));
}

/// Slice of a 1-D symbolic tensor with bounds known at import.
static LogicalResult symbolicSlice(NodeContext &n) {
  GraphImporter &g = n.importer;
  if (failed(checkArity(n, 3, 5)))
    return failure();
  FailureOr<SymbolicInts> data = g.getSymbolicIntInput(n, 0);
  if (failed(data))
    return failure();
  SmallVector<int64_t> bounds[4];
  for (int i = 1; i < 5; ++i) {
    if (!n.hasInput(i))
      continue;
    if (!g.isKnownIntInput(n, i))
      return n.emitError() << "slicing the shape " << elementsStr(*data)
                           << " takes bounds known at import";
    FailureOr<KnownInts> v = g.getKnownIntInput(n, i);
    if (failed(v))
      return failure();
    bounds[i - 1] = v->values;
  }
  auto &[starts, ends, axes, steps] = bounds;
  if (data->type.getRank() != 1 || starts.size() != 1 || ends.size() != 1 ||
      (!axes.empty() && (axes.size() != 1 || (axes[0] != 0 && axes[0] != -1))) ||
      (!steps.empty() && (steps.size() != 1 || steps[0] != 1)))
    return n.emitError() << "slicing the shape " << elementsStr(*data)
                         << " takes one axis and step 1";
  int64_t size = data->elements.size();
  auto clamp = [&](int64_t i) {
    if (i < 0)
      i += size;
    return std::clamp<int64_t>(i, 0, size);
  };
  int64_t start = clamp(starts[0]), end = std::max(start, clamp(ends[0]));
  SymbolicInts result;
  result.elements.assign(data->elements.begin() + start,
                         data->elements.begin() + end);
  result.type = RankedTensorType::get({end - start},
                                      data->type.getElementType());
  return g.setSymbolicIntOutput(n, 0, std::move(result));
}

/// Cast of symbolic integers to int64 or int32: the sizes stay.
static LogicalResult symbolicCast(NodeContext &n) {
  GraphImporter &g = n.importer;
  FailureOr<int64_t> to = g.getIntAttr(n, "to", 0);
  if (failed(to))
    return failure();
  FailureOr<SymbolicInts> data = g.getSymbolicIntInput(n, 0);
  if (failed(data))
    return failure();
  OpBuilder &b = g.getBuilder();
  Type target;
  if (*to == onnx::TensorProto::INT64)
    target = b.getI64Type();
  else if (*to == onnx::TensorProto::INT32)
    target = b.getI32Type();
  else
    return n.emitError() << "shape values cast to type " << *to;
  data->type = RankedTensorType::get(data->type.getShape(), target);
  return g.setSymbolicIntOutput(n, 0, std::move(*data));
}

/// Add, Sub, Mul, Div of symbolic integers (one may be a single element,
/// broadcast).
static LogicalResult symbolicArithmetic(NodeContext &n, char op) {
  GraphImporter &g = n.importer;
  if (failed(checkArity(n, 2, 2)))
    return failure();
  FailureOr<SymbolicInts> lhs = g.getSymbolicIntInput(n, 0);
  if (failed(lhs))
    return failure();
  FailureOr<SymbolicInts> rhs = g.getSymbolicIntInput(n, 1);
  if (failed(rhs))
    return failure();
  size_t ls = lhs->elements.size(), rs = rhs->elements.size();
  if (ls != rs && ls != 1 && rs != 1)
    return n.emitError() << "operands " << elementsStr(*lhs) << " and "
                         << elementsStr(*rhs) << " do not broadcast";
  SymbolicInts result;
  result.type = lhs->type.getRank() >= rhs->type.getRank() && ls >= rs
                    ? lhs->type
                    : rhs->type;
  for (size_t i = 0, e = std::max(ls, rs); i < e; ++i) {
    FailureOr<OpFoldResult> v = combine(n, op, lhs->elements[ls == 1 ? 0 : i],
                                        rhs->elements[rs == 1 ? 0 : i]);
    if (failed(v))
      return failure();
    result.elements.push_back(*v);
  }
  return g.setSymbolicIntOutput(n, 0, std::move(result));
}

//===----------------------------------------------------------------------===//
// Ops that take symbolic shapes
//===----------------------------------------------------------------------===//

/// `x` reshaped to `sizes` (as many elements): collapse_shape and/or
/// expand_shape where one reassociation maps the dimensions, tensor.cast
/// where only static and dynamic sizes differ, tensor.reshape otherwise.
static Value buildDynamicReshape(GraphImporter &g, Location loc, Value x,
                                 ArrayRef<OpFoldResult> sizes) {
  OpBuilder &b = g.getBuilder();
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> shape = llvm::map_to_vector(sizes, staticSize);
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  if (resultType == type)
    return x;
  int64_t inRank = type.getRank(), outRank = resultType.getRank();
  if (inRank == outRank && tensor::CastOp::areCastCompatible(type, resultType))
    return tensor::CastOp::create(b, loc, resultType, x);
  if (inRank != outRank && inRank > 0 && outRank > 0) {
    if (std::optional<SmallVector<ReassociationIndices>> groups =
            getReassociationIndicesForReshape(type, resultType)) {
      if (inRank > outRank)
        return tensor::CollapseShapeOp::create(b, loc, resultType, x, *groups);
      return tensor::ExpandShapeOp::create(b, loc, resultType, x, *groups,
                                           sizes);
    }
  }
  SmallVector<Value> elements;
  for (OpFoldResult size : sizes)
    elements.push_back(arith::IndexCastOp::create(b, loc, b.getI64Type(),
                                                  g.indexValue(loc, size)));
  Value shapeTensor = tensor::FromElementsOp::create(
      b, loc, RankedTensorType::get({outRank}, b.getI64Type()), elements);
  return tensor::ReshapeOp::create(b, loc, resultType, x, shapeTensor);
}

/// Reshape to a symbolic shape (0 copies a dimension, one -1 is inferred).
static LogicalResult symbolicReshape(NodeContext &n) {
  GraphImporter &g = n.importer;
  if (failed(checkArity(n, 2, 2)))
    return failure();
  FailureOr<int64_t> allowZero = g.getIntAttr(n, "allowzero", 0);
  if (failed(allowZero))
    return failure();
  FailureOr<SymbolicInts> requested = g.getSymbolicIntInput(n, 1);
  if (failed(requested))
    return failure();
  FailureOr<Value> x = g.getInput(n, 0);
  if (failed(x))
    return failure();
  if (requested->type.getRank() != 1)
    return n.emitError() << "shape must be a 1-D tensor";
  OpBuilder &b = g.getBuilder();
  SmallVector<OpFoldResult> in = g.getMixedSizes(n.loc, *x);
  SmallVector<OpFoldResult> sizes;
  int64_t inferred = -1;
  for (auto [i, entry] : llvm::enumerate(requested->elements)) {
    std::optional<int64_t> c = getConstantIntValue(entry);
    if (c && *c == 0 && !*allowZero) {
      if (i >= in.size())
        return n.emitError() << "shape " << elementsStr(*requested)
                             << " copies dimension " << i
                             << " (a 0 entry) of an input of rank "
                             << in.size();
      sizes.push_back(in[i]);
    } else if (c && *c == -1) {
      if (inferred >= 0)
        return n.emitError() << "shape " << elementsStr(*requested)
                             << " has more than one -1 entry";
      inferred = i;
      sizes.push_back(b.getIndexAttr(1));
    } else if (c && *c < 0) {
      return n.emitError() << "shape " << elementsStr(*requested)
                           << " has the invalid entry " << *c;
    } else {
      sizes.push_back(entry);
    }
  }
  if (inferred >= 0) {
    // The element count over the product of the other sizes.
    FailureOr<OpFoldResult> q = divideProducts(n, in, sizes);
    if (failed(q))
      return failure();
    sizes[inferred] = *q;
  }
  return g.setOutput(n, 0, buildDynamicReshape(g, n.loc, *x, sizes));
}

/// ConstantOfShape of a symbolic shape: an f32 fill (other element types
/// are not taken with dynamic shapes yet).
static LogicalResult symbolicConstantOfShape(NodeContext &n) {
  GraphImporter &g = n.importer;
  OpBuilder &b = g.getBuilder();
  if (failed(checkArity(n, 1, 1)))
    return failure();
  FailureOr<SymbolicInts> shape = g.getSymbolicIntInput(n, 0);
  if (failed(shape))
    return failure();
  float value = 0.0f;
  if (const onnx::AttributeProto *attr = g.findAttr(n, "value")) {
    if (!attr->has_t())
      return n.emitError() << "attribute 'value' must be a tensor";
    FailureOr<TensorData> data =
        g.readAttrTensor(n, attr->t(), "attribute 'value'");
    if (failed(data))
      return failure();
    if (data->type.getNumElements() != 1 ||
        !data->type.getElementType().isF32())
      return n.emitError() << "a dynamic shape takes a single f32 'value' "
                              "only so far";
    std::memcpy(&value, data->bytes.data(), sizeof(float));
  }
  SmallVector<int64_t> staticShape;
  SmallVector<Value> dynamicSizes;
  for (OpFoldResult size : shape->elements) {
    staticShape.push_back(staticSize(size));
    if (ShapedType::isDynamic(staticShape.back()))
      dynamicSizes.push_back(cast<Value>(size));
  }
  Value empty = tensor::EmptyOp::create(b, n.loc, staticShape, b.getF32Type(),
                                        dynamicSizes);
  Value scalar = arith::ConstantOp::create(b, n.loc, b.getF32FloatAttr(value));
  return g.setOutput(
      n, 0,
      linalg::FillOp::create(b, n.loc, ValueRange{scalar}, ValueRange{empty})
          .getResult(0));
}

/// Expand to a symbolic shape: numpy broadcasting of the input against it.
static LogicalResult symbolicExpand(NodeContext &n) {
  GraphImporter &g = n.importer;
  OpBuilder &b = g.getBuilder();
  if (failed(checkArity(n, 2, 2)))
    return failure();
  FailureOr<SymbolicInts> requested = g.getSymbolicIntInput(n, 1);
  if (failed(requested))
    return failure();
  FailureOr<Value> x = g.getInput(n, 0);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = std::max<int64_t>(type.getRank(), requested->elements.size());
  SmallVector<OpFoldResult> in = g.getMixedSizes(n.loc, *x);
  SmallVector<OpFoldResult> sizes(rank);
  for (int64_t d = 0; d < rank; ++d) {
    int64_t xd = d - (rank - type.getRank());
    int64_t rd = d - (rank - static_cast<int64_t>(requested->elements.size()));
    OpFoldResult xs = xd >= 0 ? in[xd] : b.getIndexAttr(1);
    OpFoldResult rs = rd >= 0 ? requested->elements[rd] : b.getIndexAttr(1);
    // A requested 1 keeps the input's size; an input 1 takes the request.
    std::optional<int64_t> xc = getConstantIntValue(xs);
    sizes[d] = xc == 1 ? rs : xs;
  }
  SmallVector<int64_t> shape = llvm::map_to_vector(sizes, staticSize);
  SmallVector<Value> dynamicSizes;
  for (OpFoldResult size : sizes)
    if (!getConstantIntValue(size))
      dynamicSizes.push_back(cast<Value>(size));
  FailureOr<Value> init =
      tensor::EmptyOp::create(b, n.loc, shape, type.getElementType(),
                              dynamicSizes)
          .getResult();
  FailureOr<Value> result = g.broadcastToDynamic(n, *x, shape, *init);
  if (failed(result))
    return failure();
  return g.setOutput(n, 0, *result);
}

std::optional<LogicalResult>
onnx_import::importWithSymbolicInts(NodeContext &n) {
  GraphImporter &g = n.importer;
  StringRef op = n.node.op_type();
  if (op == "Shape") {
    FailureOr<RankedTensorType> type = g.getInputType(n, 0);
    if (succeeded(type) && !type->hasStaticShape())
      return symbolicShape(n);
    return std::nullopt;
  }
  // Reshape and Expand of a tensor with dynamic dimensions to a shape known
  // at import: the same paths (a 0 entry copies a dynamic size, a -1 entry
  // is inferred from them).
  if ((op == "Reshape" || op == "Expand") && g.firstDynamicInput(n) == 0 &&
      g.isKnownIntInput(n, 1))
    return op == "Reshape" ? symbolicReshape(n) : symbolicExpand(n);
  bool any = false;
  for (int i = 0, e = n.numInputs(); i < e; ++i)
    any |= g.isSymbolicIntInput(n, i);
  if (!any)
    return std::nullopt;
  if (op == "Gather" && g.isSymbolicIntInput(n, 0))
    return symbolicGather(n);
  if (op == "Unsqueeze" || op == "Squeeze")
    return symbolicUnitReshape(n, op == "Squeeze");
  if (op == "Concat")
    return symbolicConcat(n);
  if (op == "Slice" && g.isSymbolicIntInput(n, 0))
    return symbolicSlice(n);
  // Slices of tensors with bounds computed from dynamic sizes (a causal
  // mask buffer cut to the sequence), and ranges to such bounds.
  if (op == "Slice")
    return importSlice(n);
  if (op == "Range")
    return importRange(n);
  if (op == "Cast") {
    FailureOr<int64_t> to = g.getIntAttr(n, "to", 0);
    if (succeeded(to) && (*to == onnx::TensorProto::INT64 ||
                          *to == onnx::TensorProto::INT32))
      return symbolicCast(n);
    return std::nullopt;
  }
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
    bool ints = true;
    for (int i = 0; i < 2; ++i)
      ints &= g.isSymbolicIntInput(n, i) || g.isKnownIntInput(n, i);
    if (ints)
      return symbolicArithmetic(n, op == "Add"   ? '+'
                                 : op == "Sub" ? '-'
                                 : op == "Mul" ? '*'
                                               : '/');
    return std::nullopt;
  }
  if (op == "Reshape" && g.isSymbolicIntInput(n, 1))
    return symbolicReshape(n);
  if (op == "ConstantOfShape")
    return symbolicConstantOfShape(n);
  if (op == "Expand" && g.isSymbolicIntInput(n, 1))
    return symbolicExpand(n);
  return std::nullopt;
}
