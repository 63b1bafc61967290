//===- Report.h - the per-FFN report of ffn-compile -------------*- C++ -*-===//
//
// Lists every FFN block of a module with its FLOPs and parameters, what the
// FFN passes did to it and the error they introduced, as a table for people
// and as JSON for tools (--ffn-report). The JSON schema is fixed by
// DESIGN.md.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_COMPILER_REPORT_H
#define FFN_COMPILER_REPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"
#include <optional>
#include <string>
#include <vector>

namespace mlir {
namespace ffn {
class MlpOp;

/// FLOPs (two per multiply-add) and parameters of one FFN block.
struct FFNCost {
  int64_t flops = 0;
  int64_t params = 0;
  /// The input has dynamic token dimensions (batch, sequence): `flops`
  /// counts each as 1, the cost of one token per dynamic dimension.
  bool perToken = false;
};

/// The cost of `op` for its compiled shapes.
FFNCost measureFFN(MlpOp op);

/// What the report says about one FFN.
struct FFNReportEntry {
  std::string name;
  std::string kind;
  std::vector<std::string> applied;
  FFNCost before;
  FFNCost after;
  /// Measured by approximate rewrites only; unset when only exact ones ran.
  std::optional<double> maxRelError;
  /// The approximate settings the error budget chose for the FFN
  /// (`width=0.875 lowrank=energy:0.95`); empty without a budget.
  std::string setting;
  /// --ffn-fusion=auto: the cosine distance between the FFN's output on its
  /// own calibration inputs and on those of the first block of the run it
  /// joined (or, when it starts a run, of the run before it, which it did
  /// not join); unset otherwise.
  std::optional<double> fusionDistance;
};

/// The report of one compilation.
struct FFNReport {
  std::vector<FFNReportEntry> ffns;
  std::optional<double> totalMaxRelError;
  /// With an error budget or calibration inputs: the samples the total error
  /// was measured on and the builds measured (the reference included).
  int64_t calibrationSamples = 0;
  int64_t calibrationBuilds = 0;
  /// Parameters of all FFNs with every distinct value counted once. An
  /// entry's own `params` counts each of its parameters even when another
  /// FFN shares it (ffn-dedup-weights); these totals count a shared weight
  /// once, as the artifact stores it.
  int64_t uniqueParamsBefore = 0;
  int64_t uniqueParamsAfter = 0;

  /// Records every ffn.mlp of `module` as it is now (before any rewrite) and
  /// tags each with its entry's index.
  static FFNReport collect(ModuleOp module);
  /// Updates the "after" figures and the applied rewrites from the module
  /// after the FFN passes, following the tags.
  void updateAfter(ModuleOp module);

  /// The index of the entry `op` belongs to (the tag collect() set), or -1.
  static int64_t getEntryIndex(MlpOp op);

  void printTable(llvm::raw_ostream &os) const;
  void writeJSON(llvm::raw_ostream &os) const;
};
} // namespace ffn
} // namespace mlir

#endif // FFN_COMPILER_REPORT_H
