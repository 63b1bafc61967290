//===- InitAll.h - register everything ffn provides -------------*- C++ -*-===//
//
// The one registration point of the project: the ffn dialect, every ffn pass
// and pipeline, and (through MLIR) every upstream dialect and pass, so that
// ffn-opt is a superset of mlir-opt.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_INITALL_H
#define FFN_INITALL_H

namespace mlir {
class DialectRegistry;
namespace ffn {
/// Adds the ffn dialect and every upstream dialect, extension and external
/// model (bufferization, tiling, LLVM translation interfaces).
void registerAllDialects(DialectRegistry &registry);

/// Registers every ffn pass and pipeline and every upstream pass.
void registerAllPasses();
} // namespace ffn
} // namespace mlir

#endif // FFN_INITALL_H
