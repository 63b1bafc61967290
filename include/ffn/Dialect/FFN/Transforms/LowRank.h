//===- LowRank.h - low-rank factorisation settings --------------*- C++ -*-===//
//
// The user-facing form of the ffn-lowrank settings (`energy:0.9`, `rank:64`,
// `flops:0.5`), parsed and checked in one place for ffn-compile's flag and
// the pass's options.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_DIALECT_FFN_TRANSFORMS_LOWRANK_H
#define FFN_DIALECT_FFN_TRANSFORMS_LOWRANK_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringRef.h"
#include <string>

namespace mlir {
namespace ffn {

/// How ffn-lowrank chooses the rank of each matrix, and the target.
struct LowRankSpec {
  /// "energy", "rank" or "flops".
  std::string mode;
  /// Kept energy fraction in (0, 1], a rank >= 1, or a kept FLOP fraction in
  /// (0, 1].
  double value = 0.0;
};

/// Checks a mode and value; on failure `error` says what is wrong.
LogicalResult checkLowRankSpec(const LowRankSpec &spec, std::string &error);

/// Parses `MODE:VALUE` (`energy:0.9`, `rank:64`, `flops:0.5`) and checks it.
FailureOr<LowRankSpec> parseLowRankSpec(llvm::StringRef text,
                                        std::string &error);

} // namespace ffn
} // namespace mlir

#endif // FFN_DIALECT_FFN_TRANSFORMS_LOWRANK_H
