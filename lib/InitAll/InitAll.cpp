//===- InitAll.cpp - register everything ffn provides ---------------------===//
//
// Implements the project's single registration point.
//
//===----------------------------------------------------------------------===//

#include "ffn/InitAll.h"

#include "ffn/Codegen/Passes.h"
#include "ffn/Conversion/Passes.h"
#include "ffn/Dialect/FFN/IR/FFNDialect.h"
#include "ffn/Dialect/FFN/Transforms/Passes.h"
#include "ffn/Pipelines/Pipelines.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

void mlir::ffn::registerAllDialects(DialectRegistry &registry) {
  registry.insert<FFNDialect>();
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllToLLVMIRTranslations(registry);
}

void mlir::ffn::registerAllPasses() {
  mlir::registerAllPasses();
  registerFFNConversionPasses();
  registerFFNCodegenPasses();
  registerFFNTransformsPasses();
  registerRaisePipeline();
  registerPipelines();
}
