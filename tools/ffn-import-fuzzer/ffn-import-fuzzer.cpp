//===- ffn-import-fuzzer.cpp - libFuzzer target over the ONNX importer ----===//
//
// Feeds arbitrary bytes to the ONNX importer, as a binary protobuf and as
// ONNX text. Any outcome but a crash, a hang or a sanitizer report is fine:
// the importer must answer bad input with diagnostics. External data is
// resolved against a folder that does not exist, so inputs cannot reach the
// file system.
//
//===----------------------------------------------------------------------===//

#include "ffn/Dialect/FFN/IR/FFNDialect.h"
#include "ffn/Import/ONNX/Importer.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstddef>
#include <cstdint>

/// One context for the whole run; diagnostics are swallowed.
static mlir::MLIRContext &context() {
  static mlir::MLIRContext *ctx = [] {
    mlir::DialectRegistry registry;
    registry.insert<mlir::ffn::FFNDialect, mlir::arith::ArithDialect,
                    mlir::func::FuncDialect, mlir::linalg::LinalgDialect,
                    mlir::math::MathDialect, mlir::tensor::TensorDialect>();
    auto *c = new mlir::MLIRContext(registry);
    c->loadAllAvailableDialects();
    c->getDiagEngine().registerHandler(
        [](mlir::Diagnostic &) { return mlir::success(); });
    return c;
  }();
  return *ctx;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  // The text parser wants a NUL-terminated buffer.
  std::unique_ptr<llvm::MemoryBuffer> copy =
      llvm::MemoryBuffer::getMemBufferCopy(bytes, "fuzz-input");
  for (bool isText : {false, true}) {
    mlir::OwningOpRef<mlir::ModuleOp> module = mlir::ffn::importONNXBuffer(
        context(), copy->getMemBufferRef(), isText,
        "/nonexistent-ffn-fuzz-dir");
    (void)module;
  }
  return 0;
}
