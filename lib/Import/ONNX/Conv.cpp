//===- Conv.cpp - ONNX ops of patch embeddings ----------------------------===//
//
// Vision transformers embed an image with a convolution whose kernel equals
// its stride (non-overlapping p x p patches, no padding, one group, no
// dilation), then flatten the spatial dimensions into tokens. Such a Conv is
// a linear layer on the patches: the image [B, C, H, W] is cut into patches
// [B, (H/p)(W/p), C·p·p] (expand_shape, linalg.transpose, collapse_shape),
// multiplied by the [D, C·p·p] weight (the [D, C, p, p] weight's own
// row-major layout) in one ffn.linear with the bias, and the tokens
// [B, (H/p)(W/p), D] are transposed and expanded back to Conv's
// [B, D, H/p, W/p]. The exporter's following Flatten/Reshape and Transpose
// to tokens then cancel against these at canonicalisation. Every other
// convolution is rejected with a diagnostic naming the unsupported
// attribute. Flatten (which some exporters emit for the patch tokens) is
// here too.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"

#include "ffn/Dialect/FFN/IR/FFNOps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/STLExtras.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::ffn;
using namespace mlir::ffn::onnx_import;

static std::string listStr(ArrayRef<int64_t> values) {
  std::string s = "[";
  for (auto [i, v] : llvm::enumerate(values))
    s += (i ? ", " : "") + std::to_string(v);
  return s + "]";
}

/// `value` permuted by `perm` with linalg.transpose.
static Value transpose(OpBuilder &b, Location loc, Value value,
                       ArrayRef<int64_t> perm) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(type.getDimSize(p));
  Value init = tensor::EmptyOp::create(b, loc, shape, type.getElementType());
  return linalg::TransposeOp::create(b, loc, value, init, perm).getResult()[0];
}

/// Checks an optional ints attribute of the 2 spatial dimensions against
/// `expected` (the only supported value), naming `what` the general case is.
static LogicalResult checkSpatialAttr(NodeContext &n, StringRef name,
                                      ArrayRef<int64_t> expected,
                                      StringRef unsupported) {
  FailureOr<std::optional<SmallVector<int64_t>>> given =
      n.importer.getIntsAttr(n, name);
  if (failed(given))
    return failure();
  if (!*given)
    return success();
  if ((*given)->size() != expected.size())
    return n.emitError() << "attribute '" << name << "' has "
                         << (*given)->size() << " entries; expected "
                         << expected.size();
  if (ArrayRef<int64_t>(**given) != expected)
    return n.emitError() << "unsupported " << name << "=" << listStr(**given)
                         << " (" << unsupported
                         << "): only patch embeddings are supported (kernel "
                            "equal to strides, no padding, group 1, "
                            "dilation 1)";
  return success();
}

