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
// to tokens then cancel against these at canonicalisation. The batch may be
// dynamic (its size traced to the image's); other dynamic dimensions, and
// the general convolutions below, ask to be pinned with --shape.
//
// Every other 1-D or 2-D convolution (run-time weights, overlapping or
// strided windows, padding, auto_pad, dilation, groups) becomes
// linalg.conv_2d_nchw_fchw, or linalg.conv_2d_ngchw_gfchw with groups, on a
// zero-padded input, with the bias as the accumulator's initial value; a
// 1-D convolution is a 2-D one of height 1. These run through the generic
// code path: correct, not tuned. Flatten (which some exporters emit for the
// patch tokens) is here too.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"

#include "ffn/Dialect/FFN/IR/FFNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
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
static Value transpose(GraphImporter &g, Location loc, Value value,
                       ArrayRef<int64_t> perm) {
  OpBuilder &b = g.getBuilder();
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<OpFoldResult> inSizes = g.getMixedSizes(loc, value);
  SmallVector<OpFoldResult> sizes;
  for (int64_t p : perm)
    sizes.push_back(inSizes[p]);
  Value init = tensor::EmptyOp::create(b, loc, sizes, type.getElementType());
  return linalg::TransposeOp::create(b, loc, value, init, perm).getResult()[0];
}

/// The attributes of a convolution over `spatial` dimensions, read and
/// checked against the weight's kernel.
namespace {
struct ConvAttrs {
  int64_t group = 1;
  SmallVector<int64_t> strides, dilations, padsBegin, padsEnd;
};
} // namespace

/// Reads Conv's attributes for an input of spatial size `in` and a kernel
/// `kernel` (one entry per spatial dimension); auto_pad becomes explicit
/// pads.
static FailureOr<ConvAttrs> readConvAttrs(NodeContext &n, ArrayRef<int64_t> in,
                                          ArrayRef<int64_t> kernel) {
  GraphImporter &g = n.importer;
  size_t rank = kernel.size();
  ConvAttrs a;
  FailureOr<int64_t> group = g.getIntAttr(n, "group", 1);
  if (failed(group))
    return failure();
  a.group = *group;
  auto readInts = [&](StringRef name, size_t size, int64_t dflt,
                      SmallVector<int64_t> &out) -> LogicalResult {
    FailureOr<std::optional<SmallVector<int64_t>>> given =
        g.getIntsAttr(n, name);
    if (failed(given))
      return failure();
    if (!*given) {
      out.assign(size, dflt);
      return success();
    }
    if ((*given)->size() != size)
      return n.emitError() << "attribute '" << name << "' has "
                           << (*given)->size() << " entries; expected "
                           << size;
    out = **given;
    return success();
  };
  SmallVector<int64_t> kernelShape, pads;
  if (failed(readInts("kernel_shape", rank, 0, kernelShape)) ||
      failed(readInts("strides", rank, 1, a.strides)) ||
      failed(readInts("dilations", rank, 1, a.dilations)) ||
      failed(readInts("pads", 2 * rank, 0, pads)))
    return failure();
  if (g.getIntsAttr(n, "kernel_shape").value_or(std::nullopt) &&
      ArrayRef<int64_t>(kernelShape) != kernel)
    return n.emitError() << "attribute 'kernel_shape' " << listStr(kernelShape)
                         << " does not match the weight's kernel "
                         << listStr(kernel);
  for (int64_t v : llvm::concat<int64_t>(a.strides, a.dilations))
    if (v < 1)
      return n.emitError() << "strides and dilations must be positive";
  for (int64_t v : pads)
    if (v < 0)
      return n.emitError() << "negative pads " << listStr(pads);
  a.padsBegin.assign(pads.begin(), pads.begin() + rank);
  a.padsEnd.assign(pads.begin() + rank, pads.end());
  FailureOr<std::string> autoPad = g.getStringAttr(n, "auto_pad", "NOTSET");
  if (failed(autoPad))
    return failure();
  if (*autoPad == "VALID") {
    a.padsBegin.assign(rank, 0);
    a.padsEnd.assign(rank, 0);
  } else if (*autoPad == "SAME_UPPER" || *autoPad == "SAME_LOWER") {
    // Output size ceil(in / stride); the odd padding element goes at the end
    // (SAME_UPPER) or the beginning (SAME_LOWER).
    for (size_t d = 0; d < rank; ++d) {
      int64_t out = llvm::divideCeil(in[d], a.strides[d]);
      int64_t window = (kernel[d] - 1) * a.dilations[d] + 1;
      int64_t total =
          std::max<int64_t>(0, (out - 1) * a.strides[d] + window - in[d]);
      int64_t small = total / 2, large = total - small;
      a.padsBegin[d] = *autoPad == "SAME_UPPER" ? small : large;
      a.padsEnd[d] = *autoPad == "SAME_UPPER" ? large : small;
    }
  } else if (*autoPad != "NOTSET") {
    return n.emitError() << "unknown auto_pad '" << *autoPad << "'";
  }
  return a;
}

