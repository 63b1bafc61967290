//===- Passes.h - ffn conversion passes -------------------------*- C++ -*-===//
//
// Declares the conversions out of the ffn dialect and their registration.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_CONVERSION_PASSES_H
#define FFN_CONVERSION_PASSES_H

#include "ffn/Conversion/FFNToLinalg/FFNToLinalg.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
namespace ffn {
#define GEN_PASS_DECL
#define GEN_PASS_REGISTRATION
#include "ffn/Conversion/Passes.h.inc"
} // namespace ffn
} // namespace mlir

#endif // FFN_CONVERSION_PASSES_H