/// Conv as a patch embedding; see the file comment.
LogicalResult onnx_import::importConv(NodeContext &n) {
  GraphImporter &g = n.importer;
  OpBuilder &b = g.getBuilder();
  if (failed(checkArity(n, 2, 3)))
    return failure();
  FailureOr<Value> x = g.getF32Input(n, 0);
  if (failed(x))
    return failure();
  auto xType = cast<RankedTensorType>(x->getType());
  if (xType.getRank() != 4)
    return n.emitError() << "input has shape "
                         << GraphImporter::shapeStr(xType.getShape())
                         << "; only 2-D convolutions of [N, C, H, W] inputs "
                            "are supported";
  if (!g.isConstantInput(n, 1)) {
    if (failed(g.getInput(n, 1)))
      return failure();
    return n.emitError() << "the weight must be a constant";
  }
  FailureOr<F32Constant> w = g.getF32ConstantInput(n, 1);
  if (failed(w))
    return failure();
  ArrayRef<int64_t> wShape = w->type.getShape();
  int64_t batch = xType.getDimSize(0), channels = xType.getDimSize(1);
  int64_t height = xType.getDimSize(2), width = xType.getDimSize(3);
  if (wShape.size() != 4 || wShape[1] != channels)
    return n.emitError() << "weight has shape "
                         << GraphImporter::shapeStr(wShape)
                         << "; expected [M, " << channels
                         << ", kH, kW] for input shape "
                         << GraphImporter::shapeStr(xType.getShape());
  int64_t features = wShape[0], kh = wShape[2], kw = wShape[3];
  if (kh < 1 || kw < 1 || features < 1)
    return n.emitError() << "weight has the empty shape "
                         << GraphImporter::shapeStr(wShape);

  // Only the patch-embedding case.
  FailureOr<int64_t> group = g.getIntAttr(n, "group", 1);
  if (failed(group))
    return failure();
  if (*group != 1)
    return n.emitError() << "unsupported group=" << *group
                         << " (grouped convolution): only patch embeddings "
                            "are supported (kernel equal to strides, no "
                            "padding, group 1, dilation 1)";
  FailureOr<std::string> autoPad = g.getStringAttr(n, "auto_pad", "NOTSET");
  if (failed(autoPad))
    return failure();
  if (*autoPad != "NOTSET" && *autoPad != "VALID")
    return n.emitError() << "unsupported auto_pad=" << *autoPad
                         << " (padded convolution): only patch embeddings "
                            "are supported (kernel equal to strides, no "
                            "padding, group 1, dilation 1)";
  if (failed(checkSpatialAttr(n, "kernel_shape", {kh, kw},
                              "it does not match the weight's shape")) ||
      failed(checkSpatialAttr(n, "dilations", {1, 1},
                              "dilated convolution")) ||
      failed(checkSpatialAttr(n, "pads", {0, 0, 0, 0}, "padded convolution")))
    return failure();
  FailureOr<std::optional<SmallVector<int64_t>>> strides =
      g.getIntsAttr(n, "strides");
  if (failed(strides))
    return failure();
  if (!*strides || ArrayRef<int64_t>(**strides) != ArrayRef<int64_t>{kh, kw})
    return n.emitError() << "unsupported strides="
                         << (*strides ? listStr(**strides) : "[1, 1]")
                         << " (overlapping patches; kernel is "
                         << listStr({kh, kw})
                         << "): only patch embeddings are supported (kernel "
                            "equal to strides, no padding, group 1, "
                            "dilation 1)";
  if (height < kh || width < kw)
    return n.emitError() << "input shape "
                         << GraphImporter::shapeStr(xType.getShape())
                         << " is smaller than the kernel " << listStr({kh, kw});

  Value bias;
  if (n.hasInput(2)) {
    FailureOr<Value> given = g.getF32Input(n, 2);
    if (failed(given))
      return failure();
    ArrayRef<int64_t> bShape =
        cast<RankedTensorType>(given->getType()).getShape();
    if (bShape.size() != 1 || bShape[0] != features)
      return n.emitError() << "bias has shape "
                           << GraphImporter::shapeStr(bShape) << "; expected ["
                           << features << "]";
    bias = *given;
  }

  // Patches: [B, C, H, W] -> [B, C, Hp, kh, Wp, kw] -> [B, Hp, Wp, C, kh, kw]
  // -> [B, Hp·Wp, C·kh·kw]. Rows and columns past the last whole patch are
  // not used (no padding: the output size rounds down).
  Type f32 = xType.getElementType();
  int64_t hp = height / kh, wp = width / kw;
  Value image = *x;
  if (hp * kh != height || wp * kw != width) {
    SmallVector<int64_t> offsets(4, 0), sizes{batch, channels, hp * kh, wp * kw},
        steps(4, 1);
    image = tensor::ExtractSliceOp::create(
        b, n.loc, RankedTensorType::get(sizes, f32), image, ValueRange{},
        ValueRange{}, ValueRange{}, b.getDenseI64ArrayAttr(offsets),
        b.getDenseI64ArrayAttr(sizes), b.getDenseI64ArrayAttr(steps));
  }
  Value split = tensor::ExpandShapeOp::create(
      b, n.loc, RankedTensorType::get({batch, channels, hp, kh, wp, kw}, f32),
      image, ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}, {4, 5}});
  Value grouped = transpose(b, n.loc, split, {0, 2, 4, 1, 3, 5});
  int64_t patchSize = channels * kh * kw;
  Value patches = tensor::CollapseShapeOp::create(
      b, n.loc, RankedTensorType::get({batch, hp * wp, patchSize}, f32),
      grouped, ArrayRef<ReassociationIndices>{{0}, {1, 2}, {3, 4, 5}});

  // The weight [M, C, kh, kw] is already the [M, C·kh·kw] layout of
  // ffn.linear; it is copied once into a 2-D constant.
  std::string key = n.node.input(1) + "/patches";
  Value weight = g.getDerivedConstant(key);
  if (!weight) {
    weight = g.createF32Constant(
        n.loc, RankedTensorType::get({features, patchSize}, f32),
        n.node.input(1) + "_2d", [&](MutableArrayRef<float> dst) {
          std::copy(w->values.begin(), w->values.end(), dst.begin());
        });
    g.setDerivedConstant(key, weight);
  }
  Value tokens = LinearOp::create(
      b, n.loc, RankedTensorType::get({batch, hp * wp, features}, f32),
      patches, weight, bias);

  // Back to Conv's layout: [B, Hp·Wp, M] -> [B, M, Hp·Wp] -> [B, M, Hp, Wp].
  Value channelsFirst = transpose(b, n.loc, tokens, {0, 2, 1});
  return g.setOutput(
      n, 0,
      tensor::ExpandShapeOp::create(
          b, n.loc, RankedTensorType::get({batch, features, hp, wp}, f32),
          channelsFirst, ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}}));
}

