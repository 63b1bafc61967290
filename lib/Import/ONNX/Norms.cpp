//===- Norms.cpp - ONNX BatchNormalization --------------------------------===//
//
// BatchNormalization in its inference form (opsets 9 to 15). ONNX normalises
// axis 1 (channels first, `[N, C, D1, ...]`); `ffn.batch_norm` normalises the
// last axis (channels last, the token layout RePaViT-style FFNs use). The
// 2-D `[N, C]` form maps directly. For higher ranks the channels are moved
// last, normalised and moved back; when the input is itself a transpose that
// moved the channels to axis 1 (the exporter's `Transpose([B, T, C] ->
// [B, C, T]) -> BatchNormalization -> Transpose back` for tokens), the
// handler normalises the transpose's input directly, so that the following
// transpose back composes to the identity and the graph keeps a
// channels-last `ffn.batch_norm` on `[.., C]`.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"

#include "ffn/Dialect/FFN/IR/FFNOps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::ffn;
using namespace mlir::ffn::onnx_import;

/// `x` transposed by `perm` (result dimension i is input dimension perm[i]).
static Value buildTranspose(OpBuilder &b, Location loc, Value x,
                            ArrayRef<int64_t> perm) {
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<OpFoldResult> inSizes = tensor::getMixedSizes(b, loc, x);
  SmallVector<OpFoldResult> sizes;
  for (int64_t p : perm)
    sizes.push_back(inSizes[p]);
  Value init = tensor::EmptyOp::create(b, loc, sizes, type.getElementType());
  return linalg::TransposeOp::create(b, loc, x, init, perm).getResult()[0];
}

/// The value that `x`, transposed by `perm`, equals without any data
/// movement: the input of a `linalg.transpose` defining `x` whose
/// permutation `perm` undoes; null otherwise.
static Value matchUndoneTranspose(Value x, ArrayRef<int64_t> perm) {
  auto transpose = x.getDefiningOp<linalg::TransposeOp>();
  if (!transpose)
    return Value();
  ArrayRef<int64_t> inner = transpose.getPermutation();
  if (inner.size() != perm.size())
    return Value();
  for (auto [j, p] : llvm::enumerate(perm))
    if (inner[p] != static_cast<int64_t>(j))
      return Value();
  return transpose.getInput();
}

LogicalResult onnx_import::importBatchNormalization(NodeContext &n) {
  GraphImporter &g = n.importer;
  if (failed(checkArity(n, 5, 5)))
    return failure();
  for (int i = 1; i < n.node.output_size(); ++i)
    if (n.hasOutput(i))
      return n.emitError()
             << "output " << i << " ('" << n.node.output(i)
             << "') is a training output; only the inference form (one "
                "output) is supported";
  FailureOr<int64_t> training = g.getIntAttr(n, "training_mode", 0);
  FailureOr<float> epsilon = g.getFloatAttr(n, "epsilon", 1e-5f);
  if (failed(training) || failed(epsilon))
    return failure();
  if (*training != 0)
    return n.emitError() << "training_mode=" << *training
                         << " is not supported (inference form only)";
  if (!(*epsilon >= 0))
    return n.emitError() << "epsilon must not be negative";
  FailureOr<Value> x = g.getF32Input(n, 0);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  if (rank < 2)
    return n.emitError() << "input of shape "
                         << GraphImporter::shapeStr(type.getShape())
                         << " has no channel axis (expected [N, C, ...])";
  int64_t channels = type.getDimSize(1);
  if (ShapedType::isDynamic(channels))
    return n.emitError() << "the channel axis of input shape "
                         << GraphImporter::shapeStr(type.getShape())
                         << " is dynamic; pin it with --shape";
  static constexpr const char *kParamNames[] = {"scale", "B", "input_mean",
                                                "input_var"};
  SmallVector<Value, 4> params;
  for (int i = 1; i <= 4; ++i) {
    FailureOr<Value> p = g.getF32Input(n, i);
    if (failed(p))
      return failure();
    auto pType = cast<RankedTensorType>(p->getType());
    if (pType.getRank() != 1 ||
        (!ShapedType::isDynamic(channels) &&
         !ShapedType::isDynamic(pType.getDimSize(0)) &&
         pType.getDimSize(0) != channels))
      return n.emitError() << kParamNames[i - 1] << " has shape "
                           << GraphImporter::shapeStr(pType.getShape())
                           << "; expected [" << channels
                           << "] (one element per channel of axis 1)";
    params.push_back(*p);
  }

  OpBuilder &b = g.getBuilder();
  FloatAttr eps = b.getF32FloatAttr(*epsilon);
  auto norm = [&](Value channelsLast) -> Value {
    return BatchNormOp::create(b, n.loc, channelsLast.getType(), channelsLast,
                               params[0], params[1], params[2], params[3], eps);
  };
  if (rank == 2)
    return g.setOutput(n, 0, norm(*x));

  // [N, C, D1, ...] -> [N, D1, ..., C] and back.
  SmallVector<int64_t> toLast{0}, toFirst{0, rank - 1};
  for (int64_t d = 2; d < rank; ++d) {
    toLast.push_back(d);
    toFirst.push_back(d - 1);
  }
  toLast.push_back(1);
  Value channelsLast = matchUndoneTranspose(*x, toLast);
  if (!channelsLast)
    channelsLast = buildTranspose(b, n.loc, *x, toLast);
  return g.setOutput(n, 0, buildTranspose(b, n.loc, norm(channelsLast), toFirst));
}
