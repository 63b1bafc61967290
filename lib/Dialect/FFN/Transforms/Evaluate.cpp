//===- Evaluate.cpp - host evaluation of FFN blocks -----------------------===//
//
// An op-by-op interpreter for `ffn.mlp` bodies on host float buffers. Every
// approximate rewrite measures the error it introduces with it: it evaluates
// the block on calibration rows before and after rewriting and records the
// relative difference. Values are either token buffers (`rows x C`, the
// leading dimensions of the IR type flattened into the evaluated rows) or
// parameters (the full static shape of a constant). GEMMs go to OpenBLAS.
// One TypeSwitch in `Evaluator::evaluate` dispatches on the op; adding an op
// means adding one case there.
//
//===----------------------------------------------------------------------===//

#include "ffn/Dialect/FFN/Transforms/Evaluate.h"
#include "ffn/Utils/Weights.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/raw_ostream.h"

#include <cblas.h>

#include <cmath>
#include <limits>
#include <memory>
#include <random>

using namespace mlir;
using namespace mlir::ffn;

namespace {
/// One value of the block on the host. Token buffers hold `rows x cols`
/// floats; parameters view (or own) the contents of a constant.
struct Buffer {
  bool isToken = false;
  /// The last dimension of a token buffer.
  int64_t cols = 0;
  /// The type of a parameter.
  RankedTensorType type;
  std::vector<float> owned;
  std::optional<WeightData> weight;

  ArrayRef<float> values() const {
    return weight ? weight->values() : ArrayRef<float>(owned);
  }
};
using BufferRef = std::shared_ptr<const Buffer>;

/// Interprets the body of one `ffn.mlp`.
class Evaluator {
public:
  Evaluator(MlpOp mlp, int64_t rows) : mlp(mlp), rows(rows) {
    auto inputType = cast<RankedTensorType>(mlp.getInput().getType());
    tokenLeadingShape = inputType.getShape().drop_back();
  }

  FailureOr<std::vector<float>> run(ArrayRef<float> x);

  /// Why the evaluation failed.
  std::string reason;

private:
  LogicalResult fail(Operation *op, const Twine &why) {
    if (!reason.empty()) // The first failure is the cause.
      return failure();
    llvm::raw_string_ostream os(reason);
    if (op)
      os << "'" << op->getName() << "': ";
    os << why;
    return failure();
  }

  /// The buffer of `value`, reading parameters from constants on first use.
  FailureOr<BufferRef> lookup(Operation *user, Value value);
  LogicalResult evaluate(Operation *op);

  LogicalResult evalLinear(LinearOp op);
  LogicalResult evalBlockDiagLinear(BlockDiagLinearOp op);
  LogicalResult evalBlockSparseLinear(BlockSparseLinearOp op);
  LogicalResult evalCsrLinear(CsrLinearOp op);
  /// The contents of the i32 constant behind the block operand `value`.
  FailureOr<std::vector<int32_t>> lookupIndices(Operation *user, Value value);
  /// Adds the bias `biasValue` (when present) to every row of `y`.
  LogicalResult addBias(Operation *op, Value biasValue, Buffer &y);
  LogicalResult evalUnary(Operation *op, float (*fn)(float));
  LogicalResult evalBinary(Operation *op, float (*fn)(float, float));
  LogicalResult evalConstant(arith::ConstantOp op);
  LogicalResult evalEmpty(tensor::EmptyOp op);
  LogicalResult evalExtractSlice(tensor::ExtractSliceOp op);
  LogicalResult evalInsertSlice(tensor::InsertSliceOp op);
  LogicalResult evalConcat(tensor::ConcatOp op);

  /// A new token buffer of `cols` columns, zero-filled.
  std::shared_ptr<Buffer> newToken(int64_t cols) {
    auto buffer = std::make_shared<Buffer>();
    buffer->isToken = true;
    buffer->cols = cols;
    buffer->owned.assign(rows * cols, 0.0f);
    return buffer;
  }
  /// Whether `type` is the type of a token value: the block input's leading
  /// dimensions, any last dimension.
  bool isTokenType(Type type) const {
    auto ranked = dyn_cast<RankedTensorType>(type);
    return ranked && ranked.getRank() >= 1 &&
           ranked.getShape().drop_back() == tokenLeadingShape;
  }
  /// The column range `[offset, offset + size)` of the last dimension that
  /// a slice of a token tensor of type `full` selects, or failure when the
  /// slice cuts another dimension or strides.
  LogicalResult getColumnRange(OffsetSizeAndStrideOpInterface op,
                               RankedTensorType full, int64_t &offset,
                               int64_t &size);