/// Flatten(x, axis): [d0 .. d(axis-1)] and [d(axis) ..] each collapsed into
/// one dimension (a dimension of size 1 for an empty group).
LogicalResult onnx_import::importFlatten(NodeContext &n) {
  GraphImporter &g = n.importer;
  if (failed(checkArity(n, 1, 1)))
    return failure();
  FailureOr<Value> x = g.getF32Input(n, 0);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  FailureOr<int64_t> axis = g.getIntAttr(n, "axis", 1);
  if (failed(axis))
    return failure();
  if (*axis < -rank || *axis > rank)
    return n.emitError() << "axis " << *axis << " is out of range for rank "
                         << rank;
  int64_t split = *axis < 0 ? *axis + rank : *axis;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < rank; ++d)
    (d < split ? outer : inner) *= type.getDimSize(d);
  OpBuilder &b = g.getBuilder();
  auto resultType = RankedTensorType::get({outer, inner}, type.getElementType());
  if (type.getShape() == resultType.getShape())
    return g.setOutput(n, 0, *x);
  // Collapse to 1-D and expand, unless the two groups are each non-empty
  // (then one collapse_shape does it).
  if (split > 0 && split < rank) {
    ReassociationIndices first, second;
    for (int64_t d = 0; d < rank; ++d)
      (d < split ? first : second).push_back(d);
    return g.setOutput(n, 0,
                       tensor::CollapseShapeOp::create(
                           b, n.loc, resultType, *x,
                           ArrayRef<ReassociationIndices>{first, second}));
  }
  if (rank == 0)
    return g.setOutput(n, 0,
                       tensor::ExpandShapeOp::create(
                           b, n.loc, resultType, *x,
                           ArrayRef<ReassociationIndices>{}));
  Value flat = *x;
  if (rank != 1) {
    ReassociationIndices all;
    for (int64_t d = 0; d < rank; ++d)
      all.push_back(d);
    flat = tensor::CollapseShapeOp::create(
        b, n.loc, RankedTensorType::get({outer * inner}, type.getElementType()),
        *x, ArrayRef<ReassociationIndices>{all});
  }
  return g.setOutput(n, 0,
                     tensor::ExpandShapeOp::create(
                         b, n.loc, resultType, flat,
                         ArrayRef<ReassociationIndices>{{0, 1}}));
}
