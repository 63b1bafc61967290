//===- CPUExpandStridedCopies.cpp - strided memref.copy to linalg.copy ----===//
//
// Compiled models link no MLIR runtime library, so no memref.copy may reach
// the LLVM lowering in a form that calls `memrefCopy`: copies between
// non-contiguous buffers become linalg.copy, which convert-linalg-to-loops
// expands in place. Reshapes of contiguous buffers with dynamic sizes become
// memref.reinterpret_cast, which expand-strided-metadata takes.
//
//===----------------------------------------------------------------------===//

#include "ffn/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir {
namespace ffn {
#define GEN_PASS_DEF_CPUEXPANDSTRIDEDCOPIES
#include "ffn/Codegen/Passes.h.inc"
} // namespace ffn
} // namespace mlir

using namespace mlir;

namespace {
struct CPUExpandStridedCopiesPass
    : public ffn::impl::CPUExpandStridedCopiesBase<CPUExpandStridedCopiesPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation()->walk([&](memref::CopyOp copy) {
      auto source = dyn_cast<MemRefType>(copy.getSource().getType());
      auto target = dyn_cast<MemRefType>(copy.getTarget().getType());
      if (source && target &&
          !(source.getLayout().isIdentity() &&
            target.getLayout().isIdentity()) &&
          !(memref::isStaticShapeAndContiguousRowMajor(source) &&
            memref::isStaticShapeAndContiguousRowMajor(target)))
        copies.push_back(copy);
    });
    IRRewriter rewriter(&getContext());
    for (memref::CopyOp copy : copies) {
      rewriter.setInsertionPoint(copy);
      rewriter.replaceOpWithNewOp<linalg::CopyOp>(copy, copy.getSource(),
                                                  copy.getTarget());
    }
    SmallVector<Operation *> reshapes;
    getOperation()->walk([&](Operation *op) {
      if (isa<memref::ExpandShapeOp, memref::CollapseShapeOp>(op) &&
          isContiguousDynamic(op->getOperand(0).getType()) &&
          isContiguousDynamic(op->getResult(0).getType()))
        reshapes.push_back(op);
    });
    for (Operation *op : reshapes)
      replaceByReinterpretCast(rewriter, op);
  }

private:
  /// A memref of identity layout (row-major, offset 0) with a dynamic size.
  static bool isContiguousDynamic(Type type) {
    auto memref = dyn_cast<MemRefType>(type);
    return memref && memref.getLayout().isIdentity() &&
           !memref.hasStaticShape();
  }

  /// Replaces a reshape of identity-layout memrefs by the equivalent
  /// memref.reinterpret_cast: MLIR 22's expand-strided-metadata crashes on
  /// expand_shape and collapse_shape with dynamic sizes.
  static void replaceByReinterpretCast(RewriterBase &rewriter, Operation *op) {
    Location loc = op->getLoc();
    rewriter.setInsertionPoint(op);
    Value source = op->getOperand(0);
    auto resultType = cast<MemRefType>(op->getResult(0).getType());
    int64_t rank = resultType.getRank();
    auto indexValue = [&](OpFoldResult size) -> Value {
      if (auto value = dyn_cast<Value>(size))
        return value;
      return arith::ConstantIndexOp::create(
          rewriter, loc, cast<IntegerAttr>(cast<Attribute>(size)).getInt());
    };
    // The result's sizes, static where the type says so.
    SmallVector<OpFoldResult> sizes;
    if (auto expand = dyn_cast<memref::ExpandShapeOp>(op)) {
      sizes = expand.getMixedOutputShape();
    } else {
      auto collapse = cast<memref::CollapseShapeOp>(op);
      for (auto [d, group] :
           llvm::enumerate(collapse.getReassociationIndices())) {
        if (!resultType.isDynamicDim(d)) {
          sizes.push_back(rewriter.getIndexAttr(resultType.getDimSize(d)));
          continue;
        }
        Value product;
        for (int64_t sd : group) {
          Value dim = memref::DimOp::create(rewriter, loc, source, sd);
          product = product ? arith::MulIOp::create(rewriter, loc, product, dim)
                                  .getResult()
                            : dim;
        }
        sizes.push_back(product);
      }
    }
    for (auto [d, size] : llvm::enumerate(sizes))
      if (!resultType.isDynamicDim(d))
        size = rewriter.getIndexAttr(resultType.getDimSize(d));
    // Row-major strides: static until the first dynamic size from the right.
    SmallVector<OpFoldResult> strides(rank);
    int64_t staticStride = 1;
    Value dynamicStride;
    for (int64_t d = rank - 1; d >= 0; --d) {
      strides[d] = dynamicStride ? OpFoldResult(dynamicStride)
                                 : OpFoldResult(rewriter.getIndexAttr(
                                       staticStride));
      if (d == 0)
        break;
      if (!dynamicStride && !resultType.isDynamicDim(d)) {
        staticStride *= resultType.getDimSize(d);
        continue;
      }
      Value stride = dynamicStride ? dynamicStride
                                   : arith::ConstantIndexOp::create(
                                         rewriter, loc, staticStride)
                                         .getResult();
      dynamicStride =
          arith::MulIOp::create(rewriter, loc, stride, indexValue(sizes[d]));
    }
    rewriter.replaceOpWithNewOp<memref::ReinterpretCastOp>(
        op, resultType, source, rewriter.getIndexAttr(0), sizes, strides);
  }
};
} // namespace
