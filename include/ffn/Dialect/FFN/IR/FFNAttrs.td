//===- FFNAttrs.td - ffn dialect attributes ----------------*- tablegen -*-===//
//
// Enumerations and attributes of the ffn dialect.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_DIALECT_FFN_IR_FFNATTRS_TD
#define FFN_DIALECT_FFN_IR_FFNATTRS_TD

include "ffn/Dialect/FFN/IR/FFNDialect.td"
include "mlir/IR/EnumAttr.td"

def FFN_GeluApproximationNone : I32EnumAttrCase<"none", 0>;
def FFN_GeluApproximationTanh : I32EnumAttrCase<"tanh", 1>;

def FFN_GeluApproximation : I32EnumAttr<"GeluApproximation",
    "how GELU is evaluated: the exact erf form or the tanh approximation",
    [FFN_GeluApproximationNone, FFN_GeluApproximationTanh]> {
  let cppNamespace = "::mlir::ffn";
  let genSpecializedAttr = 0;
}

def FFN_GeluApproximationAttr
    : EnumAttr<FFN_Dialect, FFN_GeluApproximation, "gelu_approximation"> {
  let assemblyFormat = "`<` $value `>`";
}

#endif // FFN_DIALECT_FFN_IR_FFNATTRS_TD
