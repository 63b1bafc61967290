//===- Budget.h - the error budget of the approximate rewrites --*- C++ -*-===//
//
// `--max-rel-error=E` and `--calibration NAME=FILE.npy`: ffn-compile builds
// the model without approximate rewrites and with them as shared libraries,
// runs both in-process on the calibration inputs, and backs the rewrites off
// FFN by FFN until the error of the model's outputs is within E.
//
// Also declares the stages of a compilation (Compiler.cpp) that the budget
// runs again on copies of the module.
//
//===----------------------------------------------------------------------===//

#ifndef FFN_LIB_COMPILER_BUDGET_H
#define FFN_LIB_COMPILER_BUDGET_H

#include "ffn/Compiler/Compiler.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Support/LLVM.h"

namespace mlir {
namespace ffn {
struct FFNReport;

//===----------------------------------------------------------------------===//
// Stages of a compilation (Compiler.cpp)
//===----------------------------------------------------------------------===//

/// Canonicalisation (-O1 and above) and the exact FFN rewrites that come
/// before the approximate ones (-O2 and above): norm folding, RePaViT,
/// neuron sorting. Frees the weights they replace: `module` must be the only
/// module of its context that uses them.
LogicalResult runExactFFNPasses(ModuleOp module, unsigned optLevel);

/// Whether `options` asks for an approximate rewrite that will run.
bool hasApproximateRewrites(const CompileOptions &options);

/// The approximate rewrites `options` asks for (width slicing, low rank,
/// block-diagonal). A block's own settings (`ffn.width`, `ffn.lowrank`,
/// `ffn.block_diag`) win over the flags.
LogicalResult runApproximateFFNPasses(ModuleOp module,
                                      const CompileOptions &options);

/// The exact rewrites that come after the approximate ones (-O2 and above):
/// horizontal fusion and weight deduplication.
LogicalResult runFusionFFNPasses(ModuleOp module, unsigned optLevel);

/// Lowers `module` (after the FFN passes) to the artifact `options` asks
/// for. With `releaseWeights`, weights are freed as soon as nothing refers
/// to them, every weight of the context included once the LLVM module holds
/// its copy; without, the context's weights are left alone (other modules
/// of the context still use them).
LogicalResult emitNative(MLIRContext &context, OwningOpRef<ModuleOp> module,
                         ModelInterface model, const CompileOptions &options,
                         bool releaseWeights);

//===----------------------------------------------------------------------===//
// The error budget
//===----------------------------------------------------------------------===//

/// Runs the approximate rewrites `options` asks for on `module` (after
/// runExactFFNPasses) under the error budget:
///
/// 1. A reference build of `module` (no approximate rewrite) runs on the
///    calibration inputs; it also returns the input of every FFN.
/// 2. Each FFN gets a ladder of settings from the flags' own to gentler
///    ones (wider slice, more energy or a higher rank, fewer blocks), then
///    none; the error of every setting on the FFN's own output is measured
///    on the FFN's calibration inputs with the block evaluator.
/// 3. A threshold on that per-FFN error picks each FFN's setting (the most
///    aggressive one within it); builds with the approximate rewrites run
///    on the calibration inputs, and a bisection over the thresholds finds
///    the most aggressive choice whose error on the model's outputs is at
///    most `options.maxRelError`. Without a budget, only the flags' own
///    settings are measured.
///
/// Leaves `module` rewritten with the chosen settings, each FFN's measured
/// error in `ffn.rel_error`, and the measured error of the model's outputs
/// in `report.totalMaxRelError`.
LogicalResult applyErrorBudget(MLIRContext &context, ModuleOp module,
                               const ModelInterface &model,
                               const CompileOptions &options,
                               FFNReport &report);

} // namespace ffn
} // namespace mlir

#endif // FFN_LIB_COMPILER_BUDGET_H
