//===- GPUSelectGemm.cpp - choose a library or generated code per GEMM ----===//
//
// The generated GPU GEMMs are plain SIMT code; cuBLAS is far faster on the
// shapes of transformer FFNs. This pass decides, for every contraction on
// tensors, whether it becomes a cuBLAS call (marked here, replaced after
// bufferisation by ffn-gpu-library-gemm) or stays generated code
// (ffn-gpu-tile), and can say so in a remark per op. Only the GEMM itself
// goes to the library: the bias fill and the elementwise epilogue stay
// generated kernels around it.
//
//===----------------------------------------------------------------------===//

#include "ffn/Codegen/Passes.h"

#include "GPULibraryGemm.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/Support/FormatVariadic.h"
#include <limits>

namespace mlir {
namespace ffn {
#define GEN_PASS_DEF_GPUSELECTGEMM
#include "ffn/Codegen/Passes.h.inc"
} // namespace ffn
} // namespace mlir

using namespace mlir;
using namespace mlir::ffn;

std::string LibraryGemm::shapeString() const {
  if (batched)
    return llvm::formatv("{0}x{1}x{2}x{3}", batch, m, n, k).str();
  return llvm::formatv("{0}x{1}x{2}", m, n, k).str();
}

/// Whether the results of `map` are exactly the loop dimensions `dims`.
static bool hasDims(AffineMap map, ArrayRef<unsigned> dims) {
  if (map.getNumResults() != dims.size())
    return false;
  for (auto [expr, dim] : llvm::zip_equal(map.getResults(), dims)) {
    auto d = dyn_cast<AffineDimExpr>(expr);
    if (!d || d.getPosition() != dim)
      return false;
  }
  return true;
}

FailureOr<LibraryGemm> mlir::ffn::matchLibraryGemm(linalg::LinalgOp op,
                                                   std::string &why) {
  if (!linalg::isaContractionOpInterface(op)) {
    why = "not a multiply-add contraction";
    return failure();
  }
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1) {
    why = "not two inputs and one output";
    return failure();
  }
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<ShapedType>(operand.get().getType());
    if (!type || !type.getElementType().isF32()) {
      why = "operands are not all f32";
      return failure();
    }
    if (!type.hasStaticShape()) {
      why = "dynamic shape";
      return failure();
    }
  }
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims) || dims->m.size() != 1 || dims->n.size() != 1 ||
      dims->k.size() != 1 || dims->batch.size() > 1 ||
      op.getNumLoops() != 3 + dims->batch.size()) {
    why = "not one M, N and K dimension and at most one batch dimension";
    return failure();
  }
  SmallVector<unsigned, 1> b(dims->batch.begin(), dims->batch.end());
  unsigned m = dims->m[0], n = dims->n[0], k = dims->k[0];
  auto with = [&](std::initializer_list<unsigned> rest) {
    SmallVector<unsigned> all(b.begin(), b.end());
    all.append(rest);
    return all;
  };
  LibraryGemm gemm;
  gemm.batched = !b.empty();
  AffineMap aMap = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  AffineMap bMap = op.getMatchingIndexingMap(op.getDpsInputOperand(1));
  AffineMap cMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (hasDims(aMap, with({m, k})))
    gemm.transA = false;
  else if (hasDims(aMap, with({k, m})))
    gemm.transA = true;
  else {
    why = "A is neither [M, K] nor [K, M]";
    return failure();
  }
  if (hasDims(bMap, with({k, n})))
    gemm.transB = false;
  else if (hasDims(bMap, with({n, k})))
    gemm.transB = true;
  else {
    why = "B is neither [K, N] nor [N, K]";
    return failure();
  }
  if (!hasDims(cMap, with({m, n}))) {
    why = "C is not [M, N]";
    return failure();
  }
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  gemm.m = ranges[m];
  gemm.n = ranges[n];
  gemm.k = ranges[k];
  if (gemm.batched)
    gemm.batch = ranges[b[0]];
  constexpr int64_t kMaxInt = std::numeric_limits<int32_t>::max();
  for (int64_t size : {gemm.batch, gemm.m, gemm.n, gemm.k})
    if (size < 1 || size > kMaxInt) {
      why = "a size is empty or beyond cuBLAS's 32-bit integers";
      return failure();
    }
  return gemm;
}

namespace {
struct GPUSelectGemmPass
    : public ffn::impl::GPUSelectGemmBase<GPUSelectGemmPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (library != "cublas" && library != "none") {
      func.emitError("ffn-gpu-select-gemm: unknown GEMM library '")
          << library << "' (use cublas or none)";
      return signalPassFailure();
    }
    SmallVector<linalg::LinalgOp> gemms;
    for (Operation &op : func.getBody().getOps())
      if (auto linalgOp = dyn_cast<linalg::LinalgOp>(&op))
        if (linalgOp.hasPureTensorSemantics() &&
            linalg::isaContractionOpInterface(linalgOp))
          gemms.push_back(linalgOp);
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : gemms) {
      std::string why;
      FailureOr<LibraryGemm> gemm = matchLibraryGemm(op, why);
      if (library == "none" || failed(gemm)) {
        if (remarks)
          op->emitRemark() << "gpu gemm"
                           << (succeeded(gemm) ? " " + gemm->shapeString()
                                               : std::string())
                           << ": generated ("
                           << (library == "none" ? "library=none" : why) << ")";
        continue;
      }
      // A zero-filled accumulator need not be read: cuBLAS overwrites C
      // with beta = 0. The fill goes when nothing else reads it.
      float beta = 1.0f;
      OpOperand *init = op.getDpsInitOperand(0);
      if (auto fill = init->get().getDefiningOp<linalg::FillOp>()) {
        if (matchPattern(fill.getInputs()[0], m_AnyZeroFloat())) {
          auto type = cast<RankedTensorType>(init->get().getType());
          Value empty = fill.getOutputs()[0];
          if (!empty.getDefiningOp<tensor::EmptyOp>()) {
            rewriter.setInsertionPoint(op);
            empty = tensor::EmptyOp::create(
                rewriter, op.getLoc(), type.getShape(), type.getElementType());
          }
          rewriter.modifyOpInPlace(op, [&] { init->set(empty); });
          if (fill->use_empty())
            rewriter.eraseOp(fill);
          beta = 0.0f;
        }
      }
      MLIRContext *ctx = &getContext();
      NamedAttribute entries[] = {
          rewriter.getNamedAttr("beta", rewriter.getF32FloatAttr(beta)),
          rewriter.getNamedAttr("library", StringAttr::get(ctx, library))};
      op->setAttr(kLibraryGemmAttr, DictionaryAttr::get(ctx, entries));
      if (remarks)
        op->emitRemark() << "gpu gemm " << gemm->shapeString() << ": "
                         << library.getValue() << " (beta "
                         << (beta == 0.0f ? 0 : 1) << ")";
    }
  }
};
} // namespace