  MlpOp mlp;
  int64_t rows;
  ArrayRef<int64_t> tokenLeadingShape;
  llvm::DenseMap<Value, BufferRef> values;
};
} // namespace

FailureOr<BufferRef> Evaluator::lookup(Operation *user, Value value) {
  auto it = values.find(value);
  if (it != values.end())
    return it->second;
  Block &body = mlp.getBody().front();
  auto arg = dyn_cast<BlockArgument>(value);
  if (!arg || arg.getOwner() != &body || arg.getArgNumber() == 0) {
    (void)fail(user, "an operand has no evaluated value");
    return failure();
  }
  std::optional<WeightData> data =
      WeightData::fromValue(mlp.getArgs()[arg.getArgNumber()]);
  if (!data) {
    (void)fail(user, "operand #" + Twine(arg.getArgNumber()) +
                         " of the block is not a static f32 constant");
    return failure();
  }
  auto buffer = std::make_shared<Buffer>();
  buffer->type = data->getType();
  buffer->weight = std::move(data);
  values[value] = buffer;
  return BufferRef(buffer);
}

LogicalResult Evaluator::evalLinear(LinearOp op) {
  FailureOr<BufferRef> x = lookup(op, op.getInput());
  FailureOr<BufferRef> w = lookup(op, op.getWeight());
  if (failed(x) || failed(w))
    return failure();
  if (!(*x)->isToken || (*w)->isToken)
    return fail(op, "the input must be a token value and the weight a "
                    "constant parameter");
  int64_t out = op.getOutFeatures(), in = op.getInFeatures();
  if ((*x)->cols != in || (*w)->type.getNumElements() != out * in)
    return fail(op, "operand sizes do not match the weight");
  std::shared_ptr<Buffer> y = newToken(out);
  float beta = 0.0f;
  if (Value biasValue = op.getBias()) {
    FailureOr<BufferRef> bias = lookup(op, biasValue);
    if (failed(bias))
      return failure();
    if ((*bias)->isToken || (*bias)->type.getNumElements() != out)
      return fail(op, "the bias must be a constant vector of the output width");
    ArrayRef<float> b = (*bias)->values();
    for (int64_t r = 0; r < rows; ++r)
      std::copy(b.begin(), b.end(), y->owned.begin() + r * out);
    beta = 1.0f;
  }
  // y[rows, out] = x[rows, in] · W[out, in]ᵀ (+ bias rows).
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, out, in, 1.0f,
              (*x)->values().data(), in, (*w)->values().data(), in, beta,
              y->owned.data(), out);
  values[op.getResult()] = y;
  return success();
}

LogicalResult Evaluator::evalBlockDiagLinear(BlockDiagLinearOp op) {
  FailureOr<BufferRef> x = lookup(op, op.getInput());
  FailureOr<BufferRef> w = lookup(op, op.getWeight());
  if (failed(x) || failed(w))
    return failure();
  if (!(*x)->isToken || (*w)->isToken)
    return fail(op, "the input must be a token value and the weight a "
                    "constant parameter");
  int64_t k = op.getNumBlocks(), out = op.getOutFeatures(),
          in = op.getInFeatures(), ob = out / k, ib = in / k;
  if ((*x)->cols != in || (*w)->type.getNumElements() != out * ib)
    return fail(op, "operand sizes do not match the weight");
  // xp = x[:, input_permutation].
  ArrayRef<float> xv = (*x)->values();
  std::vector<float> xp(xv.begin(), xv.end());
  if (std::optional<ArrayRef<int64_t>> perm = op.getInputPermutation())
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < in; ++c)
        xp[r * in + c] = xv[r * in + (*perm)[c]];
  // z[:, block b] = xp[:, block b] · W[b]ᵀ.
  std::vector<float> z(rows * out);
  ArrayRef<float> wv = (*w)->values();
  for (int64_t b = 0; b < k; ++b)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, ob, ib, 1.0f,
                xp.data() + b * ib, in, wv.data() + b * ob * ib, ib, 0.0f,
                z.data() + b * ob, out);
  // y = z[:, output_permutation] + bias.
  std::shared_ptr<Buffer> y = newToken(out);
  std::optional<ArrayRef<int64_t>> outPerm = op.getOutputPermutation();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < out; ++c)
      y->owned[r * out + c] = z[r * out + (outPerm ? (*outPerm)[c] : c)];
  if (failed(addBias(op, op.getBias(), *y)))
    return failure();
  values[op.getResult()] = y;
  return success();
}

