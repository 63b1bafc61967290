//===- GPUDeviceMemory.cpp - host buffers of a bufferised function to GPU -===//
//
// After bufferisation a model's function works on caller-owned host memory,
// heap temporaries and constant globals (the weights). Its tiles become GPU
// kernels, so every buffer they touch must live on the device: arguments
// are mirrored in device buffers (copied in, and out when written),
// temporaries are gpu.alloc'ed, whole-buffer copies become gpu.memcpy, and
// weights are uploaded once per process by the runtime
// (ffn_cuda_constant_<type>, runtime/cuda/) and read from there.
//
//===----------------------------------------------------------------------===//

#include "ffn/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir {
namespace ffn {
#define GEN_PASS_DEF_GPUDEVICEMEMORY
#include "ffn/Codegen/Passes.h.inc"
} // namespace ffn
} // namespace mlir

using namespace mlir;
using namespace mlir::ffn;

/// Whether `op` runs inside a GPU tile (and so on the device).
static bool isInTile(Operation *op) {
  for (Operation *parent = op->getParentOp(); parent;
       parent = parent->getParentOp())
    if (isa<scf::ForallOp, scf::ParallelOp, gpu::LaunchOp>(parent))
      return true;
  return false;
}

/// The suffix naming `type` in the runtime's upload functions, or "".
static std::string elementSuffix(Type type) {
  if (type.isIndex())
    return "index";
  if (auto f = dyn_cast<FloatType>(type))
    return (f.isBF16() ? std::string("bf") : std::string("f")) +
           std::to_string(f.getWidth());
  if (auto i = dyn_cast<IntegerType>(type))
    return "i" + std::to_string(i.getWidth());
  return "";
}

/// Bytes one element of `type` occupies in a buffer.
static int64_t elementBytes(Type type) {
  if (type.isIndex())
    return 8;
  return (type.getIntOrFloatBitWidth() + 7) / 8;
}

/// Whether `type` is a statically shaped memref with the identity layout.
static bool isPlainStatic(MemRefType type) {
  return type.hasStaticShape() && type.getLayout().isIdentity();
}

namespace {
struct GPUDeviceMemoryPass
    : public ffn::impl::GPUDeviceMemoryBase<GPUDeviceMemoryPass> {

  /// The declaration of the runtime's upload function for `elementType`.
  FailureOr<func::FuncOp> getUploadFunction(Location loc, Type elementType) {
    std::string suffix = elementSuffix(elementType);
    if (suffix.empty())
      return emitError(loc) << "ffn-gpu-device-memory: no device upload for "
                               "constants of element type "
                            << elementType;
    std::string name = "ffn_cuda_constant_" + suffix;
    ModuleOp module = getOperation();
    if (auto existing = module.lookupSymbol<func::FuncOp>(name))
      return existing;
    MLIRContext *ctx = &getContext();
    auto dynamic = MemRefType::get({ShapedType::kDynamic}, elementType);
    auto type = FunctionType::get(
        ctx, {dynamic, IntegerType::get(ctx, 64)}, {dynamic});
    OpBuilder builder(module.getBodyRegion());
    auto decl = func::FuncOp::create(builder, loc, name, type);
    decl.setPrivate();
    decl->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                  UnitAttr::get(ctx));
    return decl;
  }

