//===- ffn-opt.cpp - the mlir-opt of the ffn compiler ---------------------===//
//
// mlir-opt with the ffn dialect, passes and pipelines registered on top of
// every upstream one. An ONNX input (.onnx, .onnxtext) is imported first
// (`--shape NAME=DIMS` pins its dynamic dimensions); the imported module then
// goes through the usual mlir-opt processing, so `ffn-opt model.onnx` prints
// it and `ffn-opt model.onnx -some-pass` transforms it.
//
//===----------------------------------------------------------------------===//

#include "ffn/Import/ONNX/Importer.h"
#include "ffn/InitAll.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

static llvm::cl::list<std::string>
    shapes("shape",
           llvm::cl::desc("Pin an ONNX input's dynamic dimensions "
                          "(NAME=2x128x768); for ONNX inputs only"),
           llvm::cl::value_desc("NAME=DIMS"));

static llvm::cl::opt<bool> listONNXOps(
    "list-onnx-ops",
    llvm::cl::desc("Print the ONNX ops the importer claims, one per line with "
                   "its opsets (`Add 13-21`), then the element types graph "
                   "inputs and outputs may have (`dtypes FLOAT ...`), and "
                   "exit"));

/// Imports the ONNX model at `inputPath` and hands it, as bytecode in memory
/// (which keeps locations and resource blobs exactly), to MlirOptMain.
static LogicalResult importAndRun(StringRef inputPath, StringRef outputPath,
                                  DialectRegistry &registry) {
  MlirOptMainConfig config = MlirOptMainConfig::createFromCLOptions();
  // The bytecode of the imported module; MlirOptMain parses it in place.
  std::string bytecode;
  {
    MLIRContext context(registry);
    context.loadAllAvailableDialects();
    // Driver-level errors print as "ffn-opt: error: ..."; located ones with
    // their location.
    llvm::SourceMgr sourceMgr;
    SourceMgrDiagnosticHandler located(sourceMgr, &context);
    context.getDiagEngine().registerHandler([](Diagnostic &diag) {
      if (!isa<UnknownLoc>(diag.getLocation()))
        return failure();
      llvm::WithColor::error(llvm::errs(), "ffn-opt") << diag.str() << "\n";
      return success();
    });
    ffn::ImportOptions options;
    if (failed(ffn::parseShapeSpecs(context, shapes, options)))
      return failure();
    OwningOpRef<ModuleOp> module =
        ffn::importONNXFile(context, inputPath, options);
    if (!module)
      return failure();
    llvm::raw_string_ostream os(bytecode);
    if (failed(writeBytecodeToFile(*module, os)))
      return failure();
  }
  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> output =
      openOutputFile(outputPath, &error);
  if (!output) {
    llvm::WithColor::error(llvm::errs(), "ffn-opt") << error << "\n";
    return failure();
  }
  if (failed(MlirOptMain(
          output->os(),
          llvm::MemoryBuffer::getMemBuffer(bytecode, inputPath,
                                           /*RequiresNullTerminator=*/false),
          registry, config)))
    return failure();
  output->keep();
  return success();
}

int main(int argc, char **argv) {
  DialectRegistry registry;
  ffn::registerAllDialects(registry);
  ffn::registerAllPasses();
  auto [inputPath, outputPath] = registerAndParseCLIOptions(
      argc, argv, "ffn optimizer driver\n", registry);
  if (listONNXOps) {
    for (const ffn::ONNXOpSupport &op : ffn::getSupportedONNXOps())
      llvm::outs() << op.opType << " " << op.minOpset << "-" << op.maxOpset
                   << "\n";
    llvm::outs() << "dtypes";
    for (const std::string &type : ffn::getSupportedONNXTypes())
      llvm::outs() << " " << type;
    llvm::outs() << "\n";
    return EXIT_SUCCESS;
  }
  if (!ffn::isONNXFile(inputPath)) {
    if (!shapes.empty()) {
      llvm::WithColor::error(llvm::errs(), "ffn-opt")
          << "--shape applies to ONNX inputs\n";
      return EXIT_FAILURE;
    }
    return asMainReturnCode(
        MlirOptMain(argc, argv, inputPath, outputPath, registry));
  }
  return asMainReturnCode(importAndRun(inputPath, outputPath, registry));
}