FailureOr<std::vector<int32_t>> Evaluator::lookupIndices(Operation *user,
                                                         Value value) {
  auto arg = dyn_cast<BlockArgument>(value);
  std::optional<std::vector<int32_t>> data;
  if (arg && arg.getOwner() == &mlp.getBody().front() &&
      arg.getArgNumber() != 0)
    data = readIndexConstant(mlp.getArgs()[arg.getArgNumber()]);
  if (!data) {
    (void)fail(user, "an index operand is not a static i32 constant");
    return failure();
  }
  return std::move(*data);
}

LogicalResult Evaluator::addBias(Operation *op, Value biasValue, Buffer &y) {
  if (!biasValue)
    return success();
  FailureOr<BufferRef> bias = lookup(op, biasValue);
  if (failed(bias))
    return failure();
  int64_t out = y.cols;
  if ((*bias)->isToken || (*bias)->type.getNumElements() != out)
    return fail(op, "the bias must be a constant vector of the output width");
  ArrayRef<float> bv = (*bias)->values();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < out; ++c)
      y.owned[r * out + c] += bv[c];
  return success();
}

LogicalResult Evaluator::evalBlockSparseLinear(BlockSparseLinearOp op) {
  FailureOr<BufferRef> x = lookup(op, op.getInput());
  FailureOr<BufferRef> w = lookup(op, op.getValues());
  if (failed(x) || failed(w))
    return failure();
  FailureOr<std::vector<int32_t>> cols = lookupIndices(op, op.getBlockColumns());
  if (failed(cols))
    return failure();
  int64_t in = op.getInFeatures(), out = op.getOutFeatures(),
          bi = op.getBlockInSize(), bo = op.getBlockOutSize(),
          keep = op.getBlocksPerRow();
  if (!(*x)->isToken || (*x)->cols != in || (*w)->isToken)
    return fail(op, "operand sizes do not match the layer");
  ArrayRef<float> xv = (*x)->values(), wv = (*w)->values();
  std::shared_ptr<Buffer> y = newToken(out);
  for (int64_t r = 0; r < out / bo; ++r)
    for (int64_t j = 0; j < keep; ++j) {
      int64_t c = (*cols)[r * keep + j];
      if (c < 0 || (c + 1) * bi > in)
        return fail(op, "a block column is out of range");
      // y[:, r block] += x[:, c block] · values[r, j] ([bi, bo]).
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, bo, bi,
                  1.0f, xv.data() + c * bi, in,
                  wv.data() + (r * keep + j) * bi * bo, bo, 1.0f,
                  y->owned.data() + r * bo, out);
    }
  if (failed(addBias(op, op.getBias(), *y)))
    return failure();
  values[op.getResult()] = y;
  return success();
}

LogicalResult Evaluator::evalCsrLinear(CsrLinearOp op) {
  FailureOr<BufferRef> x = lookup(op, op.getInput());
  FailureOr<BufferRef> w = lookup(op, op.getValues());
  if (failed(x) || failed(w))
    return failure();
  FailureOr<std::vector<int32_t>> offsets =
      lookupIndices(op, op.getRowOffsets());
  FailureOr<std::vector<int32_t>> cols = lookupIndices(op, op.getColumns());
  if (failed(offsets) || failed(cols))
    return failure();
  int64_t in = op.getInFeatures(), out = op.getOutFeatures();
  if (!(*x)->isToken || (*x)->cols != in || (*w)->isToken)
    return fail(op, "operand sizes do not match the layer");
  ArrayRef<float> xv = (*x)->values(), wv = (*w)->values();
  int64_t nnz = wv.size();
  std::shared_ptr<Buffer> y = newToken(out);
  for (int64_t o = 0; o < out; ++o) {
    int64_t begin = (*offsets)[o], end = (*offsets)[o + 1];
    if (begin < 0 || end < begin || end > nnz)
      return fail(op, "row offsets are out of range");
    for (int64_t p = begin; p < end; ++p) {
      int64_t c = (*cols)[p];
      if (c < 0 || c >= in)
        return fail(op, "a column is out of range");
      for (int64_t r = 0; r < rows; ++r)
        y->owned[r * out + o] += wv[p] * xv[r * in + c];
    }
  }
  if (failed(addBias(op, op.getBias(), *y)))
    return failure();
  values[op.getResult()] = y;
  return success();
}

