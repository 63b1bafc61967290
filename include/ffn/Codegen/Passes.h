//===- Passes.h - ffn code generation passes --------------------*- C++ -*-===//
//
// Declares the CPU code generation passes and their registration.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_CODEGEN_PASSES_H
#define FFN_CODEGEN_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
namespace ffn {
#define GEN_PASS_DECL
#define GEN_PASS_REGISTRATION
#include "ffn/Codegen/Passes.h.inc"

/// Unit attribute on an argument of an entry function: the caller's buffer
/// is an input the code must not write. Unlike `bufferization.writable`,
/// which bufferisation drops once it has used it, it survives until
/// ffn-gpu-device-memory, which copies such buffers to the device but never
/// back, and removes the attribute.
inline constexpr llvm::StringLiteral kReadOnlyArgAttrName = "ffn.read_only";

/// Integer attribute on an entry function: how many of its arguments are the
/// model's inputs. The arguments after them are the out-parameters that
/// bufferisation adds for the results; the code writes them whole before it
/// reads them, so ffn-gpu-device-memory copies them back but never in.
inline constexpr llvm::StringLiteral kNumInputsAttrName = "ffn.num_inputs";
} // namespace ffn
} // namespace mlir

#endif // FFN_CODEGEN_PASSES_H
