//===- FFNOps.cpp - ffn dialect operations --------------------------------===//
//
// Verifiers, folders and canonicalisations of the ffn operations, and the
// builders of FFN blocks.
//
//===----------------------------------------------------------------------===//

#include "ffn/Dialect/FFN/IR/FFNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"

using namespace mlir;
using namespace mlir::ffn;

#define GET_OP_CLASSES
#include "ffn/Dialect/FFN/IR/FFNOps.cpp.inc"

/// Renders a dimension size for diagnostics ("?" when dynamic).
static std::string dimStr(int64_t size) {
  return ShapedType::isDynamic(size) ? std::string("?") : std::to_string(size);
}

/// True when two dimension sizes may be equal (either is dynamic or both
/// agree).
static bool compatibleDims(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// Checks that a per-feature parameter (norm scale, bias, statistics) has one
/// element per feature of `input`.
static LogicalResult verifyFeatureVector(Operation *op, Value param,
                                         StringRef name, RankedTensorType input) {
  if (!param)
    return success();
  auto type = cast<RankedTensorType>(param.getType());
  int64_t features = input.getDimSize(input.getRank() - 1);
  if (!compatibleDims(type.getDimSize(0), features))
    return op->emitOpError() << name << " has " << dimStr(type.getDimSize(0))
                             << " elements but the input has "
                             << dimStr(features) << " features";
  if (type.getElementType() != input.getElementType())
    return op->emitOpError() << name << " element type " << type.getElementType()
                             << " differs from the input's "
                             << input.getElementType();
  return success();
}

/// Checks that a norm's result has the input's type and the input is at
/// least a vector.
static LogicalResult verifyNormShapes(Operation *op, Value input,
                                      Value result) {
  auto inType = cast<RankedTensorType>(input.getType());
  if (inType.getRank() < 1)
    return op->emitOpError("input must have at least one dimension");
  if (inType != result.getType())
    return op->emitOpError() << "result type " << result.getType()
                             << " differs from the input type " << inType;
  return success();
}

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

LogicalResult LinearOp::verify() {
  RankedTensorType inType = getInput().getType();
  RankedTensorType wType = getWeight().getType();
  RankedTensorType resType = getResult().getType();
  if (inType.getRank() < 1)
    return emitOpError("input must have at least one dimension");
  int64_t inFeatures = inType.getDimSize(inType.getRank() - 1);
  if (!compatibleDims(wType.getDimSize(1), inFeatures))
    return emitOpError() << "weight has " << dimStr(wType.getDimSize(1))
                         << " input features but x has " << dimStr(inFeatures);
  if (Value bias = getBias()) {
    int64_t biasSize = cast<RankedTensorType>(bias.getType()).getDimSize(0);
    if (!compatibleDims(biasSize, wType.getDimSize(0)))
      return emitOpError() << "bias has " << dimStr(biasSize)
                           << " elements but the weight has "
                           << dimStr(wType.getDimSize(0)) << " output features";
    if (cast<RankedTensorType>(bias.getType()).getElementType() !=
        inType.getElementType())
      return emitOpError("bias element type differs from the input's");
  }
  if (wType.getElementType() != inType.getElementType() ||
      resType.getElementType() != inType.getElementType())
    return emitOpError() << "element types differ: x has "
                         << inType.getElementType() << ", weight "
                         << wType.getElementType() << ", result "
                         << resType.getElementType();
  if (resType.getRank() != inType.getRank())
    return emitOpError() << "result has rank " << resType.getRank()
                         << " but x has rank " << inType.getRank();
  for (int64_t d = 0, e = inType.getRank() - 1; d < e; ++d)
    if (!compatibleDims(resType.getDimSize(d), inType.getDimSize(d)))
      return emitOpError() << "result dimension " << d << " is "
                           << dimStr(resType.getDimSize(d)) << " but x has "
                           << dimStr(inType.getDimSize(d));
  int64_t outFeatures = resType.getDimSize(resType.getRank() - 1);
  if (!compatibleDims(outFeatures, wType.getDimSize(0)))
    return emitOpError() << "result has " << dimStr(outFeatures)
                         << " features but the weight has "
                         << dimStr(wType.getDimSize(0)) << " output features";
  return success();
}

namespace {
/// A bias that is a constant zero is no bias.
struct DropZeroBias : public OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LinearOp op,
                                PatternRewriter &rewriter) const override {
    Value bias = op.getBias();
    if (!bias)
      return rewriter.notifyMatchFailure(op, "no bias");
    if (!matchPattern(bias, m_AnyZeroFloat()))
      return rewriter.notifyMatchFailure(op, "bias is not a zero constant");
    rewriter.modifyOpInPlace(op, [&] { op.getBiasMutable().clear(); });
    return success();
  }
};
} // namespace

void LinearOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                           MLIRContext *context) {
  results.add<DropZeroBias>(context);
}

//===----------------------------------------------------------------------===//
// BlockDiagLinearOp
//===----------------------------------------------------------------------===//

/// Checks that `perm`, when present, is a permutation of [0, size).
static LogicalResult verifyPermutation(Operation *op,
                                       std::optional<ArrayRef<int64_t>> perm,
                                       StringRef name, int64_t size) {
  if (!perm)
    return success();
  if (static_cast<int64_t>(perm->size()) != size)
    return op->emitOpError() << name << " has " << perm->size()
                             << " entries but the layer has " << size
                             << " channels there";
  llvm::BitVector seen(size);
  for (int64_t i : *perm) {
    if (i < 0 || i >= size)
      return op->emitOpError() << name << " entry " << i
                               << " is out of range [0, " << size << ")";
    if (seen.test(i))
      return op->emitOpError() << name << " repeats entry " << i;
    seen.set(i);
  }
  return success();
}

LogicalResult BlockDiagLinearOp::verify() {
  RankedTensorType inType = getInput().getType();
  RankedTensorType wType = getWeight().getType();
  RankedTensorType resType = getResult().getType();
  if (inType.getRank() < 1)
    return emitOpError("input must have at least one dimension");
  if (!wType.hasStaticShape())
    return emitOpError() << "weight must have a static shape, not " << wType;
  if (getNumBlocks() < 1)
    return emitOpError("weight must hold at least one block");
  int64_t in = getInFeatures(), out = getOutFeatures();
  int64_t inFeatures = inType.getDimSize(inType.getRank() - 1);
  if (!compatibleDims(in, inFeatures))
    return emitOpError() << "weight blocks take " << getNumBlocks() << " x "
                         << wType.getDimSize(2) << " = " << in
                         << " input features but x has " << dimStr(inFeatures);
  if (Value bias = getBias()) {
    auto bType = cast<RankedTensorType>(bias.getType());
    if (!compatibleDims(bType.getDimSize(0), out))
      return emitOpError() << "bias has " << dimStr(bType.getDimSize(0))
                           << " elements but the weight blocks give " << out
                           << " output features";
    if (bType.getElementType() != inType.getElementType())
      return emitOpError("bias element type differs from the input's");
  }
  if (wType.getElementType() != inType.getElementType() ||
      resType.getElementType() != inType.getElementType())
    return emitOpError() << "element types differ: x has "
                         << inType.getElementType() << ", weight "
                         << wType.getElementType() << ", result "
                         << resType.getElementType();
  if (resType.getRank() != inType.getRank())
    return emitOpError() << "result has rank " << resType.getRank()
                         << " but x has rank " << inType.getRank();
  for (int64_t d = 0, e = inType.getRank() - 1; d < e; ++d)
    if (!compatibleDims(resType.getDimSize(d), inType.getDimSize(d)))
      return emitOpError() << "result dimension " << d << " is "
                           << dimStr(resType.getDimSize(d)) << " but x has "
                           << dimStr(inType.getDimSize(d));
  int64_t outFeatures = resType.getDimSize(resType.getRank() - 1);
  if (!compatibleDims(outFeatures, out))
    return emitOpError() << "result has " << dimStr(outFeatures)
                         << " features but the weight blocks give " << out;
  if (failed(verifyPermutation(*this, getInputPermutation(),
                               "input_permutation", in)) ||
      failed(verifyPermutation(*this, getOutputPermutation(),
                               "output_permutation", out)))
    return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// Helpers for rewrites of ffn.mlp bodies
//===----------------------------------------------------------------------===//

Value mlir::ffn::getOuterValue(MlpOp mlp, Value value) {
  if (auto arg = dyn_cast<BlockArgument>(value);
      arg && arg.getOwner() == &mlp.getBody().front())
    return mlp.getArgs()[arg.getArgNumber()];
  return value;
}

RankedTensorType mlir::ffn::withLastDim(Type type, int64_t size) {
  auto ranked = cast<RankedTensorType>(type);
  SmallVector<int64_t> shape(ranked.getShape());
  shape.back() = size;
  return RankedTensorType::get(shape, ranked.getElementType());
}

BlockArgument mlir::ffn::addParam(MlpOp mlp, Value value) {
  mlp.getArgsMutable().append(value);
  return mlp.getBody().front().addArgument(value.getType(), value.getLoc());
}

void mlir::ffn::dropUnusedParams(MlpOp mlp) {
  Block &body = mlp.getBody().front();
  for (int64_t i = body.getNumArguments() - 1; i >= 1; --i) {
    if (!body.getArgument(i).use_empty())
      continue;
    Value operand = mlp.getArgs()[i];
    body.eraseArgument(i);
    mlp.getArgsMutable().erase(i);
    if (Operation *def = operand.getDefiningOp();
        def && isa<arith::ConstantOp>(def) && def->use_empty())
      def->erase();
  }
}

//===----------------------------------------------------------------------===//
// BlockSparseLinearOp, CsrLinearOp
//===----------------------------------------------------------------------===//

/// The checks the sparse linears share: x's last dimension is `in`, the
/// result keeps x's leading dimensions and has `out` features, the bias has
/// `out` elements, and every float operand has x's element type.
static LogicalResult verifySparseLinear(Operation *op, TypedValue<RankedTensorType> input,
                                        Type valueType, Value bias,
                                        RankedTensorType resType, int64_t in,
                                        int64_t out) {
  RankedTensorType inType = input.getType();
  if (inType.getRank() < 1)
    return op->emitOpError("input must have at least one dimension");
  if (in < 1)
    return op->emitOpError() << "in_features must be positive, not " << in;
  int64_t inFeatures = inType.getDimSize(inType.getRank() - 1);
  if (!compatibleDims(in, inFeatures))
    return op->emitOpError() << "in_features is " << in << " but x has "
                             << dimStr(inFeatures);
  Type elt = inType.getElementType();
  if (valueType != elt || resType.getElementType() != elt)
    return op->emitOpError() << "element types differ: x has " << elt
                             << ", values " << valueType << ", result "
                             << resType.getElementType();
  if (bias) {
    auto bType = cast<RankedTensorType>(bias.getType());
    if (!compatibleDims(bType.getDimSize(0), out))
      return op->emitOpError() << "bias has " << dimStr(bType.getDimSize(0))
                               << " elements but the layer has " << out
                               << " output features";
    if (bType.getElementType() != elt)
      return op->emitOpError("bias element type differs from the input's");
  }
  if (resType.getRank() != inType.getRank())
    return op->emitOpError() << "result has rank " << resType.getRank()
                             << " but x has rank " << inType.getRank();
  for (int64_t d = 0, e = inType.getRank() - 1; d < e; ++d)
    if (!compatibleDims(resType.getDimSize(d), inType.getDimSize(d)))
      return op->emitOpError() << "result dimension " << d << " is "
                               << dimStr(resType.getDimSize(d))
                               << " but x has " << dimStr(inType.getDimSize(d));
  int64_t outFeatures = resType.getDimSize(resType.getRank() - 1);
  if (!compatibleDims(outFeatures, out))
    return op->emitOpError() << "result has " << dimStr(outFeatures)
                             << " features but the layer has " << out;
  return success();
}

LogicalResult BlockSparseLinearOp::verify() {
  RankedTensorType vType = getValues().getType();
  RankedTensorType cType = getBlockColumns().getType();
  if (!vType.hasStaticShape() || !cType.hasStaticShape())
    return emitOpError("values and block_columns must have static shapes");
  if (vType.getNumElements() == 0)
    return emitOpError("values must hold at least one block");
  if (cType.getDimSize(0) != vType.getDimSize(0) ||
      cType.getDimSize(1) != vType.getDimSize(1))
    return emitOpError() << "block_columns " << cType
                         << " does not match the [block rows, blocks per "
                            "row] of values "
                         << vType;
  int64_t in = getInFeatures();
  if (in % getBlockInSize() != 0 || getBlocksPerRow() * getBlockInSize() > in)
    return emitOpError() << "in_features " << in << " is not a multiple of "
                         << "the block width " << getBlockInSize()
                         << " holding " << getBlocksPerRow()
                         << " blocks per row";
  return verifySparseLinear(*this, getInput(), vType.getElementType(),
                            getBias(), getResult().getType(), in,
                            getOutFeatures());
}

LogicalResult CsrLinearOp::verify() {
  RankedTensorType oType = getRowOffsets().getType();
  RankedTensorType cType = getColumns().getType();
  RankedTensorType vType = getValues().getType();
  if (!oType.hasStaticShape() || !cType.hasStaticShape() ||
      !vType.hasStaticShape())
    return emitOpError("row_offsets, columns and values must have static "
                       "shapes");
  if (oType.getDimSize(0) < 2)
    return emitOpError("row_offsets must have at least two entries");
  if (cType.getDimSize(0) != vType.getDimSize(0))
    return emitOpError() << "columns has " << cType.getDimSize(0)
                         << " entries but values has " << vType.getDimSize(0);
  return verifySparseLinear(*this, getInput(), vType.getElementType(),
                            getBias(), getResult().getType(), getInFeatures(),
                            getOutFeatures());
}

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

OpFoldResult ReluOp::fold(FoldAdaptor) {
  // relu is idempotent.
  if (getInput().getDefiningOp<ReluOp>())
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// Norms
//===----------------------------------------------------------------------===//

LogicalResult LayerNormOp::verify() {
  if (failed(verifyNormShapes(*this, getInput(), getResult())))
    return failure();
  auto inType = cast<RankedTensorType>(getInput().getType());
  if (failed(verifyFeatureVector(*this, getScale(), "scale", inType)) ||
      failed(verifyFeatureVector(*this, getBias(), "bias", inType)))
    return failure();
  if (getEpsilon().convertToFloat() < 0)
    return emitOpError("epsilon must not be negative");
  return success();
}

LogicalResult RMSNormOp::verify() {
  if (failed(verifyNormShapes(*this, getInput(), getResult())))
    return failure();
  auto inType = cast<RankedTensorType>(getInput().getType());
  if (failed(verifyFeatureVector(*this, getScale(), "scale", inType)))
    return failure();
  if (getEpsilon().convertToFloat() < 0)
    return emitOpError("epsilon must not be negative");
  return success();
}

LogicalResult BatchNormOp::verify() {
  if (failed(verifyNormShapes(*this, getInput(), getResult())))
    return failure();
  auto inType = cast<RankedTensorType>(getInput().getType());
  if (failed(verifyFeatureVector(*this, getScale(), "scale", inType)) ||
      failed(verifyFeatureVector(*this, getBias(), "bias", inType)) ||
      failed(verifyFeatureVector(*this, getMean(), "mean", inType)) ||
      failed(verifyFeatureVector(*this, getVariance(), "variance", inType)))
    return failure();
  if (getEpsilon().convertToFloat() < 0)
    return emitOpError("epsilon must not be negative");
  return success();
}

//===----------------------------------------------------------------------===//
// MlpOp
//===----------------------------------------------------------------------===//

StringRef mlir::ffn::stringifyMlpKind(MlpKind kind) {
  switch (kind) {
  case MlpKind::Encoder:
    return "encoder";
  case MlpKind::Gated:
    return "gated";
  case MlpKind::ChannelIdle:
    return "channel-idle";
  case MlpKind::Other:
    return "other";
  }
  llvm_unreachable("unknown MlpKind");
}

YieldOp MlpOp::getYield() {
  return cast<YieldOp>(getBody().front().getTerminator());
}

MlpKind MlpOp::getKind() {
  Block &body = getBody().front();
  unsigned linears = 0, activations = 0, products = 0, joins = 0;
  for (Operation &op : body.without_terminator()) {
    // Channel runs joined again (by name: the dialect does not depend on
    // the tensor dialect).
    StringRef name = op.getName().getStringRef();
    if (name == "tensor.insert_slice" || name == "tensor.concat")
      ++joins;
    else if (isa<LinearOp>(op))
      ++linears;
    else if (isa<GeluOp, SiluOp, ReluOp>(op))
      ++activations;
    else if (isa<arith::MulFOp>(op))
      ++products;
  }
  if (linears == 2 && activations >= 1 && products == 0 && joins > 0)
    return MlpKind::ChannelIdle;
  if (linears == 2 && activations == 1 && products == 0)
    return MlpKind::Encoder;
  if (linears == 3 && activations == 1 && products == 1)
    return MlpKind::Gated;
  return MlpKind::Other;
}

LogicalResult MlpOp::verify() {
  if (getArgs().empty())
    return emitOpError("needs at least the input operand");
  auto inType = dyn_cast<RankedTensorType>(getInput().getType());
  if (!inType || !isa<FloatType>(inType.getElementType()))
    return emitOpError("input must be a ranked tensor of floats");
  if (inType != getResult().getType())
    return emitOpError() << "result type " << getResult().getType()
                         << " differs from the input type " << inType
                         << " (an FFN maps the model width back to itself)";
  return success();
}

LogicalResult MlpOp::verifyRegions() {
  Block &body = getBody().front();
  if (body.getNumArguments() != getArgs().size())
    return emitOpError() << "body has " << body.getNumArguments()
                         << " arguments but the op has " << getArgs().size()
                         << " operands";
  for (auto [i, arg, operand] :
       llvm::enumerate(body.getArguments(), getArgs()))
    if (arg.getType() != operand.getType())
      return emitOpError() << "body argument " << i << " has type "
                           << arg.getType() << " but operand " << i
                           << " has type " << operand.getType();
  if (!isa<YieldOp>(body.getTerminator()))
    return emitOpError("body must end with ffn.yield, not ")
           << body.getTerminator()->getName();
  if (getYield().getValue().getType() != getResult().getType())
    return emitOpError() << "body yields " << getYield().getValue().getType()
                         << " but the result type is " << getResult().getType();
  return success();
}

namespace {
/// Drops parameters the body does not use and merges parameters passed more
/// than once, so every operand of an `ffn.mlp` is a distinct, used value.
struct SimplifyMlpParams : public OpRewritePattern<MlpOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MlpOp op,
                                PatternRewriter &rewriter) const override {
    Block &body = op.getBody().front();
    SmallVector<Value> keptOperands;
    llvm::BitVector erased(body.getNumArguments());
    llvm::DenseMap<Value, BlockArgument> firstUse;
    for (auto [i, operand] : llvm::enumerate(op.getArgs())) {
      BlockArgument arg = body.getArgument(i);
      if (i == 0) {
        keptOperands.push_back(operand);
        firstUse[operand] = arg;
        continue;
      }
      if (arg.use_empty()) {
        erased.set(i);
        continue;
      }
      auto it = firstUse.find(operand);
      if (it != firstUse.end()) {
        rewriter.replaceAllUsesWith(arg, it->second);
        erased.set(i);
        continue;
      }
      firstUse[operand] = arg;
      keptOperands.push_back(operand);
    }
    if (erased.none())
      return rewriter.notifyMatchFailure(op, "all parameters used and distinct");
    auto newOp = MlpOp::create(rewriter, op.getLoc(), op.getResult().getType(),
                               keptOperands);
    newOp->setDiscardableAttrs(op->getDiscardableAttrDictionary());
    rewriter.inlineRegionBefore(op.getBody(), newOp.getBody(),
                                newOp.getBody().end());
    newOp.getBody().front().eraseArguments(erased);
    rewriter.replaceOp(op, newOp.getResult());
    return success();
  }
};
} // namespace

void MlpOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                        MLIRContext *context) {
  results.add<SimplifyMlpParams>(context);
}

//===----------------------------------------------------------------------===//
// Applied-rewrite records
//===----------------------------------------------------------------------===//

std::string mlir::ffn::getLocationName(MlpOp op) {
  Location loc = op.getLoc();
  if (auto named = dyn_cast<NameLoc>(loc))
    return named.getName().str();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations())
      if (auto named = dyn_cast<NameLoc>(inner))
        return named.getName().str();
  return "";
}

void mlir::ffn::recordApplied(MlpOp op, StringRef rewrite) {
  SmallVector<Attribute> list;
  if (auto old = op->getAttrOfType<ArrayAttr>(kAppliedAttrName))
    list.append(old.begin(), old.end());
  list.push_back(StringAttr::get(op.getContext(), rewrite));
  op->setAttr(kAppliedAttrName, ArrayAttr::get(op.getContext(), list));
}

SmallVector<StringRef> mlir::ffn::getApplied(MlpOp op) {
  SmallVector<StringRef> names;
  if (auto list = op->getAttrOfType<ArrayAttr>(kAppliedAttrName))
    for (Attribute a : list)
      if (auto name = dyn_cast<StringAttr>(a))
        names.push_back(name.getValue());
  return names;
}