LogicalResult Evaluator::evalUnary(Operation *op, float (*fn)(float)) {
  FailureOr<BufferRef> in = lookup(op, op->getOperand(0));
  if (failed(in))
    return failure();
  auto out = std::make_shared<Buffer>();
  out->isToken = (*in)->isToken;
  out->cols = (*in)->cols;
  out->type = (*in)->type;
  ArrayRef<float> src = (*in)->values();
  out->owned.resize(src.size());
  for (size_t i = 0; i < src.size(); ++i)
    out->owned[i] = fn(src[i]);
  values[op->getResult(0)] = out;
  return success();
}

LogicalResult Evaluator::evalBinary(Operation *op, float (*fn)(float, float)) {
  FailureOr<BufferRef> lhs = lookup(op, op->getOperand(0));
  FailureOr<BufferRef> rhs = lookup(op, op->getOperand(1));
  if (failed(lhs) || failed(rhs))
    return failure();
  const Buffer &a = **lhs, &b = **rhs;
  if (a.isToken != b.isToken || a.values().size() != b.values().size() ||
      a.cols != b.cols)
    return fail(op, "operands of different shapes (broadcasting is not "
                    "supported)");
  auto out = std::make_shared<Buffer>();
  out->isToken = a.isToken;
  out->cols = a.cols;
  out->type = a.type;
  ArrayRef<float> x = a.values(), y = b.values();
  out->owned.resize(x.size());
  for (size_t i = 0; i < x.size(); ++i)
    out->owned[i] = fn(x[i], y[i]);
  values[op->getResult(0)] = out;
  return success();
}

LogicalResult Evaluator::evalConstant(arith::ConstantOp op) {
  std::optional<WeightData> data = WeightData::fromValue(op.getResult());
  if (!data)
    return fail(op, "only static f32 tensor constants are supported");
  auto buffer = std::make_shared<Buffer>();
  buffer->type = data->getType();
  buffer->weight = std::move(data);
  values[op.getResult()] = buffer;
  return success();
}

LogicalResult Evaluator::evalEmpty(tensor::EmptyOp op) {
  auto type = cast<RankedTensorType>(op.getType());
  if (!isTokenType(type) || !type.hasStaticShape())
    return fail(op, "only token-shaped empty tensors are supported");
  values[op.getResult()] = newToken(type.getShape().back());
  return success();
}

LogicalResult Evaluator::getColumnRange(OffsetSizeAndStrideOpInterface op,
                                        RankedTensorType full, int64_t &offset,
                                        int64_t &size) {
  Operation *operation = op.getOperation();
  if (!isTokenType(full) || !full.hasStaticShape())
    return fail(operation, "the sliced tensor is not a token value");
  int64_t rank = full.getRank();
  ArrayRef<int64_t> offsets = op.getStaticOffsets();
  ArrayRef<int64_t> sizes = op.getStaticSizes();
  ArrayRef<int64_t> strides = op.getStaticStrides();
  if (static_cast<int64_t>(offsets.size()) != rank ||
      llvm::any_of(offsets, ShapedType::isDynamic) ||
      llvm::any_of(sizes, ShapedType::isDynamic) ||
      llvm::any_of(strides, [](int64_t s) { return s != 1; }))
    return fail(operation, "only static, unit-stride slices are supported");
  for (int64_t d = 0; d + 1 < rank; ++d)
    if (offsets[d] != 0 || sizes[d] != full.getDimSize(d))
      return fail(operation, "only slices of the last dimension are supported");
  offset = offsets.back();
  size = sizes.back();
  return success();
}

LogicalResult Evaluator::evalExtractSlice(tensor::ExtractSliceOp op) {
  FailureOr<BufferRef> src = lookup(op, op.getSource());
  if (failed(src))
    return failure();
  int64_t offset, size;
  if (!(*src)->isToken ||
      op.getResultType().getRank() != op.getSourceType().getRank())
    return fail(op, "only rank-preserving slices of token values are "
                    "supported");
  if (failed(getColumnRange(op, op.getSourceType(), offset, size)))
    return failure();
  std::shared_ptr<Buffer> out = newToken(size);
  ArrayRef<float> s = (*src)->values();
  int64_t cols = (*src)->cols;
  for (int64_t r = 0; r < rows; ++r)
    std::copy_n(s.begin() + r * cols + offset, size,
                out->owned.begin() + r * size);
  values[op.getResult()] = out;
  return success();
}