/// A convolution that is not a patch embedding: linalg's NCHW convolution
/// on the zero-padded input (see the file comment). `x` is [N, C, H, W],
/// `w` [F, C/group, kH, kW], `bias` [F] or null.
static LogicalResult importGeneralConv(NodeContext &n, Value x, Value w,
                                       Value bias, const ConvAttrs &a,
                                       bool oneD) {
  GraphImporter &g = n.importer;
  OpBuilder &b = g.getBuilder();
  Location loc = n.loc;
  auto xType = cast<RankedTensorType>(x.getType());
  auto wType = cast<RankedTensorType>(w.getType());
  Type f32 = xType.getElementType();
  int64_t batch = xType.getDimSize(0), channels = xType.getDimSize(1);
  int64_t features = wType.getDimSize(0), groups = a.group;
  SmallVector<int64_t> outSize;
  SmallVector<int64_t> lowPad{0, 0}, highPad{0, 0};
  for (int d = 0; d < 2; ++d) {
    int64_t padded = xType.getDimSize(2 + d) + a.padsBegin[d] + a.padsEnd[d];
    int64_t window = (wType.getDimSize(2 + d) - 1) * a.dilations[d] + 1;
    if (padded < window)
      return n.emitError() << "the padded input is smaller than the "
                              "(dilated) kernel";
    outSize.push_back((padded - window) / a.strides[d] + 1);
    lowPad.push_back(a.padsBegin[d]);
    highPad.push_back(a.padsEnd[d]);
  }
  if (llvm::any_of(lowPad, [](int64_t p) { return p != 0; }) ||
      llvm::any_of(highPad, [](int64_t p) { return p != 0; })) {
    SmallVector<int64_t> shape(xType.getShape());
    for (int d = 0; d < 2; ++d)
      shape[2 + d] += lowPad[2 + d] + highPad[2 + d];
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
    x = tensor::PadOp::create(b, loc, RankedTensorType::get(shape, f32), x,
                              getAsIndexOpFoldResult(b.getContext(), lowPad),
                              getAsIndexOpFoldResult(b.getContext(), highPad),
                              zero);
  }
  // The accumulator starts at the bias (or zero).
  SmallVector<int64_t> outShape{batch, features, outSize[0], outSize[1]};
  Value init = tensor::EmptyOp::create(b, loc, outShape, f32);
  if (bias)
    init = linalg::BroadcastOp::create(b, loc, bias, init,
                                       ArrayRef<int64_t>{0, 2, 3})
               .getResult()[0];
  else
    init = linalg::FillOp::create(
               b, loc,
               ValueRange{arith::ConstantOp::create(b, loc,
                                                    b.getF32FloatAttr(0.0f))},
               ValueRange{init})
               .getResult(0);
  auto strides = b.getNamedAttr("strides", b.getI64TensorAttr(a.strides));
  auto dilations =
      b.getNamedAttr("dilations", b.getI64TensorAttr(a.dilations));
  Value out;
  if (groups == 1) {
    out = linalg::Conv2DNchwFchwOp::create(
              b, loc, TypeRange{init.getType()}, ValueRange{x, w},
              ValueRange{init}, ArrayRef<NamedAttribute>{strides, dilations})
              .getResult(0);
  } else {
    // Groups: [N, G, C/G, H, W] * [G, F/G, C/G, kH, kW] -> [N, G, F/G, oH, oW].
    auto xp = cast<RankedTensorType>(x.getType());
    auto expand = [&](Value v, ArrayRef<int64_t> shape,
                      ArrayRef<ReassociationIndices> groupsOf) -> Value {
      return tensor::ExpandShapeOp::create(
          b, loc, RankedTensorType::get(shape, f32), v, groupsOf);
    };
    Value xg = expand(x,
                      {batch, groups, channels / groups, xp.getDimSize(2),
                       xp.getDimSize(3)},
                      {{0}, {1, 2}, {3}, {4}});
    Value wg = expand(w,
                      {groups, features / groups, wType.getDimSize(1),
                       wType.getDimSize(2), wType.getDimSize(3)},
                      {{0, 1}, {2}, {3}, {4}});
    Value ig = expand(init,
                      {batch, groups, features / groups, outSize[0],
                       outSize[1]},
                      {{0}, {1, 2}, {3}, {4}});
    Value og = linalg::Conv2DNgchwGfchwOp::create(
                   b, loc, TypeRange{ig.getType()}, ValueRange{xg, wg},
                   ValueRange{ig}, ArrayRef<NamedAttribute>{strides, dilations})
                   .getResult(0);
    out = tensor::CollapseShapeOp::create(
        b, loc, RankedTensorType::get(outShape, f32), og,
        ArrayRef<ReassociationIndices>{{0}, {1, 2}, {3}, {4}});
  }
  if (oneD)
    out = tensor::CollapseShapeOp::create(
        b, loc, RankedTensorType::get({batch, features, outSize[1]}, f32), out,
        ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
  return g.setOutput(n, 0, out);
}

/// A patch embedding (see the file comment): `x` is [N, C, H, W], the
/// constant weight [F, C, kH, kW] with strides equal to its kernel, `bias`
/// [F] or null. The batch N may be dynamic.
static LogicalResult importPatchEmbedding(NodeContext &n, Value x,
                                          Value bias) {
  GraphImporter &g = n.importer;
  OpBuilder &b = g.getBuilder();
  FailureOr<F32Constant> w = g.getF32ConstantInput(n, 1);
  if (failed(w))
    return failure();
  auto xType = cast<RankedTensorType>(x.getType());
  ArrayRef<int64_t> wShape = w->type.getShape();
  int64_t batch = xType.getDimSize(0), channels = xType.getDimSize(1);
  int64_t height = xType.getDimSize(2), width = xType.getDimSize(3);
  int64_t features = wShape[0], kh = wShape[2], kw = wShape[3];
  if (height < kh || width < kw)
    return n.emitError() << "input shape "
                         << GraphImporter::shapeStr(xType.getShape())
                         << " is smaller than the kernel " << listStr({kh, kw});

  // Patches: [B, C, H, W] -> [B, C, Hp, kh, Wp, kw] -> [B, Hp, Wp, C, kh, kw]
  // -> [B, Hp·Wp, C·kh·kw]. Rows and columns past the last whole patch are
  // not used (no padding: the output size rounds down).
  Type f32 = xType.getElementType();
  int64_t hp = height / kh, wp = width / kw;
  // The batch size: a constant, or the run-time size where it comes from.
  OpFoldResult batchSize = g.getDimSize(n.loc, x, 0);
  Value image = x;
  if (hp * kh != height || wp * kw != width) {
    SmallVector<int64_t> offsets(4, 0), steps(4, 1);
    SmallVector<OpFoldResult> sizes{batchSize, b.getIndexAttr(channels),
                                    b.getIndexAttr(hp * kh),
                                    b.getIndexAttr(wp * kw)};
    auto type =
        RankedTensorType::get({batch, channels, hp * kh, wp * kw}, f32);
    image = tensor::ExtractSliceOp::create(
        b, n.loc, type, image, getAsIndexOpFoldResult(b.getContext(), offsets),
        sizes,
        getAsIndexOpFoldResult(b.getContext(), steps));
  }
  Value split = tensor::ExpandShapeOp::create(
      b, n.loc, RankedTensorType::get({batch, channels, hp, kh, wp, kw}, f32),
      image, ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}, {4, 5}},
      SmallVector<OpFoldResult>{batchSize, b.getIndexAttr(channels),
                                b.getIndexAttr(hp), b.getIndexAttr(kh),
                                b.getIndexAttr(wp), b.getIndexAttr(kw)});
  Value grouped = transpose(g, n.loc, split, {0, 2, 4, 1, 3, 5});
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
  Value channelsFirst = transpose(g, n.loc, tokens, {0, 2, 1});
  return g.setOutput(
      n, 0,
      tensor::ExpandShapeOp::create(
          b, n.loc, RankedTensorType::get({batch, features, hp, wp}, f32),
          channelsFirst, ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}},
          SmallVector<OpFoldResult>{batchSize, b.getIndexAttr(features),
                                    b.getIndexAttr(hp), b.getIndexAttr(wp)}));
}

