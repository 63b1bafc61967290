//===- CPUExpandStridedCopies.cpp - strided memref.copy to linalg.copy ----===//
//
// Compiled models link no MLIR runtime library, so no memref.copy may reach
// the LLVM lowering in a form that calls `memrefCopy`: copies between
// non-contiguous buffers become linalg.copy, which convert-linalg-to-loops
// expands in place.
//
//===----------------------------------------------------------------------===//

#include "ffn/Codegen/Passes.h"

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
  }
};
} // namespace