LogicalResult Evaluator::evalInsertSlice(tensor::InsertSliceOp op) {
  FailureOr<BufferRef> src = lookup(op, op.getSource());
  FailureOr<BufferRef> dest = lookup(op, op.getDest());
  if (failed(src) || failed(dest))
    return failure();
  if (!(*src)->isToken || !(*dest)->isToken ||
      op.getSourceType().getRank() != op.getDestType().getRank())
    return fail(op, "only rank-preserving inserts of token values are "
                    "supported");
  int64_t offset, size;
  if (failed(getColumnRange(op, op.getDestType(), offset, size)))
    return failure();
  int64_t cols = (*dest)->cols;
  if ((*src)->cols != size || offset + size > cols)
    return fail(op, "the inserted slice does not fit");
  std::shared_ptr<Buffer> out = newToken(cols);
  std::copy((*dest)->values().begin(), (*dest)->values().end(),
            out->owned.begin());
  ArrayRef<float> s = (*src)->values();
  for (int64_t r = 0; r < rows; ++r)
    std::copy_n(s.begin() + r * size, size,
                out->owned.begin() + r * cols + offset);
  values[op.getResult()] = out;
  return success();
}

LogicalResult Evaluator::evalConcat(tensor::ConcatOp op) {
  auto type = cast<RankedTensorType>(op.getType());
  if (static_cast<int64_t>(op.getDim()) != type.getRank() - 1 ||
      !isTokenType(type))
    return fail(op, "only concatenation of token values along the last "
                    "dimension is supported");
  SmallVector<BufferRef> parts;
  int64_t cols = 0;
  for (Value input : op.getInputs()) {
    FailureOr<BufferRef> part = lookup(op, input);
    if (failed(part))
      return failure();
    if (!(*part)->isToken)
      return fail(op, "only concatenation of token values is supported");
    parts.push_back(*part);
    cols += (*part)->cols;
  }
  std::shared_ptr<Buffer> out = newToken(cols);
  int64_t offset = 0;
  for (const BufferRef &part : parts) {
    ArrayRef<float> s = part->values();
    for (int64_t r = 0; r < rows; ++r)
      std::copy_n(s.begin() + r * part->cols, part->cols,
                  out->owned.begin() + r * cols + offset);
    offset += part->cols;
  }
  values[op.getResult()] = out;
  return success();
}

static float geluErf(float v) {
  return 0.5f * v * (1.0f + std::erf(v * static_cast<float>(M_SQRT1_2)));
}
static float geluTanh(float v) {
  const float k = 0.7978845608028654f; // sqrt(2 / pi)
  return 0.5f * v * (1.0f + std::tanh(k * (v + 0.044715f * v * v * v)));
}
static float silu(float v) { return v / (1.0f + std::exp(-v)); }
static float relu(float v) { return v > 0.0f ? v : 0.0f; }

LogicalResult Evaluator::evaluate(Operation *op) {
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](LinearOp linear) { return evalLinear(linear); })
      .Case([&](BlockDiagLinearOp linear) {
        return evalBlockDiagLinear(linear);
      })
      .Case([&](BlockSparseLinearOp linear) {
        return evalBlockSparseLinear(linear);
      })
      .Case([&](CsrLinearOp linear) { return evalCsrLinear(linear); })
      .Case([&](GeluOp gelu) {
        return evalUnary(gelu, gelu.getApproximate() ==
                                       GeluApproximation::tanh
                                   ? geluTanh
                                   : geluErf);
      })
      .Case([&](SiluOp silu_) { return evalUnary(silu_, silu); })
      .Case([&](ReluOp relu_) { return evalUnary(relu_, relu); })
      .Case([&](arith::AddFOp add) {
        return evalBinary(add, [](float a, float b) { return a + b; });
      })
      .Case([&](arith::SubFOp sub) {
        return evalBinary(sub, [](float a, float b) { return a - b; });
      })
      .Case([&](arith::MulFOp mul) {
        return evalBinary(mul, [](float a, float b) { return a * b; });
      })
      .Case([&](arith::DivFOp div) {
        return evalBinary(div, [](float a, float b) { return a / b; });
      })
      .Case([&](arith::ConstantOp cst) { return evalConstant(cst); })
      .Case([&](tensor::EmptyOp empty) { return evalEmpty(empty); })
      .Case([&](tensor::ExtractSliceOp slice) {
        return evalExtractSlice(slice);
      })
      .Case([&](tensor::InsertSliceOp slice) { return evalInsertSlice(slice); })
      .Case([&](tensor::ConcatOp concat) { return evalConcat(concat); })
      .Default([&](Operation *other) {
        return fail(other, "not supported by the block evaluator");
      });
}

