//===- Sparsity.h - magnitude-pruning settings ------------------*- C++ -*-===//
//
// The user-facing form of the ffn-sparsify settings (`2:4`,
// `block:32x32:0.5`, `unstructured:0.7`), parsed, printed and loosened in
// one place for ffn-compile's flag, the pass's option, the per-block
// attribute and the error budget.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_DIALECT_FFN_TRANSFORMS_SPARSITY_H
#define FFN_DIALECT_FFN_TRANSFORMS_SPARSITY_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"
#include <string>

namespace mlir {
namespace ffn {

/// How ffn-sparsify prunes each weight `[out, in]`.
struct SparsitySpec {
  enum class Kind {
    /// `N:M`: in every group of M consecutive input channels of an output
    /// row, the N largest magnitudes are kept (2:4 keeps half).
    NOfM,
    /// `block:BoxBi:R`: blocks of Bo output x Bi input channels; each block
    /// row keeps its `round((1 - R) in / Bi)` blocks of largest norm.
    Block,
    /// `unstructured:R`: the fraction R of each weight with the smallest
    /// magnitudes is zeroed.
    Unstructured,
  };
  Kind kind = Kind::NOfM;
  int64_t n = 2, m = 4;
  int64_t blockOut = 0, blockIn = 0;
  /// The pruned fraction, in [0, 1) (block and unstructured).
  double ratio = 0.0;

  /// The text form, which parseSparsitySpec reads back.
  std::string str() const;
  /// The setting `rung` steps gentler (0: this one): the pruned fraction
  /// halves at each step; N:M has no gentler form. std::nullopt: none.
  std::optional<SparsitySpec> loosened(int rung) const;
};

/// Parses `N:M`, `block:BxB:RATIO` (or `block:BoxBi:RATIO`) or
/// `unstructured:RATIO` and checks it; on failure `error` says what is
/// wrong.
FailureOr<SparsitySpec> parseSparsitySpec(llvm::StringRef text,
                                          std::string &error);

} // namespace ffn
} // namespace mlir

#endif // FFN_DIALECT_FFN_TRANSFORMS_SPARSITY_H
