//===- ffn-opt.cpp - the mlir-opt of the ffn compiler ---------------------===//
//
// mlir-opt with the ffn dialect, passes and pipelines registered on top of
// every upstream one.
//
//===----------------------------------------------------------------------===//

#include "ffn/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::ffn::registerAllDialects(registry);
  mlir::ffn::registerAllPasses();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "ffn optimizer driver\n", registry));
}