/// Conv: a patch embedding when it is one (a 2-D convolution of a constant
/// weight with strides equal to its kernel, no padding, group 1, no
/// dilation), else the general form; see the file comment.
LogicalResult onnx_import::importConv(NodeContext &n) {
  GraphImporter &g = n.importer;
  OpBuilder &b = g.getBuilder();
  if (failed(checkArity(n, 2, 3)))
    return failure();
  FailureOr<Value> x = g.getF32Input(n, 0);
  if (failed(x))
    return failure();
  FailureOr<Value> w = g.getF32Input(n, 1);
  if (failed(w))
    return failure();
  auto xType = cast<RankedTensorType>(x->getType());
  auto wType = cast<RankedTensorType>(w->getType());
  int64_t rank = xType.getRank();
  // A dynamic batch is taken by patch embeddings; other dynamic dimensions
  // are to be pinned.
  bool dynamicBatch = rank > 0 && xType.isDynamicDim(0);
  if (dynamicBatch &&
      (llvm::any_of(xType.getShape().drop_front(), ShapedType::isDynamic) ||
       !wType.hasStaticShape()))
    return requireStaticInputs(n);
  if ((rank != 3 && rank != 4) || wType.getRank() != rank ||
      !(xType.hasStaticShape() || dynamicBatch) || !wType.hasStaticShape())
    return n.emitError() << "input " << GraphImporter::shapeStr(xType.getShape())
                         << " and weight "
                         << GraphImporter::shapeStr(wType.getShape())
                         << ": only static 1-D and 2-D convolutions "
                            "([N, C, W] or [N, C, H, W]) are supported";
  Value bias;
  if (n.hasInput(2)) {
    FailureOr<Value> given = g.getF32Input(n, 2);
    if (failed(given))
      return failure();
    ArrayRef<int64_t> bShape =
        cast<RankedTensorType>(given->getType()).getShape();
    if (bShape.size() != 1 || bShape[0] != wType.getDimSize(0))
      return n.emitError() << "bias has shape "
                           << GraphImporter::shapeStr(bShape)
                           << "; expected [" << wType.getDimSize(0) << "]";
    bias = *given;
  }
  SmallVector<int64_t> in(xType.getShape().drop_front(2));
  SmallVector<int64_t> kernel(wType.getShape().drop_front(2));
  FailureOr<ConvAttrs> attrs = readConvAttrs(n, in, kernel);
  if (failed(attrs))
    return failure();
  int64_t channels = xType.getDimSize(1), features = wType.getDimSize(0);
  int64_t groups = attrs->group;
  if (groups < 1 || channels % groups != 0 || features % groups != 0 ||
      wType.getDimSize(1) * groups != channels)
    return n.emitError() << "group=" << groups << " does not fit " << channels
                         << " input channels and a weight of shape "
                         << GraphImporter::shapeStr(wType.getShape());
  auto all = [](ArrayRef<int64_t> values, int64_t v) {
    return llvm::all_of(values, [&](int64_t e) { return e == v; });
  };
  if (rank == 4 && g.isConstantInput(n, 1) && attrs->group == 1 &&
      all(attrs->padsBegin, 0) && all(attrs->padsEnd, 0) &&
      all(attrs->dilations, 1) && attrs->strides == kernel)
    return importPatchEmbedding(n, *x, bias);
  if (dynamicBatch)
    return requireStaticInputs(n);

  bool oneD = rank == 3;
  Value x4 = *x, w4 = *w;
  if (oneD) {
    // Height 1: [N, C, W] -> [N, C, 1, W], [F, C/G, k] -> [F, C/G, 1, k].
    auto addHeight = [&](Value v) -> Value {
      auto t = cast<RankedTensorType>(v.getType());
      return tensor::ExpandShapeOp::create(
          b, n.loc,
          RankedTensorType::get(
              {t.getDimSize(0), t.getDimSize(1), 1, t.getDimSize(2)},
              t.getElementType()),
          v, ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
    };
    x4 = addHeight(x4);
    w4 = addHeight(w4);
    attrs->strides.insert(attrs->strides.begin(), 1);
    attrs->dilations.insert(attrs->dilations.begin(), 1);
    attrs->padsBegin.insert(attrs->padsBegin.begin(), 0);
    attrs->padsEnd.insert(attrs->padsEnd.begin(), 0);
  }
  return importGeneralConv(n, x4, w4, bias, *attrs, oneD);
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
  for (int64_t d = 0; d < rank; ++d) {
    int64_t &group = d < split ? outer : inner;
    group = type.isDynamicDim(d) || ShapedType::isDynamic(group)
                ? ShapedType::kDynamic
                : group * type.getDimSize(d);
  }
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
        b, n.loc,
        RankedTensorType::get({ShapedType::isDynamic(outer) ||
                                       ShapedType::isDynamic(inner)
                                   ? ShapedType::kDynamic
                                   : outer * inner},
                              type.getElementType()),
        *x, ArrayRef<ReassociationIndices>{all});
  }
  return g.setOutput(n, 0,
                     tensor::ExpandShapeOp::create(
                         b, n.loc, resultType, flat,
                         ArrayRef<ReassociationIndices>{{0, 1}}));
}
