//===- RaiseMatchers.cpp - structural matchers for raising ----------------===//
//
// Implements the splat, broadcast, reduction and product matchers that the
// ffn-raise-* patterns are built from.
//
//===----------------------------------------------------------------------===//

#include "RaiseMatchers.h"

#include "ffn/Utils/Weights.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include <cmath>

using namespace mlir;
using namespace mlir::ffn;
using namespace mlir::ffn::raise;

namespace {
/// Turns the reasons of failed matches into remarks.
class MatchFailureRemarks : public RewriterBase::Listener {
public:
  explicit MatchFailureRemarks(StringRef passName) : passName(passName) {}

  void
  notifyMatchFailure(Location loc,
                     function_ref<void(Diagnostic &)> reasonCallback) override {
    Diagnostic reason(loc, DiagnosticSeverity::Remark);
    reasonCallback(reason);
    emitRemark(loc) << passName << ": " << reason.str();
  }

private:
  StringRef passName;
};
} // namespace

void raise::applyRaisePatterns(Operation *root, RewritePatternSet &&patterns,
                               StringRef passName, bool remarks) {
  MatchFailureRemarks listener(passName);
  GreedyRewriteConfig config;
  if (remarks)
    config.setListener(&listener);
  // Not converging within the driver's iteration limit only means that some
  // candidates were not revisited; the IR is valid either way.
  (void)applyPatternsGreedily(root, std::move(patterns), config);
}

bool raise::isClose(double value, double expected) {
  if (!std::isfinite(value))
    return false;
  return std::fabs(value - expected) <=
         kConstantRelTolerance * std::fabs(expected);
}

/// The splat value of a constant attribute, if it has one.
static std::optional<double> splatOfConstant(Value value, Attribute attr) {
  if (auto scalar = dyn_cast<FloatAttr>(attr))
    return scalar.getValueAsDouble();
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    if (!dense.isSplat() || !isa<FloatType>(dense.getElementType()))
      return std::nullopt;
    return cast<FloatAttr>(dense.getSplatValue<Attribute>()).getValueAsDouble();
  }
  // A resource blob whose elements happen to be all equal (an importer that
  // writes every initializer as a blob). The scan stops at the first
  // differing element, so real weights cost next to nothing.
  if (isa<DenseResourceElementsAttr>(attr)) {
    std::optional<WeightData> data = WeightData::fromValue(value);
    if (!data || data->values().empty())
      return std::nullopt;
    float first = data->values().front();
    for (float v : data->values())
      if (v != first)
        return std::nullopt;
    return static_cast<double>(first);
  }
  return std::nullopt;
}

std::optional<double> raise::getSplatValue(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    if (auto broadcast = dyn_cast<linalg::BroadcastOp>(def)) {
      value = broadcast.getInput();
      continue;
    }
    if (auto fill = dyn_cast<linalg::FillOp>(def)) {
      if (fill.getInputs().size() != 1)
        return std::nullopt;
      value = fill.getInputs().front();
      continue;
    }
    if (auto splat = dyn_cast<tensor::SplatOp>(def)) {
      value = splat.getInput();
      continue;
    }
    if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp, tensor::CastOp,
            tensor::ReshapeOp>(def)) {
      value = def->getOperand(0);
      continue;
    }
    Attribute attr;
    if (!matchPattern(value, m_Constant(&attr)))
      return std::nullopt;
    return splatOfConstant(value, attr);
  }
  return std::nullopt;
}

bool raise::isSplatClose(Value value, double expected) {
  std::optional<double> splat = getSplatValue(value);
  return splat && isClose(*splat, expected);
}

bool raise::isUnitReshape(Operation *op) {
  RankedTensorType expanded;
  SmallVector<ReassociationIndices> groups;
  if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(op)) {
    expanded = collapse.getSrcType();
    groups = collapse.getReassociationIndices();
  } else if (auto expand = dyn_cast<tensor::ExpandShapeOp>(op)) {
    expanded = expand.getResultType();
    groups = expand.getReassociationIndices();
  } else {
    return false;
  }
  for (const ReassociationIndices &group : groups) {
    unsigned nonUnit = 0;
    for (int64_t dim : group)
      if (expanded.getDimSize(dim) != 1)
        ++nonUnit;
    if (nonUnit > 1)
      return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// MatchState
//===----------------------------------------------------------------------===//

Operation *MatchState::findEscaping(Operation *root) const {
  for (Operation *op : interior)
    for (Operation *user : op->getUsers())
      if (user != root && !interior.contains(user))
        return op;
  return nullptr;
}

bool MatchState::checkContained(Operation *root) {
  Operation *escaping = findEscaping(root);
  if (!escaping)
    return true;
  std::string where;
  llvm::raw_string_ostream os(where);
  os << escaping->getLoc();
  return fail("intermediate value of '" + escaping->getName().getStringRef() +
              "' at " + where + " has a user outside the pattern");
}

//===----------------------------------------------------------------------===//
// Broadcasts
//===----------------------------------------------------------------------===//

/// The size of the last dimension of a ranked tensor value (dynamic for
/// anything else).
static int64_t lastDimSize(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || type.getRank() == 0)
    return ShapedType::kDynamic;
  return type.getDimSize(type.getRank() - 1);
}