void mlir::ffn::recordRelError(MlpOp op, double error) {
  double total = getRelError(op).value_or(0.0) + error;
  op->setAttr(kRelErrorAttrName,
              FloatAttr::get(Float64Type::get(op.getContext()), total));
}

std::optional<double> mlir::ffn::getRelError(MlpOp op) {
  if (auto attr = op->getAttrOfType<FloatAttr>(kRelErrorAttrName))
    return attr.getValueAsDouble();
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Builders
//===----------------------------------------------------------------------===//

Value mlir::ffn::createActivation(OpBuilder &builder, Location loc,
                                  Activation act, Value value) {
  switch (act) {
  case Activation::Gelu:
    return GeluOp::create(builder, loc, value, GeluApproximation::none);
  case Activation::GeluTanh:
    return GeluOp::create(builder, loc, value, GeluApproximation::tanh);
  case Activation::Silu:
    return SiluOp::create(builder, loc, value);
  case Activation::Relu:
    return ReluOp::create(builder, loc, value);
  }
  llvm_unreachable("unknown activation");
}

/// Result type of a linear with `outFeatures` outputs applied to `x`.
static RankedTensorType linearResultType(Value x, Value weight) {
  auto xType = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> shape(xType.getShape());
  shape.back() = cast<RankedTensorType>(weight.getType()).getDimSize(0);
  return RankedTensorType::get(shape, xType.getElementType());
}

/// Creates an `ffn.mlp` over `operands` (non-null values only) whose body is
/// filled by `fill`, which receives the block arguments in operand order.
static MlpOp
buildMlp(OpBuilder &builder, Location loc, ArrayRef<Value> operands,
         function_ref<Value(OpBuilder &, ArrayRef<Value>)> fill) {
  SmallVector<Value> present;
  SmallVector<Type> types;
  SmallVector<Location> locs;
  for (Value v : operands)
    if (v) {
      present.push_back(v);
      types.push_back(v.getType());
      locs.push_back(loc);
    }
  auto op = MlpOp::create(builder, loc, operands.front().getType(), present);
  OpBuilder::InsertionGuard guard(builder);
  Block *block = builder.createBlock(&op.getBody(), {}, types, locs);
  // Map every operand slot (including absent ones) to its block argument.
  SmallVector<Value> args;
  unsigned next = 0;
  for (Value v : operands)
    args.push_back(v ? Value(block->getArgument(next++)) : Value());
  Value result = fill(builder, args);
  YieldOp::create(builder, loc, result);
  return op;
}

MlpOp mlir::ffn::buildEncoderMlp(OpBuilder &builder, Location loc, Value x,
                                 Value w1, Value b1, Value w2, Value b2,
                                 Activation act) {
  return buildMlp(builder, loc, {x, w1, b1, w2, b2},
                  [&](OpBuilder &b, ArrayRef<Value> a) -> Value {
                    Value h = LinearOp::create(b, loc,
                                               linearResultType(a[0], a[1]),
                                               a[0], a[1], a[2]);
                    Value g = createActivation(b, loc, act, h);
                    return LinearOp::create(b, loc, linearResultType(g, a[3]),
                                            g, a[3], a[4]);
                  });
}

MlpOp mlir::ffn::buildGatedMlp(OpBuilder &builder, Location loc, Value x,
                               Value wGate, Value wUp, Value wDown,
                               Activation act) {
  return buildMlp(builder, loc, {x, wGate, wUp, wDown},
                  [&](OpBuilder &b, ArrayRef<Value> a) -> Value {
                    Value g = LinearOp::create(
                        b, loc, linearResultType(a[0], a[1]), a[0], a[1],
                        Value());
                    Value u = LinearOp::create(
                        b, loc, linearResultType(a[0], a[2]), a[0], a[2],
                        Value());
                    Value prod = arith::MulFOp::create(
                        b, loc, createActivation(b, loc, act, g), u);
                    return LinearOp::create(b, loc, linearResultType(prod, a[3]),
                                            prod, a[3], Value());
                  });
}
