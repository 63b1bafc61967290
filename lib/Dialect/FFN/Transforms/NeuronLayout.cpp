//===- NeuronLayout.cpp - the hidden neurons of an FFN block -------------===//
//
// Matches encoder and gated FFN blocks and moves their neurons around; see
// NeuronLayout.h.
//
//===----------------------------------------------------------------------===//

#include "NeuronLayout.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"

#include <cmath>

using namespace mlir;
using namespace mlir::ffn;

/// The block argument number of `value` in `body`, or failure.
static FailureOr<unsigned> getArgIndex(Block &body, Value value) {
  auto arg = dyn_cast_or_null<BlockArgument>(value);
  if (!arg || arg.getOwner() != &body)
    return failure();
  return arg.getArgNumber();
}

/// Adds the weight (and bias) of `linear` to `layout`. `inputSide`: the
/// linear produces hidden neurons (rows are neurons); otherwise it consumes
/// them (weight columns are neurons, its bias is untouched).
static LogicalResult addLinear(MlpOp mlp, LinearOp linear, bool inputSide,
                               NeuronLayout &layout, std::string &reason) {
  Block &body = mlp.getBody().front();
  SmallVector<Value, 2> values = {linear.getWeight()};
  if (inputSide && linear.getBias())
    values.push_back(linear.getBias());
  for (Value value : values) {
    FailureOr<unsigned> index = getArgIndex(body, value);
    if (failed(index)) {
      reason = "a weight or bias is not a parameter of the block";
      return failure();
    }
    // Another user would see the permuted parameter too.
    if (!value.hasOneUse()) {
      reason = "a weight or bias is used more than once in the block";
      return failure();
    }
    std::optional<WeightData> data =
        WeightData::fromValue(mlp.getArgs()[*index]);
    if (!data) {
      reason = "a weight or bias is not a static f32 constant";
      return failure();
    }
    int64_t neurons = data->getType().getDimSize(
        inputSide || data->getType().getRank() == 1 ? 0 : 1);
    if (neurons != layout.hidden) {
      reason = "the linears disagree on the hidden width";
      return failure();
    }
    layout.params.push_back({*index, std::move(*data), !inputSide});
  }
  return success();
}