Value raise::skipRowShapes(Value value, MatchState &state) {
  while (Operation *def = value.getDefiningOp()) {
    if (isUnitReshape(def)) {
      state.add(def);
      value = def->getOperand(0);
      continue;
    }
    if (auto broadcast = dyn_cast<linalg::BroadcastOp>(def)) {
      int64_t rank = cast<ShapedType>(broadcast.getInit().getType()).getRank();
      ArrayRef<int64_t> dims = broadcast.getDimensions();
      if (dims.size() == 1 && dims.front() == rank - 1) {
        state.add(def);
        value = broadcast.getInput();
        continue;
      }
    }
    break;
  }
  return value;
}

std::optional<FeatureVector> raise::matchFeatureVector(Value value) {
  if (std::optional<double> splat = getSplatValue(value))
    return FeatureVector{Value(), splat};
  while (Operation *def = value.getDefiningOp()) {
    // A reshape that keeps the last dimension where it is.
    if (isUnitReshape(def) &&
        lastDimSize(def->getOperand(0)) == lastDimSize(value)) {
      value = def->getOperand(0);
      continue;
    }
    if (auto broadcast = dyn_cast<linalg::BroadcastOp>(def)) {
      int64_t rank = cast<ShapedType>(broadcast.getInit().getType()).getRank();
      if (!llvm::is_contained(broadcast.getDimensions(), rank - 1)) {
        value = broadcast.getInput();
        continue;
      }
    }
    break;
  }
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || type.getRank() == 0)
    return std::nullopt;
  for (int64_t d = 0, e = type.getRank() - 1; d < e; ++d)
    if (type.getDimSize(d) != 1)
      return std::nullopt;
  return FeatureVector{value, std::nullopt};
}

bool FeatureVector::isConstant() const {
  return splat || matchPattern(source, m_Constant());
}

Value raise::materializeFeatureVector(OpBuilder &builder, Location loc,
                                      const FeatureVector &vector,
                                      int64_t features, Type elementType) {
  if (vector.splat) {
    if (ShapedType::isDynamic(features))
      return Value();
    auto type = RankedTensorType::get({features}, elementType);
    auto attr = DenseElementsAttr::get(
        type, builder.getFloatAttr(elementType, *vector.splat));
    return arith::ConstantOp::create(builder, loc, type, attr);
  }
  auto type = cast<RankedTensorType>(vector.source.getType());
  if (type.getRank() == 1)
    return vector.source;
  ReassociationIndices all;
  for (int64_t d = 0; d < type.getRank(); ++d)
    all.push_back(d);
  return tensor::CollapseShapeOp::create(builder, loc, vector.source,
                                         ArrayRef<ReassociationIndices>{all});
}

//===----------------------------------------------------------------------===//
// Products
//===----------------------------------------------------------------------===//

bool raise::flattenProduct(Operation *root, Product &product,
                           MatchState &state) {
  if (auto mul = dyn_cast<arith::MulFOp>(root)) {
    flattenFactor(mul.getLhs(), product, state);
    flattenFactor(mul.getRhs(), product, state);
    return true;
  }
  if (auto div = dyn_cast<arith::DivFOp>(root)) {
    std::optional<double> divisor = getSplatValue(div.getRhs());
    if (!divisor || *divisor == 0.0)
      return false;
    flattenFactor(div.getLhs(), product, state);
    product.scale /= *divisor;
    return true;
  }
  return false;
}