FailureOr<std::vector<float>> Evaluator::run(ArrayRef<float> x) {
  auto inputType = cast<RankedTensorType>(mlp.getInput().getType());
  int64_t dim = inputType.getShape().back();
  if (rows <= 0 || ShapedType::isDynamic(dim) ||
      static_cast<int64_t>(x.size()) != rows * dim) {
    (void)fail(nullptr, "the input rows do not match the block's width");
    return failure();
  }
  if (!inputType.getElementType().isF32()) {
    (void)fail(nullptr, "the block's input is not f32");
    return failure();
  }
  std::shared_ptr<Buffer> input = newToken(dim);
  std::copy(x.begin(), x.end(), input->owned.begin());
  values[mlp.getBody().front().getArgument(0)] = input;

  for (Operation &op : mlp.getBody().front().without_terminator())
    if (failed(evaluate(&op)))
      return failure();
  YieldOp yield = mlp.getYield();
  FailureOr<BufferRef> result = lookup(yield, yield.getValue());
  if (failed(result))
    return failure();
  if (!(*result)->isToken || (*result)->cols != dim) {
    (void)fail(yield, "the block's result is not a token value of its width");
    return failure();
  }
  return std::vector<float>((*result)->values().begin(),
                            (*result)->values().end());
}

FailureOr<std::vector<float>> mlir::ffn::evaluateMlp(MlpOp op,
                                                     ArrayRef<float> x,
                                                     int64_t rows,
                                                     std::string *whyNot) {
  Evaluator evaluator(op, rows);
  FailureOr<std::vector<float>> result = evaluator.run(x);
  if (failed(result) && whyNot)
    *whyNot = evaluator.reason;
  return result;
}

double mlir::ffn::relativeError(ArrayRef<float> ref, ArrayRef<float> got) {
  double diff = 0.0, norm = 0.0;
  size_t n = std::min(ref.size(), got.size());
  for (size_t i = 0; i < n; ++i) {
    double d = static_cast<double>(got[i]) - static_cast<double>(ref[i]);
    diff += d * d;
    norm += static_cast<double>(ref[i]) * static_cast<double>(ref[i]);
  }
  if (ref.size() != got.size())
    return std::numeric_limits<double>::infinity();
  return norm > 0.0 ? std::sqrt(diff / norm) : std::sqrt(diff);
}

double mlir::ffn::maxRelativeError(ArrayRef<float> ref, ArrayRef<float> got) {
  if (ref.size() != got.size())
    return std::numeric_limits<double>::infinity();
  double diff = 0.0, scale = 0.0;
  for (auto [r, g] : llvm::zip(ref, got)) {
    // A NaN or infinity where the reference is finite is an unbounded error
    // (std::max would skip a NaN).
    if (!std::isfinite(g) && std::isfinite(r))
      return std::numeric_limits<double>::infinity();
    diff = std::max(diff, std::fabs(double(g) - double(r)));
    scale = std::max(scale, std::fabs(double(r)));
  }
  return scale > 0.0 ? diff / scale : diff;
}

std::vector<float> mlir::ffn::randomRows(int64_t rows, int64_t dim,
                                         uint64_t seed) {
  // Box-Muller on the raw 64-bit output of mt19937_64, whose sequence the
  // standard fixes; std::normal_distribution differs between libraries.
  std::mt19937_64 engine(seed);
  auto uniform = [&] {
    // 53 random bits in (0, 1].
    return (static_cast<double>(engine() >> 11) + 1.0) * 0x1.0p-53;
  };
  std::vector<float> out(rows * dim);
  for (size_t i = 0; i < out.size(); i += 2) {
    double radius = std::sqrt(-2.0 * std::log(uniform()));
    double angle = 2.0 * M_PI * uniform();
    out[i] = static_cast<float>(radius * std::cos(angle));
    if (i + 1 < out.size())
      out[i + 1] = static_cast<float>(radius * std::sin(angle));
  }
  return out;
}
