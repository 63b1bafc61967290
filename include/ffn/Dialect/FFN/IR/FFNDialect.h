//===- FFNDialect.h - the ffn dialect ---------------------------*- C++ -*-===//
//
// Declares the ffn dialect, its enums and attributes.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_DIALECT_FFN_IR_FFNDIALECT_H
#define FFN_DIALECT_FFN_IR_FFNDIALECT_H

#include "mlir/IR/Dialect.h"
#include "mlir/IR/BuiltinAttributes.h"

#include "ffn/Dialect/FFN/IR/FFNOpsDialect.h.inc"
#include "ffn/Dialect/FFN/IR/FFNEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "ffn/Dialect/FFN/IR/FFNAttrs.h.inc"

#endif // FFN_DIALECT_FFN_IR_FFNDIALECT_H
