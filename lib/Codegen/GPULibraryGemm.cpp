//===- GPULibraryGemm.cpp - marked GEMMs on buffers to cuBLAS calls -------===//
//
// The second half of the cuBLAS fallback (ffn-gpu-select-gemm is the
// first): after bufferisation, every contraction marked for the library
// becomes a call to the CUDA runtime's ffn_cuda_sgemm[_batched] on the
// memref descriptors of its operands, which cuBLAS then reads in place
// (row-major, transposed or not, leading dimensions from the strides).
// Running before ffn-gpu-device-memory, the call's operands become device
// buffers there like every other host-side use. gpu-async-region later
// waits for the kernels before the call; the runtime runs the GEMM on the
// legacy default stream, which the next kernels' streams wait for.
//
//===----------------------------------------------------------------------===//

#include "ffn/Codegen/Passes.h"

#include "GPULibraryGemm.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir {
namespace ffn {
#define GEN_PASS_DEF_GPULIBRARYGEMM
#include "ffn/Codegen/Passes.h.inc"
} // namespace ffn
} // namespace mlir

using namespace mlir;
using namespace mlir::ffn;

/// The runtime's view of an operand: f32, any shape and strides.
static MemRefType dynamicStridedType(MLIRContext *ctx, int64_t rank) {
  SmallVector<int64_t> dynamic(rank, ShapedType::kDynamic);
  return MemRefType::get(
      dynamic, Float32Type::get(ctx),
      StridedLayoutAttr::get(ctx, ShapedType::kDynamic, dynamic));
}

/// Whether cuBLAS can read `type` in place: rows of unit stride.
static bool hasUnitInnerStride(MemRefType type) {
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)))
    return false;
  return strides.back() == 1;
}

namespace {
struct GPULibraryGemmPass
    : public ffn::impl::GPULibraryGemmBase<GPULibraryGemmPass> {

  /// The declaration of the runtime's GEMM entry point for operands of
  /// `rank` (2, or 3 when batched).
  func::FuncOp getDeclaration(Location loc, int64_t rank) {
    StringRef name = rank == 2 ? "ffn_cuda_sgemm" : "ffn_cuda_sgemm_batched";
    ModuleOp module = getOperation();
    if (auto existing = module.lookupSymbol<func::FuncOp>(name))
      return existing;
    MLIRContext *ctx = &getContext();
    MemRefType operand = dynamicStridedType(ctx, rank);
    Type i32 = IntegerType::get(ctx, 32), f32 = Float32Type::get(ctx);
    auto type = FunctionType::get(
        ctx, {operand, operand, operand, i32, i32, f32, f32}, {});
    OpBuilder builder(module.getBodyRegion());
    auto decl = func::FuncOp::create(builder, loc, name, type);
    decl.setPrivate();
    decl->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                  UnitAttr::get(ctx));
    return decl;
  }

  /// Replaces the marked contraction `op` by the runtime call.
  LogicalResult rewrite(RewriterBase &rewriter, linalg::LinalgOp op) {
    std::string why;
    FailureOr<LibraryGemm> gemm = matchLibraryGemm(op, why);
    if (failed(gemm))
      return op->emitError("ffn-gpu-library-gemm: marked contraction no "
                           "longer fits the library: ")
             << why;
    auto marker = op->getAttrOfType<DictionaryAttr>(kLibraryGemmAttr);
    auto library = marker ? marker.getAs<StringAttr>("library") : nullptr;
    auto beta = marker ? marker.getAs<FloatAttr>("beta") : nullptr;
    if (!library || library.getValue() != "cublas" || !beta)
      return op->emitError("ffn-gpu-library-gemm: malformed ")
             << kLibraryGemmAttr << " attribute (expected {library = "
             << "\"cublas\", beta = <f32>})";
    Location loc = op.getLoc();
    MLIRContext *ctx = &getContext();
    rewriter.setInsertionPoint(op);
    // Operands whose rows are not contiguous go through a contiguous copy
    // (C also back, after the call).
    SmallVector<Value> temporaries;
    Value copyBack, copyBackTarget;
    auto inPlace = [&](Value value, bool read, bool written) -> Value {
      auto type = cast<MemRefType>(value.getType());
      if (hasUnitInnerStride(type))
        return value;
      auto contiguousType =
          MemRefType::get(type.getShape(), type.getElementType());
      Value copy = memref::AllocOp::create(rewriter, loc, contiguousType);
      if (read)
        memref::CopyOp::create(rewriter, loc, value, copy);
      temporaries.push_back(copy);
      if (written) {
        copyBack = copy;
        copyBackTarget = value;
      }
      return copy;
    };
    Value a = inPlace(op.getDpsInputOperand(0)->get(), true, false);
    Value b = inPlace(op.getDpsInputOperand(1)->get(), true, false);
    Value c = inPlace(op.getDpsInitOperand(0)->get(), !beta.getValue().isZero(),
                      true);
    int64_t rank = gemm->batched ? 3 : 2;
    MemRefType operandType = dynamicStridedType(ctx, rank);
    SmallVector<Value> args;
    for (Value v : {a, b, c})
      args.push_back(memref::CastOp::create(rewriter, loc, operandType, v));
    args.push_back(
        arith::ConstantIntOp::create(rewriter, loc, gemm->transA, 32));
    args.push_back(
        arith::ConstantIntOp::create(rewriter, loc, gemm->transB, 32));
    args.push_back(arith::ConstantOp::create(rewriter, loc,
                                             rewriter.getF32FloatAttr(1.0f)));
    args.push_back(arith::ConstantOp::create(
        rewriter, loc, rewriter.getF32FloatAttr(beta.getValueAsDouble())));
    func::CallOp::create(rewriter, loc, getDeclaration(loc, rank), args);
    if (copyBack)
      memref::CopyOp::create(rewriter, loc, copyBack, copyBackTarget);
    for (Value temporary : temporaries)
      memref::DeallocOp::create(rewriter, loc, temporary);
    rewriter.eraseOp(op);
    return success();
  }

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> marked;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (op->hasAttr(kLibraryGemmAttr))
        marked.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : marked) {
      if (!op.hasPureBufferSemantics()) {
        op->emitError("ffn-gpu-library-gemm: marked contraction is not on "
                      "buffers (run it after bufferisation)");
        return signalPassFailure();
      }
      if (failed(rewrite(rewriter, op)))
        return signalPassFailure();
    }
  }
};
} // namespace