  /// Replaces a read of a constant global by its device copy.
  LogicalResult uploadConstant(RewriterBase &rewriter,
                               memref::GetGlobalOp get) {
    auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
        get, get.getNameAttr());
    MemRefType type = get.getType();
    if (!global || !global.getConstant() || !isPlainStatic(type))
      return get.emitError("ffn-gpu-device-memory: only constant, statically "
                           "shaped globals can be read by GPU code");
    FailureOr<func::FuncOp> upload =
        getUploadFunction(get.getLoc(), type.getElementType());
    if (failed(upload))
      return failure();
    Location loc = get.getLoc();
    rewriter.setInsertionPointAfter(get);
    int64_t rank = type.getRank();
    // View the global as one dimension, upload, and view the result with
    // the original shape.
    Value flat = get.getResult();
    SmallVector<ReassociationIndices> reassociation;
    Operation *firstUser = nullptr;
    if (rank == 0) {
      flat = memref::ExpandShapeOp::create(
          rewriter, loc, MemRefType::get({1}, type.getElementType()), flat,
          reassociation);
    } else if (rank > 1) {
      ReassociationIndices all;
      for (int64_t d = 0; d < rank; ++d)
        all.push_back(d);
      reassociation.push_back(all);
      flat = memref::CollapseShapeOp::create(rewriter, loc, flat,
                                             reassociation);
    }
    auto flatType = cast<MemRefType>(flat.getType());
    auto dynamicType =
        MemRefType::get({ShapedType::kDynamic}, type.getElementType());
    if (flat != get.getResult())
      firstUser = flat.getDefiningOp();
    Value dynamic = memref::CastOp::create(rewriter, loc, dynamicType, flat);
    if (!firstUser)
      firstUser = dynamic.getDefiningOp();
    Value bytes = arith::ConstantIntOp::create(
        rewriter, loc, elementBytes(type.getElementType()), 64);
    auto call = func::CallOp::create(rewriter, loc, *upload,
                                     ValueRange{dynamic, bytes});
    Value device =
        memref::CastOp::create(rewriter, loc, flatType, call.getResult(0));
    if (rank == 0)
      device = memref::CollapseShapeOp::create(rewriter, loc, device,
                                               reassociation);
    else if (rank > 1)
      device = memref::ExpandShapeOp::create(rewriter, loc, type, device,
                                             reassociation);
    rewriter.replaceAllUsesExcept(get.getResult(), device, firstUser);
    return success();
  }

  /// Replaces a strided copy (into or out of a slice) by block and thread
  /// tiles that copy element by element: blocks over the outer dimensions,
  /// up to 256 threads striding over the innermost one.
  LogicalResult copyInTiles(RewriterBase &rewriter, memref::CopyOp copy) {
    auto type = cast<MemRefType>(copy.getSource().getType());
    if (!type.hasStaticShape())
      return copy.emitError("ffn-gpu-device-memory: dynamically shaped copy");
    Location loc = copy.getLoc();
    ArrayRef<int64_t> shape = type.getShape();
    int64_t rank = shape.size();
    int64_t inner = rank ? shape.back() : 1;
    int64_t threads = std::min<int64_t>(std::max<int64_t>(inner, 1), 256);
    SmallVector<OpFoldResult> outer;
    for (int64_t d = 0; d + 1 < rank; ++d)
      outer.push_back(rewriter.getIndexAttr(shape[d]));
    if (outer.empty())
      outer.push_back(rewriter.getIndexAttr(1));
    Value src = copy.getSource(), dst = copy.getTarget();
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<Attribute> blockMapping;
    for (size_t i = 0; i < outer.size(); ++i)
      blockMapping.push_back(gpu::GPUBlockMappingAttr::get(
          ctx, static_cast<gpu::MappingId>(
                   std::min<size_t>(outer.size() - 1 - i, 2))));
    if (outer.size() > 3)
      blockMapping.clear(); // the nesting level maps them (extra dims run
                            // sequentially)
    auto blocks = scf::ForallOp::create(
        rewriter, loc, outer, ValueRange(),
        blockMapping.empty() ? std::optional<ArrayAttr>()
                             : rewriter.getArrayAttr(blockMapping),
        [&](OpBuilder &b, Location loc, ValueRange ivs) {
          auto tiles = scf::ForallOp::create(
              b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(threads)},
              ValueRange(),
              b.getArrayAttr({gpu::GPUThreadMappingAttr::get(
                  ctx, gpu::MappingId::DimX)}),
              [&](OpBuilder &b, Location loc, ValueRange tid) {
                Value ub = arith::ConstantIndexOp::create(b, loc, inner);
                Value step = arith::ConstantIndexOp::create(b, loc, threads);
                scf::ForOp::create(
                    b, loc, tid[0], ub, step, ValueRange(),
                    [&](OpBuilder &b, Location loc, Value j, ValueRange) {
                      SmallVector<Value> idx;
                      if (rank > 1)
                        idx.append(ivs.begin(), ivs.end());
                      if (rank)
                        idx.push_back(j);
                      Value v = memref::LoadOp::create(b, loc, src, idx);
                      memref::StoreOp::create(b, loc, v, dst, idx);
                      scf::YieldOp::create(b, loc);
                    });
                scf::InParallelOp::create(b, loc);
              });
          (void)tiles;
          scf::InParallelOp::create(b, loc);
        });
    (void)blocks;
    return success();
  }

  /// Mirrors the memref arguments of `func` in device buffers.
  LogicalResult mirrorArguments(RewriterBase &rewriter, func::FuncOp func) {
    Block &entry = func.getBody().front();
    for (BlockArgument arg : func.getArguments()) {
      auto type = dyn_cast<MemRefType>(arg.getType());
      if (!type)
        continue;
      if (!isPlainStatic(type))
        return func.emitError("ffn-gpu-device-memory: argument #")
               << arg.getArgNumber() << " has type " << type
               << "; only statically shaped, contiguous buffers are supported";
      Location loc = arg.getLoc();
      rewriter.setInsertionPointToStart(&entry);
      auto alloc = gpu::AllocOp::create(rewriter, loc, type, Type(),
                                        ValueRange(), ValueRange(),
                                        ValueRange());
      Value device = alloc.getMemref();
      auto numInputs = func->getAttrOfType<IntegerAttr>(kNumInputsAttrName);
      if (numInputs && arg.getArgNumber() >= numInputs.getInt()) {
        // An out-parameter: its contents on entry are never read.
        arg.replaceAllUsesExcept(device, alloc);
      } else {
        auto copyIn = gpu::MemcpyOp::create(rewriter, loc, TypeRange(),
                                            ValueRange(), device, arg);
        rewriter.replaceAllUsesExcept(arg, device, copyIn);
      }
      auto writable = func.getArgAttrOfType<BoolAttr>(
          arg.getArgNumber(),
          bufferization::BufferizationDialect::kWritableAttrName);
      bool readOnly = (writable && !writable.getValue()) ||
                      func.getArgAttr(arg.getArgNumber(), kReadOnlyArgAttrName);
      func.removeArgAttr(arg.getArgNumber(), kReadOnlyArgAttrName);
      for (Block &block : func.getBody())
        if (auto ret = dyn_cast<func::ReturnOp>(block.getTerminator())) {
          rewriter.setInsertionPoint(ret);
          if (!readOnly)
            gpu::MemcpyOp::create(rewriter, loc, TypeRange(), ValueRange(),
                                  arg, device);
          gpu::DeallocOp::create(rewriter, loc, TypeRange(), ValueRange(),
                                 device);
        }
    }
    func->removeAttr(kNumInputsAttrName);
    return success();
  }

  void runOnOperation() override {
    SmallVector<func::FuncOp> funcs(getOperation().getOps<func::FuncOp>());
    for (func::FuncOp func : funcs)
      if (!func.isExternal() && failed(runOnFunction(func)))
        return signalPassFailure();
  }

  LogicalResult runOnFunction(func::FuncOp func) {
    IRRewriter rewriter(&getContext());
    SmallVector<Operation *> hostOps, tileOps;
    func.walk([&](Operation *op) {
      if (!isInTile(op))
        hostOps.push_back(op);
      else if (isa<memref::AllocOp, memref::DeallocOp>(op))
        tileOps.push_back(op);
    });
    // Temporaries of a thread tile live in the thread's stack: device-side
    // malloc is slow, and nothing outside the tile frees them.
    for (Operation *op : tileOps) {
      if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
        rewriter.setInsertionPoint(alloc);
        rewriter.replaceOpWithNewOp<memref::AllocaOp>(
            alloc, alloc.getType(), alloc.getDynamicSizes(),
            alloc.getSymbolOperands(), alloc.getAlignmentAttr());
      } else {
        rewriter.eraseOp(op);
      }
    }
    for (Operation *op : hostOps) {
      Location loc = op->getLoc();
      if (isInTile(op))
        continue;
      if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
        if (!alloc.getType().getLayout().isIdentity()) {
          alloc.emitError("ffn-gpu-device-memory: buffer with a non-identity "
                          "layout");
          return failure();
        }
        rewriter.setInsertionPoint(alloc);
        auto gpuAlloc = gpu::AllocOp::create(
            rewriter, loc, alloc.getType(), Type(), ValueRange(),
            alloc.getDynamicSizes(), alloc.getSymbolOperands());
        rewriter.replaceOp(alloc, gpuAlloc.getMemref());
      } else if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
        rewriter.setInsertionPoint(dealloc);
        gpu::DeallocOp::create(rewriter, loc, TypeRange(), ValueRange(),
                               dealloc.getMemref());
        rewriter.eraseOp(dealloc);
      } else if (auto copy = dyn_cast<memref::CopyOp>(op)) {
        auto source = cast<MemRefType>(copy.getSource().getType());
        auto target = cast<MemRefType>(copy.getTarget().getType());
        rewriter.setInsertionPoint(copy);
        // gpu.memcpy copies from the start of the buffers (its lowering
        // ignores a view's offset), so slices, contiguous or not, are
        // copied by a kernel.
        if (!isPlainStatic(source) || !isPlainStatic(target)) {
          if (failed(copyInTiles(rewriter, copy)))
            return failure();
          rewriter.eraseOp(copy);
          continue;
        }
        gpu::MemcpyOp::create(rewriter, loc, TypeRange(), ValueRange(),
                              copy.getTarget(), copy.getSource());
        rewriter.eraseOp(copy);
      } else if (auto get = dyn_cast<memref::GetGlobalOp>(op)) {
        if (failed(uploadConstant(rewriter, get)))
          return failure();
      } else if (isa<linalg::LinalgOp>(op)) {
        op->emitError("ffn-gpu-device-memory: linalg op outside the GPU "
                      "tiles (ffn-gpu-tile did not map it)");
        return failure();
      } else if (isa<memref::AllocaOp>(op)) {
        op->emitError("ffn-gpu-device-memory: stack buffer outside the GPU "
                      "tiles");
        return failure();
      }
    }
    if (func.isPublic())
      return mirrorArguments(rewriter, func);
    return success();
  }
};
} // namespace