void raise::flattenFactor(Value value, Product &product, MatchState &state) {
  if (std::optional<double> splat = getSplatValue(value)) {
    product.scale *= *splat;
    return;
  }
  Operation *def = value.getDefiningOp();
  if (def && value.hasOneUse() && isa<arith::MulFOp, arith::DivFOp>(def) &&
      flattenProduct(def, product, state)) {
    state.add(def);
    return;
  }
  product.factors.push_back(value);
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

/// True when `body` is `yield(addf(arg0, arg1))` in either operand order.
static bool isAddCombiner(Block &body) {
  if (body.getNumArguments() != 2 ||
      !llvm::hasSingleElement(body.without_terminator()))
    return false;
  auto add = dyn_cast<arith::AddFOp>(body.front());
  auto yield = dyn_cast<linalg::YieldOp>(body.getTerminator());
  if (!add || !yield || yield.getNumOperands() != 1 ||
      yield.getOperand(0) != add.getResult())
    return false;
  Value a = body.getArgument(0), b = body.getArgument(1);
  return (add.getLhs() == a && add.getRhs() == b) ||
         (add.getLhs() == b && add.getRhs() == a);
}

Value raise::matchLastDimSum(Value value, MatchState &state) {
  Operation *def = value.getDefiningOp();
  if (auto reduce = dyn_cast_or_null<linalg::ReduceOp>(def)) {
    if (reduce.getInputs().size() != 1 || reduce.getInits().size() != 1)
      return state.failValue("linalg.reduce has more than one input");
    Value input = reduce.getInputs().front();
    int64_t rank = cast<ShapedType>(input.getType()).getRank();
    ArrayRef<int64_t> dims = reduce.getDimensions();
    if (dims.size() != 1 || dims.front() != rank - 1)
      return state.failValue("linalg.reduce does not reduce exactly the last "
                             "dimension");
    if (!isAddCombiner(reduce.getCombiner().front()))
      return state.failValue("linalg.reduce does not compute a sum");
    if (getSplatValue(reduce.getInits().front()) != 0.0)
      return state.failValue("sum reduction does not start from zero");
    state.add(reduce);
    return input;
  }
  if (auto generic = dyn_cast_or_null<linalg::GenericOp>(def)) {
    if (generic.getNumDpsInputs() != 1 || generic.getNumDpsInits() != 1)
      return state.failValue("reducing linalg.generic has more than one input");
    SmallVector<utils::IteratorType> iterators =
        generic.getIteratorTypesArray();
    unsigned rank = iterators.size();
    for (unsigned d = 0; d < rank; ++d)
      if (iterators[d] != (d + 1 == rank ? utils::IteratorType::reduction
                                         : utils::IteratorType::parallel))
        return state.failValue(
            "linalg.generic does not reduce exactly its last "
            "loop");
    SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
    MLIRContext *ctx = generic.getContext();
    AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, ctx);
    if (maps[0] != identity || maps[1] != identity.dropResult(rank - 1))
      return state.failValue("reducing linalg.generic is not a plain reduction "
                             "over the last dimension");
    if (!isAddCombiner(generic.getRegion().front()))
      return state.failValue("linalg.generic does not compute a sum");
    if (getSplatValue(generic.getDpsInits().front()) != 0.0)
      return state.failValue("sum reduction does not start from zero");
    state.add(generic);
    return generic.getDpsInputs().front();
  }
  return state.failValue(
      "expected a sum over the last dimension (linalg.reduce "
      "or linalg.generic)");
}

Value raise::matchLastDimMean(Value value, MatchState &state) {
  value = skipRowShapes(value, state);
  Operation *def = value.getDefiningOp();
  Value sum;
  double factor;
  if (auto div = dyn_cast_or_null<arith::DivFOp>(def)) {
    std::optional<double> divisor = getSplatValue(div.getRhs());
    if (!divisor || *divisor == 0.0)
      return state.failValue("mean: division by a non-constant");
    sum = div.getLhs();
    factor = 1.0 / *divisor;
  } else if (auto mul = dyn_cast_or_null<arith::MulFOp>(def)) {
    if (std::optional<double> c = getSplatValue(mul.getRhs())) {
      sum = mul.getLhs();
      factor = *c;
    } else if (std::optional<double> c = getSplatValue(mul.getLhs())) {
      sum = mul.getRhs();
      factor = *c;
    } else {
      return state.failValue("mean: multiplication by a non-constant");
    }
  } else {
    return state.failValue(
        "expected a mean: a sum divided by the reduced size");
  }
  state.add(def);
  Value summed = matchLastDimSum(skipRowShapes(sum, state), state);
  if (!summed)
    return Value();
  int64_t size = lastDimSize(summed);
  if (ShapedType::isDynamic(size))
    return state.failValue("mean over a dynamic dimension");
  if (!isClose(factor, 1.0 / static_cast<double>(size)))
    return state.failValue("mean scales the sum by " + std::to_string(factor) +
                           ", not 1/" + std::to_string(size));
  return summed;
}

Value raise::matchSquare(Value value, MatchState &state) {
  Operation *def = value.getDefiningOp();
  if (auto pow = dyn_cast_or_null<math::PowFOp>(def)) {
    if (!isSplatClose(pow.getRhs(), 2.0))
      return state.failValue("math.powf exponent is not 2");
    state.add(pow);
    return pow.getLhs();
  }
  if (auto mul = dyn_cast_or_null<arith::MulFOp>(def)) {
    if (mul.getLhs() != mul.getRhs())
      return state.failValue("arith.mulf is not a square");
    state.add(mul);
    return mul.getLhs();
  }
  return state.failValue("expected a square (math.powf(x, 2) or x * x)");
}