/// Recognises the encoder form `linear(act(linear(x, W1, b1)), W2, b2)` and
/// the gated form `linear(act(linear(x, Wg)) * linear(x, Wu), Wd)` with
/// elementwise activations and constant parameters; fills `layout`.
LogicalResult mlir::ffn::matchNeuronLayout(MlpOp mlp, NeuronLayout &layout,
                                          std::string &reason) {
  MlpKind kind = mlp.getKind();
  if (kind != MlpKind::Encoder && kind != MlpKind::Gated) {
    reason = "the block is neither an encoder nor a gated FFN (its neuron "
             "order may matter)";
    return failure();
  }
  Block &body = mlp.getBody().front();
  Value x = body.getArgument(0);
  auto down = mlp.getYield().getValue().getDefiningOp<LinearOp>();
  if (!down) {
    reason = "the block's result is not a linear";
    return failure();
  }
  auto onlyUsedBy = [](Value v, Operation *user) {
    return v.hasOneUse() && *v.getUsers().begin() == user;
  };

  SmallVector<LinearOp, 2> inputLinears;
  Operation *act = nullptr;
  if (kind == MlpKind::Encoder) {
    act = down.getInput().getDefiningOp();
    auto up = act ? act->getOperand(0).getDefiningOp<LinearOp>() : LinearOp();
    if (!up || !onlyUsedBy(act->getResult(0), down) ||
        !onlyUsedBy(up.getResult(), act)) {
      reason = "the block is not linear -> activation -> linear";
      return failure();
    }
    inputLinears.push_back(up);
  } else {
    auto product = down.getInput().getDefiningOp<arith::MulFOp>();
    if (!product || !onlyUsedBy(product.getResult(), down)) {
      reason = "the down projection does not read the gated product";
      return failure();
    }
    Value lhs = product.getLhs(), rhs = product.getRhs();
    act = lhs.getDefiningOp();
    if (!act || !isa<GeluOp, SiluOp, ReluOp>(act)) {
      std::swap(lhs, rhs);
      act = lhs.getDefiningOp();
    }
    auto gate = act ? act->getOperand(0).getDefiningOp<LinearOp>() : LinearOp();
    auto upLinear = rhs.getDefiningOp<LinearOp>();
    if (!gate || !upLinear || !onlyUsedBy(act->getResult(0), product) ||
        !onlyUsedBy(gate.getResult(), act) ||
        !onlyUsedBy(upLinear.getResult(), product)) {
      reason = "the block is not act(linear) * linear -> linear";
      return failure();
    }
    inputLinears.push_back(gate);
    inputLinears.push_back(upLinear);
  }
  if (!isa<GeluOp, SiluOp, ReluOp>(act)) {
    reason = "the activation is not an elementwise ffn activation";
    return failure();
  }
  for (LinearOp linear : inputLinears)
    if (linear.getInput() != x) {
      reason = "a projection does not read the block's input";
      return failure();
    }

  layout.hidden = down.getInFeatures();
  for (LinearOp linear : inputLinears)
    layout.hiddenValues.push_back(linear.getResult());
  layout.hiddenValues.push_back(act->getResult(0));
  if (kind == MlpKind::Gated)
    layout.hiddenValues.push_back(down.getInput());
  if (ShapedType::isDynamic(layout.hidden)) {
    reason = "the hidden width is dynamic";
    return failure();
  }
  for (LinearOp linear : inputLinears)
    if (failed(addLinear(mlp, linear, /*inputSide=*/true, layout, reason)))
      return failure();
  return addLinear(mlp, down, /*inputSide=*/false, layout, reason);
}

/// The weight-norm score of every neuron: the product of the L2 norms of
/// its rows in the up (and gate) weights and of its column in the down
/// weight. Biases do not take part.
std::vector<double> mlir::ffn::weightNormScores(const NeuronLayout &layout) {
  std::vector<double> score(layout.hidden, 1.0);
  for (const NeuronParam &p : layout.params) {
    RankedTensorType type = p.data.getType();
    if (type.getRank() != 2)
      continue;
    int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
    ArrayRef<float> v = p.data.values();
    std::vector<double> sq(layout.hidden, 0.0);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        double e = v[r * cols + c];
        sq[p.neuronsAreColumns ? c : r] += e * e;
      }
    for (int64_t j = 0; j < layout.hidden; ++j)
      score[j] *= std::sqrt(sq[j]);
  }
  return score;
}

std::vector<float> mlir::ffn::selectNeurons(const NeuronParam &p,
                                           ArrayRef<int64_t> neurons) {
  RankedTensorType type = p.data.getType();
  ArrayRef<float> src = p.data.values();
  int64_t count = neurons.size();
  if (type.getRank() == 1) {
    std::vector<float> dst(count);
    for (int64_t j = 0; j < count; ++j)
      dst[j] = src[neurons[j]];
    return dst;
  }
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  if (p.neuronsAreColumns) {
    std::vector<float> dst(rows * count);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < count; ++c)
        dst[r * count + c] = src[r * cols + neurons[c]];
    return dst;
  }
  std::vector<float> dst(count * cols);
  for (int64_t r = 0; r < count; ++r)
    std::copy_n(src.begin() + neurons[r] * cols, cols, dst.begin() + r * cols);
  return dst;
}

RankedTensorType mlir::ffn::withNeurons(const NeuronParam &p, int64_t count) {
  RankedTensorType type = p.data.getType();
  SmallVector<int64_t> shape(type.getShape());
  shape[p.neuronsAreColumns && type.getRank() == 2 ? 1 : 0] = count;
  return type.clone(shape);
}
