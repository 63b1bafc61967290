//===- BlockSetting.h - per-block overrides of a pass's setting -*- C++ -*-===//
//
// The approximate rewrites whose setting is text (ffn-lowrank's `energy:0.9`,
// ffn-sparsify's `2:4`) take a block's own setting from a string attribute
// on the `ffn.mlp` (the error budget sets them), `none` leaving the block
// alone.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_LIB_DIALECT_FFN_TRANSFORMS_BLOCKSETTING_H
#define FFN_LIB_DIALECT_FFN_TRANSFORMS_BLOCKSETTING_H

#include "ffn/Dialect/FFN/IR/FFNOps.h"
#include "mlir/Support/LLVM.h"
#include <optional>
#include <string>

namespace mlir {
namespace ffn {

/// The setting of `mlp`: `fallback` (the pass's option) without the string
/// attribute `attrName`, std::nullopt when it is `none`, else the attribute
/// parsed by `parse`. A value `parse` rejects, or one that is not a string,
/// is reported on the block (`pass: bad ATTR = VALUE (use USAGE or "none")`)
/// and fails.
template <typename Spec>
FailureOr<std::optional<Spec>>
getBlockSetting(MlpOp mlp, StringRef attrName, StringRef pass, StringRef usage,
                const Spec &fallback,
                function_ref<FailureOr<Spec>(StringRef, std::string &)> parse) {
  Attribute attr = mlp->getAttr(attrName);
  if (!attr)
    return std::optional<Spec>(fallback);
  auto text = dyn_cast<StringAttr>(attr);
  if (text && text.getValue() == "none")
    return std::optional<Spec>();
  std::string error;
  FailureOr<Spec> parsed = failure();
  if (text)
    parsed = parse(text.getValue(), error);
  if (failed(parsed)) {
    mlp.emitError() << pass << ": bad " << attrName << " = " << attr
                    << " (use " << usage << " or \"none\")"
                    << (text ? ": " + error : "");
    return failure();
  }
  return std::optional<Spec>(*parsed);
}

} // namespace ffn
} // namespace mlir

#endif // FFN_LIB_DIALECT_FFN_TRANSFORMS_BLOCKSETTING_H
